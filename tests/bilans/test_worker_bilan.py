"""La génération du bilan menée par un vrai worker Celery, par le broker configuré (filesystem ici,
Redis en CI) : la demande met la tâche en file après la validation, le worker la prend."""

import importlib
import time

import pytest
from django.db import OperationalError
from django_celery_results.models import TaskResult

from bilans.models import EtatGeneration, GenerationBilan
from bilans.tasks import demander_bilan
from tests.bilans.fabrique_bilan import peupler_bilan_59
from tests.outils_celery import broker_isole, worker_reel

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture
def donnees_de_reference(transactional_db):
    """Test transactionnel : un autre avant lui a pu vider la base (``flush``) ; on remet les
    départements semés par leur migration, par sa propre fonction (idempotente). Pas de
    ``serialized_rollback`` : il entre en conflit avec les types de contenu recréés par le
    ``flush`` d'un test transactionnel précédent."""
    from django.apps import apps

    importlib.import_module("comptes.migrations.0002_departements").charger(apps, None)


@pytest.fixture
def worker(transactional_db, tmp_path):
    """Worker réel dans un fil, sur un broker propre au test (tests/outils_celery.py)."""
    with broker_isole(tmp_path), worker_reel():
        yield


def attendre_la_fin(generation: GenerationBilan, delai: float = 120) -> list[int]:
    """Attend la fin de la génération ; rend les progressions vues en chemin."""
    vues = []
    limite = time.monotonic() + delai
    while time.monotonic() < limite:
        time.sleep(0.2)
        try:
            generation.refresh_from_db()
        except OperationalError:  # SQLite en mémoire partagée : table verrouillée, on repasse
            continue
        if not vues or vues[-1] != generation.progression:
            vues.append(generation.progression)
        if not generation.est_en_cours:
            return vues
    raise AssertionError(f"Génération toujours « {generation.etat} » après {delai} s")


@pytest.mark.django_db(transaction=True)
def test_le_worker_genere_le_bilan(worker, donnees_de_reference, dep59, secretariat59, settings):
    settings.CLAS_TACHES_SYNCHRONES = False  # la tâche passe par le broker et le vrai worker
    peupler_bilan_59()
    generation = demander_bilan(dep59, 2025, secretariat59)  # hors transaction : mise en file
    assert generation.issue == "nouvelle"
    vues = attendre_la_fin(generation)
    assert generation.etat == EtatGeneration.TERMINEE, generation.erreur
    assert generation.progression == 100
    assert vues == sorted(vues)  # la progression ne recule jamais
    assert generation.pages >= 5
    assert generation.fichier_pdf.read().startswith(b"%PDF-")
    resultat = TaskResult.objects.get(task_id=generation.task_id)
    assert resultat.status == "SUCCESS"
    assert resultat.task_name == "bilans.generer"
    # Redemander : les données n'ont pas changé, aucune nouvelle tâche.
    encore = demander_bilan(dep59, 2025, secretariat59)
    assert encore.pk == generation.pk and encore.issue == "existante"
    assert TaskResult.objects.filter(task_name="bilans.generer").count() == 1
