"""Un jeu de données calculé à la main pour les indicateurs ``clas-bilan/1``.

Les évaluations sont figées par le vrai moteur (``figer_evaluation``) sur les vraies données :
les verdicts et les critères non conformes ci-dessous sont ceux du catalogue (``regles.md``).

Nord (59), 2025-2026
--------------------
- D1 accepté, « Centre social Alpha », 6 000,00 € :
  - c0 CP-CE1, Roubaix, 2 000,00 €, bilan soumis (10 inscrits, taux 0,80) ;
  - c1 6e-5e, rural, 6 enfants, Wattrelos, 2 000,00 €, bilan soumis (6 inscrits, taux 0,92) ;
  - c2 CM1-CM2 de 3 enfants : COLLECTIF-TAILLE non conforme, non éligible, donc non financé
    (son bilan soumis ne compte pas) ; le dossier reste éligible.
- D2 accepté, « Association Beta », 3 000,03 € :
  - c0 2nde-1re, Tourcoing, 1 500,00 €, bilan en brouillon (sans bilan) ;
  - c1 CM2-6e (mixte), rural non précisé, commune vide, 1 500,01 €, pas de bilan ;
  - c2 sans classe (mixte ; COLLECTIF-NIVEAU manquant, donc financé), Tourcoing, bilan
    renvoyé pour correction (sans bilan) ;
  - c3 4e-3e, Tourcoing, pas de montant, bilan soumis sans taux de présence (9 inscrits).
- D3 refusé (aide aux devoirs exclusive + un collectif de 4 enfants) : non éligible.
- D4 classé sans suite (deux collectifs de 2 enfants) : non éligible.
- D5 brouillon, avec un collectif et un bilan soumis : ne compte nulle part.
- D6 en instruction, éligible. D7 déposé, incohérent avec le Sdsf : non éligible.

Creuse (23), 2025-2026 : D8 accepté 1 000,00 € (un collectif CP rural, Guéret, bilan soumis),
D9 refusé (aide aux devoirs exclusive).

Nord (59), 2024-2025 : D10 accepté 4 000,00 €, un collectif CE2-CM1, bilan soumis.
"""

from decimal import Decimal

from django.utils import timezone

from dossiers.evaluation import figer_evaluation
from dossiers.models import Dossier, Etat, Evaluation
from seances.models import BilanAction
from tests.factories import (
    BilanActionFactory,
    CollectifFactory,
    DossierFactory,
    PorteurFactory,
    departement,
)

DECISION, DEPOT, IMPORT = (
    Evaluation.Motif.DECISION,
    Evaluation.Motif.DEPOT,
    Evaluation.Motif.IMPORT,
)


def porteur(nom: str, dep: str = "59", commune: str = "Roubaix"):
    code_postal = {"59": "59100", "23": "23000"}[dep]
    return PorteurFactory(
        raison_sociale=nom, departement=departement(dep), commune=commune, code_postal=code_postal
    )


def dossier(p, etat: str, annee: int = 2025, **kwargs) -> Dossier:
    depose_le = None if etat == Etat.BROUILLON else timezone.now()
    return DossierFactory(
        porteur=p, complet=True, etat=etat, annee=annee, depose_le=depose_le, **kwargs
    )


def collectif(d, ordre: int, classes: list, **kwargs):
    kwargs.setdefault("nom", f"{d.porteur.raison_sociale} {ordre}")
    return CollectifFactory(dossier=d, ordre=ordre, classes=classes, **kwargs)


def bilan(c, statut=BilanAction.Statut.SOUMIS, **valeurs):
    return BilanActionFactory(collectif=c, statut=statut, **valeurs)


def figer(d, *motifs) -> None:
    for motif in motifs:
        figer_evaluation(Dossier.objects.get(pk=d.pk), motif)


