"""Le dépôt d'un dossier par son porteur, et son renouvellement l'année suivante.

- ``blocages(dossier)`` : ce qui empêche le dépôt, chaque point avec le lien de l'étape qui le
  corrige. Seules les données absentes bloquent (critères ``manquant``, pièces obligatoires,
  budget, campagne) ; un critère ``non_conforme`` ne bloque pas : la Caf décide.
- ``deposer(dossier, auteur)`` : le dépôt, en une transaction (état, évaluation figée,
  événement, accusé de dépôt PDF) ; les courriels partent après la validation.
- ``renouveler(dossier, auteur)`` : un brouillon pour l'année scolaire suivante, prérempli.
- ``annoter_accueil`` / ``preparer_accueil`` : l'accueil du porteur (verdict, étape à compléter,
  prochaine action) sans requête par dossier.
"""

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone

from audit.journal import consigner
from audit.models import Action as ActionAudit
from clas_portal.taches import differer
from collectifs.models import Collectif, Creneau, Intervenant
from comptes.models import Role
from eligibility.criteres import format_date, format_euros
from porteurs.models import Porteur

from . import pdf, saisie, workflow
from .evaluation import evaluer_document, figer_evaluation
from .exportation import AXES, dossier_vers_document
from .models import (
    Campagne,
    Dossier,
    Etat,
    Evaluation,
    Evenement,
    LigneBudget,
    Message,
    PieceJustificative,
    libelle_annee,
)

logger = logging.getLogger(__name__)

# --- Les étapes de la saisie (définies par ``dossiers.saisie``) ------------------------------

RECAPITULATIF = saisie.RECAPITULATIF
ANCRE_ENGAGEMENTS = "engagements"
CHAMPS_ACTIONS = tuple(f"{axe}_{cle}" for axe, cles in AXES.items() for cle in cles)


def etapes() -> list[tuple[str, str]]:
    """(slug, titre) des 7 étapes, récapitulatif compris."""
    return [(e.slug, e.titre) for e in saisie.ETAPES] + [
        (RECAPITULATIF, saisie.TITRE_RECAPITULATIF)
    ]


def url_etape(dossier_pk: int, etape: str) -> str:
    """L'adresse d'une étape de la saisie (le récapitulatif est la dernière)."""
    if etape == RECAPITULATIF:
        return reverse("dossiers:recapitulatif", args=[dossier_pk])
    return reverse("dossiers:saisie", args=[dossier_pk, etape])


url_organisation = saisie.url_organisation


# --- Chargement ---------------------------------------------------------------------------------


# Les relations que lisent le récapitulatif, l'évaluation, les blocages et la complétude des
# étapes : préchargées, elles coûtent un nombre fixe de requêtes quel que soit le nombre de
# collectifs.
PRECHARGEMENT = (
    Prefetch(
        "collectifs",
        queryset=Collectif.objects.select_related("bilan")
        .prefetch_related("creneaux")
        .order_by("ordre", "pk"),
    ),
    Prefetch(
        "intervenants",
        queryset=Intervenant.objects.prefetch_related(
            Prefetch("collectifs", queryset=Collectif.objects.order_by("ordre", "pk"))
        ),
    ),
    Prefetch("lignes_budget", queryset=LigneBudget.objects.order_by("sens", "pk")),
    Prefetch("pieces", queryset=PieceJustificative.objects.order_by("type", "-deposee_le")),
    "porteur__pieces",
)


def avec_tout(queryset):
    """Le dossier et tout ce qu'on en lit au récapitulatif et au dépôt."""
    return queryset.select_related("porteur", "departement").prefetch_related(*PRECHARGEMENT)


# --- Budget et pièces (règles de ``dossiers.saisie``, partagées avec les étapes) -------------

budget_de = saisie.bilan_budget
pieces_manquantes = saisie.pieces_manquantes


# --- Campagne ----------------------------------------------------------------------------------


def campagne_de(departement_id: str, annee: int) -> Campagne | None:
    return Campagne.objects.filter(departement_id=departement_id, annee=annee).first()


# Ce qu'une campagne absente, close ou pas encore ouverte empêche : le dépôt, le renouvellement.
_CONSEQUENCES = {
    "depot": {
        "absente": "le dossier ne peut pas être déposé",
        "close": "le dossier ne peut plus être déposé",
        "future": "le dossier pourra être déposé à partir de cette date",
    },
    "renouvellement": {
        "absente": "le renouvellement n'est pas encore possible",
        "close": "le renouvellement n'est plus possible",
        "future": "le renouvellement sera possible à partir de cette date",
    },
}


