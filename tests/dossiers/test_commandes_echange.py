"""Les commandes du format d'échange : ``evaluer_dossier``, ``importer_dossiers``,
``exporter_dossier``, les évaluations figées et les paramètres de financement datés.

Contrat : ``spec/dossier-format.md`` §2 et §3 ; montants : ``spec/regles.md``. Les exemples
officiels et leurs évaluations attendues sont dans ``tests/eligibility/data``.
"""

import copy
import datetime
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command, load_command_class
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collectifs.models import Collectif, Creneau
from dossiers.evaluation import empreinte, evaluer_dossier, figer_evaluation
from dossiers.exportation import charger_pour_export, dossier_vers_document
from dossiers.format_echange import valider
from dossiers.models import Dossier, Etat, Evaluation
from eligibility.models import HistoriqueParametres, ParametresAnnee
from porteurs.models import Porteur
from seances.models import BilanAction
from tests.factories import (
    BilanActionFactory,
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    PorteurFactory,
    siret_valide,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent.parent / "eligibility" / "data"
EXEMPLES = sorted(p.name.removesuffix(".attendu.json") for p in DATA.glob("*.attendu.json"))
SIRET_EXEMPLES = "73282932000074"
MODELES_COMPTES = (Dossier, Collectif, Creneau, Evaluation, Porteur, BilanAction)


# --- outils ------------------------------------------------------------------------------------
def exemple(nom: str = "01-eligible-urbain") -> dict:
    return json.loads((DATA / f"{nom}.json").read_text(encoding="utf-8"))


def attendu(nom: str) -> dict:
    return json.loads((DATA / f"{nom}.attendu.json").read_text(encoding="utf-8"))


def lancer(commande, *args, stdin: bytes | None = None) -> tuple[int, str, str]:
    """Lance une commande ; rend (code de sortie, stdout, stderr)."""
    sortie, erreurs = io.StringIO(), io.StringIO()
    if stdin is not None:
        # call_command refuse une option « stdin » : on la donne à l'instance de la commande,
        # que la commande lit par getattr(self, "stdin", None).
        commande = load_command_class("dossiers", commande)
        commande.stdin = io.BytesIO(stdin)
    try:
        call_command(commande, *args, stdout=sortie, stderr=erreurs)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    return code, sortie.getvalue(), erreurs.getvalue()


def lignes(texte: str) -> list[str]:
    return [ligne for ligne in texte.splitlines() if ligne.strip()]


def ecrire(dossier_tmp: Path, nom: str, document) -> str:
    chemin = dossier_tmp / nom
    if isinstance(document, bytes):
        chemin.write_bytes(document)
    else:
        chemin.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return str(chemin)


def comptes() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELES_COMPTES}


def statuts(criteres: list[dict]) -> dict[str, str]:
    return {c["code"]: c["statut"] for c in criteres}


def evaluer_fichier(chemin: str) -> dict:
    code, sortie, erreurs = lancer("evaluer_dossier", chemin)
    assert code == 0, erreurs
    assert erreurs == ""
    return json.loads(sortie)


def importer(*chemins: str) -> tuple[int, str, str]:
    return lancer("importer_dossiers", *chemins)


def exporter(identifiant) -> dict:
    code, sortie, erreurs = lancer("exporter_dossier", str(identifiant))
    assert code == 0, erreurs
    return json.loads(sortie)


def avec_reference(document: dict, reference: str) -> dict:
    document = copy.deepcopy(document)
    document["reference"] = reference
    return document


# --- evaluer_dossier ---------------------------------------------------------------------------
@pytest.mark.parametrize("nom", EXEMPLES)
def test_evaluer_exemple_conforme_a_l_attendu(nom):
    resultat = evaluer_fichier(str(DATA / f"{nom}.json"))
    voulu = attendu(nom)

    assert resultat["format"] == "clas-evaluation/1"
    assert resultat["edition"] == "cnaf-2019"
    assert resultat["verdict"] == voulu["verdict"]
    assert statuts(resultat["criteres"]) == voulu["criteres"]
    assert len(resultat["criteres"]) == len(voulu["criteres"])
    assert len(resultat["collectifs"]) == len(voulu["collectifs"])
    for i, (obtenu, prevu) in enumerate(
        zip(resultat["collectifs"], voulu["collectifs"], strict=True)
    ):
        assert obtenu["index"] == i
        assert obtenu["verdict"] == prevu["verdict"], i
        assert statuts(obtenu["criteres"]) == prevu["criteres"], i
        assert obtenu["montant_ps"] == prevu["montant_ps"], i
    assert resultat["montant_ps_total"] == voulu["montant_ps_total"]
    assert resultat["parametres"]["prix_plafond"] == voulu["prix_plafond"]
    assert resultat["parametres"]["taux_ps"] == "0.325"


