import sys
from functools import partial

from django.core.management.base import BaseCommand

from dossiers.importation import importer_lot

from ._fichiers import lire_octets


class Command(BaseCommand):
    help = (
        "Importe des dossiers clas-dossier/1 comme dossiers déposés (ou décidés s'ils portent une "
        "« instruction »). Chaque fichier dans sa propre transaction ; une référence déjà importée "
        "est ignorée. Code de sortie 2 si un fichier est refusé."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichiers", nargs="+", help="fichiers JSON à importer")

    def handle(self, *args, fichiers, **options):
        # Les fichiers forment un lot : lus à la demande, par paquets (dossiers.importation).
        # ``self.comptes`` reste lisible après la commande (bench/bench_import.py).
        self.comptes = comptes = {"importe": 0, "ignore": 0, "refuse": 0}
        sources = (partial(lire_octets, chemin) for chemin in fichiers)
        for chemin, resultat in zip(fichiers, importer_lot(sources), strict=True):
            comptes[resultat.statut] += 1
            dossier = resultat.dossier
            if resultat.statut == "importe":
                self.stdout.write(
                    f"{chemin} : importé — dossier n° {dossier.pk}"
                    f"{f' (référence {dossier.reference})' if dossier.reference else ''}, "
                    f"{dossier.porteur.raison_sociale}, {dossier.departement_id}, "
                    f"{dossier.annee_scolaire}, état « {dossier.get_etat_display()} », "
                    f"{resultat.nombre_collectifs} collectif(s), "
                    f"verdict « {resultat.evaluation.verdict} »"
                )
                for avertissement in resultat.avertissements:
                    self.stdout.write(f"{chemin} : attention, {avertissement}")
            elif resultat.statut == "ignore":
                self.stdout.write(
                    f"{chemin} : ignoré — la référence « {dossier.reference} » a déjà été "
                    f"importée (dossier n° {dossier.pk})"
                )
            else:
                self.stdout.write(f"{chemin} : refusé, rien n'a été enregistré")
                for probleme in resultat.problemes:
                    self.stderr.write(f"{chemin} : {probleme}")
        self.stdout.write(
            f"Bilan : {comptes['importe']} importé(s), {comptes['ignore']} ignoré(s), "
            f"{comptes['refuse']} refusé(s)."
        )
        if comptes["refuse"]:
            sys.exit(2)
