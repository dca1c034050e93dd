from django.urls import path
from django.views.generic import TemplateView

from . import views, views_compte, views_mfa

urlpatterns = [
    path("", views.accueil, name="accueil"),
    # Déclaration d'accessibilité (RGAA 4.1), publique, liée depuis le pied de chaque page.
    path(
        "accessibilite/",
        TemplateView.as_view(template_name="comptes/accessibilite.html"),
        name="accessibilite",
    ),
    path("connexion/", views.ConnexionView.as_view(), name="connexion"),
    path("deconnexion/", views.DeconnexionView.as_view(), name="deconnexion"),
    # « Mon compte » : informations personnelles et mot de passe de la personne connectée.
    path("compte/", views_compte.MonCompteView.as_view(), name="compte"),
    path("compte/modifier/", views_compte.ProfilModifierView.as_view(), name="compte_modifier"),
    path(
        "compte/mot-de-passe/",
        views_compte.MotDePasseChangerView.as_view(),
        name="compte_mot_de_passe",
    ),
    path("compte/adresse/", views_compte.AdresseChangerView.as_view(), name="compte_adresse"),
    path(
        "compte/adresse/confirmer/<str:jeton>/",
        views_compte.AdresseConfirmerView.as_view(),
        name="compte_adresse_confirmer",
    ),
    # Second facteur (TOTP) du personnel Caf et de l'administration.
    path(
        "securite/double-authentification/",
        views_mfa.ConfigurerView.as_view(),
        name="mfa_configurer",
    ),
    path("securite/verification/", views_mfa.VerifierView.as_view(), name="mfa_verifier"),
    # Inscription d'une personne et de son organisation, confirmée par courriel.
    path("inscription/", views.InscriptionView.as_view(), name="inscription"),
    path(
        "inscription/envoyee/",
        views.InscriptionEnvoyeeView.as_view(),
        name="inscription_envoyee",
    ),
    path(
        "inscription/confirmer/<uidb64>/<token>/",
        views.ConfirmationInscriptionView.as_view(),
        name="inscription_confirmer",
    ),
    path(
        "inscription/renvoyer/",
        views.RenvoiConfirmationView.as_view(),
        name="inscription_renvoyer",
    ),
    # Invitation à rejoindre une organisation (lien reçu par courriel).
    path("invitation/<str:jeton>/", views.InvitationView.as_view(), name="invitation"),
    # Mot de passe oublié.
    path(
        "mot-de-passe/oublie/",
        views.MotDePasseOublieView.as_view(),
        name="mot_de_passe_oublie",
    ),
    path(
        "mot-de-passe/oublie/envoye/",
        views.MotDePasseEnvoyeView.as_view(),
        name="mot_de_passe_envoye",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.MotDePasseNouveauView.as_view(),
        name="mot_de_passe_nouveau",
    ),
    path(
        "mot-de-passe/modifie/",
        views.MotDePasseModifieView.as_view(),
        name="mot_de_passe_modifie",
    ),
]
