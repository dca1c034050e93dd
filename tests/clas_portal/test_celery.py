"""Un vrai worker Celery reçoit les tâches par le broker configuré (filesystem ou Redis)."""

import pytest
from celery.contrib.testing.worker import start_worker

from clas_portal.celery import app, ping


@pytest.fixture
def worker(transactional_db):
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        yield


def test_une_tache_passe_par_le_broker_et_revient(worker, settings):
    resultat = ping.delay()
    assert resultat.get(timeout=30) == "pong"
    from django_celery_results.models import TaskResult

    assert TaskResult.objects.filter(task_id=resultat.id, status="SUCCESS").exists()
