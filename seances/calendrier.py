"""Calendrier des séances d'un collectif : fonctions pures, sans base de données.

À partir des créneaux hebdomadaires du collectif, de ses dates de début et de fin et du code
de son département, ``planifier`` liste les séances prévues en sautant :

- les vacances scolaires de la zone du département (paquet ``vacances-scolaires-france``,
  données officielles embarquées hors ligne) ;
- les jours fériés (paquet ``jours-feries-france``), avec la bonne zone : Alsace-Moselle
  (57, 67, 68 : Vendredi saint, 26 décembre) et départements d'outre-mer (abolition de
  l'esclavage).

Les vacances de Corse et d'outre-mer ne sont pas dans le paquet : seules les fêtes y sont
sautées, et le résultat porte un avertissement que la page affiche.

``resumer`` compte les séances (prévues, réalisées, annulées), les heures et les semaines de
fonctionnement (semaines ISO distinctes avec au moins une séance non annulée), à comparer aux
``semaines_min`` de l'édition du référentiel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from functools import lru_cache

from eligibility.calendrier import ZONES_METROPOLE, zone_du_departement
from eligibility.editions import CNAF_2019, Edition

# Jours des créneaux (valeurs de ``collectifs.models.Jour``) → numéro ISO - 1 (lundi = 0).
NUMERO_JOUR = {
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
}

# Zones du paquet jours-feries-france.
FERIES_METROPOLE = "Métropole"
FERIES_ALSACE_MOSELLE = "Alsace-Moselle"
_FERIES_PAR_DEPARTEMENT = {
    "57": FERIES_ALSACE_MOSELLE,
    "67": FERIES_ALSACE_MOSELLE,
    "68": FERIES_ALSACE_MOSELLE,
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "975": "Saint-Pierre-et-Miquelon",
    "976": "Mayotte",
}

AVERTISSEMENT_VACANCES_INCONNUES = (
    "Les vacances de votre académie ne sont pas connues du portail : annulez les séances "
    "tombant pendant les vacances."
)
AVERTISSEMENT_ANNEE_INCONNUE = (
    "Les vacances scolaires de cette période ne sont pas encore connues du portail : annulez "
    "les séances tombant pendant les vacances."
)


@dataclass(frozen=True, slots=True)
class SeancePrevue:
    """Une séance à créer : date, heure de début (facultative), durée, créneau d'origine."""

    date: date
    debut: time | None
    duree_minutes: int


@dataclass(frozen=True, slots=True)
class Vacances:
    """Une période de vacances scolaires (samedis et dimanches compris), bornée à la période
    du collectif ; ``seances_sautees`` : séances qui y seraient tombées."""

    nom: str
    debut: date
    fin: date
    seances_sautees: int = 0


@dataclass(frozen=True, slots=True)
class JourFerie:
    nom: str
    date: date


@dataclass(slots=True)
class Calendrier:
    """Ce que rend ``planifier``."""

    seances: list[SeancePrevue]
    zone_vacances: str | None
    zone_feries: str
    vacances: list[Vacances] = field(default_factory=list)
    # Jours fériés tombant un jour de créneau hors vacances : séances non générées.
    feries_sautes: list[JourFerie] = field(default_factory=list)
    avertissement: str = ""

    @property
    def vacances_connues(self) -> bool:
        return not self.avertissement


def zone_jours_feries(code_departement: str) -> str:
    """Zone du paquet jours-feries-france d'un département (« Métropole » par défaut)."""
    return _FERIES_PAR_DEPARTEMENT.get(code_departement, FERIES_METROPOLE)


def jours_feries(debut: date, fin: date, zone: str) -> dict[date, str]:
    """Les jours fériés entre ``debut`` et ``fin`` inclus : date → nom."""
    from jours_feries_france import JoursFeries

    feries = {}
    for annee in range(debut.year, fin.year + 1):
        for nom, jour in JoursFeries.for_year(annee, zone).items():
            if debut <= jour <= fin:
                feries[jour] = nom
    return feries


@lru_cache(maxsize=1)
def _dates_vacances():
    from vacances_scolaires_france import SchoolHolidayDates

    return SchoolHolidayDates()


@lru_cache(maxsize=64)
def _jours_de_vacances(annee: int, zone: str) -> tuple[tuple[date, str], ...] | None:
    """Les jours de vacances d'une année civile dans une zone A, B ou C ; None si l'année
    n'est pas dans les données du paquet."""
    from vacances_scolaires_france import UnsupportedYearException

    try:
        jours = _dates_vacances().holidays_for_year_and_zone(annee, zone)
    except UnsupportedYearException:
        return None
    return tuple(sorted((jour, ligne["nom_vacances"]) for jour, ligne in jours.items()))


