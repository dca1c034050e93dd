"""Analyse antivirus des pièces par clamd (protocole INSTREAM), avec un démon clamd de test.

Le démon de test parle le vrai protocole de clamd sur une socket TCP et reconnaît la chaîne de
test EICAR, comme ClamAV ; il peut aussi ne pas répondre (indisponibilité).
"""

import socketserver
import struct
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, EvenementAudit
from clas_portal import antivirus
from clas_portal.fichiers import Analyse
from dossiers.models import Dossier, Etat, PieceJustificative
from exploitation.antivirus_attente import analyser_en_attente
from tests.dossiers.test_instruction import piece_dossier
from tests.factories import DossierFactory

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class ClamdDeTest(socketserver.BaseRequestHandler):
    def handle(self):
        commande = b""
        while not commande.endswith(b"\0"):
            commande += self.request.recv(1)
        if commande != b"zINSTREAM\0":
            self.request.sendall(b"UNKNOWN COMMAND\0")
            return
        contenu = b""
        while True:
            (taille,) = struct.unpack("!L", self._lire(4))
            if taille == 0:
                break
            contenu += self._lire(taille)
        reponse = b"stream: Eicar-Test-Signature FOUND\0" if EICAR in contenu else b"stream: OK\0"
        self.request.sendall(reponse)

    def _lire(self, n):
        donnees = b""
        while len(donnees) < n:
            donnees += self.request.recv(n - len(donnees))
        return donnees


@pytest.fixture
def clamd(settings):
    serveur = socketserver.ThreadingTCPServer(("127.0.0.1", 0), ClamdDeTest)
    serveur.daemon_threads = True
    fil = threading.Thread(target=serveur.serve_forever, daemon=True)
    fil.start()
    settings.CLAS_CLAMAV = f"127.0.0.1:{serveur.server_address[1]}"
    yield serveur
    serveur.shutdown()
    serveur.server_close()


def test_fichier_sain_et_fichier_infecte(clamd):
    import io

    assert antivirus.analyser(io.BytesIO(PDF)) is None
    assert antivirus.analyser(io.BytesIO(PDF + EICAR)) == "Eicar-Test-Signature"


def test_clamd_injoignable(settings):
    import io

    settings.CLAS_CLAMAV = "127.0.0.1:1"
    with pytest.raises(antivirus.AntivirusIndisponible):
        antivirus.analyser(io.BytesIO(PDF))


@pytest.fixture
def brouillon(membre):
    return DossierFactory(porteur=membre.porteur)


@pytest.mark.django_db
class TestDepot:
    def deposer(self, client, dossier, contenu, nom="budget.pdf"):
        url = reverse("dossiers:saisie", args=[dossier.pk, "pieces"])
        return client.post(
            url, {"type": "budget", "fichier": SimpleUploadedFile(nom, contenu)}, follow=False
        )

    def test_piece_infectee_refusee_rien_d_enregistre(self, client, clamd, porteur_user, brouillon):
        client.force_login(porteur_user)
        reponse = self.deposer(client, brouillon, PDF + EICAR)
        assert "contient un virus (Eicar-Test-Signature)" in reponse.content.decode()
        assert not PieceJustificative.objects.exists()

    def test_piece_saine_marquee_saine(self, client, clamd, porteur_user, brouillon):
        client.force_login(porteur_user)
        self.deposer(client, brouillon, PDF)
        piece = PieceJustificative.objects.get()
        assert piece.analyse == Analyse.SAINE and piece.analyse_le is not None

    def test_sans_antivirus_la_piece_est_non_analysee(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        self.deposer(client, brouillon, PDF)
        assert PieceJustificative.objects.get().analyse == Analyse.NON_CONFIGUREE

    def test_clamd_en_panne_piece_en_attente_puis_analysee(
        self, client, settings, porteur_user, agent59, brouillon
    ):
        dossier_59 = brouillon
        settings.CLAS_CLAMAV = "127.0.0.1:1"
        client.force_login(porteur_user)
        self.deposer(client, dossier_59, PDF)
        piece = PieceJustificative.objects.get()
        assert piece.analyse == Analyse.EN_ATTENTE
        # Le porteur relit sa pièce ; l'agent, lui, attend l'analyse.
        Dossier.objects.filter(pk=dossier_59.pk).update(etat=Etat.DEPOSE, depose_le=timezone.now())
        client.force_login(agent59)
        url = reverse("dossiers:piece_apercu", args=[dossier_59.pk, piece.pk])
        refus = client.get(url)
        assert refus.status_code == 403
        assert EvenementAudit.objects.filter(action=Action.REFUS_ACCES).exists()
        # clamd revient : la tâche planifiée analyse la pièce, l'agent peut l'ouvrir.
        serveur = socketserver.ThreadingTCPServer(("127.0.0.1", 0), ClamdDeTest)
        threading.Thread(target=serveur.serve_forever, daemon=True).start()
        try:
            settings.CLAS_CLAMAV = f"127.0.0.1:{serveur.server_address[1]}"
            assert analyser_en_attente() == {"saines": 1, "infectees": 0, "en_attente": 0}
        finally:
            serveur.shutdown()
            serveur.server_close()
        assert client.get(url).status_code == 200

    def test_piece_infectee_apres_coup_plus_servie(self, client, agent59, dossier_59):
        dossier_59.etat = Etat.DEPOSE
        dossier_59.save()
        piece = piece_dossier(dossier_59)
        PieceJustificative.objects.filter(pk=piece.pk).update(analyse=Analyse.INFECTEE)
        client.force_login(agent59)
        url = reverse("dossiers:piece_apercu", args=[dossier_59.pk, piece.pk])
        assert client.get(url).status_code == 403
