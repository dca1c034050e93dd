"""``make bench`` : lance les bancs de performance et écrit ``var/bench/report.json``.

Chaque banc tourne dans son propre processus, sur une base neuve :
- moteur d'éligibilité : 10 000 dossiers de 3 collectifs, un cœur ;
- import : 1 000 dossiers sur SQLite, puis sur PostgreSQL si ``BENCH_POSTGRES_URL`` (par défaut
  postgres://postgres@127.0.0.1:5432/clas_bench) répond ;
- échelle nationale (``bench_national.py``) : 101 départements, 3 000 porteurs, 4 000 dossiers
  dont 500 dans le 59, 12 000 collectifs ; médiane du temps serveur et nombre de requêtes SQL de
  la file d'attente d'un agent du 59, de la liste de l'administration Django des mêmes dossiers,
  de la page d'un dossier et de l'enregistrement d'une étape de saisie, sur SQLite puis
  PostgreSQL ; puis, sur PostgreSQL, le test de charge de la file (``bench_charge.py`` :
  gunicorn à 2 workers, locust), avec les réglages de production d'aujourd'hui puis avec des
  connexions persistantes ;
- bilan départemental : PDF du 59 (300 dossiers, 900 collectifs avec bilans) par la tâche, temps
  des données et de WeasyPrint, mémoire de pointe, et bilan national, sur SQLite puis PostgreSQL.

Le résumé final est un tableau : mesure, valeur, objectif, atteint ou non.
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
        print(f"   PostgreSQL indisponible ({exc}) : banc PostgreSQL non lancé")
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


# --- Échelle nationale : peuplement, temps serveur, test de charge -----------------------------
CIBLE_FILE_MS = 60
CIBLE_PAGE_DOSSIER_MS = 80
CIBLE_PEUPLEMENT_PG_S = 60
CIBLES_CHARGE = {"requetes_par_seconde": 80, "p95_ms": 300}
# Le test de charge tourne deux fois : réglages de production d'aujourd'hui (une connexion
# PostgreSQL par requête), puis connexions gardées par chaque worker (DB_CONN_MAX_AGE=60).
VARIANTES_CHARGE = (("charge", "0"), ("charge_persistant", "60"))


def migrer(url: str) -> dict:
    env = {"DATABASE_URL": url, "CLAS_ENV": "demo"}
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=RACINE,
        env={**os.environ, **env},
        check=True,
    )
    return env


def banc_national(rapport: dict) -> None:
    """4 000 dossiers dont 500 dans le 59, sur une base neuve, SQLite puis PostgreSQL (s'il
    répond) : temps serveur de la file, de l'administration, d'une page, d'une étape ; puis, sur
    PostgreSQL, le test de charge de la file avec gunicorn."""
    sqlite = SORTIE / "bench_national.sqlite3"
    for suffixe in ("", "-wal", "-shm"):
        Path(f"{sqlite}{suffixe}").unlink(missing_ok=True)
    for base, nom, url in (
        ("sqlite", "SQLite", f"sqlite:///{sqlite}"),
        ("postgresql", "PostgreSQL", PG_URL),
    ):
        print(f"== Échelle nationale sur {nom} : peuplement et temps serveur")
        if base == "postgresql" and not base_postgres_neuve():
            continue
        env = migrer(url)
        resultat = lancer([PYTHON, "bench/bench_national.py"], env)
        for cle in ("porteurs", "dossiers", "dossiers_59", "collectifs", "evaluations"):
            rapport[f"national_{cle}"] = resultat[cle]
        rapport[f"national_{base}_peuplement_s"] = resultat["peuplement_s"]
        rapport["requetes_mesurees"] = resultat["requetes_mesurees"]
        for page in ("file", "file_admin", "admin", "page_dossier", "etape"):
            # file_sqlite_ms, admin_postgresql_requetes, page_dossier_sqlite_p90_ms…
            for mesure in ("ms", "p90_ms", "requetes"):
                if f"{page}_{mesure}" in resultat:
                    rapport[f"{page}_{base}_{mesure}"] = resultat[f"{page}_{mesure}"]
        if base == "postgresql":
            for prefixe, age in VARIANTES_CHARGE:
                print(f"== Test de charge de la file (gunicorn, DB_CONN_MAX_AGE={age})")
                charge = lancer([PYTHON, "bench/bench_charge.py"], {**env, "DB_CONN_MAX_AGE": age})
                for cle, valeur in charge.items():  # charge_p95_ms → charge_persistant_p95_ms
                    rapport[prefixe + cle.removeprefix("charge")] = valeur


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


# --- Résumé : un tableau mesure, valeur, objectif, atteint ---------------------------------------
BASES = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))


def _nombre(valeur, unite: str = "", decimales: int = 0) -> str:
    if valeur is None:
        return "non mesuré"
    texte = f"{valeur:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
    return f"{texte} {unite}".strip()


def lignes_resume(r: dict) -> list[tuple[str, str, str, bool | None]]:
    """(mesure, valeur, objectif, atteint ?) ; atteint vaut None sans objectif ou sans mesure."""
    lignes = []

    def ligne(mesure, valeur, texte, objectif="—", atteint=None):
        lignes.append((mesure, texte, objectif, None if valeur is None else atteint))

    v = r.get("moteur_dossiers_par_seconde")
    ligne(
        "moteur : 10 000 dossiers de 3 collectifs, un cœur",
        v,
        _nombre(v, "dossiers/s"),
        "≥ 5 000 dossiers/s",
        v is not None and v >= CIBLES["moteur_dossiers_par_seconde"],
    )
    for base, nom in BASES:
        v = r.get(f"import_{base}_dossiers_par_seconde")
        ligne(
            f"import de 1 000 dossiers ({nom})",
            v,
            _nombre(v, "dossiers/s"),
            "≥ 200 dossiers/s",
            v is not None and v >= CIBLES[f"import_{base}_dossiers_par_seconde"],
        )
    for base, nom in BASES:
        v = r.get(f"national_{base}_peuplement_s")
        objectif = f"< {CIBLE_PEUPLEMENT_PG_S} s" if base == "postgresql" else "—"
        ligne(
            f"peuplement national, 4 000 dossiers ({nom})",
            v,
            _nombre(v, "s", 1),
            objectif,
            (v < CIBLE_PEUPLEMENT_PG_S) if base == "postgresql" and v is not None else None,
        )
    for base, nom in BASES:
        v, admin = r.get(f"file_{base}_ms"), r.get(f"admin_{base}_ms")
        ligne(
            f"file de l'agent, 500 dossiers du 59, médiane ({nom})",
            v,
            f"{_nombre(v, 'ms', 1)}, {r.get(f'file_{base}_requetes')} requêtes SQL",
            f"≤ {CIBLE_FILE_MS} ms et ≤ l'administration",
            v is not None and admin is not None and v <= CIBLE_FILE_MS and v <= admin,
        )
        ligne(
            f"  administration Django, mêmes dossiers ({nom})",
            admin,
            f"{_nombre(admin, 'ms', 1)}, {r.get(f'admin_{base}_requetes')} requêtes SQL",
            "référence",
        )
        v = r.get(f"file_admin_{base}_ms")
        ligne(
            f"  file de l'administrateur national, 4 000 dossiers ({nom})",
            v,
            f"{_nombre(v, 'ms', 1)}, {r.get(f'file_admin_{base}_requetes')} requêtes SQL",
        )
    for base, nom in BASES:
        v = r.get(f"page_dossier_{base}_ms")
        ligne(
            f"page d'un dossier (3 collectifs, pièces, messages) ({nom})",
            v,
            f"{_nombre(v, 'ms', 1)}, {r.get(f'page_dossier_{base}_requetes')} requêtes SQL",
            f"≤ {CIBLE_PAGE_DOSSIER_MS} ms",
            v is not None and v <= CIBLE_PAGE_DOSSIER_MS,
        )
    for base, nom in BASES:
        v = r.get(f"etape_{base}_ms")
        ligne(
            f"enregistrement de l'étape « projet » par le porteur ({nom})",
            v,
            f"{_nombre(v, 'ms', 1)}, {r.get(f'etape_{base}_requetes')} requêtes SQL",
        )
    c = BILAN_CIBLES
    for base, nom in BASES:
        total = r.get(f"bilan_{base}_total_s")
        ligne(
            f"bilan du 59, 300 dossiers, 900 collectifs ({nom})",
            total,
            f"{_nombre(total, 's', 2)}, {r.get(f'bilan_{base}_pages')} pages",
            f"≤ {c['total_s']} s",
            total is not None and total <= c["total_s"],
        )
        v = r.get(f"bilan_{base}_memoire_pointe_mo")
        ligne(
            f"  mémoire de pointe ({nom})",
            v,
            _nombre(v, "Mo"),
            f"≤ {c['memoire_pointe_mo']} Mo",
            v is not None and v <= c["memoire_pointe_mo"],
        )
        v = r.get(f"bilan_{base}_donnees_part")
        ligne(
            f"  part du rassemblement des données ({nom})",
            v,
            "non mesuré" if v is None else f"{v:.0%}".replace("%", " %"),
            f"≤ {c['donnees_part']:.0%}".replace("%", " %"),
            v is not None and v <= c["donnees_part"],
        )
        v = r.get(f"bilan_{base}_national_s")
        ligne(
            f"  bilan national, {_nombre(r.get(f'bilan_{base}_national_dossiers'))} dossiers "
            f"({nom})",
            v,
            _nombre(v, "s", 2),
            f"≤ {c['national_s']} s",
            v is not None and v <= c["national_s"],
        )
    for prefixe, age in VARIANTES_CHARGE:
        debit, p95 = r.get(f"{prefixe}_requetes_par_seconde"), r.get(f"{prefixe}_p95_ms")
        ligne(
            f"charge sur la file, gunicorn 2 workers, PostgreSQL, DB_CONN_MAX_AGE={age}",
            debit,
            f"{_nombre(debit, 'req/s', 1)}, p95 {_nombre(p95, 'ms')}, "
            f"{r.get(f'{prefixe}_echecs')} échec(s)",
            f"≥ {CIBLES_CHARGE['requetes_par_seconde']} req/s, p95 ≤ {CIBLES_CHARGE['p95_ms']} ms",
            debit is not None
            and debit >= CIBLES_CHARGE["requetes_par_seconde"]
            and p95 <= CIBLES_CHARGE["p95_ms"]
            and r.get(f"{prefixe}_echecs") == 0,
        )
        if debit is None:
            continue
        pg = r.get(f"{prefixe}_cpu_postgresql_coeurs")
        ligne(
            "  cœurs occupés : gunicorn, locust, PostgreSQL, autres processus",
            debit,
            f"{r[f'{prefixe}_cpu_serveur_coeurs']} · {r[f'{prefixe}_cpu_locust_coeurs']} · "
            f"{'(dans autres)' if pg is None else pg} · {r[f'{prefixe}_cpu_autres_coeurs']}",
            "sur 2 cœurs",
        )
        plafond = r.get(f"{prefixe}_plafond_estime_requetes_par_seconde")
        if plafond is not None:
            ligne(
                "  débit estimé de la machine sans autres processus",
                plafond,
                f"{_nombre(plafond, 'req/s')} ({r[f'{prefixe}_cpu_gunicorn_ms_par_requete']} + "
                f"{r[f'{prefixe}_cpu_postgresql_ms_par_requete']} ms CPU/requête)",
                "estimation",
            )
    return lignes


def imprimer_resume(rapport: dict) -> None:
    lignes = lignes_resume(rapport)
    etats = {True: "oui", False: "NON", None: "—"}
    largeurs = [
        max(len(entete), *(len(str(colonne)) for colonne in colonnes))
        for entete, colonnes in zip(
            ("mesure", "valeur", "objectif"),
            zip(*(ligne[:3] for ligne in lignes), strict=True),
            strict=True,
        )
    ]
    entete = ("mesure", "valeur", "objectif", "atteint")
    print()
    print("  ".join(t.ljust(n) for t, n in zip(entete, [*largeurs, 7], strict=True)))
    print("  ".join("-" * n for n in [*largeurs, 7]))
    for mesure, valeur, objectif, atteint in lignes:
        print(
            f"{mesure.ljust(largeurs[0])}  {valeur.ljust(largeurs[1])}  "
            f"{objectif.ljust(largeurs[2])}  {etats[atteint]}"
        )


def main() -> None:
    debut = time.perf_counter()
    SORTIE.mkdir(parents=True, exist_ok=True)
    rapport: dict = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpu": os.cpu_count()}
    rapport["charge_systeme_au_debut"] = [round(x, 2) for x in os.getloadavg()]

    print("== Moteur d'éligibilité")
    rapport.update(lancer([PYTHON, "bench/bench_moteur.py"]))

    print("== Import sur SQLite")
    sqlite = SORTIE / "bench.sqlite3"
    sqlite.unlink(missing_ok=True)
    resultat = importer_sur(f"sqlite:///{sqlite}")
    rapport["import_sqlite_dossiers_par_seconde"] = resultat["import_dossiers_par_seconde"]
    rapport["import_sqlite_cpu_ms_par_dossier"] = resultat["cpu_ms_par_dossier"]
    rapport["import_sqlite_requetes_par_dossier"] = resultat.get("requetes_par_dossier")

    print("== Import sur PostgreSQL")
    if base_postgres_neuve():
        resultat = importer_sur(PG_URL)
        rapport["import_postgresql_dossiers_par_seconde"] = resultat["import_dossiers_par_seconde"]
        rapport["import_postgresql_cpu_ms_par_dossier"] = resultat["cpu_ms_par_dossier"]
        rapport["import_postgresql_requetes_par_dossier"] = resultat.get("requetes_par_dossier")

    banc_national(rapport)
    banc_bilan(rapport)

    rapport["charge_systeme_a_la_fin"] = [round(x, 2) for x in os.getloadavg()]
    rapport["duree_totale_s"] = round(time.perf_counter() - debut)
    rapport["resume"] = [
        {"mesure": m.strip(), "valeur": v, "objectif": o, "atteint": a}
        for m, v, o, a in lignes_resume(rapport)
    ]
    (SORTIE / "report.json").write_text(json.dumps(rapport, indent=2, ensure_ascii=False) + "\n")
    imprimer_resume(rapport)
    print(
        f"\nDurée du banc : {rapport['duree_totale_s'] // 60} min {rapport['duree_totale_s'] % 60} s"
        f" ; charge de la machine (1, 5, 15 min) au début {rapport['charge_systeme_au_debut']}, "
        f"à la fin {rapport['charge_systeme_a_la_fin']} ({os.cpu_count()} cœurs, partagés)."
    )
    print(f"Rapport : {SORTIE / 'report.json'}")


if __name__ == "__main__":
    main()
