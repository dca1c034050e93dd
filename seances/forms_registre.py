"""Formulaires du registre : enfants (pseudonymes), appel d'une séance, journaux.

Les messages d'erreur nomment le champ ; rien n'est écrit à moitié (``transaction.atomic``).
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date

from collectifs.models import Classe
from dossiers.forms import MessagesNommesMixin

from .models import ActionParents, Activite, Enfant, Presence, RencontreEcole, Seance, Sexe
from .registre import probleme_de_pseudonyme

PRESENT, ABSENT = "present", "absent"


def _date_longue(jour: datetime.date) -> str:
    texte = format_date(jour, "j F Y")
    return f"1er{texte[1:]}" if jour.day == 1 else texte


def bornes_annee_scolaire(dossier) -> tuple[datetime.date, datetime.date]:
    """Du 1er septembre de l'année du dossier au 31 août suivant."""
    return datetime.date(dossier.annee, 9, 1), datetime.date(dossier.annee + 1, 8, 31)


def valider_dans_annee_scolaire(jour, dossier, libelle: str) -> None:
    """Erreur nommant le champ si ``jour`` sort de l'année scolaire du dossier."""
    if jour is None:
        return
    debut, fin = bornes_annee_scolaire(dossier)
    if not debut <= jour <= fin:
        raise ValidationError(
            "« %(libelle)s » : la date doit être dans l'année scolaire %(annee)s, "
            "du %(debut)s au %(fin)s.",
            code="hors_annee_scolaire",
            params={
                "libelle": libelle,
                "annee": dossier.annee_scolaire,
                "debut": _date_longue(debut),
                "fin": _date_longue(fin),
            },
        )


def _saisie_date(**kwargs) -> forms.DateField:
    return forms.DateField(
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), **kwargs
    )


# --- Enfants ---------------------------------------------------------------------------------


