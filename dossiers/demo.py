"""Données de démonstration du portail : comptes, porteurs, dossiers, collectifs, bilans.

``charger_demo()`` est idempotent : chaque objet est retrouvé par une clé naturelle (adresse
électronique d'un compte, SIRET d'un porteur, ``reference`` « DEMO-… » d'un dossier, ordre d'un
collectif dans son dossier, jour et heure d'un créneau, nom d'un intervenant) puis remis dans son
état de démonstration. Recharger la démo remet donc les dossiers de démonstration dans leur état
d'origine (les collectifs, créneaux ou intervenants ajoutés à la main sur ces dossiers sont
supprimés) et rétablit le mot de passe des comptes. Rien d'autre n'est touché.

Les départements 59 (Nord, urbain) et 23 (Creuse, rural) viennent d'une migration de ``comptes``.
Quelques dossiers sont volontairement imparfaits, pour que les écrans d'éligibilité aient
quelque chose à montrer (voir ``DOSSIERS``).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from html import escape
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from collectifs.models import Collectif, Creneau, Intervenant
from comptes.models import Departement, Role, Utilisateur
from dossiers.evaluation import empreinte, figer_evaluation
from dossiers.exportation import dossier_vers_document
from dossiers.models import Campagne, Dossier, Etat, Evaluation
from porteurs.models import Forme, Membre, Porteur
from seances.models import BilanAction

MOT_DE_PASSE_DEMO = "demo-clas-2026"
URL_CONNEXION = "http://127.0.0.1:8000/connexion/"
PARIS = ZoneInfo("Europe/Paris")


class DemoImpossible(RuntimeError):
    """La démo ne peut pas être chargée ; le message dit pourquoi."""


class ProductionInterdite(DemoImpossible):
    """La démo ne se charge jamais dans une base de production."""


# --- SIRET -----------------------------------------------------------------------------------
def cle_luhn(chiffres: str) -> str:
    """Chiffre de contrôle qui, ajouté à ``chiffres``, rend le tout valide pour Luhn."""
    total = 0
    # Le chiffre ajouté sera au rang 0 (non doublé) : les chiffres existants de rang impair,
    # en partant de la droite après l'ajout, sont doublés.
    for rang, caractere in enumerate(reversed(chiffres), start=1):
        valeur = int(caractere) * (2 if rang % 2 else 1)
        total += valeur - 9 if valeur > 9 else valeur
    return str((10 - total % 10) % 10)


def siret_demo(siren_sans_cle: str, nic_sans_cle: str) -> str:
    """SIRET valide : 8 chiffres de SIREN + clé, puis 4 chiffres de NIC + clé du SIRET entier."""
    if len(siren_sans_cle) != 8 or len(nic_sans_cle) != 4:
        raise ValueError("Il faut 8 chiffres de SIREN et 4 chiffres de NIC, sans les clés.")
    siren = siren_sans_cle + cle_luhn(siren_sans_cle)
    return siren + nic_sans_cle + cle_luhn(siren + nic_sans_cle)


# --- Porteurs --------------------------------------------------------------------------------
# Les numéros de téléphone sont pris dans les tranches que l'Arcep réserve à la fiction.
PORTEURS = {
    "lucioles": {
        "raison_sociale": "Association Les Lucioles",
        # Le même SIRET que l'exemple 01 de spec/exemples : l'import de l'exemple retrouve ce porteur.
        "siret": siret_demo("73282932", "0007"),
        "forme": Forme.ASSOCIATION,
        "adresse": "27 rue de l'Alma",
        "code_postal": "59100",
        "commune": "Roubaix",
        "departement": "59",
        "email": "contact@lucioles.demo.clas",
        "telephone": "03 53 73 01 12",
        "representant_nom": "Fatima Ouali",
        "representant_qualite": "présidente",
    },
    "trois_villes": {
        "raison_sociale": "Centre social Les Trois Villes",
        "siret": siret_demo("78145236", "0021"),
        "forme": Forme.CENTRE_SOCIAL,
        "adresse": "14 rue de l'Yser",
        "code_postal": "59200",
        "commune": "Tourcoing",
        "departement": "59",
        "email": "accueil@troisvilles.demo.clas",
        "telephone": "03 53 73 02 40",
        "representant_nom": "Olivier Desmet",
        "representant_qualite": "directeur",
    },
    "wattrelos": {
        "raison_sociale": "Ville de Wattrelos",
        "siret": siret_demo("21590650", "0001"),
        "forme": Forme.COMMUNE,
        "adresse": "Hôtel de ville, place Jean Delvainquière",
        "code_postal": "59150",
        "commune": "Wattrelos",
        "departement": "59",
        "email": "education@wattrelos.demo.clas",
        "telephone": "03 53 73 03 00",
        "representant_nom": "Agnès Castelain",
        "representant_qualite": "adjointe au maire chargée de l'éducation",
    },
    "lille_sud": {
        "raison_sociale": "Association Savoirs Partagés Lille-Sud",
        "siret": siret_demo("80412957", "0015"),
        "forme": Forme.ASSOCIATION,
        "adresse": "112 rue du Faubourg des Postes",
        "code_postal": "59000",
        "commune": "Lille",
        "departement": "59",
        "email": "bonjour@savoirs-partages.demo.clas",
        "telephone": "03 53 73 04 58",
        "representant_nom": "Hervé Ducrocq",
        "representant_qualite": "président",
    },
    "sambre": {
        "raison_sociale": "Association Trait d'Union Sambre",
        "siret": siret_demo("82236714", "0010"),
        "forme": Forme.ASSOCIATION,
        "adresse": "8 rue de la Croix",
        "code_postal": "59600",
        "commune": "Maubeuge",
        "departement": "59",
        "email": "contact@traitdunion-sambre.demo.clas",
        "telephone": "03 53 73 05 77",
        "representant_nom": "Laurence Dufour",
        "representant_qualite": "présidente",
    },
    "chemin_ecoliers": {
        "raison_sociale": "Association Le Chemin des Écoliers",
        "siret": siret_demo("79930482", "0018"),
        "forme": Forme.ASSOCIATION,
        "adresse": "5 rue Vieille",
        "code_postal": "23200",
        "commune": "Aubusson",
        "departement": "23",
        "email": "chemin.ecoliers@demo.clas",
        "telephone": "05 36 49 01 23",
        "representant_nom": "Bernard Mazeau",
        "representant_qualite": "président",
    },
    "la_souterraine": {
        "raison_sociale": "Commune de La Souterraine",
        "siret": siret_demo("21230176", "0001"),
        "forme": Forme.COMMUNE,
        "adresse": "Hôtel de ville, place de la Mairie",
        "code_postal": "23300",
        "commune": "La Souterraine",
        "departement": "23",
        "email": "jeunesse@lasouterraine.demo.clas",
        "telephone": "05 36 49 02 10",
        "representant_nom": "Françoise Deschamps",
        "representant_qualite": "adjointe au maire chargée de la jeunesse",
    },
    "gueret": {
        "raison_sociale": "Centre social du Pays guérétois",
        "siret": siret_demo("44318075", "0027"),
        "forme": Forme.CENTRE_SOCIAL,
        "adresse": "3 avenue de la Sénatorerie",
        "code_postal": "23000",
        "commune": "Guéret",
        "departement": "23",
        "email": "accueil@cs-gueretois.demo.clas",
        "telephone": "05 36 49 03 64",
        "representant_nom": "Patrick Michon",
        "representant_qualite": "directeur",
    },
}


# --- Comptes ---------------------------------------------------------------------------------
def _compte(email, prenom, nom, role, departement=None, porteur=None):
    """Un compte de démonstration ; ``porteur`` est une clé de PORTEURS (le compte en est membre)."""
    return {
        "email": email,
        "prenom": prenom,
        "nom": nom,
        "role": role,
        "departement": departement,
        "porteur": porteur,
        "is_staff": role == Role.ADMIN,
        "is_superuser": role == Role.ADMIN,
    }


COMPTES = [
    _compte("admin@demo.clas", "Claire", "Dumont", Role.ADMIN),
    _compte("agent.59@demo.clas", "Thomas", "Delattre", Role.AGENT, departement="59"),
    _compte("agent.23@demo.clas", "Sylvie", "Auclair", Role.AGENT, departement="23"),
    _compte("secretariat.59@demo.clas", "Nadia", "Mahieu", Role.SECRETARIAT, departement="59"),
    _compte(
        "secretariat.23@demo.clas", "Jean-Pierre", "Lavaud", Role.SECRETARIAT, departement="23"
    ),
    _compte("porteur.lucioles@demo.clas", "Samia", "Benali", Role.PORTEUR, porteur="lucioles"),
    _compte(
        "porteur.creuse@demo.clas", "Hélène", "Parrain", Role.PORTEUR, porteur="chemin_ecoliers"
    ),
    # Porteur d'un dossier accepté (2025-2026) : calendrier, cahier de présence, bilan de l'action.
    _compte(
        "porteur.wattrelos@demo.clas", "Stéphane", "Leclercq", Role.PORTEUR, porteur="wattrelos"
    ),
]

# --- Objectifs opérationnels (les 14 textes des quatre axes) ---------------------------------
# Cinq rédactions par objectif : 0 à 2 plutôt urbaines, 3 et 4 plutôt rurales.
VARIANTES_OBJECTIFS = {
    "enfants_appui_methodologique": (
        "Temps de méthodologie : organiser son cartable, planifier ses leçons, apprendre à "
        "apprendre.",
        "Ateliers « apprendre à apprendre » : mémoriser une leçon, relire une consigne, "
        "s'autocorriger avec une fiche-outil.",
        "Chaque séance commence par vingt minutes d'organisation du travail (agenda, priorités), "
        "puis un atelier de lecture-compréhension.",
        "Appui méthodologique en petit groupe : lire les consignes, réviser avec une carte "
        "mentale, utiliser le dictionnaire.",
        "Aide méthodologique individualisée : planifier la semaine, reformuler une consigne, "
        "réviser par le jeu.",
    ),
    "enfants_ressources_culturelles": (
        "Ateliers mensuels à la médiathèque et deux sorties au musée dans l'année.",
        "Partenariat avec le conservatoire et le théâtre municipal : un spectacle par trimestre, "
        "préparé puis discuté en groupe.",
        "Découverte du patrimoine du quartier avec les archives municipales ; rencontre d'une "
        "autrice jeunesse au salon du livre.",
        "Sorties à la Cité internationale de la tapisserie d'Aubusson et ateliers avec la "
        "bibliothèque intercommunale.",
        "Ateliers au musée d'art et d'archéologie de Guéret et découverte du patrimoine de la "
        "vallée de la Creuse.",
    ),
    "enfants_vie_collective": (
        "Jeux coopératifs et conseil d'enfants en début de séance.",
        "Règles de vie élaborées avec les enfants en novembre et revues à chaque période ; jeux "
        "de société coopératifs le vendredi.",
        "Projet collectif annuel, le journal du Clas, où chacun a un rôle : rédaction, photos, "
        "mise en page.",
        "Groupe multi-âges : rituels d'accueil, responsabilités tournantes (goûter, rangement, "
        "cahier de présence).",
        "Jeux coopératifs en extérieur et conseil d'enfants une fois par mois.",
    ),
    "enfants_entraide": (
        "Tutorat entre pairs : les plus grands expliquent une notion aux plus jeunes.",
        "Binômes d'entraide renouvelés à chaque période ; un « expert du jour » aide les autres "
        "sur une notion qu'il maîtrise.",
        "Défis par équipes dont la réussite dépend de tous ; les progrès sont affichés au tableau "
        "des réussites.",
        "Les élèves de CM2 parrainent les plus jeunes pour la lecture à voix haute.",
        "Chaque séance se termine par un temps « j'ai aidé, on m'a aidé ».",
    ),
    "enfants_suivi_presences": (
        "Cahier de présence à chaque séance et fiche de suivi individuelle par trimestre.",
        "Pointage à chaque séance ; appel de la famille dès la deuxième absence non prévenue.",
        "Feuille d'émargement tenue par l'animatrice, relevé mensuel transmis à la coordinatrice.",
        "Registre de présence et point mensuel avec les familles en cas d'absences répétées "
        "(transport scolaire, météo).",
        "Tableau de présence affiché et message aux familles le jour même en cas d'absence.",
    ),
    "parents_information_inscription": (
        "Réunion d'information en octobre avec chaque famille avant l'inscription.",
        "Entretien d'inscription avec l'enfant et ses parents : objectifs du Clas, engagement "
        "réciproque, charte signée.",
        "Présentation du Clas à la réunion de rentrée de l'école, puis permanence d'inscription "
        "au centre social.",
        "Rencontre avec chaque famille à la mairie ou à domicile si besoin ; plaquette remise par "
        "l'école.",
        "Réunion d'information dans chaque école du secteur ; l'inscription se fait en présence "
        "des parents.",
    ),
    "parents_convivialite": (
        "Goûter partagé enfants-parents à chaque fin de période.",
        "Soirée jeux en famille une fois par mois et fête de fin d'année préparée par les enfants.",
        "Petit-déjeuner des parents le samedi avant les vacances, avec une exposition des travaux "
        "des enfants.",
        "Repas partagé avant Noël et sortie familiale de fin d'année au lac de Vassivière.",
        "Après-midi jeux en famille à la salle des fêtes avant chaque période de vacances.",
    ),
    "parents_codes_ecole": (
        "Atelier « comprendre l'ENT, le bulletin et les réunions parents-professeurs ».",
        "Accompagnement à l'utilisation de l'ENT et préparation des rendez-vous avec les "
        "enseignants, avec un interprète si besoin.",
        "Café des parents animé avec la conseillère principale d'éducation sur le fonctionnement "
        "du collège.",
        "Ateliers sur le cahier de liaison, les évaluations et le rôle de chacun dans l'école, "
        "animés avec la directrice.",
        "Atelier « aider son enfant sans faire à sa place » et découverte de l'ENT avec une "
        "enseignante.",
    ),
    "parents_orientation_partenaires": (
        "Orientation vers le Reaap et le point d'accueil écoute jeunes.",
        "Relais vers la PMI, le centre médico-psychologique et les permanences d'accès aux droits "
        "de la Caf.",
        "Mise en lien avec l'espace France services, les cours de français langue étrangère et la "
        "maison des parents.",
        "Orientation vers l'espace de vie sociale, l'espace France services et les permanences de "
        "la Caf.",
        "Orientation vers la ludothèque itinérante, le Reaap de la Creuse et la PMI.",
    ),
    "parents_echanges_reguliers": (
        "Échange informel à la sortie de chaque séance, carnet de liaison.",
        "Appel téléphonique mensuel aux familles et mot dans le cahier du Clas chaque semaine.",
        "Les parents assistent à une séance par trimestre ; point rapide à l'accueil de 18 h.",
        "Échanges au retour du car scolaire et cahier de liaison hebdomadaire.",
        "Accueil des parents en fin de séance et carnet de bord de l'enfant partagé chaque "
        "semaine.",
    ),
    "ecole_relations_equipes": (
        "Rencontre trimestrielle avec la directrice et les enseignants de CM.",
        "Un référent Clas dans chaque école ; rencontre avec le principal et la CPE du collège en "
        "septembre.",
        "Échanges réguliers avec les enseignants par le cahier de liaison et participation au "
        "conseil d'école.",
        "Rencontre avec les directrices du regroupement pédagogique intercommunal à chaque "
        "période.",
        "Échanges avec le directeur d'école et les enseignants de cycle 3 à chaque période.",
    ),
    "ecole_orientation_enfants": (
        "Repérage des enfants avec l'équipe éducative en conseil de cycle.",
        "Fiche de repérage remplie par les enseignants et validée en commission avec le Rased.",
        "Proposition d'inscription par le professeur principal, en accord avec la famille.",
        "Les enseignants proposent les enfants à la rentrée ; la coordinatrice rencontre ensuite "
        "les familles.",
        "Repérage conjoint avec les enseignants et le Rased au conseil des maîtres de septembre.",
    ),
    "ecole_reunions_concertation": (
        "Réunion de concertation en septembre et réunion bilan en juin.",
        "Comité de pilotage avec l'inspection et les directeurs d'école en octobre et en juin.",
        "Réunion de lancement avec l'équipe pédagogique avant la Toussaint et bilan partagé en "
        "fin d'année.",
        "Concertation avec le RPI avant le démarrage, point d'étape en février et bilan en juin.",
        "Réunion de concertation à l'école en octobre, bilan partagé en juin avec l'équipe "
        "enseignante.",
    ),
    "territoire_partenariat_local": (
        "Membre du comité local Clas et partenaire du centre social voisin.",
        "Partenariat avec la médiathèque, le club de prévention et le programme de réussite "
        "éducative.",
        "Participation au réseau d'acteurs du contrat de ville et au collectif des associations "
        "du quartier.",
        "Travail avec la communauté de communes, la bibliothèque intercommunale et l'association "
        "de parents d'élèves.",
        "Membre du réseau départemental des Clas, partenaire de la médiathèque et du foyer rural.",
    ),
}

AXE_PARENTS = (
    "parents_information_inscription",
    "parents_convivialite",
    "parents_codes_ecole",
    "parents_orientation_partenaires",
    "parents_echanges_reguliers",
)


def objectifs(*variantes: int, vides: tuple[str, ...] = ()) -> dict[str, str]:
    """Les 14 textes d'objectifs ; le i-ème objectif prend la rédaction ``variantes[i % n]``."""
    return {
        cle: "" if cle in vides else textes[variantes[i % len(variantes)]]
        for i, (cle, textes) in enumerate(VARIANTES_OBJECTIFS.items())
    }