def test_evaluer_depuis_l_entree_standard_de_la_commande():
    octets = (DATA / "06-deux-collectifs-un-refuse.json").read_bytes()
    code, sortie, erreurs = lancer("evaluer_dossier", "-", stdin=octets)
    assert code == 0, erreurs
    resultat = json.loads(sortie)
    assert resultat["verdict"] == "eligible"
    assert [c["montant_ps"] for c in resultat["collectifs"]] == ["2562.95", "0.00"]
    assert (
        sortie.strip()
        == lancer("evaluer_dossier", str(DATA / "06-deux-collectifs-un-refuse.json"))[1].strip()
    )


def test_evaluer_depuis_sys_stdin(monkeypatch):
    """Sans flux injecté, « - » lit ``sys.stdin.buffer`` (le cas de ``manage.py … -``)."""
    octets = (DATA / "02-rural-petit-collectif.json").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(octets), encoding="utf-8"))
    code, sortie, erreurs = lancer("evaluer_dossier", "-")
    assert code == 0, erreurs
    assert json.loads(sortie)["montant_ps_total"] == "1625.00"


def test_evaluer_stdin_mauvais_document():
    code, sortie, erreurs = lancer("evaluer_dossier", "-", stdin=b"[]")
    assert code == 2
    assert sortie == ""
    assert lignes(erreurs) and lignes(erreurs)[0].startswith("(document) : ")


def test_evaluer_document_invalide_une_ligne_par_probleme(tmp_path):
    document = exemple()
    document["collectifs"][0]["creneaux"][1]["jour"] = "funday"
    document["collectifs"][0]["lieu"]["wifi"] = True
    document["collectifs"][0]["nombre_enfants"] = "10"
    code, sortie, erreurs = lancer("evaluer_dossier", ecrire(tmp_path, "mauvais.json", document))

    assert code == 2
    assert sortie == ""
    probleme = lignes(erreurs)
    assert len(probleme) == 3, erreurs
    assert sorted(p.split(" : ")[0] for p in probleme) == [
        "collectifs[0].creneaux[1].jour",
        "collectifs[0].lieu.wifi",
        "collectifs[0].nombre_enfants",
    ]
    assert any(
        p.startswith("collectifs[0].creneaux[1].jour : « funday » n'est pas une valeur autorisée")
        for p in probleme
    )


def test_evaluer_json_mal_forme(tmp_path):
    code, sortie, erreurs = lancer("evaluer_dossier", ecrire(tmp_path, "casse.json", b'{"a":'))
    assert code == 2
    assert sortie == ""
    assert len(lignes(erreurs)) == 1
    assert "JSON mal formé" in erreurs


def test_evaluer_fichier_absent(tmp_path):
    code, sortie, erreurs = lancer("evaluer_dossier", str(tmp_path / "absent.json"))
    assert code == 2
    assert sortie == ""
    assert "n'existe pas" in erreurs
    assert "absent.json" in erreurs


def test_evaluer_deux_fois_octet_pour_octet():
    chemin = str(DATA / "06-deux-collectifs-un-refuse.json")
    premier = lancer("evaluer_dossier", chemin)
    second = lancer("evaluer_dossier", chemin)
    assert premier[0] == 0
    assert premier[1] != ""
    assert premier[1].encode("utf-8") == second[1].encode("utf-8")


def test_evaluer_sans_plafond_pour_l_annee():
    ParametresAnnee.objects.filter(annee=2025).delete()

    resultat = evaluer_fichier(str(DATA / "06-deux-collectifs-un-refuse.json"))
    assert resultat["parametres"]["prix_plafond"] is None
    assert resultat["parametres"]["taux_ps"] == "0.325"
    assert resultat["verdict"] == "eligible"
    # collectif retenu : montant inconnu ; collectif non éligible : 0.00
    assert [c["montant_ps"] for c in resultat["collectifs"]] == [None, "0.00"]
    assert resultat["montant_ps_total"] is None

    refuse = evaluer_fichier(str(DATA / "03-collectif-trop-petit.json"))
    assert refuse["parametres"]["prix_plafond"] is None
    assert refuse["montant_ps_total"] == "0.00"


def test_evaluer_annee_sans_parametres():
    document = exemple()
    document["annee_scolaire"] = "2031-2032"
    code, sortie, erreurs = lancer(
        "evaluer_dossier", "-", stdin=json.dumps(document).encode("utf-8")
    )
    assert code == 0, erreurs
    resultat = json.loads(sortie)
    assert resultat["parametres"]["prix_plafond"] is None
    assert resultat["collectifs"][0]["montant_ps"] is None


def test_evaluer_suit_le_plafond_enregistre(admin_national):
    parametres = ParametresAnnee.objects.get(annee=2025)
    parametres.prix_plafond = Decimal("6000.00")
    parametres.enregistrer(par=admin_national)

    resultat = evaluer_fichier(str(DATA / "01-eligible-urbain.json"))
    assert resultat["parametres"]["prix_plafond"] == "6000.00"
    assert resultat["montant_ps_total"] == "1950.00"


