"""Journal d'audit : ce qui est consigné, l'ajout seul, la consultation par l'administration."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.journal import consigner
from audit.models import Action, EvenementAudit, JournalImmuable
from dossiers import decision, workflow
from dossiers.models import Etat
from tests.dossiers.test_instruction import piece_dossier
from tests.factories import MOT_DE_PASSE, CollectifFactory, CreneauFactory, DossierFactory

pytestmark = pytest.mark.django_db


def derniers(action):
    return list(EvenementAudit.objects.filter(action=action).order_by("-pk"))


def test_connexion_reussie_consignee_avec_ip(client, agent59):
    reponse = client.post(
        reverse("connexion"),
        {"username": agent59.email, "password": MOT_DE_PASSE},
        REMOTE_ADDR="203.0.113.7",
    )
    assert reponse.status_code == 302
    (evenement,) = derniers(Action.CONNEXION)
    assert evenement.utilisateur_id == agent59.pk
    assert evenement.email == agent59.email
    assert evenement.role == "agent"
    assert evenement.ip == "203.0.113.7"


def test_echec_de_connexion_consigne_sans_mot_de_passe(client, agent59):
    client.post(
        reverse("connexion"),
        {"username": agent59.email, "password": "pas-le-bon-mot-de-passe"},
        REMOTE_ADDR="198.51.100.4",
    )
    (evenement,) = derniers(Action.ECHEC_CONNEXION)
    assert evenement.email == agent59.email
    assert evenement.utilisateur_id is None
    assert evenement.ip == "198.51.100.4"
    assert "pas-le-bon" not in str(evenement.details)


def test_deconnexion_consignee(client, agent59):
    client.force_login(agent59)
    client.post(reverse("deconnexion"))
    assert [e.email for e in derniers(Action.DECONNEXION)] == [agent59.email]


def test_refus_d_acces_consigne(client, porteur_user):
    client.force_login(porteur_user)
    assert client.get(reverse("audit:journal")).status_code == 403
    (evenement,) = derniers(Action.REFUS_ACCES)
    assert evenement.email == porteur_user.email
    assert evenement.chemin == reverse("audit:journal")


@pytest.fixture
def dossier_comite(membre):
    dossier = DossierFactory(
        porteur=membre.porteur, complet=True, etat=Etat.PROPOSE_COMITE, depose_le=timezone.now()
    )
    collectif = CollectifFactory(dossier=dossier, depenses_fonctionnement=Decimal("5000.00"))
    CreneauFactory(collectif=collectif, jour="mardi")
    CreneauFactory(collectif=collectif, jour="jeudi")
    return dossier


def test_changement_d_etat_decision_et_montant_consignes(agent59, dossier_comite):
    dossier = dossier_comite
    collectif = dossier.collectifs.get()
    decision.decider(
        dossier,
        agent59,
        "accepter",
        version=dossier.version,
        montants={collectif.pk: Decimal("1500.00")},
    )
    (decide,) = derniers(Action.DECISION)
    assert decide.objet_type == "dossiers.dossier"
    assert decide.objet_id == str(dossier.pk)
    assert decide.departement == "59"
    assert decide.details == {
        "transition": "accepter",
        "avant": "propose_comite",
        "apres": "accepte",
    }
    (montant,) = derniers(Action.MONTANT)
    assert montant.details == {"avant": None, "apres": "1500.00"}
    assert montant.email == agent59.email


def test_transition_simple_consignee(agent59, dossier_59):
    dossier_59.etat = Etat.DEPOSE
    dossier_59.save()
    workflow.appliquer(dossier_59, "instruire", agent59)
    (evenement,) = derniers(Action.CHANGEMENT_ETAT)
    assert evenement.details["apres"] == Etat.EN_INSTRUCTION


def test_transition_refusee_ne_laisse_aucune_trace(porteur_user, dossier_59):
    dossier_59.etat = Etat.DEPOSE
    dossier_59.save()
    with pytest.raises(workflow.TransitionRefusee):
        workflow.appliquer(dossier_59, "accepter", porteur_user, "motif")
    assert not EvenementAudit.objects.filter(action=Action.DECISION).exists()


def test_consignation_annulee_avec_sa_transaction(agent59):
    with pytest.raises(RuntimeError), transaction.atomic():
        consigner(Action.DECISION, utilisateur=agent59)
        raise RuntimeError("échec après coup")
    assert not EvenementAudit.objects.exists()


def test_telechargement_d_une_piece_consigne(client, agent59, dossier_59):
    dossier_59.etat = Etat.DEPOSE
    dossier_59.save()
    piece = piece_dossier(dossier_59)
    client.force_login(agent59)
    reponse = client.get(reverse("dossiers:piece_apercu", args=[dossier_59.pk, piece.pk]))
    assert reponse.status_code == 200
    (evenement,) = derniers(Action.TELECHARGEMENT_PIECE)
    assert evenement.objet_type == "dossiers.piecejustificative"
    assert evenement.objet_id == str(piece.pk)
    assert evenement.details == {"fichier": "budget.pdf"}


def test_journal_en_ajout_seul(agent59):
    evenement = consigner(Action.CONNEXION, utilisateur=agent59)
    evenement.email = "autre@exemple.fr"
    with pytest.raises(JournalImmuable):
        evenement.save()
    with pytest.raises(JournalImmuable):
        evenement.delete()
    with pytest.raises(JournalImmuable):
        EvenementAudit.objects.filter(pk=evenement.pk).update(email="x")
    with pytest.raises(JournalImmuable):
        EvenementAudit.objects.all().delete()
    evenement.refresh_from_db()
    assert evenement.email == agent59.email


def test_le_journal_survit_a_la_suppression_du_compte(agent59):
    consigner(Action.CONNEXION, utilisateur=agent59)
    agent59.delete()
    evenement = EvenementAudit.objects.get()
    assert evenement.email == "agent59@caf.fr"
    assert evenement.action == Action.CONNEXION


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="déclencheur propre à PostgreSQL (exécuté en CI)"
)
def test_postgresql_refuse_update_et_delete_en_sql(agent59):
    from django.db import DatabaseError

    evenement = consigner(Action.CONNEXION, utilisateur=agent59)
    for sql in (
        "UPDATE audit_evenementaudit SET email = 'x' WHERE id = %s",
        "DELETE FROM audit_evenementaudit WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="ajout seul"),
            transaction.atomic(),
            connection.cursor() as curseur,
        ):
            curseur.execute(sql, [evenement.pk])
    assert EvenementAudit.objects.filter(pk=evenement.pk, email=agent59.email).exists()


def test_consultation_reservee_a_l_administration(client, agent59, secretariat59, admin_national):
    for personne in (agent59, secretariat59):
        client.force_login(personne)
        assert client.get(reverse("audit:journal")).status_code == 403
    client.force_login(admin_national)
    assert client.get(reverse("audit:journal")).status_code == 200


def test_filtres_et_pagination(client, admin_national, agent59, agent23):
    for _ in range(55):
        consigner(Action.CONNEXION, utilisateur=agent59)
    consigner(Action.ECHEC_CONNEXION, email="inconnu@exemple.fr")
    consigner(Action.CONNEXION, utilisateur=agent23)
    client.force_login(admin_national)
    page = client.get(reverse("audit:journal"), {"action": "echec_connexion"}).content.decode()
    assert "inconnu@exemple.fr" in page and agent59.email not in page
    page = client.get(reverse("audit:journal"), {"email": agent23.email}).content.decode()
    assert agent23.email in page and agent59.email not in page
    page = client.get(reverse("audit:journal")).content.decode()
    assert "Page 1 sur 2" in page
    erreur = client.get(reverse("audit:journal"), {"du": "2026-02-01", "au": "2026-01-01"})
    assert "La date de fin précède la date de début." in erreur.content.decode()
