from django.contrib import admin

from .models import Invitation, Membre, PiecePermanente, Porteur


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


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "porteur", "invite_par", "cree_le", "expire_le", "acceptee_le"]
    search_fields = ["email", "porteur__raison_sociale"]
    list_select_related = ["porteur", "invite_par"]
    exclude = ["jeton"]
    autocomplete_fields = ["porteur"]


@admin.register(PiecePermanente)
class PiecePermanenteAdmin(admin.ModelAdmin):
    list_display = ["nom_original", "type", "porteur", "taille", "deposee_le"]
    list_filter = ["type"]
    search_fields = ["nom_original", "porteur__raison_sociale"]
    list_select_related = ["porteur"]
    exclude = ["fichier"]
    readonly_fields = [
        "porteur",
        "type",
        "nom_original",
        "type_mime",
        "extension",
        "taille",
        "deposee_par",
    ]
