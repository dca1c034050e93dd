from django.contrib import admin

from .models import Collectif, Creneau, Intervenant


class CreneauInline(admin.TabularInline):
    model = Creneau
    extra = 0


@admin.register(Collectif)
class CollectifAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "dossier",
        "nombre_enfants",
        "rural",
        "nombre_intervenants",
        "semaines_fonctionnement",
        "depenses_fonctionnement",
    ]
    list_filter = ["rural", "dossier__annee", "dossier__departement"]
    search_fields = ["nom", "dossier__porteur__raison_sociale", "lieu_commune"]
    list_select_related = ["dossier__porteur", "dossier__departement"]
    autocomplete_fields = ["dossier"]
    inlines = [CreneauInline]
    # Le montant accordé n'est fixé que par la décision du dossier (historique, audit,
    # courriel, lettre) : ici, lecture seule.
    readonly_fields = ["montant_accorde"]


@admin.register(Creneau)
class CreneauAdmin(admin.ModelAdmin):
    list_display = ["collectif", "jour", "debut", "duree_minutes"]
    list_filter = ["jour"]
    search_fields = ["collectif__nom", "collectif__dossier__porteur__raison_sociale"]
    list_select_related = ["collectif"]
    autocomplete_fields = ["collectif"]


@admin.register(Intervenant)
class IntervenantAdmin(admin.ModelAdmin):
    list_display = ["nom", "statut", "fonction", "niveau_diplome", "dossier"]
    list_filter = ["statut", "niveau_diplome"]
    search_fields = ["nom", "dossier__porteur__raison_sociale"]
    list_select_related = ["dossier__porteur", "dossier__departement"]
    autocomplete_fields = ["dossier"]
    filter_horizontal = ["collectifs"]