def peupler() -> dict:
    o = {}
    # --- 59, 2025 ---------------------------------------------------------------------------
    alpha = porteur("Centre social Alpha")
    d1 = o["d1"] = dossier(alpha, Etat.ACCEPTE, montant_accorde=Decimal("6000.00"))
    c = collectif(d1, 0, ["CP", "CE1"], montant_accorde=Decimal("2000.00"))
    bilan(c, enfants_inscrits=10, filles=6, garcons=4, familles=8, seances_realisees=58,
          heures_realisees=Decimal("87.50"), taux_presence=Decimal("0.8000"),
          intervenants_salaries=2, intervenants_benevoles=1, actions_parents=4,
          rencontres_ecole=3)  # fmt: skip
    c = collectif(
        d1, 1, ["6e", "5e"], rural=True, nombre_enfants=6, lieu_commune="Wattrelos",
        montant_accorde=Decimal("2000.00"),
    )  # fmt: skip
    bilan(c, enfants_inscrits=6, filles=2, garcons=4, familles=5, seances_realisees=30,
          heures_realisees=Decimal("60.15"), taux_presence=Decimal("0.9200"),
          intervenants_salaries=1, intervenants_benevoles=0, actions_parents=2,
          rencontres_ecole=1)  # fmt: skip
    c = o["d1_c2"] = collectif(d1, 2, ["CM1", "CM2"], nombre_enfants=3)
    bilan(c, enfants_inscrits=3, filles=1, garcons=2, familles=3, seances_realisees=20,
          heures_realisees=Decimal("10.00"), taux_presence=Decimal("0.1000"),
          intervenants_salaries=5, intervenants_benevoles=5, actions_parents=5,
          rencontres_ecole=5)  # fmt: skip
    figer(d1, DEPOT, DECISION)

    beta = porteur("Association Beta", commune="Tourcoing")
    d2 = o["d2"] = dossier(beta, Etat.ACCEPTE, montant_accorde=Decimal("3000.03"))
    c = collectif(
        d2, 0, ["2nde", "1re"], lieu_commune="Tourcoing", montant_accorde=Decimal("1500.00")
    )
    bilan(c, statut=BilanAction.Statut.BROUILLON, enfants_inscrits=12)
    collectif(d2, 1, ["CM2", "6e"], rural=None, lieu_commune="", montant_accorde=Decimal("1500.01"))
    c = collectif(d2, 2, [], lieu_commune="Tourcoing")
    bilan(c, statut=BilanAction.Statut.A_CORRIGER, enfants_inscrits=11)
    c = collectif(d2, 3, ["4e", "3e"], lieu_commune="Tourcoing ")
    bilan(c, enfants_inscrits=9, filles=5, garcons=4, familles=7, seances_realisees=40,
          heures_realisees=Decimal("45.00"), taux_presence=None, intervenants_salaries=1,
          intervenants_benevoles=2, actions_parents=1, rencontres_ecole=2)  # fmt: skip
    figer(d2, DEPOT, DECISION)

    d3 = o["d3"] = dossier(porteur("Gamma"), Etat.REFUSE, aide_aux_devoirs_exclusive=True)
    collectif(d3, 0, ["CP"], nombre_enfants=4)
    figer(d3, DEPOT, DECISION)

    d4 = o["d4"] = dossier(porteur("Delta"), Etat.SANS_SUITE)
    collectif(d4, 0, ["CP"], nombre_enfants=2)
    collectif(d4, 1, ["CE1"], nombre_enfants=2)
    figer(d4, DEPOT, DECISION)

    epsilon = porteur("Epsilon")
    d5 = o["d5"] = dossier(epsilon, Etat.BROUILLON, montant_accorde=Decimal("777.00"))
    bilan(collectif(d5, 0, ["CP"]), enfants_inscrits=50)

    d6 = o["d6"] = dossier(epsilon, Etat.EN_INSTRUCTION)
    collectif(d6, 0, ["CM1"])
    figer(d6, DEPOT)

    d7 = o["d7"] = dossier(porteur("Zeta"), Etat.DEPOSE, coherence_sdsf=False)
    collectif(d7, 0, ["CM1"])
    figer(d7, DEPOT)

    # --- 23, 2025 ---------------------------------------------------------------------------
    d8 = o["d8"] = dossier(
        porteur("Creuse Solidaire", dep="23", commune="Guéret"),
        Etat.ACCEPTE,
        montant_accorde=Decimal("1000.00"),
    )
    c = collectif(
        d8, 0, ["CP"], rural=True, lieu_commune="Guéret", lieu_code_postal="23000",
        montant_accorde=Decimal("1000.00"),
    )  # fmt: skip
    bilan(c, enfants_inscrits=8, filles=4, garcons=4, familles=6, seances_realisees=50,
          heures_realisees=Decimal("75.00"), taux_presence=Decimal("0.7500"),
          intervenants_salaries=1, intervenants_benevoles=1, actions_parents=2,
          rencontres_ecole=2)  # fmt: skip
    figer(d8, DEPOT, DECISION)
    d9 = o["d9"] = dossier(
        porteur("Creuse Devoirs", dep="23"), Etat.REFUSE, aide_aux_devoirs_exclusive=True
    )
    collectif(d9, 0, ["CP"], lieu_code_postal="23000")
    figer(d9, DEPOT, DECISION)

    # --- 59, 2024 ---------------------------------------------------------------------------
    d10 = o["d10"] = dossier(alpha, Etat.ACCEPTE, annee=2024, montant_accorde=Decimal("4000.00"))
    c = collectif(d10, 0, ["CE2", "CM1"], montant_accorde=Decimal("4000.00"))
    bilan(c, enfants_inscrits=20, filles=10, garcons=10, familles=15, seances_realisees=60,
          heures_realisees=Decimal("90.00"), taux_presence=Decimal("0.8000"),
          intervenants_salaries=2, intervenants_benevoles=2, actions_parents=5,
          rencontres_ecole=4)  # fmt: skip
    figer(d10, IMPORT)
    return o


