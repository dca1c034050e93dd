"""Test de charge de la file d'attente des agents (script, pas un test) : gunicorn + locust.

Deux rôles dans un même fichier :

- lancé comme script (``python bench/bench_charge.py``), il pilote la mesure sur la base de
  ``DATABASE_URL``, déjà peuplée par ``bench_national.py`` (le lanceur ``bench/run.py`` le fait
  sur PostgreSQL) :

  1. ouvre en base une session de l'agent ``agent0.59@bench.clas`` (``SessionStore`` et les
     clés de session de ``django.contrib.auth``, comme après une connexion) : son cookie sera
     envoyé à chaque requête ;
  2. rassemble les fichiers statiques (``collectstatic``) dans un dossier temporaire ;
  3. démarre le serveur de production, ``gunicorn clas_portal.wsgi -w 2`` (2 workers
     synchrones, journal d'accès écrit comme en production), réglages proches de la production
     mais en HTTP simple : ``CLAS_ENV=demo`` et ``DEBUG=0`` (``CLAS_ENV=production`` exige
     HTTPS, Redis et des cookies ``Secure``, qu'un banc local en HTTP ne peut pas fournir) ;
     connexions PostgreSQL telles que les fixe ``DB_CONN_MAX_AGE`` (0 par défaut, comme en
     production aujourd'hui : une connexion par requête ; le lanceur mesure aussi 60, des
     connexions gardées par chaque worker) ; statiques servis par whitenoise ;
  4. vérifie la page (200, la file du 59) et un fichier statique, fait 20 requêtes
     d'échauffement, puis lance locust sans interface, en un seul processus (il n'occupe donc
     au plus qu'un des deux cœurs, partagés avec le serveur et PostgreSQL), avec le client
     léger de locust (``FastHttpUser``) et N utilisateurs sans temps de réflexion ;
  5. lit le CSV de locust et le temps CPU consommé pendant la mesure par gunicorn, par locust
     et par tout le reste de la machine (PostgreSQL, autres utilisateurs) ; arrête gunicorn et
     supprime la session.

  La dernière ligne est un JSON {"charge_requetes_par_seconde": …, "charge_p95_ms": …, …}.

      DATABASE_URL=postgres://… .venv/bin/python bench/bench_charge.py [-u 20] [-t 30]

- chargé par locust (``locust -f bench/bench_charge.py``), il définit l'utilisateur simulé :
  un agent qui recharge sa file d'attente (``/dossiers/``) en boucle, avec le cookie de
  session reçu dans ``BENCH_COOKIE``.
"""

import argparse
import csv
import json
import os
import resource
import secrets
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
URL_FILE = "/dossiers/"
MARQUE_FILE = "Dossiers du département 59"  # titre de la file d'un agent du 59
AGENT = "agent0.59@bench.clas"
STATIQUE = "/static/bootstrap/css/bootstrap.min.css"

if __name__ != "__main__":  # chargé par locust : l'utilisateur simulé
    from locust import FastHttpUser, constant, task

    class AgentFile(FastHttpUser):
        """Un agent du 59 qui recharge sa file d'attente, sans temps de réflexion."""

        wait_time = constant(0)

        def on_start(self):
            self.entetes = {"Cookie": os.environ["BENCH_COOKIE"]}

        @task
        def file(self):
            with self.client.get(
                URL_FILE,
                headers=self.entetes,
                allow_redirects=False,
                catch_response=True,
                name="file d'attente (agent 59)",
            ) as reponse:
                if reponse.status_code != 200:
                    reponse.failure(f"code {reponse.status_code}")
                elif MARQUE_FILE.encode() not in (reponse.content or b""):
                    reponse.failure("ce n'est pas la file d'attente du 59")


