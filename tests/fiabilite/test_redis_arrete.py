"""Redis arrêté : le dépôt d'un dossier réussit quand même, vite, et ses courriels partent une
fois Redis revenu — exactement une fois. Vrai Redis (privé, arrêté puis relancé sur le même
port), vraie vue de dépôt, vrai worker Celery, relais déclenché comme le fait Celery beat."""

import io
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from weasyprint import HTML

from clas_portal.celery import app
from dossiers.models import Dossier, Etat
from fiabilite.models import TacheDifferee
from tests.dossiers.test_depot import (
    ajouter_pieces_permanentes,
    campagne,
    deposer_par_le_site,
    dossier_complet,
)
from tests.fiabilite.conftest import attendre, worker_reel
from tests.outils_celery import resultat_de

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TACHES_DU_DEPOT = {"dossiers.envoyer_accuse_depot", "dossiers.envoyer_notification_depot"}


def test_redis_arrete_le_depot_reussit_et_les_courriels_partent_a_son_retour(
    client, broker_prive, membre, porteur_user, agent59, dep59, mailoutbox
):
    campagne(dep59, 2025)
    ajouter_pieces_permanentes(membre.porteur)
    dossier = dossier_complet(membre.porteur)
    client.force_login(porteur_user)

    # WeasyPrint chargé d'avance (import, polices : une fois par processus) : le temps mesuré
    # est celui d'un dépôt sur un site déjà lancé.
    HTML(string="<p>Accusé</p>").write_pdf()

    broker_prive.arreter()
    debut = time.monotonic()
    reponse = deposer_par_le_site(client, dossier)
    duree = time.monotonic() - debut
    assert reponse.status_code == 302
    assert reponse["Location"] == reverse("dossiers:detail", args=[dossier.pk])
    assert duree < 3, f"le dépôt a pris {duree:.2f} s avec Redis arrêté"
    assert Dossier.objects.get(pk=dossier.pk).etat == Etat.DEPOSE
    lignes = list(TacheDifferee.objects.order_by("pk"))
    assert {ligne.nom_tache for ligne in lignes} == TACHES_DU_DEPOT
    for ligne in lignes:
        assert ligne.statut == "en attente", ligne.derniere_erreur
        assert ligne.derniere_erreur.startswith("Publication impossible")
    assert mailoutbox == []
    page = client.get(reponse["Location"]).content.decode()
    assert "Votre dossier est déposé" in page

    # Redis revient (même port, file vide : rien n'y avait été écrit). Celery beat met le relais
    # dans la file ; le worker l'exécute, puis exécute les tâches qu'il a publiées.
    broker_prive.demarrer()
    with worker_reel():
        relais = app.send_task("fiabilite.relayer")
        attendre(
            lambda: TacheDifferee.objects.filter(executee_le__isnull=True).count() == 0,
            message="tâches du dépôt exécutées",
        )
        # Un second passage du relais ne republie rien ; le témoin attend qu'il soit passé.
        assert resultat_de(relais)["publiees"] == 2
        assert resultat_de(app.send_task("fiabilite.relayer"))["publiees"] == 0

    assert len(mailoutbox) == 2
    (au_porteur,) = [c for c in mailoutbox if porteur_user.email in c.to]
    (aux_agents,) = [c for c in mailoutbox if agent59.email in c.to]
    ((nom, contenu, mime),) = au_porteur.attachments
    assert nom == f"accuse-de-depot-dossier-{dossier.pk}-2025-2026.pdf"
    assert mime == "application/pdf" and contenu.startswith(b"%PDF")
    assert "a bien été déposé" in au_porteur.body
    assert dossier.porteur.raison_sociale in aux_agents.subject
    for ligne in TacheDifferee.objects.all():
        # Une publication refusée (Redis arrêté), une réussie (le relais).
        assert (ligne.statut, ligne.tentatives, ligne.derniere_erreur) == ("exécutée", 2, "")
    sortie = io.StringIO()
    call_command("relayer_taches", stdout=sortie)
    assert sortie.getvalue().strip() == "0 tâche(s) publiée(s) ; 0 en attente."
    assert len(mailoutbox) == 2
