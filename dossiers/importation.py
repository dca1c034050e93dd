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
from .exportation import AXES, CHAMPS_BILAN_ENTIERS, collectif_vers_document, dossier_vers_document
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


def _trouver_porteur(document: dict, code_departement: str) -> Porteur:
    donnees = document.get("porteur") or {}
    siret = donnees.get("siret")
    if not siret:
        raise ErreurFormat(["porteur.siret : obligatoire pour importer un dossier"])
    try:
        valider_siret(siret)
    except ValidationError as exc:
        raise ErreurFormat([f"porteur.siret : {exc.messages[0]}"]) from exc
    try:
        return Porteur.objects.get(siret=siret)
    except Porteur.DoesNotExist:
        pass
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
        departement_id=code_departement,
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


def _collectif(dossier: Dossier, ordre: int, donnees: dict) -> Collectif:
    lieu = donnees.get("lieu") or {}
    return Collectif(
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


def _creneaux(collectif: Collectif, donnees: dict) -> list[Creneau]:
    return [
        Creneau(
            collectif=collectif,
            jour=c["jour"],
            debut=_heure(c.get("debut")),
            duree_minutes=c["duree_minutes"],
        )
        for c in donnees.get("creneaux") or []
    ]


def _bilan(collectif: Collectif, donnees: dict) -> BilanAction | None:
    bilan = donnees.get("bilan")
    if not bilan:
        return None
    return BilanAction(
        collectif=collectif,
        statut=BilanAction.Statut.SOUMIS,
        origine=BilanAction.Origine.IMPORT,
        soumis_le=timezone.now(),
        heures_realisees=_decimal(bilan.get("heures_realisees")),
        taux_presence=_decimal(bilan.get("taux_presence")),
        **{champ: bilan.get(champ) for champ in CHAMPS_BILAN_ENTIERS},
    )


def _creer_collectifs(dossier: Dossier, donnees_collectifs: list[dict]) -> list[dict]:
    """Enregistre les collectifs, puis tous leurs créneaux, puis tous leurs bilans (une requête
    par table, dans l'ordre du document) ; rend les documents des collectifs, faits depuis ces
    objets sans relire la base."""
    collectifs = Collectif.objects.bulk_create(
        [_collectif(dossier, ordre, donnees) for ordre, donnees in enumerate(donnees_collectifs)]
    )  # les clés primaires reviennent de la base (RETURNING : PostgreSQL, SQLite ≥ 3.35)
    paires = list(zip(collectifs, donnees_collectifs, strict=True))
    creneaux = [_creneaux(collectif, donnees) for collectif, donnees in paires]
    bilans = [_bilan(collectif, donnees) for collectif, donnees in paires]
    Creneau.objects.bulk_create([creneau for liste in creneaux for creneau in liste])
    BilanAction.objects.bulk_create([bilan for bilan in bilans if bilan is not None])
    return [
        collectif_vers_document(collectif, creneaux=liste, bilan=bilan)
        for collectif, liste, bilan in zip(collectifs, creneaux, bilans, strict=True)
    ]


def _deja_importe(reference: str | None) -> Dossier | None:
    """Le dossier déjà importé sous cette référence : une requête ``exists`` (la moins chère)
    dans le cas courant d'une référence nouvelle, le dossier n'est lu que s'il existe."""
    if reference and Dossier.objects.filter(reference=reference).exists():
        return Dossier.objects.get(reference=reference)
    return None


def importer_document(document: dict) -> ResultatImport:
    """Enregistre un document déjà validé, dans une transaction ; rien n'est écrit en cas d'erreur."""
    reference = document.get("reference")
    existant = _deja_importe(reference)
    if existant is not None:
        return ResultatImport("ignore", dossier=existant)
    code_departement = document["departement"]
    if not Departement.objects.filter(code=code_departement).exists():
        raise ErreurFormat(
            [f"departement : « {code_departement} » n'est pas un département connu du portail"]
        )
    avertissements = []
    if not reference:
        avertissements.append(
            "pas de « reference » : importer de nouveau ce fichier créerait un second dossier"
        )
    try:
        with transaction.atomic():
            porteur = _trouver_porteur(document, code_departement)
            champs = _champs_dossier(document)
            dossier = Dossier.objects.create(
                porteur=porteur,
                departement_id=code_departement,
                annee=int(document["annee_scolaire"][:4]),
                depose_le=timezone.now(),
                **champs,
            )
            collectifs = _creer_collectifs(dossier, document["collectifs"])
            # L'évaluation figée part des objets tout juste enregistrés : le même document que
            # dossier_vers_document relirait en base, sans le relire.
            entree = dossier_vers_document(dossier, avec_decision=False, collectifs=collectifs)
            figer_evaluation(dossier, Evaluation.Motif.IMPORT, document=entree)
    except IntegrityError as exc:
        existant = _deja_importe(reference)
        if existant is not None:
            # Un autre import concurrent vient d'enregistrer la même référence.
            return ResultatImport("ignore", dossier=existant)
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
