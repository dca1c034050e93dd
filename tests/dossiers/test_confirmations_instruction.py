"""Les changements d'état qui demandent du soin, depuis la page du dossier : « Proposer au
comité » se confirme par une case à cocher ; « Reprendre l'instruction » ramène un dossier
proposé au comité en instruction, avec un motif écrit."""

import html
import re

import pytest
from django.urls import reverse

from dossiers.models import Dossier, Etat, Evenement

pytestmark = pytest.mark.django_db

CONFIRMATION = (
    "Je confirme que l'instruction est terminée et que le dossier est proposé au comité ; "
    "le porteur sera prévenu par courriel."
)


def url_detail(dossier) -> str:
    return reverse("dossiers:detail", args=[dossier.pk])


def url_transition(dossier, nom) -> str:
    return reverse("dossiers:transition", args=[dossier.pk, nom])


def lire(reponse) -> str:
    return html.unescape(reponse.content.decode())


def formulaire(page: str, nom: str, dossier) -> str:
    """Le HTML du formulaire de la transition ``nom`` sur la page."""
    debut = page.index(f'action="{url_transition(dossier, nom)}"')
    return page[debut : page.index("</form>", debut)]


def poster(client, dossier, nom, page: str, **champs):
    """Soumet le formulaire ``nom`` avec les champs cachés lus dans ``page``."""
    caches = re.findall(rf'name="{nom}-(\w+)" value="(\d+)"', page)
    donnees = {f"{nom}-{k}": v for k, v in caches}
    donnees.update({f"{nom}-{k}": v for k, v in champs.items()})
    return client.post(url_transition(dossier, nom), donnees)


def en_etat(dossier, etat) -> Dossier:
    Dossier.objects.filter(pk=dossier.pk).update(etat=etat)
    dossier.refresh_from_db()
    return dossier


# --- Proposer au comité : une case à cocher ------------------------------------------------


def test_proposer_au_comite_n_est_plus_un_bouton_en_un_clic(client, agent59, dossier_59):
    en_etat(dossier_59, Etat.EN_INSTRUCTION)
    client.force_login(agent59)
    page = lire(client.get(url_detail(dossier_59)))
    assert '<details class="mt-3 border rounded p-2" id="transition-proposer_comite">' in page
    form = formulaire(page, "proposer_comite", dossier_59)
    assert 'type="checkbox"' in form and 'name="proposer_comite-confirmation"' in form
    assert CONFIRMATION in form
    assert 'for="id_proposer_comite-confirmation"' in form


def test_proposer_au_comite_sans_confirmation(
    client, agent59, dossier_59, mailoutbox, django_capture_on_commit_callbacks
):
    en_etat(dossier_59, Etat.EN_INSTRUCTION)
    client.force_login(agent59)
    page = lire(client.get(url_detail(dossier_59)))
    with django_capture_on_commit_callbacks(execute=True):
        reponse = poster(client, dossier_59, "proposer_comite", page)
    assert reponse.status_code == 400
    contenu = lire(reponse)
    message = "Cochez la case de confirmation pour proposer le dossier au comité."
    resume = contenu.split('id="proposer_comite-erreurs"')[1].split("</div>")[0]
    assert "1 erreur à corriger" in resume
    assert f'<a href="#id_proposer_comite-confirmation">{message}</a>' in resume
    assert 'id="transition-proposer_comite" open' in contenu
    assert 'aria-invalid="true" aria-describedby="erreur-confirmation-proposer_comite"' in contenu
    dossier_59.refresh_from_db()
    assert (dossier_59.etat, dossier_59.version) == (Etat.EN_INSTRUCTION, 1)
    assert not Evenement.objects.filter(dossier=dossier_59).exists()
    assert mailoutbox == []


def test_proposer_au_comite_confirme(
    client, agent59, porteur_user, dossier_59, mailoutbox, django_capture_on_commit_callbacks
):
    en_etat(dossier_59, Etat.EN_INSTRUCTION)
    client.force_login(agent59)
    page = lire(client.get(url_detail(dossier_59)))
    with django_capture_on_commit_callbacks(execute=True):
        reponse = poster(client, dossier_59, "proposer_comite", page, confirmation="on")
    assert reponse.status_code == 302
    dossier_59.refresh_from_db()
    assert (dossier_59.etat, dossier_59.version) == (Etat.PROPOSE_COMITE, 2)
    evenement = Evenement.objects.get(dossier=dossier_59)
    assert (evenement.etat_avant, evenement.etat_apres, evenement.auteur) == (
        Etat.EN_INSTRUCTION,
        Etat.PROPOSE_COMITE,
        agent59,
    )
    (courriel,) = mailoutbox
    assert courriel.to == [porteur_user.email]


