"""Les montants de l'ordre du jour du comité : le dossier proposé au comité est réévalué avec les
paramètres de l'année alors en vigueur (le prix plafond a pu être fixé après le dépôt)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers import workflow
from dossiers.evaluation import figer_evaluation
from dossiers.models import Dossier, Etat, Evaluation
from eligibility.models import ParametresAnnee
from tests.factories import CollectifFactory, CreneauFactory, DossierFactory

pytestmark = pytest.mark.django_db

COMITE = reverse("dossiers:comite")
PS_ATTENDUE = Decimal("4187.95")  # 1 625,00 € + 2 562,95 € (plafond 7 886 €), voir test_decision


def _collectif(dossier, nom, ordre, depenses, **valeurs):
    collectif = CollectifFactory(
        dossier=dossier, nom=nom, ordre=ordre, depenses_fonctionnement=Decimal(depenses), **valeurs
    )
    CreneauFactory(collectif=collectif, jour="mardi")
    CreneauFactory(collectif=collectif, jour="jeudi")
    return collectif


@pytest.fixture
def depose_sans_plafond(membre):
    """En instruction dans le Nord, déposé quand le prix plafond de l'année n'était pas fixé :
    l'évaluation figée au dépôt n'a pas de PS."""
    dossier = DossierFactory(
        porteur=membre.porteur,
        complet=True,
        etat=Etat.EN_INSTRUCTION,
        depose_le=timezone.now(),
    )
    _collectif(dossier, "CM1-CM2", 0, "5000.00")
    _collectif(dossier, "6e-5e", 1, "10000.00", classes=["6e", "5e"])
    parametres = ParametresAnnee.objects.filter(annee=dossier.annee)
    plafond = parametres.get().prix_plafond
    parametres.update(prix_plafond=None)
    figee = figer_evaluation(dossier, Evaluation.Motif.DEPOT)
    assert figee.montant_ps_total is None
    # L'administrateur national fixe le prix plafond après le dépôt.
    parametres.update(prix_plafond=plafond)
    return dossier


def test_sans_reevaluation_le_dossier_est_hors_du_total(client, agent59, depose_sans_plafond):
    """Ce que corrige la réévaluation : proposé sans elle, le dossier reste « non calculable »."""
    Dossier.objects.filter(pk=depose_sans_plafond.pk).update(etat=Etat.PROPOSE_COMITE)
    client.force_login(agent59)
    totaux = client.get(COMITE).context["totaux"]
    assert totaux["dossiers"] == 1
    assert totaux["ps_calculee"] == Decimal("0")
    assert totaux["ps_non_calculees"] == 1


def test_proposer_au_comite_fige_une_evaluation_a_jour(client, agent59, depose_sans_plafond):
    dossier = depose_sans_plafond
    workflow.appliquer(dossier, "proposer_comite", agent59)

    derniere = dossier.evaluations.order_by("-cree_le", "-pk").first()
    assert derniere.motif == Evaluation.Motif.COMITE
    assert derniere.get_motif_display() == "proposition au comité"
    assert derniere.montant_ps_total == PS_ATTENDUE
    # L'évaluation du dépôt reste (l'accusé de dépôt la relit).
    assert dossier.evaluations.filter(motif=Evaluation.Motif.DEPOT).count() == 1

    client.force_login(agent59)
    reponse = client.get(COMITE)
    totaux = reponse.context["totaux"]
    assert totaux["dossiers"] == 1
    assert totaux["ps_calculee"] == PS_ATTENDUE
    assert totaux["ps_non_calculees"] == 0
    assert "sans PS calculable" not in reponse.content.decode()

    # La file lit la même évaluation, la dernière figée.
    file = client.get(reverse("dossiers:liste"), {"onglet": "comite"})
    assert "4\u202f187,95\u202f€" in file.content.decode()


def test_seule_la_proposition_au_comite_fige_une_evaluation(agent59, depose_sans_plafond):
    """Reprendre l'instruction ou demander un complément ne fige rien de plus."""
    dossier = depose_sans_plafond
    workflow.appliquer(dossier, "proposer_comite", agent59)
    workflow.appliquer(dossier, "reprendre_instruction", agent59, "Pièce manquante.")
    workflow.appliquer(dossier, "demander_complement", agent59, "Joignez le RIB.")
    motifs = list(dossier.evaluations.order_by("cree_le", "pk").values_list("motif", flat=True))
    assert motifs == [Evaluation.Motif.DEPOT, Evaluation.Motif.COMITE]
