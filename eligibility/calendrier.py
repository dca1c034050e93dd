"""Calendrier scolaire : zone de vacances de chaque département, et rentrée après la Toussaint.

Les dates des vacances viennent du paquet `vacances-scolaires-france` (données officielles,
embarquées hors ligne) ; aucune date de vacances n'est écrite ici.
"""

from datetime import date, timedelta
from functools import lru_cache

ZONE_A = "A"
ZONE_B = "B"
ZONE_C = "C"
ZONE_CORSE = "corse"
ZONE_OUTRE_MER = "outre_mer"

# Zones de vacances par académie (table officielle), puis département → zone.
_DEPARTEMENTS_PAR_ZONE: dict[str, tuple[str, ...]] = {
    ZONE_A: (
        "25", "39", "70", "90",  # Besançon
        "24", "33", "40", "47", "64",  # Bordeaux
        "03", "15", "43", "63",  # Clermont-Ferrand
        "21", "58", "71", "89",  # Dijon
        "07", "26", "38", "73", "74",  # Grenoble
        "19", "23", "87",  # Limoges
        "01", "42", "69",  # Lyon
        "16", "17", "79", "86",  # Poitiers
    ),
    ZONE_B: (
        "04", "05", "13", "84",  # Aix-Marseille
        "02", "60", "80",  # Amiens
        "59", "62",  # Lille
        "54", "55", "57", "88",  # Nancy-Metz
        "44", "49", "53", "72", "85",  # Nantes
        "06", "83",  # Nice
        "14", "27", "50", "61", "76",  # Normandie
        "18", "28", "36", "37", "41", "45",  # Orléans-Tours
        "08", "10", "51", "52",  # Reims
        "22", "29", "35", "56",  # Rennes
        "67", "68",  # Strasbourg
    ),
    ZONE_C: (
        "77", "93", "94",  # Créteil
        "11", "30", "34", "48", "66",  # Montpellier
        "75",  # Paris
        "09", "12", "31", "32", "46", "65", "81", "82",  # Toulouse
        "78", "91", "92", "95",  # Versailles
    ),
    # L'académie de Corse a son propre calendrier, absent du paquet : vacances inconnues.
    ZONE_CORSE: ("2A", "2B"),
    ZONE_OUTRE_MER: ("971", "972", "973", "974", "976"),
}  # fmt: skip

ZONE_PAR_DEPARTEMENT: dict[str, str] = {
    departement: zone
    for zone, departements in _DEPARTEMENTS_PAR_ZONE.items()
    for departement in departements
}

ZONES_METROPOLE = (ZONE_A, ZONE_B, ZONE_C)

_TOUSSAINT = "Vacances de la Toussaint"
_SAMEDI = 5


def zone_du_departement(code: str) -> str | None:
    """Zone de vacances scolaires d'un département ('A', 'B', 'C', 'corse', 'outre_mer')."""
    zone = ZONE_PAR_DEPARTEMENT.get(code)
    if zone is None and code.startswith("97"):
        # Le schéma admet 971 à 976 : tout département d'outre-mer a son propre calendrier.
        return ZONE_OUTRE_MER
    return zone


@lru_cache(maxsize=1)
def _dates_vacances():
    from vacances_scolaires_france import SchoolHolidayDates

    return SchoolHolidayDates()


@lru_cache(maxsize=256)
def debut_recommande(annee: int, zone: str | None) -> date | None:
    """Premier jour de classe après les vacances de la Toussaint de l'année `annee` dans `zone`.

    C'est le lendemain du dernier jour de vacances, samedi et dimanche sautés (pas de classe le
    samedi). None pour la Corse, l'outre-mer, une zone inconnue, ou une année absente des données.
    """
    if zone not in ZONES_METROPOLE:
        return None
    from vacances_scolaires_france import UnsupportedYearException

    try:
        jours = _dates_vacances().holidays_for_year_zone_and_name(annee, zone, _TOUSSAINT)
    except UnsupportedYearException:
        return None
    if not jours:
        return None
    jour = max(jours) + timedelta(days=1)
    while jour.weekday() >= _SAMEDI:
        jour += timedelta(days=1)
    return jour
