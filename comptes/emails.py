"""Courriels de l'accès au portail : confirmation d'inscription, invitation à une organisation,
avis de changement du mot de passe.

Texte brut, en français, envoyés par ``django.core.mail`` depuis ``DEFAULT_FROM_EMAIL``. Les liens
sont absolus, construits à partir de la requête (``request.build_absolute_uri``). Chaque fonction
s'appelle *après* la validation de la transaction qui a écrit les données (jamais au milieu) et
renvoie ``True`` si le message est parti : un serveur de courriel en panne ne doit pas faire échouer
une inscription déjà enregistrée (la personne peut redemander le lien).
"""

import logging
import smtplib

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

logger = logging.getLogger(__name__)


def envoyer(destinataire: str, gabarit: str, contexte: dict) -> bool:
    """Rend ``comptes/courriels/<gabarit>.txt`` (1re ligne : sujet) et l'envoie."""
    contexte = {"nom_portail": settings.CLAS_NOM_PORTAIL, **contexte}
    texte = render_to_string(f"comptes/courriels/{gabarit}.txt", contexte)
    sujet, _, corps = texte.strip().partition("\n")
    try:
        send_mail(
            sujet.strip(),
            corps.strip() + "\n",
            settings.DEFAULT_FROM_EMAIL,
            [destinataire],
            fail_silently=False,
        )
    except (smtplib.SMTPException, OSError):
        logger.exception("Courriel « %s » non envoyé à %s", gabarit, destinataire)
        return False
    return True


def lien_confirmation(request, utilisateur) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(utilisateur.pk))
    jeton = default_token_generator.make_token(utilisateur)
    return request.build_absolute_uri(
        reverse("inscription_confirmer", kwargs={"uidb64": uidb64, "token": jeton})
    )


def envoyer_confirmation_inscription(request, utilisateur) -> bool:
    """Lien de confirmation de l'adresse d'un compte créé par inscription (encore inactif)."""
    return envoyer(
        utilisateur.email,
        "confirmation_inscription",
        {
            "utilisateur": utilisateur,
            "lien": lien_confirmation(request, utilisateur),
            "lien_renvoi": request.build_absolute_uri(reverse("inscription_renvoyer")),
            "validite_jours": settings.PASSWORD_RESET_TIMEOUT // 86400,
        },
    )


def envoyer_compte_existant(request, utilisateur) -> bool:
    """Quelqu'un s'inscrit avec l'adresse d'un compte existant : on prévient le titulaire.

    La page d'inscription affiche la même réponse que pour une nouvelle adresse ; seul le
    titulaire de l'adresse apprend, par ce courriel, qu'un compte existe déjà.
    """
    if not utilisateur.is_active and utilisateur.last_login is None:
        # Inscription jamais confirmée : le plus utile est de renvoyer le lien.
        return envoyer_confirmation_inscription(request, utilisateur)
    return envoyer(
        utilisateur.email,
        "compte_existant",
        {
            "utilisateur": utilisateur,
            "lien_connexion": request.build_absolute_uri(reverse("connexion")),
            "lien_mot_de_passe": request.build_absolute_uri(reverse("mot_de_passe_oublie")),
        },
    )


def envoyer_invitation(request, invitation) -> bool:
    """Invitation à rejoindre une organisation porteuse ; le lien porte le jeton."""
    return envoyer(
        invitation.email,
        "invitation",
        {
            "invitation": invitation,
            "porteur": invitation.porteur,
            "invite_par": invitation.invite_par,
            "lien": request.build_absolute_uri(
                reverse("invitation", kwargs={"jeton": invitation.jeton})
            ),
        },
    )


def envoyer_mot_de_passe_modifie(request, utilisateur) -> bool:
    """Avis au titulaire : le mot de passe de son compte vient d'être changé (depuis « Mon
    compte »). S'il n'en est pas l'auteur, le courriel lui dit comment reprendre la main."""
    return envoyer(
        utilisateur.email,
        "mot_de_passe_modifie",
        {
            "utilisateur": utilisateur,
            "quand": timezone.localtime(),
            "lien_mot_de_passe": request.build_absolute_uri(reverse("mot_de_passe_oublie")),
        },
    )


def envoyer_confirmation_adresse(request, utilisateur, nouvelle: str, lien: str) -> bool:
    """Lien de confirmation envoyé à la nouvelle adresse demandée depuis « Mon compte »."""
    return envoyer(
        nouvelle,
        "confirmation_adresse",
        {
            "utilisateur": utilisateur,
            "nouvelle": nouvelle,
            "lien": lien,
            "validite_jours": settings.PASSWORD_RESET_TIMEOUT // 86400,
        },
    )


def envoyer_adresse_deja_utilisee(request, adresse: str) -> bool:
    """Quelqu'un a demandé à prendre cette adresse pour son compte ; elle sert déjà à un autre
    compte : seul son titulaire l'apprend (la page affiche la même réponse qu'en cas de succès)."""
    return envoyer(
        adresse,
        "adresse_deja_utilisee",
        {"lien_connexion": request.build_absolute_uri(reverse("connexion"))},
    )


def envoyer_adresse_modifiee(request, utilisateur, ancienne: str) -> bool:
    """Avis envoyé à l'ancienne adresse : le compte se connecte désormais avec la nouvelle."""
    return envoyer(
        ancienne,
        "adresse_modifiee",
        {
            "utilisateur": utilisateur,
            "ancienne": ancienne,
            "quand": timezone.localtime(),
        },
    )
