"""Authentification renforcée : verrouillage après des échecs (django-axes), second facteur TOTP
(django-otp) pour le personnel des Caf et l'administration, expiration des sessions inactives.

- Verrouillage : après ``AXES_FAILURE_LIMIT`` échecs pour un même couple (identifiant, adresse
  IP), la connexion est refusée ``AXES_COOLOFF_TIME`` ; un administrateur débloque plus tôt en
  supprimant les tentatives (administration → Axes → Tentatives d'accès) ou par
  ``manage.py axes_reset_username <courriel>``.
- Second facteur : quand ``CLAS_MFA_REQUIRED`` est vrai (par défaut en production), un agent, un
  secrétariat ou un administrateur connecté par mot de passe doit configurer puis saisir un code
  TOTP avant toute autre page.
- Inactivité : la session du personnel Caf et de l'administration expire après
  ``CLAS_INACTIVITE_CAF_SECONDES`` sans requête.
"""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from audit.journal import consigner
from audit.models import Action


def identifiant_axes(request, credentials) -> str:
    """L'identifiant retenu pour le verrouillage : le courriel en minuscules (la connexion est
    insensible à la casse, le verrouillage doit l'être aussi)."""
    valeur = (credentials or {}).get("username")
    if valeur is None and request is not None:
        valeur = request.POST.get("username", "")
    return str(valeur or "").strip().lower()


def adresse_ip_axes(request) -> str:
    from audit.journal import adresse_ip

    return adresse_ip(request) or ""


CLE_ACTIVITE = "activite_caf"
RAFRAICHISSEMENT = 60  # secondes


def prolonger_session(request) -> None:
    request.session.set_expiry(settings.CLAS_INACTIVITE_CAF_SECONDES)
    request.session[CLE_ACTIVITE] = int(time.time())


@receiver(user_logged_in, dispatch_uid="session_courte_personnel_caf")
def session_courte(sender, request, user, **kwargs):
    if (
        request is not None
        and hasattr(request, "session")
        and (user.est_personnel_caf or user.est_admin)
    ):
        prolonger_session(request)


def doit_avoir_second_facteur(user) -> bool:
    return bool(
        user.is_authenticated
        and (user.est_personnel_caf or user.est_admin)
        and getattr(settings, "CLAS_MFA_REQUIRED", False)
    )


class SecuriteCompteMiddleware:
    """Après AuthenticationMiddleware et OTPMiddleware : second facteur obligatoire et
    expiration des sessions inactives du personnel Caf."""

    CHEMINS_LIBRES = ("/securite/", "/deconnexion/", "/static/", "/accessibilite/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and (user.est_personnel_caf or user.est_admin)
        ):
            # Fenêtre glissante : l'activité repousse l'échéance (au plus une écriture de
            # session par minute, pour ne pas écrire en base à chaque page).
            if time.time() - request.session.get(CLE_ACTIVITE, 0) >= RAFRAICHISSEMENT:
                prolonger_session(request)
            if (
                doit_avoir_second_facteur(user)
                and not user.is_verified()
                and not request.path.startswith(self.CHEMINS_LIBRES)
            ):
                from django_otp import devices_for_user

                nom = (
                    "mfa_verifier"
                    if any(True for _ in devices_for_user(user, confirmed=True))
                    else "mfa_configurer"
                )
                return redirect(reverse(nom) + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)


try:
    from axes.signals import user_locked_out

    @receiver(user_locked_out, dispatch_uid="audit_verrouillage")
    def verrouillage(sender, request, username, ip_address, **kwargs):
        consigner(Action.VERROUILLAGE, request=request, email=str(username or "")[:254])
except ImportError:  # pragma: no cover - axes fait partie des dépendances
    pass
