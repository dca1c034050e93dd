"""Le périmètre de chaque rôle, décidé en un seul endroit par modèle : ``visible_to(user)``."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from collectifs.models import Collectif, Creneau, Intervenant
from comptes.models import Departement, Utilisateur
from dossiers.models import Dossier
from porteurs.models import Membre, Porteur
from seances.models import BilanAction
from tests.factories import (
    BilanActionFactory,
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    IntervenantFactory,
    MembreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def monde(dossier_59, dossier_23, porteur_user):
    """Deux dossiers déposés (59 et 23), un brouillon dans le 59, chacun avec ses objets."""
    brouillon_59 = DossierFactory(porteur=dossier_59.porteur)
    objets = {}
    for nom, dossier in [("d59", dossier_59), ("d23", dossier_23), ("b59", brouillon_59)]:
        collectif = CollectifFactory(dossier=dossier)
        objets[nom] = {
            "dossier": dossier,
            "collectif": collectif,
            "creneau": CreneauFactory(collectif=collectif),
            "intervenant": IntervenantFactory(dossier=dossier),
            "bilan": BilanActionFactory(collectif=collectif),
        }
    MembreFactory(porteur=dossier_23.porteur)
    return objets


MODELES = {
    "dossier": Dossier,
    "collectif": Collectif,
    "creneau": Creneau,
    "intervenant": Intervenant,
    "bilan": BilanAction,
}


def visibles(user, modele):
    return set(modele.objects.visible_to(user).values_list("pk", flat=True))


def attendus(monde, noms, cle):
    return {monde[n][cle].pk for n in noms}


@pytest.mark.parametrize("cle", MODELES)
def test_agent_voit_son_departement_hors_brouillons(monde, agent59, agent23, cle):
    assert visibles(agent59, MODELES[cle]) == attendus(monde, ["d59"], cle)
    assert visibles(agent23, MODELES[cle]) == attendus(monde, ["d23"], cle)


@pytest.mark.parametrize("cle", MODELES)
def test_secretariat_voit_son_departement(monde, secretariat59, cle):
    assert visibles(secretariat59, MODELES[cle]) == attendus(monde, ["d59"], cle)


@pytest.mark.parametrize("cle", MODELES)
def test_porteur_voit_ses_dossiers_brouillons_compris(monde, porteur_user, cle):
    assert visibles(porteur_user, MODELES[cle]) == attendus(monde, ["d59", "b59"], cle)


@pytest.mark.parametrize("cle", MODELES)
def test_admin_voit_tout(monde, admin_national, cle):
    assert visibles(admin_national, MODELES[cle]) == attendus(monde, ["d59", "d23", "b59"], cle)


@pytest.mark.parametrize("modele", [*MODELES.values(), Porteur, Membre, Utilisateur, Departement])
def test_anonyme_ne_voit_rien(monde, modele):
    assert not modele.objects.visible_to(AnonymousUser()).exists()


@pytest.mark.parametrize("cle", MODELES)
def test_compte_desactive_ne_voit_rien(monde, porteur_user, cle):
    porteur_user.is_active = False
    porteur_user.save()
    assert visibles(porteur_user, MODELES[cle]) == set()


def test_porteurs_visibles(monde, porteur_user, agent59, agent23, admin_national):
    p59 = monde["d59"]["dossier"].porteur
    p23 = monde["d23"]["dossier"].porteur
    assert visibles(porteur_user, Porteur) == {p59.pk}
    assert visibles(agent59, Porteur) == {p59.pk}
    assert visibles(agent23, Porteur) == {p23.pk}
    assert visibles(admin_national, Porteur) == {p59.pk, p23.pk}


def test_porteur_d_un_autre_departement_ayant_depose_dans_le_mien(monde, agent23):
    """Un porteur du Nord qui dépose dans la Creuse est visible de l'agent de la Creuse."""
    porteur_59 = monde["d59"]["dossier"].porteur
    DossierFactory(porteur=porteur_59, departement_id="23", depose=True)
    assert porteur_59.pk in visibles(agent23, Porteur)
    assert Porteur.objects.visible_to(agent23).filter(pk=porteur_59.pk).count() == 1


def test_membres_visibles(monde, porteur_user, agent23):
    mes_membres = visibles(porteur_user, Membre)
    assert mes_membres == set(
        Membre.objects.filter(porteur=monde["d59"]["dossier"].porteur).values_list("pk", flat=True)
    )
    assert visibles(agent23, Membre) == set(
        Membre.objects.filter(porteur=monde["d23"]["dossier"].porteur).values_list("pk", flat=True)
    )


def test_utilisateurs_visibles(porteur_user, agent59, admin_national):
    assert visibles(porteur_user, Utilisateur) == {porteur_user.pk}
    assert visibles(admin_national, Utilisateur) >= {porteur_user.pk, agent59.pk}


class TestUrls:
    def test_agent_59_recoit_404_sur_un_dossier_du_23(self, client, monde, agent59):
        client.force_login(agent59)
        url = reverse("dossiers:detail", args=[monde["d23"]["dossier"].pk])
        assert client.get(url).status_code == 404
        assert (
            client.get(reverse("dossiers:detail", args=[monde["d59"]["dossier"].pk])).status_code
            == 200
        )

    def test_agent_recoit_404_sur_un_brouillon_de_son_departement(self, client, monde, agent59):
        client.force_login(agent59)
        assert (
            client.get(reverse("dossiers:detail", args=[monde["b59"]["dossier"].pk])).status_code
            == 404
        )

    def test_porteur_recoit_404_sur_le_dossier_d_un_autre(self, client, monde, porteur_user):
        client.force_login(porteur_user)
        autre = DossierFactory(depose=True)  # même département, autre organisation
        assert client.get(reverse("dossiers:detail", args=[autre.pk])).status_code == 404
        assert (
            client.get(reverse("dossiers:detail", args=[monde["d23"]["dossier"].pk])).status_code
            == 404
        )
        assert (
            client.get(reverse("dossiers:detail", args=[monde["b59"]["dossier"].pk])).status_code
            == 200
        )

    def test_la_liste_ne_montre_que_le_perimetre(self, client, monde, agent59):
        client.force_login(agent59)
        page = client.get(reverse("dossiers:liste"))
        assert list(page.context["dossiers"]) == [monde["d59"]["dossier"]]

    def test_anonyme_redirige_vers_la_connexion(self, client, monde):
        url = reverse("dossiers:detail", args=[monde["d59"]["dossier"].pk])
        reponse = client.get(url)
        assert reponse.status_code == 302
        assert reponse.url.startswith(reverse("connexion"))

    def test_porteur_n_a_pas_acces_aux_bilans(self, client, porteur_user):
        client.force_login(porteur_user)
        assert client.get(reverse("bilans:index")).status_code == 403