def motif_campagne_fermee(
    departement, annee: int, campagne: Campagne | None, jour=None, *, pour: str = "depot"
) -> str | None:
    """Pourquoi on ne peut pas déposer (``pour="depot"``) ou renouveler (``"renouvellement"``)
    pour l'année ``annee`` du département aujourd'hui ; None si la campagne est ouverte."""
    jour = jour or timezone.localdate()
    consequences = _CONSEQUENCES[pour]
    annee_scolaire = libelle_annee(annee)
    if campagne is None:
        return (
            f"Aucune campagne de dépôt n'est prévue pour l'année scolaire {annee_scolaire} dans "
            f"le département {departement} : {consequences['absente']}."
        )
    if jour > campagne.cloture:
        return (
            f"La campagne de dépôt {annee_scolaire} du département {departement} a fermé le "
            f"{format_date(campagne.cloture)} : {consequences['close']}."
        )
    if jour < campagne.ouverture:
        return (
            f"La campagne de dépôt {annee_scolaire} du département {departement} ouvrira le "
            f"{format_date(campagne.ouverture)} : {consequences['future']}."
        )
    return None


# --- Blocages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocage:
    """Une raison qui empêche le dépôt, et où la corriger (``url`` vide : rien à corriger ici)."""

    message: str
    url: str = ""
    lieu: str = ""  # libellé de l'endroit où corriger, pour le texte du lien

    @property
    def libelle_lien(self) -> str:
        return f"Corriger : {self.lieu}" if self.lieu else "Corriger"


def blocages(dossier: Dossier, evaluation: dict | None = None, *, jour=None) -> list[Blocage]:
    """Tout ce qui empêche de déposer ``dossier`` (chargé par ``avec_tout`` de préférence).

    - chaque critère ``manquant`` du dossier et de ses collectifs, avec le lien du champ qui le
      corrige (``saisie.liens_a_completer``, la même liste que le panneau d'éligibilité) ;
    - aucun collectif ; un budget sans dépense, sans montant demandé ou non équilibré ;
    - une pièce obligatoire absente (du dossier, ou de l'organisation) ;
    - au premier dépôt seulement, une campagne fermée : un complément demandé par la Caf se
      redépose même après la clôture.

    Un critère ``non_conforme`` ne bloque pas : la Caf décide. ``evaluation`` : l'évaluation
    courante si l'appelant l'a déjà (sinon calculée).
    """
    if evaluation is None:
        evaluation = evaluer_document(dossier_vers_document(dossier, avec_decision=False))
    resultat = []
    for lien in saisie.liens_a_completer(dossier, evaluation):
        url = lien.url or ""
        if lien.etape == RECAPITULATIF and "#" not in url:
            url = reverse("dossiers:recapitulatif", args=[dossier.pk]) + f"#{ANCRE_ENGAGEMENTS}"
        message = f"{lien.collectif} : {lien.message}" if lien.collectif else lien.message
        lieu = (
            "engagements de la charte"
            if lien.etape == RECAPITULATIF
            else f"{lien.titre_etape}{f', {lien.collectif}' if lien.collectif else ''}"
        )
        resultat.append(Blocage(message, url, lieu))
    if not evaluation["collectifs"]:
        resultat.append(_blocage_etape(dossier, AUCUN_COLLECTIF, "collectifs"))

    budget = budget_de(dossier)
    if budget.nombre_depenses == 0:
        resultat.append(
            _blocage_etape(dossier, "Le budget prévisionnel ne comporte aucune dépense.", "budget")
        )
    if budget.montant_demande is None:
        resultat.append(
            _blocage_etape(dossier, "Le montant demandé à la Caf n'est pas indiqué.", "budget")
        )
    elif budget.ecart:
        resultat.append(
            _blocage_etape(
                dossier,
                "Le budget n'est pas équilibré : les dépenses "
                f"({format_euros(budget.total_depenses)}) doivent être égales aux autres "
                f"recettes ({format_euros(budget.total_recettes)}) plus le montant demandé à la "
                f"Caf ({format_euros(budget.montant_demande)}) ; l'écart est de "
                f"{format_euros(budget.ecart_absolu)}.",
                "budget",
            )
        )

    manquantes = pieces_manquantes(dossier)
    for libelle in manquantes.du_dossier:
        resultat.append(_blocage_etape(dossier, f"Pièce manquante : {libelle}.", "pieces"))
    for libelle in manquantes.permanentes:
        resultat.append(
            Blocage(
                f"Pièce de l'organisation manquante : {libelle}.",
                url_organisation(dossier.porteur_id),
                "page de l'organisation",
            )
        )

    if dossier.etat == Etat.BROUILLON:
        campagne = campagne_de(dossier.departement_id, dossier.annee)
        motif = motif_campagne_fermee(dossier.departement, dossier.annee, campagne, jour)
        if motif:
            resultat.append(Blocage(motif))
    return resultat


