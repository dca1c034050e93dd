"""La table des transitions, exhaustivement : chaque état × chaque rôle × chaque action.

Les attentes viennent d'une table écrite ici, à la main, d'après l'issue 5 et spec/regles.md —
pas de ``workflow.TRANSITIONS`` : si la table du code change, ce test doit changer avec elle,
en connaissance de cause.
"""

import itertools

import pytest

from dossiers import workflow
from dossiers.models import Dossier, Etat, Evenement
from tests.factories import DossierFactory, MembreFactory, UtilisateurFactory

pytestmark = pytest.mark.django_db

ETATS = [
    "brouillon",
    "depose",
    "en_instruction",
    "complement_demande",
    "propose_comite",
    "accepte",
    "refuse",
    "sans_suite",
]
ROLES = ["porteur", "agent", "secretariat", "admin"]
ACTIONS = [
    "deposer",
    "redeposer",
    "instruire",
    "demander_complement",
    "proposer_comite",
    "reprendre_instruction",
    "accepter",
    "refuser",
    "classer_sans_suite",
    "rouvrir",
]

# (état de départ, rôle, action) → état d'arrivée. Toute autre combinaison est refusée.
AUTORISEES = {
    ("brouillon", "porteur", "deposer"): "depose",
    ("complement_demande", "porteur", "redeposer"): "en_instruction",
    ("depose", "agent", "instruire"): "en_instruction",
    ("depose", "agent", "demander_complement"): "complement_demande",
    ("en_instruction", "agent", "demander_complement"): "complement_demande",
    ("en_instruction", "agent", "proposer_comite"): "propose_comite",
    ("propose_comite", "agent", "reprendre_instruction"): "en_instruction",
    ("propose_comite", "agent", "accepter"): "accepte",
    ("propose_comite", "agent", "refuser"): "refuse",
    ("depose", "agent", "classer_sans_suite"): "sans_suite",
    ("en_instruction", "agent", "classer_sans_suite"): "sans_suite",
    ("complement_demande", "agent", "classer_sans_suite"): "sans_suite",
    ("propose_comite", "agent", "classer_sans_suite"): "sans_suite",
    ("accepte", "admin", "rouvrir"): "en_instruction",
    ("refuse", "admin", "rouvrir"): "en_instruction",
    ("sans_suite", "admin", "rouvrir"): "en_instruction",
}

# Le courriel que le porteur reçoit après chaque changement d'état décidé par la Caf :
# action → (fin de l'objet, phrase du corps). Le dépôt et le redépôt envoient l'accusé de
# dépôt (dossiers.depot), pas ce courriel générique.
COURRIELS = {
    "instruire": ("en instruction", "est désormais en cours d'instruction"),
    "demander_complement": ("complément demandé", "nécessite un complément"),
    "proposer_comite": ("proposé au comité", "sera présenté au comité départemental"),
    "reprendre_instruction": ("en instruction", "la Caf reprend son instruction"),
    "accepter": ("accepté", "a été accepté"),
    "refuser": ("refusé", "a été refusé"),
    "classer_sans_suite": ("classé sans suite", "a été classé sans suite"),
    "rouvrir": ("en instruction", "a été rouvert"),
}
MOTIF = "Motif écrit pour le test."
MOTIF_OBLIGATOIRE = (
    "demander_complement",
    "reprendre_instruction",
    "refuser",
    "classer_sans_suite",
    "rouvrir",
)

# Les mots d'un refus en français : le rôle qui manque, l'état qui l'interdit.
REFUS_FRANCAIS = ("est réservé au rôle", "est impossible : le dossier est")


def test_la_table_attendue_est_complete():
    assert len(list(itertools.product(ETATS, ROLES, ACTIONS))) == 8 * 4 * 10
    assert {e for e, _, _ in AUTORISEES} <= set(ETATS)
    assert set(Etat.values) == set(ETATS)
    assert {t.nom for t in workflow.TRANSITIONS} == set(ACTIONS)


@pytest.fixture
def acteurs(db):
    """Un compte par rôle ; le porteur est membre de l'organisation des dossiers créés."""
    membre = MembreFactory(utilisateur__email="porteur@asso.fr")
    return {
        "porteur": membre.utilisateur,
        "agent": UtilisateurFactory(agent=True, email="agent59@caf.fr"),
        "secretariat": UtilisateurFactory(secretariat=True, email="secretariat59@caf.fr"),
        "admin": UtilisateurFactory(admin=True, email="admin@cnaf.fr"),
        "organisation": membre.porteur,
    }


