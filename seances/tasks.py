"""Tâches Celery de l'année du Clas."""

from celery import shared_task

from . import purge


@shared_task(name="seances.purger_donnees_enfants")
def purger_donnees_enfants() -> dict:
    """Purge planifiée (Celery beat, chaque nuit) des données par enfant des collectifs dont le
    bilan est soumis depuis plus de ``CLAS_DELAI_PURGE_ENFANTS_JOURS`` jours. Idempotente."""
    faites = purge.purger_donnees_enfants()
    return {
        "collectifs": len(faites),
        "enfants_supprimes": sum(p.enfants_supprimes for p in faites),
        "presences_supprimees": sum(p.presences_supprimees for p in faites),
    }
