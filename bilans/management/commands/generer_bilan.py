"""``generer_bilan --departement D --annee YYYY-YYYY [--sortie DIR]`` (dossier-format.md §3).

Même chemin que le bouton du site : ``demander_bilan`` (une génération terminée avec les mêmes
données est rendue telle quelle), puis la tâche ``bilans.generer`` exécutée dans ce processus
(``apply``) — la commande ne dépend d'aucun worker. Écrit ``bilan-D-YYYY-YYYY.pdf`` et
``bilan-D-YYYY-YYYY.json`` dans DIR (par défaut, le dossier courant).

Code de sortie : 0 ; 2 pour un département inconnu ou une année mal écrite ; 1 si la génération
échoue.
"""

import re
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from bilans.tasks import demander_bilan, generer, lire
from comptes.models import Departement
from dossiers.models import ANNEE_MAX, ANNEE_MIN

ANNEE = re.compile(r"^(\d{4})-(\d{4})$")


def annee_scolaire(texte: str) -> int | None:
    """« 2025-2026 » → 2025 ; None si l'année est mal écrite (années non consécutives…)."""
    trouve = ANNEE.match(texte.strip())
    if not trouve:
        return None
    debut, fin = int(trouve[1]), int(trouve[2])
    if fin != debut + 1 or not ANNEE_MIN <= debut <= ANNEE_MAX:
        return None
    return debut


class Command(BaseCommand):
    help = (
        "Génère le bilan départemental (PDF et indicateurs clas-bilan/1 en JSON) par la même "
        "tâche que le bouton du site, et l'écrit dans le dossier de sortie. Code de sortie 2 "
        "pour un département inconnu ou une année mal écrite."
    )

    def add_arguments(self, parser):
        parser.add_argument("--departement", required=True, help="code du département, ex. 59")
        parser.add_argument("--annee", required=True, help="année scolaire, ex. 2025-2026")
        parser.add_argument(
            "--sortie", default=".", help="dossier où écrire les fichiers (défaut : courant)"
        )

    def echouer(self, message: str, code: int = 2):
        self.stderr.write(message)
        sys.exit(code)

    def handle(self, *args, departement, annee, sortie, **options):
        code = departement.strip().upper() if departement else ""
        dep = Departement.objects.filter(code=code).first()
        if dep is None:
            self.echouer(f"--departement : « {departement} » n'est pas un département connu.")
        debut = annee_scolaire(annee)
        if debut is None:
            self.echouer(
                f"--annee : « {annee} » n'est pas une année scolaire au format AAAA-AAAA "
                "(deux années consécutives, ex. 2025-2026)."
            )
        dossier = Path(sortie)
        try:
            dossier.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.echouer(f"--sortie : le dossier « {sortie} » n'a pas pu être créé ({exc}).")

        generation = demander_bilan(dep, debut, None, en_file=False)
        if generation.issue == "existante":
            self.stdout.write(
                f"Données inchangées : bilan n° {generation.pk} déjà généré, fichiers repris."
            )
        elif not generation.est_terminee:
            resultat = generer.apply(args=[generation.pk])
            generation.refresh_from_db()
            # Une génération lancée par le site peut être menée en même temps par un worker :
            # celle de la dernière exécution fait foi ; on attend qu'elle aboutisse.
            limite = time.monotonic() + settings.CELERY_TASK_TIME_LIMIT
            while generation.est_en_cours and time.monotonic() < limite:
                time.sleep(1)
                generation.refresh_from_db()
            if not generation.est_terminee:
                raison = generation.erreur or (
                    str(resultat.result) if resultat.failed() else "génération inachevée"
                )
                self.echouer(f"La génération du bilan a échoué : {raison}", code=1)
        for extension, champ in (
            ("pdf", generation.fichier_pdf),
            ("json", generation.fichier_json),
        ):
            chemin = dossier / generation.nom_fichier(extension)
            chemin.write_bytes(lire(champ))
            self.stdout.write(f"{chemin} écrit.")
        self.stdout.write(
            f"Bilan {dep.code} {generation.annee_scolaire} : {generation.pages} pages, "
            f"empreinte {generation.empreinte_courte}."
        )
