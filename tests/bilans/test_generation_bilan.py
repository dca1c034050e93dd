"""La demande de bilan et la tâche : idempotence, une seule tâche, reprise après un arrêt."""

import datetime
import importlib
import io
import json
import threading

import pytest
from celery.signals import before_task_publish
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from pypdf import PdfReader

from bilans import tasks
from bilans.indicateurs import calculer_indicateurs
from bilans.models import EtatGeneration, GenerationBilan
from bilans.tasks import TENTATIVES_MAX, construire, demander_bilan, generer
from clas_portal.celery import app
from seances.models import BilanAction
from tests.bilans.fabrique_bilan import peupler_bilan_59
from tests.factories import UtilisateurFactory
from tests.outils_celery import broker_isole, oublier_connexions

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def donnees_de_reference(transactional_db):
    """Test transactionnel : un autre avant lui a pu vider la base (``flush``) ; on remet les
    départements semés par leur migration, par sa propre fonction (idempotente). Pas de
    ``serialized_rollback`` : il entre en conflit avec les types de contenu recréés par le
    ``flush`` d'un test transactionnel précédent."""
    from django.apps import apps

    importlib.import_module("comptes.migrations.0002_departements").charger(apps, None)


@pytest.fixture
def donnees_59(db, dep59):
    return peupler_bilan_59()


def demander(departement, user, captures, annee=2025):
    """``demander_bilan`` en gardant les mises en file (rappels après validation) sans les
    exécuter : leur nombre est le nombre de tâches envoyées."""
    with captures(execute=False) as rappels:
        generation = demander_bilan(departement, annee, user)
    return generation, rappels


def test_une_demande_cree_une_generation_et_une_tache(
    donnees_59, dep59, secretariat59, django_capture_on_commit_callbacks
):
    generation, rappels = demander(dep59, secretariat59, django_capture_on_commit_callbacks)
    assert generation.issue == "nouvelle"
    assert len(rappels) == 1
    assert generation.etat == EtatGeneration.EN_ATTENTE
    assert generation.demandee_par == secretariat59
    assert generation.task_id
    assert len(generation.empreinte) == 64


def test_la_tache_ecrit_le_pdf_et_le_json(donnees_59, dep59, secretariat59):
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    resultat = generer.apply(args=[generation.pk])
    assert resultat.successful(), resultat.traceback
    generation.refresh_from_db()
    assert generation.etat == EtatGeneration.TERMINEE
    assert generation.progression == 100
    assert generation.commencee_le and generation.terminee_le
    assert generation.tentatives == 1
    pdf = tasks.lire(generation.fichier_pdf)
    assert pdf.startswith(b"%PDF-")
    assert generation.taille == len(pdf)
    assert generation.pages == len(PdfReader(io.BytesIO(pdf)).pages) >= 5
    # Le JSON, ce sont les indicateurs clas-bilan/1, les mêmes que le calcul.
    assert json.loads(tasks.lire(generation.fichier_json)) == calculer_indicateurs("59", 2025)
    # Noms de stockage aléatoires, rien du département ni de l'année.
    assert generation.fichier_pdf.name.startswith("bilans/")
    assert generation.nom_fichier("pdf") == "bilan-59-2025-2026.pdf"


def test_donnees_inchangees_meme_generation_sans_nouvelle_tache(
    donnees_59, dep59, secretariat59, django_capture_on_commit_callbacks
):
    premiere = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    construire(premiere.pk)
    generation, rappels = demander(dep59, secretariat59, django_capture_on_commit_callbacks)
    assert generation.pk == premiere.pk
    assert generation.issue == "existante"
    assert rappels == []
    assert GenerationBilan.objects.count() == 1


def test_donnees_changees_nouvelle_generation_anciens_fichiers_gardes(
    donnees_59, dep59, secretariat59, django_capture_on_commit_callbacks
):
    premiere = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    construire(premiere.pk)
    premiere.refresh_from_db()
    # Le bilan en brouillon du collectif « Les Lucioles » est soumis : les chiffres changent.
    BilanAction.objects.filter(statut=BilanAction.Statut.BROUILLON).update(
        statut=BilanAction.Statut.SOUMIS
    )
    seconde, rappels = demander(dep59, secretariat59, django_capture_on_commit_callbacks)
    assert seconde.issue == "nouvelle"
    assert seconde.pk != premiere.pk
    assert seconde.empreinte != premiere.empreinte
    assert len(rappels) == 1
    construire(seconde.pk)
    seconde.refresh_from_db()
    assert seconde.etat == EtatGeneration.TERMINEE
    assert default_storage.exists(premiere.fichier_pdf.name)
    assert default_storage.exists(seconde.fichier_pdf.name)
    assert json.loads(tasks.lire(seconde.fichier_json))["enfants_inscrits"] == 51


