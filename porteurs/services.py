"""Règles d'accès aux organisations et cycle de vie des invitations.

- ``droits_sur(user, porteur)`` : ce qu'un utilisateur peut faire sur une organisation qu'il voit
  déjà (le périmètre, lui, vient de ``Porteur.objects.visible_to``) ;
- ``creer_invitation`` / ``accepter_invitation`` : les invitations, toujours en transaction.
"""

import datetime
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import Invitation, Membre, Porteur

DUREE_INVITATION = datetime.timedelta(days=14)


# --- droits ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Droits:
    """Droits d'un utilisateur sur une organisation qu'il voit.

    - ``modifier`` : identité et pièces permanentes (les membres de l'organisation) ;
    - ``gerer_membres`` : retirer un membre, changer sa qualité (les responsables) ;
    - ``inviter`` : inviter et annuler une invitation (les responsables et les agents Caf).
    """

    adhesion: Membre | None = None
    modifier: bool = False
    gerer_membres: bool = False
    inviter: bool = False


def droits_sur(user, porteur: Porteur, membres=None) -> Droits:
    """Droits de ``user`` sur ``porteur``, déjà obtenu par ``Porteur.objects.visible_to(user)``.

    ``membres`` : la liste des membres si la page l'a déjà chargée (évite une requête).
    """
    adhesion = None
    if user.est_porteur:
        if membres is None:
            adhesion = Membre.objects.filter(porteur=porteur, utilisateur_id=user.pk).first()
        else:
            adhesion = next((m for m in membres if m.utilisateur_id == user.pk), None)
    responsable = adhesion is not None and adhesion.qualite == Membre.Qualite.RESPONSABLE
    return Droits(
        adhesion=adhesion,
        modifier=adhesion is not None,
        gerer_membres=responsable,
        inviter=responsable or user.est_agent,
    )


# --- invitations -----------------------------------------------------------------------------
class EtatInvitation:
    VALIDE = "valide"
    ACCEPTEE = "acceptee"
    ANNULEE = "annulee"
    EXPIREE = "expiree"


def etat_invitation(invitation: Invitation, maintenant=None) -> str:
    if invitation.acceptee_le is not None:
        return EtatInvitation.ACCEPTEE
    if invitation.annulee_le is not None:
        return EtatInvitation.ANNULEE
    if invitation.expire_le <= (maintenant or timezone.now()):
        return EtatInvitation.EXPIREE
    return EtatInvitation.VALIDE


class InvitationInvalide(Exception):
    """L'invitation ne peut plus servir (acceptée, annulée, expirée, ou adressée à un autre)."""

    def __init__(self, etat: str):
        super().__init__(etat)
        self.etat = etat


def creer_invitation(porteur: Porteur, email: str, invite_par) -> Invitation:
    """Nouvelle invitation, valable 14 jours ; celles encore en attente pour la même adresse
    sont annulées (une seule invitation vivante par adresse et par organisation)."""
    email = email.strip().lower()
    maintenant = timezone.now()
    with transaction.atomic():
        porteur.invitations.valides().filter(email__iexact=email).update(annulee_le=maintenant)
        return Invitation.objects.create(
            porteur=porteur,
            email=email,
            jeton=secrets.token_urlsafe(32),
            invite_par=invite_par,
            expire_le=maintenant + DUREE_INVITATION,
        )


def accepter_invitation(invitation: Invitation, utilisateur) -> Membre:
    """Fait de ``utilisateur`` un membre de l'organisation ; l'invitation ne resservira pas.

    La personne rejoint l'organisation comme contributeur, ou comme responsable si l'organisation
    n'en a encore aucun (première personne invitée par la Caf).
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        etat = etat_invitation(invitation)
        if etat != EtatInvitation.VALIDE:
            raise InvitationInvalide(etat)
        if invitation.email.lower() != utilisateur.email.lower():
            raise InvitationInvalide("autre_adresse")
        a_un_responsable = Membre.objects.filter(
            porteur_id=invitation.porteur_id, qualite=Membre.Qualite.RESPONSABLE
        ).exists()
        membre, _cree = Membre.objects.get_or_create(
            porteur_id=invitation.porteur_id,
            utilisateur=utilisateur,
            defaults={
                "qualite": Membre.Qualite.CONTRIBUTEUR
                if a_un_responsable
                else Membre.Qualite.RESPONSABLE
            },
        )
        invitation.acceptee_le = timezone.now()
        invitation.save(update_fields=["acceptee_le"])
    return membre
