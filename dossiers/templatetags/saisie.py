"""Gabarits de la saisie : l'indicateur de progression et quelques mises en forme."""

from datetime import date

from django import template
from django.utils.dateformat import format as format_date

from dossiers.saisie import CORRECTIONS, etapes_affichees

register = template.Library()


@register.simple_tag
def etapes_saisie(dossier, etape_courante=""):
    """Les 7 étapes du dossier, pour ``dossiers/saisie/_progression.html``.

    Chacune a ``slug``, ``numero``, ``titre``, ``url`` (None si la page n'existe pas encore),
    ``courante`` et ``complete`` (True, False, ou None pour le récapitulatif).
    """
    return etapes_affichees(dossier, etape_courante)


@register.filter
def date_longue(jour: date | None) -> str:
    """« 1er juillet 2026 », « 15 juin 2027 »."""
    if not jour:
        return ""
    texte = format_date(jour, "j F Y")
    return f"1er{texte[1:]}" if jour.day == 1 else texte


@register.filter
def libelle_critere(code: str) -> str:
    """Le libellé court d'un critère (« COLLECTIF-TAILLE » → « Nombre d'enfants »)."""
    correction = CORRECTIONS.get(code)
    return correction.libelle if correction else code
