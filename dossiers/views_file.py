"""La file d'attente des agents Caf, ses exports, l'assignation et l'ordre du jour du comité.

Les vues restent minces : la liste se construit dans ``filtres`` (périmètre, filtres, onglets,
tri), les écritures dans les formulaires de ``forms_file``, les fichiers dans ``exports``.
"""

from functools import cached_property

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import Truncator
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from comptes.models import Role
from comptes.permissions import RoleRequisMixin
from eligibility.templatetags.referentiel import VERDICTS, classe_verdict, euros, libelle_verdict

from . import exports
from .filtres import (
    ONGLETS,
    TRIS,
    construire_comite,
    construire_file,
    valeur_filtre,
)
from .forms_file import AssignationForm, AssignationLotForm, peut_assigner
from .models import Dossier, Etat

ROLES_CAF = (Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
ROLES_ASSIGNATION = (Role.AGENT, Role.ADMIN)
FORMATS = ("csv", "xlsx")
PAR_PAGE = 50


def adresse_de_retour(request, par_defaut: str) -> str:
    """``suivant`` (POST ou GET) s'il désigne une page du portail, ``par_defaut`` sinon."""
    suivant = request.POST.get("suivant") or request.GET.get("suivant") or ""
    if suivant and url_has_allowed_host_and_scheme(
        suivant, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return suivant
    return par_defaut


def entetes(file, user) -> list[dict]:
    """Les en-têtes de colonnes triables : clé de tri suivante et ``aria-sort``."""
    cles = ["porteur", "commune"]
    if user.est_admin:
        cles.append("departement")
    cles += ["annee", "collectifs", "etat", "verdict", "ps", "depose_le", "agent"]
    resultat = []
    for cle in cles:
        actif = file.tri == cle
        resultat.append(
            {
                "cle": cle,
                "libelle": TRIS[cle].libelle,
                "aria_sort": ("descending" if file.decroissant else "ascending") if actif else "",
                "tri_suivant": f"-{cle}" if actif and not file.decroissant else cle,
                "nombre": cle in ("collectifs", "ps"),
            }
        )
    return resultat


CLASSES_ETAT = {  # les mêmes que composants/etat.html
    Etat.ACCEPTE: "text-bg-success",
    Etat.REFUSE: "text-bg-secondary",
    Etat.SANS_SUITE: "text-bg-secondary",
    Etat.BROUILLON: "text-bg-light border",
    Etat.COMPLEMENT_DEMANDE: "text-bg-warning",
}


LIBELLES_ETAT = {valeur: libelle.capitalize() for valeur, libelle in Etat.choices}
LIBELLES_VERDICT = {v: libelle_verdict(v).capitalize() for v in VERDICTS}


def lignes_de(dossiers, suivant: str) -> list[dict]:
    """Les cellules du tableau, préparées en Python : la page en affiche 50, et un gabarit
    résout bien plus vite les clés d'un dictionnaire que les attributs d'un modèle."""
    # Une résolution d'URL par page, pas deux par ligne : « /dossiers/0/ » → « /dossiers/ ».
    url_detail = reverse("dossiers:detail", args=[0]).removesuffix("0/")
    url_assigner = reverse("dossiers:assigner", args=[0]).removesuffix("0/assigner/")
    suivant = urlencode({"suivant": suivant})
    lignes = []
    for d in dossiers:
        agent = d.agent_referent
        lignes.append(
            {
                "pk": str(d.pk),
                "url": f"{url_detail}{d.pk}/",
                "url_assigner": f"{url_assigner}{d.pk}/assigner/?{suivant}",
                "porteur": d.porteur.raison_sociale,
                "intitule": Truncator(d.intitule).chars(60) if len(d.intitule) > 60 else d.intitule,
                "commune": d.porteur.commune,
                "departement": d.departement_id,
                "annee": d.annee_scolaire,
                "collectifs": str(d.nb_collectifs),
                "etat": LIBELLES_ETAT.get(d.etat, d.etat),
                "classe_etat": CLASSES_ETAT.get(d.etat, "text-bg-primary"),
                "verdict": LIBELLES_VERDICT.get(d.verdict_fige, d.verdict_fige or ""),
                "classe_verdict": classe_verdict(d.verdict_fige),
                "ps": euros(d.ps_calculee) if d.ps_calculee is not None else "",
                "depose_le": timezone.localtime(d.depose_le).strftime("%d/%m/%Y")
                if d.depose_le
                else "",
                "agent": (agent.nom_complet or agent.email) if agent else "",
            }
        )
    return lignes


class FileView(RoleRequisMixin, ListView):
    """La file d'attente : onglets avec compteurs, filtres, tri par colonne, 50 par page.

    Un nombre de requêtes fixe, quel que soit le nombre de dossiers : compteurs des onglets (un
    agrégat, qui donne aussi le total de la pagination), page de dossiers (annotations en
    sous-requêtes), choix des filtres (années, agents ; départements pour l'administration).
    """

    roles = ROLES_CAF
    template_name = "dossiers/liste.html"
    context_object_name = "dossiers"
    paginate_by = PAR_PAGE

    def get_queryset(self):
        self.file = construire_file(self.request)
        return self.file.dossiers

    def get_paginator(self, *args, **kwargs):
        paginator = super().get_paginator(*args, **kwargs)
        paginator.count = self.file.total  # déjà compté avec les onglets : pas de COUNT(*)
        return paginator

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        file, user = self.file, self.request.user
        ctx.update(
            file=file,
            filtres=file.filtres,
            onglets=[
                {"slug": o.slug, "libelle": o.libelle, "nombre": file.compteurs[o.slug]}
                for o in ONGLETS
            ],
            onglet=file.onglet,
            entetes=entetes(file, user),
            tri_actif=TRIS[file.tri].description,
            peut_assigner=peut_assigner(user),
            formats=FORMATS,
            lignes=lignes_de(ctx["dossiers"], self.request.get_full_path()),
            avec_departement=user.est_admin,
        )
        if peut_assigner(user):
            ctx["form_lot"] = AssignationLotForm(user=user, agents=file.choix["agents"])
        return ctx


class FileExportView(RoleRequisMixin, View):
    """La liste filtrée (mêmes paramètres que la page, toutes les pages) en CSV ou XLSX."""

    roles = ROLES_CAF

    def get(self, request, format):
        if format not in FORMATS:
            raise Http404("Format d'export inconnu.")
        file = construire_file(request, enfants=True)
        departement = request.user.departement_id or valeur_filtre(file, "departement")
        nom = exports.nom_fichier("dossiers", departement, valeur_filtre(file, "annee"))
        return exports.reponse_export(
            format, nom, "Dossiers", exports.COLONNES_FILE, file.dossiers.iterator(chunk_size=500)
        )


class AssignerView(RoleRequisMixin, FormView):
    """Confier un dossier à un agent de son département (ou à soi-même), ou le réassigner."""

    roles = ROLES_ASSIGNATION
    template_name = "dossiers/file/assigner.html"
    form_class = AssignationForm

    @cached_property
    def dossier(self) -> Dossier:
        qs = Dossier.objects.visible_to(self.request.user).select_related(
            "porteur", "departement", "agent_referent"
        )
        return get_object_or_404(qs, pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "dossier": self.dossier, "user": self.request.user}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["dossier"] = self.dossier
        ctx["suivant"] = adresse_de_retour(self.request, "")
        ctx["peut_se_confier"] = (
            self.request.user.est_agent
            and self.request.user.departement_id == self.dossier.departement_id
        )
        return ctx

    def form_valid(self, form):
        evenement = form.save()
        cible = form.cleaned_data["cible"]
        if evenement is None:
            messages.info(self.request, f"Le dossier était déjà confié à {cible}.")
        elif cible == self.request.user:
            messages.success(self.request, "Le dossier vous est confié.")
        else:
            messages.success(self.request, f"Dossier confié à {cible}.")
        return redirect(
            adresse_de_retour(self.request, reverse("dossiers:detail", args=[self.dossier.pk]))
        )


class AssignerLotView(RoleRequisMixin, View):
    """Confier les dossiers cochés dans la file à un agent (ou à soi-même)."""

    roles = ROLES_ASSIGNATION

    def post(self, request):
        form = AssignationLotForm(request.POST, user=request.user)
        retour = adresse_de_retour(request, reverse("dossiers:liste"))
        if not form.is_valid():
            for erreurs in form.errors.values():
                for erreur in erreurs:
                    messages.error(request, f"Assignation impossible : {erreur}")
            return redirect(retour)
        nombre = form.save()
        cible = form.cleaned_data["cible"]
        coches = len(form.cleaned_data["dossiers"])
        if nombre == 0:
            messages.info(request, f"Les dossiers cochés étaient déjà confiés à {cible}.")
        else:
            pluriel = "s" if nombre > 1 else ""
            qui = "vous" if cible == request.user else str(cible)
            texte = f"{nombre} dossier{pluriel} confié{pluriel} à {qui}."
            if nombre < coches:
                texte += f" {coches - nombre} l'étai{'en' if coches - nombre > 1 else ''}t déjà."
            messages.success(request, texte)
        return redirect(retour)


class ComiteView(RoleRequisMixin, TemplateView):
    """L'ordre du jour du comité : les dossiers proposés, avec leurs totaux ; imprimable."""

    roles = ROLES_CAF
    template_name = "dossiers/file/comite.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        comite = construire_comite(self.request)
        ctx.update(
            comite=comite,
            filtres=comite.filtres,
            dossiers=comite.dossiers,
            totaux=comite.totaux,
            formats=FORMATS,
        )
        return ctx


class ComiteExportView(RoleRequisMixin, View):
    roles = ROLES_CAF

    def get(self, request, format):
        if format not in FORMATS:
            raise Http404("Format d'export inconnu.")
        comite = construire_comite(request)
        departement = request.user.departement_id or comite.departement
        nom = exports.nom_fichier("comite", departement, comite.annee)
        return exports.reponse_export(
            format, nom, "Comité", exports.COLONNES_COMITE, comite.dossiers, avec_total=True
        )