def settings_base() -> str:
    from django.conf import settings

    return settings.DATABASES["default"]["NAME"]


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ouvrir_session() -> tuple[str, str]:
    """Une session d'agent en base, comme après une connexion ; rend (clé, en-tête Cookie)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clas_portal.settings")
    sys.path.insert(0, str(RACINE))
    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from comptes.models import Utilisateur
    from comptes.securite import CLE_ACTIVITE

    agent = Utilisateur.objects.get(email=AGENT)
    session = SessionStore()
    session[SESSION_KEY] = str(agent.pk)
    session[BACKEND_SESSION_KEY] = "comptes.backends.ModelBackendAvecDepartement"
    session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
    session[CLE_ACTIVITE] = int(time.time())  # activité récente : pas de réécriture de session
    session.set_expiry(settings.CLAS_INACTIVITE_CAF_SECONDES)
    session.create()
    # Le jeton CSRF qu'un navigateur aurait reçu à sa première page.
    jeton = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={jeton}"
    )
    return session.session_key, cookie


def fermer_session(cle: str) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    SessionStore(session_key=cle).delete()


def lire(url: str, cookie: str | None = None, delai: float = 10) -> tuple[int, bytes]:
    requete = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(requete, timeout=delai) as reponse:
            return reponse.status, reponse.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def attendre_serveur(url: str, serveur: subprocess.Popen, delai: float = 60) -> None:
    limite = time.monotonic() + delai
    while time.monotonic() < limite:
        if serveur.poll() is not None:
            raise RuntimeError(f"gunicorn s'est arrêté (code {serveur.returncode})")
        try:
            lire(url + "/connexion/", delai=2)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn ne répond pas après {delai} s")


def cpu_de(processus) -> float:
    """Temps CPU (utilisateur + système) du processus et de ses enfants vivants, en secondes."""
    import psutil

    total = 0.0
    for p in [processus, *processus.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def backends_postgresql(base: str) -> dict[int, float]:
    """Temps CPU des processus serveurs PostgreSQL connectés à ``base``, par pid. Avec des
    connexions persistantes, ce sont ceux des workers, vivants toute la mesure ; sans, chaque
    requête a le sien, trop bref pour être lu ici."""
    import psutil

    temps = {}
    for p in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        ligne = " ".join(p.info["cmdline"] or [])
        if p.info["name"] == "postgres" and f" {base} " in ligne and p.info["cpu_times"]:
            temps[p.pid] = p.info["cpu_times"].user + p.info["cpu_times"].system
    return temps


def lire_csv(prefixe: str) -> dict:
    with open(f"{prefixe}_stats.csv", newline="", encoding="utf-8") as f:
        ligne = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return ligne


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-u", "--utilisateurs", type=int, default=20)
    parser.add_argument("-t", "--duree", type=int, default=30, help="secondes")
    parser.add_argument("-w", "--workers", type=int, default=2)
    options = parser.parse_args()

    import psutil

    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("CLAS_ENV", "demo")
    cle, cookie = ouvrir_session()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="bench-charge-") as tmp:
        env = {**os.environ, "STATIC_ROOT": f"{tmp}/static", "LOG_LEVEL": "WARNING"}
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=RACINE,
            env=env,
            check=True,
        )
        port = port_libre()
        hote = f"http://127.0.0.1:{port}"
        # Sortie du serveur dans un fichier : un tuyau non lu finirait par le bloquer.
        with open(f"{tmp}/gunicorn.log", "w") as journal:
            serveur = subprocess.Popen(
                [
                    str(bin_dir / "gunicorn"),
                    "clas_portal.wsgi",
                    "--workers",
                    str(options.workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--access-logfile",
                    f"{tmp}/acces.log",
                ],
                cwd=RACINE,
                env=env,
                stdout=journal,
                stderr=subprocess.STDOUT,
            )
        try:
            attendre_serveur(hote, serveur)
            statut, corps = lire(hote + URL_FILE, cookie)
            if statut != 200 or MARQUE_FILE.encode() not in corps:
                raise RuntimeError(f"la file d'attente répond {statut} sans la file du 59")
            statut_statique, css = lire(hote + STATIQUE)
            if statut_statique != 200 or len(css) < 10_000:
                raise RuntimeError(f"fichier statique {STATIQUE} : {statut_statique}")
            for _ in range(20):  # échauffement des deux workers (gabarits, imports)
                lire(hote + URL_FILE, cookie)

            gunicorn = psutil.Process(serveur.pid)
            cpu_serveur = cpu_de(gunicorn)
            base = settings_base()
            cpu_postgres = backends_postgresql(base)
            cpu_enfants = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_machine = psutil.cpu_times()
            charge_avant = os.getloadavg()[0]
            prefixe = f"{tmp}/locust"
            debut = time.perf_counter()
            r = subprocess.run(
                [
                    str(bin_dir / "locust"),
                    "-f",
                    __file__,
                    "--headless",
                    "-u",
                    str(options.utilisateurs),
                    "-r",
                    str(options.utilisateurs),
                    "-t",
                    f"{options.duree}s",
                    "--host",
                    hote,
                    "--csv",
                    prefixe,
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                    "--stop-timeout",
                    "5",
                    "--exit-code-on-error",
                    "0",
                ],
                cwd=RACINE,
                env={**os.environ, "BENCH_COOKIE": cookie},
                capture_output=True,
                text=True,
            )
            duree = time.perf_counter() - debut
            if r.returncode != 0:
                raise RuntimeError(f"locust a échoué :\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
            cpu_serveur = cpu_de(gunicorn) - cpu_serveur
            apres_postgres = backends_postgresql(base)
            cpu_postgres = sum(
                t - cpu_postgres[pid] for pid, t in apres_postgres.items() if pid in cpu_postgres
            )
            apres = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_locust = (apres.ru_utime - cpu_enfants.ru_utime) + (
                apres.ru_stime - cpu_enfants.ru_stime
            )
            machine = psutil.cpu_times()
            occupe = sum(
                getattr(machine, champ) - getattr(cpu_machine, champ)
                for champ in ("user", "nice", "system", "irq", "softirq", "steal")
            )
            charge_apres = os.getloadavg()[0]
            stats = lire_csv(prefixe)
        finally:
            serveur.terminate()
            try:
                serveur.wait(timeout=20)
            except subprocess.TimeoutExpired:
                serveur.kill()
                serveur.wait()
            fermer_session(cle)

    persistantes = int(os.environ.get("DB_CONN_MAX_AGE") or 0) > 0
    requetes = int(stats["Request Count"])
    echecs = int(stats["Failure Count"])
    resultat = {
        "charge_requetes_par_seconde": round(float(stats["Requests/s"]), 1),
        "charge_p50_ms": float(stats["50%"]),
        "charge_p95_ms": float(stats["95%"]),
        "charge_p99_ms": float(stats["99%"]),
        "charge_moyenne_ms": round(float(stats["Average Response Time"]), 1),
        "charge_requetes": requetes,
        "charge_echecs": echecs,
        "charge_utilisateurs": options.utilisateurs,
        "charge_duree_s": options.duree,
        "charge_workers": options.workers,
        # Part d'un cœur : 1.0 = un cœur entier pendant toute la mesure (la machine en a 2).
        "charge_cpu_serveur_coeurs": round(cpu_serveur / duree, 2),
        "charge_cpu_locust_coeurs": round(cpu_locust / duree, 2),
        # PostgreSQL : lisible seulement avec des connexions persistantes (sinon, None, et il
        # compte dans « autres », avec les autres utilisateurs de la machine partagée).
        "charge_cpu_postgresql_coeurs": round(cpu_postgres / duree, 2) if persistantes else None,
        "charge_cpu_autres_coeurs": round(
            (occupe - cpu_serveur - cpu_locust - (cpu_postgres if persistantes else 0)) / duree, 2
        ),
        "charge_cpu_machine_coeurs": round(occupe / duree, 2),
        # Ce que coûte une requête, plus stable que le débit sur une machine partagée ; et le
        # débit qu'auraient les 2 cœurs s'ils ne servaient qu'à gunicorn, PostgreSQL et locust
        # (une estimation : connexions persistantes seulement, où PostgreSQL se mesure).
        "charge_cpu_gunicorn_ms_par_requete": round(cpu_serveur / requetes * 1000, 1),
        "charge_cpu_postgresql_ms_par_requete": (
            round(cpu_postgres / requetes * 1000, 1) if persistantes else None
        ),
        "charge_plafond_estime_requetes_par_seconde": (
            round(psutil.cpu_count() * requetes / (cpu_serveur + cpu_locust + cpu_postgres))
            if persistantes
            else None
        ),
        "charge_db_conn_max_age": int(os.environ.get("DB_CONN_MAX_AGE") or 0),
        "charge_loadavg_avant": round(charge_avant, 2),
        "charge_loadavg_apres": round(charge_apres, 2),
        "charge_statiques_whitenoise": True,
    }
    print(
        f"locust ({options.utilisateurs} utilisateurs sans pause, {options.duree} s, un "
        f"processus) contre gunicorn ({options.workers} workers) : {requetes} requêtes, "
        f"{echecs} échecs, {resultat['charge_requetes_par_seconde']} requêtes/s, médiane "
        f"{resultat['charge_p50_ms']:.0f} ms, p95 {resultat['charge_p95_ms']:.0f} ms ; CPU : "
        f"gunicorn {resultat['charge_cpu_serveur_coeurs']} cœur, locust "
        f"{resultat['charge_cpu_locust_coeurs']} cœur, "
        + (
            f"PostgreSQL {resultat['charge_cpu_postgresql_coeurs']} cœur, le reste (autres "
            if persistantes
            else "le reste (PostgreSQL, autres "
        )
        + f"processus de la machine) {resultat['charge_cpu_autres_coeurs']} cœur, sur "
        f"{psutil.cpu_count()} ; gunicorn {resultat['charge_cpu_gunicorn_ms_par_requete']} ms "
        f"de CPU par requête"
        + (
            f", PostgreSQL {resultat['charge_cpu_postgresql_ms_par_requete']} ms ; plafond "
            f"estimé de la machine seule : "
            f"{resultat['charge_plafond_estime_requetes_par_seconde']} requêtes/s"
            if persistantes
            else ""
        )
        + f" ; charge "
        f"système {charge_avant:.1f} → {charge_apres:.1f} ; DB_CONN_MAX_AGE="
        f"{resultat['charge_db_conn_max_age']}"
    )
    print(json.dumps(resultat))


if __name__ == "__main__":
    main()