def test_evaluer_montant_demesure_ne_plante_pas(tmp_path):
    """Un montant que le schéma accepte (1e400) : 0 avec une évaluation, ou 2 avec un message ;
    jamais une exception (le contrat ne connaît que les codes 0 et 2)."""
    octets = json.dumps(exemple()).encode().replace(b'"9000.00"', b"1e400")
    code, sortie, erreurs = lancer("evaluer_dossier", ecrire(tmp_path, "enorme.json", octets))
    if code == 0:
        assert json.loads(sortie)["format"] == "clas-evaluation/1"
    else:
        assert code == 2
        assert lignes(erreurs)[0].startswith("collectifs[0].depenses_fonctionnement : ")


# --- importer_dossiers -------------------------------------------------------------------------
def test_importer_exemple_01(tmp_path):
    chemin = ecrire(tmp_path, "01.json", avec_reference(exemple(), "CAF59-2025-001"))
    code, sortie, erreurs = importer(chemin)

    assert code == 0, erreurs
    assert erreurs == ""
    assert f"{chemin} : importé" in sortie
    assert Dossier.objects.count() == 1
    dossier = Dossier.objects.get()
    assert dossier.etat == Etat.DEPOSE
    assert dossier.depose_le is not None
    assert dossier.reference == "CAF59-2025-001"
    assert dossier.annee == 2025
    assert dossier.departement_id == "59"
    assert dossier.reperage_concerte_ecole is True
    assert dossier.renouvellement is False
    assert dossier.charte_participation_familles_euros == Decimal("0")
    assert dossier.coordinateur_niveau_diplome == "bac+3"
    assert dossier.montant_accorde is None

    porteur = dossier.porteur
    assert porteur.siret == SIRET_EXEMPLES
    assert porteur.raison_sociale == "Association Les Lucioles"
    assert porteur.code_postal == "59100"

    collectif = dossier.collectifs.get()
    assert collectif.nom == "CM1-CM2 mardi et jeudi"
    assert collectif.classes == ["CM1", "CM2"]
    assert collectif.nombre_enfants == 10
    assert collectif.nombre_intervenants == 2
    assert collectif.depenses_fonctionnement == Decimal("9000.00")
    assert collectif.date_debut == datetime.date(2025, 11, 4)
    creneaux = sorted((c.jour, c.debut, c.duree_minutes) for c in collectif.creneaux.all())
    assert creneaux == [
        ("jeudi", datetime.time(16, 45), 90),
        ("mardi", datetime.time(16, 45), 90),
    ]

    evaluation = Evaluation.objects.get()
    assert evaluation.dossier == dossier
    assert evaluation.motif == Evaluation.Motif.IMPORT
    assert evaluation.verdict == attendu("01-eligible-urbain")["verdict"] == "eligible"
    assert evaluation.montant_ps_total == Decimal("2562.95")
    assert evaluation.resultat["montant_ps_total"] == "2562.95"


@pytest.mark.parametrize("nom", EXEMPLES)
def test_importer_chaque_exemple_fige_le_verdict_attendu(tmp_path, nom):
    code, _, erreurs = importer(ecrire(tmp_path, "d.json", exemple(nom)))
    assert code == 0, erreurs
    evaluation = Evaluation.objects.get()
    voulu = attendu(nom)
    assert evaluation.verdict == voulu["verdict"]
    assert evaluation.resultat["montant_ps_total"] == voulu["montant_ps_total"]
    assert [c["montant_ps"] for c in evaluation.resultat["collectifs"]] == [
        c["montant_ps"] for c in voulu["collectifs"]
    ]


def test_importer_sans_reference_avertit(tmp_path):
    chemin = ecrire(tmp_path, "01.json", exemple())
    code, sortie, _ = importer(chemin)
    assert code == 0
    assert Dossier.objects.get().reference is None
    assert "reference" in sortie
    assert "attention" in sortie


def test_importer_porteur_trouve_par_siret(tmp_path):
    existant = PorteurFactory(siret=SIRET_EXEMPLES, raison_sociale="Les Lucioles (déjà connues)")
    avant = Porteur.objects.count()

    code, _, erreurs = importer(ecrire(tmp_path, "01.json", exemple()))
    assert code == 0, erreurs
    assert Porteur.objects.count() == avant
    assert Dossier.objects.get().porteur == existant


def test_importer_deux_fois_la_meme_reference(tmp_path):
    chemin = ecrire(tmp_path, "01.json", avec_reference(exemple(), "REF-DOUBLE"))
    code, _, erreurs = importer(chemin)
    assert code == 0, erreurs
    apres_premier = comptes()
    assert apres_premier["Dossier"] == 1

    code, sortie, erreurs = importer(chemin)
    assert code == 0, erreurs
    assert "ignoré" in sortie
    assert "REF-DOUBLE" in sortie
    assert comptes() == apres_premier