# --- Dossiers --------------------------------------------------------------------------------
def _intervenant(nom, statut, fonction, niveau_diplome, collectifs, justifie_le=None):
    """Un intervenant ; ``collectifs`` : rangs des collectifs du dossier qu'il anime."""
    return {
        "nom": nom,
        "statut": statut,
        "fonction": fonction,
        "niveau_diplome": niveau_diplome,
        "diplome_justifie_le": justifie_le,
        "collectifs": collectifs,
    }


SALARIE, BENEVOLE = Intervenant.Statut.SALARIE, Intervenant.Statut.BENEVOLE


def _depose(annee, mois, jour, heure=10, minute=0):
    return datetime(annee, mois, jour, heure, minute, tzinfo=PARIS)


DOSSIER_COMPLET = {
    "reperage_concerte_ecole": True,
    "aide_aux_devoirs_exclusive": False,
    "coherence_sdsf": True,
    "charte_laicite_neutralite": True,
    "charte_participation_familles_euros": Decimal("0.00"),
    "engagement_bilan": True,
    "coordinateur_experience_animation_education": True,
}

ANNEE_2025 = {
    "lieu_unique": True,
    "lieu_accessible_parents": True,
    "semaines_fonctionnement": 30,
    "date_debut": date(2025, 11, 4),
    "date_fin": date(2026, 6, 12),
}

