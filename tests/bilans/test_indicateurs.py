"""Les indicateurs ``clas-bilan/1`` face à un jeu calculé à la main (``jeu_indicateurs``)."""

import hashlib
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bilans.indicateurs import (
    CLES,
    DonneesBilan,
    calculer_indicateurs,
    comparer,
    contenu_empreinte,
    indicateurs_par_departement,
    niveau_collectif,
    rassembler_bilan,
)
from collectifs.models import Collectif
from dossiers.models import Etat, Evaluation
from seances.models import BilanAction
from tests.bilans.jeu_indicateurs import (
    ATTENDU_23_2025,
    ATTENDU_59_2024,
    ATTENDU_59_2025,
    ATTENDU_NATIONAL_2025,
    DECISION,
    DEPOT,
    bilan,
    collectif,
    dossier,
    figer,
    peupler,
    porteur,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def jeu(dep59, dep23):
    return peupler()


# --- Chaque clé du format, calculée à la main -------------------------------------------------


def test_les_cles_du_format_dans_l_ordre_du_paragraphe_4(jeu):
    assert tuple(calculer_indicateurs("59", 2025)) == CLES
    assert tuple(ATTENDU_59_2025) == CLES


@pytest.mark.parametrize(
    ("departement", "annee", "attendu"),
    [
        ("59", 2025, ATTENDU_59_2025),
        ("23", 2025, ATTENDU_23_2025),
        ("59", 2024, ATTENDU_59_2024),
        (None, 2025, ATTENDU_NATIONAL_2025),
    ],
    ids=["59-2025", "23-2025", "59-2024", "national-2025"],
)
def test_chaque_cle_calculee_a_la_main(jeu, departement, annee, attendu):
    obtenu = calculer_indicateurs(departement, annee)
    for cle in CLES:
        assert obtenu[cle] == attendu[cle], cle
    assert obtenu == attendu
    # Sérialisable tel quel, ordre des motifs : celui du catalogue.
    assert json.loads(json.dumps(obtenu)) == attendu
    assert list(obtenu["motifs_non_eligibilite"]) == list(attendu["motifs_non_eligibilite"])


def test_rien_d_un_autre_departement_ni_d_une_autre_annee(jeu):
    """Une valeur propre au 23 ou à 2024 n'apparaît jamais dans le 59 de 2025, et l'inverse."""
    i59 = calculer_indicateurs("59", 2025)
    i23 = calculer_indicateurs("23", 2025)
    assert i59["montant_accorde_total"] == "9000.03"  # ni 1 000 (23) ni 4 000 (2024)
    assert i23["enfants_inscrits"] == 8  # ni 25 (59) ni 20 (2024)
    # Une année sans dossier : des zéros, des moyennes nulles, rien d'ailleurs.
    vide = calculer_indicateurs("59", 2023)
    assert vide["dossiers_deposes"] == vide["collectifs_finances"] == vide["enfants_inscrits"] == 0
    assert vide["montant_accorde_total"] == "0.00"
    assert vide["heures_realisees"] == "0.0"
    assert vide["taux_presence_moyen"] is None
    assert vide["montant_moyen_par_collectif"] is None
    assert vide["montant_moyen_par_enfant"] is None
    assert vide["motifs_non_eligibilite"] == {}


def test_national_egale_la_somme_des_departements(jeu):
    national = calculer_indicateurs(None, 2025)
    parties = [calculer_indicateurs(code, 2025) for code in ("59", "23")]
    assert national["departement"] is None
    for cle in CLES:
        valeurs = [p[cle] for p in parties]
        if cle == "collectifs_par_niveau":
            assert national[cle] == {k: sum(v[k] for v in valeurs) for k in valeurs[0]}
        elif cle == "motifs_non_eligibilite":
            codes = {k for v in valeurs for k in v}
            assert national[cle] == {k: sum(v.get(k, 0) for v in valeurs) for k in codes}
        elif cle in ("montant_accorde_total", "heures_realisees"):
            assert Decimal(national[cle]) == sum(Decimal(v) for v in valeurs), cle
        elif isinstance(national[cle], int):
            assert national[cle] == sum(valeurs), cle
    # Les moyennes ne s'additionnent pas : elles sont recalculées sur la somme.
    assert national["taux_presence_moyen"] == "0.81"
    assert national["montant_moyen_par_collectif"] == "1428.58"


def test_tableau_par_departement_de_l_administration(jeu):
    lignes = indicateurs_par_departement(2025)
    assert lignes == [
        {
            "departement": "23",
            "libelle": "23 — Creuse",
            "dossiers_deposes": 2,
            "dossiers_acceptes": 1,
            "collectifs_finances": 1,
            "enfants_inscrits": 8,
            "montant_accorde_total": "1000.00",
        },
        {
            "departement": "59",
            "libelle": "59 — Nord",
            "dossiers_deposes": 6,
            "dossiers_acceptes": 2,
            "collectifs_finances": 6,
            "enfants_inscrits": 25,
            "montant_accorde_total": "9000.03",
        },
    ]
    # Les mêmes valeurs que le calcul de chaque département.
    for ligne in lignes:
        seul = calculer_indicateurs(ligne["departement"], 2025)
        for cle in ("dossiers_deposes", "dossiers_acceptes", "collectifs_finances"):
            assert ligne[cle] == seul[cle]
    assert indicateurs_par_departement(2030) == []


# --- Règles de détail ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "niveau"),
    [
        (["CP", "CM2"], "elementaire"),
        (["6e"], "college"),
        (["2nde", "Tle"], "lycee"),
        (["CM2", "6e"], "mixte"),
        (["3e", "2nde"], "mixte"),
        (["GS", "CP"], "mixte"),  # la maternelle n'est dans aucune liste
        (["PS"], "mixte"),
        ([], "mixte"),  # classes non renseignées
        (None, "mixte"),
    ],
)
def test_niveau_d_un_collectif(classes, niveau):
    assert niveau_collectif(classes) == niveau


