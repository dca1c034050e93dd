"""La commande ``charger_demo`` : contenu de la démo, idempotence, refus en production."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from stdnum.fr import siret as stdnum_siret

from collectifs.models import Collectif, Intervenant
from comptes.models import Role, Utilisateur
from dossiers import demo
from dossiers.models import Dossier, Etat
from porteurs.models import Porteur
from seances.models import BilanAction

COMPTES_ATTENDUS = {
    "admin@demo.clas": (Role.ADMIN, None),
    "agent.59@demo.clas": (Role.AGENT, "59"),
    "agent.23@demo.clas": (Role.AGENT, "23"),
    "secretariat.59@demo.clas": (Role.SECRETARIAT, "59"),
    "secretariat.23@demo.clas": (Role.SECRETARIAT, "23"),
    "porteur.lucioles@demo.clas": (Role.PORTEUR, None),
    "porteur.creuse@demo.clas": (Role.PORTEUR, None),
    "porteur.wattrelos@demo.clas": (Role.PORTEUR, None),
}


def charger() -> str:
    sortie = StringIO()
    call_command("charger_demo", stdout=sortie)
    return sortie.getvalue()


def photographie() -> dict:
    """Nombre de lignes de chaque modèle installé, et clés primaires des modèles de la démo."""
    comptes = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    for modele in (Utilisateur, Porteur, Dossier, Collectif, Intervenant, BilanAction):
        comptes[f"pk:{modele._meta.label}"] = sorted(
            modele._default_manager.values_list("pk", flat=True)
        )
    return comptes


@pytest.fixture
def charge(db):
    return charger()


@pytest.mark.django_db
class TestIdempotence:
    def test_charger_deux_fois_donne_les_memes_lignes(self):
        charger()
        premiere = photographie()
        charger()
        assert photographie() == premiere

    def test_un_rechargement_remet_la_demo_en_etat(self, charge):
        dossier = Dossier.objects.get(reference="DEMO-59-LUCIOLES-2025")
        collectifs = dossier.collectifs.count()
        Collectif.objects.create(dossier=dossier, ordre=7, nom="Ajouté à la main")
        dossier.intitule = "Modifié à la main"
        dossier.save()
        compte = Utilisateur.objects.get(email="agent.59@demo.clas")
        compte.set_password("un-autre-mot-de-passe")
        compte.save()

        charger()

        dossier.refresh_from_db()
        assert dossier.intitule == "Clas élémentaire du quartier de l'Épeule"
        assert dossier.collectifs.count() == collectifs
        requete = RequestFactory().post("/connexion/")  # django-axes exige la requête
        assert authenticate(requete, username="agent.59@demo.clas", password=demo.MOT_DE_PASSE_DEMO)

    def test_la_sortie_resume_le_chargement(self):
        premiere = charger()
        assert "Données de démonstration chargées." in premiere
        assert "8 créé(s)" in premiere
        assert demo.MOT_DE_PASSE_DEMO in premiere
        assert "http://127.0.0.1:8000/connexion/" in premiere
        for email in COMPTES_ATTENDUS:
            assert email in premiere
        assert "8 mis à jour" in charger()


@pytest.mark.django_db
class TestComptes:
    def test_chaque_compte_se_connecte_avec_le_mot_de_passe_de_demo(self, charge):
        requete = RequestFactory().post("/connexion/")
        for email in COMPTES_ATTENDUS:
            utilisateur = authenticate(requete, username=email, password=demo.MOT_DE_PASSE_DEMO)
            assert utilisateur is not None, email
            assert utilisateur.prenom and utilisateur.nom

    def test_roles_et_departements(self, charge):
        comptes = {
            u.email: (u.role, u.departement_id)
            for u in Utilisateur.objects.filter(email__endswith="@demo.clas")
        }
        assert comptes == COMPTES_ATTENDUS

    def test_administrateur(self, charge):
        admin = Utilisateur.objects.get(email="admin@demo.clas")
        assert admin.is_staff and admin.is_superuser

    def test_porteurs_membres_de_leur_organisation(self, charge):
        lucioles = Utilisateur.objects.get(email="porteur.lucioles@demo.clas")
        creuse = Utilisateur.objects.get(email="porteur.creuse@demo.clas")
        assert [p.raison_sociale for p in lucioles.porteurs.all()] == ["Association Les Lucioles"]
        (porteur_creuse,) = creuse.porteurs.all()
        assert porteur_creuse.departement_id == "23"
        assert porteur_creuse.forme == "association"


@pytest.mark.django_db
class TestContenu:
    def test_cinq_porteurs_dans_le_nord_et_trois_en_creuse(self, charge):
        assert Porteur.objects.filter(departement_id="59").count() == 5
        assert Porteur.objects.filter(departement_id="23").count() == 3

    def test_tous_les_siret_sont_valides(self, charge):
        sirets = list(Porteur.objects.values_list("siret", flat=True))
        assert len(sirets) == 8
        assert all(stdnum_siret.is_valid(s) for s in sirets), sirets

    def test_un_dossier_accepte_en_2024_avec_ses_bilans(self, charge):
        dossier = Dossier.objects.get(annee=2024)
        assert dossier.etat == Etat.ACCEPTE
        assert dossier.montant_accorde and dossier.date_decision
        assert dossier.collectifs.exists()
        assert BilanAction.objects.filter(collectif__dossier=dossier).count() == (
            dossier.collectifs.count()
        )

    def test_plusieurs_etats_en_2025(self, charge):
        etats = set(Dossier.objects.filter(annee=2025).values_list("etat", flat=True))
        assert {
            Etat.BROUILLON,
            Etat.DEPOSE,
            Etat.EN_INSTRUCTION,
            Etat.COMPLEMENT_DEMANDE,
            Etat.PROPOSE_COMITE,
            Etat.ACCEPTE,
            Etat.REFUSE,
        } <= etats

    def test_decisions(self, charge):
        for dossier in Dossier.objects.filter(annee=2025, etat=Etat.ACCEPTE):
            assert dossier.montant_accorde > 0 and dossier.date_decision
        for dossier in Dossier.objects.filter(etat=Etat.REFUSE):
            assert dossier.motif_decision and dossier.date_decision

    def test_dates_de_depot(self, charge):
        assert not Dossier.objects.filter(etat=Etat.BROUILLON, depose_le__isnull=False).exists()
        assert not Dossier.objects.exclude(etat=Etat.BROUILLON).filter(depose_le=None).exists()

    def test_dossiers_des_porteurs_de_demo(self, charge):
        lucioles = Dossier.objects.filter(
            porteur__membres__utilisateur__email="porteur.lucioles@demo.clas"
        )
        assert lucioles.filter(etat=Etat.BROUILLON).exists()
        assert lucioles.exclude(etat=Etat.BROUILLON).exists()
        creuse = Dossier.objects.filter(
            porteur__membres__utilisateur__email="porteur.creuse@demo.clas"
        )
        assert creuse.exclude(etat=Etat.BROUILLON).exists()

    def test_chaque_dossier_a_une_reference_et_un_a_trois_collectifs(self, charge):
        for dossier in Dossier.objects.all():
            assert dossier.reference.startswith("DEMO-")
            assert 1 <= dossier.collectifs.count() <= 3, dossier.reference
            assert dossier.departement_id == dossier.porteur.departement_id

    def test_collectifs_ruraux_en_creuse(self, charge):
        assert set(
            Collectif.objects.filter(dossier__departement_id="23").values_list("rural", flat=True)
        ) == {True}
        assert set(
            Collectif.objects.filter(dossier__departement_id="59").values_list("rural", flat=True)
        ) == {False}

    def test_intervenants_salaries_et_benevoles(self, charge):
        statuts = set(Intervenant.objects.values_list("statut", flat=True))
        assert statuts == {Intervenant.Statut.SALARIE, Intervenant.Statut.BENEVOLE}
        assert not Intervenant.objects.filter(collectifs=None).exists()

    def test_cas_imparfaits_presents(self, charge):
        # Un collectif urbain de 6 enfants (COLLECTIF-TAILLE non conforme).
        assert Collectif.objects.filter(
            dossier__departement_id="59", rural=False, nombre_enfants__lt=8
        ).exists()
        # Un dossier déposé sans coordinateur (COORDINATEUR manquant).
        assert (
            Dossier.objects.exclude(etat=Etat.BROUILLON)
            .filter(coordinateur_niveau_diplome="")
            .exists()
        )

    def test_objectifs_remplis_pour_la_plupart(self, charge):
        champs = list(demo.VARIANTES_OBJECTIFS)
        complets = [d for d in Dossier.objects.all() if all(getattr(d, champ) for champ in champs)]
        assert len(complets) >= Dossier.objects.count() - 2


class TestSiret:
    def test_siret_demo_valide(self):
        for n in range(200):
            siret = demo.siret_demo(f"{12345678 + n * 7919:08d}", f"{n:04d}")
            assert stdnum_siret.is_valid(siret), siret

    def test_cle_luhn(self):
        assert demo.siret_demo("73282932", "0007") == "73282932000074"


@pytest.mark.django_db
def test_refuse_en_production(settings):
    settings.CLAS_ENV = "production"
    with pytest.raises(CommandError, match="production"):
        charger()
    assert Utilisateur.objects.count() == 0
    assert Porteur.objects.count() == 0
    assert Dossier.objects.count() == 0
