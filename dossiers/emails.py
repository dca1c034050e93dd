"""Courriels liés à un dossier : accusé de dépôt, notification des agents, messages.

Ils partent après la validation de la transaction qui les motive (``transaction.on_commit``) :
une transaction annulée n'envoie rien. Ils relisent en base ce qu'ils citent.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
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


def envoyer_depot(dossier_pk: int, evenement_pk: int, accuse: bytes, site: str) -> None:
    """Après un dépôt : l'accusé au porteur (pièce jointe), la notification aux agents."""
    from .models import Dossier, Evenement
    from .pdf import nom_fichier_accuse

    dossier = Dossier.objects.select_related("porteur", "departement").get(pk=dossier_pk)
    evenement = Evenement.objects.select_related("auteur").get(pk=evenement_pk)
    redepot = evenement.etat_apres == "en_instruction"
    contexte = {
        "dossier": dossier,
        "evenement": evenement,
        "redepot": redepot,
        "lien_dossier": _lien(site, "dossiers:detail", dossier.pk),
        "lien_accuse": _lien(site, "dossiers:accuse", dossier.pk),
        "nom_portail": settings.CLAS_NOM_PORTAIL,
    }
    courriels = []
    membres = adresses_membres(dossier.porteur_id, en_premier=evenement.auteur)
    if membres:
        quoi = "complété et redéposé" if redepot else "déposé"
        porteur = _courriel(
            f"Dossier Clas {dossier.annee_scolaire} {quoi} — accusé de dépôt",
            "depot_porteur.txt",
            contexte,
            membres,
        )
        porteur.attach(
            nom_fichier_accuse(dossier.pk, dossier.annee_scolaire), accuse, "application/pdf"
        )
        courriels.append(porteur)
    agents = adresses_agents(dossier.departement_id)
    if agents:
        quoi = "redéposé après complément" if redepot else "nouveau dossier déposé"
        courriels.append(
            _courriel(
                f"{dossier.porteur.raison_sociale} — {quoi} ({dossier.annee_scolaire})",
                "depot_agents.txt",
                contexte,
                agents,
            )
        )
    get_connection().send_messages(courriels)


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
