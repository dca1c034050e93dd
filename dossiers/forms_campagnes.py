"""Campagnes de dépôt d'un département : création, modification, prolongation."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.dateformat import format as format_date

from .models import Campagne, Dossier, Etat, libelle_annee


def annee_scolaire_en_cours(jour: date) -> int:
    """L'année de rentrée de l'année scolaire en cours (rentrée en septembre)."""
    return jour.year if jour.month >= 8 else jour.year - 1


def date_longue(jour: date) -> str:
    texte = format_date(jour, "j F Y")
    return f"1er{texte[1:]}" if jour.day == 1 else texte


class ChampDate(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%d/%m/%Y"])
        kwargs.setdefault(
            "error_messages", {"invalid": "Saisissez une date valide, par exemple 15/10/2026."}
        )
        super().__init__(*args, **kwargs)


class CampagneForm(forms.ModelForm):
    """Une campagne par département et par année ; la clôture suit l'ouverture.

    Avancer la clôture d'une campagne dont des brouillons sont en cours demande une
    confirmation explicite : leurs porteurs auront moins de temps (ou plus du tout) pour déposer.
    """

    annee = forms.TypedChoiceField(label="Année scolaire", coerce=int)
    ouverture = ChampDate(label="Ouverture des dépôts", help_text="premier jour de dépôt")
    cloture = ChampDate(
        label="Clôture des dépôts", help_text="dernier jour où les porteurs peuvent déposer"
    )
    confirmer = forms.BooleanField(required=False)

    class Meta:
        model = Campagne
        fields = ["annee", "ouverture", "cloture"]

    def __init__(self, *args, departement, **kwargs):
        super().__init__(*args, **kwargs)
        self.departement = departement
        self.instance.departement = departement
        self.demande_confirmation = False
        self.brouillons = 0
        en_cours = annee_scolaire_en_cours(timezone.localdate())
        annees = range(en_cours - 1, en_cours + 3)
        if self.instance.pk:
            annees = [self.instance.annee]
            self.fields["annee"].disabled = True
            self.fields["annee"].help_text = "l'année d'une campagne existante ne change pas"
        else:
            self.fields["annee"].initial = en_cours + 1
        self.fields["annee"].choices = [(a, libelle_annee(a)) for a in annees]

    def clean_annee(self):
        annee = self.cleaned_data["annee"]
        deja = Campagne.objects.filter(departement=self.departement, annee=annee)
        if self.instance.pk:
            deja = deja.exclude(pk=self.instance.pk)
        if deja.exists():
            raise forms.ValidationError(
                f"Le département {self.departement} a déjà une campagne pour "
                f"{libelle_annee(annee)} : modifiez-la plutôt que d'en créer une autre."
            )
        return annee

    def clean(self):
        donnees = super().clean()
        annee = donnees.get("annee")
        ouverture, cloture = donnees.get("ouverture"), donnees.get("cloture")
        if ouverture and cloture and cloture < ouverture:
            self.add_error(
                "cloture",
                f"La clôture ({date_longue(cloture)}) doit tomber le jour de l'ouverture "
                f"({date_longue(ouverture)}) ou après.",
            )
        if annee:
            debut, fin = date(annee - 1, 1, 1), date(annee + 1, 12, 31)
            for champ in ("ouverture", "cloture"):
                jour = donnees.get(champ)
                if jour and not debut <= jour <= fin and not self.has_error(champ):
                    self.add_error(
                        champ,
                        f"Pour l'année scolaire {libelle_annee(annee)}, la date doit se situer "
                        f"entre le {date_longue(debut)} et le {date_longue(fin)}.",
                    )
        if self.instance.pk and cloture and not self.errors:
            self._verifier_raccourcissement(cloture, donnees.get("confirmer"))
        return donnees

    def _verifier_raccourcissement(self, cloture: date, confirme: bool) -> None:
        ancienne = Campagne.objects.values_list("cloture", flat=True).get(pk=self.instance.pk)
        if cloture >= ancienne:
            return
        # Un décompte, sans rien montrer des brouillons eux-mêmes (ils restent au porteur).
        self.brouillons = Dossier.objects.filter(
            departement=self.departement, annee=self.instance.annee, etat=Etat.BROUILLON
        ).count()
        if not self.brouillons or confirme:
            return
        self.demande_confirmation = True
        pluriel = "s" if self.brouillons > 1 else ""
        immediat = (
            " Les dépôts seront fermés immédiatement." if cloture < timezone.localdate() else ""
        )
        self.fields["confirmer"].label = self["confirmer"].label = (
            f"Je confirme avancer la clôture du {date_longue(ancienne)} au "
            f"{date_longue(cloture)}, malgré {self.brouillons} brouillon{pluriel} en cours."
        )
        self.add_error(
            "confirmer",
            f"{self.brouillons} dossier{pluriel} {'sont' if pluriel else 'est'} encore en "
            f"brouillon pour {libelle_annee(self.instance.annee)} : avancer la clôture au "
            f"{date_longue(cloture)} réduit le temps laissé à leurs porteurs pour déposer."
            f"{immediat} Cochez la case pour confirmer.",
        )
