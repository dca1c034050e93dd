"""Authentification : le ``ModelBackend`` de Django, l'utilisateur chargé avec son département.

Chaque page affiche le département d'un utilisateur de la Caf (bandeau de ``base.html``) et
chaque vue de la Caf en déduit son périmètre (``visible_to``) : chargé avec l'utilisateur, en
une jointure, il ne coûte plus une requête de plus par page.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ModelBackendAvecDepartement(ModelBackend):
    def get_user(self, user_id):
        modele = get_user_model()
        try:
            utilisateur = modele._default_manager.select_related("departement").get(pk=user_id)
        except modele.DoesNotExist:
            return None
        return utilisateur if self.user_can_authenticate(utilisateur) else None
