"""Réglages du Portail Clas, configurés par l'environnement.

Un seul module : chaque valeur vient d'une variable d'environnement, avec une valeur par défaut
sûre pour la démonstration locale (SQLite et broker Celery « filesystem » sous ``var/``). En
production (``CLAS_ENV=production``), l'application refuse de démarrer avec un secret absent ou un
réglage non sûr : voir ``verifier_production`` en bas de ce fichier.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CLAS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    valeur = os.environ.get(name)
    if valeur is None or valeur.strip() == "":
        return default
    valeur = valeur.strip().lower()
    if valeur in {"1", "true", "yes", "on", "oui", "vrai"}:
        return True
    if valeur in {"0", "false", "no", "off", "non", "faux"}:
        return False
    raise ImproperlyConfigured(f"{name} : « {valeur} » n'est pas un booléen (true/false).")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    valeur = os.environ.get(name, "").strip()
    if not valeur:
        return default
    try:
        return int(valeur)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} : « {valeur} » n'est pas un nombre entier.") from exc


CLAS_ENV = os.environ.get("CLAS_ENV", "demo").strip().lower() or "demo"
if CLAS_ENV not in {"demo", "production"}:
    raise ImproperlyConfigured(
        f"CLAS_ENV : « {CLAS_ENV} » n'est pas un environnement connu (demo ou production)."
    )
PRODUCTION = CLAS_ENV == "production"


def secret_key_locale() -> str:
    """Hors production : lit la clé de ``var/secret_key``, la crée une fois si elle manque."""
    fichier = VAR_DIR / "secret_key"
    if fichier.exists():
        return fichier.read_text(encoding="utf-8").strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    cle = secrets.token_urlsafe(64)
    fichier.write_text(cle, encoding="utf-8")
    fichier.chmod(0o600)
    return cle


SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not SECRET_KEY and not PRODUCTION:
    SECRET_KEY = secret_key_locale()

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "django_celery_results",
    "csp",
    "comptes",
    "porteurs",
    "dossiers",
    "collectifs",
    "seances",
    "eligibility",
    "bilans",
    "audit",
    "exploitation",
    "fiabilite",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "audit.journal.RequeteCouranteMiddleware",
    "comptes.securite.SecuriteCompteMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # En dernier, comme le demande django-axes : bloque après trop d'échecs de connexion.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clas_portal.urls"
WSGI_APPLICATION = "clas_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "clas_portal.context_processors.portail",
            ],
        },
    },
]

# --- Base de données -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{VAR_DIR / 'clas.sqlite3'}"
if DATABASE_URL.startswith("sqlite"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Plusieurs processus (web + worker Celery) écrivent dans le même fichier : on attend le verrou.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    # WAL : le site lit pendant que le worker écrit ; synchronous=NORMAL reste sûr en WAL.
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Comptes ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "comptes.Utilisateur"
LOGIN_URL = "connexion"
LOGIN_REDIRECT_URL = "accueil"
LOGOUT_REDIRECT_URL = "connexion"
AUTHENTICATION_BACKENDS = [
    # D'abord le verrouillage (django-axes), puis la vérification du mot de passe.
    "axes.backends.AxesStandaloneBackend",
    "comptes.backends.ModelBackendAvecDepartement",
]
# Verrouillage : 5 échecs pour un même couple (courriel, adresse IP) bloquent ce couple 30 min.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "comptes.securite.identifiant_axes"
AXES_CLIENT_IP_CALLABLE = "comptes.securite.adresse_ip_axes"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/compte_verrouille.html"
AXES_DISABLE_ACCESS_LOG = True  # les connexions sont dans le journal d'audit
AXES_VERBOSE = False
# Second facteur TOTP pour agents, secrétariats et administrateurs (obligatoire en production).
CLAS_MFA_REQUIRED = env_bool("CLAS_MFA_REQUIRED", PRODUCTION)
OTP_TOTP_ISSUER = "Portail Clas"
# Session du personnel Caf et de l'administration : expire après 30 min sans requête.
CLAS_INACTIVITE_CAF_SECONDES = env_int("CLAS_INACTIVITE_CAF_SECONDES", 30 * 60)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Langue, dates ---------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Fichiers statiques et téléversés --------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)


def _bootstrap_dir() -> Path:
    from xstatic.pkg import bootstrap

    return Path(bootstrap.BASE_DIR)


STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", _bootstrap_dir())]
STORAGES = {
    # Les pièces justificatives ne sont jamais servies comme fichiers publics : MEDIA_ROOT
    # n'a pas d'URL, une vue vérifie les droits avant chaque téléchargement.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = None
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Formulaires -----------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Courriels -------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "courriels"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Portail Clas <ne-pas-repondre@clas.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip() or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery" / "broker"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _d in (_broker_dir, _processed_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),
    }
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540)
# Redis : un message pris par un worker et non acquitté (acks_late) revient dans la file après
# visibility_timeout ; il doit dépasser la plus longue tâche et le plus long délai de reprise
# (10 min, clas_portal/taches.py), sinon une tâche en cours serait donnée à un second worker.
# Délais de connexion courts : Redis arrêté ou figé ne bloque pas une requête web.
CLAS_CELERY_VISIBILITE = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
_plus_longue_attente = max(CELERY_TASK_TIME_LIMIT, 600)  # tâche, ou délai de reprise
# Tests seulement (tests/fiabilite/test_worker_tue.py) : un délai court pour voir en quelques
# secondes un message rendu par un worker tué ; refusé en production (verifier_production).
CLAS_ESSAI_VISIBILITE_COURTE = env_bool("CLAS_ESSAI_VISIBILITE_COURTE", False)
if _plus_longue_attente + 60 > CLAS_CELERY_VISIBILITE and not CLAS_ESSAI_VISIBILITE_COURTE:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT doit dépasser d'au moins 60 s la limite de temps des tâches "
        "(CELERY_TASK_TIME_LIMIT) et le délai maximal de reprise (600 s)."
    )
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CLAS_CELERY_VISIBILITE,
        "socket_connect_timeout": env_int("CELERY_REDIS_CONNECT_TIMEOUT", 2),
        "socket_timeout": env_int("CELERY_REDIS_SOCKET_TIMEOUT", 3),
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Boîte d'envoi des tâches (clas_portal/taches.py, application fiabilite). Une tâche publiée et
# toujours pas exécutée après ce délai est republiée (message perdu) ; on cesse après
# CLAS_TACHES_ABANDON_JOURS jours ; les lignes exécutées sont supprimées après 30 jours.
CLAS_TACHES_DELAI_REPRISE = CLAS_CELERY_VISIBILITE + CELERY_TASK_TIME_LIMIT
CLAS_TACHES_ABANDON_JOURS = 7
CLAS_TACHES_CONSERVATION_JOURS = 30
# Tests seulement (tests/conftest.py) : la tâche différée s'exécute dans le processus après la
# validation au lieu d'être publiée. Jamais en production.
CLAS_TACHES_SYNCHRONES = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE = {
    # Tâches différées restées en attente (broker injoignable) : publiées chaque minute.
    "relayer-taches-differees": {
        "task": "fiabilite.relayer",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Protection des données : les données par enfant d'un collectif sont supprimées
    # CLAS_DELAI_PURGE_ENFANTS_JOURS jours après la soumission de son bilan (seances/purge.py).
    "purger-donnees-enfants": {
        "task": "seances.purger_donnees_enfants",
        "schedule": crontab(hour=3, minute=15),
    },
    # Invitations expirées, acceptées ou annulées depuis 90 jours (exploitation/purge.py).
    "purger-donnees": {
        "task": "exploitation.purger_donnees",
        "schedule": crontab(hour=3, minute=30),
    },
    # Pièces déposées quand clamd ne répondait pas (clas_portal/antivirus.py).
    "analyser-pieces-en-attente": {
        "task": "exploitation.analyser_pieces_en_attente",
        "schedule": crontab(minute="*/10"),
    },
}

# --- Antivirus (ClamAV) ------------------------------------------------------------------------
# « hote:port » ou « unix:/run/clamav/clamd.ctl » ; vide : pas d'analyse (pièces « non analysées »).
CLAS_CLAMAV = os.environ.get("CLAS_CLAMAV", "").strip()
CLAS_CLAMAV_DELAI = env_int("CLAS_CLAMAV_DELAI", 10)

# --- L'année du Clas ---------------------------------------------------------------------------
# Délai (en jours) entre la soumission du bilan de l'action d'un collectif et la suppression de
# ses données par enfant (codes, présences) ; les agrégats sont gardés.
CLAS_DELAI_PURGE_ENFANTS_JOURS = env_int("CLAS_DELAI_PURGE_ENFANTS_JOURS", 90)

# --- Sécurité --------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Politique de sécurité du contenu stricte : aucun script ni style en ligne, rien d'extérieur.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint et fontTools racontent chaque étape du rendu au niveau INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

CLAS_NOM_PORTAIL = "Portail Clas"


def verifier_production() -> None:
    """Refuse de démarrer en production avec un secret absent ou un réglage non sûr."""
    problemes = []
    if CLAS_ESSAI_VISIBILITE_COURTE:
        problemes.append("CLAS_ESSAI_VISIBILITE_COURTE est réservé aux tests.")
    if not SECRET_KEY:
        problemes.append(
            "SECRET_KEY est absente : définissez une clé secrète d'au moins 50 caractères."
        )
    elif (
        len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")
    ):
        problemes.append("SECRET_KEY est trop faible : au moins 50 caractères aléatoires.")
    if DEBUG:
        problemes.append("DEBUG doit être désactivé en production.")
    if not ALLOWED_HOSTS:
        problemes.append("ALLOWED_HOSTS est vide : indiquez le nom de domaine du portail.")
    if "*" in ALLOWED_HOSTS:
        problemes.append("ALLOWED_HOSTS ne doit pas contenir « * » en production.")
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problemes.append("DATABASE_URL doit désigner une base PostgreSQL en production.")
    if CELERY_BROKER_URL.startswith("filesystem://"):
        problemes.append("CELERY_BROKER_URL doit désigner un broker réseau (Redis) en production.")
    if not (SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE):
        problemes.append("Les cookies de session et CSRF doivent être « Secure » en production.")
    if not SECURE_SSL_REDIRECT or SECURE_HSTS_SECONDS < 31_536_000:
        problemes.append("HTTPS est obligatoire (SECURE_SSL_REDIRECT, HSTS d'au moins un an).")
    if EMAIL_BACKEND.endswith(
        ("console.EmailBackend", "filebased.EmailBackend", "locmem.EmailBackend")
    ):
        problemes.append("EMAIL_BACKEND doit envoyer de vrais courriels en production (SMTP).")
    if problemes:
        raise ImproperlyConfigured(
            "Configuration de production refusée :\n- " + "\n- ".join(problemes)
        )


if PRODUCTION:
    verifier_production()
