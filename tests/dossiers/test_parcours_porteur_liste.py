"""Parcours du porteur sur « Mes dossiers » et la page du dossier : le dossier complet après le
dépôt, la réponse attendue par la Caf, l'activité de l'année, la suppression d'un brouillon et
la création d'un dossier sans organisation."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, EvenementAudit
from collectifs.models import Collectif, Creneau, Intervenant
from dossiers import depot
from dossiers.models import (
    Campagne,
    Dossier,
    Etat,
    Evenement,
    LigneBudget,
    Message,
    PieceJustificative,
)
from tests.factories import (
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    IntervenantFactory,
    MembreFactory,
    UtilisateurFactory,
)

pytestmark = pytest.mark.django_db

PDF_MINIMAL = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LISTE = reverse("dossiers:liste")


def ajouter_piece(dossier, type_piece="budget") -> PieceJustificative:
    piece = PieceJustificative(
        dossier=dossier,
        type=type_piece,
        nom_original=f"{type_piece}.pdf",
        type_mime="application/pdf",
        extension="pdf",
        taille=len(PDF_MINIMAL),
    )
    piece.fichier.save(f"{type_piece}.pdf", ContentFile(PDF_MINIMAL), save=True)
    return piece


def ecrire(dossier, auteur, quand: datetime.datetime, texte="Bonjour") -> Message:
    message = Message.objects.create(dossier=dossier, auteur=auteur, texte=texte)
    Message.objects.filter(pk=message.pk).update(cree_le=quand)
    return message


@pytest.fixture
def autre_porteur(db):
    return MembreFactory(utilisateur__email="autre@asso.fr").utilisateur


@pytest.fixture
def campagne_ouverte(dep59):
    aujourdhui = timezone.localdate()
    return Campagne.objects.create(
        departement=dep59,
        annee=2025,
        ouverture=aujourdhui - datetime.timedelta(days=30),
        cloture=aujourdhui + datetime.timedelta(days=30),
    )


# --- 1. Le dossier complet, en lecture seule après le dépôt -----------------------------------


class TestDossierComplet:
    def test_le_porteur_d_un_dossier_depose_a_le_lien_vers_le_dossier_complet(
        self, client, porteur_user, dossier_59
    ):
        client.force_login(porteur_user)
        html = client.get(reverse("dossiers:detail", args=[dossier_59.pk])).content.decode()
        recapitulatif = reverse("dossiers:recapitulatif", args=[dossier_59.pk])
        assert "Consulter le dossier complet" in html
        assert f'href="{recapitulatif}"' in html

    @pytest.mark.parametrize("etat", [Etat.EN_INSTRUCTION, Etat.ACCEPTE, Etat.REFUSE])
    def test_lien_present_dans_chaque_etat_non_modifiable(self, client, porteur_user, membre, etat):
        dossier = DossierFactory(porteur=membre.porteur, etat=etat, depose_le=timezone.now())
        client.force_login(porteur_user)
        html = client.get(reverse("dossiers:detail", args=[dossier.pk])).content.decode()
        assert "Consulter le dossier complet" in html
        assert reverse("dossiers:recapitulatif", args=[dossier.pk]) in html

    def test_le_recapitulatif_d_un_dossier_depose_montre_tout_en_lecture_seule(
        self, client, porteur_user, dossier_59
    ):
        piece = ajouter_piece(dossier_59)
        client.force_login(porteur_user)
        reponse = client.get(reverse("dossiers:recapitulatif", args=[dossier_59.pk]))
        assert reponse.status_code == 200
        html = reponse.content.decode()
        assert '<h1 class="h3 mb-1">Dossier complet</h1>' in html
        assert "il n'est plus modifiable" in html
        # Les pièces, que la page du dossier ne montre qu'à la Caf.
        assert reverse("dossiers:piece", args=[dossier_59.pk, piece.pk]) in html
        assert "budget.pdf" in html
        # Rien de modifiable : ni engagements, ni dépôt, ni liens « Modifier ».
        assert "Enregistrer les engagements" not in html
        assert reverse("dossiers:deposer", args=[dossier_59.pk]) not in html
        assert reverse("dossiers:saisie", args=[dossier_59.pk, "projet"]) + '">Modifier' not in html

    def test_un_autre_porteur_ne_voit_pas_le_dossier_complet(
        self, client, autre_porteur, dossier_59
    ):
        client.force_login(autre_porteur)
        reponse = client.get(reverse("dossiers:recapitulatif", args=[dossier_59.pk]))
        assert reponse.status_code == 404

    def test_la_caf_n_a_pas_le_lien_du_porteur(self, client, agent59, dossier_59):
        client.force_login(agent59)
        html = client.get(reverse("dossiers:detail", args=[dossier_59.pk])).content.decode()
        assert "Consulter le dossier complet" not in html


# --- 2. « Mes dossiers » : la Caf a écrit, l'activité de l'année ------------------------------


class TestMesDossiers:
    def test_la_caf_a_ecrit_en_dernier_repondre(self, client, porteur_user, agent59, membre):
        dossier = DossierFactory(porteur=membre.porteur, depose=True)
        quand = timezone.make_aware(datetime.datetime(2025, 11, 3, 10, 30))
        ecrire(dossier, porteur_user, quand - datetime.timedelta(days=2))
        ecrire(dossier, agent59, quand)
        client.force_login(porteur_user)
        reponse = client.get(LISTE)
        (ligne,) = reponse.context["dossiers"]
        assert ligne.situation.note == ""
        assert ligne.situation.message_caf_le == datetime.date(2025, 11, 3)
        html = reponse.content.decode()
        assert "Rien à faire : la Caf instruit le dossier." not in html
        assert "La Caf vous a écrit le" in html and ">03/11</time> :" in html
        lien = reverse("dossiers:detail", args=[dossier.pk]) + "#messages"
        assert f'<a href="{lien}">répondre' in html

    def test_le_porteur_a_repondu_rien_a_faire(self, client, porteur_user, agent59, membre):
        dossier = DossierFactory(porteur=membre.porteur, depose=True)
        quand = timezone.now()
        ecrire(dossier, agent59, quand - datetime.timedelta(days=1))
        ecrire(dossier, porteur_user, quand)
        client.force_login(porteur_user)
        reponse = client.get(LISTE)
        (ligne,) = reponse.context["dossiers"]
        assert ligne.situation.note == "Rien à faire : la Caf instruit le dossier."
        assert ligne.situation.message_caf_le is None
        assert "La Caf vous a écrit" not in reponse.content.decode()

    def test_sans_message_rien_a_faire(self, client, porteur_user, membre):
        DossierFactory(porteur=membre.porteur, depose=True)
        client.force_login(porteur_user)
        html = client.get(LISTE).content.decode()
        assert "Rien à faire : la Caf instruit le dossier." in html
        assert "La Caf vous a écrit" not in html

    def test_un_dossier_accepte_mene_a_l_activite_de_l_annee(self, client, porteur_user, membre):
        dossier = DossierFactory(
            porteur=membre.porteur, etat=Etat.ACCEPTE, depose_le=timezone.now()
        )
        client.force_login(porteur_user)
        reponse = client.get(LISTE)
        (ligne,) = reponse.context["dossiers"]
        actions = {a.libelle: a for a in ligne.situation.actions}
        activite = actions["Suivre l'activité de l'année"]
        assert activite.url == reverse("seances:activite", args=[dossier.pk])
        assert not activite.post
        assert activite.url in reponse.content.decode()

    def test_nombre_de_requetes_independant_du_nombre_de_dossiers(
        self, client, porteur_user, agent59, membre
    ):
        def creer(annee):
            dossier = DossierFactory(porteur=membre.porteur, annee=annee, depose=True, complet=True)
            Evenement.objects.create(dossier=dossier, type=Evenement.Type.DEPOT)
            ecrire(dossier, porteur_user, timezone.now() - datetime.timedelta(days=1))
            ecrire(dossier, agent59, timezone.now())
            accepte = DossierFactory(
                porteur=membre.porteur, annee=annee, etat=Etat.ACCEPTE, depose_le=timezone.now()
            )
            ecrire(accepte, agent59, timezone.now())

        def compter() -> int:
            with CaptureQueriesContext(connection) as requetes:
                reponse = client.get(LISTE)
            assert reponse.status_code == 200
            return len(requetes)

        client.force_login(porteur_user)
        creer(2020)
        avec_un = compter()
        for annee in range(2010, 2016):
            creer(annee)
        avec_sept = compter()
        html = client.get(LISTE).content.decode()
        assert html.count("La Caf vous a écrit le") == 14
        assert avec_sept == avec_un


# --- 3. Supprimer un brouillon ----------------------------------------------------------------


@pytest.fixture
def brouillon(membre):
    dossier = DossierFactory(porteur=membre.porteur, intitule="Créé par erreur")
    collectif = CollectifFactory(dossier=dossier)
    CreneauFactory(collectif=collectif)
    IntervenantFactory(dossier=dossier).collectifs.add(collectif)
    LigneBudget.objects.create(
        dossier=dossier, sens="depense", categorie="personnel", montant="100.00"
    )
    Evenement.objects.create(dossier=dossier, type=Evenement.Type.CREATION, etat_apres="brouillon")
    return dossier


def url_supprimer(dossier) -> str:
    return reverse("dossiers:supprimer_brouillon", args=[dossier.pk])


class TestSupprimerBrouillon:
    def test_lien_sur_la_page_du_brouillon_seulement(
        self, client, porteur_user, brouillon, dossier_59
    ):
        client.force_login(porteur_user)
        html = client.get(reverse("dossiers:detail", args=[brouillon.pk])).content.decode()
        assert "Supprimer ce brouillon" in html and url_supprimer(brouillon) in html
        html = client.get(reverse("dossiers:detail", args=[dossier_59.pk])).content.decode()
        assert "Supprimer ce brouillon" not in html

    def test_page_de_confirmation(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        reponse = client.get(url_supprimer(brouillon))
        assert reponse.status_code == 200
        html = reponse.content.decode()
        assert "Supprimer le brouillon « Créé par erreur » ?" in html
        assert "1 collectif d'enfants" in html and "1 intervenant ;" in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert Dossier.objects.filter(pk=brouillon.pk).exists()

    def test_suppression_de_tout_le_brouillon(
        self, client, porteur_user, brouillon, django_capture_on_commit_callbacks
    ):
        piece = ajouter_piece(brouillon)
        stockage, nom = piece.fichier.storage, piece.fichier.name
        assert stockage.exists(nom)
        client.force_login(porteur_user)
        with django_capture_on_commit_callbacks(execute=True):
            reponse = client.post(url_supprimer(brouillon))
        assert reponse.status_code == 302
        assert reponse["Location"] == LISTE
        assert not Dossier.objects.filter(pk=brouillon.pk).exists()
        for modele in (Collectif, Creneau, Intervenant, LigneBudget, PieceJustificative):
            assert not modele.objects.exists(), modele
        assert not Evenement.objects.filter(dossier_id=brouillon.pk).exists()
        assert not stockage.exists(nom)
        (trace,) = EvenementAudit.objects.filter(action=Action.SUPPRESSION_BROUILLON)
        assert trace.objet_type == "dossiers.dossier"
        assert trace.objet_id == str(brouillon.pk)
        assert trace.email == porteur_user.email
        assert trace.details["intitule"] == "Créé par erreur"
        assert trace.details["collectifs"] == 1 and trace.details["pieces"] == 1
        html = client.get(LISTE).content.decode()
        assert "Le brouillon « Créé par erreur (2025-2026) » est supprimé." in html

    def test_un_dossier_depose_ne_se_supprime_pas(self, client, porteur_user, dossier_59):
        client.force_login(porteur_user)
        detail = reverse("dossiers:detail", args=[dossier_59.pk])
        reponse = client.get(url_supprimer(dossier_59), follow=True)
        assert reponse.redirect_chain == [(detail, 302)]
        assert "Ce dossier est « déposé » : seul un brouillon peut être supprimé." in (
            reponse.content.decode()
        )
        reponse = client.post(url_supprimer(dossier_59))
        assert reponse.status_code == 302 and reponse["Location"] == detail
        assert Dossier.objects.filter(pk=dossier_59.pk).exists()
        assert not EvenementAudit.objects.filter(action=Action.SUPPRESSION_BROUILLON).exists()

    def test_depose_entre_temps_rien_n_est_supprime(self, porteur_user, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(etat=Etat.DEPOSE, depose_le=timezone.now())
        with pytest.raises(depot.SuppressionRefusee):
            depot.supprimer_brouillon(brouillon, porteur_user)
        assert Dossier.objects.filter(pk=brouillon.pk).exists()
        assert Collectif.objects.filter(dossier=brouillon).exists()

    def test_un_autre_porteur_recoit_404(self, client, autre_porteur, brouillon):
        client.force_login(autre_porteur)
        assert client.get(url_supprimer(brouillon)).status_code == 404
        assert client.post(url_supprimer(brouillon)).status_code == 404
        assert Dossier.objects.filter(pk=brouillon.pk).exists()

    def test_doublon_a_la_creation_propose_la_suppression(
        self, client, porteur_user, membre, campagne_ouverte, brouillon
    ):
        client.force_login(porteur_user)
        reponse = client.post(
            reverse("dossiers:nouveau"),
            {"porteur": membre.porteur.pk, "campagne": campagne_ouverte.pk},
        )
        assert reponse.status_code == 200
        html = reponse.content.decode()
        assert "Reprendre le dossier existant" in html
        assert url_supprimer(brouillon) in html


# --- 4. Nouveau dossier sans organisation -----------------------------------------------------


def test_sans_organisation_le_texte_dit_quoi_faire(client, campagne_ouverte):
    seul = UtilisateurFactory(email="seul@exemple.fr")
    client.force_login(seul)
    reponse = client.get(reverse("dossiers:nouveau"))
    assert reponse.status_code == 200
    html = reponse.content.decode()
    assert "Vous n&#x27;êtes membre d&#x27;aucune organisation" in html or (
        "Vous n'êtes membre d'aucune organisation" in html
    )
    assert "inscrivez-la" not in html.lower()
    assert "demandez à l'un de ses membres de vous inviter" in html
    assert "seul@exemple.fr" in html
    assert "Vous recevrez un courriel avec un lien pour la rejoindre" in html
    assert "écrivez à votre Caf" in html
    assert f'href="{LISTE}"' in html
