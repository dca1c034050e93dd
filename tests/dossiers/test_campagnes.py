"""Campagnes de dépôt gérées par les agents de leur département."""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.forms_campagnes import annee_scolaire_en_cours
from dossiers.models import Campagne
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db

LISTE = reverse("dossiers:campagnes")
CREER = reverse("dossiers:campagne_creer")
EN_COURS = annee_scolaire_en_cours(timezone.localdate())
PROCHAINE = EN_COURS + 1


def texte(reponse):
    return html.unescape(reponse.content.decode())


def modifier(campagne):
    return reverse("dossiers:campagne_modifier", args=[campagne.pk])


def jour(annee, mois, j):
    return datetime.date(annee, mois, j)


@pytest.fixture
def campagne59(dep59):
    return Campagne.objects.create(
        departement=dep59,
        annee=PROCHAINE,
        ouverture=jour(PROCHAINE, 3, 1),
        cloture=jour(PROCHAINE, 10, 15),
    )


@pytest.fixture
def campagne23(dep23):
    return Campagne.objects.create(
        departement=dep23,
        annee=PROCHAINE,
        ouverture=jour(PROCHAINE, 4, 1),
        cloture=jour(PROCHAINE, 9, 30),
    )


def donnees(annee=PROCHAINE, ouverture=None, cloture=None, **autres):
    return {
        "annee": annee,
        "ouverture": (ouverture or jour(annee, 3, 1)).isoformat(),
        "cloture": (cloture or jour(annee, 10, 15)).isoformat(),
        **autres,
    }


# --- Liste -------------------------------------------------------------------------------------


def test_liste_de_l_agent_limitee_a_son_departement(client, agent59, campagne59, campagne23):
    DossierFactory(annee=PROCHAINE)  # un brouillon du 59
    DossierFactory(annee=PROCHAINE, depose=True)
    client.force_login(agent59)
    reponse = client.get(LISTE)
    assert reponse.status_code == 200
    assert list(reponse.context["campagnes"]) == [campagne59]
    campagne = reponse.context["campagnes"][0]
    assert (campagne.nb_deposes, campagne.nb_brouillons) == (1, 1)
    page = texte(reponse)
    assert "Nouvelle campagne" in page
    assert modifier(campagne59) in page
    assert modifier(campagne23) not in page
    assert reverse("admin:eligibility_parametresannee_changelist") not in page


def test_liste_de_l_admin_renvoie_aux_parametres(client, admin_national, campagne59, campagne23):
    client.force_login(admin_national)
    reponse = client.get(LISTE)
    assert set(reponse.context["campagnes"]) == {campagne59, campagne23}
    page = texte(reponse)
    assert reverse("admin:eligibility_parametresannee_changelist") in page
    assert "Paramètres de financement" in page
    assert "Nouvelle campagne" not in page and modifier(campagne59) not in page


def test_liste_du_secretariat_en_lecture(client, secretariat59, campagne59):
    client.force_login(secretariat59)
    reponse = client.get(LISTE)
    assert list(reponse.context["campagnes"]) == [campagne59]
    assert modifier(campagne59) not in texte(reponse)


def test_liste_vide(client, agent59):
    client.force_login(agent59)
    assert "Créer la première campagne" in texte(client.get(LISTE))


def test_porteur_refuse(client, porteur_user, campagne59):
    client.force_login(porteur_user)
    assert client.get(LISTE).status_code == 403
    assert client.get(CREER).status_code == 403
    assert client.get(modifier(campagne59)).status_code == 403


# --- Création ----------------------------------------------------------------------------------


def test_creation(client, agent59):
    client.force_login(agent59)
    formulaire = client.get(CREER)
    assert formulaire.status_code == 200
    page = texte(formulaire)
    for champ in ("annee", "ouverture", "cloture"):
        assert f'for="id_{champ}"' in page
    assert 'type="date"' in page
    reponse = client.post(CREER, donnees(), follow=True)
    campagne = Campagne.objects.get()
    assert (campagne.departement_id, campagne.annee) == ("59", PROCHAINE)
    assert (campagne.ouverture, campagne.cloture) == (
        jour(PROCHAINE, 3, 1),
        jour(PROCHAINE, 10, 15),
    )
    assert f"Campagne {PROCHAINE}-{PROCHAINE + 1} créée" in texte(reponse)


def test_creation_ignore_un_departement_fourni(client, agent59):
    client.force_login(agent59)
    client.post(CREER, donnees(departement="23"))
    assert Campagne.objects.get().departement_id == "59"


def test_cloture_avant_ouverture_refusee(client, agent59):
    client.force_login(agent59)
    reponse = client.post(
        CREER, donnees(ouverture=jour(PROCHAINE, 6, 1), cloture=jour(PROCHAINE, 5, 31))
    )
    assert reponse.status_code == 200
    page = texte(reponse)
    assert "La campagne n'a pas été enregistrée" in page
    assert "La clôture (31 mai" in page and "doit tomber le jour de l'ouverture" in page
    assert 'href="#id_cloture"' in page
    assert not Campagne.objects.exists()


def test_ouverture_et_cloture_le_meme_jour_acceptees(client, agent59):
    client.force_login(agent59)
    client.post(CREER, donnees(ouverture=jour(PROCHAINE, 6, 1), cloture=jour(PROCHAINE, 6, 1)))
    assert Campagne.objects.count() == 1


