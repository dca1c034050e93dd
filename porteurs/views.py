"""Pages de l'organisation porteuse : fiche, identité, membres, invitations, pièces permanentes.

Le périmètre vient de ``Porteur.objects.visible_to`` (une organisation hors périmètre donne 404
sur chacune de ses adresses) ; les droits d'action, de ``services.droits_sur`` (403 sinon).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from clas_portal.fichiers import reponse_telechargement
from comptes import emails
from comptes.models import Role
from comptes.permissions import RoleRequisMixin

from .forms import (
    AnnulationInvitationForm,
    InvitationForm,
    OrganisationCreationForm,
    OrganisationForm,
    PiecePermanenteForm,
    QualiteMembreForm,
    RetraitMembreForm,
)
from .models import (
    PIECES_PERMANENTES_OBLIGATOIRES,
    Membre,
    PiecePermanente,
    Porteur,
    TypePiecePermanente,
)
from .services import droits_sur


def message_envoi(request, envoye: bool, email: str, quoi: str = "L'invitation"):
    if envoye:
        messages.success(request, f"{quoi} a été envoyée à {email}.")
    else:
        messages.warning(
            request,
            f"{quoi} pour {email} est enregistrée, mais le courriel n'a pas pu partir. "
            "Réessayez dans quelques minutes en invitant de nouveau cette adresse.",
        )


class OrganisationListeView(LoginRequiredMixin, ListView):
    """Les organisations de l'utilisateur (porteur) ou de son périmètre (Caf, administration)."""

    template_name = "porteurs/liste.html"
    context_object_name = "organisations"
    paginate_by = 25

    def get_queryset(self):
        qs = Porteur.objects.visible_to(self.request.user).select_related("departement")
        recherche = self.request.GET.get("q", "").strip()
        if recherche:
            qs = qs.filter(
                Q(raison_sociale__icontains=recherche)
                | Q(siret__startswith=recherche.replace(" ", ""))
                | Q(commune__icontains=recherche)
            )
        return qs.order_by("raison_sociale", "pk")

    def get(self, request, *args, **kwargs):
        if request.user.est_porteur and not request.GET:
            premieres = list(self.get_queryset()[:2])
            if len(premieres) == 1:
                return redirect("porteurs:detail", pk=premieres[0].pk)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["recherche"] = self.request.GET.get("q", "").strip()
        return ctx


class OrganisationCreationView(RoleRequisMixin, FormView):
    """Un agent Caf inscrit une organisation de son département et invite sa première personne."""

    roles = (Role.AGENT,)
    template_name = "porteurs/creer.html"
    form_class = OrganisationCreationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "agent": self.request.user}

    def form_valid(self, form):
        invitation = form.save()
        envoye = emails.envoyer_invitation(self.request, invitation)
        message_envoi(self.request, envoye, invitation.email)
        return redirect("porteurs:detail", pk=invitation.porteur_id)


class OrganisationMixin(LoginRequiredMixin):
    """Charge l'organisation dans le périmètre de l'utilisateur (404 sinon) et ses droits.

    ``droit_requis`` : l'attribut de ``Droits`` nécessaire à la page (403 s'il manque).
    """

    droit_requis: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.porteur = get_object_or_404(
            Porteur.objects.visible_to(request.user).select_related("departement"),
            pk=kwargs["pk"],
        )
        self.droits = self.calculer_droits()
        if self.droit_requis and not getattr(self.droits, self.droit_requis):
            raise PermissionDenied("Vous ne pouvez pas faire cette action pour cette organisation.")
        self.charger()
        return super().dispatch(request, *args, **kwargs)

    def charger(self):
        """Charge les objets de la page, dans l'organisation (404 sinon)."""

    def calculer_droits(self):
        return droits_sur(self.request.user, self.porteur)

    def url_organisation(self, ancre=""):
        return reverse("porteurs:detail", args=[self.porteur.pk]) + ancre

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(porteur=self.porteur, droits=self.droits)
        return ctx


