"""Écrire dans le journal d'audit : ``consigner(action, objet=..., details=...)``.

La requête en cours (utilisateur, IP, page) est connue grâce à ``RequeteCouranteMiddleware`` :
le code métier (workflow, décision, téléchargements) consigne sans avoir à la transmettre.
Appelé dans une transaction, l'événement est annulé avec elle : le journal ne dit jamais qu'un
changement a eu lieu s'il n'a pas eu lieu.
"""

import contextvars
import logging

from django.core.exceptions import PermissionDenied

from .models import Action, EvenementAudit

logger = logging.getLogger("clas.audit")

_requete = contextvars.ContextVar("requete_courante", default=None)


def requete_courante():
    """La requête HTTP en cours (None hors requête : commande, tâche Celery)."""
    return _requete.get()


def adresse_ip(request) -> str | None:
    """L'adresse du client. Derrière le mandataire TLS (``BEHIND_TLS_PROXY``), gunicorn réécrit
    REMOTE_ADDR d'après X-Forwarded-For pour les mandataires de confiance (``forwarded_allow_ips``) :
    on ne lit jamais l'en-tête nous-mêmes, il est falsifiable."""
    ip = request.META.get("REMOTE_ADDR") or None
    return ip


def consigner(action: str, *, objet=None, utilisateur=None, request=None, details=None, email=""):
    """Ajoute un événement au journal. ``utilisateur`` et ``request`` par défaut : ceux de la
    requête en cours (s'il y en a une — une commande ou une tâche n'en a pas)."""
    request = request if request is not None else _requete.get()
    if utilisateur is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            utilisateur = user
    evenement = EvenementAudit(action=action, details=details or {}, email=email)
    if utilisateur is not None:
        evenement.utilisateur_id = utilisateur.pk
        evenement.email = utilisateur.email
        evenement.role = getattr(utilisateur, "role", "") or ""
    if request is not None:
        evenement.ip = adresse_ip(request)
        evenement.methode = (request.method or "")[:8]
        evenement.chemin = request.get_full_path()[:500]
    if objet is not None:
        evenement.objet_type = objet._meta.label_lower[:60]
        evenement.objet_id = str(objet.pk)[:40]
        evenement.objet_libelle = str(objet)[:255]
        departement = getattr(objet, "departement_id", None)
        if departement is None and hasattr(objet, "dossier_id"):
            departement = getattr(getattr(objet, "dossier", None), "departement_id", None)
        evenement.departement = (departement or "")[:3]
    evenement.save()
    logger.info(
        "%s %s %s:%s", action, evenement.email or "-", evenement.objet_type, evenement.objet_id
    )
    return evenement


class RequeteCouranteMiddleware:
    """Rend la requête en cours accessible à ``consigner`` et journalise les refus d'accès."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        jeton = _requete.set(request)
        try:
            return self.get_response(request)
        finally:
            _requete.reset(jeton)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            consigner(Action.REFUS_ACCES, request=request, details={"motif": str(exception)[:200]})
        return None
