"""URL du bilan de l'action (voir seances/urls.py)."""

from django.urls import path

from . import views_bilan

urlpatterns = [
    path("bilans-soumis/", views_bilan.BilansSoumisView.as_view(), name="bilans_soumis"),
    path("collectifs/<int:pk>/bilan/", views_bilan.BilanView.as_view(), name="bilan"),
    path(
        "collectifs/<int:pk>/bilan/correction/",
        views_bilan.DemandeCorrectionView.as_view(),
        name="bilan_correction",
    ),
]
