"""Export des données d'une organisation : l'activité de l'année en CSV (séances, journaux,
bilans, purges), pour les seuls dossiers de l'organisation, sans donnée par enfant."""

import csv
import datetime
import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from porteurs.export import construire_export
from seances.models import (
    ActionParents,
    Enfant,
    Presence,
    PurgeDonneesEnfants,
    RencontreEcole,
    Seance,
)
from tests.factories import (
    BilanActionFactory,
    CollectifFactory,
    DossierFactory,
    IntervenantFactory,
    MembreFactory,
)

pytestmark = pytest.mark.django_db

FICHIERS_CSV = (
    "activite/seances.csv",
    "activite/actions-parents.csv",
    "activite/rencontres-ecole.csv",
    "activite/bilans.csv",
    "activite/purges.csv",
)


def lire_csv(archive, nom) -> list[dict[str, str]]:
    contenu = archive.read(nom).decode("utf-8")
    assert contenu.startswith("\ufeff")
    assert "\r\n" in contenu
    return list(csv.DictReader(io.StringIO(contenu[1:]), delimiter=";"))


def ouvrir(porteur, utilisateur) -> zipfile.ZipFile:
    return zipfile.ZipFile(construire_export(porteur, utilisateur))


def remplir_collectif(collectif, marque: str, *, appel: bool = True):
    """Une année d'activité : séances (réalisée, déplacée, annulée), journaux, bilan, purge."""
    animateur = IntervenantFactory(
        dossier=collectif.dossier, nom=f"Animatrice {marque}", fonction="animatrice"
    )
    animateur.collectifs.add(collectif)
    realisee = Seance.objects.create(
        collectif=collectif,
        date=datetime.date(2025, 11, 4),
        debut=datetime.time(16, 45),
        duree_minutes=90,
        statut="realisee",
        activite="lecture",
        activite_detail=f"Lecture d'albums {marque}",
        nombre_inscrits=2,
        nombre_presents=1,
    )
    realisee.animateurs.add(animateur)
    Seance.objects.create(
        collectif=collectif,
        date=datetime.date(2025, 11, 13),
        debut=datetime.time(17, 0),
        duree_minutes=90,
        origine="calendrier",
        date_prevue=datetime.date(2025, 11, 11),
        debut_prevu=datetime.time(16, 45),
    )
    Seance.objects.create(
        collectif=collectif,
        date=datetime.date(2025, 11, 18),
        duree_minutes=90,
        statut="annulee",
        motif_annulation=f"Grève des transports {marque}",
    )
    if appel:
        enfant = Enfant.objects.create(
            collectif=collectif, code=f"ENF-{marque}", classe="CM1", sexe="F", code_famille="F1"
        )
        Presence.objects.create(seance=realisee, enfant=enfant, present=True)
    ActionParents.objects.create(
        collectif=collectif,
        type="atelier",
        date=datetime.date(2025, 12, 3),
        nombre_parents=7,
        commentaire=f"Atelier jeux de société {marque}",
    )
    RencontreEcole.objects.create(
        collectif=collectif,
        date=datetime.date(2025, 10, 2),
        interlocuteurs=f"La directrice {marque}",
        objet="Repérage des enfants",
    )
    BilanActionFactory(
        collectif=collectif,
        objectifs_atteints=f"Confiance retrouvée {marque}",
        difficultes=f"Assiduité en hiver {marque}",
        perspectives=f"Plus d'ateliers parents {marque}",
        statut="a_corriger",
        correction_demandee=f"Le taux de présence est à revoir {marque}",
        correction_demandee_le=timezone.now(),
    )
    PurgeDonneesEnfants.objects.create(
        collectif=collectif, enfants_supprimes=12, presences_supprimees=340
    )