ANNEE_2024 = {
    "lieu_unique": True,
    "lieu_accessible_parents": True,
    "semaines_fonctionnement": 30,
    "date_debut": date(2024, 11, 5),
    "date_fin": date(2025, 6, 13),
}

DATE_COMITE_2025 = date(2025, 10, 16)

# Enfants pseudonymes (code, classe, sexe, code famille) : jamais de nom ni de date de naissance.
ENFANTS_WATTRELOS = [
    ("WA-01", "CE2", "F", "FAM-WA-01"),
    ("WA-02", "CE2", "G", "FAM-WA-02"),
    ("WA-03", "CE2", "F", "FAM-WA-03"),
    ("WA-04", "CM1", "G", "FAM-WA-03"),
    ("WA-05", "CE2", "G", "FAM-WA-04"),
    ("WA-06", "CM1", "F", "FAM-WA-05"),
    ("WA-07", "CM1", "F", "FAM-WA-06"),
    ("WA-08", "CM1", "G", "FAM-WA-07"),
    ("WA-09", "CE2", "F", "FAM-WA-08"),
    ("WA-10", "CM1", "G", "FAM-WA-08"),
]

# Chaque dossier : ses champs, « porteur » (clé de PORTEURS), « collectifs » (avec leurs
# « creneaux » (jour, début, durée) et éventuellement leur « bilan ») et « intervenants » (avec
# les rangs des collectifs qu'ils animent).
DOSSIERS = [
    # Lucioles, 2025-2026 : déposé, complet et éligible (le cas de spec/exemples/01).
    {
        "reference": "DEMO-59-LUCIOLES-2025",
        "porteur": "lucioles",
        "annee": 2025,
        "etat": Etat.DEPOSE,
        "depose_le": _depose(2025, 6, 12, 14, 20),
        "intitule": "Clas élémentaire du quartier de l'Épeule",
        "renouvellement": True,
        **DOSSIER_COMPLET,
        "diagnostic": (
            "Quartier prioritaire de la politique de la ville ; selon l'école, 40 % des élèves de "
            "CM sont en difficulté de lecture et peu de familles fréquentent la médiathèque."
        ),
        "coordinateur_nom": "Samia B.",
        "coordinateur_niveau_diplome": "bac+3",
        **objectifs(0),
        "collectifs": [
            {
                **ANNEE_2025,
                "nom": "CM1-CM2 mardi et jeudi",
                "classes": ["CM1", "CM2"],
                "nombre_enfants": 10,
                "rural": False,
                "lieu_nom": "Salle associative des Lucioles",
                "lieu_adresse": "27 rue de l'Alma",
                "lieu_code_postal": "59100",
                "lieu_commune": "Roubaix",
                "nombre_intervenants": 2,
                "depenses_fonctionnement": Decimal("9000.00"),
                "creneaux": [("mardi", "16:45", 90), ("jeudi", "16:45", 90)],
            },
            {
                **ANNEE_2025,
                "nom": "CE1-CE2 lundi et vendredi",
                "classes": ["CE1", "CE2"],
                "nombre_enfants": 9,
                "rural": False,
                "lieu_nom": "Salle associative des Lucioles",
                "lieu_adresse": "27 rue de l'Alma",
                "lieu_code_postal": "59100",
                "lieu_commune": "Roubaix",
                "nombre_intervenants": 2,
                "semaines_fonctionnement": 31,
                "date_debut": date(2025, 11, 3),
                "depenses_fonctionnement": Decimal("7200.00"),
                "creneaux": [("lundi", "16:45", 75), ("vendredi", "16:45", 75)],
            },
        ],
        "intervenants": [
            _intervenant("Karim Haddad", SALARIE, "animateur", "bac+2", [0], date(2025, 5, 20)),
            _intervenant(
                "Julie Vandamme", SALARIE, "animatrice", "bac+3", [0, 1], date(2025, 5, 20)
            ),
            _intervenant("Bernard Lefebvre", BENEVOLE, "enseignant retraité", "bac+5", [1]),
        ],
    },
    # Lucioles, 2025-2026 : un second projet, encore en brouillon (à moitié rempli).
    {
        "reference": "DEMO-59-LUCIOLES-COLLEGE-2025",
        "porteur": "lucioles",
        "annee": 2025,
        "etat": Etat.BROUILLON,
        "intitule": "Clas collège : passerelle 6e-5e",
        "renouvellement": False,
        "reperage_concerte_ecole": True,
        "aide_aux_devoirs_exclusive": False,
        "diagnostic": "Demande du collège du secteur pour les élèves arrivés en 6e en difficulté.",
        "coordinateur_nom": "Samia B.",
        "coordinateur_niveau_diplome": "bac+3",
        "coordinateur_experience_animation_education": True,
        **objectifs(1, 2, vides=tuple(VARIANTES_OBJECTIFS)[5:]),
        "collectifs": [
            {
                "nom": "6e-5e lundi et jeudi",
                "classes": ["6e", "5e"],
                "rural": False,
                "lieu_nom": "Salle associative des Lucioles",
                "lieu_adresse": "27 rue de l'Alma",
                "lieu_code_postal": "59100",
                "lieu_commune": "Roubaix",
                "lieu_unique": True,
                "nombre_intervenants": 2,
                "creneaux": [("lundi", "17:00", 90)],
            },
        ],
        "intervenants": [
            _intervenant("Yanis Belkacem", SALARIE, "animateur", "bac", [0]),
        ],
    },
    # Tourcoing : en instruction ; le collectif de 6e n'a que 6 enfants (COLLECTIF-TAILLE non
    # conforme en milieu urbain), les deux autres sont éligibles.
    {
        "reference": "DEMO-59-TROIS-VILLES-2025",
        "porteur": "trois_villes",
        "annee": 2025,
        "etat": Etat.EN_INSTRUCTION,
        "depose_le": _depose(2025, 6, 27, 9, 5),
        "intitule": "Accompagnement à la scolarité du centre social Les Trois Villes",
        "renouvellement": True,
        **DOSSIER_COMPLET,
        "diagnostic": (
            "Quartier de la Bourgogne : forte proportion de familles monoparentales et "
            "allophones ; les écoles signalent des difficultés d'organisation du travail "
            "personnel dès le CP."
        ),
        "coordinateur_nom": "Malika Rahmani",
        "coordinateur_niveau_diplome": "bac+5",
        **objectifs(2),
        "collectifs": [
            {
                **ANNEE_2025,
                "nom": "CP-CE1 lundi et jeudi",
                "classes": ["CP", "CE1"],
                "nombre_enfants": 11,
                "rural": False,
                "lieu_nom": "Centre social Les Trois Villes, salle Arc-en-ciel",
                "lieu_adresse": "14 rue de l'Yser",
                "lieu_code_postal": "59200",
                "lieu_commune": "Tourcoing",
                "nombre_intervenants": 2,
                "date_debut": date(2025, 11, 3),
                "depenses_fonctionnement": Decimal("8200.00"),
                "creneaux": [("lundi", "16:30", 90), ("jeudi", "16:30", 90)],
            },
            {
                **ANNEE_2025,
                "nom": "CM1-CM2 mardi et vendredi",
                "classes": ["CM1", "CM2"],
                "nombre_enfants": 12,
                "rural": False,
                "lieu_nom": "Centre social Les Trois Villes, salle Arc-en-ciel",
                "lieu_adresse": "14 rue de l'Yser",
                "lieu_code_postal": "59200",
                "lieu_commune": "Tourcoing",
                "nombre_intervenants": 3,
                "depenses_fonctionnement": Decimal("8800.00"),
                "creneaux": [("mardi", "16:30", 90), ("vendredi", "16:30", 90)],
            },
            {
                **ANNEE_2025,
                "nom": "6e mercredi et samedi",
                "classes": ["6e"],
                "nombre_enfants": 6,
                "rural": False,
                "lieu_nom": "Espace jeunes de la Bourgogne",
                "lieu_adresse": "3 place Roussel",
                "lieu_code_postal": "59200",
                "lieu_commune": "Tourcoing",
                "nombre_intervenants": 2,
                "date_debut": date(2025, 11, 5),
                "depenses_fonctionnement": Decimal("4500.00"),
                "creneaux": [("mercredi", "14:00", 120), ("samedi", "10:00", 90)],
            },
        ],
        "intervenants": [
            _intervenant(
                "Nicolas Verbeke", SALARIE, "animateur", "bac+2", [0, 1], date(2025, 6, 2)
            ),
            _intervenant("Aïcha Mebarki", SALARIE, "animatrice", "bac+3", [0, 2], date(2025, 6, 2)),
            _intervenant("Louise Catteau", BENEVOLE, "étudiante", "bac", [1]),
            _intervenant("Gérard Plouvier", BENEVOLE, "ingénieur retraité", "bac+5", [1, 2]),
        ],
    },
    # Wattrelos : accepté par le comité, montant accordé = montant calculé (2 562,95 + 2 275,00).
    {
        "reference": "DEMO-59-WATTRELOS-2025",
        "porteur": "wattrelos",
        "annee": 2025,
        "etat": Etat.ACCEPTE,
        "depose_le": _depose(2025, 5, 28, 11, 30),
        "intitule": "Clas municipal de Wattrelos",
        "renouvellement": True,
        **DOSSIER_COMPLET,
        "diagnostic": (
            "Diagnostic partagé du projet éducatif de territoire : besoin d'accompagnement au "
            "passage CM2-6e dans les quartiers du Laboureur et de Beaulieu."
        ),
        "coordinateur_nom": "Stéphane Leclercq",
        "coordinateur_niveau_diplome": "bac+3",
        **objectifs(1),
        "montant_accorde": Decimal("4837.95"),
        "date_decision": DATE_COMITE_2025,
        "motif_decision": "Avis favorable du comité départemental du 16 octobre 2025.",
        "collectifs": [
            {
                **ANNEE_2025,
                "nom": "CE2-CM1 du Laboureur",
                "classes": ["CE2", "CM1"],
                "nombre_enfants": 10,
                "rural": False,
                "lieu_nom": "Maison de quartier du Laboureur",
                "lieu_adresse": "45 rue du Laboureur",
                "lieu_code_postal": "59150",
                "lieu_commune": "Wattrelos",
                "nombre_intervenants": 2,
                "depenses_fonctionnement": Decimal("8500.00"),
                "creneaux": [("mardi", "16:30", 90), ("jeudi", "16:30", 90)],
                # Le cahier de présence prêt à remplir : dix enfants sous pseudonyme, pas encore
                # de séance (générer le calendrier fait partie du parcours de démonstration).
                "enfants": ENFANTS_WATTRELOS,
            },
            {
                **ANNEE_2025,
                "nom": "Passerelle CM2-6e de Beaulieu",
                "classes": ["CM2", "6e"],
                "nombre_enfants": 10,
                "rural": False,
                "lieu_nom": "Médiathèque de Beaulieu, salle d'étude",
                "lieu_adresse": "2 rue de Beaulieu",
                "lieu_code_postal": "59150",
                "lieu_commune": "Wattrelos",
                "nombre_intervenants": 2,
                "depenses_fonctionnement": Decimal("7000.00"),
                "creneaux": [("lundi", "17:00", 75), ("jeudi", "17:00", 75)],
            },
        ],
        "intervenants": [
            _intervenant(
                "Émilie Dewaele",
                SALARIE,
                "animatrice municipale",
                "bac+2",
                [0, 1],
                date(2025, 5, 15),
            ),
            _intervenant(
                "Mohamed Saïdi", SALARIE, "animateur municipal", "bac", [0], date(2025, 5, 15)
            ),
            _intervenant("Colette Duprez", BENEVOLE, "enseignante retraitée", "bac+3", [1]),
        ],
    },
    # Lille-Sud : complément demandé ; aucun coordinateur indiqué (COORDINATEUR manquant).
    {
        "reference": "DEMO-59-LILLE-SUD-2025",
        "porteur": "lille_sud",
        "annee": 2025,
        "etat": Etat.COMPLEMENT_DEMANDE,
        "depose_le": _depose(2025, 6, 30, 11, 45),
        "intitule": "Réussir ensemble à Lille-Sud",
        "renouvellement": False,
        **DOSSIER_COMPLET,
        "coordinateur_experience_animation_education": None,
        "diagnostic": (
            "Les deux écoles du secteur relèvent du réseau d'éducation prioritaire renforcé ; "
            "les familles demandent un lieu d'accompagnement après la classe."
        ),
        **objectifs(2, 0),
        "collectifs": [
            {
                **ANNEE_2025,
                "nom": "CE2-CM1 mardi et jeudi",
                "classes": ["CE2", "CM1"],
                "nombre_enfants": 10,
                "rural": False,
                "lieu_nom": "Maison des associations de Lille-Sud",
                "lieu_adresse": "112 rue du Faubourg des Postes",
                "lieu_code_postal": "59000",
                "lieu_commune": "Lille",
                "nombre_intervenants": 2,
                "depenses_fonctionnement": Decimal("6800.00"),
                "creneaux": [("mardi", "16:45", 90), ("jeudi", "16:45", 90)],
            },
            {
                **ANNEE_2025,
                "nom": "CM2 lundi et jeudi",
                "classes": ["CM2"],
                "nombre_enfants": 8,
                "rural": False,
                "lieu_nom": "Maison des associations de Lille-Sud",
                "lieu_adresse": "112 rue du Faubourg des Postes",
                "lieu_code_postal": "59000",
                "lieu_commune": "Lille",
                "nombre_intervenants": 2,
                "depenses_fonctionnement": Decimal("5400.00"),
                "creneaux": [("lundi", "16:45", 60), ("jeudi", "16:45", 60)],
            },
        ],
        "intervenants": [
            _intervenant("Sarah Lemaire", SALARIE, "animatrice", "bac+2", [0, 1]),
            _intervenant("Ibrahim Diallo", BENEVOLE, "étudiant en master", "bac+3", [0]),
            _intervenant(
                "Anne-Sophie Carpentier", BENEVOLE, "professeure des écoles retraitée", "bac+5", [1]
            ),
        ],
    },
    # Maubeuge : refusé ; action exclusivement d'aide aux devoirs, axe parents vide, un seul
    # intervenant pour douze enfants.
    {
        "reference": "DEMO-59-SAMBRE-2025",
        "porteur": "sambre",
        "annee": 2025,
        "etat": Etat.REFUSE,
        "depose_le": _depose(2025, 6, 18, 16, 10),
        "intitule": "Aide aux devoirs du soir",
        "renouvellement": False,
        **DOSSIER_COMPLET,
        "aide_aux_devoirs_exclusive": True,
        "diagnostic": "Beaucoup d'enfants n'ont personne pour les aider à faire leurs devoirs.",
        "coordinateur_nom": "Didier Lecomte",
        "coordinateur_niveau_diplome": "bac+2",
        **objectifs(0, vides=AXE_PARENTS),
        "montant_accorde": None,
        "date_decision": DATE_COMITE_2025,
        "motif_decision": (
            "Le projet relève exclusivement de l'aide aux devoirs, que le référentiel exclut du "
            "financement Clas ; l'axe d'intervention auprès des parents n'est pas développé et un "
            "seul intervenant encadre douze enfants. Le porteur est invité à retravailler son "
            "projet avec la Caf pour l'année prochaine."
        ),
        "collectifs": [
            {
                **ANNEE_2025,
                "nom": "Aide aux devoirs CP-CM2",
                "classes": ["CP", "CE1", "CE2", "CM1", "CM2"],
                "nombre_enfants": 12,
                "rural": False,
                "lieu_nom": "Local associatif de Sous-le-Bois",
                "lieu_adresse": "8 rue de la Croix",
                "lieu_code_postal": "59600",
                "lieu_commune": "Maubeuge",
                "nombre_intervenants": 1,
                "depenses_fonctionnement": Decimal("3600.00"),
                "creneaux": [
                    ("lundi", "16:30", 60),
                    ("mardi", "16:30", 60),
                    ("jeudi", "16:30", 60),
                ],
            },
        ],
        "intervenants": [
            _intervenant("Didier Lecomte", BENEVOLE, "bénévole", "bac+2", [0]),
        ],
    },
    # Aubusson (porteur.creuse) : proposé au comité ; rural, un petit collectif de 7 enfants
    # avec un animateur et une séance de 2 h 30 (conforme en milieu rural).
    {
        "reference": "DEMO-23-CHEMIN-ECOLIERS-2025",
        "porteur": "chemin_ecoliers",
        "annee": 2025,
        "etat": Etat.PROPOSE_COMITE,
        "depose_le": _depose(2025, 6, 20, 18, 35),
        "intitule": "Le Chemin des Écoliers : Clas itinérant en Pays d'Aubusson-Felletin",
        "renouvellement": True,
        **DOSSIER_COMPLET,
        "diagnostic": (
            "Territoire rural isolé : élèves dispersés entre plusieurs regroupements "
            "pédagogiques, trajets en car scolaire, aucune autre offre d'accompagnement "
            "à la scolarité à moins de 20 km."
        ),
        "coordinateur_nom": "Hélène Parrain",
        "coordinateur_niveau_diplome": "bac+3",
        **objectifs(3),
        "collectifs": [
            {
                **ANNEE_2025,
                "nom": "CM1-CM2 d'Aubusson, le mercredi",
                "classes": ["CM1", "CM2"],
                "nombre_enfants": 7,
                "rural": True,
                "lieu_nom": "Salle de l'association",
                "lieu_adresse": "5 rue Vieille",
                "lieu_code_postal": "23200",
                "lieu_commune": "Aubusson",
                "nombre_intervenants": 1,
                "date_debut": date(2025, 11, 5),
                "date_fin": date(2026, 6, 10),
                "depenses_fonctionnement": Decimal("5000.00"),
                "creneaux": [("mercredi", "14:00", 150)],
            },
            {
                **ANNEE_2025,
                "nom": "CE1-CE2 de Felletin",
                "classes": ["CE1", "CE2"],
                "nombre_enfants": 9,
                "rural": True,
                "lieu_nom": "Salle des associations de Felletin",
                "lieu_adresse": "place Quinault",
                "lieu_code_postal": "23500",
                "lieu_commune": "Felletin",
                "nombre_intervenants": 2,
                "depenses_fonctionnement": Decimal("6200.00"),
                "creneaux": [("mardi", "16:45", 75), ("jeudi", "16:45", 75)],
            },
        ],
        "intervenants": [
            _intervenant(
                "Hélène Parrain", SALARIE, "coordinatrice", "bac+3", [0, 1], date(2025, 6, 10)
            ),
            _intervenant("Lucas Chabrat", SALARIE, "animateur", "bac+2", [1], date(2025, 6, 10)),
            _intervenant("Monique Aupetit", BENEVOLE, "institutrice retraitée", "bac+3", [0]),
        ],
    },
    # La Souterraine : déposé ; le collectif de Saint-Agnant n'a que 4 enfants (non conforme
    # même en milieu rural, minimum 5), l'autre en a 5 (conforme en milieu rural).
    {
        "reference": "DEMO-23-LA-SOUTERRAINE-2025",
        "porteur": "la_souterraine",
        "annee": 2025,
        "etat": Etat.DEPOSE,
        "depose_le": _depose(2025, 6, 25, 10, 15),
        "intitule": "Clas de la commune de La Souterraine",
        "renouvellement": False,
        **DOSSIER_COMPLET,
        "diagnostic": (
            "Les écoles de la commune et des hameaux signalent des élèves de cycle 2 en "
            "difficulté de lecture, sans accès à une aide hors de la classe."
        ),
        "coordinateur_nom": "Julien Tixier",
        "coordinateur_niveau_diplome": "bac+2",
        **objectifs(4),
        "collectifs": [
            {
                **ANNEE_2025,
                "nom": "CP-CE1 du bourg",
                "classes": ["CP", "CE1"],
                "nombre_enfants": 5,
                "rural": True,
                "lieu_nom": "Salle annexe de l'école élémentaire",
                "lieu_adresse": "rue de l'École",
                "lieu_code_postal": "23300",
                "lieu_commune": "La Souterraine",
                "nombre_intervenants": 1,
                "depenses_fonctionnement": Decimal("4200.00"),
                "creneaux": [("mardi", "16:30", 120)],
            },
            {
                **ANNEE_2025,
                "nom": "CM1-CM2 de Saint-Agnant",
                "classes": ["CM1", "CM2"],
                "nombre_enfants": 4,
                "rural": True,
                "lieu_nom": "Salle polyvalente",
                "lieu_adresse": "le bourg",
                "lieu_code_postal": "23300",
                "lieu_commune": "Saint-Agnant-de-Versillat",
                "nombre_intervenants": 1,
                "date_debut": date(2025, 11, 5),
                "depenses_fonctionnement": Decimal("3000.00"),
                "creneaux": [("mercredi", "14:00", 120)],
            },
        ],
        "intervenants": [
            _intervenant(
                "Julien Tixier", SALARIE, "animateur jeunesse", "bac+2", [0], date(2025, 6, 5)
            ),
            _intervenant("Odile Peyrot", BENEVOLE, "bénévole", "bac", [1]),
        ],
    },
    # Guéret : en instruction ; participation de 10 € demandée aux familles (CHARTE-GRATUITE
    # à vérifier) et un collectif qui démarre en septembre et finit après le 15 juin
    # (recommandation de calendrier).
    {
        "reference": "DEMO-23-GUERET-2025",
        "porteur": "gueret",
        "annee": 2025,
        "etat": Etat.EN_INSTRUCTION,
        "depose_le": _depose(2025, 6, 16, 15, 0),
        "intitule": "Clas du Pays guérétois",
        "renouvellement": True,
        **DOSSIER_COMPLET,
        "charte_participation_familles_euros": Decimal("10.00"),
        "diagnostic": (
            "Le collège et deux écoles de l'agglomération repèrent des élèves décrocheurs au "
            "moment de l'entrée en 6e ; les familles vivent souvent loin du centre-ville."
        ),
        "coordinateur_nom": "Nathalie Desroches",
        "coordinateur_niveau_diplome": "bac+5",
        **objectifs(4, 3),
        "collectifs": [
            {
                **ANNEE_2025,
                "nom": "6e-5e du collège",
                "classes": ["6e", "5e"],
                "nombre_enfants": 10,
                "rural": True,
                "lieu_nom": "Centre social du Pays guérétois",
                "lieu_adresse": "3 avenue de la Sénatorerie",
                "lieu_code_postal": "23000",
                "lieu_commune": "Guéret",
                "nombre_intervenants": 2,
                "semaines_fonctionnement": 34,
                "date_debut": date(2025, 9, 22),
                "date_fin": date(2026, 6, 19),
                "depenses_fonctionnement": Decimal("7600.00"),
                "creneaux": [("lundi", "17:00", 90), ("jeudi", "17:00", 90)],
            },
            {
                **ANNEE_2025,
                "nom": "CM1-CM2 de Sainte-Feyre",
                "classes": ["CM1", "CM2"],
                "nombre_enfants": 8,
                "rural": True,
                "lieu_nom": "Salle du conseil municipal",
                "lieu_adresse": "place de la Mairie",
                "lieu_code_postal": "23000",
                "lieu_commune": "Sainte-Feyre",
                "nombre_intervenants": 2,
                "depenses_fonctionnement": Decimal("6000.00"),
                "creneaux": [("mardi", "16:30", 75), ("vendredi", "16:30", 75)],
            },
        ],
        "intervenants": [
            _intervenant("Théo Lagrange", SALARIE, "animateur", "bac+2", [0, 1], date(2025, 6, 3)),
            _intervenant("Mireille Bonnaud", SALARIE, "animatrice", "bac", [0], date(2025, 6, 3)),
            _intervenant("Christian Fayolle", BENEVOLE, "bénévole", "bac+3", [1]),
        ],
    },
    # Lucioles, 2024-2025 : l'année passée, acceptée, avec le bilan de l'action de chaque
    # collectif (pour le bilan départemental).
    {
        "reference": "DEMO-59-LUCIOLES-2024",
        "porteur": "lucioles",
        "annee": 2024,
        "etat": Etat.ACCEPTE,
        "depose_le": _depose(2024, 6, 14, 10, 0),
        "intitule": "Clas élémentaire du quartier de l'Épeule",
        "renouvellement": False,
        **DOSSIER_COMPLET,
        "diagnostic": (
            "Quartier prioritaire de la politique de la ville ; l'école signale des difficultés "
            "de lecture et d'organisation du travail chez les élèves de cycle 3."
        ),
        "coordinateur_nom": "Samia B.",
        "coordinateur_niveau_diplome": "bac+3",
        **objectifs(0, 1),
        "montant_accorde": Decimal("4600.00"),
        "date_decision": date(2024, 10, 17),
        "motif_decision": "Avis favorable du comité départemental du 17 octobre 2024.",
        "collectifs": [
            {
                **ANNEE_2024,
                "nom": "CM1-CM2 mardi et jeudi",
                "classes": ["CM1", "CM2"],
                "nombre_enfants": 10,
                "rural": False,
                "lieu_nom": "Salle associative des Lucioles",
                "lieu_adresse": "27 rue de l'Alma",
                "lieu_code_postal": "59100",
                "lieu_commune": "Roubaix",
                "nombre_intervenants": 2,
                "depenses_fonctionnement": Decimal("8800.00"),
                "creneaux": [("mardi", "16:45", 90), ("jeudi", "16:45", 90)],
                "bilan": {
                    "enfants_inscrits": 11,
                    "filles": 6,
                    "garcons": 5,
                    "familles": 9,
                    "seances_realisees": 58,
                    "heures_realisees": Decimal("87.00"),
                    "taux_presence": Decimal("0.8600"),
                    "intervenants_salaries": 2,
                    "intervenants_benevoles": 1,
                    "actions_parents": 5,
                    "rencontres_ecole": 3,
                    "statut": "soumis",
                    "soumis_le": _depose(2025, 7, 4, 17, 30),
                },
            },
            {
                **ANNEE_2024,
                "nom": "CE2-CM1 lundi et vendredi",
                "classes": ["CE2", "CM1"],
                "nombre_enfants": 9,
                "rural": False,
                "lieu_nom": "Salle associative des Lucioles",
                "lieu_adresse": "27 rue de l'Alma",
                "lieu_code_postal": "59100",
                "lieu_commune": "Roubaix",
                "nombre_intervenants": 2,
                "depenses_fonctionnement": Decimal("6500.00"),
                "creneaux": [("lundi", "16:45", 75), ("vendredi", "16:45", 75)],
                "bilan": {
                    "enfants_inscrits": 9,
                    "filles": 4,
                    "garcons": 5,
                    "familles": 8,
                    "seances_realisees": 56,
                    "heures_realisees": Decimal("70.00"),
                    "taux_presence": Decimal("0.8100"),
                    "intervenants_salaries": 1,
                    "intervenants_benevoles": 1,
                    "actions_parents": 4,
                    "rencontres_ecole": 3,
                    "statut": "soumis",
                    "soumis_le": _depose(2025, 7, 4, 17, 30),
                },
            },
        ],
        "intervenants": [
            _intervenant("Karim Haddad", SALARIE, "animateur", "bac+2", [0], date(2024, 5, 21)),
            _intervenant(
                "Julie Vandamme", SALARIE, "animatrice", "bac+3", [0, 1], date(2024, 5, 21)
            ),
            _intervenant("Bernard Lefebvre", BENEVOLE, "enseignant retraité", "bac+5", [1]),
        ],
    },
]


