"""La page de l'organisation : identité, membres, invitations, pièces permanentes ; périmètre."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from porteurs.models import Invitation, Membre, PiecePermanente, Porteur
from porteurs.services import creer_invitation
from tests.factories import MembreFactory, PorteurFactory, UtilisateurFactory, siret_valide

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DIX_MO = 10 * 1024 * 1024


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def responsable(membre):
    """Le compte ``porteur@asso.fr`` de conftest, responsable de son organisation."""
    return membre


@pytest.fixture
def porteur(responsable):
    return responsable.porteur


@pytest.fixture
def contributeur(porteur):
    return MembreFactory(
        porteur=porteur, qualite=Membre.Qualite.CONTRIBUTEUR, utilisateur__email="contrib@asso.fr"
    )


@pytest.fixture
def piece(porteur, responsable, client):
    client.force_login(responsable.utilisateur)
    deposer(client, porteur, "rib", "rib.pdf", PDF)
    client.logout()
    return PiecePermanente.objects.get(porteur=porteur, type="rib")


def texte(page) -> str:
    return html.unescape(page.content.decode())


def deposer(client, porteur, type_piece, nom, contenu):
    fichier = SimpleUploadedFile(nom, contenu, content_type="application/pdf")
    return client.post(
        reverse("porteurs:piece_deposer", args=[porteur.pk, type_piece]), {"fichier": fichier}
    )


def contenu_telecharge(reponse) -> bytes:
    return b"".join(reponse.streaming_content)


# --- la page ---------------------------------------------------------------------------------
def test_page_organisation_pour_un_membre(client, responsable, contributeur):
    client.force_login(responsable.utilisateur)
    page = client.get(reverse("porteurs:detail", args=[responsable.porteur_id]))
    assert page.status_code == 200
    contenu = texte(page)
    assert responsable.porteur.raison_sociale in contenu
    assert "Modifier l'identité" in contenu
    assert "contrib@asso.fr" in contenu and "porteur@asso.fr" in contenu
    # Les trois pièces obligatoires manquent encore.
    manquantes = contenu.split('id="pieces-manquantes"')[1].split("</div>")[0]
    assert "Pièces obligatoires manquantes" in manquantes
    for type_piece, libelle in [
        ("statuts", "Statuts de l'organisation"),
        ("rib", "Relevé d'identité bancaire"),
        ("assurance", "Attestation d'assurance"),
    ]:
        url = reverse("porteurs:piece_deposer", args=[responsable.porteur_id, type_piece])
        assert f'<a href="{url}">{libelle}</a>' in manquantes
    assert "Aucune invitation en attente" in contenu
    assert 'name="email"' in contenu  # le formulaire d'invitation


def test_mon_organisation_mene_a_la_seule_organisation(client, responsable):
    client.force_login(responsable.utilisateur)
    reponse = client.get(reverse("porteurs:liste"))
    assert reponse["Location"] == reverse("porteurs:detail", args=[responsable.porteur_id])
    # Le menu porte le lien « Mon organisation ».
    page = texte(client.get(reponse["Location"]))
    assert f'href="{reverse("porteurs:liste")}">Mon organisation' in page


def test_plusieurs_organisations_sont_listees(client, responsable):
    autre = MembreFactory(utilisateur=responsable.utilisateur).porteur
    PorteurFactory(raison_sociale="Pas la mienne")
    client.force_login(responsable.utilisateur)
    page = client.get(reverse("porteurs:liste"))
    assert page.status_code == 200
    assert list(page.context["organisations"]) == sorted(
        [responsable.porteur, autre], key=lambda p: p.raison_sociale
    )
    assert "Pas la mienne" not in texte(page)


def test_porteur_sans_organisation(client):
    client.force_login(UtilisateurFactory())
    page = client.get(reverse("porteurs:liste"))
    assert "Vous n'êtes membre d'aucune organisation" in texte(page)


def test_page_organisation_nombre_de_requetes_borne(
    client, responsable, django_assert_max_num_queries
):
    porteur = responsable.porteur
    MembreFactory.create_batch(9, porteur=porteur, qualite=Membre.Qualite.CONTRIBUTEUR)
    for i in range(5):
        creer_invitation(porteur, f"invitee{i}@exemple.fr", responsable.utilisateur)
    client.force_login(responsable.utilisateur)
    deposer(client, porteur, "statuts", "statuts.pdf", PDF)
    deposer(client, porteur, "rib", "rib.pdf", PDF)
    # session, compte, organisation, membres (et leurs comptes), pièces, invitations : un
    # nombre fixe, quel que soit le nombre de membres, d'invitations ou de pièces.
    with django_assert_max_num_queries(7):
        page = client.get(reverse("porteurs:detail", args=[porteur.pk]))
    assert page.status_code == 200
    assert len(page.context["membres"]) == 10
    assert texte(page).count('<div class="fw-semibold">invitee') == 5


def test_agent_du_departement_lecture_seule(client, porteur, agent59):
    client.force_login(agent59)
    page = client.get(reverse("porteurs:detail", args=[porteur.pk]))
    assert page.status_code == 200
    contenu = texte(page)
    assert "Modifier l'identité" not in contenu
    assert "Seuls les membres de l'organisation modifient" in contenu
    assert "Inviter une personne" in contenu  # un agent peut inviter
    assert client.get(reverse("porteurs:modifier", args=[porteur.pk])).status_code == 403
    assert (
        client.get(reverse("porteurs:piece_deposer", args=[porteur.pk, "rib"])).status_code == 403
    )


# --- périmètre : 404 hors de l'organisation --------------------------------------------------
def urls_de_l_organisation(porteur, membre, invitation, piece):
    return [
        ("get", reverse("porteurs:detail", args=[porteur.pk])),
        ("get", reverse("porteurs:modifier", args=[porteur.pk])),
        ("post", reverse("porteurs:modifier", args=[porteur.pk])),
        ("get", reverse("porteurs:inviter", args=[porteur.pk])),
        ("post", reverse("porteurs:inviter", args=[porteur.pk])),
        ("get", reverse("porteurs:invitation_annuler", args=[porteur.pk, invitation.pk])),
        ("post", reverse("porteurs:invitation_annuler", args=[porteur.pk, invitation.pk])),
        ("get", reverse("porteurs:membre_retirer", args=[porteur.pk, membre.pk])),
        ("post", reverse("porteurs:membre_retirer", args=[porteur.pk, membre.pk])),
        ("get", reverse("porteurs:membre_qualite", args=[porteur.pk, membre.pk])),
        ("post", reverse("porteurs:membre_qualite", args=[porteur.pk, membre.pk])),
        ("get", reverse("porteurs:piece_deposer", args=[porteur.pk, "statuts"])),
        ("post", reverse("porteurs:piece_deposer", args=[porteur.pk, "statuts"])),
        ("get", reverse("porteurs:piece_telecharger", args=[porteur.pk, piece.pk])),
    ]


@pytest.mark.parametrize("intrus", ["porteur_autre", "agent23"])
def test_hors_perimetre_404_partout(client, request, responsable, contributeur, piece, intrus):
    porteur = responsable.porteur
    invitation = creer_invitation(porteur, "x@exemple.fr", responsable.utilisateur)
    if intrus == "porteur_autre":
        utilisateur = MembreFactory(utilisateur__email="autre@asso.fr").utilisateur
    else:
        utilisateur = request.getfixturevalue("agent23")
    client.force_login(utilisateur)
    for methode, url in urls_de_l_organisation(porteur, contributeur, invitation, piece):
        reponse = getattr(client, methode)(url, {"email": "y@exemple.fr", "qualite": "responsable"})
        assert reponse.status_code == 404, (methode, url, reponse.status_code)
    # Rien n'a changé.
    assert Membre.objects.filter(pk=contributeur.pk).exists()
    invitation.refresh_from_db()
    assert invitation.annulee_le is None
    assert not Invitation.objects.filter(email="y@exemple.fr").exists()
    # La pièce d'une autre organisation ne se télécharge pas non plus via la sienne.
    if intrus == "porteur_autre":
        sienne = utilisateur.porteurs.get()
        url = reverse("porteurs:piece_telecharger", args=[sienne.pk, piece.pk])
        assert client.get(url).status_code == 404


def test_anonyme_renvoye_a_la_connexion(client, piece):
    reponse = client.get(reverse("porteurs:piece_telecharger", args=[piece.porteur_id, piece.pk]))
    assert reponse.status_code == 302
    assert reponse["Location"].startswith(reverse("connexion"))


# --- identité --------------------------------------------------------------------------------
def test_un_membre_modifie_l_identite(client, contributeur):
    client.force_login(contributeur.utilisateur)
    url = reverse("porteurs:modifier", args=[contributeur.porteur_id])
    page = client.get(url)
    assert 'name="siret"' not in page.content.decode()  # le SIRET ne se modifie pas
    donnees = {
        "raison_sociale": "Nouveau nom",
        "forme": "association",
        "adresse": "2 place du Marché",
        "code_postal": "5910",
        "commune": "Roubaix",
        "email": "contact@nouveau.fr",
        "telephone": "12",
        "representant_nom": "Jeanne Dupont",
        "representant_qualite": "présidente",
    }
    page = client.post(url, donnees)
    contenu = texte(page)
    assert 'href="#id_code_postal">Code postal : Le code postal doit comporter' in contenu
    assert 'href="#id_telephone">Téléphone : Saisissez un numéro' in contenu
    reponse = client.post(url, {**donnees, "code_postal": "59100", "telephone": "03 20 00 00 00"})
    assert reponse.status_code == 302
    porteur = Porteur.objects.get(pk=contributeur.porteur_id)
    assert porteur.raison_sociale == "Nouveau nom"
    assert porteur.representant_nom == "Jeanne Dupont"


# --- invitations -----------------------------------------------------------------------------
def test_un_responsable_invite(client, responsable, mailoutbox):
    client.force_login(responsable.utilisateur)
    porteur = responsable.porteur
    reponse = client.post(
        reverse("porteurs:inviter", args=[porteur.pk]), {"email": "Nouvelle@Exemple.fr"}
    )
    assert reponse.status_code == 302
    invitation = Invitation.objects.get(porteur=porteur)
    assert invitation.email == "nouvelle@exemple.fr"
    assert invitation.invite_par == responsable.utilisateur
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["nouvelle@exemple.fr"]
    assert porteur.raison_sociale in message.subject
    assert f"http://testserver/invitation/{invitation.jeton}/" in message.body
    page = texte(client.get(reponse["Location"]))
    assert "L'invitation a été envoyée à nouvelle@exemple.fr" in page
    assert "nouvelle@exemple.fr" in page  # dans les invitations en attente

    # Inviter de nouveau la même adresse remplace l'invitation en attente.
    client.post(reverse("porteurs:inviter", args=[porteur.pk]), {"email": "nouvelle@exemple.fr"})
    assert porteur.invitations.valides().count() == 1
    invitation.refresh_from_db()
    assert invitation.annulee_le is not None


def test_inviter_un_membre_existant_est_refuse(client, responsable, contributeur):
    client.force_login(responsable.utilisateur)
    page = client.post(
        reverse("porteurs:inviter", args=[responsable.porteur_id]), {"email": "CONTRIB@asso.fr"}
    )
    assert page.status_code == 200
    assert "Cette personne est déjà membre de l'organisation" in texte(page)
    assert 'href="#id_email"' in page.content.decode()
    assert not Invitation.objects.exists()


def test_un_contributeur_ne_peut_ni_inviter_ni_retirer(client, responsable, contributeur):
    client.force_login(contributeur.utilisateur)
    porteur = responsable.porteur
    assert "Inviter une personne" not in texte(
        client.get(reverse("porteurs:detail", args=[porteur.pk]))
    )
    url = reverse("porteurs:inviter", args=[porteur.pk])
    assert client.post(url, {"email": "x@exemple.fr"}).status_code == 403
    url = reverse("porteurs:membre_retirer", args=[porteur.pk, responsable.pk])
    assert client.post(url).status_code == 403
    assert Membre.objects.filter(pk=responsable.pk).exists()


def test_un_agent_invite_depuis_la_page_de_l_organisation(client, porteur, agent59, mailoutbox):
    client.force_login(agent59)
    client.post(reverse("porteurs:inviter", args=[porteur.pk]), {"email": "benevole@exemple.fr"})
    invitation = Invitation.objects.get(porteur=porteur)
    assert invitation.invite_par == agent59
    assert "Caf" in mailoutbox[0].body
    assert invitation.jeton in mailoutbox[0].body


def test_un_agent_inscrit_une_organisation_et_invite_sa_premiere_personne(
    client, agent59, mailoutbox
):
    client.force_login(agent59)
    assert client.get(reverse("porteurs:creer")).status_code == 200
    siret = siret_valide(777)
    reponse = client.post(
        reverse("porteurs:creer"),
        {
            "siret": siret,
            "raison_sociale": "Centre social du Pont",
            "forme": "centre_social",
            "adresse": "1 rue du Pont",
            "code_postal": "59300",
            "commune": "Valenciennes",
            "email": "accueil@cs-pont.fr",
            "telephone": "",
            "email_invite": "directrice@cs-pont.fr",
        },
    )
    porteur = Porteur.objects.get(siret=siret)
    assert reponse["Location"] == reverse("porteurs:detail", args=[porteur.pk])
    assert porteur.departement_id == agent59.departement_id
    invitation = Invitation.objects.get(porteur=porteur)
    assert invitation.email == "directrice@cs-pont.fr"
    lien = re.search(r"http://testserver(/invitation/\S+/)", mailoutbox[0].body).group(1)

    # La première personne crée son compte et devient responsable.
    client.logout()
    client.post(
        lien,
        {
            "prenom": "Maud",
            "nom": "Leroy",
            "password1": "Une-phrase-assez-longue-2026",
            "password2": "Une-phrase-assez-longue-2026",
        },
    )
    membre = Membre.objects.get(porteur=porteur)
    assert membre.utilisateur.email == "directrice@cs-pont.fr"
    assert membre.qualite == Membre.Qualite.RESPONSABLE


def test_un_agent_ne_reinscrit_pas_une_organisation_connue(client, agent59, porteur):
    client.force_login(agent59)
    page = client.post(reverse("porteurs:creer"), {"siret": porteur.siret})
    assert "Une organisation avec ce SIRET est déjà inscrite" in texte(page)


def test_un_porteur_n_inscrit_pas_d_organisation_ici(client, responsable):
    client.force_login(responsable.utilisateur)
    assert client.get(reverse("porteurs:creer")).status_code == 403


def test_annuler_une_invitation(client, responsable):
    invitation = creer_invitation(responsable.porteur, "x@exemple.fr", responsable.utilisateur)
    client.force_login(responsable.utilisateur)
    url = reverse("porteurs:invitation_annuler", args=[responsable.porteur_id, invitation.pk])
    page = client.get(url)
    assert "Annuler l'invitation envoyée à x@exemple.fr ?" in texte(page)
    invitation.refresh_from_db()
    assert invitation.annulee_le is None  # la page ne fait que demander
    assert client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.annulee_le is not None
    assert client.get(url).status_code == 404  # plus en attente


# --- membres ---------------------------------------------------------------------------------
def test_retirer_un_membre_avec_confirmation(client, responsable, contributeur):
    client.force_login(responsable.utilisateur)
    url = reverse("porteurs:membre_retirer", args=[responsable.porteur_id, contributeur.pk])
    page = client.get(url)
    assert "contrib@asso.fr" in texte(page) and "Retirer ce membre" in texte(page)
    assert Membre.objects.filter(pk=contributeur.pk).exists()
    assert client.post(url).status_code == 302
    assert not Membre.objects.filter(pk=contributeur.pk).exists()
    assert contributeur.utilisateur.__class__.objects.filter(pk=contributeur.utilisateur_id)


def test_le_dernier_responsable_ne_peut_pas_etre_retire(client, responsable, contributeur):
    client.force_login(responsable.utilisateur)
    url = reverse("porteurs:membre_retirer", args=[responsable.porteur_id, responsable.pk])
    page = client.post(url)
    assert page.status_code == 200
    assert "est la seule personne responsable de l'organisation" in texte(page)
    assert Membre.objects.filter(pk=responsable.pk).exists()
    # Ni rétrogradé en contributeur.
    url = reverse("porteurs:membre_qualite", args=[responsable.porteur_id, responsable.pk])
    page = client.post(url, {"qualite": "contributeur"})
    assert "est la seule personne responsable" in texte(page)
    responsable.refresh_from_db()
    assert responsable.qualite == Membre.Qualite.RESPONSABLE


def test_se_retirer_si_un_autre_responsable_reste(client, responsable, contributeur):
    client.force_login(responsable.utilisateur)
    url = reverse("porteurs:membre_qualite", args=[responsable.porteur_id, contributeur.pk])
    assert client.post(url, {"qualite": "responsable"}).status_code == 302
    contributeur.refresh_from_db()
    assert contributeur.qualite == Membre.Qualite.RESPONSABLE

    url = reverse("porteurs:membre_retirer", args=[responsable.porteur_id, responsable.pk])
    assert "Vous retirer de" in texte(client.get(url))
    reponse = client.post(url)
    assert reponse["Location"] == reverse("porteurs:liste")
    assert not Membre.objects.filter(pk=responsable.pk).exists()
    detail = reverse("porteurs:detail", args=[responsable.porteur_id])
    assert client.get(detail).status_code == 404


# --- pièces permanentes ----------------------------------------------------------------------
def test_deposer_un_pdf(client, responsable, media):
    client.force_login(responsable.utilisateur)
    porteur = responsable.porteur
    page = client.get(reverse("porteurs:piece_deposer", args=[porteur.pk, "statuts"]))
    assert 'enctype="multipart/form-data"' in page.content.decode()
    reponse = deposer(client, porteur, "statuts", "Statuts 2024.pdf", PDF)
    assert reponse.status_code == 302
    piece = PiecePermanente.objects.get(porteur=porteur, type="statuts")
    assert piece.nom_original == "Statuts 2024.pdf"
    assert (piece.type_mime, piece.extension, piece.taille) == ("application/pdf", "pdf", len(PDF))
    assert piece.deposee_par == responsable.utilisateur
    assert (media / piece.fichier.name).read_bytes() == PDF
    contenu = texte(client.get(reponse["Location"]))
    assert "Statuts 2024.pdf" in contenu
    assert "Pièces obligatoires manquantes" in contenu  # il reste le RIB et l'assurance


def test_un_texte_renomme_en_pdf_est_refuse(client, responsable, media):
    client.force_login(responsable.utilisateur)
    page = deposer(client, responsable.porteur, "rib", "x.pdf", b"ceci n'est pas un PDF\n")
    assert page.status_code == 200
    assert "n'est pas un PDF, JPEG ou PNG (son contenu a été vérifié" in texte(page)
    assert 'href="#id_fichier"' in page.content.decode()
    assert not PiecePermanente.objects.exists()
    assert not any(media.rglob("*.*"))


def test_dix_mo_plus_un_octet_refuse(client, responsable, media):
    client.force_login(responsable.utilisateur)
    trop = PDF + b"0" * (DIX_MO + 1 - len(PDF))
    page = deposer(client, responsable.porteur, "rib", "gros.pdf", trop)
    assert "10 Mo au plus" in texte(page)
    assert not PiecePermanente.objects.exists()
    juste = PDF + b"0" * (DIX_MO - len(PDF))
    assert deposer(client, responsable.porteur, "rib", "juste.pdf", juste).status_code == 302


def test_un_nom_avec_chemin_est_inoffensif(client, responsable, media, tmp_path):
    client.force_login(responsable.utilisateur)
    deposer(client, responsable.porteur, "assurance", "../../etc/passwd.pdf", PDF)
    piece = PiecePermanente.objects.get()
    assert piece.nom_original == "passwd.pdf"
    assert ".." not in piece.fichier.name and "passwd" not in piece.fichier.name
    assert piece.fichier.name.startswith("pieces-permanentes/")
    assert (media / piece.fichier.name).is_file()
    assert not (tmp_path.parent / "etc").exists()
    contenu = texte(client.get(reverse("porteurs:detail", args=[responsable.porteur_id])))
    assert ">passwd.pdf<span" in contenu


def test_remplacer_efface_l_ancien_fichier_apres_validation(
    client, responsable, piece, media, django_capture_on_commit_callbacks
):
    ancien = media / piece.fichier.name
    assert ancien.is_file()
    client.force_login(responsable.utilisateur)
    page = client.get(reverse("porteurs:piece_deposer", args=[responsable.porteur_id, "rib"]))
    assert "<strong>remplacé et supprimé</strong>" in texte(page)
    nouveau_contenu = b"\x89PNG\r\n\x1a\n" + b"image"
    with django_capture_on_commit_callbacks(execute=False) as rappels:
        deposer(client, responsable.porteur, "rib", "rib.png", nouveau_contenu)
        assert ancien.is_file()  # rien n'est effacé avant la validation de la transaction
    assert len(rappels) == 1
    rappels[0]()
    assert not ancien.exists()
    piece = PiecePermanente.objects.get(pk=piece.pk)  # la même ligne, mise à jour
    assert (piece.nom_original, piece.type_mime, piece.extension) == (
        "rib.png",
        "image/png",
        "png",
    )
    assert (media / piece.fichier.name).read_bytes() == nouveau_contenu


def test_telechargement(client, responsable, piece, agent59):
    for utilisateur in [responsable.utilisateur, agent59]:
        client.force_login(utilisateur)
        reponse = client.get(
            reverse("porteurs:piece_telecharger", args=[responsable.porteur_id, piece.pk])
        )
        assert reponse.status_code == 200
        assert reponse["Content-Disposition"] == 'attachment; filename="rib.pdf"'
        assert reponse["X-Content-Type-Options"] == "nosniff"
        assert reponse["Content-Type"] == "application/pdf"
        assert contenu_telecharge(reponse) == PDF
