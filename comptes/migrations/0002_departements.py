"""Données de référence : les 101 départements, leur Caf et leur zone de vacances scolaires.

Zones par académie (arrêté du calendrier scolaire) ; l'académie de Corse a un calendrier propre,
les départements d'outre-mer aussi : voir docs/adr/0002-zones-scolaires.md.
"""

from django.db import migrations

DEPARTEMENTS = [
    ("01", "Ain", "Caf de l'Ain", "A"),
    ("02", "Aisne", "Caf de l'Aisne", "B"),
    ("03", "Allier", "Caf de l'Allier", "A"),
    ("04", "Alpes-de-Haute-Provence", "Caf des Alpes-de-Haute-Provence", "B"),
    ("05", "Hautes-Alpes", "Caf des Hautes-Alpes", "B"),
    ("06", "Alpes-Maritimes", "Caf des Alpes-Maritimes", "B"),
    ("07", "Ardèche", "Caf de l'Ardèche", "A"),
    ("08", "Ardennes", "Caf des Ardennes", "B"),
    ("09", "Ariège", "Caf de l'Ariège", "C"),
    ("10", "Aube", "Caf de l'Aube", "B"),
    ("11", "Aude", "Caf de l'Aude", "C"),
    ("12", "Aveyron", "Caf de l'Aveyron", "C"),
    ("13", "Bouches-du-Rhône", "Caf des Bouches-du-Rhône", "B"),
    ("14", "Calvados", "Caf du Calvados", "B"),
    ("15", "Cantal", "Caf du Cantal", "A"),
    ("16", "Charente", "Caf de la Charente", "A"),
    ("17", "Charente-Maritime", "Caf de la Charente-Maritime", "A"),
    ("18", "Cher", "Caf du Cher", "B"),
    ("19", "Corrèze", "Caf de la Corrèze", "A"),
    ("2A", "Corse-du-Sud", "Caf de la Corse-du-Sud", "corse"),
    ("2B", "Haute-Corse", "Caf de la Haute-Corse", "corse"),
    ("21", "Côte-d'Or", "Caf de la Côte-d'Or", "A"),
    ("22", "Côtes-d'Armor", "Caf des Côtes-d'Armor", "B"),
    ("23", "Creuse", "Caf de la Creuse", "A"),
    ("24", "Dordogne", "Caf de la Dordogne", "A"),
    ("25", "Doubs", "Caf du Doubs", "A"),
    ("26", "Drôme", "Caf de la Drôme", "A"),
    ("27", "Eure", "Caf de l'Eure", "B"),
    ("28", "Eure-et-Loir", "Caf d'Eure-et-Loir", "B"),
    ("29", "Finistère", "Caf du Finistère", "B"),
    ("30", "Gard", "Caf du Gard", "C"),
    ("31", "Haute-Garonne", "Caf de la Haute-Garonne", "C"),
    ("32", "Gers", "Caf du Gers", "C"),
    ("33", "Gironde", "Caf de la Gironde", "A"),
    ("34", "Hérault", "Caf de l'Hérault", "C"),
    ("35", "Ille-et-Vilaine", "Caf d'Ille-et-Vilaine", "B"),
    ("36", "Indre", "Caf de l'Indre", "B"),
    ("37", "Indre-et-Loire", "Caf d'Indre-et-Loire", "B"),
    ("38", "Isère", "Caf de l'Isère", "A"),
    ("39", "Jura", "Caf du Jura", "A"),
    ("40", "Landes", "Caf des Landes", "A"),
    ("41", "Loir-et-Cher", "Caf de Loir-et-Cher", "B"),
    ("42", "Loire", "Caf de la Loire", "A"),
    ("43", "Haute-Loire", "Caf de la Haute-Loire", "A"),
    ("44", "Loire-Atlantique", "Caf de la Loire-Atlantique", "B"),
    ("45", "Loiret", "Caf du Loiret", "B"),
    ("46", "Lot", "Caf du Lot", "C"),
    ("47", "Lot-et-Garonne", "Caf de Lot-et-Garonne", "A"),
    ("48", "Lozère", "Caf de la Lozère", "C"),
    ("49", "Maine-et-Loire", "Caf de Maine-et-Loire", "B"),
    ("50", "Manche", "Caf de la Manche", "B"),
    ("51", "Marne", "Caf de la Marne", "B"),
    ("52", "Haute-Marne", "Caf de la Haute-Marne", "B"),
    ("53", "Mayenne", "Caf de la Mayenne", "B"),
    ("54", "Meurthe-et-Moselle", "Caf de Meurthe-et-Moselle", "B"),
    ("55", "Meuse", "Caf de la Meuse", "B"),
    ("56", "Morbihan", "Caf du Morbihan", "B"),
    ("57", "Moselle", "Caf de la Moselle", "B"),
    ("58", "Nièvre", "Caf de la Nièvre", "A"),
    ("59", "Nord", "Caf du Nord", "B"),
    ("60", "Oise", "Caf de l'Oise", "B"),
    ("61", "Orne", "Caf de l'Orne", "B"),
    ("62", "Pas-de-Calais", "Caf du Pas-de-Calais", "B"),
    ("63", "Puy-de-Dôme", "Caf du Puy-de-Dôme", "A"),
    ("64", "Pyrénées-Atlantiques", "Caf des Pyrénées-Atlantiques", "A"),
    ("65", "Hautes-Pyrénées", "Caf des Hautes-Pyrénées", "C"),
    ("66", "Pyrénées-Orientales", "Caf des Pyrénées-Orientales", "C"),
    ("67", "Bas-Rhin", "Caf du Bas-Rhin", "B"),
    ("68", "Haut-Rhin", "Caf du Haut-Rhin", "B"),
    ("69", "Rhône", "Caf du Rhône", "A"),
    ("70", "Haute-Saône", "Caf de la Haute-Saône", "A"),
    ("71", "Saône-et-Loire", "Caf de Saône-et-Loire", "A"),
    ("72", "Sarthe", "Caf de la Sarthe", "B"),
    ("73", "Savoie", "Caf de la Savoie", "A"),
    ("74", "Haute-Savoie", "Caf de la Haute-Savoie", "A"),
    ("75", "Paris", "Caf de Paris", "C"),
    ("76", "Seine-Maritime", "Caf de la Seine-Maritime", "B"),
    ("77", "Seine-et-Marne", "Caf de Seine-et-Marne", "C"),
    ("78", "Yvelines", "Caf des Yvelines", "C"),
    ("79", "Deux-Sèvres", "Caf des Deux-Sèvres", "A"),
    ("80", "Somme", "Caf de la Somme", "B"),
    ("81", "Tarn", "Caf du Tarn", "C"),
    ("82", "Tarn-et-Garonne", "Caf de Tarn-et-Garonne", "C"),
    ("83", "Var", "Caf du Var", "B"),
    ("84", "Vaucluse", "Caf de Vaucluse", "B"),
    ("85", "Vendée", "Caf de la Vendée", "B"),
    ("86", "Vienne", "Caf de la Vienne", "A"),
    ("87", "Haute-Vienne", "Caf de la Haute-Vienne", "A"),
    ("88", "Vosges", "Caf des Vosges", "B"),
    ("89", "Yonne", "Caf de l'Yonne", "A"),
    ("90", "Territoire de Belfort", "Caf du Territoire de Belfort", "A"),
    ("91", "Essonne", "Caf de l'Essonne", "C"),
    ("92", "Hauts-de-Seine", "Caf des Hauts-de-Seine", "C"),
    ("93", "Seine-Saint-Denis", "Caf de la Seine-Saint-Denis", "C"),
    ("94", "Val-de-Marne", "Caf du Val-de-Marne", "C"),
    ("95", "Val-d'Oise", "Caf du Val-d'Oise", "C"),
    ("971", "Guadeloupe", "Caf de la Guadeloupe", "outre_mer"),
    ("972", "Martinique", "Caf de la Martinique", "outre_mer"),
    ("973", "Guyane", "Caf de la Guyane", "outre_mer"),
    ("974", "La Réunion", "Caf de La Réunion", "outre_mer"),
    ("976", "Mayotte", "Caisse de sécurité sociale de Mayotte", "outre_mer"),
]


def charger(apps, schema_editor):
    Departement = apps.get_model("comptes", "Departement")
    for code, nom, caf, zone in DEPARTEMENTS:
        Departement.objects.update_or_create(
            code=code, defaults={"nom": nom, "caf": caf, "zone": zone}
        )


def retirer(apps, schema_editor):
    apps.get_model("comptes", "Departement").objects.filter(
        code__in=[d[0] for d in DEPARTEMENTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("comptes", "0001_initial")]

    operations = [migrations.RunPython(charger, retirer)]