@lru_cache(maxsize=1)
def _fin_des_donnees() -> date:
    """Dernier jour de vacances connu du paquet (la fin des dernières vacances d'été
    publiées) : au-delà, les vacances ne sont pas encore connues."""
    return max(_dates_vacances().data)


def vacances_scolaires(debut: date, fin: date, zone: str | None) -> list[Vacances] | None:
    """Les périodes de vacances de ``zone`` qui touchent [``debut``, ``fin``], bornées à cette
    période ; None si elles ne sont pas connues (Corse, outre-mer, période au-delà des
    données publiées)."""
    if zone not in ZONES_METROPOLE or fin > _fin_des_donnees():
        return None
    jours: list[tuple[date, str]] = []
    for annee in range(debut.year, fin.year + 1):
        de_l_annee = _jours_de_vacances(annee, zone)
        if de_l_annee is None:
            return None
        jours.extend(j for j in de_l_annee if debut <= j[0] <= fin)
    periodes: list[Vacances] = []
    for jour, nom in jours:
        precedente = periodes[-1] if periodes else None
        if precedente and precedente.nom == nom and jour - precedente.fin == timedelta(days=1):
            periodes[-1] = Vacances(nom, precedente.debut, jour)
        else:
            periodes.append(Vacances(nom, jour, jour))
    return periodes


def _cle(creneau) -> tuple[int, time]:
    return NUMERO_JOUR[creneau.jour], creneau.debut or time.min


def planifier(creneaux: Iterable, date_debut: date, date_fin: date, departement: str) -> Calendrier:
    """Les séances prévues du collectif, vacances et jours fériés sautés.

    ``creneaux`` : des objets avec ``jour`` (« lundi »…), ``debut`` (heure ou None) et
    ``duree_minutes`` — des ``collectifs.models.Creneau`` ou tout équivalent.
    """
    zone = zone_du_departement(departement)
    zone_feries = zone_jours_feries(departement)
    calendrier = Calendrier(seances=[], zone_vacances=zone, zone_feries=zone_feries)
    if date_fin < date_debut:
        return calendrier

    vacances = vacances_scolaires(date_debut, date_fin, zone)
    if vacances is None:
        calendrier.avertissement = (
            AVERTISSEMENT_VACANCES_INCONNUES
            if zone not in ZONES_METROPOLE
            else AVERTISSEMENT_ANNEE_INCONNUE
        )
        vacances = []
    en_vacances: dict[date, int] = {}
    for index, periode in enumerate(vacances):
        jour = periode.debut
        while jour <= periode.fin:
            en_vacances[jour] = index
            jour += timedelta(days=1)
    feries = jours_feries(date_debut, date_fin, zone_feries)

    sautees_par_vacances = [0] * len(vacances)
    feries_sautes: dict[date, str] = {}
    creneaux = sorted(creneaux, key=_cle)
    jour = date_debut
    while jour <= date_fin:
        for creneau in creneaux:
            if NUMERO_JOUR[creneau.jour] != jour.weekday():
                continue
            if jour in en_vacances:
                sautees_par_vacances[en_vacances[jour]] += 1
            elif jour in feries:
                feries_sautes[jour] = feries[jour]
            else:
                calendrier.seances.append(SeancePrevue(jour, creneau.debut, creneau.duree_minutes))
        jour += timedelta(days=1)

    calendrier.vacances = [
        Vacances(p.nom, p.debut, p.fin, sautees_par_vacances[i]) for i, p in enumerate(vacances)
    ]
    calendrier.feries_sautes = [JourFerie(nom, jour) for jour, nom in sorted(feries_sautes.items())]
    return calendrier


# --- Comptes ---------------------------------------------------------------------------------


def semaines_de_fonctionnement(dates: Iterable[date]) -> int:
    """Nombre de semaines ISO distinctes comptant au moins une des dates données."""
    return len({d.isocalendar()[:2] for d in dates})


def semaines_requises(edition: Edition = CNAF_2019) -> int:
    """Semaines de fonctionnement exigées par le référentiel (paramètre de l'édition)."""
    return edition.semaines_min


