"""Journaux d'un collectif : actions avec les parents, rencontres avec l'école."""

import datetime
import html

import pytest
from django.urls import reverse

from dossiers.models import Etat
from seances.models import ActionParents, RencontreEcole
from tests.factories import CollectifFactory, DossierFactory

pytestmark = pytest.mark.django_db

J = datetime.date


@pytest.fixture
def collectif(membre):
    dossier = DossierFactory(porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE)
    return CollectifFactory(dossier=dossier)


@pytest.fixture
def porteur_client(client, porteur_user):
    client.force_login(porteur_user)
    return client


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


def action(**kwargs):
    return {
        "formulaire": "action",
        "action-type": "reunion",
        "action-date": "2025-10-14",
        "action-nombre_parents": "7",
        "action-commentaire": "Présentation du Clas",
        **kwargs,
    }


def rencontre(**kwargs):
    return {
        "formulaire": "rencontre",
        "rencontre-date": "2025-09-30",
        "rencontre-interlocuteurs": "la directrice et l'enseignante de CM1",
        "rencontre-objet": "repérage des enfants",
        **kwargs,
    }


def test_page_vide(porteur_client, collectif):
    reponse = porteur_client.get(reverse("seances:journal", args=[collectif.pk]))
    assert reponse.status_code == 200
    page = texte(reponse)
    assert "Aucune action avec les parents n'est encore notée." in page
    assert "Aucune rencontre avec l'école n'est encore notée." in page
    assert "du 1er septembre 2025 au 31 août 2026" in page


def test_ajouter_une_action_et_une_rencontre(porteur_client, collectif):
    url = reverse("seances:journal", args=[collectif.pk])
    reponse = porteur_client.post(url, action(), follow=True)
    assert reponse.redirect_chain[-1][0] == url
    a = ActionParents.objects.get()
    assert (a.collectif, a.type, a.date, a.nombre_parents) == (
        collectif,
        "reunion",
        J(2025, 10, 14),
        7,
    )
    assert "Enregistré : réunion d'information du 14/10/2025." in texte(reponse)
    porteur_client.post(url, rencontre())
    r = RencontreEcole.objects.get()
    assert (r.collectif, r.date, r.objet) == (collectif, J(2025, 9, 30), "repérage des enfants")
    porteur_client.post(url, action(**{"action-nombre_parents": "5", "action-date": "2026-03-02"}))
    page = texte(porteur_client.get(url))
    assert "12 participations de parents au total." in page
    assert "la directrice et l'enseignante de CM1" in page


@pytest.mark.parametrize("jour", ["2025-08-31", "2026-09-01"])
def test_date_hors_de_l_annee_scolaire_refusee(porteur_client, collectif, jour):
    url = reverse("seances:journal", args=[collectif.pk])
    attendu = (
        "« Date » : la date doit être dans l'année scolaire 2025-2026, "
        "du 1er septembre 2025 au 31 août 2026."
    )
    reponse = porteur_client.post(url, action(**{"action-date": jour}))
    assert reponse.status_code == 200
    assert reponse.context["action_form"].errors["date"] == [attendu]
    assert reponse.context["erreurs"] == [{"message": attendu, "ancre": "id_action-date"}]
    reponse = porteur_client.post(url, rencontre(**{"rencontre-date": jour}))
    assert reponse.context["rencontre_form"].errors["date"] == [attendu]
    assert not ActionParents.objects.exists() and not RencontreEcole.objects.exists()


def test_bornes_de_l_annee_acceptees(porteur_client, collectif):
    url = reverse("seances:journal", args=[collectif.pk])
    porteur_client.post(url, action(**{"action-date": "2025-09-01"}))
    porteur_client.post(url, rencontre(**{"rencontre-date": "2026-08-31"}))
    assert ActionParents.objects.count() == 1 and RencontreEcole.objects.count() == 1


def test_champs_obligatoires(porteur_client, collectif):
    url = reverse("seances:journal", args=[collectif.pk])
    reponse = porteur_client.post(url, action(**{"action-type": "", "action-nombre_parents": "-1"}))
    erreurs = reponse.context["action_form"].errors
    assert erreurs["type"] == ["« Type d'action » : ce champ est obligatoire."]
    assert erreurs["nombre_parents"] == [
        "« Nombre de parents présents » : la valeur minimale est 0."
    ]
    reponse = porteur_client.post(url, rencontre(**{"rencontre-interlocuteurs": ""}))
    assert reponse.context["rencontre_form"].errors["interlocuteurs"] == [
        "« Avec qui » : ce champ est obligatoire."
    ]
    assert porteur_client.post(url, {"formulaire": "autre"}).status_code == 400
    assert not ActionParents.objects.exists() and not RencontreEcole.objects.exists()


def test_supprimer_apres_confirmation(porteur_client, collectif):
    a = ActionParents.objects.create(
        collectif=collectif, type="atelier", date=J(2025, 12, 1), nombre_parents=4
    )
    r = RencontreEcole.objects.create(collectif=collectif, date=J(2025, 12, 2), interlocuteurs="x")
    for objet, nom in (
        (a, "seances:action_parents_supprimer"),
        (r, "seances:rencontre_ecole_supprimer"),
    ):
        url = reverse(nom, args=[objet.pk])
        reponse = porteur_client.get(url)
        assert reponse.status_code == 200
        assert "Cette action est définitive" in texte(reponse)
        assert type(objet).objects.filter(pk=objet.pk).exists()
        reponse = porteur_client.post(url)
        assert reponse["Location"] == reverse("seances:journal", args=[collectif.pk])
        assert not type(objet).objects.filter(pk=objet.pk).exists()


def test_liste_paginee_et_requetes_bornees(
    porteur_client, collectif, django_assert_max_num_queries
):
    ActionParents.objects.bulk_create(
        ActionParents(
            collectif=collectif,
            type="echange",
            date=J(2025, 10, 1) + datetime.timedelta(days=i),
            nombre_parents=2,
        )
        for i in range(45)
    )
    RencontreEcole.objects.bulk_create(
        RencontreEcole(collectif=collectif, date=J(2025, 10, 1), interlocuteurs=f"enseignant {i}")
        for i in range(25)
    )
    url = reverse("seances:journal", args=[collectif.pk])
    with django_assert_max_num_queries(10):
        reponse = porteur_client.get(url)
    page = texte(reponse)
    assert "90 participations de parents au total." in page
    assert "Page 1 sur 3" in page and "Page 1 sur 2" in page
    assert len(reponse.context["page_actions"]) == 20
    reponse = porteur_client.get(url, {"page_actions": 3})
    assert len(reponse.context["page_actions"]) == 5


def test_pas_le_journal_d_un_autre_collectif(porteur_client, collectif):
    autre = CollectifFactory()  # un autre porteur
    a = ActionParents.objects.create(
        collectif=autre, type="atelier", date=J(2025, 12, 1), nombre_parents=4
    )
    assert porteur_client.get(reverse("seances:journal", args=[autre.pk])).status_code == 404
    url = reverse("seances:action_parents_supprimer", args=[a.pk])
    assert porteur_client.post(url).status_code == 404
    assert ActionParents.objects.filter(pk=a.pk).exists()
