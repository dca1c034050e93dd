"""Gabarits de la file d'attente et de l'ordre du jour du comité : les champs des filtres.

La file est la page la plus demandée des agents : ses listes déroulantes (états, verdicts,
années, agents) sont écrites ici en une fois, plutôt qu'option par option dans le gabarit.
"""

from html import escape

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def options(champ) -> str:
    """Les ``<option>`` d'un champ à choix (``BoundField``), celle de la valeur courante
    marquée ``selected`` : ``<select …>{{ champ|options }}</select>``.

    Même comparaison que le rendu option par option qu'il remplace : la valeur (envoyée ou
    initiale) et celle de chaque choix comparées comme des textes ; même échappement que les
    variables d'un gabarit.
    """
    courant = champ.value()
    courant = "" if courant is None else str(courant)
    morceaux = []
    for valeur, libelle in champ.field.choices:
        valeur = str(valeur)
        choisi = " selected" if valeur == courant else ""
        morceaux.append(
            f'<option value="{escape(valeur)}"{choisi}>{conditional_escape(libelle)}</option>'
        )
    return mark_safe("".join(morceaux))
