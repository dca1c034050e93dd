"""Chaque branche de chaque critère, le calendrier scolaire, les montants et les verdicts."""

import copy
import json
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility import calendrier
from eligibility.calendrier import ZONE_PAR_DEPARTEMENT, debut_recommande, zone_du_departement
from eligibility.criteres import (
    CRITERES,
    CRITERES_COLLECTIF,
    CRITERES_DOSSIER,
    STATUTS,
    Contexte,
    format_date,
    format_euros,
    lire_montant,
)
from eligibility.editions import CNAF_2019, EDITIONS, ParametresFinancement
from eligibility.moteur import _verdict_collectif, dumps_evaluation, evaluer, montant_ps

DATA = Path(__file__).parent / "data"
FINANCEMENT = ParametresFinancement(Decimal("0.325"), Decimal("7886.00"))
CONTEXTE = Contexte(2025, "B")


def _dossier() -> dict:
    return json.loads((DATA / "01-eligible-urbain.json").read_text(encoding="utf-8"))


def _collectif(**champs) -> dict:
    """Le collectif éligible de l'exemple 01 ; un champ à None est retiré."""
    collectif = _dossier()["collectifs"][0]
    for cle, valeur in champs.items():
        if valeur is None:
            collectif.pop(cle, None)
        else:
            collectif[cle] = valeur
    return collectif


def _avec(dossier: dict, **champs) -> dict:
    for cle, valeur in champs.items():
        if valeur is None:
            dossier.pop(cle, None)
        else:
            dossier[cle] = valeur
    return dossier


def _evaluer(code: str, donnees: dict, contexte: Contexte = CONTEXTE) -> tuple[str, str]:
    statut, message = CRITERES[code].fonction(donnees, contexte)
    assert statut in STATUTS
    assert message.endswith(".")
    return statut, message


# --- Registre -----------------------------------------------------------------------------------

CODES_DOSSIER = [
    "REPERAGE-ECOLE",
    "CHARTE-LAICITE",
    "CHARTE-GRATUITE",
    "DIAGNOSTIC-SDSF",
    "EXCLUSION-AIDE-DEVOIRS",
    "COORDINATEUR",
    "ENGAGEMENT-BILAN",
    "AXE-ENFANTS",
    "AXE-PARENTS",
    "AXE-ECOLE",
    "AXE-TERRITOIRE",
]
CODES_COLLECTIF = [
    "COLLECTIF-NIVEAU",
    "COLLECTIF-TAILLE",
    "COLLECTIF-LIEU",
    "COLLECTIF-ENCADREMENT",
    "COLLECTIF-REGULARITE",
    "COLLECTIF-DUREE",
    "COLLECTIF-CALENDRIER",
    "COLLECTIF-BUDGET",
]


def _normaliser(texte: str) -> str:
    texte = re.sub(r"<[^>]+>", "", texte.replace("**", "").replace("\\*", "*"))
    return " ".join(texte.split())


REFERENTIEL = (DATA / "referentiel-national-clas-cnaf.md").read_text(encoding="utf-8")
TITRES = {
    _normaliser(ligne.lstrip("#").replace("✓", "").replace("•", "").replace("\\*", ""))
    for ligne in REFERENTIEL.splitlines()
    if ligne.startswith("#")
} | {
    # Les quatre axes et le titre « critères d'animation » sont des puces en gras du texte.
    "Un axe d'intervention auprès des enfants et des jeunes",
    "Un axe d'intervention auprès et avec les parents",
    "Un axe de concertation et de coordination avec l'école",
    "Un axe de concertation et de coordination avec les différents acteurs du territoire",
}


def test_registre_dans_l_ordre_du_catalogue():
    assert [c.code for c in CRITERES_DOSSIER] == CODES_DOSSIER
    assert [c.code for c in CRITERES_COLLECTIF] == CODES_COLLECTIF
    assert list(CRITERES) == CODES_DOSSIER + CODES_COLLECTIF


@pytest.mark.parametrize("code", CODES_DOSSIER + CODES_COLLECTIF)
def test_reference_et_citation_du_referentiel(code):
    critere = CRITERES[code]
    for section in critere.reference.split(" — "):
        assert section in TITRES, section
    texte = _normaliser(REFERENTIEL)
    assert critere.source
    for citation in critere.source.split("\n"):
        assert citation in texte, citation
    regle = critere.regle()
    assert regle and "{" not in regle and "}" not in regle


def test_regle_suit_les_parametres_de_l_edition():
    assert "de 8 à 12 enfants (5 au" in CRITERES["COLLECTIF-TAILLE"].regle()
    assert "de 6 à 12 enfants" in CRITERES["COLLECTIF-TAILLE"].regle(
        replace(CNAF_2019, taille_min=6)
    )
    assert "au plus tard le 15 juin de l'année N+1" in CRITERES["COLLECTIF-CALENDRIER"].regle()
    assert "au plus tard le 30 juin" in CRITERES["COLLECTIF-CALENDRIER"].regle(
        replace(CNAF_2019, fin_recommandee=(6, 30))
    )


