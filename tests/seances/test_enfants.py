"""Enfants d'un collectif, sous pseudonyme : ajout, modification, suppression, validation, notice."""

import datetime
import html

import pytest
from django.urls import reverse

from dossiers.models import Etat
from seances.models import Enfant, Presence, Seance
from seances.registre import effectifs_enfants, probleme_de_pseudonyme
from tests.factories import CollectifFactory, DossierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier_accepte(membre):
    return DossierFactory(porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE)


@pytest.fixture
def collectif(dossier_accepte):
    return CollectifFactory(dossier=dossier_accepte, classes=["CM1", "CM2"], nombre_enfants=10)


@pytest.fixture
def porteur_client(client, porteur_user):
    client.force_login(porteur_user)
    return client


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


def donnees(**kwargs):
    return {
        "code": "AB-01",
        "classe": "CM1",
        "sexe": "F",
        "code_famille": "F-01",
        "inscrit_le": "",
        "sorti_le": "",
        **kwargs,
    }


def enfant(collectif, code, sexe="F", famille="F-01", classe="CM1", **kwargs):
    return Enfant.objects.create(
        collectif=collectif, code=code, sexe=sexe, code_famille=famille, classe=classe, **kwargs
    )


def test_page_affiche_la_notice_les_effectifs_et_la_liste(
    porteur_client, collectif, django_assert_max_num_queries
):
    for i in range(12):
        enfant(collectif, f"AB-{i:02d}", sexe="F" if i % 3 else "G", famille=f"F-{i // 2}")
    with django_assert_max_num_queries(8):
        reponse = porteur_client.get(reverse("seances:enfants", args=[collectif.pk]))
    assert reponse.status_code == 200
    page = texte(reponse)
    assert "Pourquoi des codes et jamais de noms" in page
    assert "N'indiquez jamais le nom, la date de naissance ni l'adresse" in page
    assert "RGPD" in page
    eff = reponse.context["effectifs"]
    assert eff == {"enfants": 12, "filles": 8, "garcons": 4, "familles": 6}
    assert eff == effectifs_enfants(collectif)
    assert "sur 10 prévus" in page
    assert page.count('href="/activite/enfants/') == 24  # modifier + supprimer


def test_page_vide(porteur_client, collectif):
    reponse = porteur_client.get(reverse("seances:enfants", args=[collectif.pk]))
    assert "Aucun enfant n'est encore enregistré" in texte(reponse)


def test_ajouter_un_enfant(porteur_client, collectif):
    reponse = porteur_client.post(
        reverse("seances:enfants", args=[collectif.pk]),
        donnees(inscrit_le="2025-11-10"),
        follow=True,
    )
    assert reponse.redirect_chain[-1][0] == reverse("seances:enfants", args=[collectif.pk])
    e = Enfant.objects.get(collectif=collectif)
    assert (e.code, e.classe, e.sexe, e.code_famille) == ("AB-01", "CM1", "F", "F-01")
    assert e.inscrit_le == datetime.date(2025, 11, 10)
    assert "L'enfant « AB-01 » est ajouté" in texte(reponse)


def test_code_deja_utilise_refuse_avec_un_message_sur_le_champ(porteur_client, collectif):
    enfant(collectif, "AB-01")
    reponse = porteur_client.post(
        reverse("seances:enfants", args=[collectif.pk]), donnees(code="ab-01")
    )
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["code"] == [
        "« Code de l'enfant » : le code « ab-01 » est déjà utilisé dans ce collectif."
    ]
    assert reponse.context["erreurs"][0]["ancre"] == "id_code"
    assert Enfant.objects.count() == 1


def test_meme_code_dans_un_autre_collectif_accepte(porteur_client, collectif):
    autre = CollectifFactory(dossier=collectif.dossier)
    enfant(autre, "AB-01")
    porteur_client.post(reverse("seances:enfants", args=[collectif.pk]), donnees())
    assert Enfant.objects.filter(code="AB-01").count() == 2


@pytest.mark.parametrize(
    "code",
    ["Léa Martin", "Dupont", "lucas 3", "Zoé-02", "AB 03/09/2016", "AB-3.9.16", "2016-09-03"],
)
def test_code_qui_ressemble_a_un_nom_ou_a_une_date_refuse(porteur_client, collectif, code):
    reponse = porteur_client.post(
        reverse("seances:enfants", args=[collectif.pk]), donnees(code=code)
    )
    erreurs = reponse.context["form"].errors["code"]
    assert erreurs and erreurs[0].startswith("« Code de l'enfant » : ")
    assert "AB-01" in erreurs[0]  # l'exemple d'un bon code
    assert not Enfant.objects.exists()