def test_demande_pendant_une_generation_en_cours_rend_celle_ci(
    donnees_59, dep59, secretariat59, agent59, django_capture_on_commit_callbacks
):
    """Le chemin du second clic : l'insertion est refusée par la contrainte d'unicité partielle
    de la base (IntegrityError), et la demande rend la génération en cours."""
    premiere, rappels_1 = demander(dep59, secretariat59, django_capture_on_commit_callbacks)
    seconde, rappels_2 = demander(dep59, agent59, django_capture_on_commit_callbacks)
    assert seconde.pk == premiere.pk
    assert seconde.issue == "en_cours"
    assert len(rappels_1) == 1 and rappels_2 == []
    assert GenerationBilan.objects.count() == 1


def test_la_base_refuse_deux_generations_en_cours(donnees_59, dep59):
    GenerationBilan.objects.create(departement=dep59, annee=2025, empreinte="a" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        GenerationBilan.objects.create(
            departement=dep59, annee=2025, empreinte="b" * 64, etat=EtatGeneration.EN_COURS
        )
    # Le bilan national a sa propre place (un département nul n'est pas une valeur).
    GenerationBilan.objects.create(departement=None, annee=2025, empreinte="c" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        GenerationBilan.objects.create(departement=None, annee=2025, empreinte="d" * 64)


def test_la_base_refuse_deux_generations_terminees_identiques(donnees_59, dep59):
    GenerationBilan.objects.create(
        departement=dep59, annee=2025, empreinte="e" * 64, etat=EtatGeneration.TERMINEE
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        GenerationBilan.objects.create(
            departement=dep59, annee=2025, empreinte="e" * 64, etat=EtatGeneration.TERMINEE
        )
    # D'autres données, ou une autre année : permis.
    GenerationBilan.objects.create(
        departement=dep59, annee=2025, empreinte="f" * 64, etat=EtatGeneration.TERMINEE
    )
    GenerationBilan.objects.create(
        departement=dep59, annee=2024, empreinte="e" * 64, etat=EtatGeneration.TERMINEE
    )


def test_tache_idempotente_sur_une_generation_terminee(donnees_59, dep59, secretariat59):
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    construire(generation.pk)
    generation.refresh_from_db()
    avant = (generation.fichier_pdf.name, generation.terminee_le, generation.tentatives)
    assert construire(generation.pk)["etat"] == EtatGeneration.TERMINEE
    generation.refresh_from_db()
    assert (generation.fichier_pdf.name, generation.terminee_le, generation.tentatives) == avant


def test_reprise_apres_un_worker_tue(donnees_59, dep59, secretariat59):
    """Un worker tué a laissé la ligne « en cours » et un PDF à moitié écrit : la reprise efface
    ce reste et écrit des fichiers complets."""
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    reste = default_storage.save("bilans/ab/reste-interrompu.pdf", ContentFile(b"%PDF-1.7\n%tronq"))
    GenerationBilan.objects.filter(pk=generation.pk).update(
        etat=EtatGeneration.EN_COURS, progression=40, tentatives=1, fichier_pdf=reste
    )
    construire(generation.pk)
    generation.refresh_from_db()
    assert generation.etat == EtatGeneration.TERMINEE
    assert generation.tentatives == 2
    assert not default_storage.exists(reste)
    pdf = tasks.lire(generation.fichier_pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == generation.pages


def test_trop_d_interruptions_la_generation_echoue(donnees_59, dep59, secretariat59):
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    GenerationBilan.objects.filter(pk=generation.pk).update(
        etat=EtatGeneration.EN_COURS, tentatives=TENTATIVES_MAX
    )
    construire(generation.pk)
    generation.refresh_from_db()
    assert generation.etat == EtatGeneration.ECHEC
    assert "interrompue" in generation.erreur
    # La place est libre : une nouvelle demande crée une nouvelle génération.
    assert demander_bilan(dep59, 2025, secretariat59, en_file=False).issue == "nouvelle"


def test_une_exection_depassee_ne_termine_pas_la_generation(donnees_59, dep59, secretariat59):
    """Deux exécutions sur la même génération (commande et worker) : la plus récente fait foi,
    l'autre efface ses fichiers."""
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    ancienne = tasks._reprendre(generation.pk)
    construire(generation.pk)  # une exécution plus récente, menée à terme
    generation.refresh_from_db()
    assert generation.etat == EtatGeneration.TERMINEE
    assert ancienne._la_mienne().update(etape="x") == 0
    assert generation.fichier_pdf.name != ancienne.nom_pdf


def test_generation_abandonnee_sans_nouvelles(donnees_59, dep59, secretariat59):
    bloquee = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    GenerationBilan.objects.filter(pk=bloquee.pk).update(
        actualisee_le=timezone.now() - datetime.timedelta(hours=2)
    )
    nouvelle = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    assert nouvelle.issue == "nouvelle"
    bloquee.refresh_from_db()
    assert bloquee.etat == EtatGeneration.ECHEC


def test_file_injoignable_la_generation_attend_dans_la_boite_d_envoi(
    donnees_59, dep59, secretariat59, settings, django_capture_on_commit_callbacks
):
    """Le broker ne répond pas : la génération reste « en attente » et sa tâche dans la boîte
    d'envoi ; le relais planifié la publiera au retour du broker (tests/fiabilite)."""
    from fiabilite.models import TacheDifferee

    settings.CLAS_TACHES_SYNCHRONES = False
    ancien = app.conf.get("broker_write_url"), app.conf.broker_connection_timeout
    # L'écriture vers un port où rien n'écoute (prioritaire sur broker_url, même s'il vient de
    # l'environnement).
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    app.conf.broker_connection_timeout = 1
    oublier_connexions()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            generation = demander_bilan(dep59, 2025, secretariat59)
    finally:
        app.conf.broker_write_url, app.conf.broker_connection_timeout = ancien
        oublier_connexions()
    generation.refresh_from_db()
    assert generation.etat == EtatGeneration.EN_ATTENTE
    ligne = TacheDifferee.objects.get(nom_tache="bilans.generer")
    assert ligne.arguments == [generation.pk]
    assert ligne.envoyee_le is None and ligne.executee_le is None
    assert generation.task_id == ligne.task_id


def test_visible_to(donnees_59, dep59, dep23, secretariat59, agent59, agent23, admin_national):
    g59 = GenerationBilan.objects.create(departement=dep59, annee=2025, empreinte="1" * 64)
    g23 = GenerationBilan.objects.create(departement=dep23, annee=2025, empreinte="2" * 64)
    gfr = GenerationBilan.objects.create(departement=None, annee=2025, empreinte="3" * 64)
    porteur = UtilisateurFactory()
    assert set(GenerationBilan.objects.visible_to(secretariat59)) == {g59}
    assert set(GenerationBilan.objects.visible_to(agent59)) == {g59}
    assert set(GenerationBilan.objects.visible_to(agent23)) == {g23}
    assert set(GenerationBilan.objects.visible_to(admin_national)) == {g59, g23, gfr}
    assert not GenerationBilan.objects.visible_to(porteur).exists()


# --- Concurrence réelle : deux demandes au même instant (PostgreSQL) -----------------------------


@pytest.fixture
def file_isolee(tmp_path):
    """Les messages envoyés par le test vont dans une file à lui (broker filesystem : des
    dossiers temporaires ; Redis : vidé à la fin), et on les compte."""
    envoyees = []

    def compter(sender=None, headers=None, **kwargs):
        if sender == "bilans.generer":
            envoyees.append(headers.get("id") if headers else None)

    with broker_isole(tmp_path):
        before_task_publish.connect(compter, weak=False)
        try:
            yield envoyees
        finally:
            before_task_publish.disconnect(compter)
            if not app.conf.broker_url.startswith("filesystem://"):
                app.control.purge()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="deux connexions simultanées : vérifié sur PostgreSQL (CI) ; sur SQLite, le chemin "
    "de l'IntegrityError est vérifié ci-dessus",
)
@pytest.mark.django_db(transaction=True)
def test_deux_demandes_simultanees_une_ligne_une_tache(
    donnees_de_reference, dep59, secretariat59, file_isolee, settings
):
    from django.db import connections

    settings.CLAS_TACHES_SYNCHRONES = False  # publiée par le broker : on compte les messages
    peupler_bilan_59()
    depart = threading.Barrier(2)
    resultats, erreurs = [], []

    def demande():
        try:
            depart.wait(timeout=10)
            resultats.append(demander_bilan(dep59, 2025, secretariat59))
        except Exception as exc:  # noqa: BLE001
            erreurs.append(exc)
        finally:
            connections.close_all()

    fils = [threading.Thread(target=demande) for _ in range(2)]
    for fil in fils:
        fil.start()
    for fil in fils:
        fil.join(timeout=60)
    assert erreurs == []
    assert len({g.pk for g in resultats}) == 1
    assert GenerationBilan.objects.count() == 1
    assert sorted(g.issue for g in resultats) == ["en_cours", "nouvelle"]
    assert file_isolee == [resultats[0].task_id]
