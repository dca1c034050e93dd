"""``manage.py purger_donnees_enfants`` : la purge des données par enfant, à la main.

La même purge que la tâche planifiée (``seances.purger_donnees_enfants``) ; la commande dit ce
qu'elle a fait, collectif par collectif.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from seances import purge


class Command(BaseCommand):
    help = (
        "Supprime les enfants (pseudonymes) et le cahier de présence des collectifs dont le bilan "
        "de l'action est soumis depuis plus de CLAS_DELAI_PURGE_ENFANTS_JOURS jours ; les "
        "agrégats (séances, bilan) sont gardés. Idempotente."
    )

    def handle(self, *args, **options):
        delai = settings.CLAS_DELAI_PURGE_ENFANTS_JOURS
        self.stdout.write(
            f"Purge des données par enfant (bilans soumis depuis plus de {delai} jours)."
        )
        try:
            faites = purge.purger_donnees_enfants()
            echec = None
        except purge.PurgeIncomplete as exc:
            faites, echec = exc.faites, exc
        for p in faites:
            self.stdout.write(
                f"  {p.collectif} (dossier {p.collectif.dossier.reference or p.collectif.dossier_id})"
                f" : {p.enfants_supprimes} enfant(s) et {p.presences_supprimees} présence(s) "
                "supprimés."
            )
        if not faites:
            self.stdout.write("  Aucune donnée à purger.")
        else:
            enfants = sum(p.enfants_supprimes for p in faites)
            presences = sum(p.presences_supprimees for p in faites)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(faites)} collectif(s) purgé(s) : {enfants} enfant(s), "
                    f"{presences} présence(s)."
                )
            )
        if echec is not None:
            raise CommandError(str(echec))