def test_csv_activite_de_l_organisation_seulement(client, membre):
    dossier = DossierFactory(porteur=membre.porteur, reference="ACT-1")
    collectif = CollectifFactory(dossier=dossier, nom="Les Lucioles")
    remplir_collectif(collectif, "NOUS")
    autre = CollectifFactory(dossier=DossierFactory(porteur=MembreFactory().porteur))
    remplir_collectif(autre, "EUX")

    client.force_login(membre.utilisateur)
    page = client.get(reverse("porteurs:detail", args=[membre.porteur.pk])).content.decode()
    assert "tout ce que le portail garde" not in page
    assert "rencontres avec l'école, bilans" in page  # la phrase dit ce qu'il y a
    reponse = client.get(reverse("porteurs:export", args=[membre.porteur.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(reponse.streaming_content)))
    assert set(FICHIERS_CSV) <= set(archive.namelist())
    for nom in (*FICHIERS_CSV, "dossiers/intervenants.csv"):
        assert "EUX" not in archive.read(nom).decode("utf-8")

    seances = lire_csv(archive, "activite/seances.csv")
    assert [s["Date"] for s in seances] == ["04/11/2025", "13/11/2025", "18/11/2025"]
    assert {s["Collectif"] for s in seances} == {"Les Lucioles"}
    assert {s["Référence du dossier"] for s in seances} == {"ACT-1"}
    assert {s["Année scolaire"] for s in seances} == {"2025-2026"}
    realisee, deplacee, annulee = seances
    assert realisee["Statut"] == "réalisée"
    assert realisee["Activité"] == "lecture, écriture, langage"
    assert realisee["Précisions sur l'activité"] == "Lecture d'albums NOUS"
    assert realisee["Animateurs présents"] == "Animatrice NOUS"
    assert realisee["Heure de début"] == "16:45"
    assert (realisee["Enfants inscrits lors de l'appel"], realisee["Enfants présents"]) == (
        "2",
        "1",
    )
    assert deplacee["Date prévue à l'origine"] == "11/11/2025"
    assert deplacee["Heure prévue à l'origine"] == "16:45"
    assert deplacee["Heure de début"] == "17:00"
    assert annulee["Statut"] == "annulée"
    assert annulee["Motif de l'annulation"] == "Grève des transports NOUS"

    (action,) = lire_csv(archive, "activite/actions-parents.csv")
    assert action["Date"] == "03/12/2025"
    assert action["Type d'action"] == "atelier parents-enfants"
    assert action["Nombre de parents présents"] == "7"
    assert action["Commentaire"] == "Atelier jeux de société NOUS"

    (rencontre,) = lire_csv(archive, "activite/rencontres-ecole.csv")
    assert rencontre["Date"] == "02/10/2025"
    assert rencontre["Avec qui"] == "La directrice NOUS"
    assert rencontre["Objet de la rencontre"] == "Repérage des enfants"

    (bilan,) = lire_csv(archive, "activite/bilans.csv")
    assert bilan["Collectif"] == "Les Lucioles"
    assert bilan["Statut"] == "correction demandée"
    assert bilan["Objectifs atteints"] == "Confiance retrouvée NOUS"
    assert bilan["Difficultés rencontrées"] == "Assiduité en hiver NOUS"
    assert bilan["Perspectives pour l'année suivante"] == "Plus d'ateliers parents NOUS"
    assert bilan["Correction demandée par la Caf"] == "Le taux de présence est à revoir NOUS"
    assert bilan["Correction demandée le"]
    assert bilan["Taux de présence (entre 0 et 1)"] == "0,8500"
    assert bilan["Séances réalisées"] == "58"

    (intervenant,) = lire_csv(archive, "dossiers/intervenants.csv")
    assert intervenant["Nom"] == "Animatrice NOUS"
    assert (intervenant["Fonction"], intervenant["Collectifs animés"]) == (
        "animatrice",
        "Les Lucioles",
    )
    assert intervenant["Référence du dossier"] == "ACT-1"

    (purge,) = lire_csv(archive, "activite/purges.csv")
    assert (purge["Enfants supprimés"], purge["Présences supprimées"]) == ("12", "340")

    # Aucune donnée par enfant dans les tableaux : les codes restent dans le registre JSON.
    for nom in FICHIERS_CSV:
        assert "ENF-NOUS" not in archive.read(nom).decode("utf-8")
    assert "ENF-EUX" not in b"".join(archive.read(n) for n in archive.namelist()).decode(
        "utf-8", "replace"
    )
    lisezmoi = archive.read("LISEZMOI.txt").decode("utf-8")
    assert "actions-parents.csv" in lisezmoi and "bilans.csv" in lisezmoi


def test_csv_sans_activite_n_a_que_les_en_tetes(membre):
    DossierFactory(porteur=membre.porteur)
    archive = ouvrir(membre.porteur, membre.utilisateur)
    for nom in FICHIERS_CSV:
        assert lire_csv(archive, nom) == []
        assert archive.read(nom).decode("utf-8").count("\r\n") == 1


def test_une_valeur_qui_ressemble_a_une_formule_est_neutralisee(membre):
    collectif = CollectifFactory(dossier=DossierFactory(porteur=membre.porteur), nom="=1+1")
    ActionParents.objects.create(
        collectif=collectif,
        type="autre",
        date=datetime.date(2025, 12, 3),
        nombre_parents=3,
        commentaire='=HYPERLINK("http://exemple.invalid";"clic")',
    )
    RencontreEcole.objects.create(
        collectif=collectif, date=datetime.date(2025, 10, 2), interlocuteurs="@directrice"
    )
    BilanActionFactory(collectif=collectif, objectifs_atteints="+33 % de réussite", difficultes="-")
    Seance.objects.create(
        collectif=collectif,
        date=datetime.date(2025, 11, 18),
        duree_minutes=90,
        statut="annulee",
        motif_annulation="=cmd|' /C calc'!A0",
    )
    archive = ouvrir(membre.porteur, membre.utilisateur)
    (action,) = lire_csv(archive, "activite/actions-parents.csv")
    assert action["Commentaire"] == '\'=HYPERLINK("http://exemple.invalid";"clic")'
    assert action["Collectif"] == "'=1+1"
    assert lire_csv(archive, "activite/rencontres-ecole.csv")[0]["Avec qui"] == "'@directrice"
    (bilan,) = lire_csv(archive, "activite/bilans.csv")
    assert bilan["Objectifs atteints"] == "'+33 % de réussite"
    assert bilan["Difficultés rencontrées"] == "'-"
    assert bilan["Heures réalisées"] == "87,00"  # un nombre n'est pas touché
    (seance,) = lire_csv(archive, "activite/seances.csv")
    assert seance["Motif de l'annulation"] == "'=cmd|' /C calc'!A0"


def test_nombre_de_requetes_independant_du_nombre_de_collectifs(membre):
    dossier = DossierFactory(porteur=membre.porteur)
    remplir_collectif(CollectifFactory(dossier=dossier), "A")
    with CaptureQueriesContext(connection) as un_collectif:
        archive = ouvrir(membre.porteur, membre.utilisateur)
    assert len(lire_csv(archive, "activite/seances.csv")) == 3

    for marque in ("B", "C", "D"):
        remplir_collectif(CollectifFactory(dossier=dossier), marque)
    remplir_collectif(CollectifFactory(dossier=DossierFactory(porteur=membre.porteur)), "E")
    with CaptureQueriesContext(connection) as cinq_collectifs:
        archive = ouvrir(membre.porteur, membre.utilisateur)
    assert len(lire_csv(archive, "activite/seances.csv")) == 15
    assert len(lire_csv(archive, "activite/bilans.csv")) == 5
    assert len(lire_csv(archive, "dossiers/intervenants.csv")) == 5
    assert len(un_collectif) == len(cinq_collectifs), [q["sql"] for q in cinq_collectifs]


def test_apres_la_purge_plus_de_registre_par_enfant(membre):
    """Après la purge, l'export n'a plus de codes d'enfants ni de présences : les agrégats."""
    collectif = CollectifFactory(dossier=DossierFactory(porteur=membre.porteur))
    remplir_collectif(collectif, "P", appel=False)
    archive = ouvrir(membre.porteur, membre.utilisateur)
    (registre,) = [n for n in archive.namelist() if n.endswith(f"-collectif-{collectif.pk}.json")]
    document = json.loads(archive.read(registre))
    assert document["enfants"] == []
    assert all(s["presences"] == {} for s in document["seances"])
    (seance, *_autres) = lire_csv(archive, "activite/seances.csv")
    assert (seance["Enfants inscrits lors de l'appel"], seance["Enfants présents"]) == ("2", "1")
