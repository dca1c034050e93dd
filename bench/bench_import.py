"""Banc d'essai de l'import (script, pas un test) : débit de la commande ``importer_dossiers``.

Les dossiers générés (mêmes documents à graine fixe) sont écrits chacun dans un fichier, puis
importés par la commande elle-même (``call_command``), donc par le chemin complet : lecture des
fichiers, validation du JSON, lot (``dossiers.importation.importer_lot``) avec une transaction
par fichier, porteur trouvé ou créé, collectifs et créneaux, évaluation figée, compte rendu par
fichier. La base est celle de ``DATABASE_URL`` (le lanceur ``bench/run.py`` en prépare une
vide) ; ``DEBUG`` est désactivé, comme en production, sauf si l'environnement le fixe.

La dernière ligne est un JSON {"import_dossiers_par_seconde": N, "base": "...", ...} avec aussi :
- ``cpu_ms_par_dossier`` : temps CPU du processus par dossier ; sur une machine partagée, il
  varie moins que le débit mesuré à l'horloge (il ne compte pas le travail du serveur
  PostgreSQL) ;
- ``requetes_par_dossier`` : envois SQL par dossier (une requête, ou sur PostgreSQL un message
  de plusieurs instructions : tout le fichier, transaction comprise), comptés par un
  ``execute_wrapper`` de Django ; hors le BEGIN et le COMMIT que le pilote envoie lui-même.

    DATABASE_URL=... .venv/bin/python bench/bench_import.py [--dossiers 1000]
"""

import argparse
import contextlib
import io
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))
sys.path.insert(0, str(RACINE / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clas_portal.settings")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from bench_moteur import generer_dossier  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from dossiers.management.commands.importer_dossiers import Command  # noqa: E402
from dossiers.models import Dossier  # noqa: E402


def cle_luhn(chiffres: str) -> str:
    for cle in "0123456789":
        total = 0
        for i, c in enumerate(reversed(chiffres + cle)):
            d = int(c) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return cle
    raise AssertionError


def siret(n: int) -> str:
    siren = f"{20000000 + n:08d}"
    siren += cle_luhn(siren)
    nic = f"{n % 10000:04d}"
    return siren + nic + cle_luhn(siren + nic)


def documents(nombre: int, graine: int) -> list[bytes]:
    rng = random.Random(graine)
    resultat = []
    for i in range(nombre):
        document = generer_dossier(rng)
        document["reference"] = f"BENCH-{graine}-{i:06d}"
        document["porteur"] = {
            "nom": f"Association du banc {i % 300}",
            "siret": siret(i % 300),
            "forme": "association",
        }
        resultat.append(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    return resultat


class CompteurRequetes:
    """Compte les envois SQL passés par un curseur Django, hors le BEGIN seul de SQLite (le
    BEGIN et le COMMIT de psycopg ne passent pas par un curseur). Un message de plusieurs
    instructions (PostgreSQL : tout un fichier, BEGIN et COMMIT compris) compte pour un."""

    def __init__(self):
        self.requetes = 0

    def __call__(self, execute, sql, params, many, context):
        instruction = sql.lstrip().upper()
        if not (instruction.startswith("BEGIN") and ";" not in instruction):
            self.requetes += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--graine", type=int, default=2026)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as repertoire:
        chemins = []
        for i, octets in enumerate(documents(options.dossiers, options.graine)):
            chemin = Path(repertoire) / f"dossier-{i:06d}.json"
            chemin.write_bytes(octets)
            chemins.append(str(chemin))
        commande, compteur, sortie = Command(), CompteurRequetes(), io.StringIO()
        connection.ensure_connection()
        debut, debut_cpu = time.perf_counter(), time.process_time()
        # SystemExit : un fichier refusé (code 2) ; compté dans les statuts, vérifiés plus bas.
        with connection.execute_wrapper(compteur), contextlib.suppress(SystemExit):
            call_command(commande, *chemins, stdout=sortie, stderr=sortie)
        duree, duree_cpu = time.perf_counter() - debut, time.process_time() - debut_cpu
    statuts = {statut: n for statut, n in commande.comptes.items() if n}
    nombre = len(chemins)
    if statuts != {"importe": nombre}:  # base pas vide, document refusé : mesure sans objet
        sys.exit(f"import incomplet ({statuts}) :\n{sortie.getvalue()[-2000:]}")
    debit = round(nombre / duree)
    cpu_ms = round(duree_cpu / nombre * 1000, 2)
    requetes = round(compteur.requetes / nombre, 2)
    base = connection.vendor
    print(
        f"{nombre} dossiers importés sur {base} par la commande en {duree:.2f} s : {debit} par "
        f"seconde, {cpu_ms} ms de CPU et {requetes} envois SQL par dossier ; "
        f"statuts : {statuts} ; {Dossier.objects.count()} dossiers en base ; DEBUG={settings.DEBUG}"
    )
    print(
        json.dumps(
            {
                "import_dossiers_par_seconde": debit,
                "cpu_ms_par_dossier": cpu_ms,
                "requetes_par_dossier": requetes,
                "base": base,
                "statuts": statuts,
            }
        )
    )


if __name__ == "__main__":
    main()
