"""La commande d'import sur PostgreSQL : un fichier, un seul envoi au serveur, transaction comprise.

Hors de toute transaction Django (la commande), ``BEGIN``, le réglage de validation, les
``INSERT`` du fichier et ``COMMIT`` partent en un message ; une erreur dans ce message doit tout
annuler et laisser la connexion utilisable pour le fichier suivant. Ces tests sont
transactionnels (pas de transaction du test autour de l'import) : c'est le chemin de la
commande elle-même, pas celui des autres tests d'import (voir test_import_lot.py).
"""

import copy

import psycopg
import pytest
from django.db import IntegrityError, connection
from django.db.models import signals
from django.test.utils import CaptureQueriesContext
from psycopg import pq

from collectifs.models import Collectif, Creneau
from dossiers import importation
from dossiers.importation import Ecriture, LotImport, ReserveCles, importer_lot
from dossiers.models import Dossier, Evaluation
from porteurs.models import Porteur
from tests.dossiers.test_import_lot import (
    avec_porteur,
    comptes,
    exemple,
    importer,
    instructions,
    ligne_de,
    octets,
    refuse_par_la_base,
)
from tests.factories import siret_valide

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="envoi groupé de PostgreSQL"),
    pytest.mark.usefixtures("donnees_de_reference_transactionnelles"),
]


def etat_de_la_connexion() -> pq.TransactionStatus:
    return connection.connection.info.transaction_status


def envois_d_ecriture(requetes) -> list[str]:
    return [q["sql"] for q in requetes.captured_queries if "INSERT" in q["sql"]]


def test_commande_un_envoi_par_fichier_transaction_comprise(tmp_path):
    documents = [
        exemple(reference="U-1"),
        exemple("06-deux-collectifs-un-refuse", reference="U-2"),
        exemple("02-rural-petit-collectif", reference="U-3"),
    ]
    with CaptureQueriesContext(connection) as requetes:
        code, chemins, sortie, _ = importer(tmp_path, *documents)

    assert code == 0, sortie
    envois = envois_d_ecriture(requetes)
    assert len(envois) == 3
    assert instructions(envois[0]) == [
        "BEGIN",
        "SET LOCAL synchronous_commit TO OFF",
        'INSERT INTO "porteurs_porteur"',  # le porteur des exemples, nouveau
        'INSERT INTO "dossiers_dossier"',
        'INSERT INTO "collectifs_collectif"',
        'INSERT INTO "collectifs_creneau"',
        'INSERT INTO "dossiers_evaluation"',
        "COMMIT",
    ]
    assert 'INSERT INTO "porteurs_porteur"' not in instructions(envois[1])  # retrouvé
    assert not any(q["sql"].startswith("SAVEPOINT") for q in requetes.captured_queries)
    assert comptes() == {
        "Dossier": 3,
        "Collectif": 4,
        "Creneau": sum(len(c.get("creneaux", [])) for d in documents for c in d["collectifs"]),
        "Evaluation": 3,
        "Porteur": 1,
        "BilanAction": 0,
    }
    for dossier in Dossier.objects.all():
        assert Evaluation.objects.get(dossier=dossier).entree["reference"] == dossier.reference
    # Validé, et le réglage LOCAL n'a pas survécu à la transaction du fichier.
    assert etat_de_la_connexion() == pq.TransactionStatus.IDLE
    assert connection.get_autocommit()
    with connection.cursor() as curseur:
        curseur.execute("SHOW synchronous_commit")
        assert curseur.fetchone()[0] == "on"


def test_erreurs_au_milieu_du_message_tout_annule_puis_fichier_suivant(tmp_path):
    """Deux refus par la base au milieu du message (une contrainte, puis un texte trop long
    après le porteur, le dossier et le premier collectif) : rien de ces fichiers, pas même leur
    porteur, et les fichiers suivants sont importés sur la même connexion."""
    siret = siret_valide(9600)
    trop_long = avec_porteur(exemple("06-deux-collectifs-un-refuse", reference="M-2"), siret, "X")
    trop_long["collectifs"][1]["nom"] = "n" * 500
    documents = [
        exemple(reference="M-1"),
        trop_long,
        refuse_par_la_base(avec_porteur(exemple(reference="M-3"), siret, "Y")),
        avec_porteur(exemple(reference="M-4"), siret, None),  # porteur jamais créé : refusé
        avec_porteur(exemple(reference="M-5"), siret, "Créé ici"),
    ]
    code, chemins, sortie, erreurs = importer(tmp_path, *documents)

    assert code == 2
    assert "dépasse la capacité du portail" in ligne_de("\n".join(erreurs), chemins[1])
    assert "refusé par la base de données" in ligne_de("\n".join(erreurs), chemins[2])
    assert "porteur.nom : obligatoire" in ligne_de("\n".join(erreurs), chemins[3])
    assert sorted(Dossier.objects.values_list("reference", flat=True)) == ["M-1", "M-5"]
    assert Porteur.objects.get(siret=siret).raison_sociale == "Créé ici"
    assert Collectif.objects.count() == 2 and Evaluation.objects.count() == 2
    assert etat_de_la_connexion() == pq.TransactionStatus.IDLE
    assert sortie.splitlines()[-1] == "Bilan : 2 importé(s), 0 ignoré(s), 3 refusé(s)."


