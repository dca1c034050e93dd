"""Libellés et styles des statuts et verdicts du moteur, pour les gabarits."""

from decimal import Decimal

from django import template

register = template.Library()

STATUTS = {
    "conforme": ("conforme", "text-bg-success"),
    "non_conforme": ("non conforme", "text-bg-danger"),
    "manquant": ("manquant", "text-bg-warning"),
    "a_verifier": ("à vérifier", "text-bg-info"),
    "recommandation": ("recommandation", "text-bg-secondary"),
    "sans_objet": ("sans objet", "text-bg-light border"),
}
VERDICTS = {
    "eligible": ("éligible", "text-bg-success"),
    "incomplet": ("incomplet", "text-bg-warning"),
    "a_verifier": ("à vérifier", "text-bg-info"),
    "non_eligible": ("non éligible", "text-bg-danger"),
}


@register.filter
def libelle_statut(statut: str) -> str:
    return STATUTS.get(statut, (statut, ""))[0]


@register.filter
def classe_statut(statut: str) -> str:
    return STATUTS.get(statut, ("", "text-bg-light"))[1]


@register.filter
def libelle_verdict(verdict: str) -> str:
    return VERDICTS.get(verdict, (verdict, ""))[0]


@register.filter
def classe_verdict(verdict: str) -> str:
    return VERDICTS.get(verdict, ("", "text-bg-light"))[1]


ESPACE_FINE = "\u202f"


@register.filter
def euros(montant) -> str:
    """« 2562.95 » → « 2 562,95 € » ; None → « non calculable »."""
    if montant in (None, ""):
        return "non calculable"
    texte = f"{Decimal(str(montant)):.2f}"
    entier, decimales = texte.split(".")
    signe = "-" if entier.startswith("-") else ""
    entier = entier.lstrip("-")
    groupes = []
    while len(entier) > 3:
        groupes.insert(0, entier[-3:])
        entier = entier[:-3]
    groupes.insert(0, entier)
    return f"{signe}{ESPACE_FINE.join(groupes)},{decimales}{ESPACE_FINE}€"


@register.filter
def pourcentage(taux) -> str:
    """« 0.325 » → « 32,5 % »."""
    if taux in (None, ""):
        return "non fixé"
    valeur = (Decimal(str(taux)) * 100).normalize()
    texte = f"{valeur:f}".replace(".", ",")
    return f"{texte}{ESPACE_FINE}%"
