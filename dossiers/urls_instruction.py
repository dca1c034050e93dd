"""Instruction par la Caf depuis la page du dossier (inclus sous /dossiers/, espace « dossiers »)."""

from django.urls import path

from . import views_instruction as vues

urlpatterns = [
    path("<int:pk>/controle/", vues.PointsControleView.as_view(), name="controle"),
    path("<int:pk>/notes/", vues.NotePriveeView.as_view(), name="note"),
    path("<int:pk>/transition/<slug:nom>/", vues.TransitionView.as_view(), name="transition"),
    path(
        "<int:pk>/pieces/<int:piece_pk>/apercu/",
        vues.PieceApercuView.as_view(),
        name="piece_apercu",
    ),
    path(
        "<int:pk>/pieces-permanentes/<int:piece_pk>/apercu/",
        vues.PiecePermanenteApercuView.as_view(),
        name="piece_permanente_apercu",
    ),
]
