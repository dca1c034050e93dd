"""Le tableau de bord du bilan départemental et ses exports (JSON ``clas-bilan/1``, CSV, XLSX).

Tout vient de ``indicateurs.rassembler_bilan`` : l'écran, les exports et le PDF lisent les
mêmes données. Périmètre : le secrétariat et les agents Caf d'un département ne voient que le
leur (un autre département : 404) ; l'administration nationale voit chaque département et la
consolidation nationale (``/bilans/national/<année>/``) ; un porteur reçoit 403.
"""

from decimal import Decimal

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.views import View
from django.views.generic import TemplateView

from comptes.models import Departement, Role
from comptes.permissions import RoleRequisMixin
from dossiers.models import ANNEE_MAX, ANNEE_MIN, Dossier, Etat, libelle_annee
from eligibility.templatetags.referentiel import euros, pourcentage

from . import exports
from .indicateurs import (
    ENTIER,
    HEURES,
    LIBELLES_NIVEAUX,
    MONTANT,
    NIVEAUX,
    PAR_CLE,
    TAUX,
    comparer,
    indicateurs_par_departement,
    rassembler_bilan,
)

ROLES_BILANS = (Role.SECRETARIAT, Role.AGENT, Role.ADMIN)
NATIONAL = "national"
PORTEURS_PAR_PAGE = 25
SANS_VALEUR = "—"


def departement_du_perimetre(user, code: str) -> str | None:
    """Le seul endroit où se décide quel bilan un utilisateur peut lire.

    Rend le code du département (``None`` pour la consolidation nationale) ; lève Http404 pour
    un département inconnu ou hors du périmètre de ``user`` (on ne dit pas qu'il existe).
    """
    if code == NATIONAL:
        if user.est_admin:
            return None
        raise Http404("Bilan introuvable.")
    if user.est_admin:
        if not Departement.objects.visible_to(user).filter(code=code).exists():
            raise Http404("Département inconnu.")
        return code
    if user.est_personnel_caf and user.departement_id == code:
        return code
    raise Http404("Bilan introuvable.")


def verifier_annee(annee: int) -> int:
    if not ANNEE_MIN <= annee <= ANNEE_MAX:
        raise Http404("Année scolaire hors des limites.")
    return annee


# --- Mise en forme française ---------------------------------------------------------------------


def afficher(valeur, nature: str) -> str:
    """Une valeur du bilan en français : « 1 234 », « 2 562,95 € », « 85 % », « 87,5 »."""
    if valeur is None:
        return SANS_VALEUR
    if nature == MONTANT:
        return euros(valeur)
    if nature == TAUX:
        return pourcentage(valeur)
    if nature == HEURES:
        return number_format(Decimal(valeur), decimal_pos=1, force_grouping=True)
    if nature == ENTIER:
        return number_format(valeur, force_grouping=True)
    return str(valeur)


def _signe(texte: str, valeur) -> str:
    return f"+{texte}" if valeur > 0 else texte


def afficher_ecart(ecart, nature: str) -> str:
    """L'écart avec l'année précédente, signé ; un taux en points de pourcentage."""
    if ecart is None:
        return SANS_VALEUR
    if nature == TAUX:
        points = number_format(ecart * 100, decimal_pos=1)
        return _signe(f"{points}\u202fpt{'s' if abs(ecart * 100) >= 2 else ''}", ecart)
    return _signe(afficher(ecart, nature), ecart)


def afficher_evolution(evolution) -> str:
    if evolution is None:
        return SANS_VALEUR
    return _signe(f"{number_format(evolution, decimal_pos=1)}\u202f%", evolution)


def part(nombre: int, total: int) -> str:
    """La part de ``nombre`` dans ``total``, en pourcentage à une décimale (« 33,3 % »)."""
    if not total:
        return SANS_VALEUR
    valeur = (Decimal(nombre) * 100 / Decimal(total)).quantize(Decimal("0.1"))
    return f"{number_format(valeur, decimal_pos=1)}\u202f%"


def lignes(indicateurs: dict, cles: tuple[str, ...]) -> list[dict]:
    """(libellé, valeur affichée) des indicateurs ``cles``, pour les tableaux de l'écran."""
    return [
        {
            "cle": cle,
            "libelle": PAR_CLE[cle].libelle,
            "valeur": afficher(indicateurs[cle], PAR_CLE[cle].nature),
        }
        for cle in cles
    ]


# Les sections du tableau de bord : (identifiant, titre, clés du format).
SECTIONS = (
    (
        "dossiers",
        "Dossiers et porteurs",
        (
            "dossiers_deposes",
            "dossiers_acceptes",
            "dossiers_refuses",
            "dossiers_sans_suite",
            "porteurs_finances",
        ),
    ),
    ("enfants", "Enfants et familles", ("enfants_inscrits", "filles", "garcons", "familles")),
    (
        "seances",
        "Séances, heures et présence",
        ("seances_realisees", "heures_realisees", "taux_presence_moyen", "collectifs_sans_bilan"),
    ),
    ("intervenants", "Intervenants", ("intervenants_salaries", "intervenants_benevoles")),
    ("parents-ecole", "Parents et école", ("actions_parents", "rencontres_ecole")),
    (
        "financement",
        "Financement",
        ("montant_accorde_total", "montant_moyen_par_collectif", "montant_moyen_par_enfant"),
    ),
)
CHIFFRES_CLES = (
    "dossiers_deposes",
    "dossiers_acceptes",
    "collectifs_finances",
    "enfants_inscrits",
    "montant_accorde_total",
)


