"""La boîte d'envoi (clas_portal/taches.py) contre un vrai Redis : rien n'est publié pour une
transaction annulée, un broker arrêté laisse la tâche en attente sans faire attendre, le relais
la publie à son retour, un message publié deux fois n'est exécuté qu'une fois."""

import datetime
import io
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from clas_portal import taches
from clas_portal.celery import app, ping
from dossiers.models import Message
from fiabilite.models import TacheDifferee
from tests.fiabilite.conftest import worker_reel
from tests.outils_celery import resultat_de

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

NOTIFICATION_MESSAGE = "dossiers.envoyer_notification_message"
RACINE = Path(__file__).resolve().parents[2]


class Annulation(Exception):
    pass


def message_du_porteur(dossier, porteur_user) -> Message:
    return Message.objects.create(dossier=dossier, auteur=porteur_user, texte="Voici le RIB.")


def test_transaction_annulee_ne_publie_rien(broker_prive):
    with pytest.raises(Annulation), transaction.atomic():
        taches.differer(NOTIFICATION_MESSAGE, 1, "")
        raise Annulation
    assert not TacheDifferee.objects.exists()
    assert broker_prive.messages() == []

    # Témoin : la même chose, validée, est publiée (une fois, sous l'identifiant de la ligne).
    with transaction.atomic():
        ligne = taches.differer(NOTIFICATION_MESSAGE, 1, "https://portail.test/")
        assert broker_prive.messages() == []  # pas avant la validation
    ligne.refresh_from_db()
    (publie,) = broker_prive.messages()
    assert publie["headers"]["id"] == f"differee-{ligne.pk}"
    assert publie["headers"]["task"] == NOTIFICATION_MESSAGE
    assert ligne.envoyee_le is not None and ligne.tentatives == 1
    assert ligne.executee_le is None


def test_broker_arrete_la_tache_attend_puis_le_relais_la_publie(broker_prive):
    broker_prive.arreter()
    debut = time.monotonic()
    with transaction.atomic():
        ligne = taches.differer(NOTIFICATION_MESSAGE, 7, "")
    duree = time.monotonic() - debut
    assert duree < 1, f"la publication a fait attendre {duree:.2f} s"
    ligne.refresh_from_db()
    assert ligne.envoyee_le is None and ligne.statut == "en attente"
    assert ligne.tentatives == 1
    assert ligne.derniere_erreur.startswith("Publication impossible : OperationalError")
    assert "refused" in ligne.derniere_erreur.lower()

    # Le relais, broker toujours arrêté : la commande le dit, la tâche reste en attente.
    with pytest.raises(CommandError, match="injoignable"):
        call_command("relayer_taches", stdout=io.StringIO())
    ligne.refresh_from_db()
    assert ligne.envoyee_le is None and ligne.tentatives == 2

    broker_prive.demarrer()
    sortie = io.StringIO()
    call_command("relayer_taches", stdout=sortie)
    assert sortie.getvalue().strip() == "1 tâche(s) publiée(s) ; 0 en attente."
    ligne.refresh_from_db()
    assert ligne.envoyee_le is not None and ligne.tentatives == 3
    (publie,) = broker_prive.messages()
    assert publie["headers"]["id"] == f"differee-{ligne.pk}"

    # Plus rien en attente : un nouveau passage ne republie rien.
    call_command("relayer_taches", stdout=io.StringIO())
    assert len(broker_prive.messages()) == 1


