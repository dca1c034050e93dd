from django.views.generic import TemplateView

from comptes.models import Role
from comptes.permissions import RoleRequisMixin


class BilansIndexView(RoleRequisMixin, TemplateView):
    """Page des bilans départementaux (la génération arrive avec le ticket des bilans)."""

    roles = (Role.SECRETARIAT, Role.AGENT, Role.ADMIN)
    template_name = "bilans/index.html"