def test_edition_cnaf_2019():
    assert EDITIONS == {"cnaf-2019": CNAF_2019}
    assert CNAF_2019.niveaux_diplome == (
        "aucun",
        "cap_bep",
        "bac",
        "bac+2",
        "bac+3",
        "bac+5",
        "bac+8",
    )
    assert CNAF_2019.taux_ps == Decimal("0.325")
    assert CNAF_2019.fin_recommandee == (6, 15)
    assert [len(axe.objectifs) for axe in CNAF_2019.axes] == [5, 5, 3, 1]
    with pytest.raises(KeyError):
        CNAF_2019.axe("inconnu")


def test_le_paquet_n_importe_ni_django_ni_les_autres_applications():
    programme = (
        "import sys, eligibility.moteur, eligibility.editions, eligibility.calendrier\n"
        "interdits = ('django', 'comptes', 'porteurs', 'dossiers', 'collectifs', 'seances',"
        " 'bilans', 'clas_portal')\n"
        "print([m for m in sys.modules if m.split('.')[0] in interdits])"
    )
    sortie = subprocess.run(
        [sys.executable, "-c", programme],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sortie.stdout.strip() == "[]"


# --- Critères booléens du dossier ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "champ", "valeur", "statut", "vu"),
    [
        ("REPERAGE-ECOLE", "reperage_concerte_ecole", True, "conforme", ": oui"),
        ("REPERAGE-ECOLE", "reperage_concerte_ecole", False, "non_conforme", ": non"),
        ("REPERAGE-ECOLE", "reperage_concerte_ecole", None, "manquant", ": non renseigné"),
        ("EXCLUSION-AIDE-DEVOIRS", "aide_aux_devoirs_exclusive", True, "non_conforme", ": oui"),
        ("EXCLUSION-AIDE-DEVOIRS", "aide_aux_devoirs_exclusive", False, "conforme", ": non"),
        ("EXCLUSION-AIDE-DEVOIRS", "aide_aux_devoirs_exclusive", None, "manquant", "renseigné"),
        ("ENGAGEMENT-BILAN", "engagement_bilan", True, "conforme", ": oui"),
        ("ENGAGEMENT-BILAN", "engagement_bilan", False, "non_conforme", ": non"),
        ("ENGAGEMENT-BILAN", "engagement_bilan", None, "manquant", ": non renseigné"),
    ],
)
def test_criteres_booleens(code, champ, valeur, statut, vu):
    obtenu, message = _evaluer(code, _avec(_dossier(), **{champ: valeur}))
    assert obtenu == statut
    assert vu in message
    assert "le référentiel" in message


@pytest.mark.parametrize(
    ("charte", "statut", "vu"),
    [
        ({"laicite_neutralite": True}, "conforme", ": oui"),
        ({"laicite_neutralite": False}, "non_conforme", ": non"),
        ({}, "manquant", ": non renseigné"),
        (None, "manquant", ": non renseigné"),
    ],
)
def test_charte_laicite(charte, statut, vu):
    obtenu, message = _evaluer("CHARTE-LAICITE", _avec(_dossier(), charte=charte))
    assert obtenu == statut
    assert vu in message
    assert "prosélytisme" in message


@pytest.mark.parametrize(
    ("participation", "statut", "vu"),
    [
        (0, "conforme", "0,00 €"),
        (0.0, "conforme", "0,00 €"),
        ("0.00", "conforme", "0,00 €"),
        ("15.50", "a_verifier", "15,50 €"),
        (2, "a_verifier", "2,00 €"),
        (1234.5, "a_verifier", "1 234,50 €"),
    ],
)
def test_charte_gratuite(participation, statut, vu):
    dossier = _avec(_dossier(), charte={"participation_familles_euros": participation})
    obtenu, message = _evaluer("CHARTE-GRATUITE", dossier)
    assert obtenu == statut
    assert vu in message


@pytest.mark.parametrize("charte", [None, {}, {"laicite_neutralite": True}])
def test_charte_gratuite_manquante(charte):
    obtenu, message = _evaluer("CHARTE-GRATUITE", _avec(_dossier(), charte=charte))
    assert obtenu == "manquant"
    assert "n'est pas renseignée" in message


@pytest.mark.parametrize(
    ("diagnostic", "coherence", "statut"),
    [
        ("Diagnostic partagé avec l'école.", True, "conforme"),
        ("Diagnostic partagé avec l'école.", False, "non_conforme"),
        (None, False, "non_conforme"),
        ("   ", False, "non_conforme"),
        (None, True, "manquant"),
        ("", True, "manquant"),
        (" \n\t", True, "manquant"),
        ("Diagnostic partagé avec l'école.", None, "manquant"),
        (None, None, "manquant"),
    ],
)
def test_diagnostic_sdsf(diagnostic, coherence, statut):
    dossier = _avec(_dossier(), diagnostic=diagnostic, coherence_sdsf=coherence)
    obtenu, message = _evaluer("DIAGNOSTIC-SDSF", dossier)
    assert obtenu == statut
    vu_diagnostic = "renseigné" if diagnostic and diagnostic.strip() else "non renseigné"
    assert f"Diagnostic des besoins : {vu_diagnostic} ;" in message
    assert (
        f"cohérence avec le Sdsf : { ({True: 'oui', False: 'non'}.get(coherence, 'non renseigné')) }"
        in message
    )