def test_importer_meme_reference_dans_le_meme_appel(tmp_path):
    premier = ecrire(tmp_path, "a.json", avec_reference(exemple(), "REF-X"))
    second = ecrire(
        tmp_path, "b.json", avec_reference(exemple("06-deux-collectifs-un-refuse"), "REF-X")
    )
    code, sortie, _ = importer(premier, second)
    assert code == 0
    assert Dossier.objects.count() == 1
    assert Collectif.objects.count() == 1
    assert f"{second} : ignoré" in sortie


def test_importer_avec_instruction(tmp_path):
    document = avec_reference(exemple(), "REF-DECIDE")
    document["instruction"] = {
        "decision": "accepte",
        "montant_accorde": "2500.00",
        "date_decision": "2025-12-15",
        "motif": "Projet conforme au référentiel.",
    }
    code, _, erreurs = importer(ecrire(tmp_path, "decide.json", document))
    assert code == 0, erreurs

    dossier = Dossier.objects.get()
    assert dossier.etat == Etat.ACCEPTE
    assert dossier.montant_accorde == Decimal("2500.00")
    assert dossier.date_decision == datetime.date(2025, 12, 15)
    assert dossier.motif_decision == "Projet conforme au référentiel."
    assert dossier.depose_le is not None
    assert Evaluation.objects.filter(dossier=dossier, motif="import").count() == 1


def test_importer_instruction_refus_sans_montant(tmp_path):
    document = avec_reference(exemple("03-collectif-trop-petit"), "REF-REFUS")
    document["instruction"] = {"decision": "refuse", "motif": "Collectif trop petit."}
    code, _, erreurs = importer(ecrire(tmp_path, "refus.json", document))
    assert code == 0, erreurs
    dossier = Dossier.objects.get()
    assert dossier.etat == Etat.REFUSE
    assert dossier.montant_accorde is None


BILAN = {
    "enfants_inscrits": 11,
    "filles": 6,
    "garcons": 5,
    "familles": 9,
    "seances_realisees": 58,
    "heures_realisees": 87.5,
    "taux_presence": 0.85,
    "intervenants_salaries": 1,
    "intervenants_benevoles": 2,
    "actions_parents": 4,
    "rencontres_ecole": 3,
}


def test_importer_avec_bilan(tmp_path):
    document = avec_reference(exemple("06-deux-collectifs-un-refuse"), "REF-BILAN")
    document["collectifs"][1]["bilan"] = BILAN
    code, _, erreurs = importer(ecrire(tmp_path, "bilan.json", document))
    assert code == 0, erreurs

    assert BilanAction.objects.count() == 1
    bilan = BilanAction.objects.get()
    assert bilan.collectif.nom == "6e-5e lundi"
    assert bilan.enfants_inscrits == 11
    assert bilan.filles == 6
    assert bilan.garcons == 5
    assert bilan.familles == 9
    assert bilan.seances_realisees == 58
    assert bilan.heures_realisees == Decimal("87.5")
    assert bilan.taux_presence == Decimal("0.85")
    assert bilan.intervenants_salaries == 1
    assert bilan.intervenants_benevoles == 2
    assert bilan.actions_parents == 4
    assert bilan.rencontres_ecole == 3


def test_importer_plusieurs_fichiers_dont_un_invalide(tmp_path):
    bon_a = ecrire(tmp_path, "a.json", avec_reference(exemple(), "REF-A"))
    mauvais = avec_reference(exemple("06-deux-collectifs-un-refuse"), "REF-B")
    mauvais["collectifs"][0]["creneaux"][1]["jour"] = "funday"
    mauvais["collectifs"][1]["lieu"]["wifi"] = True
    mauvais_b = ecrire(tmp_path, "b.json", mauvais)
    bon_c = ecrire(tmp_path, "c.json", avec_reference(exemple("02-rural-petit-collectif"), "REF-C"))

    code, sortie, erreurs = importer(bon_a, mauvais_b, bon_c)

    assert code == 2
    assert set(Dossier.objects.values_list("reference", flat=True)) == {"REF-A", "REF-C"}
    assert comptes() == {
        "Dossier": 2,
        "Collectif": 2,
        "Creneau": 3,
        "Evaluation": 2,
        "Porteur": 1,
        "BilanAction": 0,
    }
    rapport = lignes(sortie)
    assert any(ligne.startswith(f"{bon_a} : importé") for ligne in rapport)
    assert any(ligne.startswith(f"{mauvais_b} : refusé") for ligne in rapport)
    assert any(ligne.startswith(f"{bon_c} : importé") for ligne in rapport)
    problemes = lignes(erreurs)
    assert len(problemes) == 2, erreurs
    assert all(p.startswith(f"{mauvais_b} : ") for p in problemes)
    assert f"{mauvais_b} : collectifs[0].creneaux[1].jour : « funday »" in erreurs
    assert f"{mauvais_b} : collectifs[1].lieu.wifi : clé inconnue" in erreurs


