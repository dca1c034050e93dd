"""Contrôle d'accès par rôle pour les vues (le périmètre des objets, lui, est dans visible_to)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied


class RoleRequisMixin(LoginRequiredMixin):
    """Réserve une vue à certains rôles : un utilisateur connecté d'un autre rôle reçoit 403."""

    roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.roles and request.user.role not in self.roles:
            raise PermissionDenied("Cette page n'est pas accessible avec votre rôle.")
        return super().dispatch(request, *args, **kwargs)