# --- Chargement ------------------------------------------------------------------------------
@dataclass
class Compteur:
    """Lignes créées, mises à jour et supprimées, par modèle."""

    crees: dict = field(default_factory=lambda: defaultdict(int))
    mis_a_jour: dict = field(default_factory=lambda: defaultdict(int))
    supprimes: dict = field(default_factory=lambda: defaultdict(int))

    def note(self, modele, cree: bool) -> None:
        (self.crees if cree else self.mis_a_jour)[modele] += 1

    def note_suppression(self, resultat_delete) -> None:
        for label, nombre in resultat_delete[1].items():
            if nombre:
                self.supprimes[apps.get_model(label)] += nombre

    def lignes(self) -> list[tuple[str, int, int, int]]:
        """(modèle au pluriel, créés, mis à jour, supprimés) dans l'ordre du chargement."""
        modeles = [Utilisateur, Porteur, Membre, Dossier, Collectif, Creneau, Intervenant]
        modeles += [BilanAction, Evaluation, Campagne]
        for autre in [*self.crees, *self.mis_a_jour, *self.supprimes]:
            if autre not in modeles:
                modeles.append(autre)
        return [
            (
                str(m._meta.verbose_name_plural),
                self.crees[m],
                self.mis_a_jour[m],
                self.supprimes[m],
            )
            for m in modeles
        ]