# --- Coordinateur -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("niveau", "libelle", "statut"),
    [
        ("aucun", "aucun diplôme", "non_conforme"),
        ("cap_bep", "CAP-BEP", "non_conforme"),
        ("bac", "bac", "non_conforme"),
        ("bac+2", "bac+2", "conforme"),
        ("bac+3", "bac+3", "conforme"),
        ("bac+5", "bac+5", "conforme"),
        ("bac+8", "bac+8", "conforme"),
    ],
)
def test_coordinateur_chaque_niveau(niveau, libelle, statut):
    coordinateur = {"niveau_diplome": niveau, "experience_animation_education": True}
    obtenu, message = _evaluer("COORDINATEUR", _avec(_dossier(), coordinateur=coordinateur))
    assert obtenu == statut
    assert f"Niveau de diplôme du coordinateur : {libelle} ;" in message
    assert "bac+2 minimum" in message


@pytest.mark.parametrize(
    ("coordinateur", "statut", "vu"),
    [
        (None, "manquant", "Aucun coordinateur"),
        (
            {},
            "manquant",
            "coordinateur : non renseigné ; expérience d'animation ou d'éducation : non renseigné",
        ),
        ({"niveau_diplome": "bac+3"}, "manquant", "éducation : non renseigné"),
        ({"experience_animation_education": True}, "manquant", "coordinateur : non renseigné"),
        # Le catalogue place « champ absent » avant « niveau insuffisant ».
        ({"niveau_diplome": "bac"}, "manquant", "coordinateur : bac ;"),
        (
            {"niveau_diplome": "bac+5", "experience_animation_education": False},
            "non_conforme",
            "éducation : non ;",
        ),
        (
            {"niveau_diplome": "cap_bep", "experience_animation_education": False},
            "non_conforme",
            "CAP-BEP",
        ),
    ],
)
def test_coordinateur(coordinateur, statut, vu):
    obtenu, message = _evaluer("COORDINATEUR", _avec(_dossier(), coordinateur=coordinateur))
    assert obtenu == statut
    assert vu in message


# --- Axes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "axe"),
    [
        ("AXE-ENFANTS", "enfants"),
        ("AXE-PARENTS", "parents"),
        ("AXE-ECOLE", "ecole"),
        ("AXE-TERRITOIRE", "territoire"),
    ],
)
def test_axe_complet_puis_absent(code, axe):
    objectifs = CNAF_2019.axe(axe).objectifs
    statut, message = _evaluer(code, _dossier())
    assert statut == "conforme"
    assert CNAF_2019.axe(axe).libelle in message

    dossier = _dossier()
    del dossier["actions"][axe]
    statut, message = _evaluer(code, dossier)
    assert statut == "non_conforme"
    for objectif in objectifs:
        assert f"« {objectif.libelle} »" in message
    if len(objectifs) > 1:
        assert f"{len(objectifs)} objectifs sur {len(objectifs)} n'ont pas d'action" in message

    statut, _ = _evaluer(code, _avec(_dossier(), actions=None))
    assert statut == "non_conforme"


def test_axe_textes_vides_listes_par_libelle():
    dossier = _dossier()
    dossier["actions"]["parents"]["convivialite"] = "  \n "
    del dossier["actions"]["parents"]["codes_ecole"]
    dossier["actions"]["enfants"]["entraide"] = ""

    statut, message = _evaluer("AXE-PARENTS", dossier)
    assert statut == "non_conforme"
    assert "2 objectifs sur 5 n'ont pas d'action décrite" in message
    assert "« Mettre en place des temps de convivialité enfants/parents »" in message
    assert (
        "« Informer et accompagner les parents dans leur compréhension des codes de l'école »"
        in message
    )
    assert "Orienter les parents" not in message

    statut, message = _evaluer("AXE-ENFANTS", dossier)
    assert statut == "non_conforme"
    assert "1 objectif sur 5 n'a pas d'action décrite" in message
    assert (
        "« Mettre en valeur leurs compétences en valorisant l'entraide au sein du groupe Clas »"
        in message
    )


def test_axe_territoire_vide():
    dossier = _dossier()
    dossier["actions"]["territoire"]["partenariat_local"] = " "
    statut, message = _evaluer("AXE-TERRITOIRE", dossier)
    assert statut == "non_conforme"
    assert "« Être en relation avec d'autres associations ou partenaires du secteur »" in message


# --- Collectif : niveau, taille, lieu ---------------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "statut", "vu"),
    [
        (None, "manquant", "ne sont pas renseignées"),
        ([], "manquant", "ne sont pas renseignées"),
        (["CP", "Tle"], "conforme", "Classes du collectif : CP, Tle ;"),
        (["6e", "5e", "4e", "3e"], "conforme", "6e, 5e, 4e, 3e"),
        (["GS", "CP"], "non_conforme", "dont hors du champ : GS ;"),
        (["PS"], "non_conforme", "hors du champ : PS"),
        (["MS", "CE1"], "non_conforme", "hors du champ : MS"),
    ],
)
def test_collectif_niveau(classes, statut, vu):
    obtenu, message = _evaluer("COLLECTIF-NIVEAU", _collectif(classes=classes))
    assert obtenu == statut
    assert vu in message
    assert "du CP au lycée (CP à Tle)" in message


