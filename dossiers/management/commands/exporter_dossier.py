import json
import sys

from django.core.management.base import BaseCommand

from dossiers.exportation import charger_pour_export, dossier_vers_document
from dossiers.models import Dossier


class Command(BaseCommand):
    help = (
        "Écrit un dossier au format clas-dossier/1, trouvé par son numéro ou par la référence "
        "avec laquelle il a été importé. Code de sortie 2 s'il n'existe pas."
    )

    def add_arguments(self, parser):
        parser.add_argument("identifiant", help="numéro du dossier ou référence d'import")

    def handle(self, *args, identifiant, **options):
        dossiers = charger_pour_export(Dossier.objects.all())
        par_reference = dossiers.filter(reference=identifiant).first()
        par_numero = dossiers.filter(pk=int(identifiant)).first() if identifiant.isdigit() else None
        if par_reference and par_numero and par_reference.pk != par_numero.pk:
            self.stderr.write(
                f"« {identifiant} » est ambigu : c'est le numéro du dossier n° {par_numero.pk} "
                f"et la référence d'import du dossier n° {par_reference.pk}. Corrigez la "
                "référence de l'un d'eux dans l'administration avant d'exporter."
            )
            sys.exit(2)
        dossier = par_reference or par_numero
        if dossier is None:
            self.stderr.write(f"Aucun dossier n'a le numéro ou la référence « {identifiant} ».")
            sys.exit(2)
        document = dossier_vers_document(dossier)
        self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
