"""``manage.py relayer_taches`` : publie à la main les tâches différées en attente."""

from django.core.management.base import BaseCommand, CommandError

from clas_portal import taches


class Command(BaseCommand):
    help = (
        "Publie au broker Celery les tâches différées en attente (les plus anciennes d'abord), "
        "comme le fait chaque minute la tâche planifiée fiabilite.relayer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--lot", type=int, default=200, help="nombre maximal de tâches publiées (200)"
        )

    def handle(self, *args, lot, **options):
        if lot < 1:
            raise CommandError("--lot : indiquez un nombre entier supérieur à 0.")
        releve = taches.relayer(lot=lot)
        self.stdout.write(
            f"{releve.publiees} tâche(s) publiée(s) ; {releve.en_attente} en attente."
        )
        if releve.echecs:
            raise CommandError(
                "Le broker Celery est injoignable : les tâches restent en attente et seront "
                "publiées au prochain passage du relais."
            )