def test_le_relais_publie_les_plus_anciennes_d_abord_et_reprend_les_messages_perdus(
    broker_prive, settings
):
    maintenant = timezone.now()
    heure = datetime.timedelta(hours=1)
    recente = taches.differer(NOTIFICATION_MESSAGE, 1, "")  # publiée tout de suite
    broker_prive.client().flushdb()  # … puis perdue (Redis redémarré sans persistance)
    TacheDifferee.objects.filter(pk=recente.pk).update(
        envoyee_le=maintenant
        - datetime.timedelta(seconds=settings.CLAS_TACHES_DELAI_REPRISE)
        - heure
    )
    attente = TacheDifferee.objects.create(nom_tache=NOTIFICATION_MESSAGE, arguments=[2, ""])
    ancienne = TacheDifferee.objects.create(nom_tache=NOTIFICATION_MESSAGE, arguments=[3, ""])
    TacheDifferee.objects.filter(pk=ancienne.pk).update(creee_le=maintenant - heure)
    # Ni les exécutées, ni les abandonnées, ni celles publiées il y a peu, ni les trop vieilles.
    TacheDifferee.objects.create(nom_tache=NOTIFICATION_MESSAGE, executee_le=maintenant)
    TacheDifferee.objects.create(nom_tache=NOTIFICATION_MESSAGE, echouee_le=maintenant)
    TacheDifferee.objects.create(nom_tache=NOTIFICATION_MESSAGE, envoyee_le=maintenant)
    trop_vieille = TacheDifferee.objects.create(
        nom_tache=NOTIFICATION_MESSAGE, envoyee_le=maintenant - 100 * heure
    )
    TacheDifferee.objects.filter(pk=trop_vieille.pk).update(
        creee_le=maintenant - datetime.timedelta(days=settings.CLAS_TACHES_ABANDON_JOURS + 1)
    )

    releve = taches.relayer()
    assert (releve.publiees, releve.echecs, releve.en_attente) == (3, 0, 0)
    ids = [m["headers"]["id"] for m in broker_prive.messages()]
    assert ids == [f"differee-{ancienne.pk}", f"differee-{recente.pk}", f"differee-{attente.pk}"]


def test_un_message_publie_deux_fois_n_envoie_qu_un_courriel(
    broker_prive, dossier_59, porteur_user, agent59, mailoutbox
):
    message = message_du_porteur(dossier_59, porteur_user)
    with transaction.atomic():
        ligne = taches.differer(NOTIFICATION_MESSAGE, message.pk, "https://portail.test/")
    # Une seconde copie du même message (relais et reprise, redélivrance…).
    app.send_task(
        NOTIFICATION_MESSAGE, args=[message.pk, "https://portail.test/"], task_id=ligne.task_id
    )
    assert [m["headers"]["id"] for m in broker_prive.messages()] == [ligne.task_id] * 2

    with worker_reel():
        # File FIFO, un seul worker « solo » : quand le témoin revient, les deux copies sont
        # passées.
        assert resultat_de(ping.delay()) == "pong"
    (courriel,) = mailoutbox
    assert courriel.to == [agent59.email]
    assert "Voici le RIB." in courriel.body
    ligne.refresh_from_db()
    assert ligne.statut == "exécutée"
    assert broker_prive.messages() == []


@pytest.fixture
def smtp_qui_raccroche():
    """Un vrai serveur TCP qui accepte chaque connexion SMTP et raccroche aussitôt (serveur de
    courriel en difficulté) ; compte les connexions."""
    serveur = socket.socket()
    serveur.bind(("127.0.0.1", 0))
    serveur.listen(16)
    connexions = []

    def accepter():
        while True:
            try:
                client, _ = serveur.accept()
            except OSError:
                return
            connexions.append(1)
            client.close()

    threading.Thread(target=accepter, daemon=True).start()
    yield serveur.getsockname()[1], connexions
    serveur.close()


