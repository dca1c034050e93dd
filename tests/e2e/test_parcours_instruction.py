"""Parcours 2, dans Chromium : l'agent Caf du département prend le dossier en instruction et
demande un complément ; le porteur répond par message et redépose ; l'agent propose le dossier
au comité, l'accepte avec un montant par collectif et télécharge la lettre de décision (PDF).
axe-core vérifie chaque page."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from dossiers import depot
from dossiers.models import Campagne, Etat, Message
from tests.dossiers.test_depot import ajouter_pieces_permanentes, dossier_complet
from tests.e2e.outils import se_connecter
from tests.factories import MembreFactory, UtilisateurFactory, departement

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def dossier_depose(db):
    """Un dossier complet du Nord, déposé par son porteur (le parcours 1 le fait à l'écran)."""
    jour = timezone.localdate()
    Campagne.objects.create(
        departement=departement("59"),
        annee=2025,
        ouverture=jour - datetime.timedelta(days=30),
        cloture=jour + datetime.timedelta(days=30),
    )
    membre = MembreFactory(
        utilisateur__email="porteur@lucioles.fr",
        porteur__raison_sociale="Association Les Lucioles",
    )
    ajouter_pieces_permanentes(membre.porteur)
    dossier = dossier_complet(membre.porteur)
    depot.deposer(dossier, membre.utilisateur)
    dossier.refresh_from_db()
    assert dossier.etat == Etat.DEPOSE
    return dossier


def test_l_agent_demande_un_complement_puis_accepte_et_telecharge_la_lettre(
    ouvrir, axe, dossier_depose
):
    agent = UtilisateurFactory(agent=True, email="agent59@caf.fr")
    collectif = dossier_depose.collectifs.get()
    mail.outbox.clear()

    # --- L'agent prend le dossier en instruction et demande un complément --------------------
    caf = ouvrir()
    se_connecter(caf, axe, agent.email)  # la file « À instruire » du département
    caf.get_by_role("link", name="Association Les Lucioles", exact=True).click()
    expect(caf.get_by_role("heading", level=1)).to_contain_text("Coup de pouce lecture")
    axe.verifier(caf)
    caf.get_by_role("button", name="Commencer l'instruction").click()
    etat = caf.locator("main .badge-etat").first
    expect(etat).to_have_text("En instruction")
    axe.verifier(caf)
    demande = caf.locator("#transition-demander_complement")
    demande.locator("summary").click()
    demande.get_by_label("Ce que le porteur doit compléter").fill(
        "Merci de préciser les horaires du collectif pendant les vacances de février."
    )
    demande.get_by_role("button", name="Demander un complément au porteur").click()
    expect(etat).to_have_text("Complément demandé")
    axe.verifier(caf)
    dossier_depose.refresh_from_db()
    assert dossier_depose.etat == Etat.COMPLEMENT_DEMANDE
    assert any(m.to == ["porteur@lucioles.fr"] for m in mail.outbox)

    # --- Le porteur répond par message et redépose son dossier ---------------------------------
    porteur = ouvrir()
    se_connecter(porteur, axe, "porteur@lucioles.fr")
    porteur.get_by_role("link", name=re.compile("Coup de pouce lecture")).first.click()
    complement = porteur.locator("#complement")
    expect(complement).to_contain_text("vacances de février")
    axe.verifier(porteur)
    porteur.get_by_label("Écrire à la Caf").fill(
        "Pendant les vacances de février, le collectif ne se réunit pas ; reprise le 3 mars."
    )
    porteur.locator("#messages").get_by_role("button", name="Envoyer le message").click()
    expect(porteur.get_by_text("Votre message est envoyé.")).to_be_visible()
    axe.verifier(porteur)
    porteur.locator("#complement").get_by_role("link", name="Vérifier et redéposer").click()
    axe.verifier(porteur)
    redepot = porteur.locator("#depot")
    redepot.get_by_role("checkbox").check()
    redepot.get_by_role("button", name="Redéposer le dossier complété").click()
    expect(porteur.get_by_text("Votre dossier complété est redéposé")).to_be_visible()
    axe.verifier(porteur)
    dossier_depose.refresh_from_db()
    assert dossier_depose.etat == Etat.EN_INSTRUCTION
    assert Message.objects.filter(dossier=dossier_depose, texte__contains="3 mars").exists()

    # --- L'agent lit la réponse, propose au comité et accepte avec les montants ----------------
    caf.reload()
    expect(etat).to_have_text("En instruction")
    expect(caf.locator("#messages")).to_contain_text("reprise le 3 mars")
    axe.verifier(caf)
    proposer = caf.locator("#transition-proposer_comite")
    proposer.locator("summary").click()
    proposer.get_by_label(re.compile("Je confirme que l'instruction est terminée")).check()
    proposer.get_by_role("button", name="Proposer au comité").click()
    expect(etat).to_have_text("Proposé au comité")
    axe.verifier(caf)
    caf.get_by_role("link", name="Décider").click()
    axe.verifier(caf)
    caf.get_by_label("Accepter le dossier").check()
    caf.get_by_role("button", name="Continuer").click()
    axe.verifier(caf)
    montant = caf.get_by_label(f"Montant accordé à « {collectif.nom} » (€)")
    montant.fill("1 500,00")
    caf.get_by_label("Observations").fill("Accord du comité du 12 décembre.")
    # La case de confirmation nomme le total saisi (tenu à jour par le script de la page).
    caf.get_by_label(re.compile("pour un montant total de 1\u202f500,00\u202f€")).check()
    caf.get_by_role("button", name="Accepter le dossier").click()
    expect(etat).to_have_text("Accepté")
    expect(caf.get_by_role("link", name=re.compile("lettre de décision"))).to_be_visible()
    axe.verifier(caf)
    dossier_depose.refresh_from_db()
    collectif.refresh_from_db()
    assert dossier_depose.etat == Etat.ACCEPTE
    assert str(collectif.montant_accorde) == "1500.00"

    # --- La lettre de décision se télécharge en PDF -------------------------------------------
    with caf.expect_download() as telechargement:
        caf.get_by_role("link", name=re.compile("lettre de décision")).click()
    lettre = telechargement.value
    assert lettre.suggested_filename.endswith(".pdf")
    with open(lettre.path(), "rb") as fichier:
        assert fichier.read(5) == b"%PDF-"
