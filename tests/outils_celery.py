"""Outils communs aux tests qui passent par un vrai broker et un vrai worker Celery."""

import time
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from django.db import OperationalError
from kombu import pools

from clas_portal.celery import app


def oublier_connexions():
    """Les connexions au broker déjà ouvertes gardent les anciens réglages : on repart de zéro
    (pools de l'application, et registre global de kombu qui garderait sinon des pools fermés
    par l'arrêt d'un worker précédent — « Acquire on closed pool » avec Redis)."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@contextmanager
def broker_isole(tmp_path):
    """Avec le broker filesystem, des dossiers propres au test, pour qu'aucun autre worker
    (celui de `make run`, par exemple) ne prenne ses tâches ; avec Redis (CI), le broker
    configuré. Les connexions sont oubliées avant et après."""
    options = dict(app.conf.broker_transport_options or {})
    if app.conf.broker_url.startswith("filesystem://"):
        dossier = tmp_path / "broker"
        for sous_dossier in ("in", "traites", "controle"):
            (dossier / sous_dossier).mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {
            **options,
            "data_folder_in": str(dossier / "in"),
            "data_folder_out": str(dossier / "in"),
            "processed_folder": str(dossier / "traites"),
            "control_folder": str(dossier / "controle"),
        }
    oublier_connexions()
    try:
        yield
    finally:
        app.conf.broker_transport_options = options
        oublier_connexions()


@contextmanager
def worker_reel():
    """Un vrai worker (pool « solo ») dans un fil de ce processus."""
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        yield


def resultat_de(tache, delai: float = 60):
    """``tache.get()``, le résultat d'une tâche lu dans la base (django-celery-results). Sur
    SQLite (base en mémoire partagée entre le test et le worker), la lecture peut tomber sur la
    table verrouillée pendant que le worker écrit ce résultat : on relit, dans le même délai."""
    limite = time.monotonic() + delai
    while True:
        try:
            return tache.get(timeout=max(0.5, limite - time.monotonic()))
        except OperationalError:
            if time.monotonic() >= limite:
                raise
            time.sleep(0.05)
