"""La décision sur un dossier : accepter avec des montants, refuser, classer sans suite.

Règles (``spec/regles.md``, « Amount of the prestation de service ») :

- le montant accordé à chaque collectif est une décision, distincte de la PS calculée ; par
  défaut, il vaut la PS calculée par l'évaluation courante (0,00 € pour un collectif non
  éligible) ;
- accorder plus que la PS calculée, ou un montant quelconque quand elle n'est pas calculable,
  demande une justification écrite ;
- un refus ou un classement sans suite demande une motivation, proposée à partir des critères
  non conformes et de leurs messages.

Le changement d'état passe toujours par ``workflow.appliquer`` ; ce module enregistre les
montants dans la même transaction, si bien qu'un changement refusé n'écrit aucun montant.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.journal import consigner
from audit.models import Action
from collectifs.models import Collectif

from . import workflow
from .evaluation import evaluer_dossier
from .models import Dossier, Evenement

ACCEPTER = "accepter"
REFUSER = "refuser"
CLASSER_SANS_SUITE = "classer_sans_suite"
DECISIONS = (ACCEPTER, REFUSER, CLASSER_SANS_SUITE)
NON_ELIGIBLE = "non_eligible"
NON_CONFORME = "non_conforme"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class ConflitVersion(Exception):
    """Le dossier a changé depuis l'ouverture du formulaire : rien n'est enregistré."""

    def __init__(self, message: str, dossier: Dossier):
        super().__init__(message)
        self.message = message
        self.dossier = dossier


class DepassementNonJustifie(Exception):
    """Un montant dépasse la PS calculée (ou elle est inconnue) et rien ne le justifie."""

    def __init__(self, lignes: list["LigneMontant"]):
        self.lignes = lignes
        super().__init__(message_depassement(lignes))


class CollectifsModifies(Exception):
    """Les collectifs du dossier ne sont plus ceux du formulaire."""


def decisions_possibles(dossier: Dossier, user) -> list[workflow.Transition]:
    """Les décisions que cet utilisateur peut prendre sur ce dossier maintenant."""
    return [t for t in workflow.transitions_possibles(dossier, user) if t.nom in DECISIONS]


@dataclass
class LigneMontant:
    """Un collectif, ce que l'évaluation courante calcule pour lui, et le montant proposé."""

    collectif: Collectif
    index: int
    verdict: str
    montant_ps: Decimal | None

    @property
    def nom(self) -> str:
        return str(self.collectif)

    @property
    def non_eligible(self) -> bool:
        return self.verdict == NON_ELIGIBLE

    @property
    def montant_propose(self) -> Decimal | None:
        """La PS calculée ; None quand elle n'est pas calculable (l'agent la saisit)."""
        if self.non_eligible:
            return ZERO
        return self.montant_ps

    def depasse(self, montant: Decimal | None) -> bool:
        """Ce montant demande-t-il une justification ?"""
        if montant is None or montant <= 0:
            return False
        return self.montant_ps is None or montant > self.montant_ps


def lignes_montants(dossier: Dossier, evaluation: dict | None = None) -> list[LigneMontant]:
    """Chaque collectif du dossier avec sa PS calculée par l'évaluation courante.

    Les collectifs sont dans l'ordre du document évalué (``ordre``, puis ``pk``) : le ``index``
    du résultat désigne le même collectif.
    """
    if evaluation is None:
        evaluation = evaluer_dossier(dossier)
    collectifs = list(dossier.collectifs.all())  # ordre, pk : préchargés s'ils le sont
    evalues = evaluation.get("collectifs") or []
    lignes = []
    for index, collectif in enumerate(collectifs):
        evalue = evalues[index] if index < len(evalues) else {}
        montant = evalue.get("montant_ps")
        lignes.append(
            LigneMontant(
                collectif=collectif,
                index=index,
                verdict=evalue.get("verdict", ""),
                montant_ps=Decimal(montant) if montant is not None else None,
            )
        )
    return lignes


def depassements(lignes: list[LigneMontant], montants: dict[int, Decimal]) -> list[LigneMontant]:
    """Les collectifs dont le montant saisi dépasse la PS calculée (ou elle est inconnue)."""
    return [ligne for ligne in lignes if ligne.depasse(montants.get(ligne.collectif.pk))]


def message_depassement(lignes: list[LigneMontant]) -> str:
    """« Justifiez … : le montant accordé à « A » dépasse la PS calculée (1 625,00 €). »"""
    from eligibility.templatetags.referentiel import euros

    details = []
    for ligne in lignes:
        if ligne.montant_ps is None:
            details.append(f"« {ligne.nom} » (PS non calculable)")
        else:
            details.append(f"« {ligne.nom} » (PS calculée : {euros(ligne.montant_ps)})")
    pluriel = len(lignes) > 1
    return (
        "Une justification écrite est obligatoire : le montant accordé "
        f"{'aux collectifs' if pluriel else 'au collectif'} {', '.join(details)} "
        f"{'dépassent' if pluriel else 'dépasse'} la PS calculée."
    )


