"""Application Celery du portail : les tâches longues (PDF des bilans…) tournent dans un worker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clas_portal.settings")

app = Celery("clas_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="clas_portal.ping")
def ping() -> str:
    """Tâche témoin : prouve qu'un worker reçoit et exécute les tâches du broker configuré."""
    return "pong"
