"""Banc d'essai du bilan départemental (script, pas un test) : la tâche ``bilans.generer``.

Peuple une base neuve (celle de ``DATABASE_URL``, migrée par le lanceur ``bench/run.py``) par
insertions groupées :

- le Nord (59), année 2025-2026 : 300 dossiers déposés (dont ~80 % acceptés) de 3 collectifs,
  soit 900 collectifs, chacun avec son bilan de l'action soumis, et l'évaluation figée à la
  décision calculée par le moteur (des collectifs non éligibles, des motifs de non-éligibilité) ;
  plus 100 dossiers acceptés en 2024-2025 (la comparaison avec l'année précédente) ;
- les autres départements : ``--par-departement`` dossiers chacun (100 par défaut), pour la
  consolidation nationale.

Puis mesure, chaque fois dans un processus neuf (sa mémoire de pointe, ``ru_maxrss``, compte les
parties en C de WeasyPrint, ce que tracemalloc ne voit pas) :

- le bilan du 59 par la tâche elle-même (``demander_bilan`` puis ``generer.apply``) : durée
  totale, durée du rassemblement des données et de la mise en page (graphiques + WeasyPrint),
  pages, mémoire de pointe ;
- le bilan national consolidé, de même.

La dernière ligne est un JSON {"bilan_total_s": …, "bilan_donnees_part": …, …}.

    DATABASE_URL=... .venv/bin/python bench/bench_bilan.py [--par-departement 100]
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))
sys.path.insert(0, str(RACINE / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clas_portal.settings")
os.environ.setdefault("DEBUG", "0")

CIBLE_TOTAL_S = 8
CIBLE_MEMOIRE_MO = 400
CIBLE_PART_DONNEES = 0.20
CIBLE_NATIONAL_S = 90

COMMUNES = [
    "Lille",
    "Roubaix",
    "Tourcoing",
    "Dunkerque",
    "Valenciennes",
    "Douai",
    "Maubeuge",
    "Wattrelos",
    "Villeneuve-d'Ascq",
    "Cambrai",
    "Armentières",
    "Hazebrouck",
    "Denain",
    "Lomme",
    "Hem",
    "Croix",
    "Wasquehal",
    "Marcq-en-Barœul",
    "Loos",
    "Halluin",
]


def bilan_genere(collectif, rng, origine: str, soumis_le, **autres):
    """Le bilan de l'action soumis d'un collectif du banc, aux valeurs tirées de ``rng``
    (vraisemblables : 7 à 13 inscrits, 40 à 70 séances…). Partagé avec bench_national.py."""
    from seances.models import BilanAction

    inscrits = rng.randint(7, 13)
    filles = rng.randint(0, inscrits)
    return BilanAction(
        collectif=collectif,
        statut=BilanAction.Statut.SOUMIS,
        origine=origine,
        enfants_inscrits=inscrits,
        filles=filles,
        garcons=inscrits - filles,
        familles=rng.randint(5, inscrits),
        seances_realisees=rng.randint(40, 70),
        heures_realisees=Decimal(rng.randint(600, 1100)) / 10,
        taux_presence=Decimal(rng.randint(60, 98)) / 100,
        intervenants_salaries=rng.randint(0, 3),
        intervenants_benevoles=rng.randint(0, 3),
        actions_parents=rng.randint(0, 8),
        rencontres_ecole=rng.randint(0, 6),
        soumis_le=soumis_le,
        **autres,
    )


def _django():
    import django

    django.setup()


def _evaluations_modeles(rng: random.Random, nombre: int = 60) -> list[tuple[dict, dict]]:
    """Des couples (document, résultat du moteur) réutilisés d'un dossier à l'autre : le moteur
    fait le vrai travail une fois par modèle, l'insertion reste rapide."""
    from bench_moteur import generer_dossier

    from eligibility.editions import ParametresFinancement
    from eligibility.moteur import dumps_evaluation, evaluer

    financement = ParametresFinancement(Decimal("0.325"), Decimal("7886.00"))
    modeles = []
    for _ in range(nombre):
        document = generer_dossier(rng)
        document.update(annee_scolaire="2025-2026")
        resultat = json.loads(dumps_evaluation(evaluer(document, financement)))
        modeles.append((document, resultat))
    return modeles