AUCUN_COLLECTIF = "Le dossier ne décrit aucun collectif d'enfants : ajoutez-en au moins un."


def _blocage_etape(dossier: Dossier, message: str, etape: str) -> Blocage:
    return Blocage(message, url_etape(dossier.pk, etape), saisie.titre_etape(etape))


# --- Dépôt -------------------------------------------------------------------------------------


class DepotRefuse(Exception):
    """Le dépôt n'est pas possible (état, blocages) ; rien n'a été écrit."""

    def __init__(self, message: str, blocages: list[Blocage] | None = None):
        super().__init__(message)
        self.message = message
        self.blocages = blocages or []


class DepotImpossible(Exception):
    """Une erreur technique a empêché le dépôt (accusé non produit) ; rien n'a été écrit."""


@dataclass
class Depot:
    dossier: Dossier
    evenement: Evenement
    evaluation: Evaluation
    accuse: bytes
    redepot: bool = False


def deposer(dossier: Dossier, auteur, *, site: str = "") -> Depot:
    """Dépose ``dossier`` (brouillon → déposé ; complément demandé → en instruction).

    Une seule transaction, la ligne du dossier verrouillée (un double envoi attend puis est
    refusé) : blocages revérifiés, état et date de dépôt, évaluation figée, événement, accusé de
    dépôt PDF. Si l'accusé ne peut pas être produit, tout est annulé : le dossier reste tel
    quel. Les courriels (porteur avec l'accusé en pièce jointe, agents du département) partent
    après la validation. ``site`` : l'adresse du portail pour les liens des courriels.
    """
    try:
        with transaction.atomic():
            verrouille = avec_tout(
                Dossier.objects.select_for_update(of=("self",)).filter(pk=dossier.pk)
            ).get()
            if verrouille.etat not in (Etat.BROUILLON, Etat.COMPLEMENT_DEMANDE):
                depose_le = timezone.localtime(verrouille.depose_le)
                raise DepotRefuse(
                    f"Ce dossier a déjà été déposé le {format_date(depose_le.date())} à "
                    f"{depose_le:%H:%M} ; il est maintenant « {verrouille.get_etat_display()} »."
                )
            document = dossier_vers_document(verrouille, avec_decision=False)
            resultat = evaluer_document(document)
            obstacles = blocages(verrouille, resultat)
            if obstacles:
                raise DepotRefuse(
                    "Le dossier ne peut pas encore être déposé : corrigez les points listés.",
                    obstacles,
                )
            redepot = verrouille.etat == Etat.COMPLEMENT_DEMANDE
            # L'évaluation est figée avant l'événement : l'accusé les apparie par leur date.
            evaluation = figer_evaluation(verrouille, Evaluation.Motif.DEPOT, document=document)
            nom = auteur.get_full_name()
            try:
                # Le changement d'état passe par la table des transitions (rôle, état de départ)
                # et écrit l'événement : « deposer » (DEPOT) ou « redeposer » (TRANSITION).
                evenement = workflow.appliquer(
                    verrouille,
                    "redeposer" if redepot else "deposer",
                    auteur,
                    f"Dossier complété et redéposé par {nom}, à la demande de la Caf."
                    if redepot
                    else f"Dossier déposé en ligne par {nom}.",
                )
            except workflow.TransitionRefusee as refus:
                raise DepotRefuse(str(refus)) from refus
            try:
                accuse = pdf.accuse_de_depot(verrouille.pk, evenement, evaluation)
            except Exception as exc:
                logger.exception("Accusé de dépôt impossible pour le dossier %s", dossier.pk)
                raise DepotImpossible(
                    "L'accusé de dépôt n'a pas pu être produit : le dépôt est annulé et votre "
                    "dossier n'a pas changé. Réessayez dans quelques minutes ; si le problème "
                    "persiste, contactez votre Caf."
                ) from exc
            # Boîte d'envoi : les courriels partent après la validation, même si Redis est
            # arrêté à cet instant (le relais les publie à son retour).
            differer("dossiers.envoyer_accuse_depot", verrouille.pk, evenement.pk, site)
            differer("dossiers.envoyer_notification_depot", verrouille.pk, evenement.pk, site)
    except Dossier.DoesNotExist as exc:  # supprimé entre-temps
        raise DepotRefuse("Ce dossier n'existe plus.") from exc
    return Depot(verrouille, evenement, evaluation, accuse, redepot)


