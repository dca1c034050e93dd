"""La table des transitions : chaque changement d'état autorisé, et seulement par son rôle."""

import pytest

from dossiers import workflow
from dossiers.models import Etat, Evenement
from tests.factories import DossierFactory, UtilisateurFactory

pytestmark = pytest.mark.django_db


def test_chemin_complet(porteur_user, agent59, admin_national):
    dossier = DossierFactory(porteur=porteur_user.porteurs.get())
    etapes = [
        ("deposer", porteur_user, "", Etat.DEPOSE),
        ("instruire", agent59, "", Etat.EN_INSTRUCTION),
        ("demander_complement", agent59, "Il manque le RIB.", Etat.COMPLEMENT_DEMANDE),
        ("redeposer", porteur_user, "", Etat.EN_INSTRUCTION),
        ("proposer_comite", agent59, "", Etat.PROPOSE_COMITE),
        ("reprendre_instruction", agent59, "Budget à revoir.", Etat.EN_INSTRUCTION),
        ("proposer_comite", agent59, "", Etat.PROPOSE_COMITE),
        ("accepter", agent59, "", Etat.ACCEPTE),
        ("rouvrir", admin_national, "Erreur de montant.", Etat.EN_INSTRUCTION),
    ]
    for nom, qui, motif, attendu in etapes:
        workflow.appliquer(dossier, nom, qui, motif)
        dossier.refresh_from_db()
        assert dossier.etat == attendu, nom
    assert dossier.depose_le is not None
    evenements = list(dossier.evenements.order_by("pk"))
    assert [(e.etat_avant, e.etat_apres) for e in evenements] == [
        (Etat.BROUILLON, Etat.DEPOSE),
        (Etat.DEPOSE, Etat.EN_INSTRUCTION),
        (Etat.EN_INSTRUCTION, Etat.COMPLEMENT_DEMANDE),
        (Etat.COMPLEMENT_DEMANDE, Etat.EN_INSTRUCTION),
        (Etat.EN_INSTRUCTION, Etat.PROPOSE_COMITE),
        (Etat.PROPOSE_COMITE, Etat.EN_INSTRUCTION),
        (Etat.EN_INSTRUCTION, Etat.PROPOSE_COMITE),
        (Etat.PROPOSE_COMITE, Etat.ACCEPTE),
        (Etat.ACCEPTE, Etat.EN_INSTRUCTION),
    ]
    assert evenements[0].type == Evenement.Type.DEPOT
    assert evenements[2].commentaire == "Il manque le RIB."
    assert evenements[5].commentaire == "Budget à revoir."
    assert evenements[5].auteur == agent59
    assert evenements[-1].auteur == admin_national


@pytest.mark.parametrize(
    ("etat", "nom", "role_trait", "message"),
    [
        (Etat.BROUILLON, "accepter", "agent", "impossible : le dossier est « brouillon »"),
        (Etat.PROPOSE_COMITE, "accepter", None, "réservé au rôle : agent Caf"),
        (Etat.ACCEPTE, "rouvrir", "agent", "réservé au rôle : administrateur national"),
        (Etat.DEPOSE, "deposer", None, "impossible : le dossier est « déposé »"),
        (Etat.EN_INSTRUCTION, "envoler", "agent", "n'existe pas"),
    ],
)
def test_transitions_refusees(etat, nom, role_trait, message):
    user = UtilisateurFactory(**({role_trait: True} if role_trait else {}))
    dossier = DossierFactory(
        etat=etat, depose_le=None if etat == Etat.BROUILLON else "2025-06-01T10:00Z"
    )
    with pytest.raises(workflow.TransitionRefusee) as exc:
        workflow.appliquer(dossier, nom, user)
    assert message in str(exc.value)
    dossier.refresh_from_db()
    assert dossier.etat == etat
    assert not dossier.evenements.exists()


@pytest.mark.parametrize(
    "nom", ["demander_complement", "reprendre_instruction", "refuser", "classer_sans_suite"]
)
def test_motif_obligatoire(agent59, nom):
    etat = (
        Etat.PROPOSE_COMITE if nom in ("refuser", "reprendre_instruction") else Etat.EN_INSTRUCTION
    )
    dossier = DossierFactory(etat=etat, depose_le="2025-06-01T10:00Z")
    with pytest.raises(workflow.TransitionRefusee, match="demande un motif écrit"):
        workflow.appliquer(dossier, nom, agent59, "   ")


def test_transitions_possibles(agent59, porteur_user):
    dossier = DossierFactory(etat=Etat.EN_INSTRUCTION, depose_le="2025-06-01T10:00Z")
    noms = {t.nom for t in workflow.transitions_possibles(dossier, agent59)}
    assert noms == {"demander_complement", "proposer_comite", "classer_sans_suite"}
    assert workflow.transitions_possibles(dossier, porteur_user) == []
    dossier.etat = Etat.PROPOSE_COMITE
    noms = {t.nom for t in workflow.transitions_possibles(dossier, agent59)}
    assert noms == {"reprendre_instruction", "accepter", "refuser", "classer_sans_suite"}


def test_proposer_au_comite_demande_une_confirmation():
    assert workflow.PAR_NOM["proposer_comite"].confirmation_obligatoire
    reprendre = workflow.PAR_NOM["reprendre_instruction"]
    assert reprendre.motif_obligatoire and reprendre.libelle == "Reprendre l'instruction"


def test_courriel_au_porteur_et_evaluation_figee_a_la_decision(
    porteur_user, agent59, mailoutbox, django_capture_on_commit_callbacks
):
    from dossiers.models import Evaluation
    from tests.factories import CollectifFactory

    dossier = DossierFactory(
        porteur=porteur_user.porteurs.get(),
        etat=Etat.EN_INSTRUCTION,
        depose_le="2025-06-01T10:00Z",
        complet=True,
    )
    CollectifFactory(dossier=dossier)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.appliquer(dossier, "demander_complement", agent59, "Merci de joindre le RIB.")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [porteur_user.email]
    assert "Merci de joindre le RIB." in mailoutbox[0].body
    assert "complément" in mailoutbox[0].subject.lower() or "complément" in mailoutbox[0].body
    assert dossier.version == 2

    dossier.etat = Etat.PROPOSE_COMITE
    dossier.save()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.appliquer(dossier, "accepter", agent59)
    dossier.refresh_from_db()
    assert dossier.date_decision is not None
    figee = dossier.evaluations.get(motif=Evaluation.Motif.DECISION)
    from dossiers.evaluation import evaluer_dossier

    assert figee.resultat == evaluer_dossier(dossier)
    assert figee.verdict == "incomplet"  # le collectif de la fabrique n'a pas de créneau
    assert "accepté" in mailoutbox[-1].body
    nom, contenu, type_mime = mailoutbox[-1].attachments[0]
    assert type_mime == "application/pdf" and nom.endswith(".pdf")
    assert contenu.startswith(b"%PDF")


def test_pas_de_courriel_si_la_transition_est_refusee(
    agent59, mailoutbox, django_capture_on_commit_callbacks
):
    dossier = DossierFactory(etat=Etat.DEPOSE, depose_le="2025-06-01T10:00Z")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(workflow.TransitionRefusee),
    ):
        workflow.appliquer(dossier, "accepter", agent59)
    assert mailoutbox == []
