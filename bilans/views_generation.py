"""Demander un bilan, suivre sa génération (htmx), télécharger ses fichiers.

Toute génération montrée ou téléchargée passe par ``GenerationBilan.objects.visible_to`` : hors
périmètre, 404. Un porteur reçoit 403 (``RoleRequisMixin``).
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView

from audit.models import Action
from clas_portal.fichiers import reponse_telechargement
from comptes.models import Departement
from comptes.permissions import RoleRequisMixin
from dossiers.models import libelle_annee

from .models import EtatGeneration, GenerationBilan
from .pdf import date_heure
from .tasks import demander_bilan
from .views import ROLES_BILANS, annees_disponibles

NATIONAL = "national"


class DemandeBilanForm(forms.Form):
    """Les deux champs (cachés) du bouton « Générer le bilan »."""

    departement = forms.CharField(label="département", max_length=8)
    annee = forms.IntegerField(label="année scolaire", min_value=2000, max_value=2100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_departement(self):
        code = self.cleaned_data["departement"]
        if self.user.est_admin:
            if code == NATIONAL:
                return None
            departement = Departement.objects.filter(code=code).first()
            if departement is None:
                raise forms.ValidationError(f"Le département « {code} » n'existe pas.")
            return departement
        # Secrétariat, agents : leur département, et lui seul (un autre : 404, comme ailleurs).
        if code != self.user.departement_id:
            raise Http404("Ce département n'est pas le vôtre.")
        return self.user.departement

    def clean_annee(self):
        annee = self.cleaned_data["annee"]
        if annee not in annees_disponibles(self.user):
            raise forms.ValidationError(
                f"Aucun dossier n'a été déposé pour l'année scolaire {libelle_annee(annee)} : "
                "il n'y a pas de bilan à générer."
            )
        return annee


class DemanderBilanView(RoleRequisMixin, View):
    """POST du bouton « Générer le bilan » : une génération (nouvelle, en cours ou existante),
    puis sa page de suivi."""

    roles = ROLES_BILANS
    http_method_names = ["post"]

    def post(self, request):
        form = DemandeBilanForm(request.POST, user=request.user)
        if not form.is_valid():
            for erreurs in form.errors.values():
                for erreur in erreurs:
                    messages.error(request, f"Le bilan n'a pas été demandé : {erreur}")
            return redirect("bilans:index")
        generation = demander_bilan(
            form.cleaned_data["departement"], form.cleaned_data["annee"], request.user
        )
        if generation.issue == "existante":
            messages.info(
                request,
                "Les données n'ont pas changé depuis le bilan généré le "
                f"{date_heure(generation.terminee_le or generation.demandee_le)} : le voici, "
                "sans nouvelle génération.",
            )
        elif generation.issue == "en_cours":
            messages.info(request, "Ce bilan est déjà en cours de génération : le voici.")
        elif getattr(generation, "abandonnees", 0):
            messages.success(
                request,
                "La génération précédente, interrompue, a été abandonnée : une nouvelle "
                "génération du bilan a commencé.",
            )
        else:
            messages.success(request, "La génération du bilan a commencé.")
        return redirect("bilans:generation", pk=generation.pk)


class GenerationDetailView(RoleRequisMixin, DetailView):
    """Le suivi d'une génération : barre de progression mise à jour par htmx, puis les fichiers.

    Le fragment se redemande chaque seconde avec l'état et la progression qu'il affiche ; tant
    que rien n'a changé, la réponse est 204 (htmx ne remplace rien). Une fois la génération
    finie, le fragment rendu n'a plus de ``hx-trigger`` : le suivi s'arrête de lui-même. De même
    quand elle semble interrompue (``GenerationBilan.semble_interrompue`` : plus de nouvelle
    depuis ``delai_abandon()``) : le fragment le dit et propose de la relancer, sans plus
    interroger le serveur.
    """

    roles = ROLES_BILANS
    template_name = "bilans/generation/detail.html"
    fragment = "bilans/generation/_progression.html"
    context_object_name = "generation"

    def get_queryset(self):
        return GenerationBilan.objects.visible_to(self.request.user).select_related(
            "departement", "demandee_par"
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        generation = self.object
        if request.htmx:
            connu = (request.GET.get("etat"), request.GET.get("p"))
            inchangee = connu == (generation.etat, str(generation.progression))
            if inchangee and not generation.semble_interrompue:
                return HttpResponse(status=204)
            return render(request, self.fragment, self.get_context_data(object=generation))
        return self.render_to_response(self.get_context_data(object=generation))

    def get_context_data(self, **kwargs):
        contexte = super().get_context_data(**kwargs)
        generation = self.object
        contexte["url_suivi"] = (
            f"{reverse('bilans:generation', args=[generation.pk])}"
            f"?etat={generation.etat}&p={generation.progression}"
        )
        contexte["code_demande"] = generation.departement_id or NATIONAL
        return contexte


class TelechargerBilanView(RoleRequisMixin, View):
    """Le PDF ou le JSON d'une génération terminée, en pièce jointe."""

    roles = ROLES_BILANS
    FORMATS = {"pdf": "application/pdf", "json": "application/json"}

    def get(self, request, pk: int, format: str):
        if format not in self.FORMATS:
            raise Http404("Format inconnu.")
        generation = get_object_or_404(
            GenerationBilan.objects.visible_to(request.user),
            pk=pk,
            etat=EtatGeneration.TERMINEE,
        )
        champ = generation.fichier_pdf if format == "pdf" else generation.fichier_json
        return reponse_telechargement(
            champ,
            generation.nom_fichier(format),
            self.FORMATS[format],
            objet=generation,
            action=Action.TELECHARGEMENT_BILAN,
        )
