"""Export des données d'une organisation par un de ses membres (RGPD)."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import EvenementAudit
from dossiers.models import Message, PieceJustificative
from seances.models import Enfant
from tests.factories import CollectifFactory, DossierFactory, MembreFactory

pytestmark = pytest.mark.django_db


def test_membre_exporte_tout(client, membre):
    dossier = DossierFactory(porteur=membre.porteur, reference="EXP-1")
    collectif = CollectifFactory(dossier=dossier)
    Enfant.objects.create(
        collectif=collectif, code="AB-01", classe="CM1", sexe="F", code_famille="F1"
    )
    Message.objects.create(dossier=dossier, auteur=membre.utilisateur, texte="Bonjour la Caf")
    PieceJustificative.objects.create(
        dossier=dossier,
        type="budget",
        fichier=SimpleUploadedFile("b.pdf", b"%PDF-1.4 budget"),
        nom_original="budget 2025.pdf",
        type_mime="application/pdf",
        extension="pdf",
        taille=15,
    )
    client.force_login(membre.utilisateur)
    page = client.get(reverse("porteurs:detail", args=[membre.porteur.pk]))
    assert reverse("porteurs:export", args=[membre.porteur.pk]) in page.content.decode()
    reponse = client.get(reverse("porteurs:export", args=[membre.porteur.pk]))
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/zip"
    assert "attachment" in reponse["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(reponse.streaming_content)))
    noms = archive.namelist()
    assert {"LISEZMOI.txt", "organisation.json", "mon-compte.json"} <= set(noms)
    organisation = json.loads(archive.read("organisation.json"))
    assert organisation["siret"] == membre.porteur.siret
    assert membre.utilisateur.email in [m["email"] for m in organisation["membres"]]
    assert json.loads(archive.read("mon-compte.json"))["email"] == membre.utilisateur.email
    (fichier_dossier,) = [
        n for n in noms if n.startswith("dossiers/") and n.endswith(f"-dossier-{dossier.pk}.json")
    ]
    document = json.loads(archive.read(fichier_dossier))
    assert document["format"] == "clas-dossier/1" and document["reference"] == "EXP-1"
    suivi = json.loads(archive.read(fichier_dossier.replace(".json", "-suivi.json")))
    assert suivi["messages"][0]["texte"] == "Bonjour la Caf"
    (piece,) = [n for n in noms if n.startswith("pieces/") and n.endswith("budget 2025.pdf")]
    assert archive.read(piece) == b"%PDF-1.4 budget"
    (activite,) = [n for n in noms if n.startswith("activite/") and n.endswith(".json")]
    assert json.loads(archive.read(activite))["enfants"][0]["code"] == "AB-01"
    assert EvenementAudit.objects.filter(
        action="export_donnees", email=membre.utilisateur.email
    ).exists()


def test_export_refuse_hors_organisation(client, membre, agent59):
    autre = MembreFactory()
    client.force_login(autre.utilisateur)
    assert client.get(reverse("porteurs:export", args=[membre.porteur.pk])).status_code == 404
    # L'agent Caf voit l'organisation mais n'exporte pas ses données.
    client.force_login(agent59)
    reponse = client.get(reverse("porteurs:export", args=[membre.porteur.pk]))
    assert reponse.status_code in (403, 404)
