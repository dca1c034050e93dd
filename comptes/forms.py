import datetime

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    SetPasswordMixin,
)
from django.db import transaction
from django.utils import timezone

from porteurs.forms import valider_telephone
from porteurs.models import Membre
from porteurs.services import accepter_invitation

from .models import Role, Utilisateur


class ConnexionForm(AuthenticationForm):
    """Formulaire de connexion : l'identifiant est l'adresse électronique."""

    username = forms.EmailField(
        label="Adresse électronique",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": (
            "Adresse électronique ou mot de passe incorrect. Vérifiez votre saisie ; "
            "le mot de passe tient compte des majuscules. Si vous venez de vous inscrire, "
            "confirmez d'abord votre adresse grâce au lien reçu par courriel."
        ),
        "inactive": "Ce compte est désactivé. Contactez votre Caf.",
    }


# --- inscription, confirmation, invitation ---------------------------------------------------
def champs_mot_de_passe():
    """Deux champs de mot de passe ; l'aide liste les règles des validateurs (12 caractères…)."""
    return SetPasswordMixin.create_password_fields(
        label1="Mot de passe", label2="Confirmation du mot de passe"
    )


class NouveauMotDePasseMixin(SetPasswordMixin):
    """Vérifie que les deux saisies concordent et que le mot de passe passe les validateurs."""

    error_messages = {"password_mismatch": "Les deux mots de passe ne sont pas identiques."}


