"""Navigateur des parcours de bout en bout : le Chromium de Debian piloté par Playwright.

- ``navigateur`` (un par exécution du paquet) : Chromium sans interface ni bac à sable, celui de
  Debian (``/usr/bin/chromium``, installé par ``.ci/run`` ; ``CLAS_CHROMIUM`` pour un autre
  chemin) — le téléchargement de navigateurs de Playwright n'est jamais utilisé. Sans Chromium,
  les parcours sont ignorés (avec la commande d'installation), sauf en CI où ils échouent
  (``CLAS_E2E_OBLIGATOIRE``, exporté par ``.ci/run``). Les options de
  pytest-playwright ``--headed`` et ``--slowmo`` servent à regarder un parcours se dérouler.
- ``ouvrir()`` : un onglet dans un contexte neuf (une personne, ses cookies), sur le serveur de
  test ``live_server``. Chaque page visitée est notée : à la fin d'un parcours réussi, toute
  page visitée doit avoir été vérifiée par axe-core (``axe.verifier``), sinon le test échoue.
- En cas d'échec, capture d'écran et HTML de chaque onglet dans ``var/e2e/<test>/``.

L'API synchrone de Playwright garde une boucle asyncio active dans le fil principal tant que le
navigateur est ouvert. Django refuserait alors l'ORM dans ce fil (« SynchronousOnlyOperation »)
et rangerait ses connexions par contexte plutôt que par fil (asgiref) : le test en ouvrirait de
nouvelles, à côté de celle que partage le serveur de test (SQLite en mémoire). Rien n'y est
pourtant asynchrone (le serveur de test tourne dans son propre fil) : ``navigateur`` lève la
garde et remet les connexions du fil le temps du paquet, puis rétablit tout en fermant
Playwright.

Les parcours sont des tests transactionnels (le serveur de test et le worker lisent ce que le
test écrit) : un autre test transactionnel passé avant eux a pu vider la base (``flush``).
``donnees_de_reference`` remet ce que sèment les migrations (départements, paramètres de
financement 2025) par leurs propres fonctions, idempotentes — pas de ``serialized_rollback``,
qui entre en conflit avec les types de contenu recréés par un ``flush`` précédent.
"""

import importlib
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright

from tests.e2e.outils import PAGES_VERIFIEES, VERSION_AXE, Accessibilite, chemin
from tests.outils_celery import broker_isole, worker_reel

CHROMIUM = os.environ.get("CLAS_CHROMIUM", "/usr/bin/chromium")
DELAI_MS = 15_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rapport = yield
    setattr(item, f"rapport_{rapport.when}", rapport)
    return rapport


def pytest_terminal_summary(terminalreporter):
    if PAGES_VERIFIEES:
        terminalreporter.write_line(
            f"axe-core {VERSION_AXE[0] if VERSION_AXE else '?'} (WCAG 2.1 A/AA) : "
            f"{len(PAGES_VERIFIEES)} pages vérifiées, aucune violation grave ou critique "
            "n'est tolérée."
        )
        if terminalreporter.verbosity > 0:
            for gabarit, titre in sorted(PAGES_VERIFIEES.items()):
                terminalreporter.write_line(f"  {gabarit}  ({titre})")


@pytest.fixture(scope="package")
def navigateur(pytestconfig):
    if not Path(CHROMIUM).exists():
        message = (
            f"Chromium est introuvable ({CHROMIUM}) : apt-get install chromium "
            "(ou CLAS_CHROMIUM=<chemin>)."
        )
        if os.environ.get("CLAS_E2E_OBLIGATOIRE"):  # .ci/run : jamais ignorés en CI
            pytest.fail(message)
        pytest.skip(message)
    garde = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    avant = {alias: connections[alias] for alias in connections}
    playwright = sync_playwright().start()
    # Boucle active : les connexions de Django se rangent alors par contexte (asgiref), et le
    # fil principal en ouvrirait de nouvelles. On y remet celles d'avant : la même connexion
    # que le serveur de test (SQLite en mémoire partagée).
    for alias, connexion in avant.items():
        connections[alias] = connexion
    try:
        navigateur = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=not pytestconfig.getoption("headed", False),
            slow_mo=pytestconfig.getoption("slowmo", 0) or 0,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        expect.set_options(timeout=DELAI_MS)
        yield navigateur
        navigateur.close()
    finally:
        playwright.stop()
        if garde is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = garde