@pytest.mark.parametrize("code", ["AB-01", "MDL3", "C12", "ÉL-4", "AB", "GS 07"])
def test_codes_acceptes(code):
    assert probleme_de_pseudonyme(code) is None


def test_code_famille_qui_ressemble_a_un_nom_refuse(porteur_client, collectif):
    reponse = porteur_client.post(
        reverse("seances:enfants", args=[collectif.pk]), donnees(code_famille="Famille Dupont")
    )
    assert reponse.context["form"].errors["code_famille"][0].startswith("« Code famille » : ")
    assert not Enfant.objects.exists()


def test_champs_obligatoires_et_dates(porteur_client, collectif):
    reponse = porteur_client.post(
        reverse("seances:enfants", args=[collectif.pk]),
        donnees(sexe="", classe="", inscrit_le="2026-03-01", sorti_le="2026-01-10"),
    )
    erreurs = reponse.context["form"].errors
    assert erreurs["sexe"] == ["« Sexe » : ce champ est obligatoire."]
    assert erreurs["classe"] == ["« Classe » : ce champ est obligatoire."]
    assert erreurs["sorti_le"] == [
        "« Sorti du collectif le » : la date de sortie précède la date d'inscription."
    ]
    assert not Enfant.objects.exists()
    reponse = porteur_client.post(
        reverse("seances:enfants", args=[collectif.pk]), donnees(inscrit_le="2024-10-01")
    )
    assert reponse.context["form"].errors["inscrit_le"] == [
        "« Inscrit le » : la date doit être dans l'année scolaire 2025-2026, "
        "du 1er septembre 2025 au 31 août 2026."
    ]


def test_classe_hors_du_collectif_acceptee_avec_un_avertissement(porteur_client, collectif):
    reponse = porteur_client.post(
        reverse("seances:enfants", args=[collectif.pk]), donnees(classe="CE1"), follow=True
    )
    assert Enfant.objects.get().classe == "CE1"
    page = texte(reponse)
    assert "La classe CE1 n'est pas parmi celles prévues pour ce collectif (CM1, CM2)" in page
    assert "hors des classes du collectif" in page


def test_modifier_un_enfant(porteur_client, collectif):
    e = enfant(collectif, "AB-01")
    enfant(collectif, "AB-02")
    url = reverse("seances:enfant_modifier", args=[e.pk])
    assert porteur_client.get(url).status_code == 200
    reponse = porteur_client.post(url, donnees(code="AB-02"))
    assert reponse.context["form"].errors["code"]
    reponse = porteur_client.post(url, donnees(code="AB-01", sorti_le="2026-02-01"))
    assert reponse.status_code == 302
    e.refresh_from_db()
    assert e.sorti_le == datetime.date(2026, 2, 1)


def test_supprimer_un_enfant_sans_presence_apres_confirmation(porteur_client, collectif):
    e = enfant(collectif, "AB-01")
    url = reverse("seances:enfant_supprimer", args=[e.pk])
    reponse = porteur_client.get(url)
    assert "Supprimer l'enfant" in texte(reponse)
    assert Enfant.objects.filter(pk=e.pk).exists()
    reponse = porteur_client.post(url)
    assert reponse.status_code == 302
    assert not Enfant.objects.filter(pk=e.pk).exists()


def test_supprimer_un_enfant_deja_note_refuse_et_propose_la_sortie(porteur_client, collectif):
    e = enfant(collectif, "AB-01")
    seance = Seance.objects.create(
        collectif=collectif, date=datetime.date(2025, 11, 4), duree_minutes=90
    )
    Presence.objects.create(seance=seance, enfant=e, present=True)
    url = reverse("seances:enfant_supprimer", args=[e.pk])
    page = texte(porteur_client.get(url))
    assert "sorti du collectif le" in page
    assert reverse("seances:enfant_modifier", args=[e.pk]) in page
    assert '<button type="submit" class="btn btn-danger">' not in page
    reponse = porteur_client.post(url)
    assert reponse.status_code == 409
    assert Enfant.objects.filter(pk=e.pk).exists()
    assert Presence.objects.count() == 1


def test_dossier_non_accepte_404_avec_explication(porteur_client, membre):
    dossier = DossierFactory(porteur=membre.porteur, depose=True, complet=True)
    collectif = CollectifFactory(dossier=dossier)
    reponse = porteur_client.get(reverse("seances:enfants", args=[collectif.pk]))
    assert reponse.status_code == 404
    assert "s'ouvrent quand la Caf a accepté le dossier" in texte(reponse)
    reponse = porteur_client.post(reverse("seances:enfants", args=[collectif.pk]), donnees())
    assert reponse.status_code == 404
    assert not Enfant.objects.exists()
