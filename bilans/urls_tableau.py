"""Tableau de bord et exports du bilan (inclus par ``bilans/urls.py``, espace de noms ``bilans``).

``<departement>`` : un code de département, ou ``national`` pour la consolidation nationale
(administration nationale seulement) ; ``<annee>`` : l'année de la rentrée (2025 : 2025-2026).
"""

from django.urls import path

from .views_tableau import ExportView, TableauView

urlpatterns = [
    path("<str:departement>/<int:annee>/", TableauView.as_view(), name="tableau"),
    path(
        "<str:departement>/<int:annee>/indicateurs.json",
        ExportView.as_view(format="json"),
        name="export_json",
    ),
    path(
        "<str:departement>/<int:annee>/indicateurs.csv",
        ExportView.as_view(format="csv"),
        name="export_csv",
    ),
    path(
        "<str:departement>/<int:annee>/indicateurs.xlsx",
        ExportView.as_view(format="xlsx"),
        name="export_xlsx",
    ),
]
