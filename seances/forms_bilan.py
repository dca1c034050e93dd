"""Formulaires du bilan de l'action : le questionnaire du porteur, la demande de correction de la
Caf. Les messages d'erreur nomment le champ concerné (ils sont repris dans le résumé en tête de
page, loin du champ)."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.validators import MinValueValidator

from eligibility.templatetags.referentiel import pourcentage

from .bilan import CHAMPS_PAR_ENFANT, CHAMPS_QUALITATIFS
from .models import BilanAction

CENT = Decimal("100")

# Les groupes de champs du questionnaire (un <fieldset> chacun).
GROUPES = [
    ("Les enfants", ["enfants_inscrits", "filles", "garcons", "familles"]),
    ("Les séances", ["seances_realisees", "heures_realisees", "taux_presence_pct"]),
    ("L'équipe d'animation", ["intervenants_salaries", "intervenants_benevoles"]),
    ("Les parents et l'école", ["actions_parents", "rencontres_ecole"]),
    ("Le bilan qualitatif", CHAMPS_QUALITATIFS),
]
LIBELLE_CONFIRMATION = "Je confirme la soumission du bilan à la Caf"
CHAMPS_ENTIERS = [
    "enfants_inscrits",
    "filles",
    "garcons",
    "familles",
    "seances_realisees",
    "intervenants_salaries",
    "intervenants_benevoles",
    "actions_parents",
    "rencontres_ecole",
]
AIDES_QUALITATIVES = {
    "objectifs_atteints": "au regard des objectifs du projet : ce qui a marché, pour les enfants "
    "et pour les parents",
    "difficultes": "fréquentation, partenariat avec l'école, équipe, lieu…",
    "perspectives": "ce que vous comptez garder, changer ou développer",
}


def _nombre(valeur) -> str:
    """87.50 → « 87,5 » ; 11 → « 11 »."""
    if isinstance(valeur, Decimal):
        texte = f"{valeur.normalize():f}"
        return texte.replace(".", ",")
    return str(valeur)


class ChampsInvalidesMixin:
    """Ajoute la classe Bootstrap ``is-invalid`` aux champs en erreur (Django pose aria-invalid)."""

    def full_clean(self):
        super().full_clean()
        for nom in self.errors:
            if nom in self.fields:
                widget = self.fields[nom].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


class BilanForm(ChampsInvalidesMixin, forms.ModelForm):
    """Le questionnaire d'activité d'un collectif.

    ``calcule`` : les chiffres calculés depuis le cahier (``bilan.preremplir``), affichés à côté
    de chaque champ ; ``soumission`` : tous les chiffres et les trois réponses sont alors exigés ;
    ``purge_le`` : date de la purge des données par enfant (leurs chiffres ne se recalculent plus).
    Le taux de présence est saisi en pourcentage (0 à 100) et enregistré entre 0 et 1.
    """

    taux_presence_pct = forms.DecimalField(
        label="Taux de présence (en pourcentage)",
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
    )
    # La confirmation de la soumission (hors des groupes : affichée près du bouton « Soumettre ») ;
    # exigée seulement pour soumettre, un brouillon s'enregistre sans elle.
    confirmation = forms.BooleanField(label=LIBELLE_CONFIRMATION, required=False)

    class Meta:
        model = BilanAction
        fields = [
            "enfants_inscrits",
            "filles",
            "garcons",
            "familles",
            "seances_realisees",
            "heures_realisees",
            "intervenants_salaries",
            "intervenants_benevoles",
            "actions_parents",
            "rencontres_ecole",
            "objectifs_atteints",
            "difficultes",
            "perspectives",
        ]
        widgets = {champ: forms.Textarea(attrs={"rows": 4}) for champ in CHAMPS_QUALITATIFS}

    def __init__(self, *args, calcule=None, soumission=False, purge_le=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calcule = calcule or {}
        self.soumission = soumission
        self.purge_le = purge_le
        if not self.is_bound and self.instance.taux_presence is not None:
            self.initial["taux_presence_pct"] = self._en_pourcentage(self.instance.taux_presence)
        self.order_fields([champ for _legende, champs in GROUPES for champ in champs])
        for nom, champ in self.fields.items():
            if nom == "confirmation":
                continue
            libelle = champ.label
            if nom in CHAMPS_ENTIERS:
                champ.min_value = 0
                champ.widget.attrs.update({"min": 0, "step": 1, "inputmode": "numeric"})
                champ.error_messages["invalid"] = f"« {libelle} » : saisissez un nombre entier."
            elif nom in ("heures_realisees", "taux_presence_pct"):
                if nom == "heures_realisees":
                    champ.validators.append(MinValueValidator(0))
                champ.widget.attrs.update({"min": 0, "step": "0.01", "inputmode": "decimal"})
                champ.error_messages["invalid"] = (
                    f"« {libelle} » : saisissez un nombre (deux décimales au plus)."
                )
            champ.error_messages.update(
                {
                    "min_value": f"« {libelle} » ne peut pas être négatif.",
                    "max_value": f"« {libelle} » ne peut pas dépasser %(limit_value)s.",
                    "max_digits": f"« {libelle} » : nombre trop grand.",
                    "max_whole_digits": f"« {libelle} » : nombre trop grand.",
                    "max_decimal_places": f"« {libelle} » : deux décimales au plus.",
                }
            )
            champ.widget.attrs["class"] = "form-control"
            if nom in CHAMPS_QUALITATIFS:
                champ.help_text = AIDES_QUALITATIVES[nom]
            else:
                champ.help_text = self._aide_calcul(nom)
        hors_bornes = "« Taux de présence » est un pourcentage : entre 0 et 100."
        self.fields["taux_presence_pct"].error_messages["max_value"] = hors_bornes
        self.fields["taux_presence_pct"].error_messages["min_value"] = hors_bornes

    @staticmethod
    def _en_pourcentage(taux: Decimal) -> Decimal:
        return (taux * CENT).quantize(Decimal("0.01")).normalize()

    def _aide_calcul(self, nom: str) -> str:
        """« calculé depuis le cahier : 11 », et si la valeur saisie diffère, le dire."""
        cle = "taux_presence" if nom == "taux_presence_pct" else nom
        if self.purge_le is not None and cle in CHAMPS_PAR_ENFANT:
            return (
                f"données par enfant supprimées le {self.purge_le:%d/%m/%Y} : le chiffre "
                "enregistré est conservé"
            )
        if cle not in self.calcule:
            return ""
        valeur = self.calcule[cle]
        if valeur is None:
            return "calculé depuis le cahier : aucun appel enregistré"
        attendu = self._en_pourcentage(valeur) if nom == "taux_presence_pct" else valeur
        texte = (pourcentage(valeur) if nom == "taux_presence_pct" else _nombre(valeur)).replace(
            "\u202f%", " %"
        )
        aide = f"calculé depuis le cahier : {texte}"
        # Pas de self[nom] ici : le BoundField mettrait en cache une aide encore vide.
        champ = self.fields[nom]
        if self.is_bound:
            saisi = champ.widget.value_from_datadict(self.data, self.files, self.add_prefix(nom))
        else:
            saisi = self.get_initial_for_field(champ, nom)
        try:
            different = saisi not in (None, "") and Decimal(str(saisi).replace(",", ".")) != (
                Decimal(attendu)
            )
        except InvalidOperation:
            different = False
        if different:
            aide += " (vous avez indiqué une autre valeur)"
        return aide

    def clean(self):
        donnees = super().clean()
        enfants = donnees.get("enfants_inscrits")
        filles, garcons = donnees.get("filles"), donnees.get("garcons")
        familles = donnees.get("familles")
        if None not in (enfants, filles, garcons) and filles + garcons > enfants:
            self.add_error(
                "filles",
                f"« Filles » et « Garçons » ({filles} + {garcons} = {filles + garcons}) dépassent "
                f"le nombre d'enfants inscrits ({enfants}) : corrigez l'un de ces chiffres.",
            )
        if None not in (enfants, familles) and familles > enfants:
            self.add_error(
                "familles",
                f"« Familles » ({familles}) ne peut pas dépasser le nombre d'enfants inscrits "
                f"({enfants}) : chaque famille a au moins un enfant inscrit.",
            )
        if self.soumission:
            for nom, champ in self.fields.items():
                if nom in self.errors or nom == "confirmation":
                    continue
                valeur = donnees.get(nom)
                vide = not (valeur or "").strip() if nom in CHAMPS_QUALITATIFS else valeur is None
                if vide:
                    quoi = (
                        "répondez à cette question"
                        if nom in CHAMPS_QUALITATIFS
                        else "indiquez ce chiffre"
                    )
                    self.add_error(nom, f"« {champ.label} » : {quoi} pour soumettre le bilan.")
            if not donnees.get("confirmation") and "confirmation" not in self.errors:
                self.add_error(
                    "confirmation",
                    f"« {LIBELLE_CONFIRMATION} » : cochez cette case pour soumettre le bilan.",
                )
        return donnees

    def valeurs(self) -> dict:
        """Les valeurs à enregistrer sur le bilan (taux ramené entre 0 et 1)."""
        valeurs = {nom: self.cleaned_data.get(nom) for nom in self.Meta.fields}
        pct = self.cleaned_data.get("taux_presence_pct")
        valeurs["taux_presence"] = None if pct is None else (pct / CENT).quantize(Decimal("0.0001"))
        return valeurs

    def groupes(self) -> list[dict]:
        """Les fieldsets du gabarit : légende et champs liés."""
        return [
            {
                "legende": legende,
                "champs": [self[nom] for nom in champs],
                "textes": champs == CHAMPS_QUALITATIFS,
            }
            for legende, champs in GROUPES
        ]


class DemandeCorrectionForm(ChampsInvalidesMixin, forms.Form):
    message = forms.CharField(
        label="Ce que le porteur doit corriger",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text="ce message est envoyé par courriel aux membres de l'organisation et affiché "
        "en tête de leur questionnaire",
        error_messages={
            "required": "« Ce que le porteur doit corriger » : le message est obligatoire.",
            "max_length": "« Ce que le porteur doit corriger » : 4 000 caractères au plus.",
        },
    )

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(
                "« Ce que le porteur doit corriger » : le message est obligatoire."
            )
        return message


class ChoixAnneeBilansForm(forms.Form):
    """L'année scolaire des bilans soumis à lire (liste des bilans de la Caf)."""

    annee = forms.TypedChoiceField(
        label="Année scolaire",
        coerce=int,
        error_messages={
            "invalid_choice": "« Année scolaire » : choisissez une année de la liste.",
            "required": "« Année scolaire » : choisissez une année.",
        },
    )

    def __init__(self, *args, annees: list[int], **kwargs):
        from dossiers.models import libelle_annee

        super().__init__(*args, **kwargs)
        self.fields["annee"].choices = [(a, libelle_annee(a)) for a in annees]
