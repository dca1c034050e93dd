"""Parcours 1, dans Chromium : un porteur s'inscrit, confirme son adresse par le lien du
courriel, dépose les pièces de son organisation, remplit chaque étape d'un dossier (le panneau
d'éligibilité suit sa saisie par htmx) et le dépose. axe-core vérifie chaque page."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from dossiers.models import Campagne, Dossier, Etat
from tests.e2e.outils import aller, lien_du_courriel
from tests.factories import departement, siret_valide

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

MOT_DE_PASSE = "Lucioles-du-Nord-2026"
OBJECTIFS = [
    "Ateliers de méthodologie : planning de la semaine, cartes mentales.",
    "Sorties à la médiathèque et au musée de La Piscine.",
    "Règles de vie élaborées avec les enfants.",
    "Tutorat entre pairs, défis par équipes.",
    "Cahier de présence, appel des familles après deux absences.",
    "Réunion d'information à l'inscription.",
    "Goûters partagés une fois par période.",
    "Atelier sur l'espace numérique de travail.",
    "Orientation vers le Reaap et la médiathèque.",
    "Échanges à la sortie des séances.",
    "Rencontre avec la directrice de l'école.",
    "Repérage en conseil de cycle.",
    "Réunions de concertation en septembre et en juin.",
    "Comité local Clas avec le centre social.",
]


def repondre(page: Page, question: str, reponse: str) -> None:
    """Coche ``reponse`` (oui, non…) dans le groupe de boutons radio ``question``."""
    page.get_by_role("group", name=question).get_by_label(reponse, exact=True).check()


def continuer(page: Page) -> None:
    page.get_by_role("button", name="Enregistrer et continuer").click()


@pytest.fixture
def campagne_59(db):
    jour = timezone.localdate()
    return Campagne.objects.create(
        departement=departement("59"),
        annee=2025,
        ouverture=jour - datetime.timedelta(days=30),
        cloture=jour + datetime.timedelta(days=30),
    )


def test_un_porteur_s_inscrit_remplit_et_depose_son_dossier(ouvrir, axe, campagne_59, pdf_budget):
    page = ouvrir()

    # --- Inscription, confirmée par le lien du courriel --------------------------------------
    aller(page, axe, "/inscription/")
    page.get_by_label("Prénom").fill("Samia")
    page.locator("#id_nom").fill("Benali")
    page.locator("#id_email").fill("samia@lucioles-roubaix.fr")
    page.locator("#id_password1").fill(MOT_DE_PASSE)
    page.locator("#id_password2").fill(MOT_DE_PASSE)
    page.get_by_label("SIRET").fill(siret_valide(4242))
    page.get_by_label("Raison sociale").fill("Association Les Lucioles de Roubaix")
    page.get_by_label("Forme juridique").select_option("association")
    page.locator("#id_organisation-adresse").fill("12 rue de l'Épeule")
    page.locator("#id_organisation-code_postal").fill("59100")
    page.locator("#id_organisation-commune").fill("Roubaix")
    page.get_by_label("Département").select_option("59")
    page.get_by_label("Adresse électronique de contact").fill("contact@lucioles-roubaix.fr")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(re.compile(r"/inscription/envoyee/$"))
    axe.verifier(page)

    (courriel,) = mail.outbox
    assert courriel.to == ["samia@lucioles-roubaix.fr"]
    aller(page, axe, lien_du_courriel(courriel, "/inscription/confirmer/"))
    page.get_by_role("button", name="Confirmer mon adresse").click()
    expect(page.get_by_text("Votre adresse est confirmée")).to_be_visible()
    axe.verifier(page)

    # --- Pièces permanentes de l'organisation -------------------------------------------------
    for piece in (
        "statuts de l'organisation",
        "relevé d'identité bancaire",
        "attestation d'assurance",
    ):
        page.get_by_role("link", name=f"Déposer : {piece}").click()
        axe.verifier(page)
        page.get_by_label("Fichier").set_input_files(pdf_budget)
        page.get_by_role("button", name="Déposer le fichier").click()
        expect(page.get_by_role("link", name=f"Remplacer : {piece}")).to_be_visible()
        axe.verifier(page)

    # --- Nouveau dossier ------------------------------------------------------------------------
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mes dossiers"
    ).click()
    axe.verifier(page)
    page.get_by_role("link", name="Créer un dossier").click()
    axe.verifier(page)
    page.get_by_label(re.compile(r"59 – Nord")).check()
    page.get_by_role("button", name="Créer le dossier").click()
    expect(page).to_have_url(re.compile(r"/saisie/projet/$"))
    axe.verifier(page)
    dossier = Dossier.objects.get(porteur__siret=siret_valide(4242))

    # --- 1. Projet : le panneau d'éligibilité suit la saisie (htmx) --------------------------
    panneau = page.locator("#contenu-eligibilite")
    reperage = page.locator("#critere-REPERAGE-ECOLE")
    expect(reperage.locator(".badge")).to_have_text(re.compile("manquant", re.I))
    page.get_by_label("Intitulé du projet").fill("Clas élémentaire de l'Épeule")
    repondre(page, "Ce projet renouvelle-t-il une action Clas", "non")
    page.get_by_label("Diagnostic des besoins").fill(
        "Quartier prioritaire : difficultés de lecture repérées en CM1 et CM2."
    )
    repondre(page, "Le projet est-il cohérent avec le volet parentalité", "oui")
    with page.expect_response(re.compile(r"/eligibilite/apercu/projet/$")):
        repondre(page, "Le besoin des enfants a-t-il été repéré", "oui")
    repondre(page, "L'action se limite-t-elle à l'aide aux devoirs ?", "non")
    expect(panneau).to_contain_text("avec votre saisie")
    expect(reperage.locator(".badge")).not_to_have_text(re.compile("manquant", re.I))
    axe.verifier(page, "(panneau mis à jour par htmx)")
    continuer(page)

    # --- 2. Axes et objectifs -------------------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/saisie/axes/$"))
    axe.verifier(page)
    champs = page.locator("#formulaire-etape textarea")
    expect(champs).to_have_count(len(OBJECTIFS))
    for i, texte in enumerate(OBJECTIFS):
        champs.nth(i).fill(texte)
    continuer(page)

    # --- 3. Collectifs --------------------------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/saisie/collectifs/$"))
    axe.verifier(page)
    page.get_by_role("link", name="Ajouter un collectif").click()
    axe.verifier(page)
    page.get_by_label("Nom du collectif").fill("CM1-CM2 mardi et jeudi")
    page.get_by_label("CM1", exact=True).check()
    page.get_by_label("CM2", exact=True).check()
    page.get_by_label("Nombre d'enfants").fill("10")
    repondre(page, "Le collectif est-il en milieu rural ?", "non")
    page.get_by_label("Nom du lieu").fill("Centre social de l'Épeule")
    page.locator("#id_lieu_adresse").fill("3 rue Watt")
    page.locator("#id_lieu_code_postal").fill("59100")
    page.locator("#id_lieu_commune").fill("Roubaix")
    repondre(page, "Le collectif se réunit-il toute l'année dans ce même lieu ?", "oui")
    repondre(page, "Le lieu est-il accessible aux parents ?", "oui")
    page.get_by_label("Nombre d'intervenants à chaque séance").fill("2")
    for n, jour in ((1, "mardi"), (2, "jeudi")):
        page.get_by_label(f"Jour, créneau {n}").select_option(jour)
        page.get_by_label(f"Heure de début, créneau {n}").fill("16:45")
        page.get_by_label(f"Durée (minutes), créneau {n}").fill("90")
    page.get_by_label("Date de début").fill("2025-11-04")
    page.get_by_label("Date de fin").fill("2026-06-12")
    page.get_by_label("Semaines de fonctionnement").fill("30")
    page.get_by_label("Dépenses de fonctionnement du collectif (€)").fill("9000")
    page.get_by_role("button", name="Enregistrer et revenir à la liste").click()
    expect(page).to_have_url(re.compile(r"/saisie/collectifs/$"))
    expect(page.get_by_role("link", name="CM1-CM2 mardi et jeudi").first).to_be_visible()
    axe.verifier(page)
    page.get_by_role("link", name="Continuer : Coordination et intervenants").click()

    # --- 4. Coordination et intervenants --------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/saisie/equipe/$"))
    axe.verifier(page)
    page.get_by_label("Nom du coordinateur ou de la coordinatrice").fill("Samia Benali")
    page.locator("#id_coordinateur_niveau_diplome").select_option("bac+3")
    repondre(page, "A-t-il ou elle une expérience en animation", "oui")
    for nom, statut, diplome in (
        ("Awa Diallo", "salarie", "bac+2"),
        ("Marc Lefebvre", "benevole", "bac+3"),
    ):
        fiche = page.get_by_role("group", name="Nouvel intervenant")
        fiche.get_by_role("textbox", name=re.compile(r"^Nom")).fill(nom)
        fiche.get_by_role("combobox", name=re.compile(r"^Statut")).select_option(statut)
        fiche.get_by_label("Fonction").fill("animateur")
        fiche.get_by_label("Niveau de diplôme").select_option(diplome)
        fiche.get_by_label("CM1-CM2 mardi et jeudi").check()
        page.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(page.get_by_role("group", name=re.compile(f"— {nom}$"))).to_be_visible()
        axe.verifier(page)
    continuer(page)

    # --- 5. Budget ------------------------------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/saisie/budget/$"))
    axe.verifier(page)
    page.get_by_label("Catégorie de dépense, dépense 1").select_option("personnel")
    page.get_by_label("Précision, dépense 1").fill("Deux animateurs")
    page.get_by_label("Montant (€), dépense 1").fill("12000")
    page.get_by_label("Cofinanceur, recette 1").select_option("commune")
    page.get_by_label("Précision, recette 1").fill("Ville de Roubaix")
    page.get_by_label("Montant (€), recette 1").fill("4000")
    page.get_by_label("Montant demandé à la Caf (€)").fill("8000")
    continuer(page)

    # --- 6. Pièces ------------------------------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/saisie/pieces/$"))
    axe.verifier(page)
    page.get_by_label("Type de pièce").select_option("budget")
    page.get_by_label("Fichier").set_input_files(pdf_budget)
    page.get_by_role("button", name="Déposer la pièce").click()
    expect(page.get_by_text("Pièce « budget-previsionnel.pdf » déposée")).to_be_visible()
    axe.verifier(page)
    page.get_by_role("link", name="Continuer : Récapitulatif et dépôt").click()

    # --- 7. Récapitulatif : engagements, puis dépôt -------------------------------------------
    expect(page).to_have_url(re.compile(r"/recapitulatif/"))
    axe.verifier(page)
    page.get_by_label(re.compile("caractère laïc")).check()
    page.get_by_label(re.compile("produire le bilan annuel")).check()
    page.get_by_label("Participation demandée aux familles").fill("0")
    page.get_by_role("button", name="Enregistrer les engagements").click()
    axe.verifier(page)
    depot = page.locator("#depot")
    depot.get_by_role("checkbox").check()
    depot.get_by_role("button", name="Déposer le dossier").click()
    expect(page.get_by_text("Votre dossier est déposé.")).to_be_visible()
    axe.verifier(page)

    dossier.refresh_from_db()
    assert dossier.etat == Etat.DEPOSE
    assert dossier.collectifs.count() == 1
    assert dossier.intervenants.count() == 2
    assert dossier.pieces.get().fichier.read().startswith(b"%PDF-")
    assert any("accusé" in m.subject.lower() for m in mail.outbox)