def _accepte_simple(montant="100.00", **kwargs):
    d = dossier(porteur("Arrondis"), Etat.ACCEPTE, montant_accorde=Decimal(montant), **kwargs)
    return d


@pytest.mark.parametrize(
    ("heures", "attendu"),
    [
        (["10.25"], "10.3"),  # demi : au-dessus (l'arrondi bancaire donnerait 10.2)
        (["10.35"], "10.4"),
        (["10.24"], "10.2"),
        (["0.05", "0.10"], "0.2"),  # 0,15
    ],
)
def test_heures_arrondies_au_dixieme_demi_superieur(dep59, heures, attendu):
    d = _accepte_simple()
    for i, h in enumerate(heures):
        bilan(collectif(d, i, ["CP"]), heures_realisees=Decimal(h))
    figer(d, DECISION)
    assert calculer_indicateurs("59", 2025)["heures_realisees"] == attendu


@pytest.mark.parametrize(
    ("taux", "attendu"),
    [
        # (inscrits, taux) : moyenne pondérée par les inscrits.
        ([(1, "0.8450")], "0.85"),  # 0,845 → 0,85 (l'arrondi bancaire donnerait 0,84)
        ([(1, "0.8449")], "0.84"),
        ([(3, "0.1250"), (1, "0.1250")], "0.13"),  # 0,125 → 0,13
        ([(2, "1.0000"), (2, "0.5000")], "0.75"),
        ([(0, "0.9000")], None),  # aucun inscrit : pas de moyenne
    ],
)
def test_taux_de_presence_pondere_demi_superieur(dep59, taux, attendu):
    d = _accepte_simple()
    for i, (inscrits, t) in enumerate(taux):
        bilan(
            collectif(d, i, ["CP"]),
            enfants_inscrits=inscrits,
            filles=0,
            garcons=0,
            taux_presence=Decimal(t),
        )
    figer(d, DECISION)
    assert calculer_indicateurs("59", 2025)["taux_presence_moyen"] == attendu


@pytest.mark.parametrize(
    ("montant", "collectifs", "inscrits", "par_collectif", "par_enfant"),
    [
        ("100.01", 2, 2, "50.01", "50.01"),  # 50,005 → 50,01
        ("0.05", 2, 10, "0.03", "0.01"),  # 0,025 → 0,03 ; 0,005 → 0,01
        ("100.00", 3, 0, "33.33", None),  # aucun enfant inscrit : null
    ],
)
def test_moyennes_au_centime_demi_superieur(
    dep59, montant, collectifs, inscrits, par_collectif, par_enfant
):
    d = _accepte_simple(montant)
    for i in range(collectifs):
        c = collectif(d, i, ["CP"])
        if i == 0:
            bilan(c, enfants_inscrits=inscrits, filles=0, garcons=0)
    figer(d, DECISION)
    resultat = calculer_indicateurs("59", 2025)
    assert resultat["montant_moyen_par_collectif"] == par_collectif
    assert resultat["montant_moyen_par_enfant"] == par_enfant


