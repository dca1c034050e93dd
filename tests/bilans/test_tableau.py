"""Le tableau de bord du bilan et ses exports JSON, CSV, XLSX : contenu, périmètre, requêtes."""

import csv
import html
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from bilans.indicateurs import rassembler_bilan
from dossiers.models import Etat
from tests.bilans.jeu_indicateurs import (
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
from tests.factories import UtilisateurFactory

pytestmark = pytest.mark.django_db

TABLEAU_59 = reverse("bilans:tableau", args=["59", 2025])
TEXTES = ("format", "departement", "annee_scolaire")  # les valeurs non chiffrées du format
EXPORTS_59 = {
    fmt: reverse(f"bilans:export_{fmt}", args=["59", 2025]) for fmt in ("json", "csv", "xlsx")
}


@pytest.fixture
def jeu(dep59, dep23):
    return peupler()


@pytest.fixture
def secretariat23(dep23):
    return UtilisateurFactory(secretariat=True, departement=dep23, email="secretariat23@caf.fr")


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


# --- Adresses ---------------------------------------------------------------------------------


def test_adresses():
    assert TABLEAU_59 == "/bilans/59/2025/"
    assert EXPORTS_59["json"] == "/bilans/59/2025/indicateurs.json"
    assert EXPORTS_59["csv"] == "/bilans/59/2025/indicateurs.csv"
    assert EXPORTS_59["xlsx"] == "/bilans/59/2025/indicateurs.xlsx"
    assert reverse("bilans:tableau", args=["national", 2025]) == "/bilans/national/2025/"


# --- Périmètre --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [TABLEAU_59, *EXPORTS_59.values()])
def test_secretariat_et_agents_du_departement(client, jeu, secretariat59, agent59, url):
    for utilisateur in (secretariat59, agent59):
        client.force_login(utilisateur)
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", [TABLEAU_59, *EXPORTS_59.values()])
def test_un_autre_departement_recoit_404(client, jeu, secretariat23, agent23, url):
    for utilisateur in (secretariat23, agent23):
        client.force_login(utilisateur)
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [TABLEAU_59, *EXPORTS_59.values()])
def test_porteur_recoit_403(client, jeu, porteur_user, url):
    client.force_login(porteur_user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [TABLEAU_59, EXPORTS_59["json"]])
def test_anonyme_renvoye_a_la_connexion(client, url):
    reponse = client.get(url)
    assert reponse.status_code == 302
    assert "connexion" in reponse["Location"]


def test_consolidation_nationale_reservee_a_l_administration(
    client, jeu, admin_national, secretariat59
):
    national = reverse("bilans:tableau", args=["national", 2025])
    client.force_login(secretariat59)
    assert client.get(national).status_code == 404
    assert client.get(reverse("bilans:export_json", args=["national", 2025])).status_code == 404
    client.force_login(admin_national)
    reponse = client.get(national)
    assert reponse.status_code == 200
    assert reponse.context["donnees"].indicateurs == ATTENDU_NATIONAL_2025
    # Le détail par département, avec un lien vers chacun.
    assert [ligne["departement"] for ligne in reponse.context["par_departement"]] == ["23", "59"]
    assert 'href="/bilans/59/2025/"' in reponse.content.decode()
    assert client.get(TABLEAU_59).status_code == 200
    assert client.get(reverse("bilans:tableau", args=["23", 2025])).status_code == 200
    exporte = client.get(reverse("bilans:export_json", args=["national", 2025]))
    assert 'filename="bilan-national-2025-2026.json"' in exporte["Content-Disposition"]
    assert json.loads(exporte.content) == ATTENDU_NATIONAL_2025


def test_departement_inconnu_ou_annee_hors_limites(client, admin_national, secretariat59):
    client.force_login(admin_national)
    assert client.get(reverse("bilans:tableau", args=["999", 2025])).status_code == 404
    assert client.get(reverse("bilans:export_csv", args=["999", 2025])).status_code == 404
    client.force_login(secretariat59)
    assert client.get(reverse("bilans:tableau", args=["59", 1999])).status_code == 404
    assert client.get(reverse("bilans:tableau", args=["59", 2101])).status_code == 404


# --- Le tableau de bord -----------------------------------------------------------------------