def test_importer_departement_inconnu_du_portail(tmp_path):
    document = avec_reference(exemple(), "REF-20")
    document["departement"] = "20"  # permis par le motif du schéma, absent du portail
    avant = comptes()
    code, sortie, erreurs = importer(ecrire(tmp_path, "corse.json", document))
    assert code == 2
    assert comptes() == avant
    assert "refusé" in sortie
    assert "departement : « 20 »" in erreurs


def test_importer_porteur_sans_siret(tmp_path):
    document = avec_reference(exemple(), "REF-SANS-SIRET")
    del document["porteur"]["siret"]
    avant = comptes()
    code, _, erreurs = importer(ecrire(tmp_path, "sans_siret.json", document))
    assert code == 2
    assert comptes() == avant
    assert "porteur.siret" in erreurs


def test_importer_sans_porteur(tmp_path):
    document = avec_reference(exemple(), "REF-SANS-PORTEUR")
    del document["porteur"]
    avant = comptes()
    code, _, erreurs = importer(ecrire(tmp_path, "sans_porteur.json", document))
    assert code == 2
    assert comptes() == avant
    assert "porteur.siret" in erreurs


def test_importer_siret_a_cle_fausse(tmp_path):
    document = avec_reference(exemple(), "REF-CLE")
    document["porteur"]["siret"] = "73282932000075"
    avant = comptes()
    code, _, erreurs = importer(ecrire(tmp_path, "cle.json", document))
    assert code == 2
    assert comptes() == avant
    assert "porteur.siret" in erreurs


def test_importer_echec_en_base_apres_creation_du_porteur(tmp_path):
    """Le porteur (nouveau SIRET) est créé, puis la base refuse le dossier (année hors bornes) :
    la transaction du fichier annule tout, porteur compris."""
    document = avec_reference(exemple(), "REF-2101")
    document["annee_scolaire"] = "2101-2102"
    document["porteur"]["siret"] = siret_valide(4242)
    document["porteur"]["nom"] = "Porteur nouveau"
    avant = comptes()

    code, sortie, erreurs = importer(ecrire(tmp_path, "2101.json", document))

    assert code == 2
    assert comptes() == avant
    assert not Porteur.objects.filter(siret=siret_valide(4242)).exists()
    assert "refusé" in sortie
    assert "2101.json : " in erreurs


def test_importer_valeur_hors_capacite_de_la_base_refusee_proprement(tmp_path):
    """Un montant valide au schéma mais trop grand pour la base (12 chiffres) : le fichier est
    refusé (code 2, message sur stderr), rien n'est écrit, et les fichiers suivants sont
    importés — jamais une exception qui interrompt la commande."""
    enorme = avec_reference(exemple(), "REF-ENORME")
    enorme["collectifs"][0]["depenses_fonctionnement"] = "99999999999999.00"
    enorme["porteur"]["siret"] = siret_valide(777)
    chemin_enorme = ecrire(tmp_path, "enorme.json", enorme)
    chemin_bon = ecrire(tmp_path, "bon.json", avec_reference(exemple(), "REF-BON"))

    code, sortie, erreurs = importer(chemin_enorme, chemin_bon)

    assert code == 2
    assert list(Dossier.objects.values_list("reference", flat=True)) == ["REF-BON"]
    assert not Porteur.objects.filter(siret=siret_valide(777)).exists()
    assert f"{chemin_enorme} : refusé" in sortie
    assert erreurs.startswith(f"{chemin_enorme} : ")


def test_importer_fichier_absent(tmp_path):
    absent = str(tmp_path / "absent.json")
    avant = comptes()
    code, sortie, erreurs = importer(absent)
    assert code == 2
    assert comptes() == avant
    assert f"{absent} : " in erreurs
    assert "n'existe pas" in erreurs


def test_importer_fichier_trop_gros(tmp_path):
    octets = json.dumps(avec_reference(exemple(), "REF-GROS")).encode("utf-8")
    octets += b" " * (5 * 1024 * 1024 + 1 - len(octets))
    code, _, erreurs = importer(ecrire(tmp_path, "gros.json", octets))
    assert code == 2
    assert Dossier.objects.count() == 0
    assert "5 Mo" in erreurs


def test_importer_fichier_vide(tmp_path):
    code, _, erreurs = importer(ecrire(tmp_path, "vide.json", b""))
    assert code == 2
    assert Dossier.objects.count() == 0
    assert "vide" in erreurs


# --- exporter_dossier --------------------------------------------------------------------------
def _montant(valeur) -> str:
    return f"{Decimal(str(valeur)):.2f}"


def normaliser(document: dict) -> dict:
    """La forme canonique attendue à l'export : montants en chaînes à deux décimales."""
    document = copy.deepcopy(document)
    charte = document.get("charte") or {}
    if "participation_familles_euros" in charte:
        charte["participation_familles_euros"] = _montant(charte["participation_familles_euros"])
    for collectif in document.get("collectifs", []):
        if "depenses_fonctionnement" in collectif:
            collectif["depenses_fonctionnement"] = _montant(collectif["depenses_fonctionnement"])
    instruction = document.get("instruction") or {}
    if "montant_accorde" in instruction:
        instruction["montant_accorde"] = _montant(instruction["montant_accorde"])
    return document


