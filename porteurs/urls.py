from django.urls import path

from . import views

app_name = "porteurs"

urlpatterns = [
    path("", views.OrganisationListeView.as_view(), name="liste"),
    path("nouvelle/", views.OrganisationCreationView.as_view(), name="creer"),
    path("<int:pk>/", views.OrganisationDetailView.as_view(), name="detail"),
    path("<int:pk>/modifier/", views.OrganisationModificationView.as_view(), name="modifier"),
    path("<int:pk>/inviter/", views.InvitationCreationView.as_view(), name="inviter"),
    path(
        "<int:pk>/invitations/<int:invitation_pk>/annuler/",
        views.InvitationAnnulationView.as_view(),
        name="invitation_annuler",
    ),
    path(
        "<int:pk>/membres/<int:membre_pk>/retirer/",
        views.MembreRetraitView.as_view(),
        name="membre_retirer",
    ),
    path(
        "<int:pk>/membres/<int:membre_pk>/qualite/",
        views.MembreQualiteView.as_view(),
        name="membre_qualite",
    ),
    path(
        "<int:pk>/pieces/<slug:type_piece>/deposer/",
        views.PieceDepotView.as_view(),
        name="piece_deposer",
    ),
    path("<int:pk>/export.zip", views.ExportDonneesView.as_view(), name="export"),
    path(
        "<int:pk>/pieces/<int:piece_pk>/",
        views.PieceTelechargementView.as_view(),
        name="piece_telecharger",
    ),
]
