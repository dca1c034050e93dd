"""Exports du bilan départemental : JSON ``clas-bilan/1``, CSV et XLSX.

Les trois fichiers sont écrits depuis le même ``DonneesBilan`` que le tableau de bord et le PDF :
ils ne peuvent pas se contredire. Le JSON est exactement ``donnees.indicateurs``. Le CSV vise
Excel en français, comme les exports de la file d'attente (UTF-8 avec BOM, séparateur « ; »,
décimales à virgule) : une ligne par indicateur (libellé, clé, valeur), puis les sections (par
commune, par porteur, non-éligibilité, annexe). Le XLSX garde les types (nombres, montants au
format euro) dans cinq feuilles. Une cellule de texte n'est jamais interprétée comme une formule.
"""

import csv
import io
import json
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dossiers.exports import DEBUTS_DE_FORMULE, FORMAT_EUROS

from .indicateurs import (
    ENTIER,
    HEURES,
    INDICATEURS,
    LIBELLES_NIVEAUX,
    MONTANT,
    MOTIFS,
    NIVEAUX,
    NIVEAUX_DICT,
    TAUX,
    DonneesBilan,
    libelle_critere,
)

TEXTE = "texte"
FORMAT_TAUX = "0.00"
FORMAT_HEURES = "0.0"
TYPE_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def nom_fichier(donnees: DonneesBilan, extension: str) -> str:
    """« bilan-59-2025-2026.json » ; la consolidation nationale : « bilan-national-… »."""
    return f"bilan-{donnees.departement or 'national'}-{donnees.annee_scolaire}.{extension}"


def _piece_jointe(contenu, type_contenu: str, nom: str) -> HttpResponse:
    reponse = HttpResponse(contenu, content_type=type_contenu)
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    return reponse


# --- Lignes communes au CSV et au XLSX -----------------------------------------------------------


def lignes_indicateurs(indicateurs: dict) -> list[tuple[str, str, object, str]]:
    """(libellé, clé, valeur, nature) de chaque indicateur ; les dicts sont dépliés en
    ``collectifs_par_niveau.elementaire``, ``motifs_non_eligibilite.COLLECTIF-TAILLE``…"""
    lignes = []
    for indicateur in INDICATEURS:
        valeur = indicateurs[indicateur.cle]
        if indicateur.nature == NIVEAUX_DICT:
            for niveau in NIVEAUX:
                lignes.append(
                    (
                        f"{indicateur.libelle} — {LIBELLES_NIVEAUX[niveau]}",
                        f"{indicateur.cle}.{niveau}",
                        valeur[niveau],
                        ENTIER,
                    )
                )
        elif indicateur.nature == MOTIFS:
            for code, nombre in valeur.items():
                lignes.append(
                    (
                        f"{indicateur.libelle} — {code} ({libelle_critere(code)})",
                        f"{indicateur.cle}.{code}",
                        nombre,
                        ENTIER,
                    )
                )
        else:
            if indicateur.nature in (MONTANT, TAUX, HEURES) and valeur is not None:
                valeur = Decimal(valeur)
            lignes.append((indicateur.libelle, indicateur.cle, valeur, indicateur.nature))
    return lignes


def _oui_non(valeur) -> str:
    return {True: "oui", False: "non"}.get(valeur, "non renseigné")


# Chaque section : (titre, [(en-tête, nature, largeur)], lignes).
def sections(donnees: DonneesBilan) -> list[tuple[str, list, list]]:
    commune = [
        (c["commune"], c["collectifs"], c["enfants"], c["montant"]) for c in donnees.par_commune
    ]
    porteur = [
        (p["porteur"], p["siret"], p["commune"], p["dossiers"], p["collectifs"], p["montant"])
        for p in donnees.par_porteur
    ]
    motifs = [
        (m["code"], m["libelle"], m["dossiers"], m["collectifs"]) for m in donnees.non_eligibilite
    ]
    annexe = []
    for dossier in donnees.annexe:
        tete = (dossier["porteur"], dossier["siret"], dossier["reference"])
        if not dossier["collectifs"]:
            annexe.append((*tete, dossier["montant_accorde"], "", "", "", "", "", None, None))
        for c in dossier["collectifs"]:
            annexe.append(
                (
                    *tete,
                    dossier["montant_accorde"],
                    c["nom"],
                    LIBELLES_NIVEAUX[c["niveau"]],
                    c["classes"],
                    _oui_non(c["rural"]),
                    c["commune"],
                    c["enfants_inscrits"],
                    c["montant_accorde"],
                )
            )
    return [
        (
            "Par commune",
            [
                ("Commune", TEXTE, 28),
                ("Collectifs financés", ENTIER, 12),
                ("Enfants inscrits", ENTIER, 12),
                ("Montant accordé (€)", MONTANT, 16),
            ],
            commune,
        ),
        (
            "Par porteur",
            [
                ("Porteur", TEXTE, 36),
                ("SIRET", TEXTE, 16),
                ("Commune", TEXTE, 20),
                ("Dossiers acceptés", ENTIER, 10),
                ("Collectifs financés", ENTIER, 12),
                ("Montant accordé (€)", MONTANT, 16),
            ],
            porteur,
        ),
        (
            "Non-éligibilité",
            [
                ("Critère", TEXTE, 24),
                ("Libellé", TEXTE, 40),
                ("Dossiers non éligibles", ENTIER, 12),
                ("Collectifs non éligibles", ENTIER, 12),
            ],
            motifs,
        ),
        (
            "Annexe",
            [
                ("Porteur", TEXTE, 36),
                ("SIRET", TEXTE, 16),
                ("Dossier", TEXTE, 16),
                ("Montant accordé au dossier (€)", MONTANT, 16),
                ("Collectif", TEXTE, 30),
                ("Niveau", TEXTE, 18),
                ("Classes", TEXTE, 16),
                ("Rural", TEXTE, 10),
                ("Commune du lieu", TEXTE, 20),
                ("Enfants inscrits", ENTIER, 10),
                ("Montant accordé au collectif (€)", MONTANT, 16),
            ],
            annexe,
        ),
    ]