def test_evaluation_de_la_decision_prime_sur_une_plus_recente(dep59):
    """Le verdict des collectifs est celui de la dernière évaluation figée à la décision, même
    si une évaluation plus récente (d'un autre motif) dit autre chose."""
    d = _accepte_simple()
    collectif(d, 0, ["CP"], nombre_enfants=3)  # non éligible pour le moteur
    figer(d, DEPOT, DECISION)
    Evaluation.objects.create(
        dossier=d,
        motif=Evaluation.Motif.DEPOT,
        edition="cnaf-2019",
        parametres={},
        empreinte_entree="0" * 64,
        entree={},
        resultat={"verdict": "eligible", "criteres": [], "collectifs": [
            {"index": 0, "verdict": "eligible", "criteres": []}]},
        verdict="eligible",
    )  # fmt: skip
    assert calculer_indicateurs("59", 2025)["collectifs_finances"] == 0


def test_sans_decision_la_derniere_evaluation_figee(dep59):
    d = _accepte_simple()
    collectif(d, 0, ["CP"], nombre_enfants=3)
    figer(d, DEPOT)  # non éligible
    d.collectifs.update(nombre_enfants=10)
    figer(d, DEPOT)  # la dernière : éligible
    assert calculer_indicateurs("59", 2025)["collectifs_finances"] == 1


def test_dossier_sans_evaluation_figee_evalue_par_le_moteur(dep59):
    """Un dossier accepté sans évaluation figée est évalué par le moteur ; un dossier déposé
    sans évaluation et non éligible compte dans les motifs."""
    accepte = _accepte_simple("500.00")
    collectif(accepte, 0, ["CP"])
    collectif(accepte, 1, ["CP"], nombre_enfants=3)  # non éligible : pas financé
    depose = dossier(porteur("Sans évaluation"), Etat.DEPOSE, engagement_bilan=False)
    collectif(depose, 0, ["CP"])
    assert not Evaluation.objects.exists()
    resultat = calculer_indicateurs("59", 2025)
    assert resultat["collectifs_finances"] == 1
    assert resultat["motifs_non_eligibilite"] == {"ENGAGEMENT-BILAN": 1}
    assert not Evaluation.objects.exists()  # rien n'est écrit


def test_bilan_soumis_seul_compte(dep59):
    d = _accepte_simple()
    for i, statut in enumerate(BilanAction.Statut.values):
        bilan(collectif(d, i, ["CP"]), statut=statut, enfants_inscrits=10, filles=5, garcons=5)
    figer(d, DECISION)
    resultat = calculer_indicateurs("59", 2025)
    assert resultat["collectifs_finances"] == 3
    assert resultat["enfants_inscrits"] == 10
    assert resultat["collectifs_sans_bilan"] == 2


# --- Le bilan rassemblé ---------------------------------------------------------------------------


def test_rassembler_bilan_59(jeu):
    donnees = rassembler_bilan("59", 2025)
    assert isinstance(donnees, DonneesBilan)
    assert donnees.departement == "59"
    assert donnees.libelle_departement == "59 — Nord"
    assert donnees.annee == 2025
    assert donnees.indicateurs == ATTENDU_59_2025
    assert donnees.precedent == ATTENDU_59_2024
    assert donnees.par_niveau == ATTENDU_59_2025["collectifs_par_niveau"]
    assert donnees.par_commune == [
        {"commune": "Roubaix", "collectifs": 1, "enfants": 10, "montant": Decimal("2000.00")},
        {"commune": "Wattrelos", "collectifs": 1, "enfants": 6, "montant": Decimal("2000.00")},
        {
            "commune": "(commune non renseignée)",
            "collectifs": 1,
            "enfants": None,
            "montant": Decimal("1500.01"),
        },
        {"commune": "Tourcoing", "collectifs": 3, "enfants": 9, "montant": Decimal("1500.00")},
    ]
    assert donnees.par_porteur == [
        {
            "porteur": "Centre social Alpha",
            "siret": jeu["d1"].porteur.siret,
            "commune": "Roubaix",
            "dossiers": 1,
            "collectifs": 2,
            "montant": Decimal("6000.00"),
        },
        {
            "porteur": "Association Beta",
            "siret": jeu["d2"].porteur.siret,
            "commune": "Tourcoing",
            "dossiers": 1,
            "collectifs": 4,
            "montant": Decimal("3000.03"),
        },
    ]
    assert donnees.non_eligibilite == [
        # D3 et D4 ; collectifs : D1 c2, D3, et les deux de D4
        {"code": "COLLECTIF-TAILLE", "libelle": "Nombre d'enfants", "dossiers": 2, "collectifs": 4},
        {
            "code": "DIAGNOSTIC-SDSF",
            "libelle": "Diagnostic et cohérence avec le Sdsf",
            "dossiers": 1,
            "collectifs": 0,
        },
        {
            "code": "EXCLUSION-AIDE-DEVOIRS",
            "libelle": "Action d'aide aux devoirs exclusive ou non",
            "dossiers": 1,
            "collectifs": 0,
        },
    ]
    # Les dossiers de non-éligibilité sont exactement les motifs du format.
    assert {m["code"]: m["dossiers"] for m in donnees.non_eligibilite if m["dossiers"]} == (
        donnees.indicateurs["motifs_non_eligibilite"]
    )


