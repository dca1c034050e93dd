"""Bilan de l'action d'un collectif : le questionnaire du porteur (prérempli depuis le cahier),
la lecture par la Caf et la demande de correction.

Le collectif est toujours lu par ``Collectif.objects.visible_to`` (404 hors périmètre). La Caf,
le secrétariat et l'administration nationale ne voient que les chiffres agrégés du bilan, jamais
le registre par enfant ; un bilan en brouillon leur est montré « pas encore soumis », sans chiffres.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View

from collectifs.models import Collectif
from comptes.models import Role
from comptes.permissions import RoleRequisMixin
from dossiers.forms_campagnes import annee_scolaire_en_cours
from dossiers.models import Etat, libelle_annee
from dossiers.views_saisie import resume_erreurs

from . import bilan as regles
from .forms_bilan import BilanForm, ChoixAnneeBilansForm, DemandeCorrectionForm
from .models import BilanAction, PurgeDonneesEnfants, Seance

TOUS_LES_ROLES = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
GABARIT = "seances/bilan/bilan.html"
BILANS_SOUMIS_PAR_PAGE = 25


def _site(request) -> str:
    return request.build_absolute_uri("/")


def _url(nom: str, *args) -> str | None:
    """L'URL nommée, ou None si la page n'existe pas (encore)."""
    try:
        return reverse(nom, args=args)
    except NoReverseMatch:
        return None


class BilanMixin(RoleRequisMixin):
    roles = TOUS_LES_ROLES

    def get_collectif(self) -> Collectif:
        utilisateur = self.request.user
        qs = Collectif.objects.visible_to(utilisateur).select_related(
            "dossier__porteur", "dossier__departement"
        )
        if utilisateur.est_porteur:
            # Le bilan de l'action est celui d'une année financée : dossier accepté.
            qs = qs.filter(dossier__etat=Etat.ACCEPTE)
        collectif = get_object_or_404(qs, pk=self.kwargs["pk"])
        collectif.bilan_lu = (
            BilanAction.objects.select_related("soumis_par", "correction_demandee_par")
            .filter(collectif=collectif)
            .first()
        )
        return collectif

    def afficher(self, collectif, *, form=None, correction_form=None, status=200):
        utilisateur = self.request.user
        bilan = collectif.bilan_lu
        dossier = collectif.dossier
        contexte = {
            "collectif": collectif,
            "dossier": dossier,
            "bilan": bilan,
            "url_dossier": reverse("dossiers:detail", args=[dossier.pk]),
            "url_activite": _url("seances:activite", dossier.pk),
            "pour_porteur": utilisateur.est_porteur,
        }
        if utilisateur.est_porteur:
            purge = (
                PurgeDonneesEnfants.objects.filter(collectif=collectif)
                .order_by("-purge_le", "-pk")
                .first()
            )
            contexte["purge"] = purge
            if regles.modifiable(bilan):
                if form is None:
                    form = self.formulaire(collectif, bilan, purge=purge)
                contexte["form"] = form
                contexte["erreurs"] = resume_erreurs(form) if form.is_bound else []
                aujourd_hui = timezone.localdate()
                contexte["annee_en_cours"] = bool(
                    collectif.date_fin and collectif.date_fin >= aujourd_hui
                )
                contexte["seances_restantes"] = self.seances_restantes(collectif, aujourd_hui)
                contexte["delai_purge"] = settings.CLAS_DELAI_PURGE_ENFANTS_JOURS
                contexte["purge_prevue_le"] = aujourd_hui + timedelta(
                    days=settings.CLAS_DELAI_PURGE_ENFANTS_JOURS
                )
        else:
            contexte["soumis"] = bilan is not None and bilan.statut != BilanAction.Statut.BROUILLON
            peut_corriger = (
                utilisateur.est_agent
                and bilan is not None
                and bilan.statut == BilanAction.Statut.SOUMIS
            )
            if peut_corriger:
                contexte["correction_form"] = correction_form or DemandeCorrectionForm()
                contexte["erreurs"] = (
                    resume_erreurs(correction_form) if correction_form is not None else []
                )
        return render(self.request, GABARIT, contexte, status=status)

    def seances_restantes(self, collectif, aujourd_hui) -> dict | None:
        """Les séances encore prévues (statut « prévue ») à partir d'aujourd'hui : leur nombre et
        la date de la dernière ; None s'il n'y en a plus. Une requête."""
        restantes = (
            Seance.objects.visible_to(self.request.user)
            .filter(collectif=collectif, statut=Seance.Statut.PREVUE, date__gte=aujourd_hui)
            .aggregate(nombre=Count("pk"), derniere=Max("date"))
        )
        return restantes if restantes["nombre"] else None

    def formulaire(self, collectif, bilan, *, purge=None, data=None, soumission=False):
        calcule = regles.preremplir(collectif)
        instance = bilan or BilanAction(collectif=collectif)
        initial = None
        if bilan is None:
            # Première ouverture : tout vient du cahier.
            initial = {c: v for c, v in calcule.items() if c != "taux_presence"}
            if calcule["taux_presence"] is not None:
                initial["taux_presence_pct"] = BilanForm._en_pourcentage(calcule["taux_presence"])
        return BilanForm(
            data=data,
            instance=instance,
            initial=initial,
            calcule=calcule,
            soumission=soumission,
            purge_le=purge.purge_le if purge else None,
        )


class BilanView(BilanMixin, View):
    """GET : le bilan (questionnaire du porteur, ou lecture pour la Caf). POST : le porteur
    enregistre son brouillon ou soumet le bilan."""

    def get(self, request, *args, **kwargs):
        return self.afficher(self.get_collectif())

    def post(self, request, *args, **kwargs):
        if not request.user.est_porteur:
            raise PermissionDenied("Seule l'organisation porteuse remplit le bilan de l'action.")
        collectif = self.get_collectif()
        bilan = collectif.bilan_lu
        if not regles.modifiable(bilan):
            messages.error(
                request,
                "Ce bilan a déjà été soumis à la Caf : il n'est plus modifiable, sauf si la Caf "
                "demande une correction.",
            )
            return redirect("seances:bilan", pk=collectif.pk)
        soumettre = request.POST.get("action") == "soumettre"
        purge = (
            PurgeDonneesEnfants.objects.filter(collectif=collectif).order_by("-purge_le").first()
        )
        form = self.formulaire(
            collectif, bilan, purge=purge, data=request.POST, soumission=soumettre
        )
        if not form.is_valid():
            return self.afficher(collectif, form=form)
        try:
            regles.enregistrer(
                collectif, form.valeurs(), request.user, soumettre=soumettre, site=_site(request)
            )
        except regles.BilanRefuse as refus:
            messages.error(request, str(refus))
            return redirect("seances:bilan", pk=collectif.pk)
        if soumettre:
            messages.success(
                request,
                "Le bilan de l'action est soumis à la Caf. Vous le retrouvez ici en lecture ; "
                "la Caf peut vous demander une correction.",
            )
        else:
            messages.success(
                request,
                "Le brouillon du bilan est enregistré. Il n'est pas encore soumis à la Caf.",
            )
        return redirect("seances:bilan", pk=collectif.pk)


class DemandeCorrectionView(BilanMixin, View):
    """Un agent de la Caf du département demande une correction d'un bilan soumis."""

    roles = (Role.AGENT,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        collectif = self.get_collectif()
        bilan = collectif.bilan_lu
        if bilan is None or bilan.statut != BilanAction.Statut.SOUMIS:
            messages.error(
                request, "Seul un bilan soumis peut faire l'objet d'une demande de correction."
            )
            return redirect("seances:bilan", pk=collectif.pk)
        form = DemandeCorrectionForm(request.POST)
        if not form.is_valid():
            return self.afficher(collectif, correction_form=form)
        try:
            regles.demander_correction(
                bilan, request.user, form.cleaned_data["message"], site=_site(request)
            )
        except regles.BilanRefuse as refus:
            messages.error(request, str(refus))
            return redirect("seances:bilan", pk=collectif.pk)
        messages.success(
            request,
            "La demande de correction est envoyée à l'organisation porteuse ; le bilan lui est "
            "rouvert.",
        )
        return redirect("seances:bilan", pk=collectif.pk)


class BilansSoumisView(RoleRequisMixin, View):
    """Les bilans de l'action soumis à la Caf (en attente de lecture) du département de l'agent
    ou du secrétariat, pour une année scolaire : les plus récents d'abord, chacun menant à sa
    lecture (``seances:bilan``). Lus par ``BilanAction.objects.visible_to`` ; nombre de requêtes
    constant, quel que soit le nombre de lignes."""

    roles = (Role.AGENT, Role.SECRETARIAT)
    template_name = "seances/bilan/soumis.html"

    def get(self, request, *args, **kwargs):
        utilisateur = request.user
        soumis = BilanAction.objects.visible_to(utilisateur).filter(
            statut=BilanAction.Statut.SOUMIS,
            collectif__dossier__departement_id=utilisateur.departement_id,
        )
        en_cours = annee_scolaire_en_cours(timezone.localdate())
        annees = set(
            soumis.order_by().values_list("collectif__dossier__annee", flat=True).distinct()
        )
        annees.add(en_cours)
        annees = sorted(annees, reverse=True)
        annee = en_cours
        erreurs = []
        if "annee" in request.GET:
            form = ChoixAnneeBilansForm(request.GET, annees=annees)
            if form.is_valid():
                annee = form.cleaned_data["annee"]
            else:
                erreurs = resume_erreurs(form)
        else:
            form = ChoixAnneeBilansForm(annees=annees, initial={"annee": annee})
        bilans = (
            soumis.filter(collectif__dossier__annee=annee)
            .select_related("collectif__dossier__porteur", "soumis_par")
            .order_by("-soumis_le", "-pk")
        )
        page = Paginator(bilans, BILANS_SOUMIS_PAR_PAGE).get_page(request.GET.get("page"))
        contexte = {
            "form": form,
            "erreurs": erreurs,
            "annee": annee,
            "libelle_annee": libelle_annee(annee),
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "bilans": list(page),
        }
        return render(request, self.template_name, contexte)