# Un dépôt : le premier (événement DEPOT) ou un redépôt après complément (transition).
Q_DEPOT = Q(type=Evenement.Type.DEPOT) | Q(
    type=Evenement.Type.TRANSITION,
    etat_avant=Etat.COMPLEMENT_DEMANDE,
    etat_apres=Etat.EN_INSTRUCTION,
)


def evenement_depot(dossier: Dossier) -> Evenement | None:
    """Le dernier dépôt du dossier (son accusé est celui que l'on télécharge)."""
    return (
        dossier.evenements.filter(Q_DEPOT)
        .select_related("auteur")
        .order_by("-cree_le", "-pk")
        .first()
    )


def evaluation_du_depot(evenement: Evenement) -> Evaluation | None:
    """L'évaluation figée lors de ce dépôt (écrite juste avant l'événement, même transaction)."""
    return (
        Evaluation.objects.filter(
            dossier_id=evenement.dossier_id,
            motif=Evaluation.Motif.DEPOT,
            cree_le__lte=evenement.cree_le,
        )
        .order_by("-cree_le", "-pk")
        .first()
    )


# --- Renouvellement ----------------------------------------------------------------------------

# Ce que le renouvellement reprend du dossier précédent. Liste blanche : un champ ajouté plus
# tard (décision, engagement…) n'est pas recopié par mégarde.
CHAMPS_DOSSIER_REPRIS = (
    "intitule",
    "reperage_concerte_ecole",
    "aide_aux_devoirs_exclusive",
    "diagnostic",
    "coherence_sdsf",
    "coordinateur_nom",
    "coordinateur_niveau_diplome",
    "coordinateur_experience_animation_education",
    *CHAMPS_ACTIONS,
)
# Du collectif, tout sauf les dates (à fixer pour la nouvelle année).
CHAMPS_COLLECTIF_NON_REPRIS = {"id", "dossier", "date_debut", "date_fin"}


class RenouvellementRefuse(Exception):
    def __init__(self, message: str, existant: Dossier | None = None):
        super().__init__(message)
        self.message = message
        self.existant = existant


@dataclass
class Renouvellement:
    """Peut-on renouveler ce dossier pour l'année suivante, et sinon pourquoi ?"""

    annee: int
    campagne: Campagne | None = None
    existant: Dossier | None = None
    motif: str = ""
    possible: bool = field(default=False)

    @property
    def annee_scolaire(self) -> str:
        return libelle_annee(self.annee)


def renouvellement_pour(dossier: Dossier, jour=None) -> Renouvellement:
    """Ce que le bouton « Renouveler pour l'année suivante » ferait (2 requêtes)."""
    suivante = Renouvellement(annee=dossier.annee + 1)
    if dossier.est_brouillon:
        suivante.motif = "Un brouillon ne se renouvelle pas : déposez-le d'abord."
        return suivante
    suivante.existant = (
        Dossier.objects.filter(
            porteur_id=dossier.porteur_id,
            departement_id=dossier.departement_id,
            annee=suivante.annee,
        )
        .order_by("pk")
        .first()
    )
    if suivante.existant is not None:
        suivante.motif = (
            f"Votre organisation a déjà un dossier pour l'année scolaire "
            f"{suivante.annee_scolaire} dans ce département."
        )
        return suivante
    suivante.campagne = campagne_de(dossier.departement_id, suivante.annee)
    motif = motif_campagne_fermee(
        dossier.departement, suivante.annee, suivante.campagne, jour, pour="renouvellement"
    )
    if motif:
        suivante.motif = motif
        return suivante
    suivante.possible = True
    return suivante


