"""Propriétés du moteur sur des dossiers générés (hypothesis), de la forme du schéma
`clas-dossier/1` : chaque champ facultatif présent ou absent, 1 à 3 collectifs."""

import copy
import json
import random
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.calendrier import ZONE_PAR_DEPARTEMENT
from eligibility.criteres import CRITERES_COLLECTIF, CRITERES_DOSSIER, STATUTS
from eligibility.editions import CNAF_2019, ParametresFinancement
from eligibility.moteur import dumps_evaluation, evaluer

SCHEMA = json.loads((Path(__file__).parent / "data" / "dossier.schema.json").read_text("utf-8"))
VALIDATEUR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
REGLAGES = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
MONTANT = re.compile(r"^[0-9]+\.[0-9]{2}$")

CLASSES = [
    "PS",
    "MS",
    "GS",
    "CP",
    "CE1",
    "CE2",
    "CM1",
    "CM2",
    "6e",
    "5e",
    "4e",
    "3e",
    "2nde",
    "1re",
    "Tle",
]
JOURS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
NIVEAUX = list(CNAF_2019.niveaux_diplome)

textes = st.sampled_from(["", "   ", "\n", "Action décrite.", "Sortie à la médiathèque."])
montants = st.one_of(
    st.integers(0, 20_000),
    st.decimals(min_value=0, max_value=20_000, places=2).map(str),
    st.sampled_from(["0", "0.00", "7885.99", "7886", "7886.01", "1", "3.00"]),
    st.floats(min_value=0, max_value=20_000, allow_nan=False, allow_infinity=False),
)
petits = st.one_of(st.integers(0, 15), st.integers(0, 500))
dates = st.dates(date(2025, 8, 1), date(2027, 8, 31)).map(date.isoformat)

creneau = st.fixed_dictionaries(
    {
        "jour": st.sampled_from(JOURS),
        "duree_minutes": st.one_of(st.sampled_from([59, 60, 119, 120]), st.integers(1, 600)),
    },
    optional={"debut": st.sampled_from(["16:45", "17:00"])},
)
collectif = st.fixed_dictionaries(
    {},
    optional={
        "nom": st.text(max_size=8),
        "classes": st.lists(st.sampled_from(CLASSES), unique=True, max_size=4),
        "nombre_enfants": st.one_of(st.integers(0, 15), st.integers(0, 500)),
        "rural": st.booleans(),
        "lieu": st.fixed_dictionaries(
            {},
            optional={
                "nom": st.text(max_size=5),
                "lieu_unique": st.booleans(),
                "accessible_parents": st.booleans(),
            },
        ),
        "intervenants": st.one_of(st.integers(0, 3), st.integers(0, 100)),
        "creneaux": st.lists(creneau, max_size=4),
        "semaines_fonctionnement": st.integers(0, 53),
        "date_debut": dates,
        "date_fin": dates,
        "depenses_fonctionnement": montants,
    },
)


def _axe(cle: str):
    return st.fixed_dictionaries({}, optional={o.cle: textes for o in CNAF_2019.axe(cle).objectifs})


dossiers = st.fixed_dictionaries(
    {
        "format": st.just("clas-dossier/1"),
        "annee_scolaire": st.sampled_from(["2025-2026", "2026-2027", "2040-2041"]),
        "departement": st.sampled_from(sorted(ZONE_PAR_DEPARTEMENT) + ["975"]),
        "collectifs": st.lists(collectif, min_size=1, max_size=3),
    },
    optional={
        "reference": st.just("CLAS-2025-001"),
        "renouvellement": st.booleans(),
        "reperage_concerte_ecole": st.booleans(),
        "aide_aux_devoirs_exclusive": st.booleans(),
        "diagnostic": textes,
        "coherence_sdsf": st.booleans(),
        "charte": st.fixed_dictionaries(
            {},
            optional={
                "laicite_neutralite": st.booleans(),
                "participation_familles_euros": montants,
            },
        ),
        "engagement_bilan": st.booleans(),
        "coordinateur": st.fixed_dictionaries(
            {},
            optional={
                "nom": st.just("C."),
                "niveau_diplome": st.sampled_from(NIVEAUX),
                "experience_animation_education": st.booleans(),
            },
        ),
        "actions": st.fixed_dictionaries(
            {}, optional={axe.cle: _axe(axe.cle) for axe in CNAF_2019.axes}
        ),
    },
)
financements = st.builds(
    ParametresFinancement,
    taux_ps=st.sampled_from([Decimal("0.325"), Decimal("0.3"), Decimal("0.5")]),
    prix_plafond=st.one_of(
        st.none(), st.just(Decimal("7886.00")), st.decimals(min_value=1, max_value=20_000, places=2)
    ),
)

# Champs que le schéma exige : on ne les retire jamais.
REQUIS = {
    (): {"format", "annee_scolaire", "departement", "collectifs"},
    ("creneaux", "*"): {"jour", "duree_minutes"},
}


def _melanger(valeur, rng: random.Random):
    """Copie profonde dont chaque dictionnaire a ses clés dans un autre ordre."""
    if isinstance(valeur, dict):
        cles = list(valeur)
        rng.shuffle(cles)
        return {cle: _melanger(valeur[cle], rng) for cle in cles}
    if isinstance(valeur, list):
        return [_melanger(v, rng) for v in valeur]
    return valeur


