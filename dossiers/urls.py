from django.urls import include, path

from . import views

app_name = "dossiers"

urlpatterns = [
    path("", views.DossierListeView.as_view(), name="liste"),
    path("<int:pk>/", views.DossierDetailView.as_view(), name="detail"),
    # Saisie du dossier par le porteur, étape par étape (création, étapes, collectifs, pièces).
    path("", include("dossiers.urls_saisie")),
    # Dépôt, accusé, renouvellement, échanges avec la Caf.
    path("", include("dossiers.urls_depot")),
    path("", include("dossiers.urls_instruction")),
    path("", include("dossiers.urls_decision")),
    path("", include("dossiers.urls_file")),
]
