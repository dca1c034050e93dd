"""Un vrai worker Celery reçoit les tâches par le broker configuré (filesystem ou Redis)."""

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker
from django_celery_results.models import TaskResult

from clas_portal.celery import app, ping


def _oublier_connexions():
    """Les connexions déjà ouvertes gardent les anciens dossiers : on repart de zéro."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # Sur Redis, les pools de kombu gardent des connexions fermées par l'arrêt du worker
    # précédent (« Acquire on closed pool ») : on les vide aussi.
    kombu.pools.reset()


@pytest.fixture
def worker(transactional_db, tmp_path):
    """Worker réel dans un fil ; avec le broker filesystem, des dossiers propres au test, pour
    qu'aucun autre worker (celui de `make run`, par exemple) ne prenne ses tâches."""
    options = dict(app.conf.broker_transport_options or {})
    if app.conf.broker_url.startswith("filesystem://"):
        dossier = tmp_path / "broker"
        for sous_dossier in ("in", "traites", "controle"):
            (dossier / sous_dossier).mkdir(parents=True)
        app.conf.broker_transport_options = {
            **options,
            "data_folder_in": str(dossier / "in"),
            "data_folder_out": str(dossier / "in"),
            "processed_folder": str(dossier / "traites"),
            "control_folder": str(dossier / "controle"),
        }
    _oublier_connexions()
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            yield
    finally:
        app.conf.broker_transport_options = options
        _oublier_connexions()


def test_une_tache_passe_par_le_broker_et_revient(worker):
    resultat = ping.delay()
    assert resultat.get(timeout=30) == "pong"
    assert TaskResult.objects.filter(task_id=resultat.id, status="SUCCESS").exists()