def renouveler(dossier: Dossier, auteur) -> Dossier:
    """Crée le brouillon de l'année suivante, prérempli depuis ``dossier``, en une transaction.

    Repris : le projet, les 14 actions, le coordinateur, les collectifs (sans leurs dates) avec
    leurs créneaux, les intervenants et les collectifs qu'ils animent, les lignes du budget.
    Non repris : les pièces, les dates, les engagements de la charte, le montant demandé (le
    porteur revoit son budget pour la nouvelle année), la décision.
    """
    with transaction.atomic():
        # Verrou sur l'organisation : deux renouvellements simultanés ne créent pas deux dossiers.
        Porteur.objects.select_for_update().filter(pk=dossier.porteur_id).get()
        suivante = renouvellement_pour(dossier)
        if not suivante.possible:
            raise RenouvellementRefuse(suivante.motif, suivante.existant)

        nouveau = Dossier.objects.create(
            porteur_id=dossier.porteur_id,
            departement_id=dossier.departement_id,
            annee=suivante.annee,
            etat=Etat.BROUILLON,
            renouvellement=True,
            origine=dossier,
            **{champ: getattr(dossier, champ) for champ in CHAMPS_DOSSIER_REPRIS},
        )

        anciens = list(
            dossier.collectifs.order_by("ordre", "pk").prefetch_related(
                Prefetch("creneaux", queryset=Creneau.objects.order_by("pk"))
            )
        )
        champs_collectif = [
            f.attname
            for f in Collectif._meta.concrete_fields
            if f.name not in CHAMPS_COLLECTIF_NON_REPRIS
        ]
        nouveaux = Collectif.objects.bulk_create(
            [
                Collectif(dossier=nouveau, **{c: getattr(ancien, c) for c in champs_collectif})
                for ancien in anciens
            ]
        )
        correspondance = {
            ancien.pk: neuf.pk for ancien, neuf in zip(anciens, nouveaux, strict=True)
        }
        Creneau.objects.bulk_create(
            [
                Creneau(
                    collectif_id=correspondance[ancien.pk],
                    jour=c.jour,
                    debut=c.debut,
                    duree_minutes=c.duree_minutes,
                )
                for ancien in anciens
                for c in ancien.creneaux.all()
            ]
        )

        intervenants = list(
            dossier.intervenants.order_by("pk").prefetch_related(
                Prefetch("collectifs", queryset=Collectif.objects.only("pk"))
            )
        )
        copies = Intervenant.objects.bulk_create(
            [
                Intervenant(
                    dossier=nouveau,
                    nom=i.nom,
                    statut=i.statut,
                    fonction=i.fonction,
                    niveau_diplome=i.niveau_diplome,
                    diplome_justifie_le=i.diplome_justifie_le,
                )
                for i in intervenants
            ]
        )
        Lien = Intervenant.collectifs.through
        Lien.objects.bulk_create(
            [
                Lien(intervenant_id=copie.pk, collectif_id=correspondance[c.pk])
                for ancien, copie in zip(intervenants, copies, strict=True)
                for c in ancien.collectifs.all()
                if c.pk in correspondance
            ]
        )

        LigneBudget.objects.bulk_create(
            [
                LigneBudget(
                    dossier=nouveau,
                    sens=ligne.sens,
                    categorie=ligne.categorie,
                    libelle=ligne.libelle,
                    montant=ligne.montant,
                )
                for ligne in dossier.lignes_budget.order_by("sens", "pk")
            ]
        )

        Evenement.objects.create(
            dossier=nouveau,
            type=Evenement.Type.RENOUVELLEMENT,
            auteur=auteur,
            etat_apres=Etat.BROUILLON,
            commentaire=(
                f"Renouvellement du dossier n° {dossier.pk} ({dossier.annee_scolaire}) : "
                "projet, actions, collectifs, créneaux, équipe et lignes du budget repris ; "
                "dates, pièces, engagements et montant demandé à renseigner."
            ),
        )
    return nouveau


# --- Suppression d'un brouillon ----------------------------------------------------------------


class SuppressionRefusee(Exception):
    """Le dossier n'est plus un brouillon (déposé entre-temps) : rien n'a été supprimé."""


