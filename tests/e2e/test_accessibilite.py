"""Accessibilité vérifiée dans Chromium : un formulaire rempli et envoyé au clavier seul, avec
un focus visible à chaque étape ; des résumés d'erreurs dont les liens mènent au champ ; la
déclaration d'accessibilité, publique, atteinte par le pied de page. axe-core vérifie chaque
page visitée."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.outils import aller
from tests.factories import MOT_DE_PASSE, CollectifFactory, DossierFactory, MembreFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

# L'élément qui a le focus : son identité et la marque visible de ce focus.
FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    id: el.id, balise: el.tagName, texte: (el.textContent || "").trim().slice(0, 40),
    focusVisible: el.matches(":focus-visible"),
    contour: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    ombre: style.boxShadow !== "none",
    visible: el.getBoundingClientRect().width > 1 && el.getBoundingClientRect().height > 1,
  };
}"""


def tabuler_jusqu_a(page: Page, condition, maximum: int = 15) -> list[dict]:
    """Appuie sur Tab jusqu'à ce que l'élément focalisé satisfasse ``condition`` ; chaque
    élément traversé doit montrer un focus visible (contour ou ombre)."""
    traverses = []
    for _ in range(maximum):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        traverses.append(focus)
        assert focus["focusVisible"] and focus["visible"], f"focus invisible : {focus}"
        assert focus["contour"] or focus["ombre"], f"aucune marque de focus : {focus}"
        if condition(focus):
            return traverses
    raise AssertionError(f"{maximum} tabulations sans atteindre la cible : {traverses}")


def test_connexion_au_clavier_seul_avec_un_focus_visible(ouvrir, axe):
    membre = MembreFactory(utilisateur__email="clavier@asso.fr")
    DossierFactory(porteur=membre.porteur)
    page = ouvrir()
    aller(page, axe, "/connexion/")

    # Le champ de l'adresse a le focus dès l'affichage (autofocus), et il se voit.
    depart = page.evaluate(FOCUS)
    assert depart["id"] == "id_username" and depart["focusVisible"], depart
    assert depart["contour"] or depart["ombre"], depart
    page.keyboard.type("clavier@asso.fr")
    tabuler_jusqu_a(page, lambda f: f["id"] == "id_password", maximum=1)
    page.keyboard.type(MOT_DE_PASSE)
    (bouton,) = tabuler_jusqu_a(page, lambda f: f["balise"] == "BUTTON", maximum=1)
    assert bouton["texte"] == "Se connecter"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dossiers/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes dossiers Clas")
    axe.verifier(page)

    # Sur la page suivante, le premier arrêt est le lien d'évitement (il apparaît quand il a
    # le focus) ; Entrée place le focus sur le contenu principal.
    (evitement,) = tabuler_jusqu_a(page, lambda f: True, maximum=1)
    assert evitement["texte"] == "Aller au contenu", evitement
    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()


def test_les_resumes_d_erreurs_menent_aux_champs(ouvrir, axe):
    # 1. L'inscription envoyée vide : chaque lien du résumé met le focus sur son champ.
    page = ouvrir()
    aller(page, axe, "/inscription/")
    page.get_by_role("button", name="Créer mon compte").click()
    resume = page.locator("#erreurs-formulaire")
    expect(resume).to_be_visible()
    axe.verifier(page, "(formulaire en erreur)")
    liens = resume.get_by_role("link")
    assert liens.count() >= 10
    for i in (0, 5, liens.count() - 1):
        lien = liens.nth(i)
        cible = lien.get_attribute("href")
        lien.click()
        expect(page.locator(cible)).to_be_focused()
        champ = page.locator(cible)
        assert champ.get_attribute("aria-invalid") == "true" or champ.evaluate(
            "el => el.classList.contains('is-invalid')"
        ), f"{cible} n'est pas signalé en erreur"

    # 2. Une étape de saisie : le résumé prend le focus au chargement, son lien mène au champ.
    membre = MembreFactory(utilisateur__email="erreurs@asso.fr")
    collectif = CollectifFactory(dossier=DossierFactory(porteur=membre.porteur), nom="Les Castors")
    porteur = ouvrir()
    aller(porteur, axe, "/connexion/")
    porteur.get_by_label("Adresse électronique").fill("erreurs@asso.fr")
    porteur.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
    porteur.get_by_role("button", name="Se connecter").click()
    axe.verifier(porteur)
    aller(porteur, axe, f"/dossiers/{collectif.dossier_id}/saisie/collectifs/{collectif.pk}/")
    porteur.get_by_label("Nombre d'enfants").fill("0")
    porteur.get_by_role("button", name="Enregistrer", exact=True).click()
    resume = porteur.locator("#erreurs-formulaire")
    expect(resume).to_be_focused()
    axe.verifier(porteur, "(étape en erreur)")
    resume.get_by_role("link", name=re.compile("enfants", re.I)).first.click()
    expect(porteur.get_by_label("Nombre d'enfants")).to_be_focused()

    # 3. La déclaration d'accessibilité, par le lien du pied de page.
    porteur.get_by_role("contentinfo").get_by_role("link", name="Accessibilité").click()
    expect(porteur.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
    axe.verifier(porteur)
