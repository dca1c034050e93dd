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
        (Etat.PROPOSE_COMITE, Etat.ACCEPTE),
        (Etat.ACCEPTE, Etat.EN_INSTRUCTION),
    ]
    assert evenements[0].type == Evenement.Type.DEPOT
    assert evenements[2].commentaire == "Il manque le RIB."
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


@pytest.mark.parametrize("nom", ["demander_complement", "refuser", "classer_sans_suite"])
def test_motif_obligatoire(agent59, nom):
    etat = Etat.PROPOSE_COMITE if nom == "refuser" else Etat.EN_INSTRUCTION
    dossier = DossierFactory(etat=etat, depose_le="2025-06-01T10:00Z")
    with pytest.raises(workflow.TransitionRefusee, match="demande un motif écrit"):
        workflow.appliquer(dossier, nom, agent59, "   ")


def test_transitions_possibles(agent59, porteur_user):
    dossier = DossierFactory(etat=Etat.EN_INSTRUCTION, depose_le="2025-06-01T10:00Z")
    noms = {t.nom for t in workflow.transitions_possibles(dossier, agent59)}
    assert noms == {"demander_complement", "proposer_comite", "classer_sans_suite"}
    assert workflow.transitions_possibles(dossier, porteur_user) == []