def supprimer_brouillon(dossier: Dossier, auteur) -> None:
    """Supprime le brouillon ``dossier`` et tout ce qui s'y rattache, en une transaction.

    La ligne est verrouillée et l'état revérifié : un dépôt fait dans un autre onglet l'emporte
    (``SuppressionRefusee``). Les collectifs, créneaux, intervenants, lignes du budget, pièces,
    évaluations et l'historique partent avec le dossier (suppression en cascade) ; les fichiers
    des pièces sont effacés du stockage après la validation. Le journal d'audit garde la trace.
    """
    with transaction.atomic():
        verrouille = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("porteur", "departement")
            .filter(pk=dossier.pk, etat=Etat.BROUILLON)
            .first()
        )
        if verrouille is None:
            raise SuppressionRefusee(
                "Ce dossier n'est plus un brouillon : il a été déposé et ne peut plus être "
                "supprimé."
            )
        fichiers = [
            (p.fichier.storage, p.fichier.name)
            for p in PieceJustificative.objects.filter(dossier=verrouille)
            if p.fichier
        ]
        consigner(
            ActionAudit.SUPPRESSION_BROUILLON,
            objet=verrouille,
            utilisateur=auteur,
            details={
                "organisation": verrouille.porteur.raison_sociale,
                "annee": verrouille.annee_scolaire,
                "intitule": verrouille.intitule,
                "collectifs": verrouille.collectifs.count(),
                "pieces": len(fichiers),
            },
        )
        verrouille.delete()
        for stockage, nom in fichiers:
            transaction.on_commit(lambda s=stockage, n=nom: s.delete(n))


# --- Accueil du porteur ------------------------------------------------------------------------


def annoter_accueil(queryset):
    """Ajoute à chaque dossier ce que l'accueil affiche, dans la même requête.

    ``verdict_fige`` / ``ps_figee`` : la dernière évaluation figée (pas d'évaluation calculée
    par ligne) ; ``a_depot`` : un dépôt a été enregistré (accusé téléchargeable) ;
    ``dernier_message_le`` / ``dernier_message_role`` : la date et le rôle de l'auteur du dernier
    message du fil (rôle vide si son compte a été supprimé).
    """
    derniere = Evaluation.objects.filter(dossier=OuterRef("pk")).order_by("-cree_le", "-pk")
    dernier_message = Message.objects.filter(dossier=OuterRef("pk")).order_by("-cree_le", "-pk")
    return queryset.annotate(
        verdict_fige=Subquery(derniere.values("verdict")[:1]),
        ps_figee=Subquery(derniere.values("montant_ps_total")[:1]),
        a_depot=Exists(Evenement.objects.filter(dossier=OuterRef("pk"), type=Evenement.Type.DEPOT)),
        dernier_message_le=Subquery(dernier_message.values("cree_le")[:1]),
        dernier_message_role=Subquery(dernier_message.values("auteur__role")[:1]),
    )


def attend_reponse(dossier: Dossier) -> bool:
    """Le dernier message du fil vient de la Caf (agent, secrétariat ou administration) et le
    porteur n'y a pas encore répondu (dossier annoté par ``annoter_accueil``)."""
    role = getattr(dossier, "dernier_message_role", None)
    return bool(dossier.dernier_message_le and role and role != Role.PORTEUR)


CHAMPS_ENGAGEMENTS = (
    "charte_laicite_neutralite",
    "charte_participation_familles_euros",
    "engagement_bilan",
)


def etapes_remplies(dossier: Dossier) -> dict[str, bool]:
    """Les étapes de ``saisie.etapes_completes`` (relations préchargées), plus le récapitulatif :
    rempli quand les trois engagements sont renseignés."""
    remplies = dict(saisie.etapes_completes(dossier))
    remplies[RECAPITULATIF] = all(getattr(dossier, c) is not None for c in CHAMPS_ENGAGEMENTS)
    return remplies


@dataclass
class Action:
    """Une action proposée au porteur sur un dossier."""

    libelle: str
    url: str = ""
    post: bool = False  # bouton de formulaire (POST) plutôt que lien
    principale: bool = True


@dataclass
class Situation:
    """Ce que l'accueil affiche pour un dossier."""

    verdict: str | None = None
    ps: Decimal | None = None
    etapes_faites: int = 0
    etape_suivante: str = ""
    note: str = ""
    actions: list[Action] = field(default_factory=list)
    # La Caf a écrit en dernier : la date de son message et le lien pour lui répondre.
    message_caf_le: date | None = None
    url_messages: str = ""


