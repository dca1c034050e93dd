from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views import View
from django.views.generic import FormView, TemplateView

from porteurs.forms import OrganisationInscriptionForm
from porteurs.models import Invitation
from porteurs.services import (
    EtatInvitation,
    InvitationInvalide,
    accepter_invitation,
    etat_invitation,
)

from . import emails
from .forms import (
    CompteInviteForm,
    ConnexionForm,
    InscriptionForm,
    MotDePasseOublieForm,
    NouveauMotDePasseForm,
    RenvoiConfirmationForm,
)
from .models import Role, Utilisateur

ACCUEIL_PAR_ROLE = {
    Role.PORTEUR: "dossiers:liste",
    Role.AGENT: "dossiers:liste",
    Role.SECRETARIAT: "bilans:index",
    Role.ADMIN: "admin:index",
}

BACKEND = "comptes.backends.ModelBackendAvecDepartement"
SESSION_EMAIL_INSCRIPTION = "inscription_email"


class ConnexionView(auth_views.LoginView):
    form_class = ConnexionForm
    template_name = "registration/connexion.html"
    redirect_authenticated_user = True


class DeconnexionView(auth_views.LogoutView):
    """Déconnexion par POST uniquement (protégée par CSRF)."""


@login_required
def accueil(request):
    """Chaque rôle a sa page d'accueil."""
    return redirect(ACCUEIL_PAR_ROLE.get(request.user.role, "dossiers:liste"))


# --- inscription -----------------------------------------------------------------------------
class InscriptionView(View):
    """Inscription d'une personne et de son organisation (SIRET encore inconnu du portail)."""

    template_name = "comptes/inscription.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("accueil")
        return super().dispatch(request, *args, **kwargs)

    def formulaires(self, data=None):
        return InscriptionForm(data), OrganisationInscriptionForm(data, prefix="organisation")

    def afficher(self, compte, organisation, status=200):
        contexte = {"form": compte, "organisation_form": organisation}
        return render(self.request, self.template_name, contexte, status=status)

    def get(self, request):
        return self.afficher(*self.formulaires())

    def post(self, request):
        compte, organisation = self.formulaires(request.POST)
        if not (compte.is_valid() and organisation.is_valid()):
            return self.afficher(compte, organisation)
        if compte.compte_existant is not None:
            # Même réponse qu'une inscription réussie : seul le titulaire de l'adresse apprend,
            # par courriel, qu'il a déjà un compte.
            emails.envoyer_compte_existant(request, compte.compte_existant)
        else:
            try:
                utilisateur = compte.save(organisation)
            except IntegrityError:
                compte.add_error(
                    None,
                    "Votre inscription n'a pas pu être enregistrée : une autre inscription avec "
                    "le même SIRET ou la même adresse électronique vient d'aboutir. Vérifiez vos "
                    "informations puis envoyez à nouveau le formulaire.",
                )
                return self.afficher(compte, organisation)
            emails.envoyer_confirmation_inscription(request, utilisateur)
        request.session[SESSION_EMAIL_INSCRIPTION] = compte.cleaned_data["email"]
        return redirect("inscription_envoyee")


class InscriptionEnvoyeeView(TemplateView):
    """« Consultez votre messagerie » : le lien de confirmation est parti."""

    template_name = "comptes/inscription_envoyee.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["email"] = self.request.session.get(SESSION_EMAIL_INSCRIPTION, "")
        return ctx


class ConfirmationInscriptionView(View):
    """Le lien du courriel : la page demande un clic (les antivirus qui ouvrent les liens des
    courriels n'activent donc rien), puis le compte est activé et la personne connectée."""

    template_name = "comptes/inscription_confirmer.html"
    template_invalide = "comptes/inscription_lien_invalide.html"

    def dispatch(self, request, *args, uidb64, token, **kwargs):
        self.utilisateur = self.utilisateur_du_lien(uidb64, token)
        if self.utilisateur is None:
            return render(request, self.template_invalide, status=400)
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def utilisateur_du_lien(uidb64, token):
        try:
            pk = force_str(urlsafe_base64_decode(uidb64))
            utilisateur = Utilisateur.objects.get(pk=pk)
        except (TypeError, ValueError, OverflowError, Utilisateur.DoesNotExist):
            return None
        if utilisateur.is_active or utilisateur.last_login is not None:
            return None  # déjà confirmé : le lien a servi
        if not default_token_generator.check_token(utilisateur, token):
            return None
        return utilisateur

    def get(self, request):
        return render(request, self.template_name, {"compte": self.utilisateur})

    def post(self, request):
        self.utilisateur.is_active = True
        self.utilisateur.save(update_fields=["is_active"])
        login(request, self.utilisateur, backend=BACKEND)
        request.session.pop(SESSION_EMAIL_INSCRIPTION, None)
        messages.success(
            request,
            "Votre adresse est confirmée et votre compte est actif. Complétez maintenant la "
            "page de votre organisation : les pièces permanentes servent à chaque dossier.",
        )
        return redirect("porteurs:liste")