def _chemins(valeur, chemin=(), forme=()):
    """Chemins de tous les champs facultatifs (clés de dictionnaires), à toute profondeur."""
    if isinstance(valeur, dict):
        requis = REQUIS.get(forme[-2:] if forme[-2:] == ("creneaux", "*") else forme, set())
        for cle, sous_valeur in valeur.items():
            if cle not in requis:
                yield (*chemin, cle)
            yield from _chemins(sous_valeur, (*chemin, cle), (*forme, cle))
    elif isinstance(valeur, list):
        for index, element in enumerate(valeur):
            yield from _chemins(element, (*chemin, index), (*forme, "*"))


def _sans(dossier: dict, chemin: tuple) -> dict:
    copie = copy.deepcopy(dossier)
    parent = copie
    for etape in chemin[:-1]:
        parent = parent[etape]
    del parent[chemin[-1]]
    return copie


def _statuts(resultat: dict) -> dict:
    statuts = {("dossier", c["code"]): c["statut"] for c in resultat["criteres"]}
    for collectif in resultat["collectifs"]:
        for c in collectif["criteres"]:
            statuts[(collectif["index"], c["code"])] = c["statut"]
    return statuts


@settings(REGLAGES, max_examples=100)
@given(dossiers)
def test_les_dossiers_generes_sont_valides_au_schema(dossier):
    assert list(VALIDATEUR.iter_errors(dossier)) == []


@REGLAGES
@given(dossiers, financements, st.integers(0, 2**32))
def test_meme_entree_meme_sortie_octet_pour_octet(dossier, financement, graine):
    texte = dumps_evaluation(evaluer(dossier, financement))
    assert dumps_evaluation(evaluer(dossier, financement)) == texte
    melange = _melanger(dossier, random.Random(graine))
    assert dumps_evaluation(evaluer(melange, financement)) == texte


@REGLAGES
@given(dossiers, financements)
def test_montants(dossier, financement):
    resultat = evaluer(dossier, financement)
    maximum = (
        None if financement.prix_plafond is None else financement.taux_ps * financement.prix_plafond
    )
    total = Decimal("0")
    for collectif in resultat["collectifs"]:
        montant = collectif["montant_ps"]
        if collectif["verdict"] == "non_eligible":
            assert montant == "0.00"
            continue
        if maximum is None:
            assert montant is None
            continue
        if montant is None:
            assert "depenses_fonctionnement" not in dossier["collectifs"][collectif["index"]]
            continue
        assert MONTANT.match(montant)
        assert Decimal(0) <= Decimal(montant) <= maximum.quantize(Decimal("0.01"), "ROUND_HALF_UP")
        total += Decimal(montant)

    montants = [c["montant_ps"] for c in resultat["collectifs"]]
    if resultat["verdict"] == "non_eligible":
        assert resultat["montant_ps_total"] == "0.00"
    elif None in montants:
        assert resultat["montant_ps_total"] is None
    else:
        assert resultat["montant_ps_total"] == str(total.quantize(Decimal("0.01")))
    assert resultat["parametres"]["taux_ps"] == str(financement.taux_ps)


@REGLAGES
@given(dossiers)
def test_verdicts_coherents_avec_les_statuts(dossier):
    resultat = evaluer(dossier)
    assert [c["code"] for c in resultat["criteres"]] == [c.code for c in CRITERES_DOSSIER]
    verdicts_retenus = []
    for collectif in resultat["collectifs"]:
        assert [c["code"] for c in collectif["criteres"]] == [c.code for c in CRITERES_COLLECTIF]
        statuts = {c["statut"] for c in collectif["criteres"]}
        assert statuts <= set(STATUTS)
        assert all(c["message"] and c["reference"] for c in collectif["criteres"])
        if "non_conforme" in statuts:
            assert collectif["verdict"] == "non_eligible"
        elif "manquant" in statuts:
            assert collectif["verdict"] == "incomplet"
        elif "a_verifier" in statuts:
            assert collectif["verdict"] == "a_verifier"
        else:
            assert collectif["verdict"] == "eligible"
        if collectif["verdict"] != "non_eligible":
            verdicts_retenus.append(collectif["verdict"])

    statuts = {c["statut"] for c in resultat["criteres"]}
    assert statuts <= set(STATUTS)
    if "non_conforme" in statuts or not verdicts_retenus:
        attendu = "non_eligible"
    elif "manquant" in statuts or "incomplet" in verdicts_retenus:
        attendu = "incomplet"
    elif "a_verifier" in statuts or "a_verifier" in verdicts_retenus:
        attendu = "a_verifier"
    else:
        attendu = "eligible"
    assert resultat["verdict"] == attendu


@settings(REGLAGES, max_examples=100)
@given(dossiers)
def test_retirer_un_champ_ne_rend_jamais_conforme_un_critere_manquant(dossier):
    avant = _statuts(evaluer(dossier))
    for chemin in _chemins(dossier):
        apres = _statuts(evaluer(_sans(dossier, chemin)))
        for cle, statut in avant.items():
            if statut == "manquant":
                assert apres[cle] != "conforme", (chemin, cle)
