"""Adaptateur entre les dossiers en base et le moteur pur ``eligibility.moteur``."""

import hashlib
import json
from decimal import Decimal

from eligibility.editions import CNAF_2019, EDITIONS, Edition, ParametresFinancement
from eligibility.models import ParametresAnnee
from eligibility.moteur import evaluer

from .exportation import dossier_vers_document
from .models import Dossier, Evaluation


def _json_canonique(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def empreinte(document: dict) -> str:
    return hashlib.sha256(_json_canonique(document).encode("utf-8")).hexdigest()


def _parametres_de(annee: int) -> tuple[ParametresFinancement, Edition]:
    """Le financement et l'édition de l'année, lus en base en une seule requête."""
    return parametres_des_annees([annee])[annee]


def parametres_des_annees(annees) -> dict[int, tuple[ParametresFinancement, Edition]]:
    """Le financement et l'édition de chacune de ces années, lus en base en une seule requête.

    Sans paramètres fixés pour une année : ce que rend ``financement_pour_annee`` (taux de
    l'édition, plafond inconnu) et l'édition cnaf-2019.
    """
    annees = set(annees)
    trouves = {p.annee: p for p in ParametresAnnee.objects.filter(annee__in=annees)}
    return {
        annee: (trouves[annee].financement(), EDITIONS[trouves[annee].edition])
        if annee in trouves
        else (ParametresFinancement(taux_ps=CNAF_2019.taux_ps, prix_plafond=None), CNAF_2019)
        for annee in annees
    }


def evaluer_document(
    document: dict, parametres: tuple[ParametresFinancement, Edition] | None = None
) -> dict:
    """Évalue un document ``clas-dossier/1`` avec les paramètres de son année en base.

    ``parametres`` : (financement, édition) de l'année du document, quand l'appelant les a déjà
    lus (``parametres_des_annees``, import d'un lot de fichiers).
    """
    financement, edition = parametres or _parametres_de(int(document["annee_scolaire"][:4]))
    return evaluer(document, financement, edition)


def evaluer_dossier(dossier: Dossier) -> dict:
    """L'évaluation courante du dossier, calculée depuis ses données en base."""
    return evaluer_document(dossier_vers_document(dossier, avec_decision=False))


def figer_evaluation(
    dossier: Dossier,
    motif: str,
    *,
    document: dict | None = None,
    parametres: tuple[ParametresFinancement, Edition] | None = None,
) -> Evaluation:
    """Calcule et enregistre l'évaluation du dossier telle qu'elle est maintenant.

    ``document`` : le dossier déjà mis au format d'échange, sans décision, quand l'appelant
    l'a fait sans relire la base (import) ; il doit être ce que rendrait
    ``dossier_vers_document(dossier, avec_decision=False)``. ``parametres`` : ceux de l'année
    du dossier, s'ils sont déjà lus (voir ``evaluer_document``).
    """
    evaluation = evaluation_a_figer(dossier, motif, document=document, parametres=parametres)
    evaluation.save(force_insert=True)
    return evaluation


def evaluation_a_figer(
    dossier: Dossier,
    motif: str,
    *,
    document: dict | None = None,
    parametres: tuple[ParametresFinancement, Edition] | None = None,
) -> Evaluation:
    """L'évaluation que ``figer_evaluation`` enregistre, pas encore enregistrée (l'import
    l'insère lui-même, voir ``dossiers.importation._inserer``)."""
    if document is None:
        document = dossier_vers_document(dossier, avec_decision=False)
    resultat = evaluer_document(document, parametres)
    total = resultat["montant_ps_total"]
    return Evaluation(
        dossier=dossier,
        motif=motif,
        edition=resultat["edition"],
        parametres=resultat["parametres"],
        empreinte_entree=empreinte(document),
        entree=json.loads(json.dumps(document, default=str)),
        resultat=resultat,
        verdict=resultat["verdict"],
        montant_ps_total=Decimal(total) if total is not None else None,
    )