@pytest.mark.parametrize(
    ("nombre", "rural", "statut"),
    [
        (7, False, "non_conforme"),
        (8, False, "conforme"),
        (12, False, "conforme"),
        (13, False, "non_conforme"),
        (5, False, "non_conforme"),
        (5, None, "non_conforme"),  # rural absent vaut faux
        (4, True, "non_conforme"),
        (5, True, "conforme"),
        (7, True, "conforme"),
        (12, True, "conforme"),
        (13, True, "non_conforme"),
        (0, False, "non_conforme"),
    ],
)
def test_collectif_taille(nombre, rural, statut):
    obtenu, message = _evaluer("COLLECTIF-TAILLE", _collectif(nombre_enfants=nombre, rural=rural))
    assert obtenu == statut
    assert f"compte {nombre} enfant" in message
    if rural:
        assert "de 5 à 12 enfants en milieu rural" in message
    else:
        assert "de 8 à 12 enfants (5 au minimum en milieu rural)" in message


def test_collectif_taille_message_du_catalogue():
    _, message = _evaluer("COLLECTIF-TAILLE", _collectif(nombre_enfants=6))
    assert message == (
        "Le collectif compte 6 enfants ; le référentiel demande de 8 à 12 enfants (5 au minimum "
        "en milieu rural)."
    )
    _, message = _evaluer("COLLECTIF-TAILLE", _collectif(nombre_enfants=1))
    assert "compte 1 enfant ;" in message


@pytest.mark.parametrize("rural", [True, False])
def test_collectif_taille_manquante(rural):
    statut, message = _evaluer("COLLECTIF-TAILLE", _collectif(nombre_enfants=None, rural=rural))
    assert statut == "manquant"
    assert "n'est pas renseigné" in message


@pytest.mark.parametrize(
    ("unique", "accessible", "statut"),
    [
        (True, True, "conforme"),
        (True, False, "non_conforme"),
        (False, True, "non_conforme"),
        (False, None, "non_conforme"),
        (None, False, "non_conforme"),
        (True, None, "manquant"),
        (None, True, "manquant"),
        (None, None, "manquant"),
    ],
)
def test_collectif_lieu(unique, accessible, statut):
    lieu = {"nom": "Salle"}
    if unique is not None:
        lieu["lieu_unique"] = unique
    if accessible is not None:
        lieu["accessible_parents"] = accessible
    obtenu, message = _evaluer("COLLECTIF-LIEU", _collectif(lieu=lieu))
    assert obtenu == statut
    noms = {True: "oui", False: "non", None: "non renseigné"}
    assert f"Même lieu toute l'année : {noms[unique]} ;" in message
    assert f"accessible aux parents : {noms[accessible]} ;" in message


def test_collectif_lieu_absent():
    assert _evaluer("COLLECTIF-LIEU", _collectif(lieu=None))[0] == "manquant"


# --- Collectif : encadrement, régularité, durée -----------------------------------------------


@pytest.mark.parametrize(
    ("intervenants", "rural", "nombre", "statut", "vu"),
    [
        (None, False, 10, "manquant", "n'est pas renseigné"),
        (None, True, 6, "manquant", "n'est pas renseigné"),
        (2, False, 10, "conforme", "encadré par 2 intervenants"),
        (3, True, None, "conforme", "encadré par 3 intervenants"),
        (1, False, 10, "non_conforme", "hors milieu rural, est encadré par 1 intervenant"),
        (1, False, 6, "non_conforme", "encadré par 1 intervenant"),
        (1, None, 6, "non_conforme", "hors milieu rural"),
        (1, True, 7, "conforme", "compte 7 enfants et est encadré par 1 intervenant"),
        (1, True, 5, "conforme", "compte 5 enfants"),
        (1, True, 8, "non_conforme", "compte 8 enfants et est encadré par 1 intervenant"),
        (1, True, 12, "non_conforme", "compte 12 enfants"),
        (1, True, None, "manquant", "son nombre d'enfants n'est pas renseigné"),
        (0, True, 5, "non_conforme", "encadré par 0 intervenant"),
        (0, False, 10, "non_conforme", "encadré par 0 intervenant"),
    ],
)
def test_collectif_encadrement(intervenants, rural, nombre, statut, vu):
    collectif = _collectif(intervenants=intervenants, rural=rural, nombre_enfants=nombre)
    obtenu, message = _evaluer("COLLECTIF-ENCADREMENT", collectif)
    assert obtenu == statut
    assert vu in message
    assert "au moins 2 intervenants (1 en milieu rural pour un collectif de moins de 8" in message


def _creneaux(*durees, jour="lundi"):
    return [{"jour": jour, "debut": "17:00", "duree_minutes": d} for d in durees]


