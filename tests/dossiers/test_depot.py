"""Récapitulatif, blocages, dépôt (transaction, accusé PDF, courriels), renouvellement,
messages, historique et accueil du porteur."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from collectifs.models import Collectif, Intervenant
from dossiers import depot, pdf
from dossiers.models import (
    Campagne,
    Dossier,
    Etat,
    Evaluation,
    Evenement,
    LigneBudget,
    Message,
    PieceJustificative,
)
from porteurs.models import PiecePermanente
from tests.factories import (
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    IntervenantFactory,
    MembreFactory,
    UtilisateurFactory,
)

pytestmark = pytest.mark.django_db

CHAMPS_COLLECTIF_REPRIS = [
    f.name
    for f in Collectif._meta.concrete_fields
    if f.name not in ("id", "dossier", "date_debut", "date_fin")
]
PDF_MINIMAL = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AUJOURDHUI = timezone.localdate()


# --- Données -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def campagne(departement, annee, *, ouverte=True):
    if ouverte:
        debut, fin = AUJOURDHUI - datetime.timedelta(days=30), AUJOURDHUI + datetime.timedelta(30)
    else:
        debut, fin = datetime.date(annee, 3, 1), datetime.date(annee, 6, 30)
    return Campagne.objects.create(
        departement=departement, annee=annee, ouverture=debut, cloture=fin
    )


@pytest.fixture
def campagne59(dep59):
    return campagne(dep59, 2025)


def ajouter_piece(dossier, type_piece="budget"):
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


def ajouter_pieces_permanentes(porteur, types=("statuts", "rib", "assurance")):
    for type_piece in types:
        piece = PiecePermanente(
            porteur=porteur,
            type=type_piece,
            nom_original=f"{type_piece}.pdf",
            type_mime="application/pdf",
            extension="pdf",
            taille=len(PDF_MINIMAL),
        )
        piece.fichier.save(f"{type_piece}.pdf", ContentFile(PDF_MINIMAL), save=True)


def dossier_complet(porteur, **champs) -> Dossier:
    """Un dossier que rien n'empêche de déposer : collectif, créneaux, budget équilibré,
    pièce obligatoire (les pièces permanentes sont à ajouter à l'organisation)."""
    champs.setdefault("intitule", "Coup de pouce lecture")
    champs.setdefault("renouvellement", False)
    champs.setdefault("montant_demande", Decimal("8000.00"))
    dossier = DossierFactory(porteur=porteur, complet=True, **champs)
    collectif = CollectifFactory(
        dossier=dossier, nom="Les Lucioles CM", depenses_fonctionnement=Decimal("10000.00")
    )
    CreneauFactory(collectif=collectif, jour="mardi")
    CreneauFactory(collectif=collectif, jour="jeudi")
    IntervenantFactory(dossier=dossier, nom="Awa D.").collectifs.add(collectif)
    LigneBudget.objects.create(
        dossier=dossier, sens="depense", categorie="personnel", montant=Decimal("12000.00")
    )
    LigneBudget.objects.create(
        dossier=dossier, sens="recette", categorie="commune", montant=Decimal("4000.00")
    )
    ajouter_piece(dossier)
    return dossier


@pytest.fixture
def brouillon(membre, campagne59):
    ajouter_pieces_permanentes(membre.porteur)
    return dossier_complet(membre.porteur)


@pytest.fixture
def autre_porteur(db):
    return MembreFactory(utilisateur__email="autre@asso.fr").utilisateur


def charger(dossier) -> Dossier:
    return depot.avec_tout(Dossier.objects.filter(pk=dossier.pk)).get()


def blocages_de(dossier) -> list[depot.Blocage]:
    return depot.blocages(charger(dossier))


def texte_pdf(contenu: bytes) -> str:
    """Le texte du PDF, espaces (fines, insécables, retours à la ligne) normalisées."""
    texte = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(contenu)).pages)
    return re.sub(r"\s+", " ", texte.replace("\u202f", " ").replace("\xa0", " "))


def deposer_par_le_site(client, dossier, **donnees):
    return client.post(
        reverse("dossiers:deposer", args=[dossier.pk]), {"certification": "on", **donnees}
    )


# --- Blocages ----------------------------------------------------------------------------------


