"""Lecture des fichiers d'entrée des commandes (chemin ou « - » pour l'entrée standard)."""

import sys
from pathlib import Path

from dossiers.format_echange import TAILLE_MAX_OCTETS, ErreurFormat


def lire_octets(chemin: str, stdin=None) -> bytes:
    """Lit au plus 5 Mo + 1 octet : un fichier trop gros est refusé sans être chargé en entier."""
    if chemin == "-":
        flux = stdin if stdin is not None else sys.stdin.buffer
        return flux.read(TAILLE_MAX_OCTETS + 1)
    fichier = Path(chemin)
    if not fichier.exists():
        raise ErreurFormat([f"(fichier) : « {chemin} » n'existe pas"])
    if fichier.is_dir():
        raise ErreurFormat([f"(fichier) : « {chemin} » est un dossier, pas un fichier"])
    try:
        with fichier.open("rb") as flux:
            return flux.read(TAILLE_MAX_OCTETS + 1)
    except OSError as exc:
        raise ErreurFormat(
            [f"(fichier) : « {chemin} » ne peut pas être lu ({exc.strerror})"]
        ) from exc