@dataclass(frozen=True)
class ResultatDemo:
    compteur: Compteur
    comptes: list  # les Utilisateur de démonstration, dans l'ordre de COMPTES


def verifier_environnement() -> None:
    if settings.CLAS_ENV == "production":
        raise ProductionInterdite(
            "La démo ne peut pas être chargée en production (CLAS_ENV=production)."
        )


def _valeurs_completes(modele, valeurs: dict, cles: tuple[str, ...] = ()) -> dict:
    """Tous les champs modifiables du modèle : ceux donnés, les autres remis à vide.

    Ainsi une valeur changée à la main sur un objet de démonstration est effacée au rechargement.
    Un nom de champ inconnu, ou un champ obligatoire absent, est une erreur des données de démo.
    """
    champs = {
        f.name: f
        for f in modele._meta.concrete_fields
        if not f.primary_key and f.editable and f.name not in cles
    }
    inconnus = set(valeurs) - set(champs) - set(cles)
    if inconnus:
        raise ValueError(f"{modele.__name__} : champs inconnus {sorted(inconnus)}")
    complet = {}
    for nom, champ in champs.items():
        if nom in valeurs:
            complet[nom] = valeurs[nom]
        elif champ.null:
            complet[nom] = None
        elif champ.has_default():
            complet[nom] = champ.get_default()
        elif champ.blank and isinstance(champ, models.CharField | models.TextField):
            complet[nom] = ""
        else:
            raise ValueError(f"{modele.__name__} : le champ « {nom} » est obligatoire.")
    return complet


