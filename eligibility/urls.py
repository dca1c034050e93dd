from django.urls import path

from . import views

app_name = "eligibility"

urlpatterns = [
    path("", views.ReferentielView.as_view(), name="referentiel"),
]
