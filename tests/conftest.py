import pytest

from tests.factories import DossierFactory, MembreFactory, UtilisateurFactory, departement


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
