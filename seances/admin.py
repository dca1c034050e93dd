from django.contrib import admin

from .models import BilanAction


@admin.register(BilanAction)
class BilanActionAdmin(admin.ModelAdmin):
    list_display = [
        "collectif",
        "enfants_inscrits",
        "filles",
        "garcons",
        "seances_realisees",
        "heures_realisees",
        "taux_presence",
    ]
    list_filter = ["collectif__dossier__annee", "collectif__dossier__departement"]
    search_fields = ["collectif__nom", "collectif__dossier__porteur__raison_sociale"]
    list_select_related = ["collectif__dossier__porteur"]
    autocomplete_fields = ["collectif"]