def test_exporter_par_id_et_par_reference(tmp_path):
    code, _, erreurs = importer(ecrire(tmp_path, "01.json", avec_reference(exemple(), "REF-EXP")))
    assert code == 0, erreurs
    dossier = Dossier.objects.get()

    par_id = exporter(dossier.pk)
    par_reference = exporter("REF-EXP")
    assert par_id == par_reference
    assert par_id["reference"] == "REF-EXP"
    assert par_id["format"] == "clas-dossier/1"
    assert par_id["collectifs"][0]["nom"] == "CM1-CM2 mardi et jeudi"


def test_exporter_reference_numerique(tmp_path):
    """Une référence faite de chiffres qui n'est le numéro d'aucun dossier est trouvée."""
    code, _, _ = importer(ecrire(tmp_path, "01.json", avec_reference(exemple(), "987654")))
    assert code == 0
    assert exporter("987654")["reference"] == "987654"


@pytest.mark.parametrize("identifiant", ["999999", "REF-INCONNUE"])
def test_exporter_inconnu(identifiant):
    code, sortie, erreurs = lancer("exporter_dossier", identifiant)
    assert code == 2
    assert sortie == ""
    assert identifiant in erreurs
    assert "Aucun dossier" in erreurs


@pytest.mark.parametrize("nom", EXEMPLES)
def test_aller_retour_import_export(tmp_path, nom):
    original = avec_reference(exemple(nom), f"RT1-{nom}")
    code, _, erreurs = importer(ecrire(tmp_path, "original.json", original))
    assert code == 0, erreurs

    exporte = exporter(f"RT1-{nom}")
    assert valider(exporte) == []
    assert exporte == normaliser(original)

    # second tour : le document exporté, sous une nouvelle référence
    reimporte = dict(exporte, reference=f"RT2-{nom}")
    code, _, erreurs = importer(ecrire(tmp_path, "exporte.json", reimporte))
    assert code == 0, erreurs
    assert Dossier.objects.count() == 2
    reexporte = exporter(f"RT2-{nom}")
    assert reexporte["reference"] == f"RT2-{nom}"
    assert {**reexporte, "reference": None} == {**exporte, "reference": None}


def test_aller_retour_avec_instruction_et_bilan(tmp_path):
    original = avec_reference(exemple("06-deux-collectifs-un-refuse"), "RT-COMPLET")
    original["porteur"]["adresse"] = "3 rue des Lilas"
    original["porteur"]["email"] = "contact@lucioles.fr"
    original["charte"]["participation_familles_euros"] = 5
    original["collectifs"][0]["bilan"] = BILAN
    original["instruction"] = {
        "decision": "accepte",
        "montant_accorde": 2562.95,
        "date_decision": "2025-12-15",
        "motif": "Conforme.",
    }
    code, _, erreurs = importer(ecrire(tmp_path, "complet.json", original))
    assert code == 0, erreurs

    exporte = exporter("RT-COMPLET")
    assert valider(exporte) == []
    assert exporte == normaliser(original)
    assert exporte["charte"]["participation_familles_euros"] == "5.00"
    assert exporte["instruction"]["montant_accorde"] == "2562.95"
    assert exporte["collectifs"][0]["bilan"] == BILAN
    assert "bilan" not in exporte["collectifs"][1]


def test_export_absent_reste_absent(tmp_path):
    document = exemple("05-coordinateur-absent")
    del document["renouvellement"]
    del document["charte"]["participation_familles_euros"]
    del document["collectifs"][0]["rural"]
    del document["collectifs"][0]["lieu"]
    del document["collectifs"][0]["date_debut"]
    document["reference"] = "RT-ABSENTS"
    code, _, erreurs = importer(ecrire(tmp_path, "absents.json", document))
    assert code == 0, erreurs

    exporte = exporter("RT-ABSENTS")
    assert "coordinateur" not in exporte
    assert "renouvellement" not in exporte
    assert "instruction" not in exporte
    assert exporte["charte"] == {"laicite_neutralite": True}
    collectif = exporte["collectifs"][0]
    assert "rural" not in collectif
    assert "lieu" not in collectif
    assert "date_debut" not in collectif
    assert collectif["date_fin"] == "2026-06-12"
    assert exporte == normaliser(document)


def test_export_garde_faux_et_zero(tmp_path):
    document = avec_reference(exemple(), "RT-FAUX")
    document["collectifs"][0]["rural"] = False
    document["collectifs"][0]["intervenants"] = 0
    document["collectifs"][0]["depenses_fonctionnement"] = 0
    code, _, _ = importer(ecrire(tmp_path, "faux.json", document))
    assert code == 0
    collectif = exporter("RT-FAUX")["collectifs"][0]
    assert collectif["rural"] is False
    assert collectif["intervenants"] == 0
    assert collectif["depenses_fonctionnement"] == "0.00"
    assert exporter("RT-FAUX")["charte"]["participation_familles_euros"] == "0.00"


