from django.contrib import admin

from .models import HistoriqueParametres, ParametresAnnee


@admin.register(ParametresAnnee)
class ParametresAnneeAdmin(admin.ModelAdmin):
    """Seul l'administrateur national modifie les paramètres ; chaque changement est historisé."""

    list_display = ["__str__", "edition", "taux_ps", "prix_plafond", "modifie_par", "modifie_le"]
    readonly_fields = ["modifie_par", "modifie_le"]
    list_select_related = ["modifie_par"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.enregistrer(par=request.user)


@admin.register(HistoriqueParametres)
class HistoriqueParametresAdmin(admin.ModelAdmin):
    list_display = [
        "annee",
        "le",
        "par",
        "taux_ps_avant",
        "taux_ps",
        "prix_plafond_avant",
        "prix_plafond",
    ]
    list_filter = ["annee"]
    list_select_related = ["par"]
    search_fields = ["par__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
