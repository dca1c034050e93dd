"""Les réglages de production refusent un secret absent ou un réglage non sûr."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parents[2]

PRODUCTION_SURE = {
    "CLAS_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "clas.caf.fr",
    "DATABASE_URL": "postgres://clas@db.interne:5432/clas",
    "CELERY_BROKER_URL": "redis://redis.interne:6379/0",
    "CLAS_CLAMAV": "clamav.interne:3310",
}


def manage(*args, **env):
    propre = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "CLAS_ENV",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "DEBUG",
            "EMAIL_BACKEND",
            "SESSION_COOKIE_SECURE",
            "SECURE_HSTS_SECONDS",
            "DJANGO_SETTINGS_MODULE",
            "CLAS_CLAMAV",
        }
    }
    propre.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=RACINE,
        env=propre,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passe_sans_avertissement():
    r = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_SURE)
    assert r.returncode == 0, r.stderr
    assert "no issues" in r.stdout


def test_check_deploy_signale_l_absence_d_antivirus():
    """Sans antivirus, le démarrage reste permis, mais ``check --deploy`` le signale."""
    r = manage(
        "check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION_SURE, "CLAS_CLAMAV": None}
    )
    assert r.returncode != 0
    assert "(clas.W001) CLAS_CLAMAV est vide" in r.stderr
    assert manage("check", **{**PRODUCTION_SURE, "CLAS_CLAMAV": None}).returncode == 0


@pytest.mark.parametrize(
    ("modification", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY est absente"),
        ({"SECRET_KEY": "trop-courte"}, "SECRET_KEY est trop faible"),
        ({"DEBUG": "true"}, "DEBUG doit être désactivé"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS est vide"),
        ({"ALLOWED_HOSTS": "*"}, "ne doit pas contenir « * »"),
        ({"DATABASE_URL": None}, "PostgreSQL en production"),
        ({"CELERY_BROKER_URL": None}, "broker réseau"),
        ({"SESSION_COOKIE_SECURE": "false"}, "« Secure »"),
        ({"SECURE_HSTS_SECONDS": "60"}, "HTTPS est obligatoire"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "vrais courriels"),
    ],
)
def test_production_refuse_un_reglage_non_sur(modification, message):
    env = {**PRODUCTION_SURE, **modification}
    r = manage("check", **env)
    assert r.returncode != 0
    assert "Configuration de production refusée" in r.stderr
    assert message in r.stderr


def test_environnement_inconnu_refuse():
    r = manage("check", CLAS_ENV="recette")
    assert r.returncode != 0
    assert "n'est pas un environnement connu" in r.stderr


def test_demo_par_defaut_sans_secret(tmp_path):
    """Hors production, la clé est générée une fois dans var/ puis relue."""
    r1 = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        CLAS_VAR_DIR=str(tmp_path),
    )
    r2 = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        CLAS_VAR_DIR=str(tmp_path),
    )
    assert r1.returncode == 0, r1.stderr
    cle = r1.stdout.strip().splitlines()[-1]
    assert len(cle) >= 50
    assert r2.stdout.strip().splitlines()[-1] == cle
    assert (tmp_path / "secret_key").read_text().strip() == cle


EN_TETES = """
import json
from django.test import Client
from django.conf import settings
r = Client(HTTP_HOST="clas.caf.fr").get("/connexion/", secure=True)
cookie = r.cookies.get("csrftoken")
print(json.dumps({
    "statut": r.status_code,
    "en_tetes": dict(r.headers),
    "csrf": {"secure": bool(cookie["secure"]), "samesite": cookie["samesite"]},
    "session": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
                settings.SESSION_COOKIE_SAMESITE],
    "mfa": settings.CLAS_MFA_REQUIRED,
    "hachage": settings.PASSWORD_HASHERS[0],
}))
"""


@pytest.fixture(scope="module")
def production_avec_statiques(tmp_path_factory):
    """Réglages de production avec les fichiers statiques collectés (manifeste de whitenoise)."""
    env = {**PRODUCTION_SURE, "STATIC_ROOT": str(tmp_path_factory.mktemp("statiques"))}
    r = manage("collectstatic", "--noinput", "-v0", **env)
    assert r.returncode == 0, r.stderr
    return env


def test_en_tetes_et_cookies_en_production(production_avec_statiques):
    """Réglages de production réels (sous-processus) : en-têtes de sécurité, cookies, MFA."""
    import json

    r = manage("shell", "-c", EN_TETES, **production_avec_statiques)
    assert r.returncode == 0, r.stderr
    resultat = json.loads(r.stdout.strip().splitlines()[-1])
    en_tetes = {k.lower(): v for k, v in resultat["en_tetes"].items()}
    assert resultat["statut"] == 200
    assert en_tetes["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert en_tetes["x-content-type-options"] == "nosniff"
    assert en_tetes["referrer-policy"] == "same-origin"
    assert en_tetes["x-frame-options"] == "DENY"
    csp = en_tetes["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in csp
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert resultat["csrf"] == {"secure": True, "samesite": "Lax"}
    assert resultat["session"] == [True, True, "Lax"]
    assert resultat["mfa"] is True
    assert resultat["hachage"].endswith("Argon2PasswordHasher")


def test_http_redirige_vers_https_en_production(production_avec_statiques):
    code = (
        "from django.test import Client;"
        "r = Client(HTTP_HOST='clas.caf.fr').get('/connexion/');"
        "print(r.status_code, r.headers.get('Location'))"
    )
    r = manage("shell", "-c", code, **production_avec_statiques)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "301 https://clas.caf.fr/connexion/"
