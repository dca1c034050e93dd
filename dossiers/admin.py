from django.contrib import admin
from django.db.models import Count

from collectifs.models import Collectif

from .models import (
    Campagne,
    Dossier,
    Evaluation,
    Evenement,
    LigneBudget,
    Message,
    PieceJustificative,
)


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


# Ces champs ne changent que par le workflow (``dossiers.workflow``, ``dossiers.decision``), qui
# écrit l'événement de l'historique, le journal d'audit, le courriel au porteur et l'évaluation
# figée de la décision, et tient la version (verrouillage optimiste) : l'admin les montre sans
# les modifier.
CHAMPS_DU_WORKFLOW = [
    "etat",
    "depose_le",
    "version",
    "montant_accorde",
    "date_decision",
    "motif_decision",
    "justification_depassement",
]
AIDE_WORKFLOW = (
    "Lecture seule : l'état, la décision et le montant accordé ne se modifient que depuis la "
    "page du dossier, par ses changements d'état (instruction, décision). Pour revenir sur une "
    "décision, l'administration nationale utilise la transition « Rouvrir le dossier » : "
    "l'historique, le journal d'audit, le courriel au porteur et l'évaluation figée restent "
    "ainsi cohérents."
)


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
    readonly_fields = CHAMPS_DU_WORKFLOW

    def get_fieldsets(self, request, obj=None):
        autres = [c for c in self.get_fields(request, obj) if c not in CHAMPS_DU_WORKFLOW]
        return [
            (None, {"fields": autres}),
            (
                "État et décision (workflow)",
                {"fields": CHAMPS_DU_WORKFLOW, "description": AIDE_WORKFLOW},
            ),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_nb_collectifs=Count("collectifs"))

    @admin.display(description="collectifs", ordering="_nb_collectifs")
    def nb_collectifs(self, obj):
        return obj._nb_collectifs


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    """Les évaluations figées ne se modifient pas : elles expliquent une décision passée."""

    list_display = ["dossier", "motif", "verdict", "montant_ps_total", "edition", "cree_le"]
    list_filter = ["motif", "verdict", "edition"]
    search_fields = ["dossier__porteur__raison_sociale", "dossier__reference", "empreinte_entree"]
    list_select_related = ["dossier__porteur", "dossier__departement"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Campagne)
class CampagneAdmin(admin.ModelAdmin):
    list_display = ["__str__", "departement", "annee", "ouverture", "cloture"]
    list_filter = ["annee", "departement"]
    search_fields = ["departement__nom", "departement__code"]
    list_select_related = ["departement"]
    autocomplete_fields = ["departement"]


@admin.register(LigneBudget)
class LigneBudgetAdmin(admin.ModelAdmin):
    list_display = ["dossier", "sens", "categorie", "libelle", "montant"]
    list_filter = ["sens", "categorie"]
    search_fields = ["dossier__porteur__raison_sociale", "libelle"]
    list_select_related = ["dossier__porteur", "dossier__departement"]
    autocomplete_fields = ["dossier"]


@admin.register(PieceJustificative)
class PieceJustificativeAdmin(admin.ModelAdmin):
    list_display = ["nom_original", "type", "dossier", "taille", "deposee_le"]
    list_filter = ["type"]
    search_fields = ["nom_original", "dossier__porteur__raison_sociale"]
    list_select_related = ["dossier__porteur", "dossier__departement"]
    exclude = ["fichier"]
    readonly_fields = [
        "dossier",
        "type",
        "nom_original",
        "type_mime",
        "extension",
        "taille",
        "deposee_par",
    ]


@admin.register(Evenement)
class EvenementAdmin(admin.ModelAdmin):
    """L'historique d'un dossier se lit ; il ne se modifie pas."""

    list_display = ["dossier", "type", "etat_avant", "etat_apres", "auteur", "cree_le"]
    list_filter = ["type", "etat_apres"]
    search_fields = ["dossier__porteur__raison_sociale", "commentaire"]
    list_select_related = ["dossier__porteur", "dossier__departement", "auteur"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["dossier", "auteur", "cree_le"]
    search_fields = ["dossier__porteur__raison_sociale", "texte"]
    list_select_related = ["dossier__porteur", "dossier__departement", "auteur"]
    autocomplete_fields = ["dossier"]
