"""Récapitulatif, dépôt, accusé de dépôt, renouvellement, messages et suppression d'un brouillon
(inclus sous /dossiers/)."""

from django.urls import path

from . import views_depot

urlpatterns = [
    path(
        "<int:pk>/recapitulatif/",
        views_depot.RecapitulatifView.as_view(),
        name="recapitulatif",
    ),
    path("<int:pk>/deposer/", views_depot.DeposerView.as_view(), name="deposer"),
    path(
        "<int:pk>/accuse-de-depot.pdf",
        views_depot.AccuseDepotView.as_view(),
        name="accuse",
    ),
    path("<int:pk>/renouveler/", views_depot.RenouvelerView.as_view(), name="renouveler"),
    path("<int:pk>/messages/", views_depot.MessageView.as_view(), name="message"),
    path(
        "<int:pk>/supprimer/",
        views_depot.SupprimerBrouillonView.as_view(),
        name="supprimer_brouillon",
    ),
]
