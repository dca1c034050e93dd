"""Un worker tué (SIGKILL) pendant qu'il construit un bilan : le message, non acquitté
(``acks_late``), revient dans la file Redis ; un nouveau worker reprend la génération, qui se
termine avec exactement un fichier PDF, un fichier JSON et une ligne de génération.

Le worker tourne dans un processus à part (on le tue vraiment), sur la même base : il faut donc
une base partagée entre processus — PostgreSQL (en CI). Le délai de visibilité de Redis est
réduit à 5 s pour ce test (``CLAS_ESSAI_VISIBILITE_COURTE``) ; en production il dépasse la plus
longue tâche (clas_portal/settings.py).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from bilans.models import EtatGeneration, GenerationBilan
from bilans.tasks import demander_bilan
from fiabilite.models import TacheDifferee
from tests.fiabilite.conftest import attendre

RACINE = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="worker dans un autre processus : base partagée PostgreSQL (exécuté en CI)",
    ),
]

VISIBILITE = 5


def _url_base() -> str:
    r = connection.settings_dict
    utilisateur = r.get("USER") or ""
    mot_de_passe = f":{r['PASSWORD']}" if r.get("PASSWORD") else ""
    hote = r.get("HOST") or "127.0.0.1"
    port = r.get("PORT") or 5432
    return f"postgres://{utilisateur}{mot_de_passe}@{hote}:{port}/{r['NAME']}"


def _lancer_worker(broker_url: str, media: Path, journal: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _url_base(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITE),
        "CLAS_ESSAI_VISIBILITE_COURTE": "1",
        "MEDIA_ROOT": str(media),
        "CLAS_ENV": "demo",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "clas_portal", "worker", "--pool", "solo",
         "--without-mingle", "--without-gossip", "--loglevel", "INFO", "-n", f"tue-{time.time_ns()}@%h"],
        cwd=RACINE,
        env=env,
        stdout=journal.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def test_bilan_termine_apres_un_worker_tue(broker_prive, settings, tmp_path, dep59, secretariat59):
    sys.path.insert(0, str(RACINE / "bench"))
    from bench_bilan import peupler

    peupler(par_departement=0, graine=7)  # 59 : 300 dossiers, 900 collectifs avec bilans
    media = Path(settings.MEDIA_ROOT)
    journal = tmp_path / "worker.log"
    generation = demander_bilan(dep59, 2025, secretariat59)  # publiée dans le Redis privé
    premier = _lancer_worker(broker_prive.url, media, journal)
    try:
        attendre(
            lambda: GenerationBilan.objects.get(pk=generation.pk).etat == EtatGeneration.EN_COURS,
            delai=60,
            message="le premier worker commence la génération",
        )
        os.killpg(premier.pid, signal.SIGKILL)  # en pleine construction du PDF
        premier.wait(timeout=10)
    finally:
        if premier.poll() is None:
            os.killpg(premier.pid, signal.SIGKILL)
    generation.refresh_from_db()
    assert generation.etat == EtatGeneration.EN_COURS  # tué avant la fin
    assert not list(media.rglob("*.pdf"))  # rien d'écrit à moitié
    time.sleep(VISIBILITE + 1)  # le message non acquitté redevient visible
    second = _lancer_worker(broker_prive.url, media, journal)
    try:
        attendre(
            lambda: not GenerationBilan.objects.get(pk=generation.pk).est_en_cours,
            delai=120,
            message="le second worker termine la génération",
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
    generation.refresh_from_db()
    assert generation.etat == EtatGeneration.TERMINEE, journal.read_text()[-3000:]
    assert generation.tentatives >= 2
    assert GenerationBilan.objects.count() == 1
    assert len(list(media.rglob("*.pdf"))) == 1
    assert len(list(media.rglob("*.json"))) == 1
    assert generation.fichier_pdf.read().startswith(b"%PDF-")
    ligne = TacheDifferee.objects.get(nom_tache="bilans.generer")
    assert ligne.executee_le is not None