def motivation_proposee(evaluation: dict, lignes: list[LigneMontant] | None = None) -> str:
    """Le texte proposé pour un refus ou un classement sans suite : les critères non conformes.

    Une ligne par critère, avec son message : d'abord ceux du dossier, puis ceux de chaque
    collectif, nommé entre parenthèses (« COLLECTIF-TAILLE (CM1-CM2) : Le collectif compte… »).
    Vide quand aucun critère n'est non conforme : l'agent écrit alors le motif lui-même.
    """
    noms = {ligne.index: ligne.nom for ligne in lignes or []}
    items = [
        f"- {c['code']} : {c['message']}"
        for c in evaluation.get("criteres") or []
        if c.get("statut") == NON_CONFORME
    ]
    for index, evalue in enumerate(evaluation.get("collectifs") or []):
        nom = noms.get(index) or evalue.get("nom") or f"Collectif {index + 1}"
        items += [
            f"- {c['code']} ({nom}) : {c['message']}"
            for c in evalue.get("criteres") or []
            if c.get("statut") == NON_CONFORME
        ]
    if not items:
        return ""
    entete = (
        "Le dossier ne satisfait pas le critère suivant du référentiel national Clas :"
        if len(items) == 1
        else "Le dossier ne satisfait pas les critères suivants du référentiel national Clas :"
    )
    return "\n".join([entete, *items])


def description_changement(dossier: Dossier) -> str:
    """Ce qui a changé, pour le message de conflit : l'état actuel et le dernier événement."""
    texte = f"Il est maintenant « {dossier.get_etat_display()} »"
    dernier = (
        Evenement.objects.filter(dossier=dossier)
        .select_related("auteur")
        .order_by("-cree_le", "-pk")
        .first()
    )
    if dernier is not None:
        quand = timezone.localtime(dernier.cree_le)
        qui = dernier.auteur.get_full_name() if dernier.auteur else "le système"
        texte += (
            f" ; dernière action : {dernier.get_type_display()}"
            f"{' (' + dernier.get_etat_apres_display() + ')' if dernier.etat_apres else ''}"
            f", par {qui}, le {quand:%d/%m/%Y à %H:%M}"
        )
    return texte + "."


def decider(
    dossier: Dossier,
    user,
    decision: str,
    *,
    version: int,
    montants: dict[int, Decimal] | None = None,
    motif: str = "",
    justification: str = "",
) -> Evenement:
    """Enregistre la décision et ses montants, puis change l'état, en UNE transaction.

    ``montants`` : le montant accordé à chaque collectif (par ``pk``), pour « accepter ».
    Lève ``ConflitVersion`` si le dossier a changé depuis ``version``,
    ``DepassementNonJustifie``, ``CollectifsModifies``, ou ``workflow.TransitionRefusee``
    (rôle, état, motif) : dans tous les cas, rien n'est enregistré.
    """
    if decision not in DECISIONS:
        raise workflow.TransitionRefusee(f"« {decision} » n'est pas une décision.")
    with transaction.atomic():
        verrouille = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if verrouille.version != version:
            raise ConflitVersion(
                "Le dossier a été modifié depuis l'ouverture de ce formulaire : votre décision "
                "n'a pas été enregistrée. " + description_changement(verrouille),
                verrouille,
            )
        justification = justification.strip()
        montant_avant = verrouille.montant_accorde
        if decision == ACCEPTER:
            montants = {pk: m.quantize(CENT) for pk, m in (montants or {}).items()}
            lignes = lignes_montants(verrouille)
            if {ligne.collectif.pk for ligne in lignes} != set(montants):
                raise CollectifsModifies(
                    "Les collectifs du dossier ont changé depuis l'ouverture de ce formulaire : "
                    "rechargez la page."
                )
            a_justifier = depassements(lignes, montants)
            if a_justifier and not justification:
                raise DepassementNonJustifie(a_justifier)
            collectifs = []
            for ligne in lignes:
                ligne.collectif.montant_accorde = montants[ligne.collectif.pk]
                collectifs.append(ligne.collectif)
            Collectif.objects.bulk_update(collectifs, ["montant_accorde"])
            verrouille.montant_accorde = sum(montants.values(), ZERO)
            verrouille.justification_depassement = justification
        else:
            Collectif.objects.filter(dossier=verrouille).update(montant_accorde=None)
            verrouille.montant_accorde = None
            verrouille.justification_depassement = ""
        if verrouille.montant_accorde != montant_avant:
            consigner(
                Action.MONTANT,
                objet=verrouille,
                utilisateur=user,
                details={
                    "avant": None if montant_avant is None else str(montant_avant),
                    "apres": None
                    if verrouille.montant_accorde is None
                    else str(verrouille.montant_accorde),
                },
            )
        verrouille.save(
            update_fields=["montant_accorde", "justification_depassement", "modifie_le"]
        )
        # Vérifie rôle, état et motif ; en cas de refus, l'exception annule aussi les montants.
        evenement = workflow.appliquer(verrouille, decision, user, motif)
    for champ in (
        "etat",
        "version",
        "date_decision",
        "motif_decision",
        "montant_accorde",
        "justification_depassement",
    ):
        setattr(dossier, champ, getattr(verrouille, champ))
    return evenement
