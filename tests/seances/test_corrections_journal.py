"""Corriger une entrée des journaux (action avec les parents, rencontre avec l'école) : le
formulaire de l'ajout, prérempli ; erreurs en français avec résumé ; refusé quand le cahier est
verrouillé (bilan soumis) ; hors du périmètre : 404."""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Etat
from seances.models import ActionParents, BilanAction, RencontreEcole
from tests.factories import CollectifFactory, DossierFactory, MembreFactory

pytestmark = pytest.mark.django_db

J = datetime.date


@pytest.fixture
def collectif(membre):
    dossier = DossierFactory(porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE)
    return CollectifFactory(dossier=dossier)


@pytest.fixture
def porteur(client, porteur_user):
    client.force_login(porteur_user)
    return client


@pytest.fixture
def action(collectif):
    return ActionParents.objects.create(
        collectif=collectif,
        type="reunion",
        date=J(2025, 10, 14),
        nombre_parents=7,
        commentaire="Présentation du Clas",
    )


@pytest.fixture
def rencontre(collectif):
    return RencontreEcole.objects.create(
        collectif=collectif,
        date=J(2025, 9, 30),
        interlocuteurs="la directrice",
        objet="repérage des enfants",
    )


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


def test_liens_modifier_dans_le_journal(porteur, collectif, action, rencontre):
    contenu = texte(porteur.get(reverse("seances:journal", args=[collectif.pk])))
    assert reverse("seances:action_parents_modifier", args=[action.pk]) in contenu
    assert reverse("seances:rencontre_ecole_modifier", args=[rencontre.pk]) in contenu


def test_modifier_une_action_preremplie_puis_enregistree(porteur, collectif, action):
    url = reverse("seances:action_parents_modifier", args=[action.pk])
    reponse = porteur.get(url)
    assert reponse.status_code == 200
    form = reponse.context["form"]
    assert form.instance == action
    contenu = texte(reponse)
    assert 'value="2025-10-14"' in contenu and 'value="7"' in contenu
    assert "Présentation du Clas" in contenu
    assert "Modifier l'action avec les parents du 14/10/2025" in contenu

    reponse = porteur.post(
        url,
        {"type": "atelier", "date": "2025-11-03", "nombre_parents": "9", "commentaire": ""},
        follow=True,
    )
    journal = reverse("seances:journal", args=[collectif.pk])
    assert reponse.redirect_chain == [(journal, 302)]
    action.refresh_from_db()
    assert (action.type, action.date, action.nombre_parents, action.commentaire) == (
        "atelier",
        J(2025, 11, 3),
        9,
        "",
    )
    assert action.collectif == collectif
    assert f"Modifié : {action}." in texte(reponse)
    assert ActionParents.objects.count() == 1


def test_modifier_une_rencontre(porteur, collectif, rencontre):
    url = reverse("seances:rencontre_ecole_modifier", args=[rencontre.pk])
    reponse = porteur.get(url)
    assert reponse.status_code == 200
    assert "la directrice" in texte(reponse)
    reponse = porteur.post(
        url,
        {"date": "2025-10-02", "interlocuteurs": "l'enseignante de CM1", "objet": "bilan"},
        follow=True,
    )
    assert reponse.redirect_chain == [(reverse("seances:journal", args=[collectif.pk]), 302)]
    rencontre.refresh_from_db()
    assert (rencontre.date, rencontre.interlocuteurs, rencontre.objet) == (
        J(2025, 10, 2),
        "l'enseignante de CM1",
        "bilan",
    )
    assert "Modifié : Rencontre du 02/10/2025 avec l'enseignante de CM1." in texte(reponse)


def test_erreurs_en_francais_avec_resume(porteur, action, rencontre):
    url = reverse("seances:action_parents_modifier", args=[action.pk])
    reponse = porteur.post(
        url, {"type": "", "date": "2026-09-01", "nombre_parents": "-1", "commentaire": ""}
    )
    assert reponse.status_code == 200
    erreurs = reponse.context["form"].errors
    assert erreurs["type"] == ["« Type d'action » : ce champ est obligatoire."]
    assert erreurs["nombre_parents"] == [
        "« Nombre de parents présents » : la valeur minimale est 0."
    ]
    assert erreurs["date"] == [
        "« Date » : la date doit être dans l'année scolaire 2025-2026, "
        "du 1er septembre 2025 au 31 août 2026."
    ]
    resume = reponse.context["erreurs"]
    assert {"message": "« Type d'action » : ce champ est obligatoire.", "ancre": "id_type"} in (
        resume
    )
    assert len(resume) == 3
    assert "3 erreurs à corriger" in texte(reponse)
    action.refresh_from_db()
    assert (action.type, action.nombre_parents) == ("reunion", 7)

    reponse = porteur.post(
        reverse("seances:rencontre_ecole_modifier", args=[rencontre.pk]),
        {"date": "2025-10-02", "interlocuteurs": "", "objet": ""},
    )
    assert reponse.context["form"].errors["interlocuteurs"] == [
        "« Avec qui » : ce champ est obligatoire."
    ]
    rencontre.refresh_from_db()
    assert rencontre.interlocuteurs == "la directrice"


def test_refuse_quand_le_cahier_est_verrouille(porteur, collectif, action, rencontre):
    BilanAction.objects.create(
        collectif=collectif, statut=BilanAction.Statut.SOUMIS, soumis_le=timezone.now()
    )
    journal = reverse("seances:journal", args=[collectif.pk])
    contenu = texte(porteur.get(journal))
    assert "Modifier" not in contenu
    for nom, entree, donnees in (
        (
            "seances:action_parents_modifier",
            action,
            {"type": "atelier", "date": "2025-11-03", "nombre_parents": "9"},
        ),
        (
            "seances:rencontre_ecole_modifier",
            rencontre,
            {"date": "2025-10-02", "interlocuteurs": "autre", "objet": ""},
        ),
    ):
        url = reverse(nom, args=[entree.pk])
        assert porteur.get(url).url == journal
        reponse = porteur.post(url, donnees, follow=True)
        assert reponse.redirect_chain == [(journal, 302)]
        assert "ne se modifient plus" in texte(reponse)
    action.refresh_from_db()
    rencontre.refresh_from_db()
    assert (action.type, action.nombre_parents) == ("reunion", 7)
    assert rencontre.interlocuteurs == "la directrice"


def test_correction_demandee_rouvre_la_modification(porteur, collectif, action):
    BilanAction.objects.create(collectif=collectif, statut=BilanAction.Statut.A_CORRIGER)
    url = reverse("seances:action_parents_modifier", args=[action.pk])
    assert porteur.get(url).status_code == 200


def test_autre_porteur_et_caf(client, action, rencontre, agent59):
    autre = MembreFactory(utilisateur__email="autre@asso.fr").utilisateur
    client.force_login(autre)
    for url in (
        reverse("seances:action_parents_modifier", args=[action.pk]),
        reverse("seances:rencontre_ecole_modifier", args=[rencontre.pk]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"date": "2025-10-02"}).status_code == 404
    client.force_login(agent59)
    assert (
        client.get(reverse("seances:action_parents_modifier", args=[action.pk])).status_code == 403
    )
    action.refresh_from_db()
    assert action.date == J(2025, 10, 14)