def test_annexe_des_porteurs_et_collectifs_finances(jeu):
    annexe = rassembler_bilan("59", 2025).annexe
    assert [a["porteur"] for a in annexe] == ["Association Beta", "Centre social Alpha"]
    beta, alpha = annexe
    assert beta["siret"] == jeu["d2"].porteur.siret
    assert beta["numero"] == jeu["d2"].pk
    assert beta["reference"] == str(jeu["d2"].pk)  # pas de référence d'import
    assert beta["montant_accorde"] == Decimal("3000.03")
    assert [(c["niveau"], c["classes"], c["rural"], c["commune"]) for c in beta["collectifs"]] == [
        ("lycee", "2nde, 1re", False, "Tourcoing"),
        ("mixte", "CM2, 6e", None, ""),
        ("mixte", "", False, "Tourcoing"),
        ("college", "4e, 3e", False, "Tourcoing"),
    ]
    assert [c["enfants_inscrits"] for c in beta["collectifs"]] == [None, None, None, 9]
    assert [c["montant_accorde"] for c in beta["collectifs"]] == [
        Decimal("1500.00"),
        Decimal("1500.01"),
        None,
        None,
    ]
    # Le collectif non éligible de D1 n'est pas dans l'annexe.
    assert [c["nom"] for c in alpha["collectifs"]] == [
        "Centre social Alpha 0",
        "Centre social Alpha 1",
    ]
    assert alpha["collectifs"][1] == {
        "nom": "Centre social Alpha 1",
        "niveau": "college",
        "classes": "6e, 5e",
        "rural": True,
        "commune": "Wattrelos",
        "enfants_inscrits": 6,
        "montant_accorde": Decimal("2000.00"),
    }


def test_tableaux_coherents_avec_les_indicateurs(jeu):
    """Les tableaux détaillés redonnent les totaux du format."""
    for departement in ("59", "23", None):
        donnees = rassembler_bilan(departement, 2025)
        i = donnees.indicateurs
        assert sum(c["collectifs"] for c in donnees.par_commune) == i["collectifs_finances"]
        assert sum(c["enfants"] or 0 for c in donnees.par_commune) == i["enfants_inscrits"]
        assert sum(p["collectifs"] for p in donnees.par_porteur) == i["collectifs_finances"]
        assert sum(p["dossiers"] for p in donnees.par_porteur) == i["dossiers_acceptes"]
        assert (
            f"{sum(p['montant'] for p in donnees.par_porteur):.2f}" == (i["montant_accorde_total"])
        )
        assert sum(len(a["collectifs"]) for a in donnees.annexe) == i["collectifs_finances"]


def test_empreinte_des_donnees(jeu):
    donnees = rassembler_bilan("59", 2025)
    assert donnees.empreinte == hashlib.sha256(contenu_empreinte(donnees).encode()).hexdigest()
    # Mêmes données, même empreinte ; une donnée change, l'empreinte change.
    assert rassembler_bilan("59", 2025).empreinte == donnees.empreinte
    BilanAction.objects.filter(collectif__dossier=jeu["d1"], enfants_inscrits=10).update(familles=9)
    assert rassembler_bilan("59", 2025).empreinte != donnees.empreinte
    # Un changement ailleurs (le 23) ne la change pas.
    autre = rassembler_bilan("59", 2025).empreinte
    Collectif.objects.filter(dossier=jeu["d8"]).update(montant_accorde=Decimal("1.00"))
    assert rassembler_bilan("59", 2025).empreinte == autre