class EnfantForm(MessagesNommesMixin, forms.ModelForm):
    """Un enfant sous pseudonyme : code, classe, sexe, code famille, dates d'entrée et de sortie."""

    code = forms.CharField(
        label="Code de l'enfant",
        max_length=20,
        help_text="Des initiales et un numéro, par exemple « AB-01 ». Jamais le nom de l'enfant.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    classe = forms.ChoiceField(label="Classe")
    sexe = forms.ChoiceField(
        label="Sexe",
        choices=Sexe.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    code_famille = forms.CharField(
        label="Code famille",
        max_length=20,
        help_text="Le même code pour les frères et sœurs (par exemple « F-07 ») : il sert à "
        "compter les familles.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    inscrit_le = _saisie_date(
        label="Inscrit le",
        required=False,
        help_text="Laissez vide si l'enfant est là depuis le début.",
    )
    sorti_le = _saisie_date(
        label="Sorti du collectif le",
        required=False,
        help_text="Si l'enfant quitte le collectif en cours d'année.",
    )

    class Meta:
        model = Enfant
        fields = ["code", "classe", "sexe", "code_famille", "inscrit_le", "sorti_le"]

    def __init__(self, *args, collectif, **kwargs):
        super().__init__(*args, **kwargs)
        self.collectif = collectif
        self.instance.collectif = collectif
        du_collectif = collectif.classes_triees()
        autres = [(c.value, c.label) for c in Classe if c.value not in du_collectif]
        if du_collectif:
            libelles = dict(Classe.choices)
            self.fields["classe"].choices = [
                ("", "—"),
                ("Classes du collectif", [(c, libelles.get(c, c)) for c in du_collectif]),
                ("Autres classes", autres),
            ]
        else:
            self.fields["classe"].choices = [("", "—")] + autres

    def _verifier_pseudonyme(self, champ: str, libelle: str) -> str:
        valeur = " ".join(self.cleaned_data.get(champ, "").split())
        probleme = probleme_de_pseudonyme(valeur)
        if probleme:
            raise ValidationError(
                "« %(libelle)s » : %(probleme)s",
                code="pas_un_pseudonyme",
                params={"libelle": libelle, "probleme": probleme},
            )
        return valeur

    def clean_code(self):
        # La contrainte d'unicité (collectif, code) porte sur un champ hors du formulaire, que
        # le ModelForm ne vérifie pas : elle l'est ici, sans tenir compte de la casse.
        code = self._verifier_pseudonyme("code", "Code de l'enfant")
        autres = Enfant.objects.filter(collectif=self.collectif, code__iexact=code)
        if self.instance.pk:
            autres = autres.exclude(pk=self.instance.pk)
        if autres.exists():
            raise ValidationError(
                "« Code de l'enfant » : le code « %(code)s » est déjà utilisé dans ce collectif.",
                code="code_deja_utilise",
                params={"code": code},
            )
        return code

    def clean_code_famille(self):
        return self._verifier_pseudonyme("code_famille", "Code famille")

    def clean_inscrit_le(self):
        jour = self.cleaned_data.get("inscrit_le")
        valider_dans_annee_scolaire(jour, self.collectif.dossier, "Inscrit le")
        return jour

    def clean_sorti_le(self):
        jour = self.cleaned_data.get("sorti_le")
        valider_dans_annee_scolaire(jour, self.collectif.dossier, "Sorti du collectif le")
        return jour

    def clean(self):
        donnees = super().clean()
        entree, sortie = donnees.get("inscrit_le"), donnees.get("sorti_le")
        if entree and sortie and sortie < entree:
            self.add_error(
                "sorti_le",
                ValidationError(
                    "« Sorti du collectif le » : la date de sortie précède la date d'inscription.",
                    code="sortie_avant_inscription",
                ),
            )
        return donnees

    @property
    def classe_hors_collectif(self) -> bool:
        """La classe choisie n'est pas parmi celles prévues pour le collectif (un avertissement)."""
        classe = self.cleaned_data.get("classe")
        return bool(classe and self.collectif.classes and classe not in self.collectif.classes)


# --- Appel d'une séance ----------------------------------------------------------------------


def nom_champ_enfant(enfant) -> str:
    return f"enfant_{enfant.pk}"


class AppelForm(forms.Form):
    """Présent ou absent pour chaque enfant attendu, activité et animateurs de la séance.

    Seuls les enfants passés au formulaire (ceux du collectif inscrits à la date de la séance)
    ont un champ : toute autre clé envoyée est ignorée. ``intervenants`` : la liste des
    animateurs proposés (déjà lue par la vue) ; ``presences`` : {enfant_id: présent} déjà notées.
    """

    activite = forms.ChoiceField(
        label="Activité principale de la séance",
        choices=[("", "—")] + Activite.choices,
        error_messages={
            "required": "« Activité de la séance » : choisissez l'activité principale.",
            "invalid_choice": "« Activité de la séance » : choisissez une valeur de la liste.",
        },
    )
    activite_detail = forms.CharField(
        label="Précisions sur l'activité",
        max_length=255,
        required=False,
        help_text="Obligatoire pour « autre » ; par exemple : « lecture d'un album puis débat ».",
        error_messages={
            "max_length": "« Précisions sur l'activité » : %(limit_value)d caractères au plus "
            "(%(show_value)d saisis)."
        },
    )
    animateurs = forms.MultipleChoiceField(
        label="Animateurs présents",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={
            "invalid_choice": "« Animateurs présents » : cet intervenant n'est pas proposé."
        },
    )

    def __init__(
        self, *args, seance, enfants, intervenants, presences=None, animateurs=(), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.seance = seance
        self.enfants = list(enfants)
        self.intervenants = {i.pk: i for i in intervenants}
        presences = presences or {}
        self.fields["animateurs"].choices = [(str(i.pk), str(i)) for i in intervenants]
        if seance.appel_fait_le or seance.activite:
            self.initial.setdefault("activite", seance.activite)
            self.initial.setdefault("activite_detail", seance.activite_detail)
        self.initial.setdefault("animateurs", [str(pk) for pk in animateurs])
        for enfant in self.enfants:
            nom = nom_champ_enfant(enfant)
            self.fields[nom] = forms.ChoiceField(
                label=enfant.code,
                choices=[(PRESENT, "présent"), (ABSENT, "absent")],
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={
                    "required": f"« {enfant.code} » : indiquez « présent » ou « absent ».",
                    "invalid_choice": f"« {enfant.code} » : choisissez « présent » ou « absent ».",
                },
            )
            if enfant.pk in presences:
                self.initial.setdefault(nom, PRESENT if presences[enfant.pk] else ABSENT)

    def tous_presents(self) -> None:
        """Coche « présent » pour les enfants sans réponse (sans rien enregistrer)."""
        for enfant in self.enfants:
            self.initial.setdefault(nom_champ_enfant(enfant), PRESENT)

    def champs_enfants(self):
        """(enfant, champ lié) dans l'ordre des codes, pour le gabarit."""
        return [(e, self[nom_champ_enfant(e)]) for e in self.enfants]

    def champs_autres(self):
        return [self["activite"], self["activite_detail"], self["animateurs"]]

    def clean(self):
        donnees = super().clean()
        if donnees.get("activite") == Activite.AUTRE and not donnees.get("activite_detail"):
            self.add_error(
                "activite_detail",
                ValidationError(
                    "« Précisions sur l'activité » : décrivez l'activité quand vous choisissez "
                    "« autre ».",
                    code="precisions_requises",
                ),
            )
        return donnees

    def save(self) -> Seance:
        """Enregistre l'appel en une transaction : présences (mises à jour, jamais doublées),
        agrégats et statut de la séance, animateurs."""
        seance = self.seance
        if not self.enfants:
            raise ValueError("Un appel sans enfant ne s'enregistre pas.")
        lignes = [
            Presence(
                seance=seance,
                enfant=enfant,
                present=self.cleaned_data[nom_champ_enfant(enfant)] == PRESENT,
            )
            for enfant in self.enfants
        ]
        with transaction.atomic():
            Presence.objects.bulk_create(
                lignes,
                update_conflicts=True,
                unique_fields=["seance", "enfant"],
                update_fields=["present"],
            )
            # Un enfant noté lors d'un appel précédent mais qui n'est plus attendu ce jour-là
            # (dates d'inscription corrigées) : sa ligne ne compte plus.
            Presence.objects.filter(seance=seance).exclude(
                enfant_id__in=[e.pk for e in self.enfants]
            ).delete()
            seance.statut = Seance.Statut.REALISEE
            seance.nombre_inscrits = len(lignes)
            seance.nombre_presents = sum(1 for ligne in lignes if ligne.present)
            seance.appel_fait_le = timezone.now()
            seance.activite = self.cleaned_data["activite"]
            seance.activite_detail = self.cleaned_data["activite_detail"]
            seance.save(
                update_fields=[
                    "statut",
                    "nombre_inscrits",
                    "nombre_presents",
                    "appel_fait_le",
                    "activite",
                    "activite_detail",
                    "modifiee_le",
                ]
            )
            # clear() + add() : deux requêtes, quand set() en ferait trois.
            seance.animateurs.clear()
            seance.animateurs.add(
                *[self.intervenants[int(pk)] for pk in self.cleaned_data["animateurs"]]
            )
        return seance


# --- Journaux --------------------------------------------------------------------------------


class _JournalForm(MessagesNommesMixin, forms.ModelForm):
    def __init__(self, *args, collectif, **kwargs):
        super().__init__(*args, **kwargs)
        self.collectif = collectif
        self.instance.collectif = collectif
        debut, fin = bornes_annee_scolaire(collectif.dossier)
        self.fields["date"].widget.attrs.update({"min": debut.isoformat(), "max": fin.isoformat()})

    def clean_date(self):
        jour = self.cleaned_data.get("date")
        valider_dans_annee_scolaire(jour, self.collectif.dossier, "Date")
        return jour


class ActionParentsForm(_JournalForm):
    type = forms.ChoiceField(
        label="Type d'action", choices=[("", "—")] + ActionParents.Type.choices
    )
    date = _saisie_date(label="Date")
    nombre_parents = forms.IntegerField(
        label="Nombre de parents présents",
        min_value=0,
        max_value=500,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    commentaire = forms.CharField(
        label="Commentaire", max_length=500, required=False, widget=forms.Textarea({"rows": 2})
    )

    class Meta:
        model = ActionParents
        fields = ["type", "date", "nombre_parents", "commentaire"]


class RencontreEcoleForm(_JournalForm):
    date = _saisie_date(label="Date")
    interlocuteurs = forms.CharField(
        label="Avec qui",
        max_length=255,
        help_text="Par exemple : la directrice et l'enseignante de CM1 (fonctions, pas de noms "
        "d'enfants).",
    )
    objet = forms.CharField(
        label="Objet de la rencontre",
        max_length=500,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )

    class Meta:
        model = RencontreEcole
        fields = ["date", "interlocuteurs", "objet"]
