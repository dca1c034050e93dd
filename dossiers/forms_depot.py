"""Formulaires du récapitulatif (engagements, dépôt) et de la messagerie du dossier."""

from django import forms
from django.db import transaction

from clas_portal.taches import differer

from .models import Dossier, Evenement, Message


class EngagementsForm(forms.ModelForm):
    """Les engagements de la charte, enregistrés à part du reste du dossier.

    Une case non cochée n'est pas un refus : l'engagement reste « non renseigné » et bloque le
    dépôt tant qu'il n'est pas pris.
    """

    charte_laicite_neutralite = forms.BooleanField(
        label=(
            "Nous nous engageons à respecter le caractère laïc des actions et à refuser tout "
            "prosélytisme (laïcité et neutralité)."
        ),
        required=False,
    )
    charte_participation_familles_euros = forms.DecimalField(
        label="Participation demandée aux familles, en euros par enfant et par an",
        help_text=(
            "Indiquez 0 si l'accompagnement est gratuit. Une participation, si elle existe, "
            "doit rester symbolique : la Caf l'appréciera."
        ),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        localize=True,
        error_messages={
            "invalid": "Indiquez un montant en euros, par exemple 0 ou 15,50.",
            "min_value": "La participation des familles ne peut pas être négative.",
            "max_digits": "Ce montant est trop élevé.",
            "max_decimal_places": "Indiquez au plus deux chiffres après la virgule.",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    engagement_bilan = forms.BooleanField(
        label=(
            "Nous nous engageons à produire le bilan annuel de l'action (bilan qualitatif et "
            "quantitatif, à remettre à la Caf en fin d'année scolaire)."
        ),
        required=False,
    )

    class Meta:
        model = Dossier
        fields = [
            "charte_laicite_neutralite",
            "charte_participation_familles_euros",
            "engagement_bilan",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Une valeur « non » importée s'affiche comme non cochée.
        for champ in ("charte_laicite_neutralite", "engagement_bilan"):
            self.initial[champ] = bool(self.initial.get(champ))

    def clean_charte_laicite_neutralite(self):
        return True if self.cleaned_data.get("charte_laicite_neutralite") else None

    def clean_engagement_bilan(self):
        return True if self.cleaned_data.get("engagement_bilan") else None

    def save(self, commit=True):
        dossier = super().save(commit=False)
        if commit:
            dossier.save(update_fields=[*self.Meta.fields, "modifie_le"])
        return dossier


class DepotForm(forms.Form):
    """La confirmation du dépôt : le porteur certifie ses informations."""

    certification = forms.BooleanField(
        label=(
            "Je certifie l'exactitude des informations de ce dossier et j'ai qualité pour "
            "engager l'organisation. Je sais qu'après le dépôt, le dossier n'est plus modifiable "
            "sauf si la Caf demande un complément."
        ),
        error_messages={"required": "Cochez la case de certification pour déposer le dossier."},
    )


class MessageForm(forms.ModelForm):
    """Un message au fil des échanges du dossier, entre le porteur et la Caf."""

    texte = forms.CharField(
        label="Votre message",
        max_length=5000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Écrivez votre message avant de l'envoyer.",
            "max_length": "Un message compte au plus %(limit_value)d caractères "
            "(il en compte %(show_value)d).",
        },
    )

    class Meta:
        model = Message
        fields = ["texte"]

    def save(self, *, dossier: Dossier, auteur, site: str = "") -> Message:
        """Enregistre le message et sa trace dans l'historique ; prévient l'autre côté après
        la validation."""
        with transaction.atomic():
            message = Message.objects.create(
                dossier=dossier, auteur=auteur, texte=self.cleaned_data["texte"]
            )
            Evenement.objects.create(
                dossier=dossier,
                type=Evenement.Type.MESSAGE,
                auteur=auteur,
                commentaire=message.texte,
            )
            differer("dossiers.envoyer_notification_message", message.pk, site)
        self.instance = message
        return message
