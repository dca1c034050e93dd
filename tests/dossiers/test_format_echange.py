"""Lecture et validation du format d'échange ``clas-dossier/1`` (``dossiers.format_echange``).

Contrat : ``spec/dossier-format.md`` §1 et §3. Un fichier mauvais est refusé en entier par
``lire`` (``ErreurFormat``), avec une ligne française par problème qui nomme le chemin du champ.
"""

import copy
import json
from pathlib import Path

import pytest

from dossiers.format_echange import TAILLE_MAX_OCTETS, ErreurFormat, lire, valider

DATA = Path(__file__).parent.parent / "eligibility" / "data"
EXEMPLES = sorted(p.name.removesuffix(".attendu.json") for p in DATA.glob("*.attendu.json"))
CINQ_MO = 5 * 1024 * 1024


def exemple(nom: str = "01-eligible-urbain") -> dict:
    return json.loads((DATA / f"{nom}.json").read_text(encoding="utf-8"))


def en_octets(document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def problemes_de(octets: bytes) -> list[str]:
    """Les problèmes levés par ``lire`` ; échoue si le document est accepté."""
    with pytest.raises(ErreurFormat) as exc:
        lire(octets)
    problemes = exc.value.problemes
    assert isinstance(problemes, list)
    assert problemes, "ErreurFormat doit porter au moins un problème"
    assert all(isinstance(p, str) and p.strip() for p in problemes)
    return problemes


def modifie(modification) -> bytes:
    document = exemple()
    modification(document)
    return en_octets(document)


def seul_probleme(octets: bytes) -> str:
    problemes = problemes_de(octets)
    assert len(problemes) == 1, problemes
    return problemes[0]


# --- les exemples officiels sont valides -----------------------------------------------------
def test_six_exemples_presents():
    assert len(EXEMPLES) == 6


@pytest.mark.parametrize("nom", EXEMPLES)
def test_exemple_officiel_valide(nom):
    octets = (DATA / f"{nom}.json").read_bytes()
    document = lire(octets)
    assert document["format"] == "clas-dossier/1"
    assert valider(document) == []


def test_lire_rend_le_document():
    document = lire(en_octets(exemple()))
    assert document["departement"] == "59"
    assert document["collectifs"][0]["creneaux"][1]["jour"] == "jeudi"


def test_lire_ne_passe_pas_par_float():
    """Les montants numériques se lisent en Decimal (jamais en float)."""
    document = lire(
        modifie(lambda d: d["collectifs"][0].__setitem__("depenses_fonctionnement", 0.1))
    )
    valeur = document["collectifs"][0]["depenses_fonctionnement"]
    assert not isinstance(valeur, float)
    assert str(valeur) == "0.1"


# --- fichier : vide, encodage, taille, JSON ---------------------------------------------------
def test_json_mal_forme_ligne_et_colonne_en_francais():
    probleme = seul_probleme(b'{"format": "clas-dossier/1",\n  "departement": }')
    assert probleme.startswith("(fichier) : ")
    assert "JSON mal formé" in probleme
    assert "ligne 2" in probleme
    assert "colonne 18" in probleme
    assert "Expecting" not in probleme, "le message doit être en français"


def test_json_donnees_en_trop():
    probleme = seul_probleme(en_octets(exemple()) + b"\n{}")
    assert "JSON mal formé" in probleme
    assert "Extra data" not in probleme


def test_pas_utf8():
    octets = '{"format": "clas-dossier/1", "diagnostic": "é"}'.encode("latin-1")
    probleme = seul_probleme(octets)
    assert probleme.startswith("(fichier) : ")
    assert "UTF-8" in probleme
    assert "encodé" in probleme


def test_fichier_vide():
    assert seul_probleme(b"") == "(fichier) : le fichier est vide"


def test_fichier_blanc():
    assert seul_probleme(b"  \n\t\r\n  ") == "(fichier) : le fichier est vide"


def test_fichier_trop_gros_refuse():
    octets = en_octets(exemple())
    octets += b" " * (CINQ_MO + 1 - len(octets))
    assert len(octets) == CINQ_MO + 1
    probleme = seul_probleme(octets)
    assert probleme.startswith("(fichier) : ")
    assert "5 Mo" in probleme
    assert "volumineux" in probleme


def test_fichier_de_cinq_mo_exactement_accepte():
    assert TAILLE_MAX_OCTETS == CINQ_MO
    octets = en_octets(exemple())
    octets += b" " * (CINQ_MO - len(octets))
    assert len(octets) == CINQ_MO
    assert lire(octets)["departement"] == "59"


def test_bom_utf8_accepte():
    document = lire(b"\xef\xbb\xbf" + en_octets(exemple()))
    assert document["format"] == "clas-dossier/1"


@pytest.mark.parametrize("jeton", ["NaN", "Infinity", "-Infinity"])
def test_jetons_non_json_refuses(jeton):
    """NaN et Infinity ne sont pas du JSON (RFC 8259) : un fichier qui en contient est mal formé.

    Acceptés, ils passent le schéma d'un montant (NaN < 0 est faux) et font ensuite planter le
    moteur (decimal.InvalidOperation) au lieu d'un refus propre.
    """
    octets = en_octets(exemple()).replace(b'"9000.00"', jeton.encode())
    assert jeton.encode() in octets
    problemes = problemes_de(octets)
    assert any(
        p.startswith("(fichier) : ") or p.startswith("collectifs[0].depenses_fonctionnement : ")
        for p in problemes
    ), problemes


# --- racine ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("octets", "recu"),
    [
        (b"[1, 2]", "une liste"),
        (b'"clas-dossier/1"', "une chaîne de caractères"),
        (b"42", "un nombre entier"),
        (b"null", "null"),
    ],
)
def test_racine_pas_un_objet(octets, recu):
    probleme = seul_probleme(octets)
    assert probleme.startswith("(document) : ")
    assert "objet" in probleme
    assert recu in probleme