@pytest.fixture(scope="session")
def live_server(request):
    """Le serveur de test de pytest-django, démarré avec un ``MEDIA_URL`` de convenance.

    Le portail ne sert jamais les fichiers déposés (``MEDIA_URL = None`` : une vue vérifie les
    droits avant chaque téléchargement), mais le serveur de test de Django enveloppe toujours
    l'application d'un gestionnaire de médias qui lit ``MEDIA_URL`` à son démarrage, et échoue
    sur ``None``. On lui donne une adresse que rien ne référence, le temps du démarrage.
    """
    from pytest_django.live_server_helper import LiveServer

    adresse = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(MEDIA_URL="/__fichiers-deposes-jamais-servis__/"):
        serveur = LiveServer(adresse)
    yield serveur
    serveur.stop()


@pytest.fixture(autouse=True)
def donnees_de_reference(request):
    """Pour les tests transactionnels (parcours) : les données semées par les migrations."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    importlib.import_module("comptes.migrations.0002_departements").charger(apps, None)
    importlib.import_module("eligibility.migrations.0002_parametres_2025").semer(apps, None)


@pytest.fixture
def axe():
    return Accessibilite()


@pytest.fixture
def ouvrir(navigateur, live_server, axe, request):
    """``ouvrir()`` : un onglet pour une nouvelle personne (contexte de navigation neuf)."""
    onglets = []

    def ouvrir():
        contexte = navigateur.new_context(
            base_url=live_server.url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        contexte.set_default_timeout(DELAI_MS)
        page = contexte.new_page()
        page.visitees = []

        def navigation(frame, page=page):
            if frame == page.main_frame and frame.url.startswith(live_server.url):
                page.visitees.append(chemin(frame.url))

        page.on("framenavigated", navigation)
        # « Quitter la page ? » (saisie non enregistrée) : on quitte ; aucun autre dialogue
        # n'est attendu (le portail n'utilise ni alert ni confirm).
        page.on("dialog", lambda d: d.accept() if d.type == "beforeunload" else d.dismiss())
        onglets.append(page)
        return page

    yield ouvrir

    echec = any(
        getattr(request.node, f"rapport_{phase}", None) is not None
        and getattr(request.node, f"rapport_{phase}").failed
        for phase in ("setup", "call")
    )
    if echec:
        dossier = Path(settings.BASE_DIR) / "var" / "e2e" / request.node.name
        dossier.mkdir(parents=True, exist_ok=True)
        for i, page in enumerate(onglets):
            try:
                page.screenshot(path=dossier / f"onglet-{i}.png", full_page=True)
                (dossier / f"onglet-{i}.html").write_text(page.content(), encoding="utf-8")
            except Exception:  # onglet déjà fermé : rien à garder
                pass
    oubliees = sorted({c for page in onglets for c in page.visitees} - axe.verifiees)
    for page in onglets:
        page.context.close()
    if not echec:
        assert not oubliees, (
            "Pages visitées sans vérification axe-core (appelez axe.verifier(page)) : "
            + ", ".join(oubliees)
        )


@pytest.fixture
def worker(transactional_db, tmp_path):
    """``with worker():`` démarre un vrai worker Celery dans un fil, par le broker configuré
    (filesystem dans des dossiers propres au test, ou Redis en CI) : le test choisit quand ;
    une tâche mise en file avant attend le worker, comme en production."""
    with broker_isole(tmp_path):
        yield worker_reel


@pytest.fixture(scope="session")
def pdf_budget(tmp_path_factory):
    """Un vrai PDF d'une page (budget prévisionnel), produit par WeasyPrint."""
    from weasyprint import HTML

    fichier = tmp_path_factory.mktemp("pieces") / "budget-previsionnel.pdf"
    HTML(
        string="<html lang='fr'><body><h1>Budget prévisionnel 2025-2026</h1>"
        "<p>Dépenses : 12 000 €. Recettes : commune 4 000 €, Caf 8 000 €.</p></body></html>"
    ).write_pdf(fichier)
    return fichier
