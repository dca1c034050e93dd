"""La vie d'un dossier : une table de transitions, le rôle autorisé pour chacune, un événement
écrit à chaque changement d'état.

    brouillon ─► déposé ─► en instruction ◄─► proposé au comité ─► accepté / refusé / sans suite
                   │            │   ▲        (reprendre l'instruction)          │
                   └────────────┴─► complément demandé                          │
                                (le porteur redépose)                           │
    réouverture par l'administrateur national ◄─────────────────────────────────┘

``confirmation_obligatoire`` : le formulaire de la page du dossier demande de cocher une case
de confirmation avant d'appliquer la transition (``forms_instruction.TransitionForm``) ; les
décisions ont la leur sur la page de décision.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.journal import consigner
from audit.models import Action
from clas_portal.taches import differer
from comptes.models import Role

from .models import ETATS_DECIDES, Dossier, Etat, Evaluation, Evenement

journal = logging.getLogger(__name__)

# Le dépôt et le redépôt envoient leurs propres courriels (avec l'accusé) : voir dossiers.depot.
TRANSITIONS_SANS_COURRIEL_GENERIQUE = {"deposer", "redeposer"}


@dataclass(frozen=True)
class Transition:
    nom: str
    depuis: tuple[str, ...]
    vers: str
    roles: tuple[str, ...]
    libelle: str
    motif_obligatoire: bool = False
    confirmation_obligatoire: bool = False


TRANSITIONS = (
    Transition("deposer", (Etat.BROUILLON,), Etat.DEPOSE, (Role.PORTEUR,), "Déposer le dossier"),
    Transition(
        "redeposer",
        (Etat.COMPLEMENT_DEMANDE,),
        Etat.EN_INSTRUCTION,
        (Role.PORTEUR,),
        "Redéposer le dossier complété",
    ),
    Transition(
        "instruire",
        (Etat.DEPOSE,),
        Etat.EN_INSTRUCTION,
        (Role.AGENT,),
        "Commencer l'instruction",
    ),
    Transition(
        "demander_complement",
        (Etat.DEPOSE, Etat.EN_INSTRUCTION),
        Etat.COMPLEMENT_DEMANDE,
        (Role.AGENT,),
        "Demander un complément au porteur",
        motif_obligatoire=True,
    ),
    Transition(
        "proposer_comite",
        (Etat.EN_INSTRUCTION,),
        Etat.PROPOSE_COMITE,
        (Role.AGENT,),
        "Proposer au comité",
        confirmation_obligatoire=True,
    ),
    Transition(
        "reprendre_instruction",
        (Etat.PROPOSE_COMITE,),
        Etat.EN_INSTRUCTION,
        (Role.AGENT,),
        "Reprendre l'instruction",
        motif_obligatoire=True,
    ),
    Transition(
        "accepter", (Etat.PROPOSE_COMITE,), Etat.ACCEPTE, (Role.AGENT,), "Accepter le dossier"
    ),
    Transition(
        "refuser",
        (Etat.PROPOSE_COMITE,),
        Etat.REFUSE,
        (Role.AGENT,),
        "Refuser le dossier",
        motif_obligatoire=True,
    ),
    Transition(
        "classer_sans_suite",
        (Etat.DEPOSE, Etat.EN_INSTRUCTION, Etat.COMPLEMENT_DEMANDE, Etat.PROPOSE_COMITE),
        Etat.SANS_SUITE,
        (Role.AGENT,),
        "Classer sans suite",
        motif_obligatoire=True,
    ),
    Transition(
        "rouvrir",
        (Etat.ACCEPTE, Etat.REFUSE, Etat.SANS_SUITE),
        Etat.EN_INSTRUCTION,
        (Role.ADMIN,),
        "Rouvrir le dossier",
        motif_obligatoire=True,
    ),
)
PAR_NOM = {t.nom: t for t in TRANSITIONS}


class TransitionRefusee(Exception):
    """Changement d'état interdit ; le message dit pourquoi, en français."""


def transitions_possibles(dossier: Dossier, user) -> list[Transition]:
    return [t for t in TRANSITIONS if dossier.etat in t.depuis and user.role in t.roles]


def verifier(dossier: Dossier, nom: str, user, motif: str = "") -> Transition:
    transition = PAR_NOM.get(nom)
    if transition is None:
        raise TransitionRefusee(f"L'action « {nom} » n'existe pas.")
    if user.role not in transition.roles:
        roles = ", ".join(Role(r).label for r in transition.roles)
        raise TransitionRefusee(f"« {transition.libelle} » est réservé au rôle : {roles}.")
    if dossier.etat not in transition.depuis:
        raise TransitionRefusee(
            f"« {transition.libelle} » est impossible : le dossier est « "
            f"{dossier.get_etat_display()} »."
        )
    if transition.motif_obligatoire and not motif.strip():
        raise TransitionRefusee(f"« {transition.libelle} » demande un motif écrit.")
    return transition


