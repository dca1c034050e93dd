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
    """Le financement et l'édition de l'année, lus en base en une seule requête.

    Sans paramètres fixés pour l'année : ce que rend ``financement_pour_annee`` (taux de
    l'édition, plafond inconnu) et l'édition cnaf-2019.
    """
    try:
        parametres = ParametresAnnee.objects.get(annee=annee)
    except ParametresAnnee.DoesNotExist:
        return ParametresFinancement(taux_ps=CNAF_2019.taux_ps, prix_plafond=None), CNAF_2019
    return parametres.financement(), EDITIONS[parametres.edition]


def evaluer_document(document: dict) -> dict:
    """Évalue un document ``clas-dossier/1`` avec les paramètres de son année en base."""
    financement, edition = _parametres_de(int(document["annee_scolaire"][:4]))
    return evaluer(document, financement, edition)


def evaluer_dossier(dossier: Dossier) -> dict:
    """L'évaluation courante du dossier, calculée depuis ses données en base."""
    return evaluer_document(dossier_vers_document(dossier, avec_decision=False))


def figer_evaluation(dossier: Dossier, motif: str, *, document: dict | None = None) -> Evaluation:
    """Calcule et enregistre l'évaluation du dossier telle qu'elle est maintenant.

    ``document`` : le dossier déjà mis au format d'échange, sans décision, quand l'appelant
    l'a fait sans relire la base (import) ; il doit être ce que rendrait
    ``dossier_vers_document(dossier, avec_decision=False)``.
    """
    if document is None:
        document = dossier_vers_document(dossier, avec_decision=False)
    resultat = evaluer_document(document)
    total = resultat["montant_ps_total"]
    return Evaluation.objects.create(
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
