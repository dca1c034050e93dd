from django.contrib import admin, messages

from .forms import AVERTISSEMENT_PS, ParametresAnneeForm
from .models import HistoriqueParametres, ParametresAnnee


@admin.register(ParametresAnnee)
class ParametresAnneeAdmin(admin.ModelAdmin):
    """Seul l'administrateur national modifie les paramètres ; chaque changement est historisé."""

    form = ParametresAnneeForm
    list_display = ["__str__", "edition", "taux_ps", "prix_plafond", "modifie_par", "modifie_le"]
    list_select_related = ["modifie_par"]
    fieldsets = [
        (None, {"fields": ["annee"]}),
        (
            "Financement",
            {"fields": ["edition", "taux_ps", "prix_plafond"], "description": AVERTISSEMENT_PS},
        ),
        ("Dernière modification", {"fields": ["modifie_par", "modifie_le"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # L'historique est tenu par année : l'année de paramètres enregistrés ne change pas.
        if obj is not None and obj.pk:
            return ["annee", "modifie_par", "modifie_le"]
        return ["modifie_par", "modifie_le"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.enregistrer(par=request.user)
        if not obj.changements:
            self.message_user(
                request,
                f"Aucune valeur des paramètres {obj.annee_scolaire} n'a changé : rien n'a été "
                "enregistré ni ajouté à l'historique.",
                messages.INFO,
            )


@admin.register(HistoriqueParametres)
class HistoriqueParametresAdmin(admin.ModelAdmin):
    list_display = [
        "annee",
        "le",
        "par",
        "modifications",
        "edition_avant",
        "edition",
        "taux_ps_avant",
        "taux_ps",
        "prix_plafond_avant",
        "prix_plafond",
    ]
    list_filter = ["annee"]
    list_select_related = ["par"]
    search_fields = ["par__email"]

    @admin.display(description="valeurs modifiées")
    def modifications(self, obj):
        return ", ".join(obj.champs_modifies) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
