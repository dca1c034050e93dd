"""Tâches Celery des dossiers : les courriels de notification.

Elles sont mises en file par ``clas_portal.taches.differer`` dans la transaction qui les motive
(dépôt, changement d'état, message) et partent après sa validation. ``TacheFiable`` les rend
uniques (un message publié deux fois n'envoie qu'un courriel) et réessaie les erreurs passagères
(serveur de courriel, base). Elles ne reçoivent que des identifiants et relisent le reste en
base.
"""

from celery import shared_task

from clas_portal.taches import TacheFiable

from . import emails


@shared_task(name="dossiers.envoyer_accuse_depot", base=TacheFiable)
def envoyer_accuse_depot(dossier_pk: int, evenement_pk: int, site: str = "") -> None:
    """L'accusé de dépôt (PDF refait à partir des données figées) aux membres du porteur."""
    emails.envoyer_accuse_depot(dossier_pk, evenement_pk, site)


@shared_task(name="dossiers.envoyer_notification_depot", base=TacheFiable)
def envoyer_notification_depot(dossier_pk: int, evenement_pk: int, site: str = "") -> None:
    """La notification d'un dépôt aux agents Caf du département."""
    emails.notifier_agents_depot(dossier_pk, evenement_pk, site)


@shared_task(name="dossiers.envoyer_notification_transition", base=TacheFiable)
def envoyer_notification_transition(evenement_pk: int, nom_transition: str) -> None:
    """Le courriel au porteur après un changement d'état décidé par la Caf (lettre de décision
    jointe pour une décision)."""
    from .workflow import notifier_porteur

    notifier_porteur(evenement_pk, nom_transition)


@shared_task(name="dossiers.envoyer_notification_message", base=TacheFiable)
def envoyer_notification_message(message_pk: int, site: str = "") -> None:
    """Un message posté sur le fil du dossier : prévenir l'autre côté."""
    emails.notifier_message(message_pk, site)
