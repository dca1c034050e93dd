"""Récapitulatif et dépôt, accusé de dépôt, renouvellement, messages du dossier.

Les vues restent minces : le périmètre vient de ``Dossier.objects.visible_to``, les règles et
l'orchestration de ``dossiers.depot``, les écritures des formulaires.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views import View

from comptes.models import Role
from comptes.permissions import RoleRequisMixin
from eligibility.editions import CNAF_2019

from . import depot, pdf, saisie
from .evaluation import evaluer_document
from .exportation import dossier_vers_document
from .forms_depot import DepotForm, EngagementsForm, MessageForm
from .models import Dossier, Etat
from .views import DossierDetailView

TOUS_LES_ROLES = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)


def _site(request) -> str:
    return request.build_absolute_uri("/")


class DossierPorteurMixin(RoleRequisMixin):
    """Vues réservées aux membres de l'organisation du dossier (les autres : 404)."""

    roles = (Role.PORTEUR,)

    def get_dossier(self, queryset=None):
        queryset = Dossier.objects.visible_to(self.request.user) if queryset is None else queryset
        return get_object_or_404(queryset, pk=self.kwargs["pk"])


def _objectifs(dossier: Dossier) -> list[dict]:
    """Les axes et leurs objectifs, avec le texte du porteur, pour le récapitulatif."""
    return [
        {
            "cle": axe.cle,
            "libelle": axe.libelle,
            "objectifs": [
                {"libelle": o.libelle, "texte": getattr(dossier, f"{axe.cle}_{o.cle}")}
                for o in axe.objectifs
            ],
        }
        for axe in CNAF_2019.axes
    ]