class OrganisationDetailView(OrganisationMixin, TemplateView):
    template_name = "porteurs/detail.html"

    def calculer_droits(self):
        self.membres = list(
            self.porteur.membres.select_related("utilisateur").order_by(
                "utilisateur__nom", "utilisateur__prenom", "pk"
            )
        )
        return droits_sur(self.request.user, self.porteur, membres=self.membres)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        pieces = {
            p.type: p for p in self.porteur.pieces.select_related("deposee_par").order_by("type")
        }
        ctx["membres"] = self.membres
        ctx["nb_responsables"] = sum(
            1 for m in self.membres if m.qualite == Membre.Qualite.RESPONSABLE
        )
        ctx["pieces"] = [
            {
                "type": valeur,
                "libelle": libelle,
                "piece": pieces.get(valeur),
                "obligatoire": valeur in PIECES_PERMANENTES_OBLIGATOIRES,
            }
            for valeur, libelle in TypePiecePermanente.choices
        ]
        ctx["pieces_manquantes"] = [
            ligne for ligne in ctx["pieces"] if ligne["obligatoire"] and not ligne["piece"]
        ]
        if self.droits.inviter:
            ctx["invitations"] = self.porteur.invitations.valides().select_related("invite_par")
            ctx["invitation_form"] = InvitationForm(porteur=self.porteur, invite_par=None)
        return ctx


class OrganisationModificationView(OrganisationMixin, FormView):
    droit_requis = "modifier"
    template_name = "porteurs/modifier.html"
    form_class = OrganisationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.porteur}

    def form_valid(self, form):
        form.save()
        messages.success(self.request, "L'identité de l'organisation est enregistrée.")
        return redirect(self.url_organisation("#identite"))


class InvitationCreationView(OrganisationMixin, FormView):
    droit_requis = "inviter"
    template_name = "porteurs/inviter.html"
    form_class = InvitationForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "porteur": self.porteur,
            "invite_par": self.request.user,
        }

    def form_valid(self, form):
        invitation = form.save()
        envoye = emails.envoyer_invitation(self.request, invitation)
        message_envoi(self.request, envoye, invitation.email)
        return redirect(self.url_organisation("#invitations"))


class ConfirmationMixin(OrganisationMixin):
    """Page de confirmation (GET) puis action (POST) d'un formulaire sans champ ou presque."""

    template_name = "porteurs/confirmer.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **self.objet_kwargs()}

    def form_valid(self, form):
        try:
            form.save()
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.message_succes(form))
        return redirect(self.get_success_url())

    def get_success_url(self):
        return self.url_organisation()


class InvitationAnnulationView(ConfirmationMixin, FormView):
    droit_requis = "inviter"
    form_class = AnnulationInvitationForm

    def charger(self):
        self.invitation = get_object_or_404(
            self.porteur.invitations.valides(), pk=self.kwargs["invitation_pk"]
        )

    def objet_kwargs(self):
        return {"invitation": self.invitation}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            titre="Annuler l'invitation",
            question=(
                f"Annuler l'invitation envoyée à {self.invitation.email} ? Le lien qu'elle a "
                "reçu ne fonctionnera plus ; vous pourrez l'inviter de nouveau plus tard."
            ),
            bouton="Annuler l'invitation",
            bouton_classe="btn-danger",
        )
        return ctx

    def message_succes(self, form):
        return f"L'invitation envoyée à {self.invitation.email} est annulée."

    def get_success_url(self):
        return self.url_organisation("#invitations")


class MembreMixin:
    def charger(self):
        self.membre = get_object_or_404(
            self.porteur.membres.select_related("utilisateur"), pk=self.kwargs["membre_pk"]
        )
        self.soi_meme = self.membre.utilisateur_id == self.request.user.pk


