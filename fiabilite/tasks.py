"""Tâches Celery de la fiabilité : le relais de la boîte d'envoi (chaque minute, Celery beat)."""

from celery import shared_task

from clas_portal import taches


@shared_task(name="fiabilite.relayer")
def relayer() -> dict:
    """Publie les tâches différées restées en attente (broker injoignable au moment de la
    validation, message perdu) et supprime les lignes exécutées anciennes."""
    releve = taches.relayer().as_dict()
    releve["purgees"] = taches.purger_executees()
    return releve