# --- Reprendre l'instruction ---------------------------------------------------------------


def test_reprendre_l_instruction_exige_un_motif(
    client, agent59, dossier_59, mailoutbox, django_capture_on_commit_callbacks
):
    en_etat(dossier_59, Etat.PROPOSE_COMITE)
    client.force_login(agent59)
    page = lire(client.get(url_detail(dossier_59)))
    form = formulaire(page, "reprendre_instruction", dossier_59)
    assert "Pourquoi l'instruction reprend" in form
    assert "Reprendre l'instruction" in page
    with django_capture_on_commit_callbacks(execute=True):
        reponse = poster(client, dossier_59, "reprendre_instruction", page, motif="  ")
    assert reponse.status_code == 400
    contenu = lire(reponse)
    assert "« Reprendre l'instruction » demande un texte : écrivez-le avant de valider." in contenu
    assert 'href="#id_reprendre_instruction-motif"' in contenu
    dossier_59.refresh_from_db()
    assert (dossier_59.etat, dossier_59.version) == (Etat.PROPOSE_COMITE, 1)
    assert not Evenement.objects.filter(dossier=dossier_59).exists()
    assert mailoutbox == []


def test_reprendre_l_instruction(
    client, agent59, porteur_user, dossier_59, mailoutbox, django_capture_on_commit_callbacks
):
    en_etat(dossier_59, Etat.PROPOSE_COMITE)
    client.force_login(agent59)
    page = lire(client.get(url_detail(dossier_59)))
    motif = "Le budget prévisionnel doit être revu avant le comité."
    with django_capture_on_commit_callbacks(execute=True):
        reponse = poster(client, dossier_59, "reprendre_instruction", page, motif=motif)
    assert reponse.status_code == 302
    dossier_59.refresh_from_db()
    assert (dossier_59.etat, dossier_59.version) == (Etat.EN_INSTRUCTION, 2)
    evenement = Evenement.objects.get(dossier=dossier_59)
    assert (evenement.type, evenement.etat_avant, evenement.etat_apres) == (
        Evenement.Type.TRANSITION,
        Etat.PROPOSE_COMITE,
        Etat.EN_INSTRUCTION,
    )
    assert (evenement.auteur, evenement.commentaire) == (agent59, motif)
    (courriel,) = mailoutbox
    assert courriel.to == [porteur_user.email]
    assert "la Caf reprend son instruction" in courriel.body
    assert motif in courriel.body
    suite = lire(client.get(reponse["Location"]))
    assert "« Reprendre l'instruction » : fait." in suite
    # Le dossier peut de nouveau être proposé au comité.
    assert f'action="{url_transition(dossier_59, "proposer_comite")}"' in suite


@pytest.mark.parametrize("qui", ["secretariat59", "porteur_user", "admin_national"])
def test_reprendre_l_instruction_reservee_aux_agents(client, request, dossier_59, qui):
    en_etat(dossier_59, Etat.PROPOSE_COMITE)
    client.force_login(request.getfixturevalue(qui))
    page = lire(client.get(url_detail(dossier_59)))
    assert url_transition(dossier_59, "reprendre_instruction") not in page
    reponse = client.post(
        url_transition(dossier_59, "reprendre_instruction"),
        {"reprendre_instruction-version": "1", "reprendre_instruction-motif": "Pourquoi pas."},
    )
    assert reponse.status_code == 403
    assert "est réservé au rôle : agent Caf" in lire(reponse)
    dossier_59.refresh_from_db()
    assert (dossier_59.etat, dossier_59.version) == (Etat.PROPOSE_COMITE, 1)
    assert not Evenement.objects.filter(dossier=dossier_59).exists()


def test_reprendre_l_instruction_impossible_hors_comite(client, agent59, dossier_59):
    en_etat(dossier_59, Etat.EN_INSTRUCTION)
    client.force_login(agent59)
    reponse = client.post(
        url_transition(dossier_59, "reprendre_instruction"),
        {"reprendre_instruction-version": "1", "reprendre_instruction-motif": "Pourquoi pas."},
    )
    assert reponse.status_code == 403
    assert "est impossible : le dossier est « en instruction »" in lire(reponse)
    assert not Evenement.objects.filter(dossier=dossier_59).exists()