def test_valider_racine_liste():
    assert valider([exemple()]) != []


def test_format_faux():
    probleme = seul_probleme(modifie(lambda d: d.__setitem__("format", "clas-dossier/2")))
    assert probleme.startswith("format : ")
    assert "clas-dossier/1" in probleme


# --- types faux --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("champ", "valeur", "attendu"),
    [
        ("nombre_enfants", "10", "nombre entier"),
        ("rural", "oui", "booléen"),
        ("intervenants", 2.5, "nombre entier"),
        ("semaines_fonctionnement", True, "nombre entier"),
        ("nombre_enfants", False, "nombre entier"),
        ("classes", "CM1", "liste"),
        ("lieu", "Salle", "objet"),
    ],
)
def test_type_faux(champ, valeur, attendu):
    probleme = seul_probleme(modifie(lambda d: d["collectifs"][0].__setitem__(champ, valeur)))
    assert probleme.startswith(f"collectifs[0].{champ} : ")
    assert "doit être" in probleme
    assert attendu in probleme


def test_booleen_racine_type_faux():
    probleme = seul_probleme(modifie(lambda d: d.__setitem__("engagement_bilan", 1)))
    assert probleme.startswith("engagement_bilan : ")
    assert "booléen" in probleme


def test_collectif_pas_un_objet():
    probleme = seul_probleme(modifie(lambda d: d["collectifs"].append("CM1")))
    assert probleme.startswith("collectifs[1] : ")


# --- clés inconnues ----------------------------------------------------------------------------
def test_cle_inconnue_racine():
    probleme = seul_probleme(modifie(lambda d: d.__setitem__("couleur", "bleu")))
    assert probleme == "couleur : clé inconnue du format clas-dossier/1"


def test_cle_inconnue_imbriquee():
    probleme = seul_probleme(
        modifie(lambda d: d["collectifs"][0]["lieu"].__setitem__("wifi", True))
    )
    assert probleme == "collectifs[0].lieu.wifi : clé inconnue du format clas-dossier/1"


def test_plusieurs_problemes_une_ligne_chacun():
    def trois(d):
        d["couleur"] = "bleu"
        d["collectifs"][0]["lieu"]["wifi"] = True
        d["collectifs"][0]["creneaux"][1]["jour"] = "funday"

    problemes = problemes_de(modifie(trois))
    assert len(problemes) == 3, problemes
    assert sorted(p.split(" : ")[0] for p in problemes) == [
        "collectifs[0].creneaux[1].jour",
        "collectifs[0].lieu.wifi",
        "couleur",
    ]


