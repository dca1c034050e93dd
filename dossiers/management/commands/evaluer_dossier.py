import sys

from django.core.management.base import BaseCommand

from dossiers.evaluation import evaluer_document
from dossiers.format_echange import ErreurFormat, lire
from eligibility.moteur import dumps_evaluation

from ._fichiers import lire_octets


class Command(BaseCommand):
    help = (
        "Évalue un dossier clas-dossier/1 (fichier, ou « - » pour l'entrée standard) et écrit "
        "l'évaluation clas-evaluation/1 en JSON. Code de sortie 2 si le format est invalide."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "fichier", help="chemin du fichier JSON, ou « - » pour l'entrée standard"
        )

    def handle(self, *args, fichier, **options):
        try:
            document = lire(lire_octets(fichier, getattr(self, "stdin", None)))
        except ErreurFormat as exc:
            for ligne in exc.problemes:
                self.stderr.write(ligne)
            sys.exit(2)
        self.stdout.write(dumps_evaluation(evaluer_document(document)))
