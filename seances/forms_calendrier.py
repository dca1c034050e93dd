"""Formulaires du calendrier des séances : ajouter, déplacer, annuler une séance.

Chaque formulaire est construit pour un collectif ; ``save()`` écrit la séance. Les messages
d'erreur nomment le champ (``dossiers.forms.nommer_messages``).
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from collectifs.models import Collectif
from dossiers.forms import MessagesNommesMixin

from . import calendrier
from .models import Seance


def periode_du_collectif(collectif) -> tuple[date, date]:
    """La période où une séance peut avoir lieu : les dates du collectif, ou à défaut
    l'année scolaire du dossier (1er septembre – 31 août)."""
    annee = collectif.dossier.annee
    debut = collectif.date_debut or date(annee, 9, 1)
    fin = collectif.date_fin or date(annee + 1, 8, 31)
    return debut, fin


def _champ_date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )


def _champ_heure(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label, widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"})
    )


class SeanceDateMixin(MessagesNommesMixin):
    """Date dans la période du collectif ; jamais deux séances (non annulées) le même jour à
    la même heure."""

    def __init__(self, *args, collectif, **kwargs):
        self.collectif = collectif
        super().__init__(*args, **kwargs)
        self.periode = periode_du_collectif(collectif)
        debut, fin = self.periode
        self.fields[
            "date"
        ].help_text = f"entre le {debut:%d/%m/%Y} et le {fin:%d/%m/%Y} (période du collectif)"
        self.fields["date"].widget.attrs.update(min=debut.isoformat(), max=fin.isoformat())

    def clean_date(self):
        jour = self.cleaned_data["date"]
        debut, fin = self.periode
        if not debut <= jour <= fin:
            raise ValidationError(
                f"« {self.fields['date'].label} » : la séance doit avoir lieu pendant la période "
                f"du collectif, entre le {debut:%d/%m/%Y} et le {fin:%d/%m/%Y}.",
                code="hors_periode",
            )
        return jour

    def clean(self):
        donnees = super().clean()
        jour, heure = donnees.get("date"), donnees.get("debut")
        if jour and heure:
            autres = Seance.objects.filter(
                collectif=self.collectif, date=jour, debut=heure
            ).exclude(statut=Seance.Statut.ANNULEE)
            if self.instance.pk:
                autres = autres.exclude(pk=self.instance.pk)
            if autres.exists():
                self.add_error(
                    "date",
                    ValidationError(
                        f"« {self.fields['date'].label} » : une séance est déjà prévue le {jour:%d/%m/%Y} à "
                        f"{heure:%H:%M}. Choisissez un autre jour ou une autre heure.",
                        code="seance_double",
                    ),
                )
        return donnees


class AjoutSeanceForm(SeanceDateMixin, forms.ModelForm):
    date = _champ_date("Date")
    debut = _champ_heure("Heure de début")
    duree_minutes = forms.IntegerField(
        label="Durée (minutes)", min_value=1, max_value=600, widget=forms.NumberInput()
    )

    class Meta:
        model = Seance
        fields = ["date", "debut", "duree_minutes"]

    def __init__(self, *args, collectif, **kwargs):
        super().__init__(*args, collectif=collectif, **kwargs)
        creneau = next(iter(collectif.creneaux.all()), None)
        if creneau is not None and not self.is_bound:
            self.initial.setdefault("debut", creneau.debut)
            self.initial.setdefault("duree_minutes", creneau.duree_minutes)

    def save(self, commit=True):
        seance = super().save(commit=False)
        seance.collectif = self.collectif
        seance.origine = Seance.Origine.AJOUTEE
        seance.statut = Seance.Statut.PREVUE
        if commit:
            seance.save()
        return seance