# --- énumérations ------------------------------------------------------------------------------
def test_enum_inconnue_message_du_contrat():
    probleme = seul_probleme(
        modifie(lambda d: d["collectifs"][0]["creneaux"][1].__setitem__("jour", "funday"))
    )
    assert probleme.startswith(
        "collectifs[0].creneaux[1].jour : « funday » n'est pas une valeur autorisée"
    )


@pytest.mark.parametrize(
    ("modification", "chemin"),
    [
        (
            lambda d: d["collectifs"][0].__setitem__("classes", ["CM1", "CM3"]),
            "collectifs[0].classes[1]",
        ),
        (
            lambda d: d["coordinateur"].__setitem__("niveau_diplome", "master"),
            "coordinateur.niveau_diplome",
        ),
        (lambda d: d["porteur"].__setitem__("forme", "sarl"), "porteur.forme"),
    ],
)
def test_autres_enums_inconnues(modification, chemin):
    probleme = seul_probleme(modifie(modification))
    assert probleme.startswith(f"{chemin} : ")
    assert "n'est pas une valeur autorisée" in probleme


# --- champs obligatoires -----------------------------------------------------------------------
def test_cles_obligatoires_absentes():
    def retire(d):
        del d["departement"]
        del d["collectifs"]

    problemes = problemes_de(modifie(retire))
    assert sorted(problemes) == [
        "collectifs : champ obligatoire absent",
        "departement : champ obligatoire absent",
    ]


def test_cle_obligatoire_imbriquee_absente():
    probleme = seul_probleme(
        modifie(lambda d: d["collectifs"][0]["creneaux"][0].pop("duree_minutes"))
    )
    assert probleme == "collectifs[0].creneaux[0].duree_minutes : champ obligatoire absent"


def test_document_vide():
    problemes = problemes_de(b"{}")
    chemins = sorted(p.split(" : ")[0] for p in problemes)
    assert chemins == ["annee_scolaire", "collectifs", "departement", "format"]


# --- années, dates, montants -------------------------------------------------------------------
@pytest.mark.parametrize("annee", ["2025-2027", "2025-2025", "2025-2024"])
def test_annees_non_consecutives(annee):
    probleme = seul_probleme(modifie(lambda d: d.__setitem__("annee_scolaire", annee)))
    assert probleme.startswith("annee_scolaire : ")
    assert annee in probleme
    assert "se suivre" in probleme


@pytest.mark.parametrize("annee", ["2025", "25-26", "2025/2026", "2025-26"])
def test_annee_mal_ecrite(annee):
    probleme = seul_probleme(modifie(lambda d: d.__setitem__("annee_scolaire", annee)))
    assert probleme.startswith("annee_scolaire : ")
    assert "année scolaire" in probleme


def test_date_impossible():
    probleme = seul_probleme(
        modifie(lambda d: d["collectifs"][0].__setitem__("date_debut", "2025-02-30"))
    )
    assert probleme.startswith("collectifs[0].date_debut : ")
    assert "2025-02-30" in probleme
    assert "date" in probleme


def test_date_de_decision_impossible():
    def instruction(d):
        d["instruction"] = {"decision": "accepte", "date_decision": "2026-13-01"}

    probleme = seul_probleme(modifie(instruction))
    assert probleme.startswith("instruction.date_decision : ")


@pytest.mark.parametrize("valeur", [-5, "-5.00", -0.01])
def test_montant_negatif(valeur):
    probleme = seul_probleme(
        modifie(lambda d: d["collectifs"][0].__setitem__("depenses_fonctionnement", valeur))
    )
    assert probleme.startswith("collectifs[0].depenses_fonctionnement : ")
    assert "montant" in probleme


def test_montant_trois_decimales():
    probleme = seul_probleme(
        modifie(lambda d: d["collectifs"][0].__setitem__("depenses_fonctionnement", "10.123"))
    )
    assert probleme.startswith("collectifs[0].depenses_fonctionnement : ")
    assert "10.123" in probleme
    assert "2 décimales" in probleme


