from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from .forms import ConnexionForm
from .models import Role

ACCUEIL_PAR_ROLE = {
    Role.PORTEUR: "dossiers:liste",
    Role.AGENT: "dossiers:liste",
    Role.SECRETARIAT: "bilans:index",
    Role.ADMIN: "admin:index",
}


class ConnexionView(auth_views.LoginView):
    form_class = ConnexionForm
    template_name = "registration/connexion.html"
    redirect_authenticated_user = True


class DeconnexionView(auth_views.LogoutView):
    """Déconnexion par POST uniquement (protégée par CSRF)."""


@login_required
def accueil(request):
    """Chaque rôle a sa page d'accueil."""
    return redirect(ACCUEIL_PAR_ROLE.get(request.user.role, "dossiers:liste"))