def test_sans_annee_precedente_pas_de_comparaison(jeu):
    donnees = rassembler_bilan("23", 2025)
    assert donnees.precedent is None
    assert comparer(donnees.indicateurs, donnees.precedent) == []
    # Un brouillon seul l'année précédente ne fait pas une année précédente.
    dossier(porteur("Brouillon 2024", dep="23"), Etat.BROUILLON, annee=2024)
    assert rassembler_bilan("23", 2025).precedent is None


def test_comparaison_avec_l_annee_precedente(jeu):
    donnees = rassembler_bilan("59", 2025)
    lignes = {ligne["cle"]: ligne for ligne in comparer(donnees.indicateurs, donnees.precedent)}
    assert lignes["enfants_inscrits"] == {
        "cle": "enfants_inscrits",
        "libelle": "Enfants inscrits",
        "nature": "entier",
        "precedent": 20,
        "actuel": 25,
        "ecart": 5,
        "evolution": Decimal("25.0"),
    }
    assert lignes["montant_accorde_total"]["ecart"] == Decimal("5000.03")
    assert lignes["montant_accorde_total"]["evolution"] == Decimal("125.0")  # 125,00075 %
    assert lignes["dossiers_refuses"]["evolution"] is None  # 0 l'année précédente
    assert lignes["taux_presence_moyen"]["ecart"] == Decimal("0.05")  # 0,80 → 0,85
    assert lignes["taux_presence_moyen"]["evolution"] == Decimal("6.3")  # 6,25 → 6,3
    assert lignes["heures_realisees"]["ecart"] == Decimal("102.7")
    assert "collectifs_par_niveau" not in lignes and "format" not in lignes


# --- Requêtes bornées -----------------------------------------------------------------------------


def _beaucoup(n: int) -> None:
    for k in range(n):
        d = dossier(porteur(f"Porteur {k}"), Etat.ACCEPTE, montant_accorde=Decimal("1000.00"))
        for i in range(3):
            c = collectif(d, i, ["CP"], nombre_enfants=3 if i == 2 else 10)
            bilan(c)
        figer(d, DEPOT, DECISION)
        refuse = dossier(porteur(f"Refusé {k}"), Etat.REFUSE, aide_aux_devoirs_exclusive=True)
        collectif(refuse, 0, ["CP"])
        figer(refuse, DEPOT, DECISION)
    # Un dossier déposé sans évaluation figée : le moteur l'évalue, requêtes comprises.
    sans = dossier(porteur("Sans évaluation"), Etat.DEPOSE)
    collectif(sans, 0, ["CP"])


def _compter(fonction, *args) -> int:
    with CaptureQueriesContext(connection) as requetes:
        fonction(*args)
    return len(requetes)


def test_nombre_de_requetes_independant_du_nombre_de_dossiers(dep59, django_assert_max_num_queries):
    _beaucoup(3)
    peu = {
        "indicateurs": _compter(calculer_indicateurs, "59", 2025),
        "bilan": _compter(rassembler_bilan, "59", 2025),
        "national": _compter(indicateurs_par_departement, 2025),
    }
    _beaucoup(27)
    with django_assert_max_num_queries(peu["indicateurs"]):
        resultat = calculer_indicateurs("59", 2025)
    with django_assert_max_num_queries(peu["bilan"]):
        rassembler_bilan("59", 2025)
    with django_assert_max_num_queries(peu["national"]):
        indicateurs_par_departement(2025)
    assert resultat["dossiers_deposes"] == 62  # 30 acceptés, 30 refusés, 2 sans évaluation
    assert resultat["collectifs_finances"] == 60
    assert resultat["motifs_non_eligibilite"] == {"EXCLUSION-AIDE-DEVOIRS": 30}
    assert peu["indicateurs"] <= 9 and peu["bilan"] <= 22, peu


def test_montant_non_renseigne_compte_pour_zero(dep59):
    d = dossier(porteur("Sans montant"), Etat.ACCEPTE, montant_accorde=None)
    figer(d, DECISION)  # sans collectif
    resultat = calculer_indicateurs("59", 2025)
    assert resultat["dossiers_acceptes"] == resultat["porteurs_finances"] == 1
    assert resultat["collectifs_finances"] == 0
    assert resultat["montant_accorde_total"] == "0.00"
    assert resultat["montant_moyen_par_collectif"] is None
    assert resultat["motifs_non_eligibilite"] == {}  # « aucun collectif » n'est pas un critère