def test_export_dossier_saisi_en_base_valide_au_schema():
    dossier = DossierFactory(depose=True, complet=True)
    collectif = CollectifFactory(dossier=dossier, classes=["CM2", "CE1"])
    CreneauFactory(collectif=collectif, jour="mardi")
    CreneauFactory(collectif=collectif, jour="jeudi", debut=None)
    BilanActionFactory(collectif=collectif)

    code, sortie, erreurs = lancer("exporter_dossier", str(dossier.pk))
    assert code == 0, erreurs
    document = json.loads(sortie)
    assert valider(document) == []
    assert "reference" not in document
    assert document["collectifs"][0]["classes"] == ["CE1", "CM2"]
    assert document["collectifs"][0]["creneaux"][1] == {"jour": "jeudi", "duree_minutes": 90}
    assert document["collectifs"][0]["bilan"]["heures_realisees"] == 87
    assert document["collectifs"][0]["bilan"]["taux_presence"] == 0.85


# --- évaluations figées et paramètres datés ------------------------------------------------------
@pytest.fixture
def dossier_eligible():
    dossier = DossierFactory(depose=True, complet=True)
    collectif = CollectifFactory(dossier=dossier)
    CreneauFactory(collectif=collectif, jour="mardi")
    CreneauFactory(collectif=collectif, jour="jeudi")
    return dossier


def test_figer_evaluation(dossier_eligible):
    evaluation = figer_evaluation(dossier_eligible, Evaluation.Motif.DEPOT)
    evaluation.refresh_from_db()

    assert evaluation.dossier == dossier_eligible
    assert evaluation.motif == "depot"
    assert evaluation.edition == "cnaf-2019"
    assert evaluation.parametres == {"taux_ps": "0.325", "prix_plafond": "7886.00"}
    assert re.fullmatch(r"[0-9a-f]{64}", evaluation.empreinte_entree)
    assert evaluation.empreinte_entree == empreinte(
        dossier_vers_document(dossier_eligible, avec_decision=False)
    )
    assert evaluation.verdict == "eligible"
    assert evaluation.montant_ps_total == Decimal("2562.95")
    assert evaluation.resultat["format"] == "clas-evaluation/1"
    assert evaluation.resultat["verdict"] == "eligible"
    assert evaluation.resultat["montant_ps_total"] == "2562.95"
    assert evaluation.resultat == evaluer_dossier(dossier_eligible)
    assert evaluation.entree["collectifs"][0]["depenses_fonctionnement"] == "9000.00"


def test_empreinte_stable_sans_changement(dossier_eligible):
    premiere = figer_evaluation(dossier_eligible, Evaluation.Motif.DEPOT)
    # ce qui n'entre pas dans le document évalué ne change pas l'empreinte
    dossier_eligible.intitule = "Nouvel intitulé"
    dossier_eligible.etat = Etat.ACCEPTE
    dossier_eligible.montant_accorde = Decimal("2000.00")
    dossier_eligible.date_decision = datetime.date(2025, 12, 1)
    dossier_eligible.save()
    seconde = figer_evaluation(
        Dossier.objects.get(pk=dossier_eligible.pk), Evaluation.Motif.DECISION
    )
    assert seconde.empreinte_entree == premiere.empreinte_entree
    assert Evaluation.objects.filter(dossier=dossier_eligible).count() == 2


@pytest.mark.parametrize(
    ("champ", "valeur"),
    [
        ("nombre_enfants", 11),
        ("depenses_fonctionnement", Decimal("9000.01")),
        ("rural", None),
        ("nom", "Autre nom"),
        ("date_fin", datetime.date(2026, 6, 11)),
    ],
)
def test_empreinte_change_avec_les_donnees_du_collectif(dossier_eligible, champ, valeur):
    premiere = figer_evaluation(dossier_eligible, Evaluation.Motif.DEPOT)
    collectif = dossier_eligible.collectifs.get()
    setattr(collectif, champ, valeur)
    collectif.save()
    seconde = figer_evaluation(dossier_eligible, Evaluation.Motif.DEPOT)
    assert seconde.empreinte_entree != premiere.empreinte_entree
    assert re.fullmatch(r"[0-9a-f]{64}", seconde.empreinte_entree)


def test_empreinte_change_avec_un_creneau(dossier_eligible):
    premiere = figer_evaluation(dossier_eligible, Evaluation.Motif.DEPOT)
    creneau = Creneau.objects.filter(collectif__dossier=dossier_eligible).first()
    creneau.duree_minutes = 45
    creneau.save()
    seconde = figer_evaluation(dossier_eligible, Evaluation.Motif.DEPOT)
    assert seconde.empreinte_entree != premiere.empreinte_entree
    assert seconde.verdict == "non_eligible"


