import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from comptes.models import Departement, Role, Utilisateur, Zone
from eligibility.calendrier import ZONE_PAR_DEPARTEMENT
from tests.factories import MOT_DE_PASSE, UtilisateurFactory


@pytest.mark.django_db
class TestDepartements:
    def test_les_101_departements_sont_charges_par_migration(self):
        assert Departement.objects.count() == 101
        nord = Departement.objects.get(code="59")
        assert (nord.nom, nord.caf, nord.zone) == ("Nord", "Caf du Nord", Zone.B)
        creuse = Departement.objects.get(code="23")
        assert (creuse.caf, creuse.zone) == ("Caf de la Creuse", Zone.A)
        assert Departement.objects.filter(zone=Zone.OUTRE_MER).count() == 5
        assert set(Departement.objects.filter(zone=Zone.CORSE).values_list("code", flat=True)) == {
            "2A",
            "2B",
        }

    def test_zones_identiques_a_celles_du_moteur(self):
        """Une seule vérité : la table du moteur et la donnée de référence concordent."""
        for dep in Departement.objects.all():
            assert ZONE_PAR_DEPARTEMENT[dep.code] == dep.zone, dep.code


@pytest.mark.django_db
class TestUtilisateur:
    def test_connexion_par_email_insensible_a_la_casse(self):
        u = UtilisateurFactory(email="Camille.Martin@Exemple.fr")
        assert u.email == "Camille.Martin@Exemple.fr"  # la fabrique n'appelle pas le manager
        requete = RequestFactory().post("/connexion/")
        assert (
            authenticate(requete, username="camille.martin@exemple.fr", password=MOT_DE_PASSE) == u
        )

    def test_create_user_normalise_l_email(self):
        u = Utilisateur.objects.create_user("Jean.Dupont@EXEMPLE.FR", "x" * 12)
        assert u.email == "jean.dupont@exemple.fr"
        assert u.role == Role.PORTEUR

    def test_create_superuser_est_administrateur_national(self):
        u = Utilisateur.objects.create_superuser("root@cnaf.fr", "x" * 12)
        assert u.est_admin and u.is_staff and u.is_superuser

    def test_email_unique(self):
        UtilisateurFactory(email="a@b.fr")
        with pytest.raises(IntegrityError), transaction.atomic():
            UtilisateurFactory(email="a@b.fr")

    def test_agent_sans_departement_refuse_par_la_base(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Utilisateur.objects.create(email="agent@caf.fr", role=Role.AGENT)

    def test_porteur_avec_departement_refuse_par_la_base(self, dep59):
        with pytest.raises(IntegrityError), transaction.atomic():
            Utilisateur.objects.create(email="p@asso.fr", role=Role.PORTEUR, departement=dep59)

    def test_message_de_contrainte_en_francais(self):
        u = Utilisateur(email="agent@caf.fr", role=Role.SECRETARIAT)
        with pytest.raises(ValidationError) as exc:
            u.validate_constraints()
        assert "doit être rattaché à un département" in str(exc.value)

    def test_role_inconnu_refuse(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Utilisateur.objects.create(email="x@y.fr", role="pirate")
