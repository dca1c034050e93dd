"""L'année du Clas (inclus sous /activite/) : calendrier, registre, journaux, bilan de l'action."""

from django.urls import include, path

app_name = "seances"

urlpatterns = [
    # Page d'activité d'un dossier accepté, calendrier des séances (générer, ajouter, déplacer,
    # annuler).
    path("", include("seances.urls_calendrier")),
    # Enfants (pseudonymes), cahier de présence, taux de présence, journaux (parents, école).
    path("", include("seances.urls_registre")),
    # Bilan de l'action (questionnaire d'activité) : saisie, soumission, demande de correction.
    path("", include("seances.urls_bilan")),
]
