from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duree_en_minutes(valeur) -> str:
    """« 30 minutes » pour un timedelta (blocage après des échecs de connexion)."""
    if not isinstance(valeur, timedelta):
        return "quelques minutes"
    minutes = max(1, round(valeur.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes > 1 else ''}"
