"""La déclaration d'accessibilité (RGAA 4.1) : publique, complète, liée depuis chaque page."""

import html
import re

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.urls import reverse

pytestmark = pytest.mark.django_db

RUBRIQUES_RGAA = [
    "État de conformité",
    "Résultats des tests",
    "Contenus non accessibles",
    "Établissement de cette déclaration d'accessibilité",
    "Technologies utilisées",
    "Environnement de test",
    "Pages du portail ayant fait l'objet de la vérification",
    "Retour d'information et contact",
    "Voies de recours",
]


def test_publique_et_structuree_comme_le_modele_rgaa(client):
    reponse = client.get(reverse("accessibilite"))
    assert reponse.status_code == 200
    texte = html.unescape(reponse.content.decode())
    for rubrique in RUBRIQUES_RGAA:
        assert rubrique in texte, rubrique
    # L'état déclaré est celui qu'impose le RGAA sans audit ; les mesures sont citées.
    assert "est <strong>non conforme</strong>" in texte
    assert "aucun audit de conformité RGAA n'a encore été réalisé" in texte
    # La version d'axe-core citée est celle qui tourne dans les tests (tests/e2e/).
    version_axe = re.match(r"/\*! axe v([\d.]+)", AXE_SCRIPT).group(1)
    assert f"axe-core {version_axe}" in texte and "Chromium" in texte
    assert "Défenseur des droits" in texte


def test_le_pied_de_page_y_mene_avec_l_etat_de_conformite(client, porteur_user):
    for page in (reverse("connexion"), reverse("inscription")):
        assert (
            'href="/accessibilite/">Accessibilité : non conforme</a>'
            in client.get(page).content.decode()
        )
    client.force_login(porteur_user)
    contenu = client.get(reverse("dossiers:liste")).content.decode()
    assert 'href="/accessibilite/">Accessibilité : non conforme</a>' in contenu