ETATS_EN_INSTRUCTION = (Etat.DEPOSE, Etat.EN_INSTRUCTION, Etat.PROPOSE_COMITE)


def preparer_accueil(dossiers, utilisateur, jour=None) -> dict:
    """Pose ``dossier.situation`` sur chaque dossier (annotés par ``annoter_accueil``) et rend
    le contexte commun de l'accueil.

    Un nombre fixe de requêtes, quel que soit le nombre de dossiers : les campagnes, les
    dossiers existants (renouvellement déjà fait ?), les relations des brouillons préchargées
    d'un coup pour situer chacun dans ses étapes sans l'évaluer.
    """
    jour = jour or timezone.localdate()
    dossiers = list(dossiers)
    brouillons = [d for d in dossiers if d.est_brouillon]
    prefetch_related_objects(brouillons, *PRECHARGEMENT)
    departements = {d.departement_id for d in dossiers}
    campagnes = {
        (c.departement_id, c.annee): c
        for c in Campagne.objects.filter(departement_id__in=departements)
    }
    existants = set(
        Dossier.objects.visible_to(utilisateur).values_list("porteur_id", "departement_id", "annee")
    )
    titres = dict(etapes())
    for dossier in dossiers:
        situation = Situation()
        dossier.situation = situation
        if dossier.verdict_fige and not dossier.est_brouillon:
            situation.verdict = dossier.verdict_fige
            situation.ps = dossier.ps_figee
        if dossier.est_brouillon:
            remplies = etapes_remplies(dossier)
            situation.etapes_faites = sum(remplies.values())
            suivante = next((e for e, ok in remplies.items() if not ok), RECAPITULATIF)
            situation.etape_suivante = titres[suivante]
            campagne = campagnes.get((dossier.departement_id, dossier.annee))
            fermee = motif_campagne_fermee(dossier.departement, dossier.annee, campagne, jour)
            if fermee:
                situation.note = fermee
                situation.actions.append(
                    Action("Ouvrir le brouillon", url_etape(dossier.pk, suivante), principale=False)
                )
            else:
                situation.actions.append(
                    Action("Compléter et déposer", url_etape(dossier.pk, suivante))
                )
        elif dossier.etat == Etat.COMPLEMENT_DEMANDE:
            situation.note = "La Caf attend un complément de votre part."
            situation.actions.append(
                Action(
                    "Répondre à la demande de la Caf",
                    reverse("dossiers:detail", args=[dossier.pk]) + "#complement",
                )
            )
        elif dossier.etat in ETATS_EN_INSTRUCTION:
            if not attend_reponse(dossier):
                situation.note = "Rien à faire : la Caf instruit le dossier."
        elif dossier.etat == Etat.ACCEPTE:
            situation.actions.append(
                Action(
                    "Suivre l'activité de l'année",
                    reverse("seances:activite", args=[dossier.pk]),
                )
            )
            suivante = dossier.annee + 1
            campagne = campagnes.get((dossier.departement_id, suivante))
            deja = (dossier.porteur_id, dossier.departement_id, suivante) in existants
            if deja:
                situation.note = f"Le dossier {libelle_annee(suivante)} est déjà créé."
            elif campagne is not None and campagne.est_ouverte(jour):
                situation.actions.append(
                    Action(
                        "Renouveler pour l'année suivante",
                        reverse("dossiers:renouveler", args=[dossier.pk]),
                        post=True,
                    )
                )
        else:
            situation.note = "Dossier clos."
        # Un complément demandé a déjà son action « Répondre à la demande de la Caf ».
        if dossier.etat != Etat.COMPLEMENT_DEMANDE and attend_reponse(dossier):
            situation.message_caf_le = timezone.localtime(dossier.dernier_message_le).date()
            situation.url_messages = reverse("dossiers:detail", args=[dossier.pk]) + "#messages"
        if dossier.a_depot:
            situation.actions.append(
                Action(
                    "Télécharger l'accusé de dépôt",
                    reverse("dossiers:accuse", args=[dossier.pk]),
                    principale=False,
                )
            )
    ouvertes = list(
        Campagne.objects.ouvertes(jour)
        .filter(departement__porteurs__membres__utilisateur=utilisateur)
        .select_related("departement")
        .distinct()
        .order_by("annee", "departement_id")
    )
    return {"campagnes_ouvertes": ouvertes, "nb_etapes": len(etapes())}