class MembreRetraitView(MembreMixin, ConfirmationMixin, FormView):
    droit_requis = "gerer_membres"
    form_class = RetraitMembreForm

    def objet_kwargs(self):
        return {"membre": self.membre}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        nom = self.membre.utilisateur.get_full_name()
        if self.soi_meme:
            question = (
                f"Vous retirer de « {self.porteur.raison_sociale} » ? Vous n'aurez plus accès à "
                "l'organisation ni à ses dossiers, sauf nouvelle invitation."
            )
        else:
            question = (
                f"Retirer {nom} ({self.membre.utilisateur.email}) de « "
                f"{self.porteur.raison_sociale} » ? Cette personne n'aura plus accès à "
                "l'organisation ni à ses dossiers ; son compte n'est pas supprimé."
            )
        ctx.update(
            titre="Quitter l'organisation" if self.soi_meme else f"Retirer {nom}",
            question=question,
            bouton="Me retirer" if self.soi_meme else "Retirer ce membre",
            bouton_classe="btn-danger",
        )
        return ctx

    def message_succes(self, form):
        if self.soi_meme:
            return f"Vous ne faites plus partie de « {self.porteur.raison_sociale} »."
        return f"{self.membre.utilisateur.get_full_name()} ne fait plus partie de l'organisation."

    def get_success_url(self):
        if self.soi_meme:
            return reverse("porteurs:liste")
        return self.url_organisation("#membres")


class MembreQualiteView(MembreMixin, ConfirmationMixin, FormView):
    droit_requis = "gerer_membres"
    form_class = QualiteMembreForm
    template_name = "porteurs/membre_qualite.html"

    def objet_kwargs(self):
        return {"instance": self.membre}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["membre"] = self.membre
        return ctx

    def message_succes(self, form):
        return (
            f"{self.membre.utilisateur.get_full_name()} est maintenant "
            f"{self.membre.get_qualite_display()}."
        )

    def get_success_url(self):
        return self.url_organisation("#membres")


class PieceDepotView(OrganisationMixin, FormView):
    droit_requis = "modifier"
    template_name = "porteurs/piece_deposer.html"
    form_class = PiecePermanenteForm

    def dispatch(self, request, *args, **kwargs):
        if kwargs["type_piece"] not in TypePiecePermanente.values:
            raise Http404("Ce type de pièce n'existe pas.")
        self.type_piece = TypePiecePermanente(kwargs["type_piece"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "porteur": self.porteur,
            "type_piece": self.type_piece,
            "utilisateur": self.request.user,
        }

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["type_piece"] = self.type_piece
        ctx["existante"] = (
            self.porteur.pieces.filter(type=self.type_piece).select_related("deposee_par").first()
        )
        return ctx

    def form_valid(self, form):
        piece = form.save()
        messages.success(
            self.request,
            f"{self.type_piece.label.capitalize()} : « {piece.nom_original} » est enregistré.",
        )
        return redirect(self.url_organisation("#pieces"))


class PieceTelechargementView(LoginRequiredMixin, View):
    """Téléchargement d'une pièce, seulement pour qui voit l'organisation (404 sinon)."""

    def get(self, request, pk, piece_pk):
        piece = get_object_or_404(
            PiecePermanente.objects.visible_to(request.user), pk=piece_pk, porteur_id=pk
        )
        return reponse_telechargement(
            piece.fichier, piece.nom_original, piece.type_mime, objet=piece
        )


class ExportDonneesView(OrganisationMixin, View):
    """Archive ZIP des données de l'organisation, pour ses membres seulement (RGPD)."""

    def get(self, request, pk):
        if not request.user.est_porteur or self.droits.adhesion is None:
            raise PermissionDenied("Seuls les membres de l'organisation exportent ses données.")
        from django.http import FileResponse
        from django.utils import timezone

        from audit.journal import consigner

        from .export import construire_export

        archive = construire_export(self.porteur, request.user)
        consigner("export_donnees", objet=self.porteur)
        nom = f"donnees-{self.porteur.siret}-{timezone.localdate():%Y%m%d}.zip"
        reponse = FileResponse(
            archive, as_attachment=True, filename=nom, content_type="application/zip"
        )
        reponse["X-Content-Type-Options"] = "nosniff"
        reponse["Cache-Control"] = "private, no-store"
        return reponse
