"""Le PDF du bilan, relu en texte (pypdf) : les mêmes chiffres que le JSON, au format français."""

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from bilans import graphiques
from bilans.indicateurs import indicateurs_par_departement, rassembler_bilan
from bilans.pdf import euros, nombre, rendre_bilan, taux
from tests.bilans.fabrique_bilan import peupler_bilan_59

pytestmark = pytest.mark.django_db

ESPACES = re.compile(r"[\u202f\u00a0\u2009 ]+")


def texte_pdf(pdf: bytes) -> tuple[str, list[str]]:
    """Le texte du PDF, espaces (fines, insécables) normalisées en une espace simple."""
    pages = [ESPACES.sub(" ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]
    return "\n".join(pages), pages


def en_francais(montant: str) -> str:
    """« 7886.00 » → « 7 886,00 € » (espaces normalisées), écrit ici à la main."""
    entier, decimales = montant.split(".")
    groupes = []
    while len(entier) > 3:
        groupes.insert(0, entier[-3:])
        entier = entier[:-3]
    groupes.insert(0, entier)
    return f"{' '.join(groupes)},{decimales} €"


@pytest.fixture
def bilan_59(dep59):
    peupler_bilan_59()
    donnees = rassembler_bilan("59", 2025)
    pdf, pages = rendre_bilan(donnees)
    texte, par_page = texte_pdf(pdf)
    return donnees, pdf, pages, texte, par_page


def test_le_pdf_montre_les_chiffres_du_json(bilan_59):
    donnees, _pdf, _pages, texte, _par_page = bilan_59
    i = donnees.indicateurs
    # Le jeu connu (tests/bilans/fabrique_bilan.py) : vérifié à la main, puis lu dans le PDF.
    assert i["montant_accorde_total"] == "7886.00"
    assert i["enfants_inscrits"] == 21
    for montant in (
        i["montant_accorde_total"],
        i["montant_moyen_par_collectif"],
        i["montant_moyen_par_enfant"],
    ):
        assert en_francais(montant) in texte
    assert "7 886,00 €" in texte and "2 628,67 €" in texte and "375,52 €" in texte
    assert f"Enfants inscrits {i['enfants_inscrits']}" in texte
    assert f"dont filles {i['filles']}" in texte
    assert f"dont garçons {i['garcons']}" in texte
    assert f"Familles {i['familles']}" in texte
    assert f"Séances réalisées {i['seances_realisees']}" in texte
    assert f"Heures réalisées {i['heures_realisees'].replace('.', ',')}" in texte  # 165,5
    assert i["taux_presence_moyen"] == "0.84"
    assert "Taux de présence moyen 84 %" in texte
    assert f"Salariés {i['intervenants_salaries']}" in texte
    assert f"Bénévoles {i['intervenants_benevoles']}" in texte
    assert f"Actions avec les parents {i['actions_parents']}" in texte
    assert f"Rencontres avec l'école {i['rencontres_ecole']}" in texte
    assert f"Dossiers déposés {i['dossiers_deposes']}" in texte
    assert f"Refusés {i['dossiers_refuses']}" in texte
    # Niveaux et part rurale : 2 élémentaires, 1 collège rural sur 3.
    assert "Élémentaire (CP–CM2) 2 66,7 %" in texte
    assert "Collège (6e–3e) 1 33,3 %" in texte
    assert "part rurale : 33,3 %" in texte
    # Par commune et par porteur, triés par montant décroissant.
    assert "Lille 1 — 2 886,00 €" in texte
    assert "Centre social du Pile Roubaix 1 2 5 000,00 €" in texte
    # Comparaison avec 2024-2025 (un dossier accepté de 6 000 €).
    assert "Montant accordé total 6 000,00 € 7 886,00 € +1 886,00 € (+31,4 %)" in texte
    # Annexe : chaque collectif financé.
    for nom in ("Les Castors", "Les Hiboux", "Les Lucioles"):
        assert nom in texte
    # Rien d'un autre département.
    assert "Guéret" not in texte and "99 999" not in texte


def test_couverture_pages_et_numeros(bilan_59):
    donnees, pdf, pages, _texte, par_page = bilan_59
    assert pdf.startswith(b"%PDF-")
    assert pages == len(par_page) >= 5
    couverture = par_page[0]
    assert "Bilan départemental" in couverture
    assert "59 — Nord" in couverture
    assert "Année scolaire 2025-2026" in couverture
    assert re.search(r"Bilan généré le \d{1,2}(er)? [a-zéû]+ \d{4} à \d\d h \d\d", couverture)
    assert donnees.empreinte in couverture.replace("\n", "")
    for numero, page in enumerate(par_page, start=1):
        assert f"page {numero} / {pages}" in page
    # L'annexe commence sur une nouvelle page.
    assert any(p.lstrip().startswith("Annexe — porteurs et collectifs financés") for p in par_page)


def test_bilan_national_avec_le_tableau_des_departements(dep59):
    peupler_bilan_59()
    donnees = rassembler_bilan(None, 2025)
    pdf, pages = rendre_bilan(donnees, par_departement=indicateurs_par_departement(2025))
    texte, _ = texte_pdf(pdf)
    assert "Bilan national consolidé" in texte
    assert "France entière" in texte
    assert "59 — Nord" in texte and "23 — Creuse" in texte
    assert "99 999,00 €" in texte  # le 23 compte dans la consolidation nationale
    assert en_francais(donnees.indicateurs["montant_accorde_total"]) in texte
    assert pages >= 3


def test_bilan_sans_annee_precedente_ni_donnees(dep59):
    donnees = rassembler_bilan("59", 2030)
    pdf, pages = rendre_bilan(donnees)
    texte, _ = texte_pdf(pdf)
    assert "pas de comparaison" in texte
    assert "Aucun porteur financé." in texte
    assert pages >= 2


def test_formats_francais():
    assert nombre(1234567) == "1\u202f234\u202f567"
    assert nombre("165.45", 1) == "165,5"
    assert nombre(None) == "—"
    assert euros("7886") == "7\u202f886,00\u202f€"
    assert euros(None) == "—"
    assert taux("0.85") == "85\u202f%"
    assert taux("0.875") == "87,5\u202f%"


def test_graphique_svg_echappe_les_libelles():
    svg = graphiques.barres_communes(
        [
            {"commune": "<script>x</script> & Cie", "montant": Decimal("100.00")},
            {"commune": "Lille", "montant": Decimal("50.00")},
        ],
        euros,
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script>" not in svg and "& Cie" not in svg
    assert "&lt;script&gt;" in svg and "&amp; Cie" in svg
    # La plus grande barre occupe toute la zone, l'autre la moitié.
    largeurs = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert largeurs[0] == pytest.approx(2 * largeurs[1])


def test_graphique_regroupe_les_communes_au_dela_de_la_limite():
    communes = [{"commune": f"Commune {n}", "montant": Decimal(100 - n)} for n in range(15)]
    svg = graphiques.barres_communes(communes, euros, limite=12)
    assert "3 autres communes" in svg
    assert svg.count("<rect") == 13