class RecapitulatifView(DossierPorteurMixin, View):
    """Dernière étape : tout le dossier en lecture, les engagements, l'évaluation, le dépôt."""

    template_name = "dossiers/depot/recapitulatif.html"

    def charger(self) -> Dossier:
        return self.get_dossier(depot.avec_tout(Dossier.objects.visible_to(self.request.user)))

    def afficher(self, dossier: Dossier, *, engagements_form=None, depot_form=None):
        evaluation = evaluer_document(dossier_vers_document(dossier, avec_decision=False))
        manquantes = depot.pieces_manquantes(dossier)
        if dossier.est_modifiable:
            engagements_form = engagements_form or EngagementsForm(instance=dossier)
            depot_form = depot_form or DepotForm()
        contexte = {
            "dossier": dossier,
            "evaluation": evaluation,
            "blocages": depot.blocages(dossier, evaluation) if dossier.est_modifiable else [],
            "collectifs_evalues": list(
                zip(dossier.collectifs.all(), evaluation["collectifs"], strict=True)
            ),
            "budget": depot.budget_de(dossier),
            "axes": _objectifs(dossier),
            "pieces_dossier_manquantes": manquantes.du_dossier,
            "pieces_permanentes_manquantes": manquantes.permanentes,
            "url_organisation": depot.url_organisation(dossier.porteur_id),
            "nombre_etapes": saisie.NOMBRE_ETAPES,
            "etape_courante": depot.RECAPITULATIF,
            "engagements_form": engagements_form,
            "depot_form": depot_form,
            "redepot": dossier.etat == Etat.COMPLEMENT_DEMANDE,
        }
        return render(self.request, self.template_name, contexte)

    def get(self, request, *args, **kwargs):
        return self.afficher(self.charger())

    def post(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        if not dossier.est_modifiable:
            raise PermissionDenied(
                "Ce dossier est déposé : ses engagements ne sont plus modifiables."
            )
        form = EngagementsForm(request.POST, instance=dossier)
        if form.is_valid():
            form.save()
            messages.success(request, "Vos engagements sont enregistrés.")
            return redirect(reverse("dossiers:recapitulatif", args=[dossier.pk]) + "#engagements")
        return self.afficher(self.charger(), engagements_form=form)


class DeposerView(RecapitulatifView):
    """Le dépôt (ou le redépôt après une demande de complément), en POST seulement."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        detail = reverse("dossiers:detail", args=[dossier.pk])
        recapitulatif = reverse("dossiers:recapitulatif", args=[dossier.pk])
        if not dossier.est_modifiable:
            messages.info(request, "Ce dossier a déjà été déposé : il n'y a rien de plus à faire.")
            return redirect(detail)
        form = DepotForm(request.POST)
        if not form.is_valid():
            return self.afficher(self.charger(), depot_form=form)
        try:
            resultat = depot.deposer(dossier, request.user, site=_site(request))
        except depot.DepotRefuse as refus:
            messages.error(request, refus.message)
            return redirect(recapitulatif + "#depot" if refus.blocages else detail)
        except depot.DepotImpossible as erreur:
            messages.error(request, str(erreur))
            return redirect(recapitulatif + "#depot")
        if resultat.redepot:
            texte = (
                "Votre dossier complété est redéposé : la Caf reprend son instruction. "
                "L'accusé de dépôt vous est envoyé par courriel ; vous pouvez aussi le "
                "télécharger ci-dessous."
            )
        else:
            texte = (
                "Votre dossier est déposé. L'accusé de dépôt vous est envoyé par courriel ; "
                "vous pouvez aussi le télécharger ci-dessous."
            )
        messages.success(request, texte)
        return redirect(detail)


class AccuseDepotView(RoleRequisMixin, View):
    """L'accusé du dernier dépôt, refait à l'identique à partir des données figées."""

    roles = TOUS_LES_ROLES

    def get(self, request, *args, **kwargs):
        dossier = get_object_or_404(
            Dossier.objects.visible_to(request.user).only("pk", "annee"), pk=kwargs["pk"]
        )
        evenement = depot.evenement_depot(dossier)
        evaluation = depot.evaluation_du_depot(evenement) if evenement else None
        if evaluation is None:
            raise Http404("Ce dossier n'a pas d'accusé de dépôt.")
        contenu = pdf.accuse_de_depot(dossier.pk, evenement, evaluation)
        reponse = HttpResponse(contenu, content_type="application/pdf")
        nom = pdf.nom_fichier_accuse(dossier.pk, dossier.annee_scolaire)
        reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
        reponse["X-Content-Type-Options"] = "nosniff"
        reponse["Cache-Control"] = "private, no-store"
        return reponse


class RenouvelerView(DossierPorteurMixin, View):
    """« Renouveler pour l'année suivante » : un brouillon prérempli pour l'année N+1."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        try:
            nouveau = depot.renouveler(dossier, request.user)
        except depot.RenouvellementRefuse as refus:
            if refus.existant is not None:
                lien = reverse("dossiers:detail", args=[refus.existant.pk])
                messages.info(
                    request,
                    format_html(
                        '{} <a href="{}">Ouvrir le dossier {}</a>.',
                        refus.message,
                        lien,
                        refus.existant.annee_scolaire,
                    ),
                )
                return redirect(lien)
            messages.error(request, refus.message)
            return redirect("dossiers:detail", pk=dossier.pk)
        messages.success(
            request,
            f"Le dossier {nouveau.annee_scolaire} est créé à partir de celui de "
            f"{dossier.annee_scolaire}. Relisez chaque étape : les dates des collectifs, les "
            "pièces, les engagements et le montant demandé sont à renseigner pour la nouvelle "
            "année.",
        )
        return redirect(depot.url_etape(nouveau.pk, "projet"))


class SupprimerBrouillonView(DossierPorteurMixin, View):
    """« Supprimer ce brouillon » : confirmation (GET), puis suppression (POST).

    Réservé aux membres de l'organisation (les autres : 404) et aux brouillons : un dossier
    déposé ne se supprime pas (refus en français).
    """

    template_name = "dossiers/depot/supprimer_brouillon.html"

    def get_dossier(self, queryset=None):
        return super().get_dossier(
            Dossier.objects.visible_to(self.request.user).select_related("porteur", "departement")
        )

    def refuser(self, dossier: Dossier):
        messages.error(
            self.request,
            f"Ce dossier est « {dossier.get_etat_display()} » : seul un brouillon peut être "
            "supprimé.",
        )
        return redirect("dossiers:detail", pk=dossier.pk)

    def get(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        if not dossier.est_brouillon:
            return self.refuser(dossier)
        contexte = {
            "dossier": dossier,
            "nb_collectifs": dossier.collectifs.count(),
            "nb_intervenants": dossier.intervenants.count(),
            "nb_pieces": dossier.pieces.count(),
            "nb_lignes_budget": dossier.lignes_budget.count(),
        }
        return render(request, self.template_name, contexte)

    def post(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        if not dossier.est_brouillon:
            return self.refuser(dossier)
        libelle = f"{dossier.intitule or 'Projet sans intitulé'} ({dossier.annee_scolaire})"
        try:
            depot.supprimer_brouillon(dossier, request.user)
        except depot.SuppressionRefusee as refus:
            messages.error(request, str(refus))
            return redirect("dossiers:detail", pk=dossier.pk)
        messages.success(request, f"Le brouillon « {libelle} » est supprimé.")
        return redirect("dossiers:liste")


class MessageView(DossierDetailView):
    """Poster un message sur le fil du dossier (porteur, Caf du département, administrateur)."""

    http_method_names = ["post"]
    roles = TOUS_LES_ROLES

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.est_brouillon:
            raise PermissionDenied("Les échanges avec la Caf s'ouvrent au dépôt du dossier.")
        form = MessageForm(request.POST)
        if form.is_valid():
            form.save(dossier=self.object, auteur=request.user, site=_site(request))
            messages.success(request, "Votre message est envoyé.")
            return redirect(reverse("dossiers:detail", args=[self.object.pk]) + "#messages")
        return self.render_to_response(self.get_context_data(message_form=form))
