"""L'import en lot (``importer_dossiers FICHIER…``, ``dossiers.importation.importer_lot``).

Les fichiers d'un même passage sont lus par paquets et ce que le lot sait déjà (références
importées, porteurs par SIRET, départements, paramètres de l'année) est lu une fois par paquet ;
mais chaque fichier garde sa propre transaction : un fichier refusé n'écrit rien, pas même le
porteur qu'il avait créé, et ce porteur annulé ne sert pas au fichier suivant.
"""

import copy
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import signals
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from collectifs.models import Collectif, Creneau
from dossiers import importation
from dossiers.evaluation import empreinte, evaluation_a_figer, evaluer_dossier
from dossiers.exportation import collectif_vers_document, dossier_vers_document
from dossiers.importation import (
    Ecriture,
    ReserveCles,
    _bilan,
    _champs_dossier,
    _collectif,
    _creneaux,
    _inserer,
    importer_lot,
)
from dossiers.models import Dossier, Evaluation
from porteurs.models import Porteur
from seances.models import BilanAction
from tests.factories import PorteurFactory, siret_valide

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent.parent / "eligibility" / "data"
MODELES = (Dossier, Collectif, Creneau, Evaluation, Porteur, BilanAction)


def exemple(nom: str = "01-eligible-urbain", **champs) -> dict:
    document = json.loads((DATA / f"{nom}.json").read_text(encoding="utf-8"))
    document.update(champs)
    return document


def avec_porteur(document: dict, siret: str, nom: str | None) -> dict:
    document = copy.deepcopy(document)
    document["porteur"] = {"siret": siret, "forme": "association"}
    if nom is not None:
        document["porteur"]["nom"] = nom
    return document


def refuse_par_la_base(document: dict) -> dict:
    """Valide au format, refusé par la base à l'écriture du dossier (année > 2100), donc après
    la création de son porteur : la transaction du fichier doit tout annuler."""
    document = copy.deepcopy(document)
    document["annee_scolaire"] = "2101-2102"
    return document


def octets(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def instructions(envoi: str) -> list[str]:
    """Le début de chaque instruction d'un envoi de plusieurs instructions (« ; »)."""
    return re.findall(
        r'(?:^|; )(BEGIN|COMMIT|SET LOCAL synchronous_commit TO OFF|INSERT INTO "\w+")', envoi
    )


def comptes() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELES}


def importer(tmp_path, *documents) -> tuple[int, list[str], str, list[str]]:
    """Lance la commande sur un fichier par document ; rend (code, chemins, stdout, stderr)."""
    chemins = []
    for i, document in enumerate(documents):
        chemin = tmp_path / f"{i:02d}.json"
        chemin.write_bytes(document if isinstance(document, bytes) else octets(document))
        chemins.append(str(chemin))
    sortie, erreurs = io.StringIO(), io.StringIO()
    try:
        call_command("importer_dossiers", *chemins, stdout=sortie, stderr=erreurs)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    return code, chemins, sortie.getvalue(), erreurs.getvalue().splitlines()


def ligne_de(sortie: str, chemin: str) -> str:
    return next(ligne for ligne in sortie.splitlines() if ligne.startswith(f"{chemin} : "))