def _synchroniser(compteur, modele, parent: dict, champs_cle: tuple[str, ...], elements):
    """Fait correspondre les enfants de ``parent`` à ``elements`` (clé : ``champs_cle``).

    Les enfants existants sans équivalent, ou en double pour une même clé, sont supprimés ;
    les autres sont mis à jour, les manquants créés. Renvoie les objets dans l'ordre d'``elements``.
    """
    existants, en_trop = {}, []
    for objet in modele.objects.filter(**parent).order_by("pk"):
        cle = tuple(getattr(objet, c) for c in champs_cle)
        if cle in existants:
            en_trop.append(objet.pk)
        else:
            existants[cle] = objet
    voulues = [tuple(e[c] for c in champs_cle) for e in elements]
    en_trop += [objet.pk for cle, objet in existants.items() if cle not in voulues]
    if en_trop:
        compteur.note_suppression(modele.objects.filter(pk__in=en_trop).delete())

    objets = []
    for cle, valeurs in zip(voulues, elements, strict=True):
        complet = _valeurs_completes(modele, {**parent, **valeurs})
        objet = existants.get(cle)
        if objet is None:
            objet = modele.objects.create(**complet)
        else:
            for nom, valeur in complet.items():
                setattr(objet, nom, valeur)
            objet.save()
        compteur.note(modele, cree=cle not in existants)
        objets.append(objet)
    return objets