class TestBlocages:
    def test_dossier_complet_sans_blocage(self, brouillon):
        assert blocages_de(brouillon) == []

    def test_donnee_manquante_bloque_avec_le_lien_de_son_etape(self, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(reperage_concerte_ecole=None)
        (blocage,) = blocages_de(brouillon)
        assert "concertation avec les établissements scolaires" in blocage.message
        assert blocage.url.startswith(reverse("dossiers:saisie", args=[brouillon.pk, "projet"]))

    def test_coordinateur_manquant_mene_a_l_equipe(self, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(coordinateur_niveau_diplome="")
        (blocage,) = blocages_de(brouillon)
        assert blocage.url.startswith(reverse("dossiers:saisie", args=[brouillon.pk, "equipe"]))

    def test_engagement_manquant_mene_aux_engagements(self, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(engagement_bilan=None)
        (blocage,) = blocages_de(brouillon)
        assert blocage.url == (
            reverse("dossiers:recapitulatif", args=[brouillon.pk]) + "#engagements"
        )

    def test_donnee_manquante_d_un_collectif(self, brouillon):
        Collectif.objects.filter(dossier=brouillon).update(nombre_enfants=None)
        (blocage,) = blocages_de(brouillon)
        assert blocage.message.startswith("Les Lucioles CM : ")
        assert blocage.url.startswith(f"/dossiers/{brouillon.pk}/")
        assert "Les Lucioles CM" in blocage.libelle_lien

    def test_non_conforme_ne_bloque_pas(self, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(aide_aux_devoirs_exclusive=True)
        Collectif.objects.filter(dossier=brouillon).update(nombre_enfants=30)
        dossier = charger(brouillon)
        evaluation = depot.evaluer_document(depot.dossier_vers_document(dossier))
        statuts = {c["code"]: c["statut"] for c in evaluation["criteres"]}
        assert statuts["EXCLUSION-AIDE-DEVOIRS"] == "non_conforme"
        assert depot.blocages(dossier, evaluation) == []

    def test_piece_du_dossier_manquante(self, brouillon):
        brouillon.pieces.all().delete()
        (blocage,) = blocages_de(brouillon)
        assert blocage.message == "Pièce manquante : budget prévisionnel signé."
        assert blocage.url == reverse("dossiers:saisie", args=[brouillon.pk, "pieces"])

    def test_piece_permanente_manquante_mene_a_l_organisation(self, brouillon):
        PiecePermanente.objects.filter(porteur=brouillon.porteur, type="rib").delete()
        (blocage,) = blocages_de(brouillon)
        assert "relevé d'identité bancaire" in blocage.message
        assert blocage.url == f"/organisations/{brouillon.porteur_id}/"

    def test_budget_desequilibre(self, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(montant_demande=Decimal("7000.00"))
        (blocage,) = blocages_de(brouillon)
        assert "n'est pas équilibré" in blocage.message
        assert "l'écart est de 1 000,00 €" in blocage.message
        assert blocage.url == reverse("dossiers:saisie", args=[brouillon.pk, "budget"])

    def test_montant_demande_absent(self, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(montant_demande=None)
        messages = [b.message for b in blocages_de(brouillon)]
        assert messages == ["Le montant demandé à la Caf n'est pas indiqué."]

    def test_aucun_collectif(self, brouillon):
        brouillon.collectifs.all().delete()
        (blocage,) = blocages_de(brouillon)
        assert "aucun collectif" in blocage.message
        assert blocage.url == reverse("dossiers:saisie", args=[brouillon.pk, "collectifs"])

    def test_campagne_close(self, brouillon, campagne59):
        campagne59.ouverture = datetime.date(2026, 3, 1)
        campagne59.cloture = datetime.date(2026, 6, 30)
        campagne59.save()
        (blocage,) = depot.blocages(charger(brouillon), jour=datetime.date(2026, 7, 1))
        assert blocage.message == (
            "La campagne de dépôt 2025-2026 du département 59 – Nord a fermé le 30 juin 2026 : "
            "le dossier ne peut plus être déposé."
        )
        assert blocage.url == ""

    def test_campagne_absente(self, brouillon, campagne59):
        campagne59.delete()
        (blocage,) = blocages_de(brouillon)
        assert "Aucune campagne de dépôt n'est prévue pour l'année scolaire 2025-2026" in (
            blocage.message
        )

    def test_complement_se_redepose_apres_la_cloture(self, brouillon, campagne59):
        Campagne.objects.filter(pk=campagne59.pk).update(
            ouverture=datetime.date(2025, 3, 1), cloture=datetime.date(2025, 6, 30)
        )
        Dossier.objects.filter(pk=brouillon.pk).update(
            etat=Etat.COMPLEMENT_DEMANDE, depose_le=timezone.now()
        )
        assert blocages_de(brouillon) == []


# --- Récapitulatif et engagements ---------------------------------------------------------------


class TestRecapitulatif:
    def url(self, dossier):
        return reverse("dossiers:recapitulatif", args=[dossier.pk])

    def test_affiche_tout_le_dossier_et_le_bouton_de_depot(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        reponse = client.get(self.url(brouillon))
        assert reponse.status_code == 200
        html = reponse.content.decode()
        for attendu in (
            "Coup de pouce lecture",
            "Les Lucioles CM",
            "Awa D.",
            "Méthodologie du travail scolaire.",
            "Total des dépenses",
            "budget.pdf",
            "Le dossier est complet",
            "Déposer le dossier",
            'id="engagements"',
        ):
            assert attendu in html, attendu
        assert "style=" not in html and "<script>" not in html

    def test_liste_les_blocages_avec_leurs_liens(self, client, porteur_user, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(montant_demande=Decimal("1.00"))
        client.force_login(porteur_user)
        html = client.get(self.url(brouillon)).content.decode()
        assert "Avant de déposer : 1 point à compléter" in html
        assert reverse("dossiers:saisie", args=[brouillon.pk, "budget"]) in html
        assert reverse("dossiers:deposer", args=[brouillon.pk]) not in html

    def test_enregistre_les_engagements(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        reponse = client.post(
            self.url(brouillon),
            {"charte_laicite_neutralite": "on", "charte_participation_familles_euros": "1,50"},
        )
        assert reponse.status_code == 302
        brouillon.refresh_from_db()
        assert brouillon.charte_laicite_neutralite is True
        assert brouillon.charte_participation_familles_euros == Decimal("1.50")
        # Une case non cochée n'est pas un refus : l'engagement redevient « non renseigné ».
        assert brouillon.engagement_bilan is None

    def test_participation_negative_refusee_en_francais(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        reponse = client.post(self.url(brouillon), {"charte_participation_familles_euros": "-3"})
        assert reponse.status_code == 200
        assert "ne peut pas être négative" in reponse.content.decode()
        brouillon.refresh_from_db()
        assert brouillon.charte_participation_familles_euros == Decimal("0")

    def test_dossier_depose_en_lecture_seule(self, client, porteur_user, dossier_59):
        client.force_login(porteur_user)
        reponse = client.get(self.url(dossier_59))
        assert reponse.status_code == 200
        assert "il n'est plus modifiable" in reponse.content.decode()
        assert "Enregistrer les engagements" not in reponse.content.decode()
        reponse = client.post(self.url(dossier_59), {"engagement_bilan": ""})
        assert reponse.status_code == 403
        dossier_59.refresh_from_db()
        assert dossier_59.engagement_bilan is True

    def test_requetes_bornees_avec_10_collectifs(
        self, client, porteur_user, brouillon, django_assert_max_num_queries
    ):
        for i in range(9):
            collectif = CollectifFactory(dossier=brouillon, nom=f"Groupe {i}")
            CreneauFactory(collectif=collectif)
            CreneauFactory(collectif=collectif, jour="vendredi")
        client.force_login(porteur_user)
        with django_assert_max_num_queries(15):
            assert client.get(self.url(brouillon)).status_code == 200


# --- Dépôt -------------------------------------------------------------------------------------


class TestDepot:
    def test_depot_complet(
        self,
        client,
        porteur_user,
        brouillon,
        agent59,
        agent23,
        secretariat59,
        mailoutbox,
        django_capture_on_commit_callbacks,
    ):
        UtilisateurFactory(agent=True, email="parti@caf.fr", is_active=False)
        collegue = MembreFactory(porteur=brouillon.porteur, utilisateur__email="collegue@asso.fr")
        client.force_login(porteur_user)
        with django_capture_on_commit_callbacks(execute=True):
            reponse = deposer_par_le_site(client, brouillon)
        assert reponse.status_code == 302
        assert reponse["Location"] == reverse("dossiers:detail", args=[brouillon.pk])

        brouillon.refresh_from_db()
        assert brouillon.etat == Etat.DEPOSE
        assert brouillon.depose_le is not None
        (evaluation,) = Evaluation.objects.filter(dossier=brouillon)
        assert evaluation.motif == Evaluation.Motif.DEPOT
        assert evaluation.verdict == "eligible"
        assert evaluation.montant_ps_total == Decimal("2562.95")
        (evenement,) = Evenement.objects.filter(dossier=brouillon)
        assert evenement.type == Evenement.Type.DEPOT
        assert (evenement.etat_avant, evenement.etat_apres) == (Etat.BROUILLON, Etat.DEPOSE)
        assert evenement.auteur == porteur_user

        au_porteur, aux_agents = mailoutbox
        assert au_porteur.to == [porteur_user.email, collegue.utilisateur.email]
        ((nom, contenu, mime),) = au_porteur.attachments
        assert mime == "application/pdf" and contenu.startswith(b"%PDF")
        assert nom == f"accuse-de-depot-dossier-{brouillon.pk}-2025-2026.pdf"
        assert "a bien été déposé" in au_porteur.body
        assert aux_agents.to == ["agent59@caf.fr"]
        assert brouillon.porteur.raison_sociale in aux_agents.subject
        assert f"/dossiers/{brouillon.pk}/" in aux_agents.body

        page = client.get(reponse["Location"]).content.decode()
        assert "Votre dossier est déposé" in page
        assert reverse("dossiers:accuse", args=[brouillon.pk]) in page

    def test_certification_obligatoire(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        reponse = client.post(reverse("dossiers:deposer", args=[brouillon.pk]))
        assert reponse.status_code == 200
        assert "Cochez la case de certification" in reponse.content.decode()
        brouillon.refresh_from_db()
        assert brouillon.etat == Etat.BROUILLON

    def test_depot_refuse_tant_qu_il_manque_des_donnees(self, client, porteur_user, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(charte_laicite_neutralite=None)
        client.force_login(porteur_user)
        reponse = deposer_par_le_site(client, brouillon)
        assert reponse["Location"].endswith("/recapitulatif/#depot")
        brouillon.refresh_from_db()
        assert brouillon.etat == Etat.BROUILLON
        assert not Evaluation.objects.exists() and not Evenement.objects.exists()

    def test_echec_de_l_accuse_laisse_le_brouillon_intact(
        self,
        client,
        porteur_user,
        brouillon,
        agent59,
        mailoutbox,
        monkeypatch,
        django_capture_on_commit_callbacks,
    ):
        # Un vrai échec du rendu : le gabarit de l'accusé n'existe pas.
        monkeypatch.setattr(pdf, "GABARIT_ACCUSE", "dossiers/pdf/gabarit-absent.html")
        avant = Dossier.objects.values().get(pk=brouillon.pk)
        client.force_login(porteur_user)
        with django_capture_on_commit_callbacks(execute=True) as rappels:
            reponse = deposer_par_le_site(client, brouillon)
        assert reponse.status_code == 302
        assert Dossier.objects.values().get(pk=brouillon.pk) == avant
        assert not Evaluation.objects.filter(dossier=brouillon).exists()
        assert not Evenement.objects.filter(dossier=brouillon).exists()
        assert rappels == [] and mailoutbox == []
        page = client.get(reponse["Location"]).content.decode()
        assert "le dépôt est annulé et votre dossier n&#x27;a pas changé" in page

    def test_double_depot_refuse(self, porteur_user, brouillon):
        depot.deposer(brouillon, porteur_user)
        with pytest.raises(depot.DepotRefuse, match="déjà été déposé"):
            depot.deposer(brouillon, porteur_user)
        assert Evaluation.objects.filter(dossier=brouillon).count() == 1
        assert Evenement.objects.filter(dossier=brouillon).count() == 1

    def test_second_envoi_du_formulaire_sans_effet(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        deposer_par_le_site(client, brouillon)
        reponse = deposer_par_le_site(client, brouillon)
        assert reponse["Location"] == reverse("dossiers:detail", args=[brouillon.pk])
        assert Evaluation.objects.filter(dossier=brouillon).count() == 1

    def test_redepot_apres_complement(
        self,
        client,
        porteur_user,
        brouillon,
        agent59,
        mailoutbox,
        django_capture_on_commit_callbacks,
    ):
        premier = timezone.now() - datetime.timedelta(days=10)
        Dossier.objects.filter(pk=brouillon.pk).update(
            etat=Etat.COMPLEMENT_DEMANDE, depose_le=premier
        )
        client.force_login(porteur_user)
        with django_capture_on_commit_callbacks(execute=True):
            deposer_par_le_site(client, brouillon)
        brouillon.refresh_from_db()
        assert brouillon.etat == Etat.EN_INSTRUCTION
        assert brouillon.depose_le == premier
        (evenement,) = Evenement.objects.filter(dossier=brouillon)
        assert (evenement.etat_avant, evenement.etat_apres) == (
            Etat.COMPLEMENT_DEMANDE,
            Etat.EN_INSTRUCTION,
        )
        assert "complété et redéposé" in evenement.commentaire
        assert Evaluation.objects.filter(dossier=brouillon, motif="depot").count() == 1
        au_porteur, aux_agents = mailoutbox
        assert "complété et redéposé" in au_porteur.subject
        assert "redéposé" in aux_agents.subject
        texte = texte_pdf(client.get(reverse("dossiers:accuse", args=[brouillon.pk])).content)
        assert "Accusé de dépôt — dossier complété" in texte

    def test_reserve_aux_membres(self, client, brouillon, autre_porteur, agent59):
        client.force_login(autre_porteur)
        assert deposer_par_le_site(client, brouillon).status_code == 404
        client.force_login(agent59)
        assert deposer_par_le_site(client, brouillon).status_code == 403
        brouillon.refresh_from_db()
        assert brouillon.etat == Etat.BROUILLON

    def test_get_refuse(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        assert client.get(reverse("dossiers:deposer", args=[brouillon.pk])).status_code == 405


# --- Accusé de dépôt ---------------------------------------------------------------------------


class TestAccuse:
    def telecharger(self, client, dossier):
        return client.get(reverse("dossiers:accuse", args=[dossier.pk]))

    def test_contenu(self, client, porteur_user, brouillon):
        Dossier.objects.filter(pk=brouillon.pk).update(charte_participation_familles_euros=5)
        depot.deposer(brouillon, porteur_user)
        client.force_login(porteur_user)
        reponse = self.telecharger(client, brouillon)
        assert reponse.status_code == 200
        assert reponse["Content-Type"] == "application/pdf"
        assert reponse["Content-Disposition"].startswith("attachment;")
        assert reponse["X-Content-Type-Options"] == "nosniff"
        texte = texte_pdf(reponse.content)
        porteur = brouillon.porteur
        depose_le = timezone.localtime(Evenement.objects.get(dossier=brouillon).cree_le)
        for attendu in (
            "Accusé de dépôt",
            porteur.raison_sociale,
            porteur.siret,
            f"Dossier n° {brouillon.pk}",
            "2025-2026",
            "59 – Nord",
            "Les Lucioles CM",
            "CM1, CM2",
            "2 562,95 €",
            "éligible",
            f"{depose_le:%H} h {depose_le:%M}",
            "CHARTE-GRATUITE",  # participation de 5 € : « à vérifier », signalé
            "ne vaut pas décision de financement",
        ):
            assert attendu in texte, attendu

    def test_ne_change_pas_quand_le_dossier_change(self, client, porteur_user, brouillon):
        depot.deposer(brouillon, porteur_user)
        client.force_login(porteur_user)
        avant = texte_pdf(self.telecharger(client, brouillon).content)
        brouillon.porteur.raison_sociale = "Nouveau nom"
        brouillon.porteur.save()
        Collectif.objects.filter(dossier=brouillon).update(
            nom="Renommé", depenses_fonctionnement=Decimal("1.00")
        )
        apres = texte_pdf(self.telecharger(client, brouillon).content)
        assert apres == avant
        assert "Nouveau nom" not in apres and "Renommé" not in apres

    def test_perimetre(
        self,
        client,
        porteur_user,
        brouillon,
        autre_porteur,
        agent59,
        agent23,
        secretariat59,
        admin_national,
    ):
        depot.deposer(brouillon, porteur_user)
        for utilisateur, attendu in (
            (porteur_user, 200),
            (agent59, 200),
            (secretariat59, 200),
            (admin_national, 200),
            (autre_porteur, 404),
            (agent23, 404),
        ):
            client.force_login(utilisateur)
            assert self.telecharger(client, brouillon).status_code == attendu, utilisateur

    def test_pas_d_accuse_sans_depot(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        assert self.telecharger(client, brouillon).status_code == 404

    def test_anonyme_redirige_vers_la_connexion(self, client, porteur_user, brouillon):
        depot.deposer(brouillon, porteur_user)
        assert self.telecharger(client, brouillon).status_code == 302


# --- Renouvellement ----------------------------------------------------------------------------


@pytest.fixture
def accepte(membre, dep59):
    ajouter_pieces_permanentes(membre.porteur)
    dossier = dossier_complet(
        membre.porteur,
        etat=Etat.ACCEPTE,
        depose_le=timezone.now(),
        montant_accorde=Decimal("2500.00"),
        motif_decision="Dossier conforme.",
    )
    second = CollectifFactory(dossier=dossier, nom="Les Collégiens", classes=["6e", "5e"])
    CreneauFactory(collectif=second, jour="mercredi", duree_minutes=120)
    dossier.intervenants.get().collectifs.add(second)
    IntervenantFactory(dossier=dossier, nom="Bénévole B.", statut="benevole")
    return dossier


class TestRenouvellement:
    def renouveler(self, client, dossier):
        return client.post(reverse("dossiers:renouveler", args=[dossier.pk]))

    def test_preremplit_le_dossier_de_l_annee_suivante(self, client, porteur_user, accepte, dep59):
        campagne(dep59, 2026)
        client.force_login(porteur_user)
        reponse = self.renouveler(client, accepte)
        nouveau = Dossier.objects.get(annee=2026)
        assert reponse["Location"] == reverse("dossiers:saisie", args=[nouveau.pk, "projet"])
        assert nouveau.etat == Etat.BROUILLON and nouveau.depose_le is None
        assert nouveau.renouvellement is True and nouveau.origine == accepte
        assert (nouveau.porteur, nouveau.departement) == (accepte.porteur, accepte.departement)
        for champ in depot.CHAMPS_DOSSIER_REPRIS:
            assert getattr(nouveau, champ) == getattr(accepte, champ), champ
        # Ni engagements, ni montant demandé, ni décision, ni pièces.
        assert nouveau.charte_laicite_neutralite is None
        assert nouveau.charte_participation_familles_euros is None
        assert nouveau.engagement_bilan is None
        assert nouveau.montant_demande is None and nouveau.montant_accorde is None
        assert nouveau.motif_decision == ""
        assert not nouveau.pieces.exists()

        anciens = list(accepte.collectifs.order_by("ordre", "pk"))
        copies = list(nouveau.collectifs.order_by("ordre", "pk"))
        assert [c.nom for c in copies] == ["Les Lucioles CM", "Les Collégiens"]
        for ancien, copie in zip(anciens, copies, strict=True):
            assert copie.date_debut is None and copie.date_fin is None
            for champ in CHAMPS_COLLECTIF_REPRIS:
                assert getattr(copie, champ) == getattr(ancien, champ), champ
            assert [(c.jour, c.debut, c.duree_minutes) for c in copie.creneaux.order_by("pk")] == [
                (c.jour, c.debut, c.duree_minutes) for c in ancien.creneaux.order_by("pk")
            ]
        awa = Intervenant.objects.get(dossier=nouveau, nom="Awa D.")
        assert set(awa.collectifs.values_list("nom", flat=True)) == {
            "Les Lucioles CM",
            "Les Collégiens",
        }
        assert set(awa.collectifs.values_list("dossier", flat=True)) == {nouveau.pk}
        assert Intervenant.objects.filter(dossier=nouveau).count() == 2
        assert sorted(nouveau.lignes_budget.values_list("sens", "categorie", "montant")) == sorted(
            accepte.lignes_budget.values_list("sens", "categorie", "montant")
        )
        (evenement,) = nouveau.evenements.all()
        assert evenement.type == Evenement.Type.RENOUVELLEMENT
        assert evenement.auteur == porteur_user
        # Le dossier d'origine n'a pas bougé.
        assert accepte.collectifs.count() == 2 and accepte.pieces.count() == 1

    def test_refuse_sans_campagne_ouverte(self, client, porteur_user, accepte, dep59):
        campagne(dep59, 2026, ouverte=False)
        client.force_login(porteur_user)
        reponse = self.renouveler(client, accepte)
        assert reponse["Location"] == reverse("dossiers:detail", args=[accepte.pk])
        assert not Dossier.objects.filter(annee=2026).exists()
        page = client.get(reponse["Location"]).content.decode()
        assert "a fermé le 30 juin 2026 : le renouvellement n&#x27;est plus possible" in page

    def test_refuse_si_le_dossier_existe_deja(self, client, porteur_user, accepte, dep59):
        campagne(dep59, 2026)
        existant = DossierFactory(porteur=accepte.porteur, annee=2026)
        client.force_login(porteur_user)
        reponse = self.renouveler(client, accepte)
        assert reponse["Location"] == reverse("dossiers:detail", args=[existant.pk])
        assert Dossier.objects.filter(annee=2026).count() == 1

    def test_brouillon_non_renouvelable(self, client, porteur_user, brouillon, dep59):
        campagne(dep59, 2026)
        client.force_login(porteur_user)
        self.renouveler(client, brouillon)
        assert not Dossier.objects.filter(annee=2026).exists()

    def test_perimetre(self, client, accepte, autre_porteur, agent23, agent59, dep59):
        campagne(dep59, 2026)
        client.force_login(autre_porteur)
        assert self.renouveler(client, accepte).status_code == 404
        client.force_login(agent59)
        assert self.renouveler(client, accepte).status_code == 403
        assert not Dossier.objects.filter(annee=2026).exists()

    def test_bouton_sur_la_page_du_dossier(self, client, porteur_user, accepte, dep59):
        campagne(dep59, 2026)
        client.force_login(porteur_user)
        page = client.get(reverse("dossiers:detail", args=[accepte.pk])).content.decode()
        assert "Renouveler pour l'année suivante" in page
        assert reverse("dossiers:renouveler", args=[accepte.pk]) in page


# --- Messages, complément demandé, historique --------------------------------------------------


class TestMessages:
    def ecrire(self, client, dossier, texte):
        return client.post(reverse("dossiers:message", args=[dossier.pk]), {"texte": texte})

    def test_le_porteur_ecrit_aux_agents(
        self,
        client,
        porteur_user,
        dossier_59,
        agent59,
        agent23,
        mailoutbox,
        django_capture_on_commit_callbacks,
    ):
        client.force_login(porteur_user)
        with django_capture_on_commit_callbacks(execute=True):
            reponse = self.ecrire(client, dossier_59, "  Voici le bilan demandé.  ")
        assert reponse["Location"].endswith("#messages")
        message = Message.objects.get(dossier=dossier_59)
        assert (message.auteur, message.texte) == (porteur_user, "Voici le bilan demandé.")
        evenement = Evenement.objects.get(dossier=dossier_59, type=Evenement.Type.MESSAGE)
        assert evenement.commentaire == "Voici le bilan demandé."
        (courriel,) = mailoutbox
        assert courriel.to == ["agent59@caf.fr"]
        assert "Voici le bilan demandé." in courriel.body

    def test_l_agent_ecrit_aux_membres(
        self,
        client,
        porteur_user,
        dossier_59,
        agent59,
        mailoutbox,
        django_capture_on_commit_callbacks,
    ):
        client.force_login(agent59)
        with django_capture_on_commit_callbacks(execute=True):
            self.ecrire(client, dossier_59, "Merci d'envoyer le RIB à jour.")
        (courriel,) = mailoutbox
        assert courriel.to == [porteur_user.email]
        page = client.get(reverse("dossiers:detail", args=[dossier_59.pk])).content.decode()
        assert "Merci d&#x27;envoyer le RIB à jour." in page
        assert "agent Caf" in page

    def test_message_vide_refuse(self, client, porteur_user, dossier_59):
        client.force_login(porteur_user)
        reponse = self.ecrire(client, dossier_59, "   ")
        assert reponse.status_code == 200
        assert "Écrivez votre message avant de l&#x27;envoyer." in reponse.content.decode()
        assert not Message.objects.exists()

    def test_perimetre(self, client, dossier_59, autre_porteur, agent23):
        for utilisateur in (autre_porteur, agent23):
            client.force_login(utilisateur)
            assert self.ecrire(client, dossier_59, "Bonjour").status_code == 404
        assert not Message.objects.exists()

    def test_pas_de_message_sur_un_brouillon(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        assert self.ecrire(client, brouillon, "Bonjour").status_code == 403

    def test_complement_demande_et_historique(self, client, porteur_user, dossier_59, agent59):
        Evenement.objects.create(
            dossier=dossier_59,
            type=Evenement.Type.DEPOT,
            auteur=porteur_user,
            etat_avant=Etat.BROUILLON,
            etat_apres=Etat.DEPOSE,
        )
        Evenement.objects.create(
            dossier=dossier_59,
            type=Evenement.Type.TRANSITION,
            auteur=agent59,
            etat_avant=Etat.DEPOSE,
            etat_apres=Etat.COMPLEMENT_DEMANDE,
            commentaire="Le nombre d'enfants du collectif 2 est à préciser.",
        )
        Message.objects.create(dossier=dossier_59, auteur=agent59, texte="Précisez aussi le lieu.")
        Dossier.objects.filter(pk=dossier_59.pk).update(etat=Etat.COMPLEMENT_DEMANDE)
        client.force_login(porteur_user)
        page = client.get(reverse("dossiers:detail", args=[dossier_59.pk])).content.decode()
        assert "La Caf vous demande un complément" in page
        assert "Le nombre d&#x27;enfants du collectif 2 est à préciser." in page
        assert "Précisez aussi le lieu." in page
        assert reverse("dossiers:recapitulatif", args=[dossier_59.pk]) in page
        assert reverse("dossiers:saisie", args=[dossier_59.pk, "projet"]) in page
        historique = page[page.index('id="historique"') :]
        assert historique.index("Dépôt") < historique.index("Changement d&#x27;état")
        assert 'déposé <span aria-hidden="true">→</span>' in historique

    def test_page_du_dossier_requetes_bornees(
        self, client, porteur_user, dossier_59, agent59, django_assert_max_num_queries
    ):
        for i in range(10):
            Message.objects.create(dossier=dossier_59, auteur=agent59, texte=f"Question {i}")
            Message.objects.create(dossier=dossier_59, auteur=porteur_user, texte=f"Réponse {i}")
            Evenement.objects.create(
                dossier=dossier_59, type=Evenement.Type.MESSAGE, auteur=agent59
            )
        client.force_login(porteur_user)
        with django_assert_max_num_queries(14):
            reponse = client.get(reverse("dossiers:detail", args=[dossier_59.pk]))
        assert reponse.content.decode().count("Question ") == 10


# --- Accueil du porteur ------------------------------------------------------------------------


class TestAccueil:
    url = reverse("dossiers:liste")

    def test_prochaines_actions(self, client, porteur_user, membre, dep59):
        campagne(dep59, 2025)
        campagne(dep59, 2026)
        porteur = membre.porteur
        brouillon = DossierFactory(porteur=porteur, annee=2025, intitule="Brouillon")
        complement = DossierFactory(
            porteur=porteur, annee=2024, etat=Etat.COMPLEMENT_DEMANDE, depose_le=timezone.now()
        )
        instruit = DossierFactory(porteur=porteur, annee=2023, depose=True)
        accepte = DossierFactory(
            porteur=porteur, annee=2025, etat=Etat.ACCEPTE, depose_le=timezone.now()
        )
        Evenement.objects.create(dossier=accepte, type=Evenement.Type.DEPOT)
        client.force_login(porteur_user)
        reponse = client.get(self.url)
        html = reponse.content.decode()
        situations = {d.pk: d.situation for d in reponse.context["dossiers"]}
        assert [a.libelle for a in situations[brouillon.pk].actions] == ["Compléter et déposer"]
        assert situations[brouillon.pk].actions[0].url == reverse(
            "dossiers:saisie", args=[brouillon.pk, "projet"]
        )
        assert [a.libelle for a in situations[complement.pk].actions] == [
            "Répondre à la demande de la Caf"
        ]
        assert situations[instruit.pk].note == "Rien à faire : la Caf instruit le dossier."
        assert [a.libelle for a in situations[accepte.pk].actions] == [
            "Suivre l'activité de l'année",
            "Renouveler pour l'année suivante",
            "Télécharger l'accusé de dépôt",
        ]
        assert "Année scolaire 2025-2026" in html and "Année scolaire 2023-2024" in html
        assert "À compléter — étapes remplies : 0 sur 7 ; prochaine : Projet et diagnostic" in html
        assert reverse("dossiers:nouveau") in html

    def test_brouillon_complet_mene_au_recapitulatif(self, client, porteur_user, brouillon):
        client.force_login(porteur_user)
        reponse = client.get(self.url)
        (dossier,) = reponse.context["dossiers"]
        assert dossier.situation.actions[0].url == reverse(
            "dossiers:recapitulatif", args=[brouillon.pk]
        )
        assert dossier.situation.etapes_faites == 7

    def test_verdict_fige_des_dossiers_deposes(self, client, porteur_user, brouillon):
        depot.deposer(brouillon, porteur_user)
        client.force_login(porteur_user)
        html = client.get(self.url).content.decode()
        assert "éligible" in html and "2\u202f562,95\u202f€" in html

    def test_accueil_vide(self, client, porteur_user):
        client.force_login(porteur_user)
        html = client.get(self.url).content.decode()
        assert "Aucun dossier pour l'instant" in html
        assert "Aucune campagne de dépôt n'est ouverte" in html

    def test_requetes_bornees_avec_20_dossiers(
        self, client, porteur_user, membre, dep59, django_assert_max_num_queries
    ):
        campagne(dep59, 2025)
        campagne(dep59, 2026)
        etats = [Etat.BROUILLON, Etat.DEPOSE, Etat.COMPLEMENT_DEMANDE, Etat.ACCEPTE, Etat.REFUSE]
        for i in range(20):
            etat = etats[i % len(etats)]
            dossier = DossierFactory(
                porteur=membre.porteur,
                annee=2005 + i,
                etat=etat,
                depose_le=None if etat == Etat.BROUILLON else timezone.now(),
                complet=True,
            )
            collectif = CollectifFactory(dossier=dossier)
            CreneauFactory(collectif=collectif)
            IntervenantFactory(dossier=dossier).collectifs.add(collectif)
            if etat != Etat.BROUILLON:
                Evenement.objects.create(dossier=dossier, type=Evenement.Type.DEPOT)
                Evaluation.objects.create(
                    dossier=dossier,
                    motif="depot",
                    edition="cnaf-2019",
                    parametres={},
                    empreinte_entree="0" * 64,
                    entree={},
                    resultat={},
                    verdict="eligible",
                    montant_ps_total=Decimal("2562.95"),
                )
        client.force_login(porteur_user)
        with django_assert_max_num_queries(16):
            reponse = client.get(self.url)
        assert reponse.status_code == 200
        assert len(reponse.context["dossiers"]) == 20