def test_tableau_de_bord_du_59(client, jeu, secretariat59):
    client.force_login(secretariat59)
    reponse = client.get(TABLEAU_59)
    assert reponse.status_code == 200
    assert reponse.context["donnees"].indicateurs == ATTENDU_59_2025
    page = texte(reponse)
    # Chiffres clés et sections, au format français (espace fine insécable).
    assert "Bilan de l'activité Clas 2025-2026" in page
    assert "Département 59 — Nord" in page
    assert "9\u202f000,03\u202f€" in page  # montant accordé total
    assert "1\u202f500,01\u202f€" in page  # moyenne par collectif
    assert "85\u202f%" in page  # taux de présence moyen 0,85
    assert "192,7" in page  # heures réalisées
    for titre in (
        "Chiffres clés",
        "Collectifs financés par niveau",
        "Milieu rural",
        "Enfants et familles",
        "Séances, heures et présence",
        "Intervenants",
        "Parents et école",
        "Financement",
        "Comparaison avec 2024-2025",
        "Financement par commune",
        "Financement par porteur",
        "Motifs de non-éligibilité",
    ):
        assert f">{titre}</h2>" in page, titre
    # Par niveau : nombre et part.
    niveaux = {n["libelle"]: (n["nombre"], n["part"]) for n in reponse.context["niveaux"]}
    assert niveaux["Collège (6e–3e)"] == (2, "33,3\u202f%")
    assert reponse.context["ruraux"] == {
        "nombre": 1,
        "part": "16,7\u202f%",
        "urbains": 5,
        "part_urbains": "83,3\u202f%",
    }
    assert "Élémentaire (CP–CM2)" in page
    # Comparaison : valeurs, écart et évolution.
    comparaison = {ligne["cle"]: ligne for ligne in reponse.context["comparaison"]}
    assert comparaison["enfants_inscrits"]["precedent"] == "20"
    assert comparaison["enfants_inscrits"]["actuel"] == "25"
    assert comparaison["enfants_inscrits"]["ecart"] == "+5"
    assert comparaison["enfants_inscrits"]["evolution"] == "+25,0\u202f%"
    assert comparaison["taux_presence_moyen"]["ecart"] == "+5,0\u202fpts"
    assert comparaison["dossiers_refuses"]["evolution"] == "—"
    # Par commune, par porteur, motifs.
    assert "(commune non renseignée)" in page
    assert "Centre social Alpha" in page and "Association Beta" in page
    assert "COLLECTIF-TAILLE" in page and "Nombre d'enfants" in page
    # Rien du 23.
    assert "Creuse Solidaire" not in page and "Guéret" not in page
    # Les liens d'export.
    for url in EXPORTS_59.values():
        assert f'href="{url}"' in page
    assert reponse.context["par_departement"] is None


def test_tableau_sans_annee_precedente(client, jeu, admin_national):
    client.force_login(admin_national)
    reponse = client.get(reverse("bilans:tableau", args=["23", 2025]))
    assert reponse.context["comparaison"] == []
    assert "pas de comparaison possible" in texte(reponse)


def test_etat_vide(client, dep59, secretariat59):
    dossier(porteur("Brouillon"), Etat.BROUILLON)  # un brouillon ne compte pas
    client.force_login(secretariat59)
    reponse = client.get(TABLEAU_59)
    assert reponse.status_code == 200
    page = texte(reponse)
    assert "Aucun dossier déposé pour 2025-2026" in page
    assert "Chiffres clés" not in page
    # Le sélecteur d'année reste là.
    assert '<label for="id_annee"' in page


def test_selecteur_d_annee(client, jeu, secretariat59):
    client.force_login(secretariat59)
    reponse = client.get(TABLEAU_59)
    choix = reponse.context["form"].fields["annee"].choices
    assert choix == [(2025, "2025-2026"), (2024, "2024-2025")]  # années du 59 seulement
    reponse = client.get(TABLEAU_59, {"annee": "2024"})
    assert reponse.status_code == 302
    assert reponse["Location"] == reverse("bilans:tableau", args=["59", 2024])
    page = texte(client.get(reponse["Location"]))
    assert "Bilan de l'activité Clas 2024-2025" in page
    assert "Aucun dossier n'a été déposé en 2023-2024" in page