def _charger_comptes(compteur, departements, porteurs) -> list:
    comptes = []
    for donnees in COMPTES:
        valeurs = {k: v for k, v in donnees.items() if k not in ("email", "porteur")}
        code = valeurs.pop("departement")
        utilisateur, cree = Utilisateur.objects.update_or_create(
            email=donnees["email"],
            defaults={**valeurs, "departement": departements.get(code), "is_active": True},
        )
        utilisateur.set_password(MOT_DE_PASSE_DEMO)
        utilisateur.save(update_fields=["password"])
        compteur.note(Utilisateur, cree)
        if donnees["porteur"]:
            _membre, cree = Membre.objects.update_or_create(
                porteur=porteurs[donnees["porteur"]],
                utilisateur=utilisateur,
                defaults={"qualite": Membre.Qualite.RESPONSABLE},
            )
            compteur.note(Membre, cree)
        comptes.append(utilisateur)
    return comptes


def _charger_porteurs(compteur, departements) -> dict:
    porteurs = {}
    for cle, donnees in PORTEURS.items():
        valeurs = {**donnees, "departement": departements[donnees["departement"]]}
        porteur, cree = Porteur.objects.update_or_create(
            siret=donnees["siret"],
            defaults=_valeurs_completes(Porteur, valeurs, cles=("siret",)),
        )
        compteur.note(Porteur, cree)
        porteurs[cle] = porteur
    return porteurs


def _charger_dossier(compteur, donnees: dict, porteurs) -> Dossier:
    valeurs = dict(donnees)
    porteur = porteurs[valeurs.pop("porteur")]
    collectifs = valeurs.pop("collectifs")
    intervenants = valeurs.pop("intervenants")
    valeurs.update(porteur=porteur, departement=porteur.departement)
    dossier, cree = Dossier.objects.update_or_create(
        reference=valeurs["reference"],
        defaults=_valeurs_completes(Dossier, valeurs, cles=("reference",)),
    )
    compteur.note(Dossier, cree)

    champs_collectif = [
        {k: v for k, v in c.items() if k not in ("creneaux", "bilan", "enfants")} | {"ordre": i}
        for i, c in enumerate(collectifs)
    ]
    objets = _synchroniser(compteur, Collectif, {"dossier": dossier}, ("ordre",), champs_collectif)
    for collectif, donnees_collectif in zip(objets, collectifs, strict=True):
        creneaux = [
            {"jour": jour, "debut": time.fromisoformat(debut), "duree_minutes": duree}
            for jour, debut, duree in donnees_collectif["creneaux"]
        ]
        _synchroniser(compteur, Creneau, {"collectif": collectif}, ("jour", "debut"), creneaux)
        if "enfants" in donnees_collectif:
            _charger_registre(compteur, collectif, donnees_collectif["enfants"])
        bilan = donnees_collectif.get("bilan")
        if bilan is None:
            compteur.note_suppression(BilanAction.objects.filter(collectif=collectif).delete())
        else:
            _bilan, cree = BilanAction.objects.update_or_create(
                collectif=collectif,
                defaults=_valeurs_completes(BilanAction, bilan, cles=("collectif",)),
            )
            compteur.note(BilanAction, cree)

    champs_intervenant = [{k: v for k, v in i.items() if k != "collectifs"} for i in intervenants]
    personnes = _synchroniser(
        compteur, Intervenant, {"dossier": dossier}, ("nom",), champs_intervenant
    )
    for personne, donnees_intervenant in zip(personnes, intervenants, strict=True):
        personne.collectifs.set([objets[rang] for rang in donnees_intervenant["collectifs"]])
    _figer_evaluations(compteur, dossier)
    return dossier


