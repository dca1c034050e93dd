import pytest
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from tests.factories import DossierFactory, MembreFactory, UtilisateurFactory, departement


@receiver(connection_created, dispatch_uid="tests_sqlite_lecture_sans_verrou")
def _sqlite_memoire_partagee_sans_verrou_de_lecture(sender, connection, **kwargs):
    """La base de test SQLite est en mémoire, partagée (« shared cache ») entre le fil du test
    et celui d'un vrai worker Celery : dans ce mode, SQLite verrouille par table, et un INSERT du
    worker pendant que le test relit la même table échoue aussitôt (« database table is
    locked », sans attente) — la tâche échoue, le test attend pour rien. ``read_uncommitted``
    ôte les verrous de lecture de ce mode (et seulement de ce mode) : une lecture ne bloque plus
    une écriture. Sans effet sur PostgreSQL, ni sur une base SQLite sur disque (l'application)."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return
    with connection.cursor() as curseur:
        curseur.execute("PRAGMA read_uncommitted = 1")


@pytest.fixture
def dep59(db):
    return departement("59")


@pytest.fixture
def dep23(db):
    return departement("23")


@pytest.fixture
def agent59(db):
    return UtilisateurFactory(agent=True, email="agent59@caf.fr")


@pytest.fixture
def agent23(db, dep23):
    return UtilisateurFactory(agent=True, departement=dep23, email="agent23@caf.fr")


@pytest.fixture
def secretariat59(db):
    return UtilisateurFactory(secretariat=True, email="secretariat59@caf.fr")


@pytest.fixture
def admin_national(db):
    return UtilisateurFactory(admin=True, email="admin@cnaf.fr")


@pytest.fixture
def membre(db):
    """Un compte porteur membre d'une organisation du Nord."""
    return MembreFactory(utilisateur__email="porteur@asso.fr")


@pytest.fixture
def porteur_user(membre):
    return membre.utilisateur


@pytest.fixture
def dossier_59(membre):
    """Dossier déposé par l'organisation de ``porteur_user``, dans le Nord."""
    return DossierFactory(porteur=membre.porteur, depose=True, complet=True)


@pytest.fixture
def dossier_23(dep23):
    return DossierFactory(
        porteur__departement=dep23, porteur__code_postal="23000", depose=True, complet=True
    )


@pytest.fixture(autouse=True)
def hachage_rapide(settings):
    """Argon2 est volontairement lent : les tests hachent vite (la production garde Argon2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    """Les fichiers téléversés des tests ne vont jamais dans var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def taches_synchrones(settings):
    """Les tâches différées (``clas_portal.taches.differer``) s'exécutent dans le processus après
    la validation, au lieu d'être publiées au broker : les tests qui vérifient ``mail.outbox``
    juste après une requête n'ont pas besoin d'un worker. La boîte d'envoi reste utilisée (ligne
    écrite dans la transaction, exécution unique par ``TacheFiable``) ; seul le transport change.
    Les tests de tests/fiabilite/ désactivent ce réglage : vrai Redis, vrai worker."""
    settings.CLAS_TACHES_SYNCHRONES = True


@pytest.fixture
def donnees_de_reference_transactionnelles(transactional_db):
    """Pour les tests transactionnels : un test transactionnel précédent a vidé la base
    (``flush``) ; on remet les données de référence semées par les migrations (départements,
    paramètres 2025) par leurs propres fonctions, idempotentes. (``serialized_rollback`` entre en
    conflit avec les types de contenu recréés par ce ``flush``.)"""
    import importlib

    from django.apps import apps

    importlib.import_module("comptes.migrations.0002_departements").charger(apps, None)
    importlib.import_module("eligibility.migrations.0002_parametres_2025").semer(apps, None)