def test_erreur_smtp_reessayee_puis_abandonnee_puis_remise_en_attente(
    client,
    settings,
    dossier_59,
    porteur_user,
    agent59,
    admin_national,
    smtp_qui_raccroche,
    mailoutbox,
):
    """Les reprises sont exécutées sur place (``CLAS_TACHES_SYNCHRONES``, reprises sans délai) :
    on vérifie leur nombre et l'état de la ligne, pas l'attente entre deux essais."""
    port, connexions = smtp_qui_raccroche
    settings.CLAS_TACHES_SYNCHRONES = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    message = message_du_porteur(dossier_59, porteur_user)
    tache = taches.tache_nommee(NOTIFICATION_MESSAGE)
    # Hors transaction, la tâche s'exécute aussitôt ; son erreur finale est journalisée
    # (``on_commit(robust=True)``), pas renvoyée à l'appelant.
    taches.differer(NOTIFICATION_MESSAGE, message.pk, "")
    assert len(connexions) == tache.max_retries + 1
    ligne = TacheDifferee.objects.get()
    assert ligne.statut == "en échec"
    assert ligne.derniere_erreur.startswith("Abandonnée après ses essais : SMTPServerDisconnected")

    # Le serveur de courriel est réparé ; l'administration remet la tâche en attente.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(admin_national)
    liste = reverse("admin:fiabilite_tachedifferee_changelist")
    page = client.get(liste, {"statut": "en_echec"}).content.decode()
    assert NOTIFICATION_MESSAGE in page and "SMTPServerDisconnected" in page
    reponse = client.post(liste, {"action": "remettre_en_attente", "_selected_action": [ligne.pk]})
    assert reponse.status_code == 302
    assert list(taches.a_relayer()) == [ligne]
    taches.executer_sur_place(ligne.pk)
    (courriel,) = mailoutbox
    assert courriel.to == [agent59.email]
    ligne.refresh_from_db()
    assert ligne.statut == "exécutée" and ligne.derniere_erreur == ""


EXECUTIONS_LONGUES = []


@app.task(name="tests.fiabilite.longue", base=taches.TacheFiable, execution_en_transaction=False)
def tache_longue(numero):
    """Une tâche « longue » qui gère ses transactions elle-même (comme le PDF d'un bilan)."""
    EXECUTIONS_LONGUES.append((numero, connection.in_atomic_block))


def test_tache_longue_hors_transaction_mais_une_seule_fois(settings):
    settings.CLAS_TACHES_SYNCHRONES = True
    EXECUTIONS_LONGUES.clear()
    ligne = taches.differer("tests.fiabilite.longue", 4)  # hors transaction : exécutée aussitôt
    assert EXECUTIONS_LONGUES == [(4, False)]  # pas de transaction autour du corps
    tache_longue.apply(args=[4], task_id=ligne.task_id)  # une seconde copie
    assert EXECUTIONS_LONGUES == [(4, False)]
    ligne.refresh_from_db()
    assert ligne.statut == "exécutée"


def test_differer_refuse_une_tache_inconnue_ou_non_fiable(db):
    with pytest.raises(ValueError, match="inconnue"):
        taches.differer("dossiers.pas_de_tache")
    with pytest.raises(ValueError, match="base=TacheFiable"):
        taches.differer("clas_portal.ping")
    assert not TacheDifferee.objects.exists()


def test_relais_planifie_chaque_minute():
    from django.conf import settings

    (entree,) = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "fiabilite.relayer"
    ]
    assert entree["schedule"] == 60.0
    assert taches.tache_nommee("fiabilite.relayer").name == "fiabilite.relayer"
    tache = taches.tache_nommee(NOTIFICATION_MESSAGE)
    assert tache.acks_late and tache.reject_on_worker_lost
    assert tache.max_retries == 5 and tache.retry_backoff
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def reglages_celery(**env) -> subprocess.CompletedProcess:
    """Les réglages Celery tels que le worker les lit, dans un processus neuf configuré par
    ``env``."""
    environnement = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    environnement.pop("DJANGO_SETTINGS_MODULE", None)
    environnement.update(env)
    code = (
        "from clas_portal.celery import app; c = app.conf; "
        "print(c.broker_transport_options['visibility_timeout'], "
        "c.broker_transport_options['socket_connect_timeout'], c.task_time_limit)"
    )
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=RACINE,
        env=environnement,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_redis_visibility_timeout_au_dela_de_la_plus_longue_tache():
    r = reglages_celery(CELERY_BROKER_URL="redis://redis.interne:6379/0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1].split() == ["3600", "2", "600"]
    r = reglages_celery(
        CELERY_BROKER_URL="redis://redis.interne:6379/0",
        CELERY_TASK_TIME_LIMIT="7200",
        CELERY_TASK_SOFT_TIME_LIMIT="7000",
    )
    assert r.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT doit dépasser" in r.stderr
