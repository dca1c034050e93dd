"""Du format d'échange ``clas-dossier/1`` au modèle : import des dossiers (migration, reprise).

Chaque fichier est importé dans sa propre transaction : un fichier refusé n'écrit rien. Un
dossier dont la ``reference`` a déjà été importée est ignoré, jamais dupliqué.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from collectifs.models import Collectif, Creneau
from comptes.models import Departement
from porteurs.models import Porteur, valider_siret
from seances.models import BilanAction

from .evaluation import figer_evaluation
from .exportation import AXES, CHAMPS_BILAN_ENTIERS
from .format_echange import ErreurFormat, lire
from .models import Dossier, Etat, Evaluation


@dataclass
class ResultatImport:
    statut: str  # « importe », « ignore » ou « refuse »
    dossier: Dossier | None = None
    problemes: list[str] = field(default_factory=list)
    avertissements: list[str] = field(default_factory=list)


def _decimal(valeur) -> Decimal | None:
    return None if valeur is None else Decimal(str(valeur))


def _date(valeur) -> datetime.date | None:
    return None if valeur is None else datetime.date.fromisoformat(valeur)


def _heure(valeur) -> datetime.time | None:
    return None if valeur is None else datetime.time.fromisoformat(valeur)


def _trouver_porteur(document: dict, departement: Departement) -> Porteur:
    donnees = document.get("porteur") or {}
    siret = donnees.get("siret")
    if not siret:
        raise ErreurFormat(["porteur.siret : obligatoire pour importer un dossier"])
    try:
        valider_siret(siret)
    except ValidationError as exc:
        raise ErreurFormat([f"porteur.siret : {exc.messages[0]}"]) from exc
    porteur = Porteur.objects.filter(siret=siret).first()
    if porteur is not None:
        return porteur
    if not donnees.get("nom"):
        raise ErreurFormat(
            [
                f"porteur.nom : obligatoire pour créer le porteur de SIRET {siret}, inconnu du portail"
            ]
        )
    return Porteur.objects.create(
        raison_sociale=donnees["nom"],
        siret=siret,
        forme=donnees.get("forme") or "autre",
        adresse=donnees.get("adresse", ""),
        code_postal=donnees.get("code_postal", ""),
        commune=donnees.get("commune", ""),
        email=donnees.get("email", ""),
        departement=departement,
    )


def _champs_dossier(document: dict) -> dict:
    charte = document.get("charte") or {}
    coordinateur = document.get("coordinateur") or {}
    actions = document.get("actions") or {}
    champs = {
        "reference": document.get("reference"),
        "renouvellement": document.get("renouvellement"),
        "reperage_concerte_ecole": document.get("reperage_concerte_ecole"),
        "aide_aux_devoirs_exclusive": document.get("aide_aux_devoirs_exclusive"),
        "diagnostic": document.get("diagnostic", ""),
        "coherence_sdsf": document.get("coherence_sdsf"),
        "charte_laicite_neutralite": charte.get("laicite_neutralite"),
        "charte_participation_familles_euros": _decimal(charte.get("participation_familles_euros")),
        "engagement_bilan": document.get("engagement_bilan"),
        "coordinateur_nom": coordinateur.get("nom", ""),
        "coordinateur_niveau_diplome": coordinateur.get("niveau_diplome", ""),
        "coordinateur_experience_animation_education": coordinateur.get(
            "experience_animation_education"
        ),
    }
    for axe, cles in AXES.items():
        textes = actions.get(axe) or {}
        for cle in cles:
            champs[f"{axe}_{cle}"] = textes.get(cle, "")
    instruction = document.get("instruction")
    if instruction:
        champs["etat"] = instruction["decision"]
        champs["montant_accorde"] = _decimal(instruction.get("montant_accorde"))
        champs["date_decision"] = _date(instruction.get("date_decision"))
        champs["motif_decision"] = instruction.get("motif", "")
    else:
        champs["etat"] = Etat.DEPOSE
    return champs


def _creer_collectif(dossier: Dossier, ordre: int, donnees: dict) -> None:
    lieu = donnees.get("lieu") or {}
    collectif = Collectif.objects.create(
        dossier=dossier,
        ordre=ordre,
        nom=donnees.get("nom", ""),
        classes=list(donnees.get("classes") or []),
        nombre_enfants=donnees.get("nombre_enfants"),
        rural=donnees.get("rural"),
        lieu_nom=lieu.get("nom", ""),
        lieu_adresse=lieu.get("adresse", ""),
        lieu_code_postal=lieu.get("code_postal", ""),
        lieu_commune=lieu.get("commune", ""),
        lieu_unique=lieu.get("lieu_unique"),
        lieu_accessible_parents=lieu.get("accessible_parents"),
        nombre_intervenants=donnees.get("intervenants"),
        semaines_fonctionnement=donnees.get("semaines_fonctionnement"),
        date_debut=_date(donnees.get("date_debut")),
        date_fin=_date(donnees.get("date_fin")),
        depenses_fonctionnement=_decimal(donnees.get("depenses_fonctionnement")),
    )
    Creneau.objects.bulk_create(
        Creneau(
            collectif=collectif,
            jour=c["jour"],
            debut=_heure(c.get("debut")),
            duree_minutes=c["duree_minutes"],
        )
        for c in donnees.get("creneaux") or []
    )
    bilan = donnees.get("bilan")
    if bilan:
        BilanAction.objects.create(
            collectif=collectif,
            heures_realisees=_decimal(bilan.get("heures_realisees")),
            taux_presence=_decimal(bilan.get("taux_presence")),
            **{champ: bilan.get(champ) for champ in CHAMPS_BILAN_ENTIERS},
        )


def importer_document(document: dict) -> ResultatImport:
    """Enregistre un document déjà validé, dans une transaction ; rien n'est écrit en cas d'erreur."""
    reference = document.get("reference")
    if reference and Dossier.objects.filter(reference=reference).exists():
        existant = Dossier.objects.get(reference=reference)
        return ResultatImport("ignore", dossier=existant)
    departement = Departement.objects.filter(code=document["departement"]).first()
    if departement is None:
        raise ErreurFormat(
            [
                f"departement : « {document['departement']} » n'est pas un département connu du portail"
            ]
        )
    avertissements = []
    if not reference:
        avertissements.append(
            "pas de « reference » : importer de nouveau ce fichier créerait un second dossier"
        )
    try:
        with transaction.atomic():
            porteur = _trouver_porteur(document, departement)
            champs = _champs_dossier(document)
            dossier = Dossier.objects.create(
                porteur=porteur,
                departement=departement,
                annee=int(document["annee_scolaire"][:4]),
                depose_le=timezone.now(),
                **champs,
            )
            for ordre, donnees in enumerate(document["collectifs"]):
                _creer_collectif(dossier, ordre, donnees)
            figer_evaluation(dossier, Evaluation.Motif.IMPORT)
    except IntegrityError as exc:
        if reference and Dossier.objects.filter(reference=reference).exists():
            # Un autre import concurrent vient d'enregistrer la même référence.
            return ResultatImport("ignore", dossier=Dossier.objects.get(reference=reference))
        raise ErreurFormat([f"(document) : refusé par la base de données : {exc}"]) from exc
    except (DatabaseError, ArithmeticError, OverflowError, ValidationError) as exc:
        # Filet de sécurité : une valeur que la base ne sait pas stocker n'arrête pas l'import
        # des autres fichiers ; la transaction a tout annulé pour celui-ci.
        raise ErreurFormat(
            [f"(document) : une valeur dépasse la capacité du portail ({type(exc).__name__})"]
        ) from exc
    return ResultatImport("importe", dossier=dossier, avertissements=avertissements)


def importer_octets(octets: bytes) -> ResultatImport:
    """Lit, valide et importe un fichier ; un fichier refusé l'est en entier."""
    try:
        document = lire(octets)
        return importer_document(document)
    except ErreurFormat as exc:
        return ResultatImport("refuse", problemes=exc.problemes)
