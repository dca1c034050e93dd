from django.contrib import admin, messages
from django.db.models import Q

from .models import TacheDifferee


class StatutFilter(admin.SimpleListFilter):
    title = "statut"
    parameter_name = "statut"
    CONDITIONS = {
        "en_attente": Q(envoyee_le__isnull=True, executee_le__isnull=True, echouee_le__isnull=True),
        "publiee": Q(envoyee_le__isnull=False, executee_le__isnull=True, echouee_le__isnull=True),
        "executee": Q(executee_le__isnull=False),
        "en_echec": Q(echouee_le__isnull=False, executee_le__isnull=True),
    }

    def lookups(self, request, model_admin):
        return [
            ("en_attente", "en attente"),
            ("publiee", "publiée, pas encore exécutée"),
            ("executee", "exécutée"),
            ("en_echec", "en échec"),
        ]

    def queryset(self, request, queryset):
        condition = self.CONDITIONS.get(self.value())
        return queryset.filter(condition) if condition is not None else queryset


@admin.register(TacheDifferee)
class TacheDiffereeAdmin(admin.ModelAdmin):
    """Consultation de la boîte d'envoi ; une seule action : remettre en attente des tâches en
    échec (après avoir corrigé la cause, par exemple le serveur de courriel)."""

    list_display = [
        "pk",
        "nom_tache",
        "statut",
        "creee_le",
        "envoyee_le",
        "tentatives",
        "erreur",
    ]
    list_filter = [StatutFilter, "nom_tache"]
    search_fields = ["nom_tache", "derniere_erreur"]
    date_hierarchy = "creee_le"
    readonly_fields = [f.name for f in TacheDifferee._meta.fields]
    actions = ["remettre_en_attente"]

    @admin.display(description="dernière erreur")
    def erreur(self, obj):
        return obj.derniere_erreur[:120]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description="Remettre en attente (publiées au prochain passage du relais)",
        permissions=["change"],
    )
    def remettre_en_attente(self, request, queryset):
        nombre = queryset.filter(executee_le__isnull=True).update(echouee_le=None, envoyee_le=None)
        self.message_user(request, f"{nombre} tâche(s) remise(s) en attente.", messages.SUCCESS)
