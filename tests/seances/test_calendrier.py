"""Calendrier des séances (fonctions pures) : vacances scolaires par zone, jours fériés (dont
Alsace-Moselle et outre-mer), avertissement quand les vacances ne sont pas connues, semaines
de fonctionnement, régénération."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from eligibility.editions import CNAF_2019
from seances import calendrier
from seances.calendrier import (
    AVERTISSEMENT_ANNEE_INCONNUE,
    AVERTISSEMENT_VACANCES_INCONNUES,
    jours_feries,
    planifier,
    regenerer,
    resumer,
    semaines_de_fonctionnement,
    zone_jours_feries,
)


@dataclass
class Creneau:
    jour: str
    debut: time | None
    duree_minutes: int


# Quatre créneaux par semaine : lundi (lundis de Pâques et de Pentecôte), mardi (11 novembre),
# jeudi (Ascension), vendredi (1er et 8 mai, Vendredi saint).
CRENEAUX = [
    Creneau("lundi", time(17, 0), 90),
    Creneau("mardi", time(17, 0), 90),
    Creneau("jeudi", time(17, 0), 90),
    Creneau("vendredi", time(16, 30), 60),
]
DEBUT = date(2025, 9, 22)  # un lundi
FIN = date(2026, 6, 19)  # un vendredi : 39 semaines, 156 créneaux

# Le calendrier officiel 2025-2026 (arrêté du ministère), écrit ici à la main pour vérifier
# indépendamment ce que le portail lit dans le paquet : premier et dernier jour de vacances.
TOUSSAINT = (date(2025, 10, 18), date(2025, 11, 2))
NOEL = (date(2025, 12, 20), date(2026, 1, 4))
HIVER = {
    "A": (date(2026, 2, 7), date(2026, 2, 22)),
    "B": (date(2026, 2, 14), date(2026, 3, 1)),
    "C": (date(2026, 2, 21), date(2026, 3, 8)),
}
PRINTEMPS = {
    "A": (date(2026, 4, 4), date(2026, 4, 19)),
    "B": (date(2026, 4, 11), date(2026, 4, 26)),
    "C": (date(2026, 4, 18), date(2026, 5, 3)),
}
FERIES_2025_2026 = {
    date(2025, 11, 1): "Toussaint",
    date(2025, 11, 11): "11 novembre",
    date(2025, 12, 25): "Jour de Noël",
    date(2026, 1, 1): "1er janvier",
    date(2026, 4, 6): "Lundi de Pâques",
    date(2026, 5, 1): "1er mai",
    date(2026, 5, 8): "8 mai",
    date(2026, 5, 14): "Ascension",
    date(2026, 5, 25): "Lundi de Pentecôte",
}
JOURS = {"lundi": 0, "mardi": 1, "jeudi": 3, "vendredi": 4}


def _attendues(zone: str, feries=FERIES_2025_2026) -> list[date]:
    """Les dates attendues, calculées sans le paquet des vacances."""
    periodes = [TOUSSAINT, NOEL, HIVER[zone], PRINTEMPS[zone]]
    dates = []
    jour = DEBUT
    while jour <= FIN:
        en_vacances = any(d <= jour <= f for d, f in periodes)
        for creneau in CRENEAUX:
            if JOURS[creneau.jour] == jour.weekday() and not en_vacances and jour not in feries:
                dates.append(jour)
        jour += timedelta(days=1)
    return dates


@pytest.mark.parametrize(
    ("departement", "zone", "nombre", "feries_sautes"),
    [
        # Zone A (Rhône) : le lundi de Pâques tombe pendant les vacances de printemps.
        ("69", "A", 119, ["11 novembre", "1er mai", "8 mai", "Ascension", "Lundi de Pentecôte"]),
        # Zone B (Nord) : le lundi de Pâques est avant les vacances, sauté comme férié.
        (
            "59",
            "B",
            118,
            [
                "11 novembre",
                "Lundi de Pâques",
                "1er mai",
                "8 mai",
                "Ascension",
                "Lundi de Pentecôte",
            ],
        ),
        # Zone C (Paris) : le 1er mai tombe pendant les vacances de printemps.
        (
            "75",
            "C",
            119,
            ["11 novembre", "Lundi de Pâques", "8 mai", "Ascension", "Lundi de Pentecôte"],
        ),
    ],
)
def test_vacances_et_feries_sautes_par_zone(departement, zone, nombre, feries_sautes):
    plan = planifier(CRENEAUX, DEBUT, FIN, departement)

    dates = [s.date for s in plan.seances]
    assert len(dates) == nombre
    assert dates == _attendues(zone)
    assert plan.zone_vacances == zone
    assert plan.avertissement == ""
    # Les quatre vacances, avec les dates de la zone (les vacances d'hiver diffèrent).
    assert [(v.nom, v.debut, v.fin) for v in plan.vacances] == [
        ("Vacances de la Toussaint", *TOUSSAINT),
        ("Vacances de Noël", *NOEL),
        ("Vacances d'hiver", *HIVER[zone]),
        ("Vacances de printemps", *PRINTEMPS[zone]),
    ]
    # Deux semaines de vacances × quatre créneaux sautés à chaque fois.
    assert [v.seances_sautees for v in plan.vacances] == [8, 8, 8, 8]
    assert [f.nom for f in plan.feries_sautes] == feries_sautes
    # Aucune séance pendant les vacances ni un jour férié.
    for jour in dates:
        assert jour not in FERIES_2025_2026
        for v in plan.vacances:
            assert not v.debut <= jour <= v.fin
    # 39 semaines moins 8 semaines de vacances.
    assert semaines_de_fonctionnement(dates) == 31


def test_heure_et_duree_du_creneau_reprises_et_ordre_dans_la_journee():
    creneaux = [Creneau("mercredi", time(14, 0), 120), Creneau("mercredi", time(10, 0), 60)]
    plan = planifier(creneaux, date(2025, 11, 3), date(2025, 11, 9), "59")
    assert [(s.date, s.debut, s.duree_minutes) for s in plan.seances] == [
        (date(2025, 11, 5), time(10, 0), 60),
        (date(2025, 11, 5), time(14, 0), 120),
    ]


def test_hiver_different_selon_la_zone():
    """Semaine du 9 février 2026 : zone A en vacances, zones B et C en classe."""
    creneaux = [Creneau("mardi", time(17, 0), 90)]
    semaine = (date(2026, 2, 9), date(2026, 2, 15))
    assert planifier(creneaux, *semaine, "69").seances == []
    assert [s.date for s in planifier(creneaux, *semaine, "59").seances] == [date(2026, 2, 10)]
    assert [s.date for s in planifier(creneaux, *semaine, "75").seances] == [date(2026, 2, 10)]
    # Semaine du 2 mars : zone C seule en vacances.
    mars = (date(2026, 3, 2), date(2026, 3, 8))
    assert planifier(creneaux, *mars, "75").seances == []
    assert len(planifier(creneaux, *mars, "59").seances) == 1


def test_alsace_moselle_vendredi_saint_et_26_decembre():
    assert zone_jours_feries("57") == zone_jours_feries("67") == zone_jours_feries("68")
    assert zone_jours_feries("67") == "Alsace-Moselle"
    assert zone_jours_feries("59") == "Métropole"
    decembre = (date(2025, 12, 1), date(2025, 12, 31))
    assert jours_feries(*decembre, "Alsace-Moselle")[date(2025, 12, 26)] == "2ème jour de Noël"
    assert date(2025, 12, 26) not in jours_feries(*decembre, "Métropole")

    # Bas-Rhin et Nord ont les mêmes vacances (zone B) : seul le Vendredi saint les sépare.
    bas_rhin = planifier(CRENEAUX, DEBUT, FIN, "67")
    nord = planifier(CRENEAUX, DEBUT, FIN, "59")
    assert len(bas_rhin.seances) == 117
    assert {s.date for s in nord.seances} - {s.date for s in bas_rhin.seances} == {date(2026, 4, 3)}
    assert "Vendredi saint" in [f.nom for f in bas_rhin.feries_sautes]

    # Le 26 décembre hors vacances connues (année 2028-2029, pas encore publiée) : un mardi.
    mardis = [Creneau("mardi", time(17, 0), 90)]
    noel_2028 = (date(2028, 12, 18), date(2029, 1, 5))
    moselle = [s.date for s in planifier(mardis, *noel_2028, "57").seances]
    paris = [s.date for s in planifier(mardis, *noel_2028, "75").seances]
    assert date(2028, 12, 26) in paris
    assert date(2028, 12, 26) not in moselle


def test_annee_pas_encore_publiee_avertit():
    plan = planifier(CRENEAUX, date(2028, 9, 4), date(2029, 6, 15), "59")
    assert plan.avertissement == AVERTISSEMENT_ANNEE_INCONNUE
    assert plan.vacances == []
    assert plan.seances  # générées quand même, jours fériés sautés
    assert date(2028, 11, 1) not in [s.date for s in plan.seances]


@pytest.mark.parametrize(
    ("departement", "zone_feries", "ferie_local"),
    [
        ("974", "La Réunion", date(2025, 12, 20)),
        ("971", "Guadeloupe", date(2026, 5, 27)),
        ("972", "Martinique", date(2026, 5, 22)),
        ("973", "Guyane", date(2026, 6, 10)),
        ("976", "Mayotte", date(2026, 4, 27)),
    ],
)
def test_outre_mer_feries_locaux_et_avertissement(departement, zone_feries, ferie_local):
    tous_les_jours = [
        Creneau(j, time(9, 0), 60)
        for j in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    ]
    plan = planifier(tous_les_jours, DEBUT, FIN, departement)
    assert plan.zone_vacances == "outre_mer"
    assert plan.zone_feries == zone_feries
    assert plan.avertissement == AVERTISSEMENT_VACANCES_INCONNUES
    assert "annulez les séances tombant pendant les vacances" in plan.avertissement
    assert plan.vacances == []
    dates = {s.date for s in plan.seances}
    assert ferie_local not in dates
    # Vacances inconnues : Noël n'est pas sauté, seuls les jours fériés le sont.
    assert date(2025, 12, 22) in dates
    assert date(2025, 12, 25) not in dates


def test_corse_avertissement_jours_feries_seuls():
    plan = planifier(CRENEAUX, DEBUT, FIN, "2A")
    assert plan.zone_vacances == "corse"
    assert plan.avertissement == AVERTISSEMENT_VACANCES_INCONNUES
    # 156 créneaux moins 8 jours fériés tombant un jour de créneau (le 1er novembre est un samedi).
    assert len(plan.seances) == 148
    assert {f.nom for f in plan.feries_sautes} == set(FERIES_2025_2026.values()) - {"Toussaint"}


def test_periode_vide_ou_inversee():
    assert planifier(CRENEAUX, date(2026, 1, 10), date(2026, 1, 1), "59").seances == []
    assert planifier([], DEBUT, FIN, "59").seances == []


# --- Semaines et résumé ----------------------------------------------------------------------


def test_semaines_iso_distinctes():
    # Lundi et vendredi de la même semaine ISO, puis le lundi suivant ; et un dimanche
    # (fin de semaine ISO) avec le lundi qui suit.
    dates = [date(2026, 3, 9), date(2026, 3, 13), date(2026, 3, 16)]
    assert semaines_de_fonctionnement(dates) == 2
    assert semaines_de_fonctionnement([date(2026, 3, 15), date(2026, 3, 16)]) == 2
    # Semaine 1 de 2026 commence le lundi 29 décembre 2025 : même semaine ISO.
    assert semaines_de_fonctionnement([date(2025, 12, 29), date(2026, 1, 2)]) == 1
    assert semaines_de_fonctionnement([]) == 0


def _seance(jour, statut="prevue", duree=90, appel=None, presents=None, inscrits=None, **autres):
    return {
        "date": jour,
        "statut": statut,
        "duree_minutes": duree,
        "appel_fait_le": appel,
        "nombre_presents": presents,
        "nombre_inscrits": inscrits,
        **autres,
    }


def test_resume_semaines_sans_les_annulees_et_taux_de_presence():
    appel = datetime(2026, 1, 1, 18, 0)
    seances = [
        _seance(date(2026, 1, 5), "realisee", appel=appel, presents=9, inscrits=12),
        _seance(date(2026, 1, 8), "realisee", duree=60, appel=appel, presents=10, inscrits=12),
        # Seule séance de sa semaine, annulée : la semaine ne compte pas.
        _seance(date(2026, 1, 13), "annulee"),
        _seance(date(2026, 1, 19)),
    ]
    resume = resumer(seances, semaines_min=30)
    assert (resume.prevues, resume.realisees, resume.annulees) == (1, 2, 1)
    assert resume.semaines == 2
    assert not resume.semaines_suffisantes
    assert resume.semaines_manquantes == 28
    assert resume.minutes_programmees == 240
    assert str(resume.heures_programmees) == "4.00"
    assert str(resume.heures_realisees) == "2.50"
    assert (resume.duree_programmee, resume.duree_realisee) == ("4 h", "2 h 30")
    assert resume.appels == 2
    assert str(resume.taux_presence) == "0.792"  # 19 / 24
    assert resumer([]).taux_presence is None


def test_semaines_requises_viennent_de_l_edition():
    assert calendrier.semaines_requises(CNAF_2019) == CNAF_2019.semaines_min == 30
    assert resumer([]).semaines_requises == CNAF_2019.semaines_min


# --- Régénération ----------------------------------------------------------------------------


@dataclass
class SeanceExistante:
    date: date
    debut: time | None
    origine: str = "calendrier"
    statut: str = "prevue"
    appel_fait_le: datetime | None = None
    date_prevue: date | None = None
    debut_prevu: time | None = None


def test_regenerer_ne_remplace_que_les_seances_prevues_jamais_appelees():
    creneaux = [Creneau("mardi", time(17, 0), 90)]
    plan = planifier(creneaux, date(2026, 1, 5), date(2026, 1, 30), "59")
    assert [s.date for s in plan.seances] == [
        date(2026, 1, 6),
        date(2026, 1, 13),
        date(2026, 1, 20),
        date(2026, 1, 27),
    ]
    a_remplacer = SeanceExistante(date(2026, 1, 6), time(17, 0))
    appelee = SeanceExistante(
        date(2026, 1, 13), time(17, 0), statut="realisee", appel_fait_le=datetime(2026, 1, 13)
    )
    ajoutee = SeanceExistante(date(2026, 1, 14), time(10, 0), origine="ajoutee")
    deplacee = SeanceExistante(date(2026, 1, 21), time(17, 0), date_prevue=date(2026, 1, 20))
    annulee = SeanceExistante(date(2026, 1, 27), time(17, 0), statut="annulee")

    r = regenerer([a_remplacer, appelee, ajoutee, deplacee, annulee], plan)

    assert r.remplacees == [a_remplacer]
    assert r.conservees == [appelee, ajoutee, deplacee, annulee]
    # Le 13 (appel fait), le 20 (jour d'origine de la séance déplacée) et le 27 (annulée)
    # ne sont pas recréés.
    assert [s.date for s in r.nouvelles] == [date(2026, 1, 6)]


def test_regenerer_une_seance_deplacee_ne_bloque_que_sa_place_d_origine():
    """Deux créneaux le même jour : la séance de 14 h déplacée au lendemain ne recrée pas
    celle de 14 h, mais n'empêche pas celle de 17 h du même jour. Sans heure d'origine connue
    (déplacée avant qu'elle soit gardée), tout le jour d'origine reste bloqué."""
    creneaux = [Creneau("mardi", time(14, 0), 60), Creneau("mardi", time(17, 0), 60)]
    plan = planifier(creneaux, date(2026, 1, 5), date(2026, 1, 16), "59")
    assert [(s.date, s.debut) for s in plan.seances] == [
        (date(2026, 1, 6), time(14, 0)),
        (date(2026, 1, 6), time(17, 0)),
        (date(2026, 1, 13), time(14, 0)),
        (date(2026, 1, 13), time(17, 0)),
    ]
    deplacee = SeanceExistante(
        date(2026, 1, 7), time(14, 0), date_prevue=date(2026, 1, 6), debut_prevu=time(14, 0)
    )
    sans_heure_connue = SeanceExistante(
        date(2026, 1, 14), time(14, 0), date_prevue=date(2026, 1, 13)
    )

    r = regenerer([deplacee, sans_heure_connue], plan)

    assert [(s.date, s.debut) for s in r.nouvelles] == [(date(2026, 1, 6), time(17, 0))]
