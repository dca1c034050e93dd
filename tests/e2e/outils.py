"""Outils des parcours de bout en bout : axe-core sur chaque page, connexion, courriels.

``Accessibilite.verifier(page)`` lance axe-core (fourni par axe-playwright-python, sans réseau)
sur la page affichée, pour les règles WCAG 2.1 A et AA, et échoue sur toute violation d'impact
« serious » ou « critical » en listant la page, la règle et les éléments en cause. Chaque page
vérifiée est retenue : ``tests/e2e/conftest.py`` vérifie à la fin de chaque parcours que toutes
les pages visitées l'ont été.
"""

import re
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.factories import MOT_DE_PASSE

REGLES_WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
IMPACTS_BLOQUANTS = ("serious", "critical")
# Toutes les pages vérifiées pendant la session (chemin → titre), pour le résumé final et la
# déclaration d'accessibilité.
PAGES_VERIFIEES: dict[str, str] = {}
ATTENDRE_LES_ANIMATIONS = """() => Promise.all(document.getAnimations()
  .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
  .map(a => a.finished.catch(() => null)))"""
VERSION_AXE: list[str] = []


def chemin(url: str) -> str:
    """L'adresse d'une page sans le serveur ni l'ancre : ``/dossiers/3/?onglet=tous``."""
    morceaux = urlsplit(url)
    return morceaux.path + (f"?{morceaux.query}" if morceaux.query else "")


def gabarit(chemin_page: str) -> str:
    """Le chemin avec ses numéros remplacés : ``/dossiers/<n>/saisie/projet/``."""
    return re.sub(
        r"/\d+/", "/<n>/", re.sub(r"/confirmer/[^/]+/[^/]+/", "/confirmer/…/", chemin_page)
    )


class Accessibilite:
    """axe-core sur la page courante, après chaque navigation (et après une mise à jour htmx)."""

    def __init__(self):
        self.axe = Axe()
        self.verifiees: set[str] = set()

    def verifier(self, page: Page, quand: str = "") -> None:
        page.wait_for_load_state("load")
        # Les transitions CSS en cours (boutons, contenu inséré par htmx) faussent la mesure
        # des contrastes : on attend qu'elles finissent.
        page.evaluate(ATTENDRE_LES_ANIMATIONS)
        resultats = self.axe.run(
            page,
            options={
                "runOnly": {"type": "tag", "values": REGLES_WCAG},
                "resultTypes": ["violations"],
            },
        ).response
        if not VERSION_AXE:
            VERSION_AXE.append(resultats["testEngine"]["version"])
        ici = chemin(page.url)
        self.verifiees.add(ici)
        PAGES_VERIFIEES.setdefault(gabarit(ici), page.title())
        bloquantes = [v for v in resultats["violations"] if v["impact"] in IMPACTS_BLOQUANTS]
        assert not bloquantes, rapport_violations(ici, quand, bloquantes)


def rapport_violations(ici: str, quand: str, violations: list[dict]) -> str:
    lignes = [f"axe-core : {len(violations)} violation(s) grave(s) sur {ici} {quand}".rstrip()]
    for v in violations:
        lignes.append(f"- {v['id']} ({v['impact']}) : {v['help']} — {v['helpUrl']}")
        for noeud in v["nodes"][:10]:
            cibles = " ".join(" > ".join(c) if isinstance(c, list) else c for c in noeud["target"])
            lignes.append(f"    · {cibles}")
            resume = (noeud.get("failureSummary") or "").replace("\n", " ")
            if resume:
                lignes.append(f"      {resume[:300]}")
        if len(v["nodes"]) > 10:
            lignes.append(f"    · … et {len(v['nodes']) - 10} autre(s)")
    return "\n".join(lignes)


def aller(page: Page, axe: Accessibilite, url: str) -> None:
    """Ouvre ``url`` (relative au serveur de test) et vérifie la page."""
    page.goto(url)
    axe.verifier(page)


def se_connecter(page: Page, axe: Accessibilite, email: str, mot_de_passe=MOT_DE_PASSE) -> None:
    """Connexion par le formulaire du portail (vérifié par axe lui aussi)."""
    aller(page, axe, "/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe", exact=False).fill(mot_de_passe)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/connexion/"))
    axe.verifier(page)


def lien_du_courriel(message, motif: str) -> str:
    """Le lien du courriel ``message`` dont le chemin contient ``motif``."""
    trouve = re.search(rf"https?://\S*{re.escape(motif)}\S*", message.body)
    assert trouve, (
        f"Aucun lien « {motif} » dans le courriel « {message.subject} » :\n{message.body}"
    )
    return trouve.group(0)
