"""Adaptateur entre les dossiers en base et le moteur pur ``eligibility.moteur``."""

import hashlib
import json
from decimal import Decimal

from eligibility.editions import EDITIONS
from eligibility.models import ParametresAnnee, financement_pour_annee
from eligibility.moteur import evaluer

from .exportation import dossier_vers_document
from .models import Dossier, Evaluation


def _json_canonique(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def empreinte(document: dict) -> str:
    return hashlib.sha256(_json_canonique(document).encode("utf-8")).hexdigest()


def _edition_de(annee: int):
    parametres = ParametresAnnee.objects.filter(annee=annee).only("edition").first()
    return EDITIONS[parametres.edition] if parametres else EDITIONS["cnaf-2019"]


def evaluer_document(document: dict) -> dict:
    """Évalue un document ``clas-dossier/1`` avec les paramètres de son année en base."""
    annee = int(document["annee_scolaire"][:4])
    return evaluer(document, financement_pour_annee(annee), _edition_de(annee))


def evaluer_dossier(dossier: Dossier) -> dict:
    """L'évaluation courante du dossier, calculée depuis ses données en base."""
    return evaluer_document(dossier_vers_document(dossier, avec_decision=False))


def figer_evaluation(dossier: Dossier, motif: str) -> Evaluation:
    """Calcule et enregistre l'évaluation du dossier telle qu'elle est maintenant."""
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
