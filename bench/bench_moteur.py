"""Banc d'essai du moteur d'éligibilité (script, pas un test).

Génère 10 000 dossiers `clas-dossier/1` de 3 collectifs (aléatoire à graine fixe), les évalue
tous sur un cœur et affiche le débit ; la dernière ligne est un JSON
{"moteur_dossiers_par_seconde": N}. Objectif : au moins 5 000 dossiers par seconde.

    .venv/bin/python bench/bench_moteur.py [--dossiers 10000] [--graine 2025]
"""

import argparse
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eligibility.calendrier import ZONE_PAR_DEPARTEMENT  # noqa: E402
from eligibility.editions import CNAF_2019, ParametresFinancement  # noqa: E402
from eligibility.moteur import evaluer  # noqa: E402

DEPARTEMENTS = sorted(ZONE_PAR_DEPARTEMENT)
CLASSES = [
    "PS",
    "MS",
    "GS",
    "CP",
    "CE1",
    "CE2",
    "CM1",
    "CM2",
    "6e",
    "5e",
    "4e",
    "3e",
    "2nde",
    "1re",
    "Tle",
]
JOURS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]
TEXTE = "Action décrite par le porteur, avec ses modalités et son calendrier."


def _peut_etre(rng: random.Random, cible: dict, cle: str, valeur, presence: float = 0.98):
    if rng.random() < presence:
        cible[cle] = valeur


def generer_collectif(rng: random.Random) -> dict:
    collectif: dict = {"nom": f"Collectif {rng.randrange(1000)}"}
    _peut_etre(rng, collectif, "classes", rng.sample(CLASSES[2:], rng.randint(1, 3)))
    _peut_etre(rng, collectif, "nombre_enfants", rng.randint(5, 13))
    _peut_etre(rng, collectif, "rural", rng.random() < 0.3)
    collectif["lieu"] = {"lieu_unique": rng.random() < 0.95, "accessible_parents": True}
    _peut_etre(rng, collectif, "intervenants", rng.choice([1, 2, 2, 3]))
    _peut_etre(
        rng,
        collectif,
        "creneaux",
        [
            {
                "jour": rng.choice(JOURS),
                "debut": "17:00",
                "duree_minutes": rng.choice([45, 90, 90, 120]),
            }
            for _ in range(rng.randint(1, 3))
        ],
    )
    _peut_etre(rng, collectif, "semaines_fonctionnement", rng.randint(28, 36))
    _peut_etre(rng, collectif, "date_debut", f"2025-{rng.choice(['10-20', '11-03', '11-12'])}")
    _peut_etre(rng, collectif, "date_fin", f"2026-06-{rng.randint(5, 30):02d}")
    depenses = rng.randint(1000, 12000)
    _peut_etre(
        rng,
        collectif,
        "depenses_fonctionnement",
        f"{depenses}.{rng.randrange(100):02d}" if rng.random() < 0.5 else depenses,
    )
    return collectif


def generer_dossier(rng: random.Random) -> dict:
    dossier: dict = {
        "format": "clas-dossier/1",
        "annee_scolaire": rng.choice(["2025-2026", "2025-2026", "2026-2027"]),
        "departement": rng.choice(DEPARTEMENTS),
    }
    _peut_etre(rng, dossier, "reperage_concerte_ecole", rng.random() < 0.95)
    _peut_etre(rng, dossier, "aide_aux_devoirs_exclusive", rng.random() < 0.05)
    _peut_etre(rng, dossier, "diagnostic", "Besoins repérés avec les écoles du quartier.")
    _peut_etre(rng, dossier, "coherence_sdsf", rng.random() < 0.95)
    dossier["charte"] = {
        "laicite_neutralite": True,
        "participation_familles_euros": rng.choice([0, 0, "5.00"]),
    }
    _peut_etre(rng, dossier, "engagement_bilan", True)
    dossier["coordinateur"] = {
        "niveau_diplome": rng.choice(["bac", "bac+2", "bac+2", "bac+3", "bac+3", "bac+5"]),
        "experience_animation_education": rng.random() < 0.9,
    }
    dossier["actions"] = {
        axe.cle: {o.cle: TEXTE if rng.random() < 0.995 else "  " for o in axe.objectifs}
        for axe in CNAF_2019.axes
    }
    dossier["collectifs"] = [generer_collectif(rng) for _ in range(3)]
    return dossier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--graine", type=int, default=2025)
    options = parser.parse_args()

    rng = random.Random(options.graine)
    dossiers = [generer_dossier(rng) for _ in range(options.dossiers)]
    financement = ParametresFinancement(Decimal("0.325"), Decimal("7886.00"))
    evaluer(dossiers[0], financement)  # charge le calendrier scolaire hors mesure

    debut = time.perf_counter()
    verdicts: dict[str, int] = {}
    for dossier in dossiers:
        verdict = evaluer(dossier, financement)["verdict"]
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    duree = time.perf_counter() - debut

    debit = round(len(dossiers) / duree)
    print(
        f"{len(dossiers)} dossiers de 3 collectifs évalués en {duree:.3f} s ; verdicts : "
        f"{dict(sorted(verdicts.items()))}"
    )
    print(json.dumps({"moteur_dossiers_par_seconde": debit}))


if __name__ == "__main__":
    main()
