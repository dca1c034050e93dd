"""``manage.py charger_demo`` : charge ou recharge les données de démonstration (jamais en production)."""

from django.core.management.base import BaseCommand, CommandError

from dossiers import demo


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration (comptes, porteurs du 59 et du 23, dossiers, "
        "collectifs, bilans). Relancer la commande remet la démo dans son état d'origine. "
        "Refusé si CLAS_ENV=production."
    )

    def handle(self, *args, **options):
        try:
            resultat = demo.charger_demo()
        except demo.DemoImpossible as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        for libelle, crees, mis_a_jour, supprimes in resultat.compteur.lignes():
            ligne = f"  {libelle} : {crees} créé(s), {mis_a_jour} mis à jour"
            if supprimes:
                ligne += f", {supprimes} supprimé(s)"
            self.stdout.write(ligne)

        self.stdout.write("")
        self.stdout.write(f"Comptes de démonstration (mot de passe : {demo.MOT_DE_PASSE_DEMO}) :")
        for compte in resultat.comptes:
            detail = compte.get_role_display()
            if compte.departement_id:
                detail += f", {compte.departement}"
            porteurs = ", ".join(p.raison_sociale for p in compte.porteurs.all())
            if porteurs:
                detail += f", {porteurs}"
            self.stdout.write(f"  {compte.email:<28} {compte.nom_complet} ({detail})")
        self.stdout.write("")
        self.stdout.write(f"Connexion : {demo.URL_CONNEXION}")