@pytest.mark.parametrize(
    ("creneaux", "rural", "statut", "vu"),
    [
        (None, False, "manquant", "ne sont pas renseignés"),
        ([], True, "manquant", "ne sont pas renseignés"),
        (_creneaux(60, 60), False, "conforme", "lundi 60 min, lundi 60 min, dont 2 d'au moins"),
        (_creneaux(60, 59), False, "non_conforme", "dont 1 d'au moins 60 minutes"),
        (_creneaux(59, 59, 59), False, "non_conforme", "dont 0 d'au moins 60 minutes"),
        (_creneaux(30, 90, 45), False, "non_conforme", "lundi 30 min, lundi 90 min, lundi 45"),
        (_creneaux(90, 90, 90), False, "conforme", "dont 3 d'au moins"),
        (_creneaux(120), False, "non_conforme", "lundi 120 min, dont 1"),
        (_creneaux(120), None, "non_conforme", "lundi 120 min"),
        (_creneaux(120), True, "conforme", ", en milieu rural : lundi 120 min"),
        (_creneaux(119), True, "non_conforme", "lundi 119 min"),
        (_creneaux(45, 119), True, "non_conforme", "dont 1 d'au moins"),
        (_creneaux(30, 150), True, "conforme", "lundi 150 min"),
        (_creneaux(60, 60), True, "conforme", "dont 2"),
        (_creneaux(60, jour="mercredi"), True, "non_conforme", "mercredi 60 min"),
    ],
)
def test_collectif_regularite(creneaux, rural, statut, vu):
    obtenu, message = _evaluer("COLLECTIF-REGULARITE", _collectif(creneaux=creneaux, rural=rural))
    assert obtenu == statut
    assert vu in message
    assert "2 séances hebdomadaires d'au moins 60 minutes" in message
    assert "120 minutes consécutives" in message


@pytest.mark.parametrize(
    ("semaines", "statut", "vu"),
    [
        (29, "non_conforme", "fonctionne 29 semaines"),
        (30, "conforme", "fonctionne 30 semaines"),
        (53, "conforme", "fonctionne 53 semaines"),
        (0, "non_conforme", "fonctionne 0 semaine"),
        (1, "non_conforme", "fonctionne 1 semaine ;"),
        (None, "manquant", "n'est pas renseigné"),
    ],
)
def test_collectif_duree(semaines, statut, vu):
    obtenu, message = _evaluer("COLLECTIF-DUREE", _collectif(semaines_fonctionnement=semaines))
    assert obtenu == statut
    assert vu in message
    assert "au moins 30 semaines" in message


# --- Calendrier scolaire ----------------------------------------------------------------------


def test_table_des_zones_couvre_les_101_departements():
    attendus = {f"{n:02d}" for n in range(1, 96) if n != 20}
    attendus |= {"2A", "2B", "971", "972", "973", "974", "976"}
    assert set(ZONE_PAR_DEPARTEMENT) == attendus
    assert len(ZONE_PAR_DEPARTEMENT) == 101
    compte = {z: list(ZONE_PAR_DEPARTEMENT.values()).count(z) for z in ("A", "B", "C")}
    assert compte == {"A": 32, "B": 41, "C": 21}


@pytest.mark.parametrize(
    ("departement", "zone"),
    [
        ("59", "B"),
        ("23", "A"),
        ("69", "A"),
        ("33", "A"),
        ("75", "C"),
        ("93", "C"),
        ("31", "C"),
        ("13", "B"),
        ("67", "B"),
        ("76", "B"),
        ("90", "A"),
        ("2A", "corse"),
        ("2B", "corse"),
        ("971", "outre_mer"),
        ("976", "outre_mer"),
        ("975", "outre_mer"),
        ("20", None),
        ("00", None),
    ],
)
def test_zone_du_departement(departement, zone):
    assert zone_du_departement(departement) == zone


@pytest.mark.parametrize("zone", ["A", "B", "C"])
def test_debut_recommande_lu_dans_le_calendrier_officiel(zone):
    assert debut_recommande(2025, zone) == date(2025, 11, 3)
    assert debut_recommande(2026, zone) == date(2026, 11, 2)
    assert debut_recommande(2025, zone).weekday() == 0


@pytest.mark.parametrize(
    ("annee", "zone"),
    [(2025, "corse"), (2025, "outre_mer"), (2025, None), (2025, "Z"), (2099, "A"), (1900, "B")],
)
def test_debut_recommande_inconnu(annee, zone):
    assert debut_recommande(annee, zone) is None


def test_debut_recommande_saute_le_week_end(monkeypatch):
    class CalendrierFactice:
        def holidays_for_year_zone_and_name(self, annee, zone, nom):
            assert nom == "Vacances de la Toussaint"
            # Vacances finissant un vendredi : la classe reprend le lundi.
            return {date(annee, 10, 24): {}, date(annee, 10, 31): {}}

    monkeypatch.setattr(calendrier, "_dates_vacances", CalendrierFactice)
    debut_recommande.cache_clear()
    try:
        assert debut_recommande(2025, "A") == date(2025, 11, 3)
    finally:
        debut_recommande.cache_clear()


