"""URL de seances (voir seances/urls.py) : enfants, cahier de présence, taux, journaux."""

from django.urls import path

from . import views_registre as vues

urlpatterns = [
    path("collectifs/<int:pk>/enfants/", vues.EnfantsView.as_view(), name="enfants"),
    path("enfants/<int:pk>/modifier/", vues.EnfantModifierView.as_view(), name="enfant_modifier"),
    path(
        "enfants/<int:pk>/supprimer/", vues.EnfantSupprimerView.as_view(), name="enfant_supprimer"
    ),
    path("seances/<int:pk>/presences/", vues.AppelView.as_view(), name="appel"),
    path("collectifs/<int:pk>/presences/", vues.PresencesView.as_view(), name="presences"),
    path("collectifs/<int:pk>/journal/", vues.JournalView.as_view(), name="journal"),
    path(
        "actions-parents/<int:pk>/modifier/",
        vues.ActionParentsModifierView.as_view(),
        name="action_parents_modifier",
    ),
    path(
        "rencontres-ecole/<int:pk>/modifier/",
        vues.RencontreEcoleModifierView.as_view(),
        name="rencontre_ecole_modifier",
    ),
    path(
        "actions-parents/<int:pk>/supprimer/",
        vues.ActionParentsSupprimerView.as_view(),
        name="action_parents_supprimer",
    ),
    path(
        "rencontres-ecole/<int:pk>/supprimer/",
        vues.RencontreEcoleSupprimerView.as_view(),
        name="rencontre_ecole_supprimer",
    ),
]