def peupler(par_departement: int, graine: int) -> dict:
    """Insère les données décrites en tête du module ; rend les comptes."""
    from bench_import import siret
    from django.db import transaction
    from django.utils import timezone

    from collectifs.models import Collectif
    from comptes.models import Departement
    from dossiers.models import Dossier, Etat, Evaluation
    from porteurs.models import Porteur
    from seances.models import BilanAction

    rng = random.Random(graine)
    modeles = _evaluations_modeles(rng)
    tous = list(range(len(modeles)))
    finances = [
        m
        for m in tous
        if sum(c["verdict"] != "non_eligible" for c in modeles[m][1]["collectifs"]) >= 2
    ] or tous
    maintenant = timezone.now()
    departements = list(Departement.objects.order_by("code"))
    plan = []  # (département, année, nombre de dossiers, part acceptée)
    for dep in departements:
        if dep.code == "59":
            plan += [(dep, 2025, 300, 0.8), (dep, 2024, 100, 1.0)]
        elif par_departement:
            plan.append((dep, 2025, par_departement, 0.8))
    compte = {"dossiers": 0, "collectifs": 0}
    numero_siret = 10_000
    for dep, annee, nombre, part_acceptee in plan:
        with transaction.atomic():
            porteurs = Porteur.objects.bulk_create(
                Porteur(
                    raison_sociale=f"Association {dep.code}-{annee}-{i}",
                    siret=siret(numero_siret + i),
                    forme="association",
                    code_postal=f"{rng.randint(10000, 95999)}",
                    commune=rng.choice(COMMUNES),
                    departement=dep,
                )
                for i in range(max(1, nombre // 2))
            )
            numero_siret += len(porteurs)
            etats = []
            for _ in range(nombre):
                tirage = rng.random()
                if tirage < part_acceptee:
                    etats.append(Etat.ACCEPTE)
                elif tirage < part_acceptee + 0.08:
                    etats.append(Etat.REFUSE)
                else:
                    etats.append(Etat.EN_INSTRUCTION)
            dossiers = Dossier.objects.bulk_create(
                Dossier(
                    porteur=porteurs[i % len(porteurs)],
                    departement=dep,
                    annee=annee,
                    etat=etat,
                    intitule=f"Accompagnement à la scolarité n° {i}",
                    montant_accorde=(
                        Decimal(rng.randint(2000, 7700)) if etat == Etat.ACCEPTE else None
                    ),
                    date_decision=maintenant.date() if etat == Etat.ACCEPTE else None,
                    depose_le=maintenant,
                )
                for i, etat in enumerate(etats)
            )
            # Un dossier accepté a surtout des collectifs éligibles (ils sont financés), un
            # dossier refusé ou en instruction, n'importe quelle évaluation.
            choix = [rng.choice(finances if d.etat == Etat.ACCEPTE else tous) for d in dossiers]
            collectifs = Collectif.objects.bulk_create(
                Collectif(
                    dossier=d,
                    ordre=j,
                    nom=f"Collectif {j + 1} du dossier {d.pk}",
                    classes=modeles[m][0]["collectifs"][j].get("classes") or ["CM1"],
                    nombre_enfants=rng.randint(8, 12),
                    rural=rng.random() < 0.25,
                    lieu_commune=rng.choice(COMMUNES),
                    depenses_fonctionnement=Decimal(rng.randint(2000, 9000)),
                    montant_accorde=(
                        Decimal(rng.randint(600, 2500)) if d.etat == Etat.ACCEPTE else None
                    ),
                )
                for d, m in zip(dossiers, choix, strict=True)
                for j in range(3)
            )
            BilanAction.objects.bulk_create(
                (bilan_genere(c, rng, BilanAction.Origine.IMPORT, maintenant) for c in collectifs),
                batch_size=2000,
            )
            Evaluation.objects.bulk_create(
                (
                    Evaluation(
                        dossier=d,
                        motif=Evaluation.Motif.DECISION,
                        edition=modeles[m][1]["edition"],
                        parametres=modeles[m][1]["parametres"],
                        empreinte_entree=f"{d.pk:064d}",
                        entree=modeles[m][0],
                        resultat=modeles[m][1],
                        verdict=modeles[m][1]["verdict"],
                    )
                    for d, m in zip(dossiers, choix, strict=True)
                ),
                batch_size=500,
            )
        compte["dossiers"] += len(dossiers)
        compte["collectifs"] += len(collectifs)
    return compte


def mesurer(departement: str | None) -> dict:
    """Dans ce processus neuf : la génération par la tâche, puis la mémoire de pointe."""
    from bilans.tasks import demander_bilan, generer
    from comptes.models import Departement

    dep = Departement.objects.get(code=departement) if departement else None
    debut = time.perf_counter()
    generation = demander_bilan(dep, 2025, None, en_file=False)
    demande_s = time.perf_counter() - debut
    resultat = generer.apply(args=[generation.pk]).get()
    generation.refresh_from_db()
    assert generation.est_terminee, generation.erreur
    pointe_mo = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux : en Kio
    return {
        "departement": departement,
        "demande_s": round(demande_s, 3),
        "total_s": resultat["total_s"],
        "donnees_s": resultat["donnees_s"],
        "pdf_s": resultat["pdf_s"],
        "pages": generation.pages,
        "taille_ko": round(generation.taille / 1024),
        "memoire_pointe_mo": round(pointe_mo),
    }


def _en_sous_processus(arguments: list[str]) -> dict:
    r = subprocess.run(
        [sys.executable, __file__, *arguments],
        cwd=RACINE,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RuntimeError(f"bench_bilan {' '.join(arguments)} a échoué :\n{r.stdout}\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--par-departement", type=int, default=100)
    parser.add_argument("--graine", type=int, default=2026)
    parser.add_argument("--mesurer", choices=["59", "national"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    _django()

    if options.mesurer:
        print(json.dumps(mesurer(None if options.mesurer == "national" else options.mesurer)))
        return

    import tempfile

    from django.db import connection

    debut = time.perf_counter()
    compte = peupler(options.par_departement, options.graine)
    peuplement = time.perf_counter() - debut
    # Les PDF et JSON produits vont dans un dossier temporaire, pas dans var/media.
    with tempfile.TemporaryDirectory(prefix="bench-bilan-media-") as media:
        os.environ["MEDIA_ROOT"] = media
        dep = _en_sous_processus(["--mesurer", "59"])
        national = _en_sous_processus(["--mesurer", "national"])
    part = dep["donnees_s"] / dep["total_s"] if dep["total_s"] else 0
    print(
        f"{compte['dossiers']} dossiers, {compte['collectifs']} collectifs avec bilans sur "
        f"{connection.vendor}, peuplés en {peuplement:.1f} s"
    )
    print(
        f"  bilan du 59 (300 dossiers, 900 collectifs) : {dep['total_s']:.2f} s dans la tâche "
        f"(données {dep['donnees_s']:.2f} s = {part:.0%}, graphiques + WeasyPrint "
        f"{dep['pdf_s']:.2f} s), {dep['pages']} pages, {dep['taille_ko']} Ko, mémoire de pointe "
        f"{dep['memoire_pointe_mo']} Mo ; demande (empreinte) {dep['demande_s']:.2f} s"
    )
    print(
        f"  bilan national : {national['total_s']:.2f} s dans la tâche (données "
        f"{national['donnees_s']:.2f} s), {national['pages']} pages, mémoire de pointe "
        f"{national['memoire_pointe_mo']} Mo ; demande (empreinte) {national['demande_s']:.2f} s"
    )
    print(
        json.dumps(
            {
                "bilan_total_s": dep["total_s"],
                "bilan_donnees_s": dep["donnees_s"],
                "bilan_weasyprint_s": dep["pdf_s"],
                "bilan_donnees_part": round(part, 3),
                "bilan_memoire_pointe_mo": dep["memoire_pointe_mo"],
                "bilan_pages": dep["pages"],
                "bilan_demande_s": dep["demande_s"],
                "bilan_national_s": national["total_s"],
                "bilan_national_donnees_s": national["donnees_s"],
                "bilan_national_memoire_pointe_mo": national["memoire_pointe_mo"],
                "bilan_national_dossiers": compte["dossiers"],
                "bilan_national_collectifs": compte["collectifs"],
                "base": connection.vendor,
            }
        )
    )


if __name__ == "__main__":
    main()
