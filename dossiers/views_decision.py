"""La décision d'un agent sur un dossier, et la lettre de décision.

Vues minces : le périmètre vient de ``Dossier.objects.visible_to``, les règles de
``dossiers.decision``, l'écriture du formulaire (``DecisionForm.save``), le PDF de
``dossiers.lettre``.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from comptes.models import Role
from comptes.permissions import RoleRequisMixin

from . import decision as service
from . import lettre, workflow
from .evaluation import evaluer_dossier
from .exportation import charger_pour_export
from .forms_decision import DecisionForm
from .models import Dossier
from .views_instruction import points_a_verifier_du_dossier

TOUS_LES_ROLES = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)

AIDES = {
    service.ACCEPTER: "Vous saisirez le montant accordé à chaque collectif (par défaut, la PS "
    "calculée).",
    service.REFUSER: "Vous motiverez le refus ; le texte est proposé à partir des critères non "
    "conformes.",
    service.CLASSER_SANS_SUITE: "Vous motiverez le classement ; le texte est proposé à partir des "
    "critères non conformes.",
}
SUCCES = {
    service.ACCEPTER: "Le dossier est accepté. Le porteur est prévenu par courriel ; la lettre de "
    "décision est disponible.",
    service.REFUSER: "Le dossier est refusé. Le porteur est prévenu par courriel ; la lettre de "
    "décision est disponible.",
    service.CLASSER_SANS_SUITE: "Le dossier est classé sans suite. Le porteur est prévenu par "
    "courriel ; la lettre de décision est disponible.",
}


class DecisionView(RoleRequisMixin, View):
    """Choisir la décision, puis la saisir : montants (acceptation) ou motivation.

    Réservée aux agents Caf (autres rôles : 403) du département du dossier (sinon : 404).
    """

    roles = (Role.AGENT,)
    template_choix = "dossiers/decision/choix.html"
    template_formulaire = "dossiers/decision/formulaire.html"

    def get_dossier(self) -> Dossier:
        # Collectifs, créneaux et bilans préchargés : l'évaluation ne fait pas une requête par
        # collectif.
        qs = charger_pour_export(Dossier.objects.visible_to(self.request.user))
        return get_object_or_404(qs, pk=self.kwargs["pk"])

    def formulaire(self, dossier: Dossier, choisie: str, data=None) -> DecisionForm:
        evaluation = evaluer_dossier(dossier)
        return DecisionForm(
            data,
            dossier=dossier,
            user=self.request.user,
            decision=choisie,
            evaluation=evaluation,
            lignes=service.lignes_montants(dossier, evaluation),
        )

    def contexte(self, dossier: Dossier, possibles) -> dict:
        return {
            "dossier": dossier,
            "possibles": [{"transition": t, "aide": AIDES[t.nom]} for t in possibles],
            "url_dossier": reverse("dossiers:detail", args=[dossier.pk]),
        }

    def afficher_choix(self, dossier, possibles, *, erreur: str = ""):
        contexte = self.contexte(dossier, possibles) | {"erreur": erreur}
        return render(self.request, self.template_choix, contexte)

    def afficher(self, dossier, possibles, form: DecisionForm):
        contexte = self.contexte(dossier, possibles) | {
            "form": form,
            "decision": form.decision,
            "transition": workflow.PAR_NOM[form.decision],
            "evaluation": form.evaluation,
            "plusieurs_decisions": len(possibles) > 1,
            # Rappel, sans blocage : les points de contrôle que l'agent n'a pas vérifiés.
            "points_a_verifier": points_a_verifier_du_dossier(dossier, self.request.user),
        }
        return render(self.request, self.template_formulaire, contexte)

    def get(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        possibles = service.decisions_possibles(dossier, request.user)
        noms = [t.nom for t in possibles]
        choisie = request.GET.get("decision", "")
        if not choisie and len(noms) == 1:
            choisie = noms[0]
        if choisie not in noms:
            erreur = "Choisissez une des décisions proposées." if choisie else ""
            return self.afficher_choix(dossier, possibles, erreur=erreur)
        return self.afficher(dossier, possibles, self.formulaire(dossier, choisie))

    def post(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        possibles = service.decisions_possibles(dossier, request.user)
        choisie = request.POST.get("decision", "")
        if choisie not in [t.nom for t in possibles]:
            messages.error(
                request,
                "Cette décision n'est pas possible : le dossier est « "
                f"{dossier.get_etat_display()} ». Rien n'a été enregistré.",
            )
            return redirect("dossiers:decision", pk=dossier.pk)
        form = self.formulaire(dossier, choisie, request.POST)
        if not form.is_valid():
            return self.afficher(dossier, possibles, form)
        try:
            form.save()
        except service.ConflitVersion as conflit:
            return self.conflit(conflit, choisie)
        except service.DepassementNonJustifie as erreur:
            form.add_error("justification_depassement", str(erreur))
        except (workflow.TransitionRefusee, service.CollectifsModifies) as erreur:
            form.add_error(None, str(erreur))
        else:
            messages.success(request, SUCCES[choisie])
            return redirect(reverse("dossiers:detail", args=[dossier.pk]) + "#decision")
        return self.afficher(dossier, possibles, form)

    def conflit(self, conflit: service.ConflitVersion, choisie: str):
        """Rien n'est enregistré ; la saisie est gardée, sur le dossier relu.

        Si la décision n'est plus possible (un autre agent a décidé), retour au dossier.
        """
        dossier = self.get_dossier()
        possibles = service.decisions_possibles(dossier, self.request.user)
        if choisie not in [t.nom for t in possibles]:
            messages.error(self.request, conflit.message)
            return redirect("dossiers:detail", pk=dossier.pk)
        donnees = self.request.POST.copy()
        donnees["version"] = str(dossier.version)
        form = self.formulaire(dossier, choisie, donnees)
        form.is_valid()
        form.add_error(
            None,
            f"{conflit.message} Vérifiez la saisie ci-dessous (la PS calculée est celle du "
            "dossier tel qu'il est maintenant), puis validez à nouveau.",
        )
        return self.afficher(dossier, possibles, form)


class LettreDecisionView(RoleRequisMixin, View):
    """La lettre de décision d'un dossier décidé, pour qui peut voir le dossier."""

    roles = TOUS_LES_ROLES

    def get(self, request, *args, **kwargs):
        dossier = get_object_or_404(Dossier.objects.visible_to(request.user), pk=kwargs["pk"])
        if not dossier.est_decide:
            raise Http404("Ce dossier n'a pas encore de décision.")
        evaluation = lettre.evaluation_de_la_decision(dossier)
        if evaluation is None:
            raise Http404("Ce dossier n'a pas de lettre de décision.")
        reponse = HttpResponse(
            lettre.lettre_de_decision(dossier, evaluation), content_type="application/pdf"
        )
        nom = lettre.nom_fichier_lettre(dossier)
        reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
        reponse["X-Content-Type-Options"] = "nosniff"
        reponse["Cache-Control"] = "private, no-store"
        return reponse