class RenvoiConfirmationView(FormView):
    """Redemander le lien de confirmation. La réponse ne dit jamais si l'adresse est connue."""

    template_name = "comptes/inscription_renvoyer.html"
    form_class = RenvoiConfirmationForm

    def form_valid(self, form):
        compte = form.compte_a_confirmer()
        if compte is not None:
            emails.envoyer_confirmation_inscription(self.request, compte)
        messages.info(
            self.request,
            f"Si un compte en attente de confirmation correspond à {form.cleaned_data['email']}, "
            "un nouveau lien vient d'y être envoyé. Pensez à regarder dans les indésirables.",
        )
        return redirect("inscription_renvoyer")


# --- invitation ------------------------------------------------------------------------------
class InvitationView(View):
    """Le lien d'une invitation : créer son compte, ou se connecter, puis rejoindre l'organisation."""

    def dispatch(self, request, *args, jeton, **kwargs):
        self.invitation = (
            Invitation.objects.select_related("porteur", "invite_par").filter(jeton=jeton).first()
        )
        if self.invitation is None:
            return self.invalide("inconnue", status=404)
        etat = etat_invitation(self.invitation)
        if etat != EtatInvitation.VALIDE:
            return self.invalide(etat, status=410)
        return super().dispatch(request, *args, **kwargs)

    def invalide(self, etat, status):
        contexte = {"etat": etat, "invitation": self.invitation}
        return render(self.request, "comptes/invitation_invalide.html", contexte, status=status)

    def contexte(self, **extra):
        return {"invitation": self.invitation, "porteur": self.invitation.porteur, **extra}

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return self.compte_connecte()
        compte = Utilisateur.objects.filter(email__iexact=self.invitation.email).first()
        if compte is not None:
            a_confirmer = not compte.is_active and compte.last_login is None
            return render(
                request,
                "comptes/invitation_connexion.html",
                self.contexte(a_confirmer=a_confirmer),
            )
        return render(
            request,
            "comptes/invitation_creer_compte.html",
            self.contexte(form=CompteInviteForm(invitation=self.invitation)),
        )

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return self.compte_connecte(rejoindre=True)
        if Utilisateur.objects.filter(email__iexact=self.invitation.email).exists():
            return redirect(request.path)
        form = CompteInviteForm(request.POST, invitation=self.invitation)
        if not form.is_valid():
            return render(request, "comptes/invitation_creer_compte.html", self.contexte(form=form))
        try:
            utilisateur = form.save()
        except InvitationInvalide as exc:
            return self.invalide(exc.etat, status=410)
        except IntegrityError:
            return redirect(request.path)  # compte créé entre-temps : il faut se connecter
        login(request, utilisateur, backend=BACKEND)
        return self.bienvenue()

    def compte_connecte(self, rejoindre=False):
        user = self.request.user
        if user.email.lower() != self.invitation.email.lower():
            return render(
                self.request, "comptes/invitation_autre_compte.html", self.contexte(), status=403
            )
        if not user.est_porteur:
            return self.invalide("role", status=403)
        if not rejoindre:
            return render(self.request, "comptes/invitation_rejoindre.html", self.contexte())
        try:
            accepter_invitation(self.invitation, user)
        except InvitationInvalide as exc:
            return self.invalide(exc.etat, status=410)
        return self.bienvenue()

    def bienvenue(self):
        porteur = self.invitation.porteur
        messages.success(
            self.request,
            f"Bienvenue : vous êtes maintenant membre de « {porteur.raison_sociale} ».",
        )
        return redirect("porteurs:detail", pk=porteur.pk)


# --- mot de passe oublié ---------------------------------------------------------------------
class MotDePasseOublieView(auth_views.PasswordResetView):
    form_class = MotDePasseOublieForm
    template_name = "registration/mot_de_passe_oublie.html"
    email_template_name = "registration/mot_de_passe_courriel.txt"
    subject_template_name = "registration/mot_de_passe_sujet.txt"
    success_url = reverse_lazy("mot_de_passe_envoye")


class MotDePasseEnvoyeView(auth_views.PasswordResetDoneView):
    template_name = "registration/mot_de_passe_envoye.html"


class MotDePasseNouveauView(auth_views.PasswordResetConfirmView):
    form_class = NouveauMotDePasseForm
    template_name = "registration/mot_de_passe_nouveau.html"
    success_url = reverse_lazy("mot_de_passe_modifie")


class MotDePasseModifieView(auth_views.PasswordResetCompleteView):
    template_name = "registration/mot_de_passe_modifie.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["login_url"] = reverse("connexion")
        return ctx
