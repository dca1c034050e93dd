"""Fabriques de données de test, une section par application, avec des « traits » d'état."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from collectifs.models import Collectif, Creneau, Intervenant
from comptes.models import Departement, Role, Utilisateur
from dossiers.models import Dossier, Etat
from porteurs.models import Membre, Porteur
from seances.models import BilanAction

MOT_DE_PASSE = "mot-de-passe-de-test-2026"


def _cle_luhn(chiffres: str) -> str:
    """Chiffre à ajouter à ``chiffres`` pour que le tout passe l'algorithme de Luhn."""
    for cle in "0123456789":
        total = 0
        for i, c in enumerate(reversed(chiffres + cle)):
            d = int(c) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return cle
    raise AssertionError("inatteignable")


def siret_valide(n: int) -> str:
    """Fabrique le SIRET valide numéro ``n`` : un SIREN valide, puis un NIC et sa clé."""
    siren = f"{10000000 + n:08d}"
    siren += _cle_luhn(siren)
    nic = f"{n % 10000:04d}"
    return siren + nic + _cle_luhn(siren + nic)


def departement(code: str) -> Departement:
    return Departement.objects.get(code=code)


# --- comptes ---------------------------------------------------------------------------------
class UtilisateurFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Utilisateur
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    prenom = factory.Faker("first_name", locale="fr_FR")
    nom = factory.Faker("last_name", locale="fr_FR")
    role = Role.PORTEUR
    password = factory.django.Password(MOT_DE_PASSE)

    class Params:
        agent = factory.Trait(
            role=Role.AGENT, departement=factory.LazyFunction(lambda: departement("59"))
        )
        secretariat = factory.Trait(
            role=Role.SECRETARIAT, departement=factory.LazyFunction(lambda: departement("59"))
        )
        admin = factory.Trait(role=Role.ADMIN, is_staff=True, is_superuser=True)


# --- porteurs --------------------------------------------------------------------------------
class PorteurFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Porteur

    raison_sociale = factory.Sequence(lambda n: f"Association Test {n}")
    siret = factory.Sequence(siret_valide)
    forme = "association"
    adresse = "1 rue de la République"
    code_postal = "59100"
    commune = "Roubaix"
    departement = factory.LazyFunction(lambda: departement("59"))
    email = factory.Sequence(lambda n: f"contact{n}@asso.fr")


class MembreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membre

    porteur = factory.SubFactory(PorteurFactory)
    utilisateur = factory.SubFactory(UtilisateurFactory)


# --- dossiers --------------------------------------------------------------------------------
OBJECTIFS_REMPLIS = {
    "enfants_appui_methodologique": "Méthodologie du travail scolaire.",
    "enfants_ressources_culturelles": "Sorties à la médiathèque.",
    "enfants_vie_collective": "Jeux coopératifs.",
    "enfants_entraide": "Tutorat entre pairs.",
    "enfants_suivi_presences": "Cahier de présence.",
    "parents_information_inscription": "Réunion d'information.",
    "parents_convivialite": "Goûters partagés.",
    "parents_codes_ecole": "Atelier sur l'ENT.",
    "parents_orientation_partenaires": "Orientation vers le Reaap.",
    "parents_echanges_reguliers": "Échanges à la sortie.",
    "ecole_relations_equipes": "Rencontre avec la directrice.",
    "ecole_orientation_enfants": "Repérage en conseil de cycle.",
    "ecole_reunions_concertation": "Réunions de septembre et juin.",
    "territoire_partenariat_local": "Comité local Clas.",
}


class DossierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dossier

    porteur = factory.SubFactory(PorteurFactory)
    departement = factory.SelfAttribute("porteur.departement")
    annee = 2025
    etat = Etat.BROUILLON

    class Params:
        depose = factory.Trait(etat=Etat.DEPOSE, depose_le=factory.LazyFunction(timezone.now))
        complet = factory.Trait(
            reperage_concerte_ecole=True,
            aide_aux_devoirs_exclusive=False,
            diagnostic="Quartier prioritaire, difficultés de lecture.",
            coherence_sdsf=True,
            charte_laicite_neutralite=True,
            charte_participation_familles_euros=Decimal("0"),
            engagement_bilan=True,
            coordinateur_nom="Samia B.",
            coordinateur_niveau_diplome="bac+3",
            coordinateur_experience_animation_education=True,
            **OBJECTIFS_REMPLIS,
        )


# --- collectifs ------------------------------------------------------------------------------
class CollectifFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectif

    dossier = factory.SubFactory(DossierFactory)
    ordre = factory.Sequence(lambda n: n)
    nom = factory.Sequence(lambda n: f"Collectif {n}")
    classes = factory.LazyFunction(lambda: ["CM1", "CM2"])
    nombre_enfants = 10
    rural = False
    lieu_nom = "Salle du centre social"
    lieu_commune = "Roubaix"
    lieu_code_postal = "59100"
    lieu_unique = True
    lieu_accessible_parents = True
    nombre_intervenants = 2
    semaines_fonctionnement = 30
    date_debut = datetime.date(2025, 11, 4)
    date_fin = datetime.date(2026, 6, 12)
    depenses_fonctionnement = Decimal("9000.00")


class CreneauFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creneau

    collectif = factory.SubFactory(CollectifFactory)
    jour = "mardi"
    debut = datetime.time(16, 45)
    duree_minutes = 90


class IntervenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intervenant

    dossier = factory.SubFactory(DossierFactory)
    nom = factory.Faker("name", locale="fr_FR")
    statut = "salarie"


class BilanActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BilanAction

    collectif = factory.SubFactory(CollectifFactory)
    enfants_inscrits = 10
    filles = 6
    garcons = 4
    familles = 8
    seances_realisees = 58
    heures_realisees = Decimal("87.0")
    taux_presence = Decimal("0.85")
    intervenants_salaries = 1
    intervenants_benevoles = 1
    actions_parents = 4
    rencontres_ecole = 3
