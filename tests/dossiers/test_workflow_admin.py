"""L'admin Django montre l'état, la décision et le montant d'un dossier sans les modifier : ils ne
changent que par le workflow (historique, audit, courriel, évaluation figée)."""

import html
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from dossiers.admin import CHAMPS_DU_WORKFLOW
from dossiers.models import Dossier, Etat, Evenement
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier_decide(membre):
    return DossierFactory(
        porteur=membre.porteur,
        depose=True,
        complet=True,
        etat=Etat.ACCEPTE,
        montant_accorde=Decimal("1500.00"),
        date_decision="2025-12-12",
        motif_decision="Avis favorable du comité.",
    )


def _url(dossier) -> str:
    return reverse("admin:dossiers_dossier_change", args=[dossier.pk])


def _formulaire_admin(admin_national, dossier):
    modele_admin = admin.site._registry[Dossier]
    requete = RequestFactory().get(_url(dossier))
    requete.user = admin_national
    return modele_admin.get_form(requete, dossier)(instance=dossier)


def _donnees_post(admin_national, dossier) -> dict:
    """Le POST du formulaire de l'admin, tel quel (valeurs actuelles du dossier)."""
    donnees = {}
    for champ in _formulaire_admin(admin_national, dossier):
        valeur = champ.value()
        widget = champ.field.widget
        if isinstance(widget, forms.CheckboxInput):
            if valeur:
                donnees[champ.html_name] = "on"
        elif isinstance(widget, forms.NullBooleanSelect):
            donnees[champ.html_name] = {True: "true", False: "false"}.get(valeur, "unknown")
        elif isinstance(valeur, list | tuple):
            donnees[champ.html_name] = [str(v) for v in valeur]
        else:
            donnees[champ.html_name] = "" if valeur is None else str(valeur)
    donnees.update(
        {
            "collectifs-TOTAL_FORMS": "0",
            "collectifs-INITIAL_FORMS": "0",
            "collectifs-MIN_NUM_FORMS": "0",
            "collectifs-MAX_NUM_FORMS": "1000",
        }
    )
    return donnees


def test_les_champs_du_workflow_sont_en_lecture_seule(client, admin_national, dossier_decide):
    formulaire = _formulaire_admin(admin_national, dossier_decide)
    for nom in ("etat", "montant_accorde", "version", "date_decision", "motif_decision"):
        assert nom not in formulaire.fields, nom
    client.force_login(admin_national)
    reponse = client.get(_url(dossier_decide))
    assert reponse.status_code == 200
    contenu = html.unescape(reponse.content.decode())
    for nom in CHAMPS_DU_WORKFLOW:
        assert f'name="{nom}"' not in contenu, nom
    assert "État et décision (workflow)" in contenu
    assert "Lecture seule : l'état, la décision et le montant accordé" in contenu
    assert "la transition « Rouvrir le dossier »" in contenu
    assert "Avis favorable du comité." in contenu  # affiché, pas modifiable


def test_un_post_ne_change_ni_l_etat_ni_le_montant(client, admin_national, dossier_decide):
    client.force_login(admin_national)
    donnees = _donnees_post(admin_national, dossier_decide)
    donnees.update(
        {
            "intitule": "Intitulé corrigé",
            "etat": Etat.EN_INSTRUCTION,
            "montant_accorde": "99999.00",
            "version": "42",
            "date_decision": "",
            "motif_decision": "Modifié à la main.",
            "justification_depassement": "Modifiée à la main.",
        }
    )
    reponse = client.post(_url(dossier_decide), donnees)
    assert reponse.status_code == 302, html.unescape(reponse.content.decode())[:3000]
    dossier_decide.refresh_from_db()
    assert dossier_decide.intitule == "Intitulé corrigé"  # le reste se modifie
    assert dossier_decide.etat == Etat.ACCEPTE
    assert dossier_decide.montant_accorde == Decimal("1500.00")
    assert dossier_decide.version == 1
    assert str(dossier_decide.date_decision) == "2025-12-12"
    assert dossier_decide.motif_decision == "Avis favorable du comité."
    assert dossier_decide.justification_depassement == ""
    assert not Evenement.objects.filter(dossier=dossier_decide).exists()


def test_montant_accorde_d_un_collectif_en_lecture_seule_dans_l_admin(client, admin_national):
    """Le montant d'un collectif ne change que par la décision : l'admin l'affiche sans champ."""
    from tests.factories import CollectifFactory

    collectif = CollectifFactory(montant_accorde=Decimal("1234.00"))
    client.force_login(admin_national)
    page = client.get(reverse("admin:collectifs_collectif_change", args=[collectif.pk]))
    assert page.status_code == 200
    assert 'name="montant_accorde"' not in page.content.decode()
    assert "1234" in page.content.decode()
