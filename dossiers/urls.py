from django.urls import path

from . import views

app_name = "dossiers"

urlpatterns = [
    path("", views.DossierListeView.as_view(), name="liste"),
    path("<int:pk>/", views.DossierDetailView.as_view(), name="detail"),
]
