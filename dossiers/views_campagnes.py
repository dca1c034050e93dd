"""Campagnes de dépôt : les agents d'un département gèrent celles de LEUR département.

Le périmètre vient de ``Campagne.objects.visible_to`` : la campagne d'un autre département donne
404. Le secrétariat et l'administrateur national consultent ; l'administrateur modifie les
paramètres de financement (et, au besoin, toute campagne) dans l'administration Django.
"""

from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import CreateView, ListView, UpdateView

from comptes.models import Role
from comptes.permissions import RoleRequisMixin

from .forms_campagnes import CampagneForm, date_longue
from .models import Campagne, Dossier, Etat


def annoter_dossiers(qs):
    """Nombre de dossiers déposés et de brouillons de chaque campagne (département, année)."""
    par_campagne = (
        Dossier.objects.filter(departement=OuterRef("departement"), annee=OuterRef("annee"))
        .order_by()
        .values("departement")
    )

    def compte(condition):
        return Coalesce(
            Subquery(par_campagne.annotate(n=Count("pk", filter=condition)).values("n")[:1]),
            Value(0),
            output_field=IntegerField(),
        )

    return qs.annotate(
        nb_deposes=compte(~Q(etat=Etat.BROUILLON)),
        nb_brouillons=compte(Q(etat=Etat.BROUILLON)),
    )


class CampagneListeView(RoleRequisMixin, ListView):
    roles = (Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
    template_name = "dossiers/campagnes/liste.html"
    context_object_name = "campagnes"
    paginate_by = 50

    def get_queryset(self):
        return annoter_dossiers(
            Campagne.objects.visible_to(self.request.user)
            .select_related("departement")
            .order_by("-annee", "departement_id")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["aujourdhui"] = timezone.localdate()
        ctx["peut_modifier"] = self.request.user.est_agent
        return ctx


class CampagneFormMixin(RoleRequisMixin):
    roles = (Role.AGENT,)
    form_class = CampagneForm
    template_name = "dossiers/campagnes/formulaire.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "departement": self.request.user.departement}

    def get_success_url(self):
        from django.urls import reverse

        return reverse("dossiers:campagnes")


class CampagneCreationView(CampagneFormMixin, CreateView):
    def form_valid(self, form):
        campagne = form.save()
        messages.success(
            self.request,
            f"Campagne {campagne.annee_scolaire} créée : dépôts du {date_longue(campagne.ouverture)}"
            f" au {date_longue(campagne.cloture)} inclus.",
        )
        return redirect(self.get_success_url())


class CampagneModificationView(CampagneFormMixin, UpdateView):
    def get_queryset(self):
        return Campagne.objects.visible_to(self.request.user).select_related("departement")

    def form_valid(self, form):
        avant = Campagne.objects.values_list("cloture", flat=True).get(pk=self.object.pk)
        campagne = form.save()
        if campagne.cloture > avant:
            texte = f"Campagne {campagne.annee_scolaire} prolongée jusqu'au {date_longue(campagne.cloture)} inclus."
        elif campagne.cloture < avant:
            texte = f"Clôture de la campagne {campagne.annee_scolaire} avancée au {date_longue(campagne.cloture)}."
        else:
            texte = f"Campagne {campagne.annee_scolaire} enregistrée."
        messages.success(self.request, texte)
        return redirect(self.get_success_url())
