"""Banc d'essai de l'import (script, pas un test) : débit de ``importer_octets``.

Chaque dossier passe par le chemin complet de la commande ``importer_dossiers`` : lecture et
validation du JSON, transaction, porteur trouvé ou créé, collectifs et créneaux, évaluation figée.
La base est celle de ``DATABASE_URL`` (le lanceur ``bench/run.py`` en prépare une vide). La
dernière ligne est un JSON {"import_dossiers_par_seconde": N, "base": "...", ...}. Le temps CPU
du processus par dossier (``cpu_ms_par_dossier``) s'y ajoute : sur une machine partagée, il varie
moins que le débit mesuré à l'horloge (il ne compte pas le travail du serveur PostgreSQL).

    DATABASE_URL=... .venv/bin/python bench/bench_import.py [--dossiers 1000]
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))
sys.path.insert(0, str(RACINE / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clas_portal.settings")

import django  # noqa: E402

django.setup()

from bench_moteur import generer_dossier  # noqa: E402
from django.db import connection  # noqa: E402

from dossiers.importation import importer_octets  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--graine", type=int, default=2026)
    options = parser.parse_args()
    fichiers = documents(options.dossiers, options.graine)
    statuts: dict[str, int] = {}
    debut, debut_cpu = time.perf_counter(), time.process_time()
    for octets in fichiers:
        statut = importer_octets(octets).statut
        statuts[statut] = statuts.get(statut, 0) + 1
    duree, duree_cpu = time.perf_counter() - debut, time.process_time() - debut_cpu
    debit = round(len(fichiers) / duree)
    cpu_ms = round(duree_cpu / len(fichiers) * 1000, 2)
    base = connection.vendor
    print(
        f"{len(fichiers)} dossiers importés sur {base} en {duree:.2f} s ({cpu_ms} ms de CPU par "
        f"dossier) ; statuts : {statuts} ; {Dossier.objects.count()} dossiers en base"
    )
    print(
        json.dumps(
            {
                "import_dossiers_par_seconde": debit,
                "cpu_ms_par_dossier": cpu_ms,
                "base": base,
                "statuts": statuts,
            }
        )
    )


if __name__ == "__main__":
    main()
