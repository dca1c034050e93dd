"""Page des bilans : génération et historique.

- secrétariat et agents Caf : les années de leur département (un bouton « Générer le bilan ») et
  l'historique de ses générations ;
- administrateur national : le tableau de tous les départements pour une année, le bilan national
  consolidé et l'historique de toutes les générations.

Le périmètre des générations vient de ``GenerationBilan.objects.visible_to`` ; celui des années,
de ``Dossier.objects.visible_to``.
"""

from django.views.generic import ListView

from comptes.models import Role
from comptes.permissions import RoleRequisMixin
from dossiers.models import Dossier, Etat, libelle_annee

from .models import GenerationBilan

ROLES_BILANS = (Role.SECRETARIAT, Role.AGENT, Role.ADMIN)


def annees_disponibles(user) -> list[int]:
    """Les années (de la plus récente à la plus ancienne) où au moins un dossier a été déposé
    dans le périmètre de l'utilisateur."""
    return list(
        Dossier.objects.visible_to(user)
        .exclude(etat=Etat.BROUILLON)
        .order_by("-annee")
        .values_list("annee", flat=True)
        .distinct()
    )


class BilansIndexView(RoleRequisMixin, ListView):
    """Les bilans : générer, suivre, télécharger ; l'historique de toutes les générations."""

    roles = ROLES_BILANS
    template_name = "bilans/index.html"
    context_object_name = "generations"
    paginate_by = 20

    def get_queryset(self):
        return (
            GenerationBilan.objects.visible_to(self.request.user)
            .select_related("departement", "demandee_par")
            .order_by("-demandee_le", "-pk")
        )

    def _annee_choisie(self, annees: list[int]) -> int | None:
        brute = self.request.GET.get("annee", "")
        if brute.isdigit() and int(brute) in annees:
            return int(brute)
        return annees[0] if annees else None

    def get_context_data(self, **kwargs):
        contexte = super().get_context_data(**kwargs)
        user = self.request.user
        annees = annees_disponibles(user)
        en_cours = {
            (g.departement_id, g.annee): g
            for g in GenerationBilan.objects.visible_to(user).en_cours()
        }
        contexte["annees"] = [
            {
                "annee": annee,
                "libelle": libelle_annee(annee),
                "en_cours": en_cours.get((user.departement_id, annee)),
            }
            for annee in annees
        ]
        if user.est_admin:
            from .indicateurs import indicateurs_par_departement

            annee = self._annee_choisie(annees)
            contexte["annee_choisie"] = annee
            contexte["libelle_annee_choisie"] = libelle_annee(annee) if annee else ""
            lignes = indicateurs_par_departement(annee) if annee else []
            for ligne in lignes:
                ligne["en_cours"] = en_cours.get((ligne["departement"], annee))
            contexte["par_departement"] = lignes
            contexte["national_en_cours"] = en_cours.get((None, annee))
        return contexte