# --- un fichier refusé au milieu du lot ------------------------------------------------------
def test_lot_un_fichier_refuse_par_la_base_au_milieu(tmp_path):
    """Le fichier du milieu crée son porteur puis est refusé par la base : les autres sont
    importés, et rien du fichier refusé n'est écrit (ni dossier, ni porteur, ni évaluation)."""
    siret_du_refuse = siret_valide(9001)
    documents = [
        exemple(reference="LOT-A"),
        exemple("02-rural-petit-collectif", reference="LOT-B"),
        refuse_par_la_base(
            avec_porteur(exemple(reference="LOT-REFUSE"), siret_du_refuse, "Porteur refusé")
        ),
        exemple("06-deux-collectifs-un-refuse", reference="LOT-C"),
        exemple("03-collectif-trop-petit", reference="LOT-D"),
    ]
    code, chemins, sortie, erreurs = importer(tmp_path, *documents)

    assert code == 2
    assert set(Dossier.objects.values_list("reference", flat=True)) == {
        "LOT-A",
        "LOT-B",
        "LOT-C",
        "LOT-D",
    }
    assert not Porteur.objects.filter(siret=siret_du_refuse).exists()
    assert comptes() == {
        "Dossier": 4,
        "Collectif": 5,  # 1 + 1 + 2 + 1
        "Creneau": sum(
            len(c.get("creneaux", [])) for i in (0, 1, 3, 4) for c in documents[i]["collectifs"]
        ),
        "Evaluation": 4,
        "Porteur": 1,  # celui des exemples, créé par le premier fichier
        "BilanAction": 0,
    }
    assert Evaluation.objects.filter(dossier__reference__startswith="LOT-").count() == 4
    for i in (0, 1, 3, 4):
        assert "importé" in ligne_de(sortie, chemins[i])
    assert ligne_de(sortie, chemins[2]) == f"{chemins[2]} : refusé, rien n'a été enregistré"
    assert erreurs and all(ligne.startswith(f"{chemins[2]} : ") for ligne in erreurs)
    assert sortie.splitlines()[-1] == "Bilan : 4 importé(s), 0 ignoré(s), 1 refusé(s)."


def test_lot_fichiers_refuses_au_format_et_par_la_base_entre_des_bons(tmp_path):
    documents = [
        exemple(reference="LOT-1"),
        b"{pas du json",
        refuse_par_la_base(exemple(reference="LOT-2101")),
        exemple("02-rural-petit-collectif", reference="LOT-2"),
        exemple(reference="LOT-1"),  # déjà importé plus haut dans le même lot
    ]
    code, chemins, sortie, erreurs = importer(tmp_path, *documents)

    assert code == 2
    assert sorted(Dossier.objects.values_list("reference", flat=True)) == ["LOT-1", "LOT-2"]
    assert "JSON mal formé" in "\n".join(erreurs)
    assert "refusé" in ligne_de(sortie, chemins[2])
    assert "ignoré" in ligne_de(sortie, chemins[4])
    assert sortie.splitlines()[-1] == "Bilan : 2 importé(s), 1 ignoré(s), 2 refusé(s)."


# --- le porteur d'un fichier refusé ne fuit pas dans le suivant -------------------------------
def test_porteur_cree_par_un_fichier_refuse_ne_sert_pas_au_suivant(tmp_path):
    """Le premier fichier crée le porteur d'un SIRET inconnu puis est annulé. Le suivant, du
    même SIRET mais sans nom, ne peut pas créer le porteur : il est refusé pour cela, et non
    rattaché au porteur annulé."""
    siret = siret_valide(9100)
    premier = refuse_par_la_base(
        avec_porteur(exemple(reference="FUITE-1"), siret, "Porteur du fichier annulé")
    )
    second = avec_porteur(exemple(reference="FUITE-2"), siret, None)

    code, chemins, sortie, erreurs = importer(tmp_path, premier, second)

    assert code == 2
    assert comptes()["Dossier"] == 0
    assert not Porteur.objects.filter(siret=siret).exists()
    assert "refusé" in ligne_de(sortie, chemins[1])
    assert f"{chemins[1]} : porteur.nom : obligatoire pour créer le porteur de SIRET {siret}" in (
        "\n".join(erreurs)
    )


def test_porteur_annule_recree_par_le_fichier_suivant_puis_retrouve(tmp_path):
    """Après l'annulation, le fichier suivant du même SIRET crée le porteur avec ses propres
    données ; le troisième, sans nom, le retrouve."""
    siret = siret_valide(9200)
    documents = [
        refuse_par_la_base(avec_porteur(exemple(reference="P-1"), siret, "Nom du fichier annulé")),
        avec_porteur(exemple(reference="P-2"), siret, "Nom du fichier importé"),
        avec_porteur(exemple("02-rural-petit-collectif", reference="P-3"), siret, None),
    ]
    code, chemins, sortie, _ = importer(tmp_path, *documents)

    assert code == 2
    porteur = Porteur.objects.get(siret=siret)
    assert porteur.raison_sociale == "Nom du fichier importé"
    assert sorted(porteur.dossiers.values_list("reference", flat=True)) == ["P-2", "P-3"]
    assert "Nom du fichier importé" in ligne_de(sortie, chemins[2])


