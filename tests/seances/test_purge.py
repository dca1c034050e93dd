"""Purge des données par enfant après le bilan : délai, agrégats gardés, trace, idempotence,
tâche Celery planifiée, commande."""

import datetime
import logging
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from clas_portal.celery import app
from seances import purge
from seances.bilan import preremplir
from seances.models import BilanAction, Enfant, Presence, PurgeDonneesEnfants, Seance
from seances.registre import taux_presence_collectif
from seances.tasks import purger_donnees_enfants as tache_purge
from tests.clas_portal.test_celery import worker  # noqa: F401 — la fixture du vrai worker
from tests.factories import CollectifFactory
from tests.outils_celery import resultat_de
from tests.seances.test_bilan import accepter, bilan_soumis, construire_registre

SOUMIS_LE = datetime.datetime(2026, 7, 1, 18, 0, tzinfo=datetime.UTC)


def apres(jours: float) -> datetime.datetime:
    return SOUMIS_LE + datetime.timedelta(days=jours)


@pytest.fixture
def collectif(dossier_59):
    accepter(dossier_59)
    collectif = CollectifFactory(dossier=dossier_59, nom="CM1-CM2 du mardi")
    construire_registre(collectif)
    bilan_soumis(collectif, soumis_le=SOUMIS_LE)
    return collectif


def photo_agregats(collectif) -> dict:
    bilan = BilanAction.objects.get(collectif=collectif)
    return {
        "seances": list(
            Seance.objects.filter(collectif=collectif)
            .order_by("pk")
            .values_list("pk", "statut", "nombre_inscrits", "nombre_presents")
        ),
        "bilan": {c: getattr(bilan, c) for c in ("enfants_inscrits", "familles", "taux_presence")},
        "taux": taux_presence_collectif(collectif),
        "actions_parents": collectif.actions_parents.count(),
        "rencontres_ecole": collectif.rencontres_ecole.count(),
    }


@pytest.mark.django_db
class TestPurge:
    def test_rien_avant_le_delai(self, collectif):
        delai = settings.CLAS_DELAI_PURGE_ENFANTS_JOURS
        assert purge.purger_donnees_enfants(maintenant=apres(delai - 1)) == []
        assert Enfant.objects.filter(collectif=collectif).count() == 7
        assert Presence.objects.filter(seance__collectif=collectif).count() == 28
        assert not PurgeDonneesEnfants.objects.exists()

    def test_apres_le_delai_lignes_par_enfant_supprimees_agregats_gardes(self, collectif, caplog):
        avant = photo_agregats(collectif)
        delai = settings.CLAS_DELAI_PURGE_ENFANTS_JOURS
        with caplog.at_level(logging.INFO, logger="clas.purge"):
            (faite,) = purge.purger_donnees_enfants(maintenant=apres(delai + 1))

        assert not Enfant.objects.filter(collectif=collectif).exists()
        assert not Presence.objects.filter(seance__collectif=collectif).exists()
        assert photo_agregats(collectif) == avant
        assert avant["taux"] == Decimal("0.7857")
        trace = PurgeDonneesEnfants.objects.get()
        assert trace == faite
        assert (trace.collectif, trace.enfants_supprimes, trace.presences_supprimees) == (
            collectif,
            7,
            28,
        )
        assert trace.bilan_soumis_le == SOUMIS_LE
        (message,) = [r for r in caplog.records if r.name == "clas.purge"]
        assert message.levelno == logging.INFO
        assert "7 enfant(s), 28 présence(s)" in message.getMessage()

    def test_idempotente(self, collectif):
        moment = apres(settings.CLAS_DELAI_PURGE_ENFANTS_JOURS + 1)
        assert len(purge.purger_donnees_enfants(maintenant=moment)) == 1
        assert purge.purger_donnees_enfants(maintenant=moment) == []
        assert purge.purger_collectif(collectif.pk, moment) is None
        assert PurgeDonneesEnfants.objects.count() == 1

    def test_le_delai_vient_des_reglages(self, collectif, settings):
        settings.CLAS_DELAI_PURGE_ENFANTS_JOURS = 10
        assert purge.purger_donnees_enfants(maintenant=apres(9)) == []
        assert len(purge.purger_donnees_enfants(maintenant=apres(11))) == 1

    @pytest.mark.parametrize("statut", ["brouillon", "a_corriger"])
    def test_pas_de_purge_si_bilan_non_soumis(self, collectif, statut):
        BilanAction.objects.filter(collectif=collectif).update(statut=statut)
        assert purge.purger_donnees_enfants(maintenant=apres(1000)) == []
        assert Enfant.objects.filter(collectif=collectif).count() == 7

    def test_pas_de_purge_sans_bilan(self, dossier_59):
        accepter(dossier_59)
        sans_bilan = CollectifFactory(dossier=dossier_59)
        construire_registre(sans_bilan)
        assert purge.purger_donnees_enfants(maintenant=apres(1000)) == []
        assert Enfant.objects.filter(collectif=sans_bilan).count() == 7

    def test_seuls_les_collectifs_concernes(self, collectif):
        recent = CollectifFactory(dossier=collectif.dossier)
        construire_registre(recent)
        bilan_soumis(recent, soumis_le=apres(60))
        moment = apres(settings.CLAS_DELAI_PURGE_ENFANTS_JOURS + 1)
        (faite,) = purge.purger_donnees_enfants(maintenant=moment)
        assert faite.collectif == collectif
        assert Enfant.objects.filter(collectif=recent).count() == 7

    def test_agregats_manquants_completes_avant_suppression(self, collectif):
        seance = Seance.objects.filter(collectif=collectif, statut="realisee").first()
        Seance.objects.filter(pk=seance.pk).update(nombre_inscrits=None, nombre_presents=None)
        presents = Presence.objects.filter(seance=seance, present=True).count()
        purge.purger_donnees_enfants(maintenant=apres(1000))
        seance.refresh_from_db()
        assert (seance.nombre_inscrits, seance.nombre_presents) == (7, presents)

    def test_le_bilan_reste_lisible_et_le_preremplissage_garde_les_agregats(self, collectif):
        purge.purger_donnees_enfants(maintenant=apres(1000))
        calcule = preremplir(collectif)
        assert calcule["seances_realisees"] == 4
        assert calcule["taux_presence"] == Decimal("0.7857")
        assert calcule["enfants_inscrits"] == 0  # d'où : le formulaire garde le chiffre enregistré
        assert BilanAction.objects.get(collectif=collectif).enfants_inscrits == 7


