from django.contrib import admin

from .models import Membre, Porteur


class MembreInline(admin.TabularInline):
    model = Membre
    extra = 0
    autocomplete_fields = ["utilisateur"]


@admin.register(Porteur)
class PorteurAdmin(admin.ModelAdmin):
    list_display = ["raison_sociale", "siret", "forme", "commune", "departement"]
    list_filter = ["forme", "departement"]
    search_fields = ["raison_sociale", "siret", "commune", "email"]
    list_select_related = ["departement"]
    autocomplete_fields = ["departement"]
    inlines = [MembreInline]


@admin.register(Membre)
class MembreAdmin(admin.ModelAdmin):
    list_display = ["utilisateur", "porteur", "qualite", "depuis"]
    list_filter = ["qualite"]
    search_fields = ["utilisateur__email", "porteur__raison_sociale", "porteur__siret"]
    list_select_related = ["utilisateur", "porteur"]
    autocomplete_fields = ["utilisateur", "porteur"]
