"""Un vrai worker Celery reçoit les tâches par le broker configuré (filesystem ou Redis)."""

import pytest
from django_celery_results.models import TaskResult

from clas_portal.celery import ping
from tests.outils_celery import broker_isole, resultat_de, worker_reel


@pytest.fixture
def worker(transactional_db, tmp_path):
    """Worker réel dans un fil, sur un broker propre au test (tests/outils_celery.py)."""
    with broker_isole(tmp_path), worker_reel():
        yield


def test_une_tache_passe_par_le_broker_et_revient(worker):
    resultat = ping.delay()
    assert resultat_de(resultat, 30) == "pong"
    assert TaskResult.objects.filter(task_id=resultat.id, status="SUCCESS").exists()
