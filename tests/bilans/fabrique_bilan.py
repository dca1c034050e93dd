"""Des données de bilan connues, pour les tests de la génération (PDF, tâche, commande, vues).

Département 59, année 2025-2026 :

- dossier A accepté, 5 000,00 € : collectif élémentaire (Roubaix, 2 500 €, bilan soumis :
  12 inscrits, 7 filles, 5 garçons…) et collectif collège rural (Wattrelos, 2 500 €, bilan
  soumis : 9 inscrits) ;
- dossier B accepté, 2 886,00 € : collectif élémentaire (Lille), bilan en brouillon (sans bilan) ;
- dossier C refusé, dossier D déposé.

Total accordé : 7 886,00 € ; 3 collectifs financés, 21 enfants inscrits.
Année 2024-2025 : un dossier accepté (comparaison). Département 23 : un dossier accepté de
99 999,00 € qui ne doit jamais apparaître dans le bilan du 59.
"""

from decimal import Decimal

from django.utils import timezone

from dossiers.models import Etat, Evaluation
from seances.models import BilanAction
from tests.factories import BilanActionFactory, CollectifFactory, DossierFactory, departement


def _evaluation_decision(dossier, verdicts: list[str]) -> None:
    """L'évaluation figée à la décision : le bilan lit le verdict de chaque collectif."""
    Evaluation.objects.create(
        dossier=dossier,
        motif=Evaluation.Motif.DECISION,
        edition="cnaf-2019",
        parametres={},
        empreinte_entree="0" * 64,
        entree={},
        resultat={
            "verdict": "eligible",
            "criteres": [],
            "collectifs": [
                {"index": i, "verdict": v, "criteres": []} for i, v in enumerate(verdicts)
            ],
        },
        verdict="eligible",
    )


def _accepte(montant: str, dep=None, annee: int = 2025, **kwargs):
    extra = {"porteur__departement": dep, "porteur__code_postal": "23000"} if dep else {}
    return DossierFactory(
        depose=True,
        complet=True,
        etat=Etat.ACCEPTE,
        annee=annee,
        montant_accorde=Decimal(montant),
        date_decision=timezone.localdate(),
        **extra,
        **kwargs,
    )


def peupler_bilan_59():
    """Crée le jeu décrit en tête du module ; rend le dossier A (pour le modifier ensuite)."""
    a = _accepte("5000.00", porteur__raison_sociale="Centre social du Pile")
    c1 = CollectifFactory(
        dossier=a,
        ordre=0,
        nom="Les Castors",
        classes=["CM1", "CM2"],
        lieu_commune="Roubaix",
        montant_accorde=Decimal("2500.00"),
    )
    c2 = CollectifFactory(
        dossier=a,
        ordre=1,
        nom="Les Hiboux",
        classes=["6e", "5e"],
        rural=True,
        lieu_commune="Wattrelos",
        lieu_code_postal="59150",
        montant_accorde=Decimal("2500.00"),
    )
    BilanActionFactory(
        collectif=c1,
        statut=BilanAction.Statut.SOUMIS,
        enfants_inscrits=12,
        filles=7,
        garcons=5,
        familles=10,
        seances_realisees=60,
        heures_realisees=Decimal("90.0"),
        taux_presence=Decimal("0.80"),
        intervenants_salaries=2,
        intervenants_benevoles=1,
        actions_parents=5,
        rencontres_ecole=3,
    )
    BilanActionFactory(
        collectif=c2,
        statut=BilanAction.Statut.SOUMIS,
        enfants_inscrits=9,
        filles=4,
        garcons=5,
        familles=8,
        seances_realisees=50,
        heures_realisees=Decimal("75.5"),
        taux_presence=Decimal("0.90"),
        intervenants_salaries=1,
        intervenants_benevoles=2,
        actions_parents=2,
        rencontres_ecole=4,
    )
    _evaluation_decision(a, ["eligible", "eligible"])

    b = _accepte("2886.00", porteur__raison_sociale="Association Lire Ensemble")
    c3 = CollectifFactory(
        dossier=b,
        ordre=0,
        nom="Les Lucioles",
        classes=["CE1"],
        lieu_commune="Lille",
        lieu_code_postal="59000",
        montant_accorde=Decimal("2886.00"),
    )
    BilanActionFactory(collectif=c3, statut=BilanAction.Statut.BROUILLON, enfants_inscrits=30)
    _evaluation_decision(b, ["eligible"])

    DossierFactory(depose=True, complet=True, etat=Etat.REFUSE)
    DossierFactory(depose=True, complet=True)

    precedent = _accepte("6000.00", annee=2024)
    CollectifFactory(dossier=precedent, classes=["CP"], montant_accorde=Decimal("6000.00"))
    _evaluation_decision(precedent, ["eligible"])

    autre = _accepte("99999.00", dep=departement("23"))
    CollectifFactory(dossier=autre, lieu_commune="Guéret", montant_accorde=Decimal("99999.00"))
    _evaluation_decision(autre, ["eligible"])
    return a
