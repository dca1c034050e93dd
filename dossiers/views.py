from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from collectifs.models import Collectif
from comptes.models import Role
from comptes.permissions import RoleRequisMixin

from .evaluation import empreinte, evaluer_document
from .exportation import dossier_vers_document
from .models import Dossier, Etat


class DossierListeView(RoleRequisMixin, ListView):
    """Accueil du porteur (ses dossiers) et de l'agent (les dossiers de son département)."""

    roles = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
    paginate_by = 25
    context_object_name = "dossiers"

    def get_queryset(self):
        qs = (
            Dossier.objects.visible_to(self.request.user)
            .select_related("porteur", "departement")
            .annotate(nb_collectifs=Count("collectifs"))
            .order_by("-annee", "porteur__raison_sociale", "pk")
        )
        annee = self.request.GET.get("annee", "")
        if annee.isdigit():
            qs = qs.filter(annee=int(annee))
        etat = self.request.GET.get("etat", "")
        if etat in Etat.values:
            qs = qs.filter(etat=etat)
        return qs

    def get_template_names(self):
        if self.request.user.est_porteur:
            return ["dossiers/porteur_accueil.html"]
        return ["dossiers/liste.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["etats"] = Etat.choices
        ctx["etat_choisi"] = self.request.GET.get("etat", "")
        ctx["annee_choisie"] = self.request.GET.get("annee", "")
        ctx["annees"] = (
            Dossier.objects.visible_to(self.request.user)
            .order_by("-annee")
            .values_list("annee", flat=True)
            .distinct()
        )
        return ctx


class DossierDetailView(RoleRequisMixin, DetailView):
    roles = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
    template_name = "dossiers/detail.html"
    context_object_name = "dossier"

    def get_object(self, queryset=None):
        qs = (
            Dossier.objects.visible_to(self.request.user)
            .select_related("porteur", "departement")
            .prefetch_related(
                Prefetch(
                    "collectifs",
                    queryset=Collectif.objects.select_related("bilan")
                    .prefetch_related("creneaux")
                    .order_by("ordre", "pk"),
                ),
                "intervenants",
            )
        )
        return get_object_or_404(qs, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        document = dossier_vers_document(self.object, avec_decision=False)
        ctx["evaluation"] = evaluer_document(document)
        ctx["empreinte_courante"] = empreinte(document)
        ctx["evaluation_figee"] = self.object.evaluations.order_by("-cree_le", "-pk").first()
        return ctx