def test_reference_enregistree_entre_temps_par_un_autre_import():
    """Le lot a lu les références au début du paquet ; un autre import enregistre la même
    entre-temps : l'envoi du fichier est refusé par l'unicité de la référence, annulé, et le
    fichier est compté comme déjà importé, sans doublon. (Le porteur existe d'avance : seule la
    référence peut entrer en conflit.)"""
    (premier,) = importer_lot([octets(exemple(reference="AVANT"))])
    assert premier.statut == "importe"
    document = exemple(reference="CONCURRENT")
    lot = LotImport()
    lot.preparer([document])
    assert lot.references == {"CONCURRENT": None}
    (autre,) = importer_lot([octets(document)])  # l'autre import, validé
    assert autre.statut == "importe"

    resultat = lot.importer_document(copy.deepcopy(document))

    assert resultat.statut == "ignore" and resultat.dossier.pk == autre.dossier.pk
    assert Dossier.objects.count() == Evaluation.objects.count() == 2
    assert Porteur.objects.count() == 1
    assert etat_de_la_connexion() == pq.TransactionStatus.IDLE


def test_erreur_au_commit_annulee_et_connexion_reutilisable():
    """Les clés étrangères de Django ne sont vérifiées qu'au COMMIT (différées) : une erreur
    à ce moment-là termine la transaction ; rien n'est écrit et la connexion resert."""
    reserve = ReserveCles(connection)
    ecriture = Ecriture(connection, reserve)
    orphelin = Creneau(collectif_id=10**9, jour="lundi", duree_minutes=90)
    with pytest.raises(IntegrityError), ecriture.transaction():
        assert ecriture.message_unique
        ecriture.inserer([orphelin])
        ecriture.envoyer()
    assert etat_de_la_connexion() == pq.TransactionStatus.IDLE
    assert not Creneau.objects.exists()
    (resultat,) = importer_lot([octets(exemple(reference="APRES-ERREUR"))])
    assert resultat.statut == "importe"


def test_erreur_avant_l_envoi_rien_n_est_parti():
    """Une exception pendant la préparation du fichier (ici le calcul de l'évaluation) : rien
    n'a été envoyé, aucune transaction n'est restée ouverte."""
    ecriture = Ecriture(connection, ReserveCles(connection))
    with (
        CaptureQueriesContext(connection) as requetes,
        pytest.raises(ArithmeticError),
        ecriture.transaction(),
    ):
        ecriture.inserer([Creneau(collectif_id=1, jour="lundi", duree_minutes=60)])
        raise ArithmeticError
    assert envois_d_ecriture(requetes) == []
    assert etat_de_la_connexion() == pq.TransactionStatus.IDLE
    assert ecriture.instructions == []


def test_recepteur_de_signaux_transaction_django_classique(tmp_path):
    """Si quelqu'un écoute l'enregistrement d'un dossier, l'import passe par ``save()`` dans un
    ``transaction.atomic()`` : pas de message unique, et le récepteur est appelé."""
    recus = []

    def recepteur(sender, instance, created, **kwargs):
        recus.append(instance.reference)

    signals.post_save.connect(recepteur, sender=Dossier, dispatch_uid="test_message_unique")
    try:
        with CaptureQueriesContext(connection) as requetes:
            resultats = list(importer_lot([octets(exemple(reference="SIGNAL-TX"))]))
    finally:
        signals.post_save.disconnect(sender=Dossier, dispatch_uid="test_message_unique")
    assert resultats[0].statut == "importe" and recus == ["SIGNAL-TX"]
    assert not any("BEGIN" in sql for sql in envois_d_ecriture(requetes))
    assert Evaluation.objects.get().dossier.reference == "SIGNAL-TX"


def test_cles_des_fichiers_refuses_reservees_pour_les_suivants(monkeypatch):
    """Un fichier refusé avant toute écriture laisse ses clés au suivant ; les clés d'un
    fichier refusé par la base sont perdues (un trou, comme une transaction annulée)."""
    monkeypatch.setattr(importation, "FICHIERS_PAR_PAQUET", 10)
    documents = [
        exemple(reference="K-1", departement="20"),  # refusé avant d'écrire
        exemple(reference="K-2"),
        exemple(reference="K-3"),
        refuse_par_la_base(exemple(reference="K-4")),  # refusé par la base : sa clé est perdue
        exemple(reference="K-5"),
    ]
    resultats = list(importer_lot(octets(d) for d in documents))
    assert [r.statut for r in resultats] == ["refuse", "importe", "importe", "refuse", "importe"]
    k2, k3, k5 = (resultats[i].dossier.pk for i in (1, 2, 4))
    assert (k3, k5) == (k2 + 1, k2 + 3)


def test_connexion_perdue_pendant_un_fichier_les_suivants_importes(monkeypatch):
    """Le serveur coupe la connexion juste avant l'envoi du deuxième fichier : ce fichier est
    refusé avec un message clair, rien n'en est écrit, et les suivants passent par une nouvelle
    connexion."""
    envois = []
    envoyer = Ecriture.envoyer

    def couper_au_deuxieme(self):
        envois.append(1)
        if len(envois) == 2:
            reglages = connection.settings_dict
            with psycopg.connect(
                dbname=reglages["NAME"],
                user=reglages["USER"],
                host=reglages["HOST"] or None,
                port=reglages["PORT"] or None,
                autocommit=True,
            ) as autre:
                autre.execute(
                    "SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid]
                )
        return envoyer(self)

    monkeypatch.setattr(Ecriture, "envoyer", couper_au_deuxieme)
    documents = [exemple(reference=f"C-{i}") for i in (1, 2, 3)]

    resultats = list(importer_lot(octets(d) for d in documents))

    assert [r.statut for r in resultats] == ["importe", "refuse", "importe"]
    (probleme,) = resultats[1].problemes
    assert probleme.startswith("(document) : la base de données n'a pas pu enregistrer ce fichier")
    assert "rien n'en a été écrit" in probleme
    assert sorted(Dossier.objects.values_list("reference", flat=True)) == ["C-1", "C-3"]
    assert Evaluation.objects.count() == 2