class ChoixAnneeForm(forms.Form):
    annee = forms.TypedChoiceField(
        label="Année scolaire",
        coerce=int,
        error_messages={
            "invalid_choice": "Choisissez une année scolaire de la liste.",
            "required": "Choisissez une année scolaire.",
        },
    )

    def __init__(self, *args, annees: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["annee"].choices = [(a, libelle_annee(a)) for a in annees]


def annees_disponibles(user, departement: str | None, annee: int) -> list[int]:
    """Les années où un dossier a été déposé dans le périmètre, plus l'année affichée."""
    dossiers = Dossier.objects.visible_to(user).exclude(etat=Etat.BROUILLON)
    if departement is not None:
        dossiers = dossiers.filter(departement_id=departement)
    annees = set(dossiers.order_by().values_list("annee", flat=True).distinct())
    annees.add(annee)
    return sorted(annees, reverse=True)


class BilanPerimetreMixin(RoleRequisMixin):
    roles = ROLES_BILANS

    def perimetre(self) -> tuple[str | None, int]:
        departement = departement_du_perimetre(self.request.user, self.kwargs["departement"])
        return departement, verifier_annee(self.kwargs["annee"])


class TableauView(BilanPerimetreMixin, TemplateView):
    """Le tableau de bord du bilan d'un département (ou national) pour une année scolaire."""

    template_name = "bilans/tableau/tableau.html"

    def get(self, request, *args, **kwargs):
        self.departement, self.annee = self.perimetre()
        self.annees = annees_disponibles(request.user, self.departement, self.annee)
        self.form = ChoixAnneeForm(annees=self.annees, initial={"annee": self.annee})
        if "annee" in request.GET:
            self.form = ChoixAnneeForm(request.GET, annees=self.annees)
            if self.form.is_valid():
                return redirect(
                    "bilans:tableau", self.kwargs["departement"], self.form.cleaned_data["annee"]
                )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        donnees = rassembler_bilan(self.departement, self.annee)
        indicateurs = donnees.indicateurs
        code = self.kwargs["departement"]
        total_collectifs = indicateurs["collectifs_finances"]
        porteurs = Paginator(donnees.par_porteur, PORTEURS_PAR_PAGE).get_page(
            self.request.GET.get("page")
        )
        ctx.update(
            donnees=donnees,
            code=code,
            form=self.form,
            chiffres_cles=lignes(indicateurs, CHIFFRES_CLES),
            sections=[
                {"id": ident, "titre": titre, "lignes": lignes(indicateurs, cles)}
                for ident, titre, cles in SECTIONS
            ],
            niveaux=[
                {
                    "libelle": capfirst(LIBELLES_NIVEAUX[niveau]),
                    "nombre": donnees.par_niveau[niveau],
                    "part": part(donnees.par_niveau[niveau], total_collectifs),
                }
                for niveau in NIVEAUX
            ],
            ruraux={
                "nombre": indicateurs["collectifs_ruraux"],
                "part": part(indicateurs["collectifs_ruraux"], total_collectifs),
                "urbains": total_collectifs - indicateurs["collectifs_ruraux"],
                "part_urbains": part(
                    total_collectifs - indicateurs["collectifs_ruraux"], total_collectifs
                ),
            },
            comparaison=[
                {
                    **ligne,
                    "precedent": afficher(ligne["precedent"], ligne["nature"]),
                    "actuel": afficher(ligne["actuel"], ligne["nature"]),
                    "ecart": afficher_ecart(ligne["ecart"], ligne["nature"]),
                    "evolution": afficher_evolution(ligne["evolution"]),
                }
                for ligne in comparer(indicateurs, donnees.precedent)
            ],
            annee_precedente=libelle_annee(self.annee - 1),
            page_obj=porteurs,
            paginator=porteurs.paginator,
            is_paginated=porteurs.paginator.num_pages > 1,
            porteurs=porteurs.object_list,
            exports=[
                (fmt, libelle, reverse(f"bilans:export_{fmt}", args=[code, self.annee]))
                for fmt, libelle in (
                    ("json", "JSON (clas-bilan/1)"),
                    ("csv", "CSV"),
                    ("xlsx", "Excel (XLSX)"),
                )
            ],
            par_departement=(
                indicateurs_par_departement(self.annee) if self.departement is None else None
            ),
        )
        return ctx


class ExportView(BilanPerimetreMixin, View):
    """Un export du bilan, écrit depuis le même ``DonneesBilan`` que le tableau de bord."""

    format = "json"

    def get(self, request, *args, **kwargs):
        departement, annee = self.perimetre()
        return exports.REPONSES[self.format](rassembler_bilan(departement, annee))