def test_debut_recommande_sans_vacances_connues(monkeypatch):
    class CalendrierVide:
        def holidays_for_year_zone_and_name(self, annee, zone, nom):
            return {}

    monkeypatch.setattr(calendrier, "_dates_vacances", CalendrierVide)
    debut_recommande.cache_clear()
    try:
        assert debut_recommande(2025, "A") is None
    finally:
        debut_recommande.cache_clear()


def test_contexte():
    contexte = Contexte(2025, "C")
    assert contexte.debut_recommande == date(2025, 11, 3)
    assert contexte.fin_recommandee == date(2026, 6, 15)
    assert contexte.edition is CNAF_2019


def _calendrier(debut, fin, contexte=CONTEXTE):
    return _evaluer("COLLECTIF-CALENDRIER", _collectif(date_debut=debut, date_fin=fin), contexte)


@pytest.mark.parametrize(
    ("debut", "fin", "statut", "vus"),
    [
        (None, None, "sans_objet", ["début du collectif : non renseignée", "fin : non renseignée"]),
        ("2025-11-03", "2026-06-15", "conforme", ["3 novembre 2025", "15 juin 2026"]),
        ("2025-11-04", "2026-06-12", "conforme", ["4 novembre 2025", "12 juin 2026"]),
        (
            "2025-11-02",
            "2026-06-15",
            "recommandation",
            ["2 novembre 2025", "le démarrage est antérieur à la date préconisée."],
        ),
        ("2025-09-01", None, "recommandation", ["1er septembre 2025", "fin : non renseignée"]),
        ("2025-11-03", None, "conforme", ["3 novembre 2025"]),
        (None, "2026-06-15", "conforme", ["15 juin 2026"]),
        (
            None,
            "2026-06-16",
            "recommandation",
            ["16 juin 2026", "la fin est postérieure à la date préconisée."],
        ),
        (
            "2025-11-12",
            "2026-07-03",
            "recommandation",
            ["3 juillet 2026", "la fin est postérieure"],
        ),
        (
            "2025-10-20",
            "2026-06-30",
            "recommandation",
            ["le démarrage est antérieur à la date préconisée et la fin est postérieure"],
        ),
    ],
)
def test_collectif_calendrier_zone_b(debut, fin, statut, vus):
    obtenu, message = _calendrier(debut, fin)
    assert obtenu == statut
    for vu in vus:
        assert vu in message
    assert "à partir du 3 novembre 2025 dans la zone B" in message
    assert "au plus tard le 15 juin 2026" in message
    assert ("Recommandation non suivie" in message) == (statut == "recommandation")


@pytest.mark.parametrize(("zone", "nom"), [("outre_mer", "l'outre-mer"), ("corse", "la Corse")])
def test_collectif_calendrier_fin_seule_hors_metropole(zone, nom):
    contexte = Contexte(2025, zone)
    statut, message = _calendrier("2025-08-20", "2026-06-10", contexte)
    assert statut == "conforme"
    assert "20 août 2025" in message
    assert (
        f"le démarrage n'a pas pu être vérifié, les vacances de la Toussaint 2025 n'étant pas connues pour {nom}"
        in message
    )

    statut, message = _calendrier("2025-08-20", "2026-06-20", contexte)
    assert statut == "recommandation"
    assert "la fin est postérieure" in message
    assert "démarrage est antérieur" not in message

    statut, message = _calendrier("2025-08-20", None, contexte)
    assert statut == "sans_objet"
    assert "n'a pas pu être vérifié" in message


@pytest.mark.parametrize(("departement", "nom"), [("971", "l'outre-mer"), ("2A", "la Corse")])
def test_calendrier_par_le_moteur_hors_metropole(departement, nom):
    dossier = _avec(_dossier(), departement=departement)
    dossier["collectifs"][0]["date_debut"] = "2025-09-15"
    critere = evaluer(dossier, FINANCEMENT)["collectifs"][0]["criteres"][6]
    assert critere["code"] == "COLLECTIF-CALENDRIER"
    assert critere["statut"] == "conforme"
    assert nom in critere["message"]


def test_collectif_calendrier_annee_2026_2027():
    contexte = Contexte(2026, "A")
    assert _calendrier("2026-11-02", "2027-06-15", contexte)[0] == "conforme"
    statut, message = _calendrier("2026-10-30", "2027-06-11", contexte)
    assert statut == "recommandation"
    assert "à partir du 2 novembre 2026 dans la zone A" in message
    assert "au plus tard le 15 juin 2027" in message

    dossier = _avec(_dossier(), annee_scolaire="2026-2027", departement="69")
    dossier["collectifs"][0].update(date_debut="2026-11-02", date_fin="2027-06-15")
    assert evaluer(dossier)["collectifs"][0]["criteres"][6]["statut"] == "conforme"


