"""Les signaux de suivi de la file : « Réponse du porteur » quand le porteur a écrit ou redéposé
depuis la dernière action de la Caf, « Redéposé le JJ/MM » sous la date de dépôt — sans
requête de plus, quel que soit le nombre de dossiers."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dossiers import workflow
from dossiers.forms_depot import MessageForm
from dossiers.models import Dossier, Etat, Evenement
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db

LISTE = reverse("dossiers:liste")
BADGE = ">Réponse du porteur</span>"


def ligne_de(page: str, pk: int) -> str:
    """Le ``<tr>`` du dossier ``pk`` (la case à cocher porte son numéro)."""
    debut = page.index(f'id="choix-{pk}"')
    return page[page.rindex("<tr>", 0, debut) : page.index("</tr>", debut) + len("</tr>")]


def le(jour: int, mois: int = 11, heure: int = 10) -> datetime:
    return timezone.make_aware(datetime(2025, mois, jour, heure))


def dater(evenement: Evenement, quand: datetime) -> Evenement:
    """``cree_le`` est rempli à la création : on le déplace pour ordonner les événements."""
    Evenement.objects.filter(pk=evenement.pk).update(cree_le=quand)
    return evenement


def message(dossier, auteur, quand: datetime) -> Evenement:
    """Un message du fil, écrit comme le fait la page du dossier (message + événement)."""
    form = MessageForm({"texte": "Bonjour, voici la pièce demandée."})
    assert form.is_valid()
    form.save(dossier=dossier, auteur=auteur)
    return dater(dossier.evenements.filter(type=Evenement.Type.MESSAGE).latest("pk"), quand)


def transition(dossier, nom, auteur, quand: datetime, motif: str = "") -> Evenement:
    return dater(workflow.appliquer(dossier, nom, auteur, motif), quand)


def page_de(client, user, **params) -> str:
    client.force_login(user)
    return client.get(LISTE, {"onglet": "tous", **params}).content.decode()


def test_message_du_porteur_apres_la_demande_de_complement(
    client, agent59, porteur_user, dossier_59
):
    transition(dossier_59, "demander_complement", agent59, le(3), "Joignez le RIB.")
    message(dossier_59, porteur_user, le(12))
    ligne = ligne_de(page_de(client, agent59), dossier_59.pk)
    assert BADGE in ligne
    assert '<span class="small text-nowrap">le 12/11</span>' in ligne
    assert "Redéposé" not in ligne  # un message n'est pas un redépôt


def test_la_reponse_de_la_caf_eteint_le_signal(client, agent59, porteur_user, dossier_59):
    message(dossier_59, porteur_user, le(12))
    assert BADGE in ligne_de(page_de(client, agent59), dossier_59.pk)
    message(dossier_59, agent59, le(13))
    assert BADGE not in ligne_de(page_de(client, agent59), dossier_59.pk)
    # Une nouvelle question du porteur le rallume.
    message(dossier_59, porteur_user, le(14))
    ligne = ligne_de(page_de(client, agent59), dossier_59.pk)
    assert BADGE in ligne and "le 14/11" in ligne


def test_un_changement_d_etat_par_la_caf_eteint_le_signal(
    client, agent59, porteur_user, dossier_59
):
    message(dossier_59, porteur_user, le(12))
    transition(dossier_59, "instruire", agent59, le(13))
    assert BADGE not in ligne_de(page_de(client, agent59), dossier_59.pk)


def test_une_assignation_n_est_pas_une_reponse(client, agent59, porteur_user, dossier_59):
    """Confier le dossier (transition d'un état vers lui-même) ne répond pas au porteur."""
    from dossiers.forms_file import confier

    message(dossier_59, porteur_user, le(12))
    dater(confier(dossier_59, agent59, agent59), le(13))
    assert BADGE in ligne_de(page_de(client, agent59), dossier_59.pk)


def test_sans_reponse_du_porteur_pas_de_signal(client, agent59, porteur_user, dossier_59):
    """Le premier dépôt n'est pas une réponse ; un message de la Caf seul non plus."""
    dater(
        Evenement.objects.create(
            dossier=dossier_59,
            type=Evenement.Type.DEPOT,
            auteur=porteur_user,
            etat_avant=Etat.BROUILLON,
            etat_apres=Etat.DEPOSE,
        ),
        le(2),
    )
    message(dossier_59, agent59, le(5))
    ligne = ligne_de(page_de(client, agent59), dossier_59.pk)
    assert "Réponse du porteur" not in ligne and "Redéposé" not in ligne


def test_le_redepot_est_signale(client, agent59, porteur_user, dossier_59):
    dossier_59.depose_le = le(2)
    Dossier.objects.filter(pk=dossier_59.pk).update(depose_le=le(2))
    transition(dossier_59, "demander_complement", agent59, le(3), "Joignez le RIB.")
    transition(dossier_59, "redeposer", porteur_user, le(20), "Dossier complété et redéposé.")
    ligne = ligne_de(page_de(client, agent59), dossier_59.pk)
    # La date du premier dépôt reste, celle du redépôt s'y ajoute ; la Caf n'a pas encore agi.
    assert '<td class="text-nowrap">02/11/2025<div class="small text-body-secondary">' in ligne
    assert "Redéposé le 20/11</div>" in ligne
    assert BADGE in ligne and "le 20/11" in ligne
    # L'agent propose le dossier au comité : le signal s'éteint, le redépôt reste indiqué.
    transition(dossier_59, "proposer_comite", agent59, le(21))
    ligne = ligne_de(page_de(client, agent59), dossier_59.pk)
    assert BADGE not in ligne and "Redéposé le 20/11" in ligne


def test_visible_du_secretariat_sans_case_a_cocher(client, secretariat59, porteur_user, dossier_59):
    message(dossier_59, porteur_user, le(12))
    page = page_de(client, secretariat59)
    assert page.count(BADGE) == 1


def _dossiers_avec_suivi(n: int, agent, porteur_user, membre) -> None:
    for i in range(n):
        dossier = DossierFactory(porteur=membre.porteur, depose=True, complet=True)
        if i % 2:
            transition(dossier, "demander_complement", agent, le(3), "Complément.")
            transition(dossier, "redeposer", porteur_user, le(4), "Redéposé.")
        message(dossier, porteur_user, le(5) + timedelta(minutes=i))


def test_nombre_de_requetes_constant(client, agent59, porteur_user, membre):
    """Les signaux sont des sous-requêtes de la requête de la page : 12 dossiers ne coûtent pas
    plus de requêtes que 2."""
    _dossiers_avec_suivi(2, agent59, porteur_user, membre)
    client.force_login(agent59)
    client.get(LISTE)  # session et jeton CSRF en place
    with CaptureQueriesContext(connection) as deux:
        page = client.get(LISTE, {"onglet": "tous"}).content.decode()
    assert page.count(BADGE) == 2 and page.count("Redéposé le 04/11") == 1

    _dossiers_avec_suivi(10, agent59, porteur_user, membre)
    with CaptureQueriesContext(connection) as douze:
        page = client.get(LISTE, {"onglet": "tous"}).content.decode()
    assert page.count(BADGE) == 12 and page.count("Redéposé le 04/11") == 6
    assert len(douze) == len(deux)
    assert len(douze) <= 6  # session, compte, département, décompte, agents, page