@pytest.mark.parametrize("valeur", ["9 000", "9000,00", "", "abc", True])
def test_montant_mal_ecrit(valeur):
    probleme = seul_probleme(
        modifie(lambda d: d["charte"].__setitem__("participation_familles_euros", valeur))
    )
    assert probleme.startswith("charte.participation_familles_euros : ")


@pytest.mark.parametrize("valeur", ["9000", "9000.5", "9000.00", 9000, 9000.5, 0])
def test_montants_acceptes(valeur):
    document = lire(
        modifie(lambda d: d["collectifs"][0].__setitem__("depenses_fonctionnement", valeur))
    )
    assert str(document["collectifs"][0]["depenses_fonctionnement"]) == str(valeur)


def test_classes_en_double():
    probleme = seul_probleme(
        modifie(lambda d: d["collectifs"][0].__setitem__("classes", ["CM1", "CM2", "CM1"]))
    )
    assert probleme.startswith("collectifs[0].classes : ")
    assert "doublon" in probleme


def test_date_fin_avant_date_debut():
    probleme = seul_probleme(
        modifie(lambda d: d["collectifs"][0].__setitem__("date_fin", "2025-10-01"))
    )
    assert probleme.startswith("collectifs[0].date_fin : ")
    assert "2025-10-01" in probleme
    assert "2025-11-04" in probleme


def test_date_fin_egale_date_debut_acceptee():
    lire(modifie(lambda d: d["collectifs"][0].__setitem__("date_fin", "2025-11-04")))


def test_bilan_filles_et_garcons_plus_que_les_inscrits():
    bilan = {"enfants_inscrits": 10, "filles": 6, "garcons": 5}
    probleme = seul_probleme(modifie(lambda d: d["collectifs"][0].__setitem__("bilan", bilan)))
    assert probleme.startswith("collectifs[0].bilan")
    assert "6 filles" in probleme
    assert "5 garçons" in probleme
    assert "10 enfants inscrits" in probleme


def test_bilan_coherent_accepte():
    bilan = {"enfants_inscrits": 10, "filles": 6, "garcons": 4, "taux_presence": 0.85}
    document = lire(modifie(lambda d: d["collectifs"][0].__setitem__("bilan", bilan)))
    assert document["collectifs"][0]["bilan"]["filles"] == 6


@pytest.mark.parametrize(
    ("champ", "valeur"),
    [("nombre_enfants", 501), ("intervenants", 101), ("semaines_fonctionnement", 54)],
)
def test_nombre_hors_bornes(champ, valeur):
    probleme = seul_probleme(modifie(lambda d: d["collectifs"][0].__setitem__(champ, valeur)))
    assert probleme.startswith(f"collectifs[0].{champ} : ")
    assert "maximum" in probleme


def test_taux_de_presence_hors_bornes():
    bilan = {"taux_presence": 1.5}
    probleme = seul_probleme(modifie(lambda d: d["collectifs"][0].__setitem__("bilan", bilan)))
    assert probleme.startswith("collectifs[0].bilan.taux_presence : ")


def test_departement_inconnu_du_format():
    probleme = seul_probleme(modifie(lambda d: d.__setitem__("departement", "96")))
    assert probleme.startswith("departement : ")
    assert "96" in probleme


def test_siret_mal_forme():
    probleme = seul_probleme(modifie(lambda d: d["porteur"].__setitem__("siret", "1234")))
    assert probleme.startswith("porteur.siret : ")
    assert "SIRET" in probleme


def test_valider_ne_modifie_pas_le_document():
    document = exemple()
    copie = copy.deepcopy(document)
    assert valider(document) == []
    assert document == copie


def test_participation_des_familles_bornee_a_la_capacite_stockee():
    """La colonne garde 8 chiffres : au-delà, refus clair plutôt qu'un dossier illisible."""
    document = exemple()
    document["charte"]["participation_familles_euros"] = "1000000.00"
    problemes = problemes_de(en_octets(document))
    assert problemes == [
        "charte.participation_familles_euros : « 1000000.00 » dépasse le maximum autorisé "
        "(999 999,99 €)"
    ]
    document["charte"]["participation_familles_euros"] = "999999.99"
    assert lire(en_octets(document))["charte"]["participation_familles_euros"] == "999999.99"
