"""Fichiers téléversés : contrôle par le contenu, taille bornée, noms aléatoires, stockage privé.

Les pièces vivent sous ``MEDIA_ROOT`` (jamais servi directement) ; une vue vérifie les droits
avant chaque téléchargement et répond en pièce jointe avec ``nosniff``.
"""

import secrets
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError

TAILLE_MAX_PIECE = 10 * 1024 * 1024

# Signature (octets de tête) → (type MIME, extension)
SIGNATURES = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
]
TYPES_ACCEPTES = "PDF, JPEG ou PNG"


def type_par_contenu(tete: bytes) -> tuple[str, str] | None:
    """Le type réel d'un fichier d'après ses premiers octets, ou None s'il n'est pas accepté."""
    for signature, mime, extension in SIGNATURES:
        if tete.startswith(signature):
            return mime, extension
    return None


def valider_piece(fichier) -> tuple[str, str]:
    """Vérifie taille et contenu d'un fichier téléversé ; renvoie (type MIME, extension)."""
    if fichier.size > TAILLE_MAX_PIECE:
        taille = fichier.size / (1024 * 1024)
        raise ValidationError(
            "Le fichier « %(nom)s » pèse %(taille)s Mo : 10 Mo au plus.",
            code="trop_gros",
            params={
                "nom": nom_affichable(fichier.name),
                "taille": f"{taille:.1f}".replace(".", ","),
            },
        )
    if fichier.size == 0:
        raise ValidationError(
            "Le fichier « %(nom)s » est vide.",
            code="vide",
            params={"nom": nom_affichable(fichier.name)},
        )
    fichier.seek(0)
    tete = fichier.read(16)
    fichier.seek(0)
    trouve = type_par_contenu(tete)
    if trouve is None:
        raise ValidationError(
            "Le fichier « %(nom)s » n'est pas un %(types)s (son contenu a été vérifié, pas "
            "seulement son nom).",
            code="type_refuse",
            params={"nom": nom_affichable(fichier.name), "types": TYPES_ACCEPTES},
        )
    return trouve


def nom_affichable(nom: str) -> str:
    """Le nom d'origine réduit à son dernier composant, sans chemin (« ../../x.pdf » → « x.pdf »)."""
    nom = (nom or "").replace("\\", "/")
    dernier = PurePosixPath(nom).name
    propre = "".join(c for c in dernier if c.isprintable() and c not in '<>:"|?*')
    return propre[:120] or "fichier"


def chemin_aleatoire(prefixe: str, extension: str) -> str:
    """Nom de stockage aléatoire : rien du nom d'origine n'atteint le disque."""
    return f"{prefixe}/{secrets.token_hex(2)}/{secrets.token_urlsafe(24)}.{extension}"


def reponse_telechargement(champ_fichier, nom: str, type_mime: str):
    """Réponse de téléchargement d'une pièce : en pièce jointe, type fixé, ``nosniff``.

    Appelée seulement après la vérification des droits (``visible_to``) par la vue.
    """
    from django.http import FileResponse, Http404

    try:
        flux = champ_fichier.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("Ce fichier n'est plus disponible.") from exc
    reponse = FileResponse(
        flux, as_attachment=True, filename=nom_affichable(nom), content_type=type_mime
    )
    reponse["X-Content-Type-Options"] = "nosniff"
    reponse["Cache-Control"] = "private, no-store"
    return reponse
