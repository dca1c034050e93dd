"""Paramètres de financement de l'année 2025-2026 : taux 0,325, prix plafond 7 886,00 €.

caf.fr publie une PS maximale de 2 563 € par groupe et par année scolaire ; 2 563 / 0,325 ≈ 7 886.
"""

from decimal import Decimal

from django.db import migrations


def semer(apps, schema_editor):
    ParametresAnnee = apps.get_model("eligibility", "ParametresAnnee")
    HistoriqueParametres = apps.get_model("eligibility", "HistoriqueParametres")
    _, cree = ParametresAnnee.objects.get_or_create(
        annee=2025,
        defaults={
            "edition": "cnaf-2019",
            "taux_ps": Decimal("0.325"),
            "prix_plafond": Decimal("7886.00"),
        },
    )
    if cree:
        HistoriqueParametres.objects.create(
            annee=2025, taux_ps=Decimal("0.325"), prix_plafond=Decimal("7886.00")
        )


def retirer(apps, schema_editor):
    apps.get_model("eligibility", "ParametresAnnee").objects.filter(annee=2025).delete()


class Migration(migrations.Migration):
    dependencies = [("eligibility", "0001_initial")]

    operations = [migrations.RunPython(semer, retirer)]
