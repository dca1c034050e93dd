"""Analyse antivirus des pièces par ClamAV (démon clamd), quand il est configuré.

``CLAS_CLAMAV`` : ``hote:port`` (TCP) ou ``unix:/chemin/clamd.ctl`` ; vide = pas d'antivirus
(les pièces sont marquées « non analysées », et l'exploitant en est averti par
``check --deploy`` en production). Protocole clamd ``INSTREAM`` : le fichier est envoyé par
morceaux préfixés de leur longueur (4 octets, gros-boutiste), terminés par un morceau vide ;
la réponse est ``stream: OK`` ou ``stream: <signature> FOUND``.
"""

import socket
import struct

from django.conf import settings

MORCEAU = 64 * 1024


class AntivirusIndisponible(Exception):
    """clamd injoignable ou réponse inattendue : la pièce reste « en attente d'analyse »."""


def configure() -> bool:
    return bool(getattr(settings, "CLAS_CLAMAV", ""))


def _connexion() -> socket.socket:
    adresse = settings.CLAS_CLAMAV
    delai = getattr(settings, "CLAS_CLAMAV_DELAI", 10)
    try:
        if adresse.startswith("unix:"):
            connexion = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connexion.settimeout(delai)
            connexion.connect(adresse[len("unix:") :])
            return connexion
        hote, _, port = adresse.rpartition(":")
        return socket.create_connection((hote, int(port)), timeout=delai)
    except (OSError, ValueError) as exc:
        raise AntivirusIndisponible(f"clamd injoignable ({adresse}) : {exc}") from exc


def analyser(flux) -> str | None:
    """Envoie le contenu à clamd. Rend None si le fichier est sain, le nom de la signature s'il
    est infecté ; lève ``AntivirusIndisponible`` sinon."""
    flux.seek(0)
    try:
        with _connexion() as connexion:
            connexion.sendall(b"zINSTREAM\0")
            while morceau := flux.read(MORCEAU):
                connexion.sendall(struct.pack("!L", len(morceau)) + morceau)
            connexion.sendall(struct.pack("!L", 0))
            reponse = b""
            while not reponse.endswith(b"\0"):
                recu = connexion.recv(4096)
                if not recu:
                    break
                reponse += recu
    except OSError as exc:
        raise AntivirusIndisponible(f"échange avec clamd interrompu : {exc}") from exc
    finally:
        flux.seek(0)
    texte = reponse.rstrip(b"\0").decode("utf-8", "replace").strip()
    if texte.endswith("OK"):
        return None
    if texte.endswith("FOUND"):
        return texte.removeprefix("stream:").removesuffix("FOUND").strip() or "inconnue"
    raise AntivirusIndisponible(f"réponse inattendue de clamd : {texte[:200]}")
