"""File d'attente des agents Caf : exports, assignation, ordre du jour du comité, campagnes.

La file elle-même est à ``dossiers:liste`` (``/dossiers/``), partagée avec l'accueil du porteur.
"""

from django.urls import path

from . import views_campagnes, views_file

urlpatterns = [
    path("export.<str:format>", views_file.FileExportView.as_view(), name="export"),
    path("assigner/", views_file.AssignerLotView.as_view(), name="assigner_lot"),
    path("<int:pk>/assigner/", views_file.AssignerView.as_view(), name="assigner"),
    path("comite/", views_file.ComiteView.as_view(), name="comite"),
    path("comite/export.<str:format>", views_file.ComiteExportView.as_view(), name="comite_export"),
    path("campagnes/", views_campagnes.CampagneListeView.as_view(), name="campagnes"),
    path(
        "campagnes/nouvelle/",
        views_campagnes.CampagneCreationView.as_view(),
        name="campagne_creer",
    ),
    path(
        "campagnes/<int:pk>/modifier/",
        views_campagnes.CampagneModificationView.as_view(),
        name="campagne_modifier",
    ),
]
