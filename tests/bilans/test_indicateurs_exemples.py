"""Les exemples publics du format face aux indicateurs du bilan.

Aucun exemple de ``spec/exemples/`` ne porte de décision (``instruction``) ni de bilan de
l'action : aucun ne concerne directement le bilan. L'exemple 06 (« deux collectifs, un refusé »)
est le seul qui touche une règle du bilan — un collectif non éligible dans un dossier éligible
n'est pas financé —, il est copié dans ``tests/bilans/data/`` (la suite ne lit jamais
``/work/shared``) et importé tel quel, puis avec une décision et des bilans ajoutés ici.
"""

import copy
import json
from pathlib import Path

import pytest

from bilans.indicateurs import calculer_indicateurs, rassembler_bilan
from dossiers.importation import importer_octets

pytestmark = pytest.mark.django_db

DONNEES = Path(__file__).parent / "data"
EXEMPLE = json.loads((DONNEES / "06-deux-collectifs-un-refuse.json").read_text("utf-8"))
ATTENDU = json.loads((DONNEES / "06-deux-collectifs-un-refuse.attendu.json").read_text("utf-8"))

BILAN_ELIGIBLE = {
    "enfants_inscrits": 10,
    "filles": 6,
    "garcons": 4,
    "familles": 9,
    "seances_realisees": 60,
    "heures_realisees": 90,
    "taux_presence": 0.85,
    "intervenants_salaries": 1,
    "intervenants_benevoles": 1,
    "actions_parents": 4,
    "rencontres_ecole": 3,
}
BILAN_NON_ELIGIBLE = dict.fromkeys(BILAN_ELIGIBLE, 2) | {
    "taux_presence": 0.1,
    "filles": 1,
    "garcons": 1,
}


def importer(document: dict):
    resultat = importer_octets(json.dumps(document).encode())
    assert resultat.statut == "importe", resultat.problemes
    return resultat


def test_l_exemple_importe_tel_quel_attend_une_decision(dep59):
    resultat = importer(EXEMPLE)
    # L'évaluation figée à l'import est celle que l'exemple attend.
    figee = resultat.dossier.evaluations.get(motif="import").resultat
    assert figee["verdict"] == ATTENDU["verdict"]
    assert [c["verdict"] for c in figee["collectifs"]] == [
        c["verdict"] for c in ATTENDU["collectifs"]
    ]
    indicateurs = calculer_indicateurs("59", 2025)
    assert indicateurs["dossiers_deposes"] == 1
    assert indicateurs["dossiers_acceptes"] == 0
    assert indicateurs["collectifs_finances"] == 0
    # Le dossier est éligible : son collectif non éligible ne fait pas un motif du format…
    assert indicateurs["motifs_non_eligibilite"] == {}
    # … mais il figure au tableau des collectifs non éligibles, par son critère.
    assert rassembler_bilan("59", 2025).non_eligibilite == [
        {
            "code": "COLLECTIF-REGULARITE",
            "libelle": "Créneaux hebdomadaires",
            "dossiers": 0,
            "collectifs": 1,
        }
    ]


def test_l_exemple_accepte_avec_bilans(dep59):
    document = copy.deepcopy(EXEMPLE)
    document["reference"] = "EXEMPLE-06-ACCEPTE"
    document["instruction"] = {"decision": "accepte", "montant_accorde": "2562.95"}
    document["collectifs"][0]["bilan"] = BILAN_ELIGIBLE
    document["collectifs"][1]["bilan"] = BILAN_NON_ELIGIBLE
    importer(document)
    assert calculer_indicateurs("59", 2025) == {
        "format": "clas-bilan/1",
        "departement": "59",
        "annee_scolaire": "2025-2026",
        "dossiers_deposes": 1,
        "dossiers_acceptes": 1,
        "dossiers_refuses": 0,
        "dossiers_sans_suite": 0,
        "porteurs_finances": 1,
        # Le collectif « 6e-5e lundi » (un seul créneau d'une heure en milieu urbain) est non
        # éligible : seul « CM1-CM2 mardi et jeudi » est financé, avec son bilan.
        "collectifs_finances": 1,
        "collectifs_par_niveau": {"elementaire": 1, "college": 0, "lycee": 0, "mixte": 0},
        "collectifs_ruraux": 0,
        "enfants_inscrits": 10,
        "filles": 6,
        "garcons": 4,
        "familles": 9,
        "seances_realisees": 60,
        "heures_realisees": "90.0",
        "taux_presence_moyen": "0.85",
        "intervenants_salaries": 1,
        "intervenants_benevoles": 1,
        "actions_parents": 4,
        "rencontres_ecole": 3,
        "collectifs_sans_bilan": 0,
        "montant_accorde_total": "2562.95",
        "montant_moyen_par_collectif": "2562.95",
        "montant_moyen_par_enfant": "256.30",  # 256,295 → demi supérieur
        "motifs_non_eligibilite": {},
    }
    annexe = rassembler_bilan("59", 2025).annexe
    assert annexe[0]["reference"] == "EXEMPLE-06-ACCEPTE"
    assert [c["nom"] for c in annexe[0]["collectifs"]] == ["CM1-CM2 mardi et jeudi"]
