"""Des tâches qui ne se perdent pas : une boîte d'envoi transactionnelle devant Celery.

Le problème : une tâche mise en file pendant la transaction métier part même si la transaction
est annulée ; mise en file après la validation, elle est perdue si le broker (Redis) est
injoignable à cet instant. La réponse, classique, est une « boîte d'envoi » (*outbox*) :

- ``differer(nom_tache, *args, **kwargs)``, appelé DANS la transaction métier, écrit une ligne
  ``fiabilite.TacheDifferee`` (nom, arguments JSON). Elle est validée ou annulée avec le reste :
  une transaction annulée ne laisse aucune tâche ;
- après la validation (``transaction.on_commit``), la ligne est publiée au broker
  (``app.send_task(nom, args, kwargs, task_id="differee-<pk>")``) avec une politique de
  publication courte (``POLITIQUE_PUBLICATION``) : Redis arrêté (connexion refusée) fait échouer
  la publication en quelques millisecondes, Redis figé au pire en quelques secondes
  (``socket_connect_timeout`` / ``socket_timeout`` du transport, voir les réglages). L'échec est
  journalisé et la ligne reste en attente : la requête web répond normalement ;
- ``relayer()`` publie les lignes en attente, les plus anciennes d'abord (sur PostgreSQL,
  ``select_for_update(skip_locked=True)`` : deux relais simultanés ne prennent pas les mêmes).
  Il tourne chaque minute (tâche ``fiabilite.relayer`` de Celery beat) et à la main
  (``manage.py relayer_taches``). Il republie aussi une tâche publiée depuis plus de
  ``CLAS_TACHES_DELAI_REPRISE`` secondes et toujours pas exécutée (message perdu par un Redis
  redémarré sans persistance, par exemple), pendant ``CLAS_TACHES_ABANDON_JOURS`` jours ;
- côté worker, les tâches différées héritent de ``TacheFiable`` : l'exécution verrouille la
  ligne, ne fait rien si elle est déjà exécutée, sinon exécute le corps et la marque exécutée
  dans la même transaction. Un message publié deux fois (relais + reprise, redélivrance après
  l'arrêt brutal d'un worker) n'envoie donc qu'un courriel. ``TacheFiable`` réessaie aussi les
  erreurs passagères (SMTP, réseau, base de données) avec un délai croissant.

Ce qui est garanti : au moins une publication de chaque tâche validée, et au plus une exécution
réussie de son corps (la ligne est marquée dans la transaction du corps). Un courriel peut être
envoyé deux fois dans un seul cas : le serveur SMTP l'a accepté mais la base tombe avant la
validation de la marque — on préfère un doublon à une perte.

Dans les tests (``CLAS_TACHES_SYNCHRONES``) : la plupart des tests vérifient les courriels dans
``mail.outbox`` juste après une requête, sans worker. Plutôt que de rendre Celery « eager »
(``CELERY_TASK_ALWAYS_EAGER``, qui court-circuiterait aussi la boîte d'envoi et le broker),
``tests/conftest.py`` active ``CLAS_TACHES_SYNCHRONES`` : la ligne est écrite de la même façon,
et après la validation la tâche s'exécute dans le processus (``Task.apply``), par le même
``TacheFiable`` (verrou, marque d'exécution) au lieu d'être publiée. Les tests de
``tests/fiabilite/`` désactivent ce réglage et passent par un vrai Redis et un vrai worker. Ce
réglage n'est jamais activé en dehors des tests.
"""

import logging
import socket
from dataclasses import dataclass
from datetime import timedelta
from smtplib import SMTPException

from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .celery import app

journal = logging.getLogger(__name__)

PREFIXE = "differee-"

# Une publication depuis une requête web ne doit pas la faire attendre : une seule reprise
# immédiate (une connexion du pool fermée par un redémarrage de Redis se rouvre), pas d'attente.
POLITIQUE_PUBLICATION = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}

