"""Administration nationale de l'année du Clas : agrégats seulement.

``Enfant`` et ``Presence`` ne sont volontairement PAS enregistrés ici : les données par enfant
(même pseudonymes) ne sont visibles que de l'organisation porteuse (``DonneesEnfantsQuerySet``),
jamais de l'administration nationale, et sont purgées après le bilan. Les exposer dans l'admin
contournerait ce cloisonnement.
"""

from django.contrib import admin

from .models import ActionParents, BilanAction, PurgeDonneesEnfants, RencontreEcole, Seance


class LectureSeuleAdmin(admin.ModelAdmin):
    """Consultation seulement : ces lignes s'écrivent depuis le portail (porteur, tâche de purge)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BilanAction)
class BilanActionAdmin(admin.ModelAdmin):
    list_display = [
        "collectif",
        "statut",
        "origine",
        "enfants_inscrits",
        "filles",
        "garcons",
        "seances_realisees",
        "heures_realisees",
        "taux_presence",
        "soumis_le",
    ]
    list_filter = [
        "statut",
        "origine",
        "collectif__dossier__annee",
        "collectif__dossier__departement",
    ]
    search_fields = ["collectif__nom", "collectif__dossier__porteur__raison_sociale"]
    list_select_related = ["collectif__dossier__porteur"]
    autocomplete_fields = ["collectif"]
    readonly_fields = [
        "soumis_le",
        "soumis_par",
        "correction_demandee_le",
        "correction_demandee_par",
        "saisi_le",
    ]


@admin.register(Seance)
class SeanceAdmin(LectureSeuleAdmin):
    list_display = [
        "collectif",
        "date",
        "debut",
        "duree_minutes",
        "statut",
        "activite",
        "nombre_inscrits",
        "nombre_presents",
    ]
    list_filter = ["statut", "origine", "activite", "collectif__dossier__annee"]
    search_fields = ["collectif__nom", "collectif__dossier__porteur__raison_sociale"]
    list_select_related = ["collectif__dossier__porteur"]
    date_hierarchy = "date"


@admin.register(ActionParents)
class ActionParentsAdmin(LectureSeuleAdmin):
    list_display = ["collectif", "date", "type", "nombre_parents"]
    list_filter = ["type", "collectif__dossier__annee"]
    search_fields = ["collectif__nom", "collectif__dossier__porteur__raison_sociale"]
    list_select_related = ["collectif__dossier__porteur"]


@admin.register(RencontreEcole)
class RencontreEcoleAdmin(LectureSeuleAdmin):
    list_display = ["collectif", "date", "interlocuteurs"]
    list_filter = ["collectif__dossier__annee"]
    search_fields = ["collectif__nom", "collectif__dossier__porteur__raison_sociale"]
    list_select_related = ["collectif__dossier__porteur"]


@admin.register(PurgeDonneesEnfants)
class PurgeDonneesEnfantsAdmin(LectureSeuleAdmin):
    list_display = [
        "collectif",
        "purge_le",
        "bilan_soumis_le",
        "enfants_supprimes",
        "presences_supprimees",
    ]
    list_filter = ["collectif__dossier__annee", "collectif__dossier__departement"]
    search_fields = ["collectif__nom", "collectif__dossier__porteur__raison_sociale"]
    list_select_related = ["collectif__dossier__porteur"]
    date_hierarchy = "purge_le"