def test_porteur_annule_ne_fuit_pas_d_un_paquet_a_l_autre(tmp_path, monkeypatch):
    """Même règle quand le lot est coupé en plusieurs paquets (ici de deux fichiers)."""
    monkeypatch.setattr(importation, "FICHIERS_PAR_PAQUET", 2)
    siret = siret_valide(9300)
    documents = [
        exemple(reference="Q-1"),
        refuse_par_la_base(avec_porteur(exemple(reference="Q-2"), siret, "Annulé")),
        avec_porteur(exemple(reference="Q-3"), siret, None),  # paquet suivant
        avec_porteur(exemple(reference="Q-4"), siret, "Créé"),
        exemple(reference="Q-1"),  # référence importée deux paquets plus tôt
    ]
    resultats = list(importer_lot(octets(d) for d in documents))

    assert [r.statut for r in resultats] == ["importe", "refuse", "refuse", "importe", "ignore"]
    assert resultats[2].problemes[0].startswith("porteur.nom : obligatoire")
    assert resultats[4].dossier == resultats[0].dossier
    assert Porteur.objects.get(siret=siret).raison_sociale == "Créé"
    assert sorted(Dossier.objects.values_list("reference", flat=True)) == ["Q-1", "Q-4"]


# --- ce que le lot lit d'avance ---------------------------------------------------------------
def test_lot_deja_importe_ignore_en_requetes_bornees(tmp_path):
    documents = [exemple(reference=f"R-{i}") for i in range(12)]
    code, *_ = importer(tmp_path, *documents)
    assert code == 0

    with CaptureQueriesContext(connection) as requetes:
        resultats = list(importer_lot(octets(d) for d in documents))
    assert [r.statut for r in resultats] == ["ignore"] * 12
    # références, porteurs, départements, paramètres : une requête chacun pour tout le paquet
    assert len(requetes) <= 4, [q["sql"][:80] for q in requetes.captured_queries]


def test_lot_nombre_de_requetes_par_fichier_borne(tmp_path):
    """Par fichier, sur SQLite : l'ouverture et la fin de sa transaction, le dossier, ses
    collectifs, ses créneaux, son évaluation (et le porteur s'il est nouveau) ; sur PostgreSQL,
    tout cela en un seul envoi. Plus quatre requêtes par paquet (et, sur PostgreSQL, une pour
    tirer les clés)."""
    documents = [
        avec_porteur(exemple(reference=f"N-{i}"), siret_valide(9400 + i % 3), f"Porteur {i % 3}")
        for i in range(10)
    ]
    with CaptureQueriesContext(connection) as requetes:
        resultats = list(importer_lot(octets(d) for d in documents))
    assert [r.statut for r in resultats] == ["importe"] * 10
    if connection.vendor == "postgresql":
        ecritures = [q for q in requetes.captured_queries if "INSERT" in q["sql"]]
        assert len(ecritures) == 10  # un envoi par fichier : porteur, dossier, collectifs…
        # Dans la transaction du test, chaque fichier a son point de sauvegarde (pris, puis
        # libéré) ; la commande n'en a pas : BEGIN et COMMIT partent dans l'envoi.
        assert len(requetes) == 5 + 10 * 3, [q["sql"][:80] for q in requetes.captured_queries]
        return
    assert len(requetes) <= 4 + 10 * 6 + 3, [q["sql"][:80] for q in requetes.captured_queries]


def test_lot_evaluation_figee_identique_a_celle_relue_en_base(tmp_path):
    """L'évaluation figée à l'import (paramètres lus une fois par paquet, document fait depuis
    les objets enregistrés) est exactement celle que l'on calcule en relisant le dossier."""
    documents = [
        exemple(reference="E-1"),
        exemple("06-deux-collectifs-un-refuse", reference="E-2"),
        exemple(reference="E-3", annee_scolaire="2030-2031"),  # année sans paramètres
    ]
    resultats = list(importer_lot(octets(d) for d in documents))
    assert [r.statut for r in resultats] == ["importe"] * 3
    for resultat in resultats:
        dossier = Dossier.objects.get(pk=resultat.dossier.pk)
        evaluation = Evaluation.objects.get(dossier=dossier)
        assert evaluation.motif == Evaluation.Motif.IMPORT
        document = dossier_vers_document(dossier, avec_decision=False)
        assert evaluation.entree == document
        assert evaluation.empreinte_entree == empreinte(document)
        assert evaluation.resultat == evaluer_dossier(dossier)
        assert resultat.evaluation.pk == evaluation.pk
        assert resultat.nombre_collectifs == dossier.collectifs.count()
    assert resultats[2].evaluation.parametres["prix_plafond"] is None