@pytest.mark.parametrize(
    ("etat", "role", "action"),
    list(itertools.product(ETATS, ROLES, ACTIONS)),
    ids=lambda v: v,
)
def test_transition(acteurs, etat, role, action, mailoutbox, django_capture_on_commit_callbacks):
    dossier = DossierFactory(
        porteur=acteurs["organisation"],
        etat=etat,
        depose_le=None if etat == "brouillon" else "2025-09-15T10:00Z",
        complet=True,
    )
    avant = Dossier.objects.values().get(pk=dossier.pk)
    utilisateur = acteurs[role]
    attendu = AUTORISEES.get((etat, role, action))

    possibles = {t.nom for t in workflow.transitions_possibles(dossier, utilisateur)}
    assert (action in possibles) == (attendu is not None)

    if attendu is None:
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(workflow.TransitionRefusee) as refus,
        ):
            workflow.appliquer(dossier, action, utilisateur, MOTIF)
        message = str(refus.value)
        assert any(mots in message for mots in REFUS_FRANCAIS), message
        assert "«" in message and message.endswith(".")
        assert Dossier.objects.values().get(pk=dossier.pk) == avant
        assert not Evenement.objects.filter(dossier=dossier).exists()
        assert not dossier.evaluations.exists()
        assert mailoutbox == []
        return

    with django_capture_on_commit_callbacks(execute=True):
        workflow.appliquer(dossier, action, utilisateur, MOTIF)
    dossier.refresh_from_db()
    assert dossier.etat == attendu
    (evenement,) = Evenement.objects.filter(dossier=dossier)
    assert (evenement.etat_avant, evenement.etat_apres) == (etat, attendu)
    assert evenement.auteur == utilisateur
    assert evenement.commentaire == MOTIF
    assert evenement.type == ("depot" if action == "deposer" else "transition")
    # La version compte les modifications de la Caf (verrouillage optimiste), pas du porteur.
    assert dossier.version == avant["version"] + (0 if role == "porteur" else 1)
    if attendu in ("accepte", "refuse", "sans_suite"):
        assert dossier.evaluations.filter(motif="decision").count() == 1
        assert dossier.date_decision is not None
        assert dossier.motif_decision == MOTIF

    if action in ("deposer", "redeposer"):
        assert mailoutbox == []
        return
    (courriel,) = mailoutbox
    objet, phrase = COURRIELS[action]
    assert courriel.to == ["porteur@asso.fr"]
    assert courriel.subject == f"Votre dossier Clas 2025-2026 : {objet}"
    assert phrase in courriel.body
    if action in MOTIF_OBLIGATOIRE:
        assert MOTIF in courriel.body


@pytest.mark.parametrize(
    ("etat", "role", "action"),
    [(e, r, a) for (e, r, a) in AUTORISEES if a in COURRIELS and a != "instruire"]
    + [("en_instruction", "agent", "proposer_comite")],
)
def test_motif(acteurs, etat, role, action):
    """Le motif est exigé exactement pour demander un complément, reprendre l'instruction,
    refuser, classer, rouvrir."""
    obligatoire = action in MOTIF_OBLIGATOIRE
    dossier = DossierFactory(
        porteur=acteurs["organisation"], etat=etat, depose_le="2025-09-15T10:00Z"
    )
    if obligatoire:
        with pytest.raises(workflow.TransitionRefusee, match="demande un motif écrit"):
            workflow.appliquer(dossier, action, acteurs[role], "  \n ")
        dossier.refresh_from_db()
        assert dossier.etat == etat
        assert not dossier.evenements.exists()
    else:
        workflow.appliquer(dossier, action, acteurs[role], "")
        dossier.refresh_from_db()
        assert dossier.etat == AUTORISEES[(etat, role, action)]


def test_action_inconnue_refusee_en_francais(acteurs):
    dossier = DossierFactory(etat=Etat.DEPOSE, depose_le="2025-09-15T10:00Z")
    with pytest.raises(workflow.TransitionRefusee, match="« envoler » n'existe pas"):
        workflow.appliquer(dossier, "envoler", acteurs["agent"], MOTIF)