def test_selecteur_d_annee_invalide(client, jeu, secretariat59):
    client.force_login(secretariat59)
    for valeur in ("2019", "abc", ""):
        reponse = client.get(TABLEAU_59, {"annee": valeur})
        assert reponse.status_code == 200
        page = texte(reponse)
        assert 'role="alert"' in page
        assert 'href="#id_annee"' in page
        assert "Année scolaire : Choisissez une année scolaire" in page


def test_pagination_des_porteurs(client, dep59, secretariat59):
    for k in range(27):
        d = dossier(porteur(f"Porteur {k:02d}"), Etat.ACCEPTE, montant_accorde=Decimal(100 + k))
        figer(d, DECISION)
    client.force_login(secretariat59)
    reponse = client.get(TABLEAU_59)
    assert len(reponse.context["porteurs"]) == 25
    assert reponse.context["porteurs"][0]["porteur"] == "Porteur 26"  # le plus gros montant
    assert "Page 1 sur 2" in texte(reponse)
    reponse = client.get(TABLEAU_59, {"page": "2"})
    assert [p["porteur"] for p in reponse.context["porteurs"]] == ["Porteur 01", "Porteur 00"]


def _peupler_beaucoup(n: int) -> None:
    for k in range(n):
        d = dossier(porteur(f"P{k}"), Etat.ACCEPTE, montant_accorde=Decimal("1000.00"))
        for i in range(3):
            bilan(collectif(d, i, ["CP"], lieu_commune=f"Commune {k % 7}"))
        figer(d, DEPOT, DECISION)


def test_tableau_et_exports_nombre_de_requetes_borne(
    client, dep59, secretariat59, django_assert_max_num_queries
):
    _peupler_beaucoup(30)
    client.force_login(secretariat59)
    with django_assert_max_num_queries(22):
        assert client.get(TABLEAU_59).status_code == 200
    for url in EXPORTS_59.values():
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200


# --- Les exports disent la même chose que le JSON ---------------------------------------------


def _nombre_fr(texte_cellule: str):
    """Relit une valeur du CSV (décimales à virgule) dans le type du JSON."""
    if texte_cellule == "":
        return None
    if "," in texte_cellule:
        return texte_cellule.replace(",", ".")
    return int(texte_cellule) if texte_cellule.lstrip("-").isdigit() else texte_cellule


def _deplier(indicateurs: dict) -> dict:
    """Les indicateurs à plat, comme les lignes des exports (``collectifs_par_niveau.college``)."""
    plat = {}
    for cle, valeur in indicateurs.items():
        if isinstance(valeur, dict):
            for sous_cle, n in valeur.items():
                plat[f"{cle}.{sous_cle}"] = n
        else:
            plat[cle] = valeur
    return plat


def test_export_json(client, jeu, secretariat59):
    client.force_login(secretariat59)
    reponse = client.get(EXPORTS_59["json"])
    assert reponse["Content-Type"] == "application/json; charset=utf-8"
    assert reponse["Content-Disposition"] == 'attachment; filename="bilan-59-2025-2026.json"'
    document = json.loads(reponse.content)
    assert document == ATTENDU_59_2025
    assert list(document) == list(ATTENDU_59_2025)  # ordre du §4


def test_export_csv_memes_chiffres_que_le_json(client, jeu, secretariat59):
    client.force_login(secretariat59)
    reponse = client.get(EXPORTS_59["csv"])
    assert reponse["Content-Type"] == "text/csv; charset=utf-8"
    assert reponse["Content-Disposition"] == 'attachment; filename="bilan-59-2025-2026.csv"'
    contenu = reponse.content.decode("utf-8")
    assert contenu.startswith("\ufeff")
    lignes = list(csv.reader(io.StringIO(contenu[1:]), delimiter=";"))
    assert lignes[0] == ["Indicateur", "Clé", "Valeur"]
    fin = lignes.index([])
    valeurs = {
        cle: valeur if cle in TEXTES else _nombre_fr(valeur)
        for _libelle, cle, valeur in lignes[1:fin]
    }
    attendu = _deplier(ATTENDU_59_2025)
    assert valeurs == {
        cle: (valeur if valeur is None or isinstance(valeur, int) else str(valeur))
        for cle, valeur in attendu.items()
    }
    assert lignes[1] == ["Format", "format", "clas-bilan/1"]
    assert ["Montant accordé total", "montant_accorde_total", "9000,03"] in lignes
    assert ["Taux de présence moyen", "taux_presence_moyen", "0,85"] in lignes
    # Puis les sections.
    titres = [lignes[i + 1][0] for i, ligne in enumerate(lignes) if ligne == []]
    assert titres == ["Par commune", "Par porteur", "Non-éligibilité", "Annexe"]
    assert ["(commune non renseignée)", "1", "", "1500,01"] in lignes
    assert ["Tourcoing", "3", "9", "1500,00"] in lignes
    assert ["COLLECTIF-TAILLE", "Nombre d'enfants", "2", "4"] in lignes