@dataclass(frozen=True, slots=True)
class Resume:
    """Chiffres d'un calendrier, pour la page du calendrier et la page d'activité."""

    prevues: int
    realisees: int
    annulees: int
    minutes_programmees: int
    minutes_realisees: int
    semaines: int
    semaines_requises: int
    appels: int
    presents: int
    inscrits: int

    @property
    def total(self) -> int:
        return self.prevues + self.realisees + self.annulees

    @property
    def heures_programmees(self) -> Decimal:
        return (Decimal(self.minutes_programmees) / 60).quantize(Decimal("0.01"))

    @property
    def heures_realisees(self) -> Decimal:
        return (Decimal(self.minutes_realisees) / 60).quantize(Decimal("0.01"))

    @property
    def duree_programmee(self) -> str:
        """« 73 h 30 » : les heures programmées, en heures et minutes."""
        return _heures_minutes(self.minutes_programmees)

    @property
    def duree_realisee(self) -> str:
        return _heures_minutes(self.minutes_realisees)

    @property
    def semaines_suffisantes(self) -> bool:
        return self.semaines >= self.semaines_requises

    @property
    def semaines_manquantes(self) -> int:
        return max(self.semaines_requises - self.semaines, 0)

    @property
    def taux_presence(self) -> Decimal | None:
        """Présents / inscrits sur les séances dont l'appel est fait ; None sans appel."""
        if not self.inscrits:
            return None
        return (Decimal(self.presents) / Decimal(self.inscrits)).quantize(Decimal("0.001"))


def _heures_minutes(minutes: int) -> str:
    heures, reste = divmod(minutes, 60)
    return f"{heures} h {reste:02d}" if reste else f"{heures} h"


ANNULEE = "annulee"
REALISEE = "realisee"


def resumer(seances: Iterable, semaines_min: int = CNAF_2019.semaines_min) -> Resume:
    """Les chiffres d'un ensemble de séances.

    ``seances`` : des objets (ou ``dict``) avec ``date``, ``statut``, ``duree_minutes``,
    ``appel_fait_le``, ``nombre_presents``, ``nombre_inscrits``.
    """
    prevues = realisees = annulees = 0
    minutes = minutes_realisees = 0
    appels = presents = inscrits = 0
    dates = []
    for seance in seances:
        lire = seance.get if isinstance(seance, dict) else seance.__getattribute__
        statut = lire("statut")
        if statut == ANNULEE:
            annulees += 1
            continue
        dates.append(lire("date"))
        minutes += lire("duree_minutes")
        if statut == REALISEE:
            realisees += 1
            minutes_realisees += lire("duree_minutes")
        else:
            prevues += 1
        if lire("appel_fait_le") is not None:
            nb_presents, nb_inscrits = lire("nombre_presents"), lire("nombre_inscrits")
            if nb_presents is not None and nb_inscrits is not None:
                appels += 1
                presents += nb_presents
                inscrits += nb_inscrits
    return Resume(
        prevues=prevues,
        realisees=realisees,
        annulees=annulees,
        minutes_programmees=minutes,
        minutes_realisees=minutes_realisees,
        semaines=semaines_de_fonctionnement(dates),
        semaines_requises=semaines_min,
        appels=appels,
        presents=presents,
        inscrits=inscrits,
    )


# --- Régénération ----------------------------------------------------------------------------

CALENDRIER = "calendrier"
PREVUE = "prevue"


def est_remplacable(seance) -> bool:
    """Une séance que la régénération du calendrier peut remplacer : générée par le
    calendrier, encore prévue, jamais appelée ni déplacée. Les séances avec un appel, ajoutées,
    déplacées ou annulées restent."""
    return (
        seance.origine == CALENDRIER
        and seance.statut == PREVUE
        and seance.appel_fait_le is None
        and seance.date_prevue is None
    )


@dataclass(frozen=True, slots=True)
class Regeneration:
    """Ce que ferait la (re)génération : séances supprimées, conservées, créées."""

    remplacees: list
    conservees: list
    nouvelles: list[SeancePrevue]


def regenerer(existantes: Iterable, calendrier: Calendrier) -> Regeneration:
    """Partage les séances existantes entre remplacées et conservées, et garde du calendrier
    les séances qui ne doublent pas une séance conservée : même jour et même heure, ou place
    d'origine d'une séance déplacée (son jour et son heure d'origine ; tout son jour d'origine
    si l'heure d'origine n'est pas connue : déplacée avant qu'elle soit gardée, ou sans heure)."""
    remplacees, conservees = [], []
    for seance in existantes:
        (remplacees if est_remplacable(seance) else conservees).append(seance)
    occupes = {(s.date, s.debut) for s in conservees}
    jours_d_origine = set()
    for s in conservees:
        if s.date_prevue is None:
            continue
        if s.debut_prevu is None:
            jours_d_origine.add(s.date_prevue)
        else:
            occupes.add((s.date_prevue, s.debut_prevu))
    nouvelles = [
        p
        for p in calendrier.seances
        if (p.date, p.debut) not in occupes and p.date not in jours_d_origine
    ]
    return Regeneration(remplacees, conservees, nouvelles)