def test_collectif_calendrier_annee_absente_du_calendrier():
    contexte = Contexte(2040, "A")
    assert contexte.debut_recommande is None
    statut, message = _calendrier("2040-09-03", "2041-06-14", contexte)
    assert statut == "conforme"
    assert "vacances de la Toussaint 2040 n'étant pas connues pour la zone A" in message
    assert _calendrier("2040-09-03", "2041-06-16", contexte)[0] == "recommandation"


def test_collectif_calendrier_date_illisible():
    statut, message = _calendrier("2025-13-01", None)
    assert statut == "sans_objet"
    assert "illisible (« 2025-13-01 »)" in message


# --- Budget et montants -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depenses", "statut", "vu"),
    [
        (None, "manquant", "ne sont pas renseignées"),
        (0, "non_conforme", "0,00 €"),
        ("0.00", "non_conforme", "0,00 €"),
        ("9000.00", "conforme", "9 000,00 €"),
        (5000, "conforme", "5 000,00 €"),
        (999.5, "conforme", "999,50 €"),
        ("1234567.8", "conforme", "1 234 567,80 €"),
    ],
)
def test_collectif_budget(depenses, statut, vu):
    obtenu, message = _evaluer("COLLECTIF-BUDGET", _collectif(depenses_fonctionnement=depenses))
    assert obtenu == statut
    assert vu in message


def test_lire_et_formater_les_montants():
    assert lire_montant("9000.00") == Decimal("9000.00")
    assert lire_montant(0.1) == Decimal("0.1")  # jamais la valeur binaire du float
    assert lire_montant(None) is None
    assert lire_montant("n'importe quoi") is None
    assert format_euros(Decimal("9000")) == "9 000,00 €"
    assert format_euros(Decimal("0.005")) == "0,01 €"
    assert format_euros(Decimal("123")) == "123,00 €"
    assert format_date(date(2026, 6, 1)) == "1er juin 2026"


TAUX = Decimal("0.325")
PLAFOND = Decimal("7886.00")


@pytest.mark.parametrize(
    ("depenses", "attendu"),
    [
        ("5000", "1625.00"),
        ("10000", "2562.95"),
        ("7885.99", "2562.95"),  # 2562.946 75
        ("7886", "2562.95"),
        ("7886.00", "2562.95"),
        ("7886.01", "2562.95"),  # plafonné
        ("7885.00", "2562.63"),  # 2562.625 : demi au-dessus (l'arrondi bancaire donnerait .62)
        ("7884.00", "2562.30"),
        ("1", "0.33"),  # 0.325
        ("3", "0.98"),  # 0.975
        ("0.01", "0.00"),  # 0.00325
        ("0.02", "0.01"),  # 0.0065
    ],
)
def test_montant_ps_plafond_et_arrondi(depenses, attendu):
    assert str(montant_ps(Decimal(depenses), TAUX, PLAFOND)) == attendu


@pytest.mark.parametrize(
    ("depenses", "attendu"),
    [(7885.99, "2562.95"), ("7886", "2562.95"), (7886.01, "2562.95"), (7885, "2562.63"),
     ("1.00", "0.33"), (0.5, "0.16")],
)  # fmt: skip
def test_montant_ps_par_le_moteur(depenses, attendu):
    dossier = _dossier()
    dossier["collectifs"][0]["depenses_fonctionnement"] = depenses
    resultat = evaluer(dossier, FINANCEMENT)
    assert resultat["collectifs"][0]["montant_ps"] == attendu
    assert resultat["montant_ps_total"] == attendu


def test_montant_ps_incalculable():
    assert montant_ps(None, TAUX, PLAFOND) is None
    assert montant_ps(Decimal("5000"), TAUX, None) is None


def _dossier_deux_collectifs(depenses_1, depenses_2) -> dict:
    dossier = _dossier()
    second = copy.deepcopy(dossier["collectifs"][0])
    second["nom"] = "Second collectif"
    dossier["collectifs"].append(second)
    for collectif, depenses in zip(dossier["collectifs"], (depenses_1, depenses_2), strict=True):
        if depenses is None:
            del collectif["depenses_fonctionnement"]
        else:
            collectif["depenses_fonctionnement"] = depenses
    return dossier


def test_total_somme_des_collectifs():
    resultat = evaluer(_dossier_deux_collectifs(5000, "10000.00"), FINANCEMENT)
    assert resultat["verdict"] == "eligible"
    assert [c["montant_ps"] for c in resultat["collectifs"]] == ["1625.00", "2562.95"]
    assert resultat["montant_ps_total"] == "4187.95"


def test_total_inconnu_si_un_collectif_retenu_n_a_pas_de_montant():
    resultat = evaluer(_dossier_deux_collectifs(5000, None), FINANCEMENT)
    assert resultat["verdict"] == "incomplet"
    assert [c["verdict"] for c in resultat["collectifs"]] == ["eligible", "incomplet"]
    assert [c["montant_ps"] for c in resultat["collectifs"]] == ["1625.00", None]
    assert resultat["montant_ps_total"] is None