# Les valeurs attendues, calculées à la main (voir le détail dans test_indicateurs.py).
ATTENDU_59_2025 = {
    "format": "clas-bilan/1",
    "departement": "59",
    "annee_scolaire": "2025-2026",
    "dossiers_deposes": 6,  # D1, D2, D3, D4, D6, D7 (pas le brouillon D5)
    "dossiers_acceptes": 2,
    "dossiers_refuses": 1,
    "dossiers_sans_suite": 1,
    "porteurs_finances": 2,
    "collectifs_finances": 6,  # D1 : c0, c1 (c2 non éligible) ; D2 : c0 à c3
    "collectifs_par_niveau": {"elementaire": 1, "college": 2, "lycee": 1, "mixte": 2},
    "collectifs_ruraux": 1,  # D1 c1 (D2 c1 : rural non précisé)
    "enfants_inscrits": 25,  # 10 + 6 + 9 (bilans soumis des financés)
    "filles": 13,  # 6 + 2 + 5
    "garcons": 12,  # 4 + 4 + 4
    "familles": 20,  # 8 + 5 + 7
    "seances_realisees": 128,  # 58 + 30 + 40
    "heures_realisees": "192.7",  # 87,50 + 60,15 + 45,00 = 192,65 → demi supérieur
    "taux_presence_moyen": "0.85",  # (10 × 0,80 + 6 × 0,92) / 16 = 0,845 → demi supérieur
    "intervenants_salaries": 4,  # 2 + 1 + 1
    "intervenants_benevoles": 3,  # 1 + 0 + 2
    "actions_parents": 7,  # 4 + 2 + 1
    "rencontres_ecole": 6,  # 3 + 1 + 2
    "collectifs_sans_bilan": 3,  # D2 c0 (brouillon), c1 (aucun), c2 (à corriger)
    "montant_accorde_total": "9000.03",  # 6 000,00 + 3 000,03
    "montant_moyen_par_collectif": "1500.01",  # 9 000,03 / 6 = 1 500,005 → demi supérieur
    "montant_moyen_par_enfant": "360.00",  # 9 000,03 / 25 = 360,0012
    "motifs_non_eligibilite": {
        "DIAGNOSTIC-SDSF": 1,  # D7
        "EXCLUSION-AIDE-DEVOIRS": 1,  # D3
        "COLLECTIF-TAILLE": 2,  # D3 et D4 (une fois par dossier) ; pas D1, éligible
    },
}