def test_lot_departement_inconnu_puis_fichier_valide(tmp_path):
    documents = [
        exemple(reference="D-20", departement="20"),
        exemple(reference="D-59"),
    ]
    resultats = list(importer_lot(octets(d) for d in documents))
    assert [r.statut for r in resultats] == ["refuse", "importe"]
    assert resultats[0].problemes == [
        "departement : « 20 » n'est pas un département connu du portail"
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="réglage propre à PostgreSQL")
def test_postgresql_validation_asynchrone_limitee_a_la_transaction_du_fichier(tmp_path):
    """Dans une transaction déjà ouverte par l'appelant (ici celle du test), le fichier a son
    point de sauvegarde et ses écritures partent en un envoi, qui commence par le réglage
    ``LOCAL`` de la validation (la commande, elle, l'envoie avec BEGIN et COMMIT : voir
    test_import_message_unique.py)."""
    with CaptureQueriesContext(connection) as requetes:
        resultats = list(importer_lot([octets(exemple(reference="PG-1"))]))
    assert resultats[0].statut == "importe"
    (envoi,) = [q["sql"] for q in requetes.captured_queries if "INSERT" in q["sql"]]
    assert instructions(envoi) == [
        "SET LOCAL synchronous_commit TO OFF",
        'INSERT INTO "porteurs_porteur"',
        'INSERT INTO "dossiers_dossier"',
        'INSERT INTO "collectifs_collectif"',
        'INSERT INTO "collectifs_creneau"',
        'INSERT INTO "dossiers_evaluation"',
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite ne borne pas les textes")
def test_postgresql_porteur_d_un_fichier_refuse_apres_ses_collectifs_ne_fuit_pas(tmp_path):
    """Refus tardif, autre qu'une violation d'intégrité : le nom du collectif dépasse la colonne
    (DataError), après l'écriture du porteur, du dossier et des collectifs qui précèdent."""
    siret = siret_valide(9500)
    trop_long = avec_porteur(exemple("06-deux-collectifs-un-refuse", reference="L-1"), siret, "X")
    trop_long["collectifs"][1]["nom"] = "n" * 500
    documents = [trop_long, avec_porteur(exemple(reference="L-2"), siret, None)]

    resultats = list(importer_lot(octets(d) for d in documents))

    assert [r.statut for r in resultats] == ["refuse", "refuse"]
    assert "dépasse la capacité du portail" in resultats[0].problemes[0]
    assert resultats[1].problemes[0].startswith("porteur.nom : obligatoire")
    assert comptes()["Dossier"] == comptes()["Collectif"] == comptes()["Porteur"] == 0


# --- l'insertion directe écrit ce qu'écrirait l'ORM -----------------------------------------
BILAN = {
    "enfants_inscrits": 11,
    "filles": 6,
    "garcons": 5,
    "familles": 9,
    "seances_realisees": 58,
    "heures_realisees": 87.5,
    "taux_presence": 0.85,
    "intervenants_salaries": 1,
    "intervenants_benevoles": 2,
    "actions_parents": 4,
    "rencontres_ecole": 3,
}
HORODATAGES = {"cree_le", "modifie_le", "saisi_le"}  # auto_now(_add) : l'instant diffère


def colonnes(objet, *sans: str) -> dict:
    """La ligne relue en base, sans la clé primaire, les horodatages ni les colonnes ``sans``."""
    ligne = type(objet).objects.filter(pk=objet.pk).values().get()
    for cle in HORODATAGES & ligne.keys():
        assert ligne.pop(cle) is not None, cle
    return {k: v for k, v in ligne.items() if k != "id" and k not in sans}


def enregistrer(document: dict, porteur, instant, inserer) -> tuple:
    """Dossier, collectifs, créneaux, bilans et évaluation du document, enregistrés par
    ``inserer(objets, par_save=…)`` ; ``inserer=None`` : par l'ORM (save et bulk_create)."""
    dossier = Dossier(
        porteur=porteur,
        departement_id="59",
        annee=2025,
        depose_le=instant,
        **_champs_dossier(document),
    )
    if inserer:
        inserer([dossier], par_save=True)
    else:
        dossier.save(force_insert=True)
    collectifs = [_collectif(dossier, i, c) for i, c in enumerate(document["collectifs"])]
    (inserer or Collectif.objects.bulk_create)(collectifs)
    paires = list(zip(collectifs, document["collectifs"], strict=True))
    creneaux = [cr for c, donnees in paires for cr in _creneaux(c, donnees)]
    bilans = [_bilan(c, donnees) for c, donnees in paires]
    (inserer or Creneau.objects.bulk_create)(creneaux)
    (inserer or BilanAction.objects.bulk_create)(bilans)
    # Le document d'entrée fait depuis les objets en mémoire, comme à l'import (sans relire).
    entree = dossier_vers_document(
        dossier,
        avec_decision=False,
        collectifs=[
            collectif_vers_document(
                c, creneaux=[cr for cr in creneaux if cr.collectif is c], bilan=b
            )
            for c, b in zip(collectifs, bilans, strict=True)
        ],
    )
    evaluation = evaluation_a_figer(dossier, Evaluation.Motif.IMPORT, document=entree)
    if inserer:
        inserer([evaluation], par_save=True)
    else:
        evaluation.save(force_insert=True)
    return dossier, collectifs, creneaux, bilans, evaluation


def document_complet() -> dict:
    """Un dossier décidé, deux collectifs avec créneaux et bilans : tous les champs écrits."""
    document = exemple("06-deux-collectifs-un-refuse", reference=None)
    document["instruction"] = {
        "decision": "accepte",
        "montant_accorde": "2500.00",
        "date_decision": "2025-12-15",
        "motif": "Conforme.",
    }
    for collectif in document["collectifs"]:
        collectif["bilan"] = BILAN
    return document


def assert_memes_lignes(par_orm: tuple, autres: tuple) -> None:
    assert colonnes(par_orm[0]) == colonnes(autres[0])
    for objets_orm, objets_autres in zip(par_orm[1:4], autres[1:4], strict=True):
        assert len(objets_orm) == len(objets_autres) > 0
        for a, b in zip(objets_orm, objets_autres, strict=True):
            assert b.pk and not b._state.adding
            assert colonnes(a, "dossier_id", "collectif_id", "soumis_le") == colonnes(
                b, "dossier_id", "collectif_id", "soumis_le"
            )
    assert colonnes(par_orm[4], "dossier_id") == colonnes(autres[4], "dossier_id")
    # Les liens entre objets pointent sur les lignes écrites par le même chemin.
    dossier, collectifs, creneaux, _, evaluation = autres
    assert {c.dossier_id for c in Collectif.objects.filter(pk__in=[c.pk for c in collectifs])} == {
        dossier.pk
    }
    assert {c.collectif_id for c in Creneau.objects.filter(pk__in=[c.pk for c in creneaux])} <= {
        c.pk for c in collectifs
    }
    assert Evaluation.objects.get(pk=evaluation.pk).dossier_id == dossier.pk


def test_inserer_ecrit_ce_qu_ecrivent_save_et_bulk_create():
    """Les mêmes objets, enregistrés par l'ORM d'un côté et par ``_inserer`` de l'autre, donnent
    les mêmes lignes : dossier (décidé, tous champs), collectifs, créneaux, bilans, évaluation."""
    document, porteur, instant = document_complet(), PorteurFactory(), timezone.now()
    par_orm = enregistrer(document, porteur, instant, None)
    direct = enregistrer(document, porteur, instant, _inserer)
    assert direct[0].pk != par_orm[0].pk
    assert_memes_lignes(par_orm, direct)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="envoi groupé propre à PostgreSQL")