class DeplacementSeanceForm(SeanceDateMixin, forms.ModelForm):
    """Nouvelle date et heure ; la date et l'heure prévues à l'origine sont gardées
    (``date_prevue``, ``debut_prevu``) au premier déplacement."""

    date = _champ_date("Nouvelle date")
    debut = _champ_heure("Nouvelle heure de début")

    class Meta:
        model = Seance
        fields = ["date", "debut"]

    def __init__(self, *args, collectif, **kwargs):
        super().__init__(*args, collectif=collectif, **kwargs)
        self.date_origine = self.instance.date
        self.debut_origine = self.instance.debut

    def clean(self):
        donnees = super().clean()
        if (
            donnees.get("date") == self.date_origine
            and donnees.get("debut") == self.debut_origine
            and not self.errors
        ):
            self.add_error(
                "date",
                ValidationError(
                    "« Nouvelle date » : la séance a déjà lieu ce jour-là à cette heure ; "
                    "choisissez une autre date ou une autre heure.",
                    code="meme_date",
                ),
            )
        return donnees

    def save(self, commit=True):
        seance = super().save(commit=False)
        if seance.date_prevue is None:
            seance.date_prevue = self.date_origine
            seance.debut_prevu = self.debut_origine
        if commit:
            seance.save(
                update_fields=["date", "debut", "date_prevue", "debut_prevu", "modifiee_le"]
            )
        return seance


class AnnulationSeanceForm(MessagesNommesMixin, forms.ModelForm):
    motif_annulation = forms.CharField(
        label="Motif de l'annulation",
        max_length=255,
        help_text="par exemple : vacances de l'académie, sortie scolaire, salle indisponible",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Seance
        fields = ["motif_annulation"]

    def save(self, commit=True):
        seance = super().save(commit=False)
        seance.statut = Seance.Statut.ANNULEE
        if commit:
            seance.save(update_fields=["statut", "motif_annulation", "modifiee_le"])
        return seance


class GenerationForm(forms.Form):
    """Génère (ou régénère, après confirmation) les séances prévues du collectif."""

    confirmer = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, collectif, existantes: list[Seance]):
        self.collectif = collectif
        self.existantes = existantes
        super().__init__(data)
        self.plan = None
        self.regeneration = None
        manque = manques_pour_generer(collectif)
        if not manque:
            self.plan = calendrier.planifier(
                collectif.creneaux.all(),
                collectif.date_debut,
                collectif.date_fin,
                collectif.dossier.departement_id,
            )
            self.regeneration = calendrier.regenerer(existantes, self.plan)

    @property
    def confirmation_requise(self) -> bool:
        return bool(self.existantes)

    def clean(self):
        donnees = super().clean()
        manque = manques_pour_generer(self.collectif)
        if manque:
            raise ValidationError(manque, code="incomplet")
        if self.confirmation_requise and not donnees.get("confirmer"):
            raise ValidationError(
                "Ce collectif a déjà des séances : confirmez leur remplacement.",
                code="confirmation",
            )
        if not self.regeneration.nouvelles and not self.regeneration.remplacees:
            raise ValidationError(
                "Aucune séance à créer : tous les créneaux de la période tombent pendant les "
                "vacances, un jour férié ou sur une séance existante.",
                code="vide",
            )
        return donnees

    def save(self) -> calendrier.Regeneration:
        """Supprime les séances remplaçables et crée les nouvelles, en une transaction.

        Le collectif est verrouillé et ses séances relues : deux générations simultanées
        (double clic) ne créent pas de doublons.
        """
        with transaction.atomic():
            Collectif.objects.select_for_update().filter(pk=self.collectif.pk).first()
            existantes = list(Seance.objects.filter(collectif=self.collectif))
            regeneration = calendrier.regenerer(existantes, self.plan)
            if regeneration.remplacees:
                Seance.objects.filter(pk__in=[s.pk for s in regeneration.remplacees]).delete()
            Seance.objects.bulk_create(
                Seance(
                    collectif=self.collectif,
                    date=p.date,
                    debut=p.debut,
                    duree_minutes=p.duree_minutes,
                    statut=Seance.Statut.PREVUE,
                    origine=Seance.Origine.CALENDRIER,
                )
                for p in regeneration.nouvelles
            )
        return regeneration


def manques_pour_generer(collectif) -> str:
    """Ce qui manque au collectif pour générer son calendrier ('' s'il ne manque rien)."""
    manques = []
    if not collectif.creneaux.all():
        manques.append("aucun créneau hebdomadaire n'est décrit")
    if collectif.date_debut is None or collectif.date_fin is None:
        manques.append("ses dates de début et de fin ne sont pas renseignées")
    if not manques:
        return ""
    return (
        f"Le calendrier de « {collectif} » ne peut pas être généré : {' et '.join(manques)}. "
        "Ajoutez les séances une à une, ou demandez à votre Caf de compléter le collectif."
    )