ATTENDU_23_2025 = {
    "format": "clas-bilan/1",
    "departement": "23",
    "annee_scolaire": "2025-2026",
    "dossiers_deposes": 2,
    "dossiers_acceptes": 1,
    "dossiers_refuses": 1,
    "dossiers_sans_suite": 0,
    "porteurs_finances": 1,
    "collectifs_finances": 1,
    "collectifs_par_niveau": {"elementaire": 1, "college": 0, "lycee": 0, "mixte": 0},
    "collectifs_ruraux": 1,
    "enfants_inscrits": 8,
    "filles": 4,
    "garcons": 4,
    "familles": 6,
    "seances_realisees": 50,
    "heures_realisees": "75.0",
    "taux_presence_moyen": "0.75",
    "intervenants_salaries": 1,
    "intervenants_benevoles": 1,
    "actions_parents": 2,
    "rencontres_ecole": 2,
    "collectifs_sans_bilan": 0,
    "montant_accorde_total": "1000.00",
    "montant_moyen_par_collectif": "1000.00",
    "montant_moyen_par_enfant": "125.00",
    "motifs_non_eligibilite": {"EXCLUSION-AIDE-DEVOIRS": 1},
}

ATTENDU_59_2024 = {
    "format": "clas-bilan/1",
    "departement": "59",
    "annee_scolaire": "2024-2025",
    "dossiers_deposes": 1,
    "dossiers_acceptes": 1,
    "dossiers_refuses": 0,
    "dossiers_sans_suite": 0,
    "porteurs_finances": 1,
    "collectifs_finances": 1,
    "collectifs_par_niveau": {"elementaire": 1, "college": 0, "lycee": 0, "mixte": 0},
    "collectifs_ruraux": 0,
    "enfants_inscrits": 20,
    "filles": 10,
    "garcons": 10,
    "familles": 15,
    "seances_realisees": 60,
    "heures_realisees": "90.0",
    "taux_presence_moyen": "0.80",
    "intervenants_salaries": 2,
    "intervenants_benevoles": 2,
    "actions_parents": 5,
    "rencontres_ecole": 4,
    "collectifs_sans_bilan": 0,
    "montant_accorde_total": "4000.00",
    "montant_moyen_par_collectif": "4000.00",
    "montant_moyen_par_enfant": "200.00",
    "motifs_non_eligibilite": {},
}

# France entière, 2025-2026 : la somme des deux départements, moyennes recalculées.
ATTENDU_NATIONAL_2025 = {
    "format": "clas-bilan/1",
    "departement": None,
    "annee_scolaire": "2025-2026",
    "dossiers_deposes": 8,
    "dossiers_acceptes": 3,
    "dossiers_refuses": 2,
    "dossiers_sans_suite": 1,
    "porteurs_finances": 3,
    "collectifs_finances": 7,
    "collectifs_par_niveau": {"elementaire": 2, "college": 2, "lycee": 1, "mixte": 2},
    "collectifs_ruraux": 2,
    "enfants_inscrits": 33,
    "filles": 17,
    "garcons": 16,
    "familles": 26,
    "seances_realisees": 178,
    "heures_realisees": "267.7",  # 192,65 + 75,00 = 267,65
    "taux_presence_moyen": "0.81",  # (13,52 + 6,00) / 24 = 0,8133…
    "intervenants_salaries": 5,
    "intervenants_benevoles": 4,
    "actions_parents": 9,
    "rencontres_ecole": 8,
    "collectifs_sans_bilan": 3,
    "montant_accorde_total": "10000.03",
    "montant_moyen_par_collectif": "1428.58",  # 10 000,03 / 7 = 1 428,575…
    "montant_moyen_par_enfant": "303.03",  # 10 000,03 / 33 = 303,031…
    "motifs_non_eligibilite": {
        "DIAGNOSTIC-SDSF": 1,
        "EXCLUSION-AIDE-DEVOIRS": 2,
        "COLLECTIF-TAILLE": 2,
    },
}
