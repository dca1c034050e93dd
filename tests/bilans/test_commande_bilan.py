"""``generer_bilan --departement D --annee YYYY-YYYY [--sortie DIR]`` (dossier-format.md §3)."""

import io
import json

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from bilans.indicateurs import calculer_indicateurs
from bilans.models import EtatGeneration, GenerationBilan
from tests.bilans.fabrique_bilan import peupler_bilan_59

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def lancer(*arguments) -> tuple[int, str, str]:
    sortie, erreurs = io.StringIO(), io.StringIO()
    try:
        call_command("generer_bilan", *arguments, stdout=sortie, stderr=erreurs)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, sortie.getvalue(), erreurs.getvalue()


def test_ecrit_le_pdf_et_le_json(dep59, tmp_path):
    peupler_bilan_59()
    tmp_path = tmp_path / "sortie"  # créé par la commande
    code, sortie, erreurs = lancer(
        "--departement", "59", "--annee", "2025-2026", "--sortie", tmp_path
    )
    assert code == 0, erreurs
    pdf = tmp_path / "bilan-59-2025-2026.pdf"
    document = tmp_path / "bilan-59-2025-2026.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == [document.name, pdf.name]
    assert json.loads(document.read_text()) == calculer_indicateurs("59", 2025)
    assert len(PdfReader(pdf).pages) >= 5
    # Même chemin que le bouton : une génération enregistrée, sans demandeur (la commande).
    generation = GenerationBilan.objects.get()
    assert generation.etat == EtatGeneration.TERMINEE
    assert generation.demandee_par is None
    assert pdf.read_bytes() == generation.fichier_pdf.read()
    assert f"{pdf} écrit." in sortie


def test_donnees_inchangees_fichiers_repris(dep59, tmp_path):
    peupler_bilan_59()
    lancer("--departement", "59", "--annee", "2025-2026", "--sortie", tmp_path / "a")
    code, sortie, _ = lancer(
        "--departement", "59", "--annee", "2025-2026", "--sortie", tmp_path / "b"
    )
    assert code == 0
    assert "Données inchangées" in sortie
    assert GenerationBilan.objects.count() == 1
    nom = "bilan-59-2025-2026.pdf"
    assert (tmp_path / "a" / nom).read_bytes() == (tmp_path / "b" / nom).read_bytes()


def test_dossier_courant_par_defaut(dep59, tmp_path, monkeypatch):
    courant = tmp_path / "courant"
    courant.mkdir()
    monkeypatch.chdir(courant)
    code, _, erreurs = lancer("--departement", "59", "--annee", "2024-2025")
    assert code == 0, erreurs
    assert sorted(p.name for p in courant.iterdir()) == [
        "bilan-59-2024-2025.json",
        "bilan-59-2024-2025.pdf",
    ]


@pytest.mark.parametrize(
    ("departement", "annee", "message"),
    [
        ("999", "2025-2026", "--departement : « 999 » n'est pas un département connu."),
        ("", "2025-2026", "n'est pas un département connu"),
        ("59", "2025-2027", "--annee : « 2025-2027 » n'est pas une année scolaire"),
        ("59", "2025", "--annee : « 2025 » n'est pas une année scolaire"),
        ("59", "2026-2025", "deux années consécutives"),
        ("59", "vingt-vingt", "n'est pas une année scolaire"),
    ],
)
def test_code_2_en_cas_d_erreur(dep59, tmp_path, departement, annee, message):
    code, _, erreurs = lancer(
        "--departement", departement, "--annee", annee, "--sortie", tmp_path / "sortie"
    )
    assert code == 2
    assert message in erreurs
    assert not (tmp_path / "sortie").exists()
    assert not GenerationBilan.objects.exists()
