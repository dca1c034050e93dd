from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from .models import Departement, Utilisateur


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ["code", "nom", "caf", "zone"]
    list_filter = ["zone"]
    search_fields = ["code", "nom", "caf"]


class UtilisateurCreationForm(UserCreationForm):
    class Meta:
        model = Utilisateur
        fields = ["email", "role", "departement"]


class UtilisateurChangeForm(UserChangeForm):
    class Meta:
        model = Utilisateur
        fields = "__all__"


@admin.register(Utilisateur)
class UtilisateurAdmin(UserAdmin):
    form = UtilisateurChangeForm
    add_form = UtilisateurCreationForm
    ordering = ["email"]
    list_display = ["email", "nom_complet", "role", "departement", "is_active", "last_login"]
    list_filter = ["role", "is_active", "departement"]
    search_fields = ["email", "nom", "prenom"]
    list_select_related = ["departement"]
    autocomplete_fields = ["departement"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["prenom", "nom", "telephone"]}),
        ("Rôle et territoire", {"fields": ["role", "departement"]}),
        (
            "Droits",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "role", "departement", "password1", "password2"],
            },
        )
    ]

    @admin.display(description="nom")
    def nom_complet(self, obj):
        return obj.nom_complet
