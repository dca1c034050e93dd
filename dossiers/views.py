from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.views.generic import DetailView, ListView

from collectifs.models import Collectif
from comptes.models import Role
from comptes.permissions import RoleRequisMixin

from . import depot
from .evaluation import empreinte, evaluer_document
from .exportation import dossier_vers_document
from .forms_depot import MessageForm
from .models import Dossier, Etat, Evenement


class DossierListeView(RoleRequisMixin, ListView):
    """Accueil du porteur (ses dossiers) ; pour la Caf, la file d'attente (``views_file``)."""

    roles = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
    paginate_by = 25
    context_object_name = "dossiers"

    def get(self, request, *args, **kwargs):
        if not request.user.est_porteur:
            from .views_file import FileView

            return FileView.as_view()(request, *args, **kwargs)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = (
            Dossier.objects.visible_to(self.request.user)
            .select_related("porteur", "departement")
            .annotate(nb_collectifs=Count("collectifs"))
            .order_by("-annee", "porteur__raison_sociale", "pk")
        )
        if self.request.user.est_porteur:
            qs = depot.annoter_accueil(qs)
        annee = self.request.GET.get("annee", "")
        if annee.isdigit():
            qs = qs.filter(annee=int(annee))
        etat = self.request.GET.get("etat", "")
        if etat in Etat.values:
            qs = qs.filter(etat=etat)
        return qs

    def get_template_names(self):
        return ["dossiers/porteur_accueil.html"]

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
        if self.request.user.est_porteur:
            ctx.update(depot.preparer_accueil(ctx["object_list"], self.request.user))
        return ctx


class DossierDetailView(RoleRequisMixin, DetailView):
    roles = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
    template_name = "dossiers/detail.html"
    context_object_name = "dossier"

    def get_object(self, queryset=None):
        qs = (
            Dossier.objects.visible_to(self.request.user)
            .select_related("porteur", "departement", "agent_referent")
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
        ctx.update(contexte_suivi(self.object, self.request.user, kwargs.get("message_form")))
        # Refus d'une action de la page (changement d'état interdit…), pour tous les rôles.
        ctx["erreur_action"] = kwargs.get("erreur_action")
        if self.object.est_decide:
            ctx["url_lettre"] = url_si_disponible("dossiers:lettre", self.object.pk)
        if not self.request.user.est_porteur:
            # Import ici : views_instruction étend cette vue (import circulaire sinon).
            from .views_instruction import contexte_instruction

            ctx.update(contexte_instruction(self.object, self.request.user, ctx, kwargs))
        return ctx


def url_si_disponible(nom: str, *args) -> str | None:
    """L'URL nommée, ou None si elle n'existe pas (encore) : pages construites à part."""
    try:
        return reverse(nom, args=args)
    except NoReverseMatch:
        return None


def contexte_suivi(dossier: Dossier, utilisateur, message_form=None) -> dict:
    """Échanges, historique, accusé, complément demandé et renouvellement du dossier."""
    evenements = list(dossier.evenements.select_related("auteur").order_by("cree_le", "pk"))
    echanges = list(dossier.messages.select_related("auteur").order_by("cree_le", "pk"))
    depots = [e for e in evenements if e.type == Evenement.Type.DEPOT]
    contexte = {
        "evenements": evenements,
        "echanges": echanges,
        "dernier_depot": depots[-1] if depots else None,
        "est_porteur": utilisateur.est_porteur,
        "message_form": None,
        "complement": None,
        "renouvellement": None,
    }
    if not dossier.est_brouillon:
        contexte["message_form"] = message_form or MessageForm()
    if dossier.etat == Etat.COMPLEMENT_DEMANDE:
        demandes = [
            e
            for e in evenements
            # Une assignation est enregistrée comme une transition sans changement d'état :
            # ce n'est pas la demande de complément.
            if e.type == Evenement.Type.TRANSITION
            and e.etat_apres == Etat.COMPLEMENT_DEMANDE
            and e.etat_avant != e.etat_apres
        ]
        de_la_caf = [m for m in echanges if m.auteur is not None and not m.auteur.est_porteur]
        contexte["complement"] = {
            "demande": demandes[-1] if demandes else None,
            "message": de_la_caf[-1] if de_la_caf else None,
        }
    if utilisateur.est_porteur:
        # Tout le dossier (pièces comprises), en lecture seule une fois déposé.
        contexte["url_dossier_complet"] = depot.url_etape(dossier.pk, depot.RECAPITULATIF)
        if dossier.est_brouillon:
            contexte["url_supprimer_brouillon"] = reverse(
                "dossiers:supprimer_brouillon", args=[dossier.pk]
            )
        if dossier.est_modifiable:
            contexte["url_saisie"] = depot.url_etape(dossier.pk, "projet")
            contexte["url_recapitulatif"] = depot.url_etape(dossier.pk, depot.RECAPITULATIF)
        if not dossier.est_brouillon:
            contexte["renouvellement"] = depot.renouvellement_pour(dossier)
    return contexte
