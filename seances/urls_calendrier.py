"""URL de seances (voir seances/urls.py) : page d'activité d'un dossier, calendrier des séances."""

from django.urls import path

from . import views_calendrier as vues

urlpatterns = [
    path("dossiers/<int:pk>/", vues.ActiviteView.as_view(), name="activite"),
    path("collectifs/<int:pk>/calendrier/", vues.CalendrierView.as_view(), name="calendrier"),
    path("collectifs/<int:pk>/calendrier/generer/", vues.GenererView.as_view(), name="generer"),
    path("collectifs/<int:pk>/seances/ajouter/", vues.AjouterView.as_view(), name="ajouter"),
    path("seances/<int:pk>/deplacer/", vues.DeplacerView.as_view(), name="deplacer"),
    path("seances/<int:pk>/annuler/", vues.AnnulerView.as_view(), name="annuler"),
    path("seances/<int:pk>/supprimer/", vues.SupprimerView.as_view(), name="seance_supprimer"),
    path("seances/<int:pk>/retablir/", vues.RetablirView.as_view(), name="retablir"),
]