@pytest.mark.django_db
class TestTacheEtCommande:
    def test_tache_planifiee_declaree(self):
        taches = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
        assert "seances.purger_donnees_enfants" in taches
        # Ce que fait un worker au démarrage : découvrir les tâches des applications.
        app.loader.import_default_modules()
        assert "seances.purger_donnees_enfants" in app.tasks
        assert app.tasks["seances.purger_donnees_enfants"].__module__ == "seances.tasks"

    def test_tache_executee(self, collectif, settings):
        settings.CLAS_DELAI_PURGE_ENFANTS_JOURS = 0  # le bilan de test est daté de 2026-07-01
        resultat = tache_purge.apply()
        assert resultat.successful()
        assert resultat.get() == {
            "collectifs": 1,
            "enfants_supprimes": 7,
            "presences_supprimees": 28,
        }
        assert not Enfant.objects.filter(collectif=collectif).exists()
        # Relancée : rien de plus.
        assert tache_purge.apply().get()["collectifs"] == 0

    def test_commande(self, collectif, settings):
        settings.CLAS_DELAI_PURGE_ENFANTS_JOURS = 0
        sortie = StringIO()
        call_command("purger_donnees_enfants", stdout=sortie)
        texte = sortie.getvalue()
        assert "CM1-CM2 du mardi" in texte
        assert "7 enfant(s) et 28 présence(s) supprimés" in texte
        sortie = StringIO()
        call_command("purger_donnees_enfants", stdout=sortie)
        assert "Aucune donnée à purger." in sortie.getvalue()
        assert timezone.now() > SOUMIS_LE


@pytest.mark.slow
@pytest.mark.usefixtures("worker", "donnees_de_reference_transactionnelles")
def test_tache_passe_par_un_vrai_worker(dossier_59, settings):
    """Par le broker configuré et un vrai worker, comme la lancerait Celery beat."""
    accepter(dossier_59)
    collectif = CollectifFactory(dossier=dossier_59)
    construire_registre(collectif)
    bilan_soumis(collectif, soumis_le=SOUMIS_LE)
    settings.CLAS_DELAI_PURGE_ENFANTS_JOURS = 0
    resultat = tache_purge.delay()
    assert resultat_de(resultat)["enfants_supprimes"] == 7
    assert not Enfant.objects.filter(collectif=collectif).exists()
    assert PurgeDonneesEnfants.objects.filter(collectif=collectif).count() == 1
