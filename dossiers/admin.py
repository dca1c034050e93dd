from django.contrib import admin
from django.db.models import Count

from collectifs.models import Collectif

from .models import Dossier


class CollectifInline(admin.TabularInline):
    model = Collectif
    extra = 0
    fields = [
        "ordre",
        "nom",
        "classes",
        "nombre_enfants",
        "rural",
        "nombre_intervenants",
        "semaines_fonctionnement",
        "depenses_fonctionnement",
    ]
    show_change_link = True


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "porteur",
        "departement",
        "annee",
        "etat",
        "nb_collectifs",
        "depose_le",
        "montant_accorde",
    ]
    list_filter = ["etat", "annee", "departement"]
    search_fields = ["porteur__raison_sociale", "porteur__siret", "reference", "intitule"]
    list_select_related = ["porteur", "departement"]
    autocomplete_fields = ["porteur", "departement"]
    date_hierarchy = "depose_le"
    inlines = [CollectifInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_nb_collectifs=Count("collectifs"))

    @admin.display(description="collectifs", ordering="_nb_collectifs")
    def nb_collectifs(self, obj):
        return obj._nb_collectifs
