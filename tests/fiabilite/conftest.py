"""Un Redis privé (``redis-server`` lancé pour le test, sur un port libre) que l'on arrête et
relance, l'application Celery pointée dessus, un vrai worker dans un fil.

Ces tests n'utilisent pas le réglage ``CLAS_TACHES_SYNCHRONES`` des autres tests : les tâches
différées passent par le vrai broker et sont exécutées par un vrai worker.
"""

import importlib
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings as reglages
from django.db import OperationalError

from clas_portal.celery import app
from tests.outils_celery import oublier_connexions

REDIS_SERVER = shutil.which("redis-server")


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisPrive:
    """Un ``redis-server`` sans persistance, à nous seuls."""

    def __init__(self, dossier):
        self.port = _port_libre()
        self.dossier = dossier
        self.processus = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def demarrer(self) -> None:
        self.processus = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dossier),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        limite = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > limite or self.processus.poll() is not None:
                    raise
                time.sleep(0.02)

    def arreter(self) -> None:
        if self.processus is not None and self.processus.poll() is None:
            self.processus.terminate()
            self.processus.wait(timeout=10)
        self.processus = None

    def messages(self, file: str = "celery") -> list[dict]:
        """Les messages en attente dans la file (du plus ancien au plus récent)."""
        import json

        return [json.loads(brut) for brut in reversed(self.client().lrange(file, 0, -1))]


@pytest.fixture(autouse=True)
def donnees_de_reference(transactional_db):
    """Ces tests sont transactionnels, comme d'autres avant eux qui vident la base en partant
    (``flush``) : on remet les données de référence semées par les migrations (départements,
    paramètres de financement 2025), par leurs propres fonctions, idempotentes. (Pas de
    ``serialized_rollback`` : il entre en conflit avec les types de contenu recréés par le
    ``flush`` d'un test transactionnel précédent.)"""
    from django.apps import apps

    importlib.import_module("comptes.migrations.0002_departements").charger(apps, None)
    importlib.import_module("eligibility.migrations.0002_parametres_2025").semer(apps, None)


@pytest.fixture
def redis_prive(tmp_path):
    if REDIS_SERVER is None:
        pytest.skip("redis-server est absent (apt-get install redis-server).")
    serveur = RedisPrive(tmp_path)
    serveur.demarrer()
    try:
        yield serveur
    finally:
        serveur.arreter()


@pytest.fixture
def broker_prive(redis_prive, settings, monkeypatch):
    """L'application Celery publie dans le Redis privé, avec les options de production ; les
    tâches différées passent par lui (pas d'exécution sur place). La variable d'environnement
    CELERY_BROKER_URL (posée en CI) l'emporte sur ``app.conf.broker_url`` : on la change aussi."""
    settings.CLAS_TACHES_SYNCHRONES = False
    # Lire l'ancienne valeur AVANT de changer l'environnement : la propriété broker_url de
    # Celery lit d'abord CELERY_BROKER_URL (sinon on « restaurerait » le Redis privé).
    ancien_url = app.conf.broker_url
    anciennes_options = app.conf.broker_transport_options
    monkeypatch.setenv("CELERY_BROKER_URL", redis_prive.url)
    app.conf.broker_url = redis_prive.url
    app.conf.broker_transport_options = {
        "visibility_timeout": reglages.CLAS_CELERY_VISIBILITE,
        "socket_connect_timeout": 2,
        "socket_timeout": 3,
    }
    oublier_connexions()
    try:
        yield redis_prive
    finally:
        app.conf.broker_url = ancien_url
        app.conf.broker_transport_options = anciennes_options
        oublier_connexions()


@contextmanager
def worker_reel():
    """Un vrai worker (pool « solo ») dans un fil de ce processus : il partage la base de test
    et ``mail.outbox`` (courriels « locmem » des tests)."""
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        yield


def attendre(condition, delai: float = 60, message: str = "condition"):
    """Attend que ``condition()`` soit vraie. Sur SQLite (base en mémoire partagée), une
    lecture pendant la validation du worker peut trouver la table verrouillée : on relit."""
    limite = time.monotonic() + delai
    while time.monotonic() < limite:
        try:
            if condition():
                return
        except OperationalError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{message} : toujours faux après {delai} s")
