"""Décision d'un agent sur un dossier et lettre de décision (inclus sous /dossiers/)."""

from django.urls import path

from . import views_decision

urlpatterns = [
    path("<int:pk>/decision/", views_decision.DecisionView.as_view(), name="decision"),
    path("<int:pk>/lettre.pdf", views_decision.LettreDecisionView.as_view(), name="lettre"),
]
