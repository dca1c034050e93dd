"""Courriels liés à un dossier : accusé de dépôt, notification des agents, messages.

Ce sont les corps des tâches Celery de ``dossiers.tasks`` : mises dans la boîte d'envoi
(``clas_portal.taches.differer``) par la transaction qui les motive, elles partent après sa
validation, dans le worker ; une transaction annulée n'envoie rien. Elles relisent en base ce
qu'elles citent (l'accusé de dépôt est refait à partir des données figées). Une erreur d'envoi
remonte : la tâche est réessayée.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from comptes.models import Role, Utilisateur

logger = logging.getLogger(__name__)

GABARITS = "dossiers/depot/courriels/"


def adresses_membres(porteur_id: int, en_premier=None) -> list[str]:
    """Les adresses des membres actifs de l'organisation (``en_premier`` d'abord)."""
    adresses = list(
        Utilisateur.objects.filter(adhesions__porteur_id=porteur_id, is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    if en_premier is not None and en_premier.email in adresses:
        adresses.remove(en_premier.email)
        adresses.insert(0, en_premier.email)
    return adresses


def adresses_agents(departement_id: str) -> list[str]:
    """Les adresses des agents Caf actifs du département."""
    return list(
        Utilisateur.objects.filter(role=Role.AGENT, departement_id=departement_id, is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
    )


def _lien(site: str, nom: str, *args) -> str:
    return site.rstrip("/") + reverse(nom, args=args)


def _courriel(sujet: str, gabarit: str, contexte: dict, destinataires: list[str]):
    corps = render_to_string(GABARITS + gabarit, contexte)
    return EmailMessage(
        subject=f"[{settings.CLAS_NOM_PORTAIL}] {sujet}",
        body=corps,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=destinataires,
    )


def _contexte_depot(dossier_pk: int, evenement_pk: int, site: str) -> dict:
    from .models import Dossier, Evenement

    dossier = Dossier.objects.select_related("porteur", "departement").get(pk=dossier_pk)
    evenement = Evenement.objects.select_related("auteur").get(pk=evenement_pk)
    return {
        "dossier": dossier,
        "evenement": evenement,
        "redepot": evenement.etat_apres == "en_instruction",
        "lien_dossier": _lien(site, "dossiers:detail", dossier.pk),
        "lien_accuse": _lien(site, "dossiers:accuse", dossier.pk),
        "nom_portail": settings.CLAS_NOM_PORTAIL,
    }


def envoyer_accuse_depot(dossier_pk: int, evenement_pk: int, site: str) -> None:
    """Après un dépôt : l'accusé aux membres de l'organisation, en pièce jointe.

    L'accusé est refait ici, à l'identique, à partir de l'événement de dépôt et de l'évaluation
    figée avec lui (comme le téléchargement : ``dossiers.pdf``).
    """
    from .depot import evaluation_du_depot
    from .pdf import accuse_de_depot, nom_fichier_accuse

    contexte = _contexte_depot(dossier_pk, evenement_pk, site)
    dossier, evenement = contexte["dossier"], contexte["evenement"]
    membres = adresses_membres(dossier.porteur_id, en_premier=evenement.auteur)
    if not membres:
        return
    evaluation = evaluation_du_depot(evenement)
    if evaluation is None:  # pragma: no cover — écrite dans la transaction du dépôt
        raise RuntimeError(f"Évaluation du dépôt introuvable (dossier {dossier.pk}).")
    quoi = "complété et redéposé" if contexte["redepot"] else "déposé"
    courriel = _courriel(
        f"Dossier Clas {dossier.annee_scolaire} {quoi} — accusé de dépôt",
        "depot_porteur.txt",
        contexte,
        membres,
    )
    courriel.attach(
        nom_fichier_accuse(dossier.pk, dossier.annee_scolaire),
        accuse_de_depot(dossier.pk, evenement, evaluation),
        "application/pdf",
    )
    courriel.send()


def notifier_agents_depot(dossier_pk: int, evenement_pk: int, site: str) -> None:
    """Après un dépôt : la notification aux agents Caf du département."""
    contexte = _contexte_depot(dossier_pk, evenement_pk, site)
    dossier = contexte["dossier"]
    agents = adresses_agents(dossier.departement_id)
    if not agents:
        return
    quoi = "redéposé après complément" if contexte["redepot"] else "nouveau dossier déposé"
    _courriel(
        f"{dossier.porteur.raison_sociale} — {quoi} ({dossier.annee_scolaire})",
        "depot_agents.txt",
        contexte,
        agents,
    ).send()


def notifier_message(message_pk: int, site: str) -> None:
    """Un message posté : prévenir l'autre côté (porteur → agents ; Caf → membres)."""
    from .models import Message

    message = Message.objects.select_related(
        "auteur", "dossier__porteur", "dossier__departement"
    ).get(pk=message_pk)
    dossier = message.dossier
    du_porteur = message.auteur is not None and message.auteur.est_porteur
    if du_porteur:
        destinataires = adresses_agents(dossier.departement_id)
    else:
        destinataires = adresses_membres(dossier.porteur_id)
    if not destinataires:
        return
    contexte = {
        "message": message,
        "dossier": dossier,
        "du_porteur": du_porteur,
        "lien_dossier": _lien(site, "dossiers:detail", dossier.pk) + "#messages",
        "nom_portail": settings.CLAS_NOM_PORTAIL,
    }
    sujet = (
        f"Nouveau message de {dossier.porteur.raison_sociale} ({dossier.annee_scolaire})"
        if du_porteur
        else f"Nouveau message de la Caf sur votre dossier Clas {dossier.annee_scolaire}"
    )
    _courriel(sujet, "message.txt", contexte, destinataires).send()
