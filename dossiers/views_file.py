"""La file d'attente des agents Caf, ses exports, l'assignation et l'ordre du jour du comité.

Les vues restent minces : la liste se construit dans ``filtres`` (périmètre, filtres, onglets,
tri), les écritures dans les formulaires de ``forms_file``, les fichiers dans ``exports``.
"""

from functools import cached_property
from html import escape

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
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
    annoter_suivi,
    construire_comite,
    construire_file,
    reponse_en_attente,
    valeur_filtre,
)
from .forms_file import AssignationForm, AssignationLotForm, peut_assigner
from .models import Dossier, Etat, libelle_annee

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


def liens(get, cle: str, valeurs) -> dict[str, str]:
    """``{% querystring cle=valeur page=None %}`` pour chaque valeur : l'adresse de la page
    courante (mêmes filtres) avec ``cle`` changée et sans numéro de page ; la requête n'est
    copiée qu'une fois pour tous les liens (onglets, en-têtes de tri)."""
    params = get.copy()
    if "page" in params:
        del params["page"]
    resultat = {}
    for valeur in valeurs:
        params[cle] = valeur
        resultat[valeur] = f"?{params.urlencode()}"
    return resultat


def entetes(file, user, get) -> list[dict]:
    """Les en-têtes de colonnes triables : lien du tri suivant, ``aria-sort`` et flèche."""
    cles = ["porteur", "commune"]
    if user.est_admin:
        cles.append("departement")
    cles += ["annee", "collectifs", "etat", "verdict", "ps", "depose_le", "agent"]
    suivants = {cle: f"-{cle}" if file.tri == cle and not file.decroissant else cle for cle in cles}
    hrefs = liens(get, "tri", suivants.values())
    resultat = []
    for cle in cles:
        actif = file.tri == cle
        aria_sort = ("descending" if file.decroissant else "ascending") if actif else ""
        resultat.append(
            {
                "cle": cle,
                "libelle": TRIS[cle].libelle,
                "aria_sort": aria_sort,
                "fleche": {"ascending": "▲", "descending": "▼"}.get(aria_sort, ""),
                "href": hrefs[suivants[cle]],
                "consigne": "par ordre décroissant"
                if suivants[cle].startswith("-")
                else "par ordre croissant",
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


# Les colonnes des 50 lignes affichées, lues en tuples nommés (``values_list(named=True)``) :
# ni dossiers, ni porteurs, ni agents à instancier (≈ 1,3 ms de CPU de moins par page). Les
# exports lisent, eux, des objets.
CHAMPS_LIGNE = (
    "pk",
    "porteur__raison_sociale",
    "porteur__commune",
    "departement_id",
    "annee",
    "etat",
    "intitule",
    "depose_le",
    "agent_referent_id",
    "agent_referent__prenom",
    "agent_referent__nom",
    "agent_referent__email",
    "nb_collectifs",
    "verdict_fige",
    "ps_calculee",
    "reponse_porteur_le",
    "action_caf_le",
    "redepose_le",
)

# Les cellules vides : un tiret, et pour les lecteurs d'écran ce qu'il veut dire.
SANS_VERDICT = (
    '<span class="text-body-secondary">—<span class="visually-hidden"> aucune évaluation figée'
    "</span></span>"
)
SANS_PS = (
    '<span class="text-body-secondary">—<span class="visually-hidden"> non calculable</span></span>'
)
NON_ASSIGNE = '<span class="text-body-secondary">Non assigné</span>'


def jour_et_mois(moment) -> str:
    """« 12/11 » : la date locale d'un horodatage, sans l'année (celle de la ligne suffit)."""
    return timezone.localtime(moment).strftime("%d/%m")


def signal_reponse(d) -> str:
    """Le badge « Réponse du porteur » d'une ligne : le porteur a écrit ou redéposé depuis la
    dernière action de la Caf (message ou changement d'état), avec la date de sa réponse."""
    if not reponse_en_attente(d.reponse_porteur_le, d.action_caf_le):
        return ""
    le = jour_et_mois(d.reponse_porteur_le)
    return (
        '<div class="mt-1"><span class="badge text-bg-info" title="Message ou redépôt du '
        "porteur plus récent que la dernière action de la Caf (message ou changement d'état)"
        f'">Réponse du porteur</span> <span class="small text-nowrap">le {le}</span></div>'
    )


def corps_du_tableau(dossiers, suivant: str, *, peut_assigner: bool, avec_departement: bool):
    """Les ``<tr>`` du tableau de la file (des lignes de ``CHAMPS_LIGNE``), écrits en Python
    comme ceux de la liste de l'administration Django (``items_for_result``) : rendues par le
    moteur de gabarits, ces 50 lignes d'une vingtaine de variables et de ``{% if %}`` chacune
    coûtaient près d'un cinquième du temps de la page ; ainsi, une dizaine de fois moins. La légende et les
    en-têtes du tableau sont dans ``dossiers/liste.html``.

    Chaque texte passe par ``escape`` : l'échappement des variables d'un gabarit
    (``django.utils.html.escape`` l'appelle). Les classes, numéros et dates n'en ont pas besoin.
    """
    # Une résolution d'URL par page, pas deux par ligne : « /dossiers/0/ » → « /dossiers/ ».
    url_detail = escape(reverse("dossiers:detail", args=[0]).removesuffix("0/"))
    url_assigner = escape(reverse("dossiers:assigner", args=[0]).removesuffix("0/assigner/"))
    suivant = escape(urlencode({"suivant": suivant}))
    lignes = []
    for d in dossiers:
        pk, porteur = d.pk, escape(d.porteur__raison_sociale)
        annee = libelle_annee(d.annee)
        cellules = []
        if peut_assigner:
            cellules.append(
                f'<td><input class="form-check-input" type="checkbox" name="lot-dossiers" '
                f'value="{pk}" form="form-lot" id="choix-{pk}"><label class="visually-hidden" '
                f'for="choix-{pk}">Sélectionner le dossier de {porteur} ({annee})</label></td>'
            )
        intitule = d.intitule
        if len(intitule) > 60:
            intitule = Truncator(intitule).chars(60)
        cellules.append(
            f'<th scope="row" class="fw-normal"><a href="{url_detail}{pk}/">{porteur}</a>'
            + (
                f'<div class="small text-body-secondary">{escape(intitule)}</div>'
                if intitule
                else ""
            )
            + "</th>"
        )
        cellules.append(f"<td>{escape(d.porteur__commune or '—')}</td>")
        if avec_departement:
            cellules.append(f"<td>{escape(d.departement_id)}</td>")
        cellules.append(f'<td class="text-nowrap">{annee}</td>')
        cellules.append(f'<td class="text-end">{d.nb_collectifs}</td>')
        cellules.append(
            f'<td><span class="badge badge-etat {CLASSES_ETAT.get(d.etat, "text-bg-primary")}">'
            f"{escape(LIBELLES_ETAT.get(d.etat, d.etat))}</span>{signal_reponse(d)}</td>"
        )
        verdict = d.verdict_fige
        cellules.append(
            f'<td><span class="badge {classe_verdict(verdict)}">'
            f"{escape(LIBELLES_VERDICT.get(verdict, verdict))}</span></td>"
            if verdict
            else f"<td>{SANS_VERDICT}</td>"
        )
        ps = euros(d.ps_calculee) if d.ps_calculee is not None else SANS_PS
        cellules.append(f'<td class="text-end text-nowrap">{ps}</td>')
        depose_le = timezone.localtime(d.depose_le).strftime("%d/%m/%Y") if d.depose_le else ""
        if d.redepose_le is not None:
            depose_le += (
                f'<div class="small text-body-secondary">Redéposé le '
                f"{jour_et_mois(d.redepose_le)}</div>"
            )
        cellules.append(f'<td class="text-nowrap">{depose_le}</td>')
        if d.agent_referent_id is not None:
            prenom_nom = f"{d.agent_referent__prenom} {d.agent_referent__nom}".strip()
            agent = escape(prenom_nom or d.agent_referent__email)  # Utilisateur.get_full_name
        else:
            agent = ""
        cellules.append(f"<td>{agent or NON_ASSIGNE}</td>")
        if peut_assigner:
            cellules.append(
                f'<td class="text-nowrap"><a class="btn btn-sm btn-outline-secondary" '
                f'href="{url_assigner}{pk}/assigner/?{suivant}">'
                f"{'Réassigner' if agent else 'Confier'}"
                f'<span class="visually-hidden"> le dossier de {porteur}</span></a></td>'
            )
        lignes.append("<tr>" + "".join(cellules) + "</tr>")
    return mark_safe("\n".join(lignes))


class FileView(RoleRequisMixin, ListView):
    """La file d'attente : onglets avec compteurs, filtres, tri par colonne, 50 par page.

    Un nombre de requêtes fixe, quel que soit le nombre de dossiers : un décompte par état et
    par année (les années des filtres ; sans filtre appliqué, les compteurs des onglets et le
    total de la pagination, sinon un second décompte des dossiers filtrés), les agents des
    filtres (et les départements pour l'administration), la page de dossiers (annotations en
    sous-requêtes, lue en tuples).
    """

    roles = ROLES_CAF
    template_name = "dossiers/liste.html"
    context_object_name = "dossiers"
    paginate_by = PAR_PAGE

    def get_queryset(self):
        self.file = construire_file(self.request)
        # Les signaux de suivi (réponse du porteur, redépôt) : des sous-requêtes de plus dans
        # la requête de la page, pas une requête de plus (les exports n'en ont pas besoin).
        return annoter_suivi(self.file.dossiers)

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
        hrefs = liens(self.request.GET, "onglet", [o.slug for o in ONGLETS])
        ctx.update(
            file=file,
            filtres=file.filtres,
            onglets=[
                {
                    "slug": o.slug,
                    "libelle": o.libelle,
                    "nombre": file.compteurs[o.slug],
                    "href": hrefs[o.slug],
                }
                for o in ONGLETS
            ],
            onglet=file.onglet,
            entetes=entetes(file, user, self.request.GET),
            tri_actif=TRIS[file.tri].description,
            peut_assigner=peut_assigner(user),
            formats=FORMATS,
            avec_departement=user.est_admin,
        )
        # La page se lit en tuples (``CHAMPS_LIGNE``) ; ``dossiers``, la page d'objets de
        # ListView, reste une requête paresseuse que le gabarit n'évalue pas.
        ctx["corps_du_tableau"] = corps_du_tableau(
            ctx["page_obj"].object_list.values_list(*CHAMPS_LIGNE, named=True),
            self.request.get_full_path(),
            peut_assigner=ctx["peut_assigner"],
            avec_departement=ctx["avec_departement"],
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
