"""Administration nationale : l'historique des générations de bilans, en lecture.

Les lignes s'écrivent par ``demander_bilan`` et la tâche ``bilans.generer`` ; une génération
restée bloquée « en cours » peut être déclarée en échec (action), ce qui libère la place pour une
nouvelle demande. Les fichiers se téléchargent depuis la page des bilans (droits vérifiés).
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .models import ETATS_EN_COURS, EtatGeneration, GenerationBilan


@admin.register(GenerationBilan)
class GenerationBilanAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "departement",
        "annee",
        "etat",
        "progression",
        "demandee_par",
        "demandee_le",
        "terminee_le",
        "pages",
        "taille",
    ]
    list_filter = ["etat", "annee", "departement"]
    list_select_related = ["departement", "demandee_par"]
    search_fields = ["empreinte", "task_id"]
    date_hierarchy = "demandee_le"
    # Les fichiers ne sont jamais servis directement (pas de MEDIA_URL) : un lien vers la vue de
    # téléchargement, qui vérifie les droits et consigne le téléchargement, à la place du champ.
    readonly_fields = [
        f.name
        for f in GenerationBilan._meta.fields
        if f.name not in ("fichier_pdf", "fichier_json")
    ] + ["fichiers"]
    exclude = ["fichier_pdf", "fichier_json"]

    @admin.display(description="fichiers")
    def fichiers(self, obj):
        liens = [
            format_html(
                '<a href="{}">{}</a>', reverse("bilans:telecharger", args=[obj.pk, fmt]), nom
            )
            for fmt, nom, champ in (
                ("pdf", "PDF", obj.fichier_pdf),
                ("json", "JSON", obj.fichier_json),
            )
            if champ
        ]
        return format_html_join(" · ", "{}", ((lien,) for lien in liens)) or "—"

    actions = ["declarer_en_echec"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Les anciens bilans et leurs fichiers sont gardés.
        return False

    @admin.action(description="Déclarer en échec les générations bloquées sélectionnées")
    def declarer_en_echec(self, request, queryset):
        n = queryset.filter(etat__in=ETATS_EN_COURS).update(
            etat=EtatGeneration.ECHEC,
            erreur="Déclarée en échec par l'administration nationale.",
            actualisee_le=timezone.now(),
        )
        self.message_user(request, f"{n} génération(s) déclarée(s) en échec.", messages.SUCCESS)