def test_evaluation_figee_garde_l_ancien_plafond(dossier_eligible, admin_national):
    figee = figer_evaluation(dossier_eligible, Evaluation.Motif.DEPOT)
    historique_avant = HistoriqueParametres.objects.count()

    parametres = ParametresAnnee.objects.get(annee=2025)
    parametres.prix_plafond = Decimal("6000.00")
    parametres.enregistrer(par=admin_national)

    figee = Evaluation.objects.get(pk=figee.pk)
    assert figee.parametres["prix_plafond"] == "7886.00"
    assert figee.resultat["parametres"]["prix_plafond"] == "7886.00"
    assert figee.montant_ps_total == Decimal("2562.95")
    assert figee.resultat["collectifs"][0]["montant_ps"] == "2562.95"

    courante = evaluer_dossier(Dossier.objects.get(pk=dossier_eligible.pk))
    assert courante["parametres"] == {"taux_ps": "0.325", "prix_plafond": "6000.00"}
    assert courante["collectifs"][0]["montant_ps"] == "1950.00"
    assert courante["montant_ps_total"] == "1950.00"

    assert HistoriqueParametres.objects.count() == historique_avant + 1
    trace = HistoriqueParametres.objects.order_by("-pk").first()
    assert trace.annee == 2025
    assert trace.prix_plafond_avant == Decimal("7886.00")
    assert trace.prix_plafond == Decimal("6000.00")
    assert trace.taux_ps_avant == Decimal("0.325")
    assert trace.taux_ps == Decimal("0.325")
    assert trace.par == admin_national
    assert ParametresAnnee.objects.get(annee=2025).modifie_par == admin_national


def test_enregistrer_nouvelle_annee_trace_sans_avant(admin_national):
    parametres = ParametresAnnee(annee=2026, taux_ps=Decimal("0.33"), prix_plafond=Decimal("8000"))
    parametres.enregistrer(par=admin_national)
    trace = HistoriqueParametres.objects.filter(annee=2026).get()
    assert trace.taux_ps_avant is None
    assert trace.prix_plafond_avant is None
    assert trace.taux_ps == Decimal("0.33")
    assert trace.prix_plafond == Decimal("8000")
    assert trace.par == admin_national


def test_plafond_retire_montants_inconnus(dossier_eligible, admin_national):
    parametres = ParametresAnnee.objects.get(annee=2025)
    parametres.prix_plafond = None
    parametres.enregistrer(par=admin_national)
    courante = evaluer_dossier(dossier_eligible)
    assert courante["parametres"]["prix_plafond"] is None
    assert courante["collectifs"][0]["montant_ps"] is None
    assert courante["montant_ps_total"] is None
    trace = HistoriqueParametres.objects.order_by("-pk").first()
    assert trace.prix_plafond_avant == Decimal("7886.00")
    assert trace.prix_plafond is None


# --- nombre de requêtes --------------------------------------------------------------------------
def test_export_nombre_de_requetes_borne(django_assert_max_num_queries):
    dossier = DossierFactory(depose=True, complet=True)
    for i in range(10):
        collectif = CollectifFactory(dossier=dossier, ordre=i, nom=f"Collectif {i}")
        CreneauFactory(collectif=collectif, jour="mardi")
        CreneauFactory(collectif=collectif, jour="jeudi")
        BilanActionFactory(collectif=collectif)

    with django_assert_max_num_queries(6):
        charge = charger_pour_export(Dossier.objects.filter(pk=dossier.pk)).get()
        document = dossier_vers_document(charge)

    assert [c["nom"] for c in document["collectifs"]] == [f"Collectif {i}" for i in range(10)]
    assert all(len(c["creneaux"]) == 2 for c in document["collectifs"])
    assert all(c["bilan"]["enfants_inscrits"] == 10 for c in document["collectifs"])
    assert document["porteur"]["siret"] == dossier.porteur.siret


def test_export_nombre_de_requetes_independant_des_collectifs():
    """Le nombre de requêtes ne dépend pas du nombre de collectifs (ni de bilans absents)."""
    dossier = DossierFactory(depose=True, complet=True)
    for i in range(3):
        collectif = CollectifFactory(dossier=dossier, ordre=i)
        CreneauFactory(collectif=collectif)
    autre = DossierFactory(depose=True, complet=True)
    for i in range(12):
        collectif = CollectifFactory(dossier=autre, ordre=i)
        CreneauFactory(collectif=collectif)
        if i % 2:
            BilanActionFactory(collectif=collectif)

    with CaptureQueriesContext(connection) as petit:
        dossier_vers_document(charger_pour_export(Dossier.objects.filter(pk=dossier.pk)).get())
    with CaptureQueriesContext(connection) as grand:
        document = dossier_vers_document(
            charger_pour_export(Dossier.objects.filter(pk=autre.pk)).get()
        )
    assert len(grand.captured_queries) == len(petit.captured_queries)
    assert sum("bilan" in c for c in document["collectifs"]) == 6