def test_une_campagne_par_annee(client, agent59, campagne59, campagne23):
    client.force_login(agent59)
    reponse = client.post(CREER, donnees())
    assert f"a déjà une campagne pour {PROCHAINE}-{PROCHAINE + 1}" in texte(reponse)
    assert Campagne.objects.filter(departement_id="59").count() == 1
    # La même année reste possible dans un autre département (ici : 23 l'a déjà, 59 aussi).
    assert Campagne.objects.filter(annee=PROCHAINE).count() == 2


def test_dates_hors_de_l_annee_scolaire_refusees(client, agent59):
    client.force_login(agent59)
    reponse = client.post(CREER, donnees(ouverture=jour(PROCHAINE - 3, 1, 1)))
    assert "la date doit se situer entre le 1er janvier" in texte(reponse)
    assert not Campagne.objects.exists()


def test_annee_hors_des_choix_refusee(client, agent59):
    client.force_login(agent59)
    reponse = client.post(CREER, donnees(annee=1990))
    assert reponse.status_code == 200
    assert not Campagne.objects.exists()


def test_dates_invalides(client, agent59):
    client.force_login(agent59)
    reponse = client.post(CREER, {"annee": PROCHAINE, "ouverture": "31/02/2026", "cloture": ""})
    page = texte(reponse)
    assert "Saisissez une date valide" in page
    assert "Ce champ est obligatoire" in page


def test_creation_reservee_aux_agents(client, secretariat59, admin_national):
    for user in (secretariat59, admin_national):
        client.force_login(user)
        assert client.post(CREER, donnees()).status_code == 403
    assert not Campagne.objects.exists()


# --- Modification, prolongation, raccourcissement ----------------------------------------------


def test_prolongation(client, agent59, campagne59):
    client.force_login(agent59)
    formulaire = client.get(modifier(campagne59))
    assert formulaire.status_code == 200
    assert "disabled" in texte(formulaire)  # l'année ne change pas
    reponse = client.post(
        modifier(campagne59), donnees(cloture=jour(PROCHAINE, 11, 30)), follow=True
    )
    campagne59.refresh_from_db()
    assert campagne59.cloture == jour(PROCHAINE, 11, 30)
    assert f"prolongée jusqu'au 30 novembre {PROCHAINE}" in texte(reponse)


def test_l_annee_d_une_campagne_ne_change_pas(client, agent59, campagne59):
    client.force_login(agent59)
    client.post(modifier(campagne59), donnees(annee=EN_COURS))
    campagne59.refresh_from_db()
    assert campagne59.annee == PROCHAINE


def test_raccourcir_avec_des_brouillons_demande_confirmation(client, agent59, campagne59):
    DossierFactory.create_batch(2, annee=PROCHAINE)  # brouillons du 59
    DossierFactory(annee=PROCHAINE, depose=True)
    client.force_login(agent59)
    plus_tot = jour(PROCHAINE, 9, 1)
    reponse = client.post(modifier(campagne59), donnees(cloture=plus_tot))
    assert reponse.status_code == 200
    page = texte(reponse)
    assert "Confirmation nécessaire" in page
    assert "2 dossiers sont encore en brouillon" in page
    assert "Je confirme avancer la clôture du 15 octobre" in page
    assert 'name="confirmer"' in page
    campagne59.refresh_from_db()
    assert campagne59.cloture == jour(PROCHAINE, 10, 15)
    reponse = client.post(
        modifier(campagne59), donnees(cloture=plus_tot, confirmer="on"), follow=True
    )
    campagne59.refresh_from_db()
    assert campagne59.cloture == plus_tot
    assert "avancée au 1er septembre" in texte(reponse)


def test_raccourcir_sans_brouillon_ne_demande_rien(client, agent59, campagne59, dep23):
    # Un brouillon d'un autre département ou d'une autre année ne compte pas.
    DossierFactory(annee=PROCHAINE, porteur__departement=dep23, porteur__code_postal="23000")
    DossierFactory(annee=EN_COURS)
    client.force_login(agent59)
    reponse = client.post(modifier(campagne59), donnees(cloture=jour(PROCHAINE, 9, 1)))
    assert reponse.status_code == 302
    campagne59.refresh_from_db()
    assert campagne59.cloture == jour(PROCHAINE, 9, 1)


def test_agent_d_un_autre_departement_recoit_404(client, agent23, campagne59):
    client.force_login(agent23)
    assert client.get(modifier(campagne59)).status_code == 404
    assert (
        client.post(modifier(campagne59), donnees(cloture=jour(PROCHAINE, 12, 1))).status_code
        == 404
    )
    campagne59.refresh_from_db()
    assert campagne59.cloture == jour(PROCHAINE, 10, 15)


def test_modification_reservee_aux_agents(client, secretariat59, admin_national, campagne59):
    for user in (secretariat59, admin_national):
        client.force_login(user)
        assert client.post(modifier(campagne59), donnees()).status_code == 403


def test_liste_nombre_de_requetes_borne(client, agent59, dep59, django_assert_max_num_queries):
    for annee in range(2005, 2045):
        Campagne.objects.create(
            departement=dep59, annee=annee, ouverture=jour(annee, 3, 1), cloture=jour(annee, 6, 1)
        )
    client.force_login(agent59)
    with django_assert_max_num_queries(6):
        reponse = client.get(LISTE)
    assert len(reponse.context["campagnes"]) == 40
