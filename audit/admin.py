from django.contrib import admin

from .models import EvenementAudit


@admin.register(EvenementAudit)
class EvenementAuditAdmin(admin.ModelAdmin):
    """Consultation seule : le journal d'audit ne se modifie ni ne se supprime."""

    list_display = ["horodatage", "action", "email", "role", "ip", "objet_type", "objet_libelle"]
    list_filter = ["action", "role", "objet_type", "departement"]
    search_fields = ["email", "objet_libelle", "objet_id", "ip", "chemin"]
    date_hierarchy = "horodatage"
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