# Erreurs passagères qu'une tâche fiable réessaie (serveur de courriel, réseau, base verrouillée
# ou coupée). Une autre erreur est un défaut : la ligne passe « en échec » tout de suite.
ERREURS_PASSAGERES = (
    SMTPException,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    OperationalError,
    InterfaceError,
)


def id_tache(pk: int) -> str:
    return f"{PREFIXE}{pk}"


def pk_differee(task_id: str | None) -> int | None:
    """La ligne ``TacheDifferee`` d'un identifiant ``differee-<pk>`` ; None sinon."""
    if not task_id or not task_id.startswith(PREFIXE):
        return None
    try:
        return int(task_id[len(PREFIXE) :])
    except ValueError:
        return None


def _message_erreur(prefixe: str, exc: BaseException) -> str:
    return f"{prefixe}{exc.__class__.__name__} : {exc}"[:2000]


# --- Côté worker ---------------------------------------------------------------------------------


class TacheFiable(Task):
    """Base des tâches mises en file par ``differer`` : exécution unique, reprises avec délai.

    - reprises automatiques des erreurs passagères (``ERREURS_PASSAGERES``) : au plus
      ``max_retries`` fois, après 10 s, 20 s, 40 s… (au plus 10 min, avec une part de hasard) ;
    - ``acks_late`` et ``reject_on_worker_lost`` : un worker tué en cours de tâche la rend au
      broker, qui la redonne à un autre ;
    - appelée avec un identifiant ``differee-<pk>``, l'exécution est unique (voir
      ``executer_une_fois``) ; appelée autrement (``delay`` direct), elle s'exécute simplement.

    ``execution_en_transaction`` (vrai par défaut) : le corps s'exécute dans une transaction, la
    ligne verrouillée — l'unicité est stricte, même entre deux workers simultanés. C'est ce qu'il
    faut pour une tâche courte (un courriel). Une tâche longue qui gère elle-même ses
    transactions et son idempotence (le PDF d'un bilan, dont la progression doit être visible
    pendant le calcul) met ``execution_en_transaction=False`` : la ligne est seulement vérifiée
    avant et marquée après.
    """

    execution_en_transaction = True

    autoretry_for = ERREURS_PASSAGERES
    retry_backoff = 10
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args, **kwargs):
        pk = pk_differee(self.request.id)
        if pk is None:
            return super().__call__(*args, **kwargs)
        appel = super().__call__
        return executer_une_fois(
            pk, lambda: appel(*args, **kwargs), en_transaction=self.execution_en_transaction
        )

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        pk = pk_differee(task_id)
        if pk is not None:
            _modele().objects.filter(pk=pk, executee_le__isnull=True).update(
                derniere_erreur=_message_erreur(
                    f"Essai {self.request.retries + 1} en échec, nouvel essai prévu : ", exc
                )
            )

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        pk = pk_differee(task_id)
        if pk is not None:
            _modele().objects.filter(pk=pk, executee_le__isnull=True).update(
                echouee_le=timezone.now(),
                derniere_erreur=_message_erreur("Abandonnée après ses essais : ", exc),
            )
            journal.error("Tâche différée %s en échec : %r", pk, exc)


def executer_une_fois(pk: int, corps, *, en_transaction: bool = True):
    """Exécute ``corps()`` pour la ligne ``pk`` si elle n'est pas déjà exécutée.

    La ligne est verrouillée (``select_for_update``) pendant le corps : une seconde copie du
    même message, prise par un autre worker, attend puis voit la ligne exécutée et s'arrête.
    La marque ``executee_le`` est écrite dans la même transaction que les écritures du corps.
    ``en_transaction=False`` : vérifiée avant, marquée après, sans transaction autour du corps.
    """
    TacheDifferee = _modele()
    if not en_transaction:
        ligne = TacheDifferee.objects.filter(pk=pk).only("executee_le").first()
        if ligne is None or ligne.executee_le is not None:
            journal.info("Tâche différée %s introuvable ou déjà exécutée : rien à faire.", pk)
            return None
        resultat = corps()
        TacheDifferee.objects.filter(pk=pk, executee_le__isnull=True).update(
            executee_le=timezone.now(), echouee_le=None, derniere_erreur=""
        )
        return resultat
    with transaction.atomic():
        ligne = TacheDifferee.objects.select_for_update().filter(pk=pk).first()
        if ligne is None:
            journal.warning("Tâche différée %s introuvable : rien à faire.", pk)
            return None
        if ligne.executee_le is not None:
            journal.info("Tâche différée %s déjà exécutée : copie ignorée.", pk)
            return None
        resultat = corps()
        ligne.executee_le = timezone.now()
        ligne.echouee_le = None
        ligne.derniere_erreur = ""
        ligne.save(update_fields=["executee_le", "echouee_le", "derniere_erreur"])
    return resultat