def test_export_xlsx_memes_chiffres_que_le_json(client, jeu, secretariat59):
    client.force_login(secretariat59)
    reponse = client.get(EXPORTS_59["xlsx"])
    assert reponse["Content-Disposition"] == 'attachment; filename="bilan-59-2025-2026.xlsx"'
    classeur = load_workbook(io.BytesIO(reponse.content))
    assert classeur.sheetnames == [
        "Indicateurs",
        "Par commune",
        "Par porteur",
        "Non-éligibilité",
        "Annexe",
    ]
    lignes = list(classeur["Indicateurs"].iter_rows(values_only=True))
    assert lignes[0] == ("Indicateur", "Clé", "Valeur")
    valeurs = {cle: valeur for _libelle, cle, valeur in lignes[1:]}
    for cle, attendu in _deplier(ATTENDU_59_2025).items():
        obtenu = valeurs[cle]
        if attendu is None or isinstance(attendu, int) or cle in TEXTES:
            assert obtenu == attendu, cle
        else:  # les décimaux sont des nombres dans le tableur
            assert Decimal(str(obtenu)) == Decimal(attendu), cle
    communes = list(classeur["Par commune"].iter_rows(values_only=True))
    assert communes[0] == (
        "Commune",
        "Collectifs financés",
        "Enfants inscrits",
        "Montant accordé (€)",
    )
    assert communes[1:] == [
        ("Roubaix", 1, 10, 2000),
        ("Wattrelos", 1, 6, 2000),
        ("(commune non renseignée)", 1, None, 1500.01),
        ("Tourcoing", 3, 9, 1500),
    ]
    porteurs = list(classeur["Par porteur"].iter_rows(values_only=True))
    assert [p[0] for p in porteurs[1:]] == ["Centre social Alpha", "Association Beta"]
    annexe = list(classeur["Annexe"].iter_rows(values_only=True))
    assert len(annexe) - 1 == ATTENDU_59_2025["collectifs_finances"]
    motifs = list(classeur["Non-éligibilité"].iter_rows(values_only=True))
    assert motifs[1] == ("COLLECTIF-TAILLE", "Nombre d'enfants", 2, 4)


def test_exports_et_tableau_lisent_les_memes_donnees(client, jeu, secretariat59):
    """Le tableau, le JSON, le CSV et le XLSX viennent du même ``DonneesBilan``."""
    donnees = rassembler_bilan("59", 2025)
    client.force_login(secretariat59)
    assert client.get(TABLEAU_59).context["donnees"] == donnees
    assert json.loads(client.get(EXPORTS_59["json"]).content) == donnees.indicateurs
    assert donnees.empreinte in texte(client.get(TABLEAU_59))


def test_export_texte_jamais_formule(client, dep59, secretariat59):
    d = dossier(porteur("=HYPERLINK(1)"), Etat.ACCEPTE, montant_accorde=Decimal("10.00"))
    collectif(d, 0, ["CP"], lieu_commune="+33 commune")
    figer(d, DECISION)
    client.force_login(secretariat59)
    contenu = client.get(EXPORTS_59["csv"]).content.decode("utf-8")
    assert "'=HYPERLINK(1)" in contenu and "'+33 commune" in contenu
    classeur = load_workbook(io.BytesIO(client.get(EXPORTS_59["xlsx"]).content))
    cellule = classeur["Par porteur"]["A2"]
    assert cellule.value == "=HYPERLINK(1)" and cellule.data_type == "s"
