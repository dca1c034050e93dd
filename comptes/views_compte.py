"""« Mon compte » : chaque personne connectée consulte son compte, modifie son nom et son
téléphone, et change son mot de passe sans passer par « mot de passe oublié ».

Le changement de mot de passe garde la session ouverte (``PasswordChangeView`` appelle
``update_session_auth_hash``), est consigné au journal d'audit et signalé par courriel au titulaire
du compte.

L'adresse électronique sert d'identifiant : la changer exige le mot de passe actuel, puis un clic
sur le lien envoyé à la nouvelle adresse (jeton signé, valable ``PASSWORD_RESET_TIMEOUT``, qui
porte l'ancienne adresse : il ne sert qu'une fois). L'ancienne adresse reçoit un avis.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView, UpdateView
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.journal import consigner
from audit.models import Action, EvenementAudit
from porteurs.models import Membre

from . import emails
from .forms import ChangementAdresseForm, ChangementMotDePasseForm, ProfilForm
from .models import Utilisateur
from .securite import doit_avoir_second_facteur


class MonCompteView(LoginRequiredMixin, TemplateView):
    template_name = "comptes/mon_compte.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        ctx = super().get_context_data(**kwargs)
        ctx["compte"] = (
            Utilisateur.objects.visible_to(user).select_related("departement").get(pk=user.pk)
        )
        if user.est_porteur:
            ctx["adhesions"] = (
                Membre.objects.visible_to(user)
                .filter(utilisateur=user)
                .select_related("porteur", "porteur__departement")
                .order_by("porteur__raison_sociale")
            )
        # Le second facteur concerne le personnel des Caf et l'administration nationale.
        ctx["second_facteur_concerne"] = user.est_personnel_caf or user.est_admin
        ctx["second_facteur_obligatoire"] = doit_avoir_second_facteur(user)
        ctx["second_facteur_configure"] = TOTPDevice.objects.filter(
            user=user, confirmed=True
        ).exists()
        return ctx


class ProfilModifierView(LoginRequiredMixin, UpdateView):
    template_name = "comptes/compte_modifier.html"
    form_class = ProfilForm
    success_url = reverse_lazy("compte")

    def get_object(self, queryset=None):
        return Utilisateur.objects.visible_to(self.request.user).get(pk=self.request.user.pk)

    def form_valid(self, form):
        form.save()
        messages.success(self.request, "Vos informations personnelles sont enregistrées.")
        return redirect(self.success_url)


class MotDePasseChangerView(auth_views.PasswordChangeView):
    """Django exige la connexion, vérifie le mot de passe actuel, applique les validateurs et
    garde la session valide ; on y ajoute l'audit, le courriel d'avis et le message."""

    template_name = "comptes/compte_mot_de_passe.html"
    form_class = ChangementMotDePasseForm
    success_url = reverse_lazy("compte")

    def form_valid(self, form):
        with transaction.atomic():
            reponse = super().form_valid(form)
            consigner(Action.MOT_DE_PASSE, objet=form.user, utilisateur=form.user)
        envoye = emails.envoyer_mot_de_passe_modifie(self.request, form.user)
        message = "Votre mot de passe est modifié ; vous restez connecté·e."
        if envoye:
            message += f" Un courriel de confirmation a été envoyé à {form.user.email}."
        messages.success(self.request, message)
        return reponse


# --- changement d'adresse électronique -------------------------------------------------------
SEL_ADRESSE = "comptes.changement_adresse"
# Au plus trois courriels de confirmation par heure et par compte (comptés dans le journal).
DEMANDES_ADRESSE_PAR_FENETRE = 3
FENETRE_DEMANDES_ADRESSE = datetime.timedelta(hours=1)


def jeton_adresse(utilisateur, nouvelle: str) -> str:
    """Jeton signé : le compte, son adresse actuelle (le lien ne sert qu'une fois) et la nouvelle."""
    return signing.dumps(
        {"u": utilisateur.pk, "e": utilisateur.email.lower(), "a": nouvelle}, salt=SEL_ADRESSE
    )


def lire_jeton_adresse(jeton: str, utilisateur) -> str | None:
    """La nouvelle adresse si le jeton est intact, récent et fait pour ce compte, tel qu'il est."""
    try:
        donnees = signing.loads(jeton, salt=SEL_ADRESSE, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:  # SignatureExpired en hérite
        return None
    if not isinstance(donnees, dict):
        return None
    if donnees.get("u") != utilisateur.pk or donnees.get("e") != utilisateur.email.lower():
        return None
    return donnees.get("a") or None


class AdresseChangerView(LoginRequiredMixin, FormView):
    template_name = "comptes/compte_adresse.html"
    form_class = ChangementAdresseForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        user = self.request.user
        nouvelle = form.cleaned_data["email"]
        recentes = EvenementAudit.objects.filter(
            action=Action.DEMANDE_ADRESSE,
            utilisateur_id=user.pk,
            horodatage__gte=timezone.now() - FENETRE_DEMANDES_ADRESSE,
        ).count()
        if recentes >= DEMANDES_ADRESSE_PAR_FENETRE:
            # Le portail n'envoie pas de courriels à volonté vers des adresses non confirmées.
            form.add_error(
                "email",
                f"{DEMANDES_ADRESSE_PAR_FENETRE} demandes de changement d'adresse en une heure : "
                "attendez avant d'en faire une autre (le dernier lien reçu reste valable).",
            )
            return self.form_invalid(form)
        consigner(
            Action.DEMANDE_ADRESSE, objet=user, utilisateur=user, details={"nouvelle": nouvelle}
        )
        if form.adresse_prise:
            # Même réponse qu'en cas de succès : seul le titulaire de l'adresse est prévenu.
            emails.envoyer_adresse_deja_utilisee(self.request, nouvelle)
        else:
            lien = self.request.build_absolute_uri(
                reverse("compte_adresse_confirmer", kwargs={"jeton": jeton_adresse(user, nouvelle)})
            )
            emails.envoyer_confirmation_adresse(self.request, user, nouvelle, lien)
        messages.info(
            self.request,
            f"Un lien de confirmation vient d'être envoyé à {nouvelle}. Votre adresse ne change "
            f"qu'une fois ce lien ouvert et confirmé ; d'ici là, continuez à vous connecter avec "
            f"{user.email}.",
        )
        return redirect("compte")


class AdresseConfirmerView(LoginRequiredMixin, View):
    """Le lien du courriel, ouvert connecté au compte concerné : la page demande un clic (les
    antivirus qui ouvrent les liens des courriels ne changent donc rien)."""

    template_name = "comptes/compte_adresse_confirmer.html"
    template_invalide = "comptes/compte_adresse_lien_invalide.html"

    def invalide(self, motif=""):
        return render(self.request, self.template_invalide, {"motif": motif}, status=400)

    def get(self, request, jeton):
        nouvelle = lire_jeton_adresse(jeton, request.user)
        if nouvelle is None:
            return self.invalide()
        return render(request, self.template_name, {"nouvelle": nouvelle})

    def post(self, request, jeton):
        motif_pris = "adresse_prise"
        try:
            with transaction.atomic():
                compte = (
                    Utilisateur.objects.visible_to(request.user)
                    .select_for_update()
                    .get(pk=request.user.pk)
                )
                nouvelle = lire_jeton_adresse(jeton, compte)
                if nouvelle is None:
                    return self.invalide()
                if (
                    Utilisateur.objects.filter(email__iexact=nouvelle)
                    .exclude(pk=compte.pk)
                    .exists()
                ):
                    return self.invalide(motif_pris)
                ancienne = compte.email
                compte.email = nouvelle
                compte.save(update_fields=["email"])
                consigner(
                    Action.ADRESSE_ELECTRONIQUE,
                    objet=compte,
                    utilisateur=compte,
                    details={"ancienne": ancienne, "nouvelle": nouvelle},
                )
        except IntegrityError:  # la même adresse vient d'être prise par un autre compte
            return self.invalide(motif_pris)
        emails.envoyer_adresse_modifiee(request, compte, ancienne)
        messages.success(
            request,
            f"Votre adresse électronique est maintenant {nouvelle} : utilisez-la pour vous "
            "connecter. Un avis a été envoyé à l'ancienne adresse.",
        )
        return redirect("compte")