# --- Côté application ----------------------------------------------------------------------------


def _modele():
    from fiabilite.models import TacheDifferee

    return TacheDifferee


def tache_nommee(nom_tache: str) -> Task:
    """La tâche Celery ``nom_tache`` ; les modules ``tasks`` des applications ne sont importés
    d'office que par le worker : ailleurs (site, commandes), on les importe à la demande."""
    tache = app.tasks.get(nom_tache)
    if tache is None:
        app.loader.import_default_modules()
        tache = app.tasks.get(nom_tache)
    if tache is None:
        raise ValueError(f"Tâche Celery inconnue : « {nom_tache} ».")
    return tache


def differer(nom_tache: str, *args, **kwargs):
    """Met la tâche ``nom_tache(*args, **kwargs)`` dans la boîte d'envoi.

    À appeler dans la transaction métier : la ligne est écrite avec elle, et la tâche n'est
    publiée (ou, en test, exécutée) qu'après sa validation. Les arguments doivent être du JSON
    simple (identifiants, textes). La tâche doit hériter de ``TacheFiable``.
    """
    tache = tache_nommee(nom_tache)
    if not isinstance(tache, TacheFiable):
        raise ValueError(
            f"La tâche « {nom_tache} » doit être déclarée avec base=TacheFiable pour être différée."
        )
    ligne = _modele().objects.create(
        nom_tache=nom_tache, arguments=list(args), arguments_nommes=kwargs
    )
    transaction.on_commit(_apres_validation(ligne.pk), robust=True)
    return ligne


def _apres_validation(pk: int):
    def publier_tache_differee():
        if settings.CLAS_TACHES_SYNCHRONES:
            executer_sur_place(pk)
        else:
            publier(pk)

    return publier_tache_differee


def executer_sur_place(pk: int):
    """Tests seulement (``CLAS_TACHES_SYNCHRONES``) : exécute la tâche dans ce processus, par
    le même chemin que le worker (``TacheFiable``), et laisse remonter ses erreurs."""
    TacheDifferee = _modele()
    ligne = TacheDifferee.objects.get(pk=pk)
    TacheDifferee.objects.filter(pk=pk).update(
        envoyee_le=timezone.now(), tentatives=F("tentatives") + 1
    )
    tache = tache_nommee(ligne.nom_tache)
    # ``apply`` sans ``throw`` : les reprises automatiques s'enchaînent (sans délai) ; ``get``
    # relance l'erreur finale s'il en reste une.
    return tache.apply(
        args=ligne.arguments, kwargs=ligne.arguments_nommes, task_id=ligne.task_id
    ).get()


def publier(pk: int) -> bool:
    """Publie la ligne ``pk`` (si elle n'est pas déjà exécutée) ; False si le broker refuse.

    La ligne est marquée publiée AVANT l'envoi : un worker rapide qui la prend aussitôt et la
    verrouille ne fait pas attendre cette écriture. Un échec la remet en attente.
    """
    TacheDifferee = _modele()
    ligne = TacheDifferee.objects.filter(pk=pk, executee_le__isnull=True).first()
    if ligne is None:
        return False
    ligne.envoyee_le = timezone.now()
    ligne.tentatives += 1
    TacheDifferee.objects.filter(pk=pk).update(
        envoyee_le=ligne.envoyee_le, tentatives=F("tentatives") + 1
    )
    return _envoyer(ligne)


