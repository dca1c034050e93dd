"""Les exemples publics de `spec/exemples/` et leurs évaluations attendues.

Les données sont copiées telles quelles dans `data/` (la suite ne lit rien hors du dépôt).
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility.editions import ParametresFinancement
from eligibility.moteur import dumps_evaluation, evaluer

DATA = Path(__file__).parent / "data"
EXEMPLES = sorted(p.name.removesuffix(".attendu.json") for p in DATA.glob("*.attendu.json"))
FINANCEMENT = ParametresFinancement(Decimal("0.325"), Decimal("7886.00"))


def _charger(nom: str) -> tuple[dict, dict]:
    dossier = json.loads((DATA / f"{nom}.json").read_text(encoding="utf-8"))
    attendu = json.loads((DATA / f"{nom}.attendu.json").read_text(encoding="utf-8"))
    return dossier, attendu


def test_six_exemples():
    assert len(EXEMPLES) == 6


@pytest.mark.parametrize("nom", EXEMPLES)
def test_exemple_conforme_a_l_attendu(nom):
    dossier, attendu = _charger(nom)
    assert dossier.get("format") == "clas-dossier/1", "le fichier dossier doit être un dossier"

    resultat = evaluer(dossier, FINANCEMENT)

    assert resultat["verdict"] == attendu["verdict"]
    assert {c["code"]: c["statut"] for c in resultat["criteres"]} == attendu["criteres"]
    assert [c["code"] for c in resultat["criteres"]] == list(attendu["criteres"])
    assert len(resultat["collectifs"]) == len(attendu["collectifs"])
    for index, (obtenu, voulu) in enumerate(
        zip(resultat["collectifs"], attendu["collectifs"], strict=True)
    ):
        assert obtenu["index"] == index
        assert obtenu["verdict"] == voulu["verdict"]
        assert {c["code"]: c["statut"] for c in obtenu["criteres"]} == voulu["criteres"]
        assert [c["code"] for c in obtenu["criteres"]] == list(voulu["criteres"])
        assert obtenu["montant_ps"] == voulu["montant_ps"]
    assert resultat["montant_ps_total"] == attendu["montant_ps_total"]
    assert resultat["parametres"] == {"taux_ps": "0.325", "prix_plafond": attendu["prix_plafond"]}


@pytest.mark.parametrize("nom", EXEMPLES)
def test_exemple_format_de_sortie(nom):
    dossier, _ = _charger(nom)
    resultat = evaluer(dossier, FINANCEMENT)

    assert list(resultat) == [
        "format",
        "edition",
        "annee_scolaire",
        "verdict",
        "criteres",
        "collectifs",
        "parametres",
        "montant_ps_total",
    ]
    assert resultat["format"] == "clas-evaluation/1"
    assert resultat["edition"] == "cnaf-2019"
    assert resultat["annee_scolaire"] == dossier["annee_scolaire"]
    for critere in resultat["criteres"]:
        assert list(critere) == ["code", "statut", "message", "reference"]
        assert critere["message"] and critere["reference"]
    for index, collectif in enumerate(resultat["collectifs"]):
        assert list(collectif) == ["index", "nom", "verdict", "criteres", "montant_ps"]
        assert collectif["nom"] == dossier["collectifs"][index]["nom"]
        for critere in collectif["criteres"]:
            assert list(critere) == ["code", "statut", "message", "reference"]
    assert dumps_evaluation(resultat) == dumps_evaluation(evaluer(dossier, FINANCEMENT))


def test_exemple_sans_parametres_de_financement():
    """Sans prix plafond, les montants des collectifs retenus sont inconnus, pas nuls."""
    dossier, _ = _charger("06-deux-collectifs-un-refuse")

    resultat = evaluer(dossier)

    assert resultat["parametres"] == {"taux_ps": "0.325", "prix_plafond": None}
    assert [c["montant_ps"] for c in resultat["collectifs"]] == [None, "0.00"]
    assert resultat["montant_ps_total"] is None


def test_exemple_sortie_json_deterministe():
    dossier, _ = _charger("01-eligible-urbain")

    texte = dumps_evaluation(evaluer(dossier, FINANCEMENT))

    assert json.loads(texte) == evaluer(dossier, FINANCEMENT)
    assert "« Clas »" in texte  # UTF-8 lisible, pas d'échappement \u
    assert texte.startswith('{\n  "format": "clas-evaluation/1",\n  "edition": "cnaf-2019",')