def test_ecriture_groupee_ecrit_ce_qu_ecrivent_save_et_bulk_create():
    """Sur PostgreSQL, les clés tirées d'avance et toutes les instructions en un envoi : les
    mêmes lignes que l'ORM, et rien n'est écrit avant l'envoi."""
    document, porteur, instant = document_complet(), PorteurFactory(), timezone.now()
    par_orm = enregistrer(document, porteur, instant, None)
    ecriture = Ecriture(connection, ReserveCles(connection))
    with CaptureQueriesContext(connection) as requetes:
        groupe = enregistrer(document, porteur, instant, ecriture.inserer)
    assert all("INSERT" not in q["sql"] for q in requetes.captured_queries)
    assert groupe[0].pk and not Dossier.objects.filter(pk=groupe[0].pk).exists()
    with CaptureQueriesContext(connection) as requetes:
        ecriture.envoyer()
    (envoi,) = requetes.captured_queries
    assert instructions(envoi["sql"]) == [
        'INSERT INTO "dossiers_dossier"',
        'INSERT INTO "collectifs_collectif"',
        'INSERT INTO "collectifs_creneau"',
        'INSERT INTO "seances_bilanaction"',
        'INSERT INTO "dossiers_evaluation"',
    ]
    assert_memes_lignes(par_orm, groupe)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="séquences de PostgreSQL")
