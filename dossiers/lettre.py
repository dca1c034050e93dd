"""La lettre de décision (PDF, WeasyPrint).

Comme l'accusé de dépôt (``dossiers.pdf``), elle n'est pas stockée : on la refait à la demande,
uniquement à partir de ce qui a été décidé —

- l'évaluation figée à la décision (son ``entree`` : porteur, collectifs, année ; son
  ``resultat`` : la PS calculée, pour mémoire) ;
- les champs de décision du dossier (état, ``date_decision``, ``motif_decision``,
  ``montant_accorde``) et le ``montant_accorde`` de chaque collectif, que seule une nouvelle
  décision modifie ;

jamais des données du dossier ou de l'organisation telles qu'elles sont aujourd'hui : la
télécharger plus tard donne la même lettre, même si le dossier a changé depuis.
"""

from comptes.models import Departement
from eligibility.criteres import format_date

from .models import Dossier, Etat, Evaluation
from .pdf import rendre_pdf

# La décision, nommée comme un acte : « Décision : refus, le 3 novembre 2025 ».
NATURE_DECISION = {
    Etat.ACCEPTE: "Acceptation",
    Etat.REFUSE: "Refus",
    Etat.SANS_SUITE: "Classement sans suite",
}
GABARIT_LETTRE = "dossiers/lettre/lettre_decision.html"
FEUILLE_LETTRE = "dossiers/lettre/lettre.css"


def evaluation_de_la_decision(dossier: Dossier) -> Evaluation | None:
    """L'évaluation figée par la dernière décision (à défaut, celle de l'import d'un dossier
    arrivé déjà décidé) ; None s'il n'y en a pas."""
    for motif in (Evaluation.Motif.DECISION, Evaluation.Motif.IMPORT):
        evaluation = dossier.evaluations.filter(motif=motif).order_by("-cree_le", "-pk").first()
        if evaluation is not None:
            return evaluation
    return None


def contexte_lettre(dossier: Dossier, evaluation: Evaluation) -> dict:
    """Le contenu de la lettre, tiré des données décidées et de l'évaluation figée."""
    entree, resultat = evaluation.entree, evaluation.resultat
    departement = Departement.objects.filter(code=entree.get("departement")).first()
    # Les collectifs n'ont plus changé depuis la décision (le dossier décidé n'est plus
    # modifiable) : ils sont dans l'ordre du document figé.
    accordes = list(
        dossier.collectifs.order_by("ordre", "pk").values_list("montant_accorde", flat=True)
    )
    evalues = resultat.get("collectifs") or []
    collectifs = []
    for index, donnees in enumerate(entree.get("collectifs") or []):
        evalue = evalues[index] if index < len(evalues) else {}
        collectifs.append(
            {
                "numero": index + 1,
                "nom": donnees.get("nom") or f"Collectif {index + 1}",
                "classes": ", ".join(donnees.get("classes") or []),
                "verdict": evalue.get("verdict"),
                "montant_ps": evalue.get("montant_ps"),
                "montant_accorde": accordes[index] if index < len(accordes) else None,
            }
        )
    date_decision = dossier.date_decision or evaluation.cree_le.date()
    annee = entree.get("annee_scolaire") or dossier.annee_scolaire
    caf = departement.caf if departement else f"Caf du département {entree.get('departement')}"
    return {
        "numero": dossier.pk,
        "decision": dossier.etat,
        "libelle_decision": Etat(dossier.etat).label,
        "nature_decision": NATURE_DECISION[dossier.etat],
        "accepte": dossier.etat == Etat.ACCEPTE,
        "refuse": dossier.etat == Etat.REFUSE,
        "sans_suite": dossier.etat == Etat.SANS_SUITE,
        "caf": caf,
        "departement": departement,
        "code_departement": entree.get("departement", ""),
        "porteur": entree.get("porteur") or {},
        "annee_scolaire": annee,
        "objet": f"Décision relative à votre demande de prestation de service Clas {annee}",
        "date_decision": date_decision,
        "date_lettre": format_date(date_decision),
        "motif": dossier.motif_decision,
        "collectifs": collectifs,
        "repartition_incomplete": any(c["montant_accorde"] is None for c in collectifs),
        "montant_accorde": dossier.montant_accorde,
        "montant_ps_total": resultat.get("montant_ps_total"),
        "parametres": resultat.get("parametres") or {},
        "edition": evaluation.edition,
        "empreinte": evaluation.empreinte_entree,
    }


def lettre_de_decision(dossier: Dossier, evaluation: Evaluation) -> bytes:
    """La lettre de décision, en PDF."""
    return rendre_pdf(GABARIT_LETTRE, contexte_lettre(dossier, evaluation), FEUILLE_LETTRE)


def nom_fichier_lettre(dossier: Dossier) -> str:
    return f"lettre-de-decision-dossier-{dossier.pk}-{dossier.annee_scolaire}.pdf"