def test_collectif_non_eligible_vaut_zero_meme_sans_plafond():
    dossier = _dossier_deux_collectifs(5000, 5000)
    dossier["collectifs"][1]["nombre_enfants"] = 20
    resultat = evaluer(dossier)
    assert [c["montant_ps"] for c in resultat["collectifs"]] == [None, "0.00"]
    assert resultat["montant_ps_total"] is None
    resultat = evaluer(dossier, FINANCEMENT)
    assert [c["montant_ps"] for c in resultat["collectifs"]] == ["1625.00", "0.00"]
    assert resultat["montant_ps_total"] == "1625.00"


def test_total_nul_si_dossier_non_eligible():
    dossier = _avec(_dossier(), reperage_concerte_ecole=False)
    resultat = evaluer(dossier, FINANCEMENT)
    assert resultat["verdict"] == "non_eligible"
    assert resultat["collectifs"][0]["montant_ps"] == "2562.95"
    assert resultat["montant_ps_total"] == "0.00"


def test_parametres_lus_en_base_a_quatre_decimales():
    financement = ParametresFinancement(Decimal("0.3250"), Decimal("7886"))
    resultat = evaluer(_dossier(), financement)
    assert resultat["parametres"] == {"taux_ps": "0.325", "prix_plafond": "7886.00"}
    assert resultat["montant_ps_total"] == "2562.95"


def test_parametres_de_financement():
    financement = ParametresFinancement(Decimal("0.5"), Decimal("7886"))
    resultat = evaluer(_avec(_dossier()), financement)
    assert resultat["parametres"] == {"taux_ps": "0.5", "prix_plafond": "7886.00"}
    assert resultat["collectifs"][0]["montant_ps"] == "3943.00"
    assert resultat["montant_ps_total"] == "3943.00"


# --- Verdicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuts", "verdict"),
    [
        ({"conforme", "non_conforme", "manquant", "a_verifier"}, "non_eligible"),
        ({"conforme", "manquant", "a_verifier"}, "incomplet"),
        ({"conforme", "a_verifier", "recommandation"}, "a_verifier"),
        ({"conforme", "recommandation", "sans_objet"}, "eligible"),
    ],
)
def test_verdict_collectif(statuts, verdict):
    assert _verdict_collectif(statuts) == verdict


def test_verdict_dossier_sans_collectif():
    resultat = evaluer(_avec(_dossier(), collectifs=[]), FINANCEMENT)
    assert resultat["verdict"] == "non_eligible"
    assert resultat["collectifs"] == []
    assert resultat["montant_ps_total"] == "0.00"


def test_verdict_dossier_tous_collectifs_non_eligibles():
    dossier = _dossier_deux_collectifs(5000, 5000)
    for collectif in dossier["collectifs"]:
        collectif["semaines_fonctionnement"] = 10
    resultat = evaluer(dossier, FINANCEMENT)
    assert resultat["verdict"] == "non_eligible"
    assert resultat["montant_ps_total"] == "0.00"


def test_verdict_dossier_a_verifier_puis_incomplet():
    dossier = _avec(
        _dossier(), charte={"laicite_neutralite": True, "participation_familles_euros": "10"}
    )
    assert evaluer(dossier, FINANCEMENT)["verdict"] == "a_verifier"
    del dossier["engagement_bilan"]
    assert evaluer(dossier, FINANCEMENT)["verdict"] == "incomplet"
    dossier["collectifs"][0]["nombre_enfants"] = 3
    assert evaluer(dossier, FINANCEMENT)["verdict"] == "non_eligible"


def test_verdict_dossier_collectif_incomplet():
    dossier = _dossier()
    del dossier["collectifs"][0]["intervenants"]
    resultat = evaluer(dossier, FINANCEMENT)
    assert resultat["collectifs"][0]["verdict"] == "incomplet"
    assert resultat["verdict"] == "incomplet"


def test_verdict_eligible_malgre_une_recommandation():
    dossier = _dossier()
    dossier["collectifs"][0]["date_fin"] = "2026-07-03"
    resultat = evaluer(dossier, FINANCEMENT)
    assert resultat["collectifs"][0]["criteres"][6]["statut"] == "recommandation"
    assert resultat["verdict"] == "eligible"


# --- Sortie -----------------------------------------------------------------------------------


def test_nom_absent_et_index():
    dossier = _dossier_deux_collectifs(5000, 5000)
    del dossier["collectifs"][1]["nom"]
    resultat = evaluer(dossier, FINANCEMENT)
    assert [(c["index"], c["nom"]) for c in resultat["collectifs"]] == [
        (0, "CM1-CM2 mardi et jeudi"),
        (1, None),
    ]


def test_evaluer_ne_modifie_pas_le_dossier():
    dossier = _dossier_deux_collectifs(5000, None)
    avant = copy.deepcopy(dossier)
    evaluer(dossier, FINANCEMENT)
    assert dossier == avant


def test_dumps_evaluation_deterministe_et_lisible():
    dossier = _dossier()
    texte = dumps_evaluation(evaluer(dossier, FINANCEMENT))
    melange = json.loads(json.dumps(dossier, sort_keys=True))
    assert dumps_evaluation(evaluer(melange, FINANCEMENT)) == texte
    assert "\\u" not in texte
    assert "9 000,00 €" in texte