def _charger_registre(compteur, collectif: Collectif, enfants) -> None:
    """Le cahier de présence d'un collectif de démonstration, remis à son état d'origine : les
    enfants (pseudonymes) de la démo, et ni séance, ni journal, ni purge — ce que la démonstration
    ajoute (calendrier, appels, réunion de parents) est effacé au rechargement."""
    from seances.models import ActionParents, Enfant, PurgeDonneesEnfants, RencontreEcole, Seance

    for modele in (Seance, ActionParents, RencontreEcole, PurgeDonneesEnfants):
        compteur.note_suppression(modele.objects.filter(collectif=collectif).delete())
    lignes = [
        {"code": code, "classe": classe, "sexe": sexe, "code_famille": famille}
        for code, classe, sexe, famille in enfants
    ]
    _synchroniser(compteur, Enfant, {"collectif": collectif}, ("code",), lignes)


def _figer_evaluations(compteur, dossier: Dossier) -> None:
    """Évaluations figées au dépôt, à la proposition au comité et à la décision, comme
    l'auraient laissées ces étapes.

    Une seule par motif et par dossier : recharger la démo ne les multiplie pas, et une évaluation
    dont les données ne correspondent plus (démo modifiée à la main) est refaite.
    """
    motifs = []
    if not dossier.est_brouillon:
        motifs.append(Evaluation.Motif.DEPOT)
    if dossier.etat == Etat.PROPOSE_COMITE:
        motifs.append(Evaluation.Motif.COMITE)
    if dossier.est_decide:
        motifs.append(Evaluation.Motif.DECISION)
    compteur.note_suppression(dossier.evaluations.exclude(motif__in=motifs).delete())
    courante = empreinte(dossier_vers_document(dossier, avec_decision=False))
    for motif in motifs:
        existantes = dossier.evaluations.filter(motif=motif)
        if existantes.filter(empreinte_entree=courante).count() == 1 == existantes.count():
            compteur.note(Evaluation, False)
            continue
        compteur.note_suppression(existantes.delete())
        figer_evaluation(dossier, motif)
        compteur.note(Evaluation, True)


def charger_demo() -> ResultatDemo:
    """Charge ou recharge toute la démo, en une transaction. Refusé en production."""
    verifier_environnement()
    compteur = Compteur()
    with transaction.atomic():
        departements = Departement.objects.in_bulk(["59", "23"])
        manquants = {"59", "23"} - set(departements)
        if manquants:
            raise DemoImpossible(
                f"Départements absents : {', '.join(sorted(manquants))}. "
                "Appliquez d'abord les migrations (manage.py migrate)."
            )
        porteurs = _charger_porteurs(compteur, departements)
        comptes = _charger_comptes(compteur, departements, porteurs)
        for donnees in DOSSIERS:
            _charger_dossier(compteur, donnees, porteurs)
        _charger_campagnes(compteur, departements, comptes)
        for dossier in Dossier.objects.filter(reference__startswith="DEMO-").exclude(
            etat=Etat.BROUILLON
        ):
            _charger_budget_et_pieces(compteur, dossier)
    return ResultatDemo(compteur=compteur, comptes=comptes)


def annee_scolaire_en_cours(jour: date) -> int:
    """L'année de rentrée de l'année scolaire en cours (rentrée en septembre)."""
    return jour.year if jour.month >= 8 else jour.year - 1


def _charger_campagnes(compteur, departements, comptes) -> None:
    """Une campagne close pour 2025-2026 (l'année des dossiers de démo), une campagne ouverte
    pour l'année scolaire en cours, et les paramètres de financement de cette année-là."""
    from django.utils import timezone

    from eligibility.models import ParametresAnnee

    en_cours = annee_scolaire_en_cours(timezone.localdate())
    periodes = {2025: (date(2025, 3, 1), date(2025, 6, 30))}
    periodes[en_cours] = (date(en_cours, 5, 1), date(en_cours + 1, 6, 30))
    for departement in departements.values():
        for annee, (ouverture, cloture) in periodes.items():
            _campagne, cree = Campagne.objects.update_or_create(
                departement=departement,
                annee=annee,
                defaults={"ouverture": ouverture, "cloture": cloture},
            )
            compteur.note(Campagne, cree)
    if not ParametresAnnee.objects.filter(annee=en_cours).exists():
        admin = next((c for c in comptes if c.email == "admin@demo.clas"), None)
        ParametresAnnee(
            annee=en_cours, taux_ps=Decimal("0.325"), prix_plafond=Decimal("7886.00")
        ).enregistrer(par=admin)


@lru_cache(maxsize=8)
def _pdf_fictif(titre: str) -> bytes:
    """Un vrai PDF d'une page, marqué fictif : les pièces de la démo passent les contrôles."""
    from weasyprint import HTML

    html = (
        f"<h1>{escape(titre)}</h1><p>Document fictif de l'environnement de démonstration "
        "du Portail Clas.</p>"
    )
    return HTML(string=html).write_pdf()


def _charger_budget_et_pieces(compteur, dossier: Dossier) -> None:
    """Ce qu'un dossier déposé a forcément : un budget équilibré et ses pièces obligatoires."""
    from django.core.files.base import ContentFile

    from dossiers.models import (
        PIECES_DOSSIER_OBLIGATOIRES,
        CategorieDepense,
        Cofinanceur,
        LigneBudget,
        PieceJustificative,
    )
    from porteurs.models import PIECES_PERMANENTES_OBLIGATOIRES, PiecePermanente

    depenses = sum(
        (c.depenses_fonctionnement or Decimal("0") for c in dossier.collectifs.all()),
        Decimal("0"),
    ) or Decimal("5000.00")
    evaluation = dossier.evaluations.filter(motif=Evaluation.Motif.DEPOT).first()
    ps = evaluation.montant_ps_total if evaluation else None
    demande = min(ps, depenses) if ps else (depenses * Decimal("0.3")).quantize(Decimal("0.01"))
    lignes = [
        (
            LigneBudget.Sens.DEPENSE,
            CategorieDepense.PERSONNEL,
            "Animateurs et coordination",
            depenses,
        ),
        (
            LigneBudget.Sens.RECETTE,
            Cofinanceur.COMMUNE,
            "Subvention municipale",
            depenses - demande,
        ),
    ]
    for sens, categorie, libelle, montant in lignes:
        _ligne, cree = LigneBudget.objects.update_or_create(
            dossier=dossier,
            sens=sens,
            categorie=categorie,
            defaults={"libelle": libelle, "montant": montant},
        )
        compteur.note(LigneBudget, cree)
    if dossier.montant_demande != demande:
        Dossier.objects.filter(pk=dossier.pk).update(montant_demande=demande)
    for type_piece in PIECES_DOSSIER_OBLIGATOIRES:
        if not dossier.pieces.filter(type=type_piece).exists():
            contenu = _pdf_fictif(f"{type_piece.label.capitalize()} — {dossier.porteur}")
            piece = PieceJustificative(
                dossier=dossier,
                type=type_piece,
                nom_original=f"{type_piece.value}.pdf",
                type_mime="application/pdf",
                extension="pdf",
                taille=len(contenu),
            )
            piece.fichier.save(f"{type_piece.value}.pdf", ContentFile(contenu), save=True)
            compteur.note(PieceJustificative, True)
    for type_piece in PIECES_PERMANENTES_OBLIGATOIRES:
        if not dossier.porteur.pieces.filter(type=type_piece).exists():
            contenu = _pdf_fictif(f"{type_piece.label.capitalize()} — {dossier.porteur}")
            piece = PiecePermanente(
                porteur=dossier.porteur,
                type=type_piece,
                nom_original=f"{type_piece.value}.pdf",
                type_mime="application/pdf",
                extension="pdf",
                taille=len(contenu),
            )
            piece.fichier.save(f"{type_piece.value}.pdf", ContentFile(contenu), save=True)
            compteur.note(PiecePermanente, True)