class InscriptionForm(NouveauMotDePasseMixin, forms.Form):
    """La personne qui s'inscrit ; son organisation vient d'un ``OrganisationInscriptionForm``.

    Une adresse déjà utilisée n'est jamais signalée à l'écran (on ne révèle pas qui a un compte) :
    ``compte_existant`` est alors renseigné et la vue écrit au titulaire de l'adresse.
    """

    prenom = forms.CharField(
        label="Prénom", max_length=80, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    nom = forms.CharField(
        label="Nom", max_length=80, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(
        label="Adresse électronique",
        max_length=254,
        help_text="elle vous servira d'identifiant ; un lien de confirmation y sera envoyé",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1, password2 = champs_mot_de_passe()

    field_order = ["prenom", "nom", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.compte_existant = None

    def clean_email(self):
        email = Utilisateur.objects.normalize_email(self.cleaned_data["email"]).lower()
        self.compte_existant = Utilisateur.objects.filter(email__iexact=email).first()
        return email

    def clean(self):
        self.validate_passwords()
        cleaned = super().clean()
        provisoire = Utilisateur(
            email=cleaned.get("email", ""),
            prenom=cleaned.get("prenom", ""),
            nom=cleaned.get("nom", ""),
        )
        self.validate_password_for_user(provisoire)
        return cleaned

    def save(self, organisation_form):
        """Compte inactif + organisation + adhésion (responsable), en une seule transaction."""
        if self.compte_existant is not None:
            raise ValueError("Cette adresse a déjà un compte : rien n'est créé.")
        with transaction.atomic():
            utilisateur = Utilisateur.objects.create_user(
                email=self.cleaned_data["email"],
                password=self.cleaned_data["password1"],
                prenom=self.cleaned_data["prenom"],
                nom=self.cleaned_data["nom"],
                role=Role.PORTEUR,
                is_active=False,
            )
            porteur = organisation_form.save()
            Membre.objects.create(
                porteur=porteur, utilisateur=utilisateur, qualite=Membre.Qualite.RESPONSABLE
            )
        return utilisateur


class RenvoiConfirmationForm(forms.Form):
    """Redemander le lien de confirmation ; la réponse est la même que l'adresse existe ou non."""

    email = forms.EmailField(
        label="Adresse électronique",
        max_length=254,
        help_text="celle que vous avez indiquée en vous inscrivant",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def compte_a_confirmer(self):
        """Le compte inscrit mais jamais confirmé de cette adresse, s'il existe."""
        return Utilisateur.objects.filter(
            email__iexact=self.cleaned_data["email"], is_active=False, last_login__isnull=True
        ).first()


class CompteInviteForm(NouveauMotDePasseMixin, forms.Form):
    """Création du compte d'une personne invitée : l'adresse est celle de l'invitation.

    Le lien reçu par courriel prouve l'adresse : le compte est actif aussitôt.
    """

    prenom = forms.CharField(
        label="Prénom", max_length=80, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    nom = forms.CharField(
        label="Nom", max_length=80, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1, password2 = champs_mot_de_passe()

    def __init__(self, *args, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.fields["prenom"].widget.attrs["autofocus"] = True

    def clean(self):
        self.validate_passwords()
        cleaned = super().clean()
        provisoire = Utilisateur(
            email=self.invitation.email,
            prenom=cleaned.get("prenom", ""),
            nom=cleaned.get("nom", ""),
        )
        self.validate_password_for_user(provisoire)
        return cleaned

    def save(self):
        """Compte actif + adhésion + invitation acceptée, en une seule transaction."""
        with transaction.atomic():
            utilisateur = Utilisateur.objects.create_user(
                email=self.invitation.email,
                password=self.cleaned_data["password1"],
                prenom=self.cleaned_data["prenom"],
                nom=self.cleaned_data["nom"],
                role=Role.PORTEUR,
                is_active=True,
            )
            accepter_invitation(self.invitation, utilisateur)
        return utilisateur


class MotDePasseOublieForm(PasswordResetForm):
    email = forms.EmailField(
        label="Adresse électronique",
        max_length=254,
        help_text="celle qui vous sert à vous connecter",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class NouveauMotDePasseForm(SetPasswordForm):
    error_messages = {"password_mismatch": "Les deux mots de passe ne sont pas identiques."}
    new_password1, new_password2 = SetPasswordMixin.create_password_fields(
        label1="Nouveau mot de passe", label2="Confirmation du nouveau mot de passe"
    )


# --- mon compte ------------------------------------------------------------------------------
class ProfilForm(forms.ModelForm):
    """Ce que chacun modifie lui-même : son nom et son téléphone (l'adresse, qui sert
    d'identifiant, le rôle et le département ne se modifient pas ici)."""

    class Meta:
        model = Utilisateur
        fields = ["prenom", "nom", "telephone"]
        labels = {"prenom": "Prénom", "nom": "Nom", "telephone": "Téléphone"}
        help_texts = {
            "telephone": "facultatif ; 10 chiffres (ex. : 03 20 12 34 56) ou format international",
        }
        widgets = {
            "prenom": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "nom": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "telephone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for nom in ("prenom", "nom"):
            self.fields[nom].required = True
            self.fields[nom].error_messages["required"] = (
                f"Indiquez votre {self.fields[nom].label.lower()}."
            )

    def clean_prenom(self):
        return self.cleaned_data["prenom"].strip()

    def clean_nom(self):
        return self.cleaned_data["nom"].strip()

    def clean_telephone(self):
        return valider_telephone(self.cleaned_data.get("telephone", ""))


# « Mon compte » : le mot de passe actuel, exigé pour changer de mot de passe ou d'adresse, ne
# se devine pas par essais. Les refus sont comptés dans le journal d'audit (commun à tous les
# processus du site) : au-delà de ESSAIS_MOT_DE_PASSE_ACTUEL en FENETRE_ESSAIS, plus d'essai.
ESSAIS_MOT_DE_PASSE_ACTUEL = 5
FENETRE_ESSAIS = datetime.timedelta(minutes=30)


def verifier_mot_de_passe_actuel(user, password: str) -> None:
    """Lève ``ValidationError`` (en français) si le mot de passe actuel est faux, ou si trop
    d'essais ont été refusés récemment ; chaque refus est consigné."""
    from audit.journal import consigner
    from audit.models import Action, EvenementAudit

    refus = EvenementAudit.objects.filter(
        action=Action.MOT_DE_PASSE_REFUSE,
        utilisateur_id=user.pk,
        horodatage__gte=timezone.now() - FENETRE_ESSAIS,
    ).count()
    if refus >= ESSAIS_MOT_DE_PASSE_ACTUEL:
        raise forms.ValidationError(
            "Trop d'essais de mot de passe erronés : réessayez dans 30 minutes, ou déconnectez-vous "
            "et utilisez « Mot de passe oublié » sur la page de connexion.",
            code="trop_d_essais",
        )
    if not user.check_password(password):
        consigner(Action.MOT_DE_PASSE_REFUSE, objet=user, utilisateur=user)
        raise forms.ValidationError(
            "Ce n'est pas votre mot de passe actuel. Vérifiez votre saisie ; le mot de passe "
            "tient compte des majuscules.",
            code="password_incorrect",
        )


class ChangementMotDePasseForm(PasswordChangeForm):
    """Mot de passe actuel puis nouveau mot de passe (libellés et messages de Django, traduits) ;
    les validateurs du projet s'appliquent (12 caractères au moins…). Le mot de passe actuel ne
    se devine pas par essais (``verifier_mot_de_passe_actuel``)."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_mismatch": "Les deux mots de passe ne sont pas identiques.",
    }

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        verifier_mot_de_passe_actuel(self.user, old_password)
        return old_password


class ChangementAdresseForm(forms.Form):
    """Nouvelle adresse électronique (l'identifiant) : le mot de passe actuel est exigé, puis la
    nouvelle adresse est confirmée par un lien qui y est envoyé.

    Une adresse déjà utilisée par un autre compte n'est pas signalée à l'écran (on ne révèle pas
    qui a un compte) : ``adresse_prise`` est alors vrai et la vue écrit au titulaire."""

    email = forms.EmailField(
        label="Nouvelle adresse électronique",
        max_length=254,
        help_text="elle deviendra votre identifiant une fois confirmée par le lien qui y sera envoyé",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={"required": "Indiquez la nouvelle adresse électronique."},
    )
    password = forms.CharField(
        label="Mot de passe actuel",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Saisissez votre mot de passe actuel."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.adresse_prise = False

    def clean_email(self):
        email = Utilisateur.objects.normalize_email(self.cleaned_data["email"]).lower()
        if email == self.user.email.lower():
            raise forms.ValidationError(
                "C'est déjà l'adresse de votre compte : saisissez la nouvelle adresse.",
                code="meme_adresse",
            )
        self.adresse_prise = (
            Utilisateur.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists()
        )
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        verifier_mot_de_passe_actuel(self.user, password)
        return password
