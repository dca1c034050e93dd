"""Connexions, échecs de connexion et déconnexions, consignés au journal d'audit."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .journal import consigner
from .models import Action


@receiver(user_logged_in, dispatch_uid="audit_connexion")
def connexion(sender, request, user, **kwargs):
    consigner(Action.CONNEXION, utilisateur=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_deconnexion")
def deconnexion(sender, request, user, **kwargs):
    if user is not None:
        consigner(Action.DECONNEXION, utilisateur=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_echec_connexion")
def echec_connexion(sender, credentials, request=None, **kwargs):
    # Django masque déjà le mot de passe dans ``credentials`` ; on ne garde que l'identifiant.
    identifiant = str(credentials.get("username") or credentials.get("email") or "")[:254]
    consigner(Action.ECHEC_CONNEXION, request=request, email=identifiant, utilisateur=None)