def test_reserve_de_cles_en_une_requete_puis_completee_au_besoin():
    reserve = ReserveCles(connection)
    with CaptureQueriesContext(connection) as requetes:
        reserve.completer({Dossier: 3, Collectif: 5})
        reserve.completer({Dossier: 2})  # déjà en réserve : aucune requête
    assert len(requetes) == 1
    dossiers = reserve.prendre(Dossier, 3)
    assert dossiers == sorted(dossiers) and len(set(dossiers)) == 3
    with CaptureQueriesContext(connection) as requetes:
        encore = reserve.prendre(Dossier, 2)  # réserve vide : complétée
    assert len(requetes) == 1 and min(encore) > max(dossiers)
    # Les clés tirées ne reviennent jamais : la base n'en redonne pas une déjà tirée.
    nouveau = Dossier.objects.create(
        porteur=PorteurFactory(), departement_id="59", annee=2025, reference="APRES-RESERVE"
    )
    assert nouveau.pk > max(encore)
    assert len(reserve.prendre(Collectif, 5)) == 5


def test_inserer_par_requetes_bornees_sur_sqlite():
    """Au-delà de ce qu'une requête SQLite accepte de paramètres (999), plusieurs requêtes."""
    list(importer_lot([octets(exemple(reference="BORNES"))]))
    collectif = Collectif.objects.get()
    creneaux = [
        Creneau(collectif=collectif, jour="lundi", duree_minutes=1 + i % 600) for i in range(600)
    ]
    with CaptureQueriesContext(connection) as requetes:
        _inserer(creneaux)
    assert all(c.pk for c in creneaux) and len({c.pk for c in creneaux}) == 600
    assert Creneau.objects.filter(collectif=collectif, jour="lundi").count() == 600
    assert len(requetes) == (1 if connection.features.max_query_params is None else 3)


def test_recepteurs_de_signaux_toujours_appeles():
    """Si quelqu'un écoute l'enregistrement des dossiers ou des évaluations, l'import passe par
    ``save()`` comme avant, et le récepteur est appelé."""
    recus = []

    def recepteur(sender, instance, created, **kwargs):
        recus.append((sender, created))

    signals.post_save.connect(recepteur, sender=Dossier, dispatch_uid="test_import_lot")
    signals.post_save.connect(recepteur, sender=Evaluation, dispatch_uid="test_import_lot_e")
    try:
        resultats = list(importer_lot([octets(exemple(reference="SIGNAL"))]))
    finally:
        signals.post_save.disconnect(sender=Dossier, dispatch_uid="test_import_lot")
        signals.post_save.disconnect(sender=Evaluation, dispatch_uid="test_import_lot_e")
    assert resultats[0].statut == "importe"
    assert recus == [(Dossier, True), (Evaluation, True)]
