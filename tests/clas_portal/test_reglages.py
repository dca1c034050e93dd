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
