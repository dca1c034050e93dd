from django.urls import include, path

from . import views, views_generation

app_name = "bilans"

urlpatterns = [
    path("", views.BilansIndexView.as_view(), name="index"),
    path("generer/", views_generation.DemanderBilanView.as_view(), name="generer"),
    path(
        "generations/<int:pk>/",
        views_generation.GenerationDetailView.as_view(),
        name="generation",
    ),
    path(
        "generations/<int:pk>/<str:format>/",
        views_generation.TelechargerBilanView.as_view(),
        name="telecharger",
    ),
    # Tableau de bord et exports des indicateurs.
    path("", include("bilans.urls_tableau")),
]