# --- JSON ----------------------------------------------------------------------------------------


def texte_json(donnees: DonneesBilan) -> str:
    """Le JSON ``clas-bilan/1`` : exactement ``donnees.indicateurs``, clés dans l'ordre du §4."""
    return json.dumps(donnees.indicateurs, ensure_ascii=False, indent=2) + "\n"


def reponse_json(donnees: DonneesBilan) -> HttpResponse:
    return _piece_jointe(
        texte_json(donnees), "application/json; charset=utf-8", nom_fichier(donnees, "json")
    )


# --- CSV -----------------------------------------------------------------------------------------


def _texte_csv(valeur, nature: str) -> str:
    if valeur is None or valeur == "":
        return ""
    if nature == MONTANT:
        return f"{Decimal(valeur):.2f}".replace(".", ",")
    if nature in (TAUX, HEURES):
        return str(valeur).replace(".", ",")
    texte = str(valeur)
    if nature == TEXTE and texte.startswith(DEBUTS_DE_FORMULE):
        texte = "'" + texte
    return texte


def texte_csv(donnees: DonneesBilan) -> str:
    tampon = io.StringIO()
    tampon.write("\ufeff")
    ecrivain = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
    ecrivain.writerow(["Indicateur", "Clé", "Valeur"])
    for libelle, cle, valeur, nature in lignes_indicateurs(donnees.indicateurs):
        ecrivain.writerow([libelle, cle, _texte_csv(valeur, nature)])
    for titre, colonnes, lignes in sections(donnees):
        ecrivain.writerow([])
        ecrivain.writerow([titre])
        ecrivain.writerow([c[0] for c in colonnes])
        for ligne in lignes:
            ecrivain.writerow(
                [_texte_csv(v, nature) for v, (_e, nature, _l) in zip(ligne, colonnes, strict=True)]
            )
    return tampon.getvalue()


def reponse_csv(donnees: DonneesBilan) -> HttpResponse:
    return _piece_jointe(texte_csv(donnees), "text/csv; charset=utf-8", nom_fichier(donnees, "csv"))


# --- XLSX ----------------------------------------------------------------------------------------


def _cellule(feuille, valeur, nature: str, gras: bool = False) -> WriteOnlyCell:
    cellule = WriteOnlyCell(feuille, value=None if valeur == "" else valeur)
    if nature == MONTANT:
        cellule.number_format = FORMAT_EUROS
    elif nature == TAUX:
        cellule.number_format = FORMAT_TAUX
    elif nature == HEURES:
        cellule.number_format = FORMAT_HEURES
    elif isinstance(valeur, str):
        cellule.data_type = "s"  # jamais une formule
    if gras:
        cellule.font = Font(bold=True)
    return cellule


def _feuille(classeur, titre: str, colonnes: list, lignes: list) -> None:
    feuille = classeur.create_sheet(titre)
    for i, (_entete, _nature, largeur) in enumerate(colonnes, start=1):
        feuille.column_dimensions[get_column_letter(i)].width = largeur
    feuille.freeze_panes = "A2"
    feuille.append([_cellule(feuille, c[0], TEXTE, gras=True) for c in colonnes])
    for ligne in lignes:
        feuille.append(
            [
                _cellule(feuille, v, nature)
                for v, (_e, nature, _l) in zip(ligne, colonnes, strict=True)
            ]
        )
    if lignes:
        feuille.auto_filter.ref = f"A1:{get_column_letter(len(colonnes))}{len(lignes) + 1}"


def octets_xlsx(donnees: DonneesBilan) -> bytes:
    classeur = Workbook(write_only=True)
    feuille = classeur.create_sheet("Indicateurs")
    for lettre, largeur in zip("ABC", (58, 44, 16), strict=True):
        feuille.column_dimensions[lettre].width = largeur
    feuille.freeze_panes = "A2"
    feuille.append(
        [_cellule(feuille, t, TEXTE, gras=True) for t in ("Indicateur", "Clé", "Valeur")]
    )
    for libelle, cle, valeur, nature in lignes_indicateurs(donnees.indicateurs):
        feuille.append(
            [
                _cellule(feuille, libelle, TEXTE),
                _cellule(feuille, cle, TEXTE),
                _cellule(feuille, valeur, nature),
            ]
        )
    for titre, colonnes, lignes in sections(donnees):
        _feuille(classeur, titre, colonnes, lignes)
    tampon = io.BytesIO()
    classeur.save(tampon)
    return tampon.getvalue()


def reponse_xlsx(donnees: DonneesBilan) -> HttpResponse:
    return _piece_jointe(octets_xlsx(donnees), TYPE_XLSX, nom_fichier(donnees, "xlsx"))


REPONSES = {"json": reponse_json, "csv": reponse_csv, "xlsx": reponse_xlsx}
