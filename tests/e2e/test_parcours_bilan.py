"""Parcours 3, dans Chromium, avec un vrai worker Celery : le secrétariat du comité du Nord
génère le bilan départemental 2025-2026, suit la barre de progression (htmx, chaque seconde) —
en attente d'un worker, puis jusqu'au bout quand le worker démarre — et télécharge le PDF.
axe-core vérifie chaque page.

Sur SQLite en mémoire, le serveur de test partage la connexion du test et le worker a la sienne
(même base, cache partagé) : un suivi htmx qui tomberait sur une table verrouillée par le
worker répondrait 500, et htmx redemanderait simplement à la seconde suivante. Sur PostgreSQL
et Redis (CI), chacun a sa connexion, comme en production."""

import re

import pytest
from playwright.sync_api import expect

from bilans.models import EtatGeneration, GenerationBilan
from tests.bilans.fabrique_bilan import peupler_bilan_59
from tests.e2e.outils import se_connecter
from tests.factories import UtilisateurFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

# Chaque changement de la barre est noté dans la page (l'observateur est injecté par Playwright,
# hors CSP) : on vérifie ensuite qu'elle n'a fait qu'avancer.
OBSERVER_LA_BARRE = """() => {
  window.progressions = [];
  const noter = () => {
    const barre = document.getElementById("barre-bilan");
    if (barre) window.progressions.push(Number(barre.value));
  };
  noter();
  new MutationObserver(noter).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def test_le_secretariat_genere_suit_et_telecharge_le_bilan(ouvrir, axe, worker, settings):
    settings.CLAS_TACHES_SYNCHRONES = False  # la tâche passe par le broker et le vrai worker
    peupler_bilan_59()
    secretariat = UtilisateurFactory(secretariat=True, email="secretariat59@caf.fr")

    page = ouvrir()
    se_connecter(page, axe, secretariat.email)  # l'accueil du secrétariat : les bilans
    expect(page).to_have_url(re.compile(r"/bilans/$"))
    page.get_by_role("button", name="Générer le bilan 2025-2026").click()

    # --- La page de suivi : en attente d'un worker, puis la barre avance jusqu'au bout -------
    expect(page).to_have_url(re.compile(r"/bilans/generations/\d+/$"))
    barre = page.get_by_role("progressbar")
    expect(barre).to_be_visible()
    expect(page.get_by_text("En attente d'un worker").first).to_be_visible()
    page.evaluate(OBSERVER_LA_BARRE)
    axe.verifier(page, "(génération en attente)")
    with worker():  # le worker démarre : il prend la tâche mise en file
        pret = page.get_by_role("heading", name="Le bilan est prêt")
        expect(pret).to_be_visible(timeout=120_000)
    expect(barre).to_have_count(0)
    axe.verifier(page, "(génération terminée, fragment htmx)")
    vues = page.evaluate("window.progressions")
    assert vues and vues[0] == 0, f"barre de progression jamais vue à 0 : {vues}"
    assert vues == sorted(vues), f"la barre a reculé : {vues}"

    generation = GenerationBilan.objects.get()
    assert generation.etat == EtatGeneration.TERMINEE, generation.erreur
    assert generation.progression == 100
    assert generation.departement_id == "59" and generation.annee == 2025

    # --- Le PDF se télécharge -----------------------------------------------------------------
    with page.expect_download() as telechargement:
        page.get_by_role("link", name="Télécharger le PDF").click()
    with open(telechargement.value.path(), "rb") as fichier:
        contenu = fichier.read()
    assert contenu.startswith(b"%PDF-")
    assert len(contenu) == generation.taille

    # --- L'historique des bilans le montre -------------------------------------------------------
    page.get_by_role("link", name="Retour aux bilans").click()
    expect(page.get_by_role("table")).to_contain_text(re.compile("terminée", re.I))
    axe.verifier(page)
