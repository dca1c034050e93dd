"""``make bench`` : lance les bancs de performance et écrit ``var/bench/report.json``.

Chaque banc tourne dans son propre processus, sur une base neuve :
- moteur d'éligibilité : 10 000 dossiers de 3 collectifs, un cœur ;
- import : 1 000 dossiers sur SQLite, puis sur PostgreSQL si ``BENCH_POSTGRES_URL`` (par défaut
  postgres://postgres@127.0.0.1:5432/clas_bench) répond ;
- file d'attente des agents : 500 dossiers du 59, médiane du temps serveur de la file et de la
  liste des dossiers de l'administration Django, sur SQLite puis PostgreSQL ;
- bilan départemental : PDF du 59 (300 dossiers, 900 collectifs avec bilans) par la tâche, temps
  des données et de WeasyPrint, mémoire de pointe, et bilan national, sur SQLite puis PostgreSQL.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
SORTIE = RACINE / "var" / "bench"
PYTHON = sys.executable
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/clas_bench")

CIBLES = {
    "moteur_dossiers_par_seconde": 5000,
    "import_sqlite_dossiers_par_seconde": 200,
    "import_postgresql_dossiers_par_seconde": 200,
}


def lancer(commande: list[str], env: dict | None = None) -> dict:
    complet = {**os.environ, **(env or {})}
    r = subprocess.run(commande, cwd=RACINE, env=complet, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(commande)} a échoué :\n{r.stdout}\n{r.stderr}")
    lignes = r.stdout.strip().splitlines()
    for ligne in lignes[:-1]:
        print("   ", ligne)
    return json.loads(lignes[-1])


def base_postgres_neuve() -> bool:
    import psycopg

    base = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{base}"')
            conn.execute(f'CREATE DATABASE "{base}"')
    except psycopg.OperationalError as exc:
        print(f"   PostgreSQL indisponible ({exc}) : banc d'import PostgreSQL non lancé")
        return False
    return True


def importer_sur(url: str) -> dict:
    env = {"DATABASE_URL": url, "CLAS_ENV": "demo"}
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=RACINE,
        env={**os.environ, **env},
        check=True,
    )
    return lancer([PYTHON, "bench/bench_import.py", "--dossiers", "1000"], env)


# --- File d'attente des agents : sa médiane contre celle de la liste de l'administration ------
FILE_CIBLE_MS = 60


def file_sur(url: str) -> dict:
    env = {"DATABASE_URL": url, "CLAS_ENV": "demo"}
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=RACINE,
        env={**os.environ, **env},
        check=True,
    )
    return lancer([PYTHON, "bench/bench_file.py", "--dossiers", "500"], env)


def banc_file(rapport: dict) -> None:
    """500 dossiers du 59 sur une base neuve, SQLite puis PostgreSQL (s'il répond)."""
    sqlite = SORTIE / "bench_file.sqlite3"
    for suffixe in ("", "-wal", "-shm"):
        Path(f"{sqlite}{suffixe}").unlink(missing_ok=True)
    for base, nom, url in (
        ("sqlite", "SQLite", f"sqlite:///{sqlite}"),
        ("postgresql", "PostgreSQL", PG_URL),
    ):
        print(f"== File d'attente des agents sur {nom}")
        if base == "postgresql" and not base_postgres_neuve():
            continue
        resultat = file_sur(url)
        for page in ("file", "admin"):  # file_sqlite_ms, admin_postgresql_requetes…
            for mesure in ("ms", "requetes"):
                rapport[f"{page}_{base}_{mesure}"] = resultat[f"{page}_{mesure}"]


def resume_file(rapport: dict) -> None:
    print(f"\n== File d'attente (500 dossiers, médiane ; objectif ≤ {FILE_CIBLE_MS} ms et pas plus")
    print("   lente que la liste de l'administration Django)")
    for base in ("sqlite", "postgresql"):
        file, admin = rapport.get(f"file_{base}_ms"), rapport.get(f"admin_{base}_ms")
        if file is None:
            print(f"  {base:11} non mesuré")
            continue
        etat = "atteint" if file <= FILE_CIBLE_MS and file <= admin else "NON ATTEINT"
        print(
            f"  {base:11} file {file:6.1f} ms ({rapport[f'file_{base}_requetes']} requêtes)  ·  "
            f"administration {admin:6.1f} ms ({rapport[f'admin_{base}_requetes']} requêtes)  {etat}"
        )


# --- Bilan départemental : la tâche de génération du PDF ---------------------------------------
BILAN_CIBLES = {"total_s": 8, "memoire_pointe_mo": 400, "donnees_part": 0.20, "national_s": 90}


def banc_bilan(rapport: dict) -> None:
    """Un département de 300 dossiers et 900 collectifs avec bilans (et la France pour le bilan
    national) sur une base neuve, SQLite puis PostgreSQL (s'il répond)."""
    sqlite = SORTIE / "bench_bilan.sqlite3"
    for suffixe in ("", "-wal", "-shm"):
        Path(f"{sqlite}{suffixe}").unlink(missing_ok=True)
    for base, nom, url in (
        ("sqlite", "SQLite", f"sqlite:///{sqlite}"),
        ("postgresql", "PostgreSQL", PG_URL),
    ):
        print(f"== Bilan départemental sur {nom}")
        if base == "postgresql" and not base_postgres_neuve():
            continue
        env = {"DATABASE_URL": url, "CLAS_ENV": "demo"}
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=RACINE,
            env={**os.environ, **env},
            check=True,
        )
        resultat = lancer([PYTHON, "bench/bench_bilan.py"], env)
        for cle, valeur in resultat.items():  # bilan_total_s → bilan_sqlite_total_s…
            if cle.startswith("bilan_"):
                rapport[f"bilan_{base}_{cle.removeprefix('bilan_')}"] = valeur