def appliquer(dossier: Dossier, nom: str, user, motif: str = "") -> Evenement:
    """Change l'état du dossier et écrit l'événement, dans une transaction.

    Le dossier est relu verrouillé (select_for_update) : deux actions simultanées ne peuvent pas
    partir du même état.
    """
    with transaction.atomic():
        verrouille = Dossier.objects.select_for_update().get(pk=dossier.pk)
        transition = verifier(verrouille, nom, user, motif)
        avant = verrouille.etat
        verrouille.etat = transition.vers
        champs = ["etat", "modifie_le"]
        if avant == Etat.BROUILLON:
            verrouille.depose_le = timezone.now()
            champs.append("depose_le")
        if transition.vers in ETATS_DECIDES:
            verrouille.date_decision = timezone.localdate()
            verrouille.motif_decision = motif.strip()
            champs += ["date_decision", "motif_decision"]
        if user.role != Role.PORTEUR:
            verrouille.version += 1
            champs.append("version")
        verrouille.save(update_fields=champs)
        if transition.vers in ETATS_DECIDES or nom == "proposer_comite":
            from .evaluation import figer_evaluation

            # Proposé au comité, le dossier est réévalué avec les paramètres de l'année tels
            # qu'ils sont alors (le prix plafond a pu être fixé après le dépôt) : l'ordre du
            # jour et ses totaux lisent cette évaluation, la dernière figée.
            figer_evaluation(
                verrouille,
                Evaluation.Motif.DECISION
                if transition.vers in ETATS_DECIDES
                else Evaluation.Motif.COMITE,
            )
        evenement = Evenement.objects.create(
            dossier=verrouille,
            type=Evenement.Type.DEPOT if nom == "deposer" else Evenement.Type.TRANSITION,
            auteur=user,
            etat_avant=avant,
            etat_apres=transition.vers,
            commentaire=motif.strip(),
        )
        consigner(
            Action.DECISION if transition.vers in ETATS_DECIDES else Action.CHANGEMENT_ETAT,
            objet=verrouille,
            utilisateur=user,
            details={"transition": nom, "avant": avant, "apres": transition.vers},
        )
        if nom not in TRANSITIONS_SANS_COURRIEL_GENERIQUE:
            # Boîte d'envoi : le courriel part après la validation, même si Redis est arrêté.
            differer("dossiers.envoyer_notification_transition", evenement.pk, transition.nom)
    for champ in ("etat", "depose_le", "date_decision", "motif_decision", "version"):
        setattr(dossier, champ, getattr(verrouille, champ))
    return evenement


def notifier_porteur(evenement_pk: int, nom_transition: str) -> None:
    """Le courriel que le porteur attend à chaque changement d'état décidé par la Caf.

    Corps de la tâche ``dossiers.envoyer_notification_transition`` (dans le worker) : relit
    l'événement et le dossier en base. Une erreur d'envoi remonte : la tâche est réessayée.
    """
    evenement = Evenement.objects.select_related("dossier__porteur", "dossier__departement").get(
        pk=evenement_pk
    )
    transition = PAR_NOM[nom_transition]
    dossier = evenement.dossier
    destinataires = list(
        dossier.porteur.utilisateurs.filter(is_active=True).values_list("email", flat=True)
    )
    if not destinataires:
        return
    contexte = {"dossier": dossier, "evenement": evenement, "transition": transition}
    sujet = f"Votre dossier Clas {dossier.annee_scolaire} : {Etat(evenement.etat_apres).label}"
    corps = render_to_string("dossiers/courriels/transition.txt", contexte)
    courriel = EmailMessage(sujet, corps, settings.DEFAULT_FROM_EMAIL, destinataires)
    if evenement.etat_apres in ETATS_DECIDES:
        # La lettre de décision jointe : le porteur l'a sans se connecter. Si le dossier a été
        # rouvert avant l'envoi, cette décision n'est plus la sienne : pas de lettre.
        from .lettre import evaluation_de_la_decision, lettre_de_decision, nom_fichier_lettre

        evaluation = evaluation_de_la_decision(dossier)
        if evaluation is not None and dossier.etat == evenement.etat_apres:
            courriel.attach(
                nom_fichier_lettre(dossier),
                lettre_de_decision(dossier, evaluation),
                "application/pdf",
            )
    courriel.send()
