"""Saisie du dossier par le porteur : création, étapes, collectifs, pièces, éligibilité.

Inclus par ``dossiers/urls.py`` (espace de noms « dossiers », sous /dossiers/).
"""

from django.urls import path

from . import views_saisie as vues

urlpatterns = [
    path("nouveau/", vues.NouveauDossierView.as_view(), name="nouveau"),
    path("<int:pk>/saisie/<slug:etape>/", vues.vue_etape, name="saisie"),
    path(
        "<int:pk>/saisie/collectifs/nouveau/",
        vues.CollectifFormView.as_view(),
        name="collectif_nouveau",
    ),
    path(
        "<int:pk>/saisie/collectifs/<int:collectif_pk>/",
        vues.CollectifFormView.as_view(),
        name="collectif_modifier",
    ),
    path(
        "<int:pk>/saisie/collectifs/<int:collectif_pk>/copier/",
        vues.CollectifCopierView.as_view(),
        name="collectif_copier",
    ),
    path(
        "<int:pk>/saisie/collectifs/<int:collectif_pk>/supprimer/",
        vues.CollectifSupprimerView.as_view(),
        name="collectif_supprimer",
    ),
    path("<int:pk>/pieces/<int:piece_pk>/", vues.PieceTelechargerView.as_view(), name="piece"),
    path(
        "<int:pk>/pieces/<int:piece_pk>/supprimer/",
        vues.PieceSupprimerView.as_view(),
        name="piece_supprimer",
    ),
    path("<int:pk>/eligibilite/", vues.EligibiliteView.as_view(), name="eligibilite"),
    path(
        "<int:pk>/eligibilite/apercu/collectifs/nouveau/",
        vues.ApercuCollectifView.as_view(),
        name="eligibilite_apercu_nouveau_collectif",
    ),
    path(
        "<int:pk>/eligibilite/apercu/collectifs/<int:collectif_pk>/",
        vues.ApercuCollectifView.as_view(),
        name="eligibilite_apercu_collectif",
    ),
    path(
        "<int:pk>/eligibilite/apercu/<slug:etape>/",
        vues.ApercuView.as_view(),
        name="eligibilite_apercu",
    ),
]