def resume_bilan(rapport: dict) -> None:
    c = BILAN_CIBLES
    print(
        f"\n== Bilan du 59, 300 dossiers et 900 collectifs (objectifs : ≤ {c['total_s']} s, "
        f"≤ {c['memoire_pointe_mo']} Mo, données ≤ {c['donnees_part']:.0%} du temps ; "
        f"national ≤ {c['national_s']} s)"
    )
    for base in ("sqlite", "postgresql"):
        total = rapport.get(f"bilan_{base}_total_s")
        if total is None:
            print(f"  {base:11} non mesuré")
            continue
        memoire = rapport[f"bilan_{base}_memoire_pointe_mo"]
        part = rapport[f"bilan_{base}_donnees_part"]
        national = rapport[f"bilan_{base}_national_s"]
        atteint = (
            total <= c["total_s"]
            and memoire <= c["memoire_pointe_mo"]
            and part <= c["donnees_part"]
            and national <= c["national_s"]
        )
        print(
            f"  {base:11} {total:5.2f} s (données {part:.0%}, WeasyPrint "
            f"{rapport[f'bilan_{base}_weasyprint_s']:.2f} s), {memoire} Mo, "
            f"{rapport[f'bilan_{base}_pages']} pages  ·  national {national:5.2f} s "
            f"({rapport[f'bilan_{base}_national_dossiers']} dossiers)  "
            f"{'atteint' if atteint else 'NON ATTEINT'}"
        )


def main() -> None:
    SORTIE.mkdir(parents=True, exist_ok=True)
    rapport: dict = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpu": os.cpu_count()}

    print("== Moteur d'éligibilité")
    rapport.update(lancer([PYTHON, "bench/bench_moteur.py"]))

    print("== Import sur SQLite")
    sqlite = SORTIE / "bench.sqlite3"
    sqlite.unlink(missing_ok=True)
    resultat = importer_sur(f"sqlite:///{sqlite}")
    rapport["import_sqlite_dossiers_par_seconde"] = resultat["import_dossiers_par_seconde"]
    rapport["import_sqlite_cpu_ms_par_dossier"] = resultat["cpu_ms_par_dossier"]

    print("== Import sur PostgreSQL")
    if base_postgres_neuve():
        resultat = importer_sur(PG_URL)
        rapport["import_postgresql_dossiers_par_seconde"] = resultat["import_dossiers_par_seconde"]
        rapport["import_postgresql_cpu_ms_par_dossier"] = resultat["cpu_ms_par_dossier"]

    banc_file(rapport)
    banc_bilan(rapport)

    (SORTIE / "report.json").write_text(json.dumps(rapport, indent=2, ensure_ascii=False) + "\n")
    print("\n== Résumé (objectifs entre parenthèses)")
    for cle, cible in CIBLES.items():
        valeur = rapport.get(cle)
        etat = "non mesuré" if valeur is None else ("atteint" if valeur >= cible else "NON ATTEINT")
        print(f"  {cle:42} {valeur if valeur is not None else '—':>8}  (≥ {cible}) {etat}")
    resume_file(rapport)
    resume_bilan(rapport)
    print(f"\nRapport : {SORTIE / 'report.json'}")


if __name__ == "__main__":
    main()
