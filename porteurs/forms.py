"""Formulaires de l'organisation : identité, invitations, membres, pièces permanentes."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clas_portal.fichiers import TYPES_ACCEPTES, valider_piece
from comptes.models import Departement

from .models import Membre, PiecePermanente, Porteur, valider_siret
from .services import creer_invitation

TELEPHONE = re.compile(r"^(?:0[1-9]\d{8}|\+33[1-9]\d{8}|\+(?!33)\d{6,14})$")


def normaliser_siret(valeur: str) -> str:
    """Le SIRET saisi, sans les espaces ni les points que l'on y met souvent."""
    return re.sub(r"[\s.\u00a0\u202f]", "", valeur or "")


def valider_telephone(valeur: str) -> str:
    compact = re.sub(r"[\s.\-()\u00a0]", "", valeur or "")
    if compact and not TELEPHONE.match(compact):
        raise ValidationError(
            "Saisissez un numéro de téléphone à 10 chiffres (ex. : 03 20 12 34 56) ou au "
            "format international (+33 3 20 12 34 56).",
            code="telephone",
        )
    return valeur.strip()


class IdentiteOrganisationForm(forms.ModelForm):
    """Base commune : l'identité d'une organisation porteuse (adresse, contacts)."""

    # Message quand le SIRET appartient déjà à une organisation (les sous-classes l'adaptent).
    message_siret_connu = "Une organisation avec ce SIRET est déjà inscrite sur le portail."

    class Meta:
        model = Porteur
        fields = [
            "raison_sociale",
            "forme",
            "adresse",
            "code_postal",
            "commune",
            "email",
            "telephone",
            "representant_nom",
            "representant_qualite",
        ]
        widgets = {
            "raison_sociale": forms.TextInput(attrs={"autocomplete": "organization"}),
            "adresse": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "code_postal": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric", "maxlength": 5}
            ),
            "commune": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "telephone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }
        help_texts = {
            "raison_sociale": "le nom officiel, tel qu'il figure sur l'avis de situation Insee",
            "email": "l'adresse à laquelle la Caf écrit à l'organisation",
            "representant_nom": "la personne qui signe les engagements (présidence, maire…)",
        }

    champs_obligatoires = ("adresse", "code_postal", "commune", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for nom in self.champs_obligatoires:
            if nom in self.fields:
                self.fields[nom].required = True
        if "forme" in self.fields:
            self.fields["forme"].choices = [("", "Choisissez la forme juridique")] + list(
                self.fields["forme"].choices
            )[1:]
        if "siret" in self.fields:
            self.fields["siret"].widget.attrs.update(
                {"inputmode": "numeric", "autocomplete": "off", "maxlength": 20}
            )
            # On accepte les espaces de présentation : la longueur se vérifie une fois compacté.
            self.fields["siret"].max_length = None
            self.fields["siret"].validators = []
            self.fields[
                "siret"
            ].help_text = "14 chiffres, sur l'avis de situation Insee ou sur annuaire-entreprises.data.gouv.fr"

    def clean_siret(self):
        siret = normaliser_siret(self.cleaned_data.get("siret"))
        valider_siret(siret)
        if Porteur.objects.filter(siret=siret).exists():
            raise ValidationError(self.message_siret_connu, code="siret_connu")
        return siret

    def clean_telephone(self):
        return valider_telephone(self.cleaned_data.get("telephone", ""))


class OrganisationForm(IdentiteOrganisationForm):
    """Modification de l'identité par un membre (ni le SIRET ni le département ne changent ici)."""


class OrganisationInscriptionForm(IdentiteOrganisationForm):
    """L'organisation déclarée lors d'une inscription : SIRET et identité."""

    message_siret_connu = (
        "Cette organisation est déjà inscrite sur le portail : vous ne pouvez pas l'inscrire une "
        "seconde fois. Pour la rejoindre, demandez à l'un de ses membres de vous inviter depuis "
        "la page de l'organisation, ou adressez-vous à votre Caf."
    )

    class Meta(IdentiteOrganisationForm.Meta):
        fields = [
            "siret",
            "raison_sociale",
            "forme",
            "adresse",
            "code_postal",
            "commune",
            "departement",
            "email",
            "telephone",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departement = self.fields["departement"]
        departement.queryset = Departement.objects.order_by("code")
        departement.empty_label = "Choisissez le département"
        departement.help_text = "celui du siège de l'organisation"


class OrganisationCreationForm(IdentiteOrganisationForm):
    """Un agent Caf inscrit une organisation de son département et invite sa première personne."""

    email_invite = forms.EmailField(
        label="Adresse électronique de la personne à inviter",
        help_text=(
            "elle recevra un lien pour créer son compte et deviendra responsable de "
            "l'organisation sur le portail"
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    class Meta(IdentiteOrganisationForm.Meta):
        fields = [
            "siret",
            "raison_sociale",
            "forme",
            "adresse",
            "code_postal",
            "commune",
            "email",
            "telephone",
            "representant_nom",
            "representant_qualite",
        ]

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent = agent
        self.instance.departement = agent.departement

    def save(self, commit=True):
        """Crée l'organisation et l'invitation en une transaction ; renvoie l'invitation."""
        with transaction.atomic():
            porteur = super().save()
            return creer_invitation(porteur, self.cleaned_data["email_invite"], self.agent)


# --- invitations et membres ------------------------------------------------------------------
class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Adresse électronique de la personne à inviter",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="elle recevra un lien valable 14 jours pour rejoindre l'organisation",
    )

    def __init__(self, *args, porteur, invite_par, **kwargs):
        super().__init__(*args, **kwargs)
        self.porteur = porteur
        self.invite_par = invite_par

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if self.porteur.membres.filter(utilisateur__email__iexact=email).exists():
            raise ValidationError(
                "Cette personne est déjà membre de l'organisation.", code="deja_membre"
            )
        return email

    def save(self):
        return creer_invitation(self.porteur, self.cleaned_data["email"], self.invite_par)


class AnnulationInvitationForm(forms.Form):
    """Confirmation de l'annulation d'une invitation (aucun champ)."""

    def __init__(self, *args, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def save(self):
        self.invitation.annulee_le = timezone.now()
        self.invitation.save(update_fields=["annulee_le"])
        return self.invitation


def _verrouiller_responsables(porteur_id) -> list[int]:
    """Les responsables de l'organisation, verrouillés jusqu'à la fin de la transaction."""
    return list(
        Membre.objects.select_for_update()
        .filter(porteur_id=porteur_id, qualite=Membre.Qualite.RESPONSABLE)
        .values_list("pk", flat=True)
    )


MESSAGE_DERNIER_RESPONSABLE = (
    "%(nom)s est la seule personne responsable de l'organisation. Désignez d'abord un autre "
    "membre comme responsable : une organisation garde toujours au moins un responsable."
)


class RetraitMembreForm(forms.Form):
    """Confirmation du retrait d'un membre ; le dernier responsable ne peut pas être retiré."""

    def __init__(self, *args, membre, **kwargs):
        super().__init__(*args, **kwargs)
        self.membre = membre

    def _verifier(self, responsables):
        if responsables == [self.membre.pk]:
            raise ValidationError(
                MESSAGE_DERNIER_RESPONSABLE,
                code="dernier_responsable",
                params={"nom": self.membre.utilisateur.get_full_name()},
            )

    def clean(self):
        responsables = list(
            Membre.objects.filter(
                porteur_id=self.membre.porteur_id, qualite=Membre.Qualite.RESPONSABLE
            ).values_list("pk", flat=True)
        )
        self._verifier(responsables)
        return super().clean()

    def save(self):
        with transaction.atomic():
            # Deux responsables qui se retirent l'un l'autre au même moment : le second échoue.
            self._verifier(_verrouiller_responsables(self.membre.porteur_id))
            self.membre.delete()


class QualiteMembreForm(forms.ModelForm):
    class Meta:
        model = Membre
        fields = ["qualite"]
        widgets = {"qualite": forms.RadioSelect}
        labels = {"qualite": "Qualité dans l'organisation"}
        help_texts = {
            "qualite": (
                "un responsable peut inviter, retirer des membres et changer leur qualité ; "
                "un contributeur remplit les dossiers et les pièces"
            )
        }

    def _verifier(self, responsables):
        devient_contributeur = self.cleaned_data.get("qualite") == Membre.Qualite.CONTRIBUTEUR
        if devient_contributeur and responsables == [self.instance.pk]:
            raise ValidationError(
                MESSAGE_DERNIER_RESPONSABLE,
                code="dernier_responsable",
                params={"nom": self.instance.utilisateur.get_full_name()},
            )

    def clean(self):
        cleaned = super().clean()
        self._verifier(
            list(
                Membre.objects.filter(
                    porteur_id=self.instance.porteur_id, qualite=Membre.Qualite.RESPONSABLE
                ).values_list("pk", flat=True)
            )
        )
        return cleaned

    def save(self, commit=True):
        with transaction.atomic():
            self._verifier(_verrouiller_responsables(self.instance.porteur_id))
            return super().save(commit=commit)


# --- pièces permanentes ----------------------------------------------------------------------
class PiecePermanenteForm(forms.Form):
    fichier = forms.FileField(
        label="Fichier",
        help_text=f"{TYPES_ACCEPTES}, 10 Mo au plus",
        widget=forms.FileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
        error_messages={
            "required": "Choisissez un fichier à déposer.",
            "empty": "Le fichier choisi est vide.",
        },
    )

    def __init__(self, *args, porteur, type_piece, utilisateur, **kwargs):
        super().__init__(*args, **kwargs)
        self.porteur = porteur
        self.type_piece = type_piece
        self.utilisateur = utilisateur

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        self.type_mime, self.extension = valider_piece(fichier)
        return fichier

    def save(self) -> PiecePermanente:
        """Dépose ou remplace la pièce ; l'ancien fichier est effacé une fois la base validée."""
        fichier = self.cleaned_data["fichier"]
        piece = None
        ancien = None
        try:
            with transaction.atomic():
                piece = (
                    PiecePermanente.objects.select_for_update()
                    .filter(porteur=self.porteur, type=self.type_piece)
                    .first()
                )
                if piece is None:
                    piece = PiecePermanente(porteur=self.porteur, type=self.type_piece)
                else:
                    ancien = piece.fichier.name
                    piece.deposee_le = timezone.now()
                piece.attacher(fichier, self.type_mime, self.extension, self.utilisateur)
                piece.save()
                if ancien:
                    stockage = piece.fichier.storage
                    transaction.on_commit(lambda: stockage.delete(ancien))
        except Exception:
            # Le nouveau fichier a pu être écrit avant l'échec de la base : on ne le garde pas.
            if piece is not None and piece.fichier and piece.fichier._committed:
                nouveau = piece.fichier.name
                if nouveau and nouveau != ancien:
                    piece.fichier.storage.delete(nouveau)
            raise
        return piece
