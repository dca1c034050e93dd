"""Le formulaire des paramètres de financement d'une année (administration)."""

from django import forms

from .models import ParametresAnnee

AVERTISSEMENT_PS = (
    "Modifier l'édition du référentiel, le taux de la PS ou le prix plafond d'une année change "
    "la PS calculée de chaque dossier de cette année qui n'est pas encore décidé. Les dossiers "
    "déjà décidés gardent leur évaluation figée (avec les paramètres du jour de la décision) : "
    "elle ne change pas. Chaque modification est gardée dans l'historique (qui, quand, avant, "
    "après) ; enregistrer sans rien changer n'écrit rien."
)

RAPPEL_PS = (
    "Attention : la changer modifie la PS calculée de chaque dossier non encore décidé, pas "
    "les évaluations figées des dossiers décidés."
)


class ParametresAnneeForm(forms.ModelForm):
    """Les champs du modèle ; l'aide de chaque valeur historisée rappelle ce que change une
    modification."""

    class Meta:
        model = ParametresAnnee
        fields = ["annee", "edition", "taux_ps", "prix_plafond"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for nom in ("edition", "taux_ps", "prix_plafond"):
            if nom in self.fields:
                aide = self.fields[nom].help_text
                self.fields[nom].help_text = f"{aide} — {RAPPEL_PS}" if aide else RAPPEL_PS
