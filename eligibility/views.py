from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from .calendrier import debut_recommande
from .criteres import CRITERES_COLLECTIF, CRITERES_DOSSIER
from .editions import CNAF_2019, EDITIONS
from .models import ParametresAnnee


class ReferentielView(LoginRequiredMixin, TemplateView):
    """Le référentiel tel que le portail l'applique : chaque critère, sa règle, sa source."""

    template_name = "eligibility/referentiel.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        annees = list(ParametresAnnee.objects.visible_to(self.request.user).order_by("-annee"))
        choisie = None
        demande = self.request.GET.get("annee", "")
        for parametres in annees:
            if demande == str(parametres.annee):
                choisie = parametres
        if choisie is None and annees:
            choisie = annees[0]
        edition = EDITIONS.get(choisie.edition, CNAF_2019) if choisie else CNAF_2019
        ctx.update(
            annees=annees,
            parametres=choisie,
            edition=edition,
            ps_maximale=(
                (choisie.taux_ps * choisie.prix_plafond).quantize(choisie.prix_plafond)
                if choisie and choisie.prix_plafond is not None
                else None
            ),
            debuts_recommandes=[
                (zone, debut_recommande(choisie.annee, zone)) for zone in ("A", "B", "C")
            ]
            if choisie
            else [],
            fin_recommandee=(
                f"{edition.fin_recommandee[1]}/{edition.fin_recommandee[0]:02d}/{choisie.annee + 1}"
                if choisie
                else None
            ),
            groupes=[
                (
                    "Critères du dossier",
                    "dossier",
                    [(c, c.regle(edition)) for c in CRITERES_DOSSIER],
                ),
                (
                    "Critères de chaque collectif",
                    "collectif",
                    [(c, c.regle(edition)) for c in CRITERES_COLLECTIF],
                ),
            ],
        )
        return ctx