def _envoyer(ligne) -> bool:
    try:
        app.send_task(
            ligne.nom_tache,
            args=ligne.arguments,
            kwargs=ligne.arguments_nommes,
            task_id=ligne.task_id,
            retry=True,
            retry_policy=POLITIQUE_PUBLICATION,
        )
    except Exception as exc:  # noqa: BLE001 — broker injoignable : la ligne reste en attente
        journal.warning(
            "Broker injoignable : la tâche %s (%s) reste en attente (%s: %s).",
            ligne.pk,
            ligne.nom_tache,
            exc.__class__.__name__,
            exc,
        )
        _modele().objects.filter(
            pk=ligne.pk, envoyee_le=ligne.envoyee_le, executee_le__isnull=True
        ).update(envoyee_le=None, derniere_erreur=_message_erreur("Publication impossible : ", exc))
        return False
    return True


@dataclass
class Releve:
    """Le résultat d'un passage du relais."""

    publiees: int = 0
    echecs: int = 0
    en_attente: int = 0

    def as_dict(self) -> dict:
        return {"publiees": self.publiees, "echecs": self.echecs, "en_attente": self.en_attente}


def a_relayer(maintenant=None):
    """Les lignes que le relais publie : jamais publiées, ou publiées depuis trop longtemps sans
    être exécutées (message perdu) tant qu'elles ne sont pas abandonnées ; ni exécutées, ni en
    échec définitif."""
    maintenant = maintenant or timezone.now()
    reprise = maintenant - timedelta(seconds=settings.CLAS_TACHES_DELAI_REPRISE)
    abandon = maintenant - timedelta(days=settings.CLAS_TACHES_ABANDON_JOURS)
    return (
        _modele()
        .objects.filter(executee_le__isnull=True, echouee_le__isnull=True)
        .filter(Q(envoyee_le__isnull=True) | Q(envoyee_le__lt=reprise, creee_le__gte=abandon))
        .order_by("creee_le", "pk")
    )


def relayer(lot: int = 200) -> Releve:
    """Publie au plus ``lot`` lignes en attente, les plus anciennes d'abord.

    Au premier refus du broker, on s'arrête : les lignes suivantes restent en attente sans
    être essayées (inutile d'attendre un broker arrêté pour chacune).
    """
    TacheDifferee = _modele()
    maintenant = timezone.now()
    with transaction.atomic():
        lignes = a_relayer(maintenant)
        if connection.features.has_select_for_update_skip_locked:
            lignes = lignes.select_for_update(skip_locked=True)
        lignes = list(lignes[:lot])
        for ligne in lignes:
            ligne.envoyee_le = maintenant
            ligne.tentatives += 1
        TacheDifferee.objects.bulk_update(lignes, ["envoyee_le", "tentatives"])
    releve = Releve()
    for index, ligne in enumerate(lignes):
        if _envoyer(ligne):
            releve.publiees += 1
            continue
        releve.echecs += 1
        suivantes = [autre.pk for autre in lignes[index + 1 :]]
        TacheDifferee.objects.filter(
            pk__in=suivantes, envoyee_le=maintenant, executee_le__isnull=True
        ).update(envoyee_le=None, tentatives=F("tentatives") - 1)
        break
    releve.en_attente = TacheDifferee.objects.filter(
        envoyee_le__isnull=True, executee_le__isnull=True, echouee_le__isnull=True
    ).count()
    if releve.publiees or releve.echecs:
        journal.info(
            "Relais des tâches différées : %s publiée(s), %s en attente.",
            releve.publiees,
            releve.en_attente,
        )
    return releve


def purger_executees() -> int:
    """Supprime les lignes exécutées depuis plus de ``CLAS_TACHES_CONSERVATION_JOURS`` jours."""
    limite = timezone.now() - timedelta(days=settings.CLAS_TACHES_CONSERVATION_JOURS)
    supprimees, _ = _modele().objects.filter(executee_le__lt=limite).delete()
    return supprimees
