"""Exports tableur de la file d'attente et de l'ordre du jour du comité (CSV, XLSX).

Les lignes viennent du même queryset que la page (``filtres.construire_file``) : mêmes filtres,
même périmètre, toutes les pages. Le CSV vise Excel en français : UTF-8 avec BOM, séparateur
« ; », décimales à virgule, dates JJ/MM/AAAA. Le XLSX garde les types : montants en nombres au
format euro, dates en dates. Une cellule de texte n'est jamais interprétée comme une formule.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from eligibility.templatetags.referentiel import libelle_verdict

from .models import Dossier, libelle_annee

TEXTE, ENTIER, MONTANT, DATE = "texte", "entier", "montant", "date"
FORMAT_EUROS = '#,##0.00 "€"'
FORMAT_DATE = "DD/MM/YYYY"
# Un tableur exécute une cellule qui commence par l'un de ces caractères (injection de formule).
DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ColonneExport:
    libelle: str
    valeur: Callable[[Dossier], object]
    genre: str = TEXTE
    largeur: int = 14
    totalisee: bool = False


def _date_depot(d: Dossier):
    return timezone.localdate(d.depose_le) if d.depose_le else None


def _agent(d: Dossier) -> str:
    return str(d.agent_referent) if d.agent_referent_id else ""


def _verdict(d: Dossier) -> str:
    return libelle_verdict(d.verdict_fige) if d.verdict_fige else ""


COLONNES_FILE = (
    ColonneExport("Numéro", lambda d: d.pk, ENTIER, 9),
    ColonneExport("Référence", lambda d: d.reference or "", largeur=16),
    ColonneExport("Porteur", lambda d: d.porteur.raison_sociale, largeur=36),
    ColonneExport("SIRET", lambda d: d.porteur.siret, largeur=16),
    ColonneExport("Commune", lambda d: d.porteur.commune, largeur=20),
    ColonneExport("Département", lambda d: d.departement_id, largeur=12),
    ColonneExport("Année scolaire", lambda d: d.annee_scolaire, largeur=13),
    ColonneExport("Intitulé", lambda d: d.intitule, largeur=30),
    ColonneExport("Collectifs", lambda d: d.nb_collectifs, ENTIER, 10),
    ColonneExport("Enfants", lambda d: d.nb_enfants, ENTIER, 9),
    ColonneExport("État", lambda d: d.get_etat_display(), largeur=18),
    ColonneExport("Verdict", _verdict, largeur=14),
    ColonneExport("PS calculée (€)", lambda d: d.ps_calculee, MONTANT, 15),
    ColonneExport("Montant demandé (€)", lambda d: d.montant_demande, MONTANT, 15),
    ColonneExport("Montant accordé (€)", lambda d: d.montant_accorde, MONTANT, 15),
    ColonneExport("Déposé le", _date_depot, DATE, 12),
    ColonneExport("Décidé le", lambda d: d.date_decision, DATE, 12),
    ColonneExport("Agent référent", _agent, largeur=24),
)

COLONNES_COMITE = (
    ColonneExport("Numéro", lambda d: d.pk, ENTIER, 9),
    ColonneExport("Porteur", lambda d: d.porteur.raison_sociale, largeur=36),
    ColonneExport("SIRET", lambda d: d.porteur.siret, largeur=16),
    ColonneExport("Commune", lambda d: d.porteur.commune, largeur=20),
    ColonneExport("Département", lambda d: d.departement_id, largeur=12),
    ColonneExport("Année scolaire", lambda d: d.annee_scolaire, largeur=13),
    ColonneExport("Collectifs", lambda d: d.nb_collectifs, ENTIER, 10, totalisee=True),
    ColonneExport("Enfants", lambda d: d.nb_enfants, ENTIER, 9, totalisee=True),
    ColonneExport("Verdict", _verdict, largeur=14),
    ColonneExport("PS calculée (€)", lambda d: d.ps_calculee, MONTANT, 15, totalisee=True),
    ColonneExport("Montant demandé (€)", lambda d: d.montant_demande, MONTANT, 15, totalisee=True),
    ColonneExport("Agent référent", _agent, largeur=24),
)


def nom_fichier(prefixe: str, departement: str | None, annee) -> str:
    """« dossiers-59-2025-2026 » ; sans département choisi : « dossiers-national… »."""
    morceaux = [prefixe, departement or "national"]
    if annee not in (None, ""):
        morceaux.append(libelle_annee(int(annee)))
    return "-".join(morceaux)


def totaux(colonnes, dossiers: list) -> dict[int, object]:
    """Les sommes des colonnes totalisées (les valeurs absentes ne comptent pas)."""
    sommes = {}
    for i, c in enumerate(colonnes):
        if c.totalisee:
            valeurs = [v for v in (c.valeur(d) for d in dossiers) if v is not None]
            sommes[i] = sum(valeurs, Decimal("0") if c.genre == MONTANT else 0)
    return sommes


# --- CSV -------------------------------------------------------------------------------------


def _texte_csv(valeur, genre: str) -> str:
    if valeur is None or valeur == "":
        return ""
    if genre == MONTANT:
        return f"{Decimal(valeur):.2f}".replace(".", ",")
    if genre == DATE:
        return valeur.strftime("%d/%m/%Y")
    texte = str(valeur)
    if genre == TEXTE and texte.startswith(DEBUTS_DE_FORMULE):
        texte = "'" + texte
    return texte


def reponse_csv(nom: str, colonnes, dossiers: Iterable, *, avec_total: bool = False):
    tampon = io.StringIO()
    tampon.write("\ufeff")
    ecrivain = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
    ecrivain.writerow([c.libelle for c in colonnes])
    lignes = list(dossiers) if avec_total else dossiers
    for d in lignes:
        ecrivain.writerow([_texte_csv(c.valeur(d), c.genre) for c in colonnes])
    if avec_total:
        sommes = totaux(colonnes, lignes)
        ligne = [
            _texte_csv(sommes[i], c.genre) if i in sommes else "" for i, c in enumerate(colonnes)
        ]
        ligne[0] = "Total"
        ecrivain.writerow(ligne)
    reponse = HttpResponse(tampon.getvalue(), content_type="text/csv; charset=utf-8")
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    return reponse


# --- XLSX ------------------------------------------------------------------------------------


def _cellule(feuille, valeur, genre: str, gras: bool = False) -> WriteOnlyCell:
    if isinstance(valeur, datetime.datetime):
        valeur = timezone.localdate(valeur)
    cellule = WriteOnlyCell(feuille, value=valeur if valeur != "" else None)
    if genre == MONTANT:
        cellule.number_format = FORMAT_EUROS
    elif genre == DATE:
        cellule.number_format = FORMAT_DATE
    elif genre == TEXTE and isinstance(valeur, str):
        cellule.data_type = "s"  # jamais une formule
    if gras:
        cellule.font = Font(bold=True)
    return cellule


def reponse_xlsx(nom: str, titre: str, colonnes, dossiers: Iterable, *, avec_total: bool = False):
    classeur = Workbook(write_only=True)
    feuille = classeur.create_sheet(titre[:31])
    for i, c in enumerate(colonnes, start=1):
        feuille.column_dimensions[get_column_letter(i)].width = c.largeur
    feuille.freeze_panes = "A2"
    entete = []
    for c in colonnes:
        cellule = _cellule(feuille, c.libelle, TEXTE, gras=True)
        cellule.alignment = Alignment(wrap_text=True, vertical="top")
        entete.append(cellule)
    feuille.append(entete)
    lignes = list(dossiers)
    for d in lignes:
        feuille.append([_cellule(feuille, c.valeur(d), c.genre) for c in colonnes])
    dernier = get_column_letter(len(colonnes))
    feuille.auto_filter.ref = f"A1:{dernier}{len(lignes) + 1}"
    if avec_total:
        sommes = totaux(colonnes, lignes)
        ligne = [
            _cellule(feuille, sommes.get(i), c.genre, gras=True) for i, c in enumerate(colonnes)
        ]
        ligne[0] = _cellule(feuille, "Total", TEXTE, gras=True)
        feuille.append(ligne)
    tampon = io.BytesIO()
    classeur.save(tampon)
    reponse = HttpResponse(
        tampon.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    return reponse


def reponse_export(format_: str, nom_sans_extension: str, titre: str, colonnes, dossiers, **kw):
    nom = f"{nom_sans_extension}.{format_}"
    if format_ == "csv":
        return reponse_csv(nom, colonnes, dossiers, **kw)
    return reponse_xlsx(nom, titre, colonnes, dossiers, **kw)
