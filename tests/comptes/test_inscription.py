"""Entrer sur le portail : inscription confirmée par courriel, invitations, mot de passe oublié."""

import datetime
import html
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from comptes.forms import InscriptionForm
from comptes.models import Role, Utilisateur
from porteurs.forms import OrganisationInscriptionForm
from porteurs.models import Invitation, Membre, Porteur
from porteurs.services import creer_invitation
from tests.factories import (
    MOT_DE_PASSE,
    MembreFactory,
    PorteurFactory,
    UtilisateurFactory,
    siret_valide,
)

pytestmark = pytest.mark.django_db

NOUVEAU_MOT_DE_PASSE = "Une-phrase-assez-longue-2026"
SIRET_NEUF = siret_valide(4242)


def donnees_inscription(**surcharges):
    donnees = {
        "prenom": "Awa",
        "nom": "Diallo",
        "email": "Awa.Diallo@Exemple.fr",
        "password1": NOUVEAU_MOT_DE_PASSE,
        "password2": NOUVEAU_MOT_DE_PASSE,
        "organisation-siret": SIRET_NEUF[:3] + " " + SIRET_NEUF[3:9] + " " + SIRET_NEUF[9:],
        "organisation-raison_sociale": "Les Petits Savants",
        "organisation-forme": "association",
        "organisation-adresse": "3 rue des Écoles",
        "organisation-code_postal": "59000",
        "organisation-commune": "Lille",
        "organisation-departement": "59",
        "organisation-email": "contact@petits-savants.fr",
        "organisation-telephone": "03 20 12 34 56",
    }
    donnees.update(surcharges)
    return donnees


def lien_du_courriel(message) -> str:
    trouve = re.search(r"https?://\S+", message.body)
    assert trouve, message.body
    return trouve.group(0)


def texte(page) -> str:
    """Le HTML de la page, entités décodées (les apostrophes y sont échappées)."""
    return html.unescape(page.content.decode())


def chemin(lien: str) -> str:
    return re.sub(r"^https?://[^/]+", "", lien)


# --- inscription -----------------------------------------------------------------------------
def test_page_inscription_accessible(client):
    page = client.get(reverse("inscription"))
    contenu = page.content.decode()
    assert page.status_code == 200
    assert contenu.count("<fieldset") >= 2 and "<legend" in contenu
    for champ in ["id_prenom", "id_email", "id_password1", "id_organisation-siret"]:
        assert f'for="{champ}"' in contenu
    # Le sélecteur de département propose les 101 départements.
    assert contenu.count('<option value="') >= 101


def test_inscription_complete(client, mailoutbox):
    reponse = client.post(reverse("inscription"), donnees_inscription())
    assert reponse.status_code == 302
    assert reponse["Location"] == reverse("inscription_envoyee")

    compte = Utilisateur.objects.get(email="awa.diallo@exemple.fr")
    assert not compte.is_active
    assert compte.role == Role.PORTEUR
    porteur = Porteur.objects.get(siret=SIRET_NEUF)  # espaces retirés
    assert porteur.departement_id == "59"
    assert Membre.objects.get(porteur=porteur, utilisateur=compte).qualite == "responsable"

    page = client.get(reponse["Location"])
    assert "Consultez votre messagerie" in page.content.decode()
    assert "awa.diallo@exemple.fr" in page.content.decode()

    # Inactif : la connexion échoue tant que l'adresse n'est pas confirmée.
    echec = client.post(
        reverse("connexion"), {"username": compte.email, "password": NOUVEAU_MOT_DE_PASSE}
    )
    assert "confirmez d'abord votre adresse" in texte(echec)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["awa.diallo@exemple.fr"]
    assert "Confirmez votre adresse" in message.subject
    lien = lien_du_courriel(message)
    assert lien.startswith("http://testserver/inscription/confirmer/")
    assert lien in message.body and "Bonjour Awa" in message.body

    # Le lien affiche un bouton ; le clic active le compte et connecte la personne.
    page = client.get(chemin(lien))
    assert page.status_code == 200 and "Confirmer mon adresse" in page.content.decode()
    compte.refresh_from_db()
    assert not compte.is_active  # un simple GET (antivirus de messagerie) n'active rien

    reponse = client.post(chemin(lien))
    assert reponse.status_code == 302
    compte.refresh_from_db()
    assert compte.is_active
    assert int(client.session[SESSION_KEY]) == compte.pk
    # « Mon organisation » mène tout droit à la seule organisation.
    suite = client.get(reponse["Location"])
    assert suite["Location"] == reverse("porteurs:detail", args=[porteur.pk])

    # Le lien ne sert qu'une fois.
    client.logout()
    assert client.get(chemin(lien)).status_code == 400


def test_lien_de_confirmation_invalide(client, mailoutbox):
    client.post(reverse("inscription"), donnees_inscription())
    lien = chemin(lien_du_courriel(mailoutbox[0]))
    faux = lien.rstrip("/")[:-3] + "abc/"
    page = client.get(faux)
    assert page.status_code == 400
    contenu = page.content.decode()
    assert "Ce lien de confirmation ne fonctionne plus" in contenu
    assert reverse("inscription_renvoyer") in contenu
    assert client.post(faux).status_code == 400
    assert not Utilisateur.objects.get(email="awa.diallo@exemple.fr").is_active


def test_cle_siret_fausse(client):
    siret_faux = SIRET_NEUF[:-1] + str((int(SIRET_NEUF[-1]) + 1) % 10)
    page = client.post(
        reverse("inscription"), donnees_inscription(**{"organisation-siret": siret_faux})
    )
    assert page.status_code == 200
    contenu = page.content.decode()
    # Le résumé d'erreurs nomme le champ et y renvoie.
    assert 'href="#id_organisation-siret">SIRET : Le SIRET' in contenu
    assert "clé de contrôle est fausse" in contenu
    assert not Utilisateur.objects.filter(nom="Diallo").exists()
    assert not Porteur.objects.filter(raison_sociale="Les Petits Savants").exists()


def test_siret_deja_connu_refuse_sans_reveler_les_membres(client, mailoutbox):
    membre = MembreFactory(utilisateur__email="presidente@connue.fr", utilisateur__nom="Secret")
    page = client.post(
        reverse("inscription"), donnees_inscription(**{"organisation-siret": membre.porteur.siret})
    )
    assert page.status_code == 200
    contenu = page.content.decode()
    assert "Cette organisation est déjà inscrite sur le portail" in contenu
    assert "demandez à l'un de ses membres de vous inviter" in texte(page)
    assert "presidente@connue.fr" not in contenu and "Secret" not in contenu
    assert not Utilisateur.objects.filter(email="awa.diallo@exemple.fr").exists()
    assert mailoutbox == []


def test_adresse_deja_utilisee_meme_reponse_sans_rien_creer(client, mailoutbox):
    UtilisateurFactory(email="awa.diallo@exemple.fr", prenom="Awa")
    reponse = client.post(reverse("inscription"), donnees_inscription())
    # Même réponse qu'une inscription nouvelle : on ne révèle pas qui a un compte.
    assert reponse.status_code == 302
    assert reponse["Location"] == reverse("inscription_envoyee")
    assert not Porteur.objects.filter(siret=SIRET_NEUF).exists()
    assert len(mailoutbox) == 1
    assert "Vous avez déjà un compte" in mailoutbox[0].subject
    assert "/mot-de-passe/oublie/" in mailoutbox[0].body


def test_mots_de_passe_trop_courts_ou_differents(client):
    page = client.post(
        reverse("inscription"), donnees_inscription(password1="court", password2="court")
    )
    assert "Il doit contenir au minimum 12 caractères" in texte(page)
    page = client.post(
        reverse("inscription"), donnees_inscription(password2=NOUVEAU_MOT_DE_PASSE + "x")
    )
    assert "Les deux mots de passe ne sont pas identiques" in page.content.decode()
    assert not Utilisateur.objects.exists()


def test_inscription_en_une_seule_transaction():
    """Le SIRET est pris par une autre inscription entre la validation et l'enregistrement :
    la création de l'organisation échoue pour de vrai (contrainte d'unicité de la base), et le
    compte déjà créé dans la même transaction disparaît avec elle."""
    donnees = donnees_inscription()
    compte = InscriptionForm(donnees)
    organisation = OrganisationInscriptionForm(donnees, prefix="organisation")
    assert compte.is_valid() and organisation.is_valid()
    PorteurFactory(siret=SIRET_NEUF)  # l'inscription concurrente
    with pytest.raises(IntegrityError):
        compte.save(organisation)
    assert not Utilisateur.objects.filter(email="awa.diallo@exemple.fr").exists()
    assert Porteur.objects.filter(siret=SIRET_NEUF).count() == 1
    assert not Membre.objects.exists()


def test_course_sur_l_adresse_ne_laisse_rien():
    """Même chose si l'adresse électronique est prise entre-temps : rien n'est créé."""
    donnees = donnees_inscription()
    compte = InscriptionForm(donnees)
    organisation = OrganisationInscriptionForm(donnees, prefix="organisation")
    assert compte.is_valid() and organisation.is_valid()
    UtilisateurFactory(email="awa.diallo@exemple.fr")
    with pytest.raises(IntegrityError):
        compte.save(organisation)
    assert not Porteur.objects.filter(siret=SIRET_NEUF).exists()
    assert Utilisateur.objects.filter(email="awa.diallo@exemple.fr").count() == 1


def test_course_sur_le_siret_affiche_une_erreur(client, monkeypatch, mailoutbox):
    """Dans la vue, la même course se traduit par un message, pas par une erreur 500."""
    enregistrer = InscriptionForm.save

    def concurrent_puis_enregistrer(form, organisation):
        # Une autre inscription aboutit entre la validation et l'enregistrement.
        PorteurFactory(siret=organisation.cleaned_data["siret"])
        return enregistrer(form, organisation)

    monkeypatch.setattr(InscriptionForm, "save", concurrent_puis_enregistrer)
    page = client.post(reverse("inscription"), donnees_inscription())
    assert page.status_code == 200
    assert "une autre inscription avec le même SIRET" in page.content.decode()
    assert not Utilisateur.objects.filter(email="awa.diallo@exemple.fr").exists()
    assert mailoutbox == []


def test_renvoi_du_lien_ne_revele_rien(client, mailoutbox):
    client.post(reverse("inscription"), donnees_inscription())
    mailoutbox.clear()
    UtilisateurFactory(email="active@exemple.fr")
    reponses = {}
    for email in ["awa.diallo@exemple.fr", "inconnue@exemple.fr", "active@exemple.fr"]:
        reponse = client.post(reverse("inscription_renvoyer"), {"email": email}, follow=True)
        texte = reponse.content.decode().replace(email, "ADRESSE")
        reponses[email] = re.search(r'<div class="messages".*?</div>\s*</div>', texte, re.S)[0]
    assert len(set(reponses.values())) == 1  # la même réponse dans les trois cas
    assert [m.to for m in mailoutbox] == [["awa.diallo@exemple.fr"]]
    assert "/inscription/confirmer/" in mailoutbox[0].body


# --- invitations -----------------------------------------------------------------------------
@pytest.fixture
def invitation(db):
    responsable = MembreFactory(utilisateur__email="resp@asso.fr")
    return creer_invitation(responsable.porteur, "Nouvelle@Asso.fr", responsable.utilisateur)


def test_invitation_sans_compte_cree_un_compte_actif(client, invitation):
    url = reverse("invitation", args=[invitation.jeton])
    page = client.get(url)
    assert page.status_code == 200
    contenu = page.content.decode()
    assert "Créer votre compte" in contenu and "nouvelle@asso.fr" in contenu
    assert invitation.porteur.raison_sociale in contenu

    reponse = client.post(
        url,
        {
            "prenom": "Inès",
            "nom": "Martin",
            "password1": NOUVEAU_MOT_DE_PASSE,
            "password2": NOUVEAU_MOT_DE_PASSE,
        },
    )
    assert reponse["Location"] == reverse("porteurs:detail", args=[invitation.porteur_id])
    compte = Utilisateur.objects.get(email="nouvelle@asso.fr")
    assert compte.is_active and compte.role == Role.PORTEUR
    membre = Membre.objects.get(porteur=invitation.porteur, utilisateur=compte)
    assert membre.qualite == "contributeur"  # l'organisation a déjà un responsable
    invitation.refresh_from_db()
    assert invitation.acceptee_le is not None
    assert int(client.session[SESSION_KEY]) == compte.pk
    # L'invitation ne sert qu'une fois.
    client.logout()
    page = client.get(url)
    assert page.status_code == 410
    assert "déjà été acceptée" in page.content.decode()


def test_invitation_avec_compte_existant(client, invitation):
    compte = UtilisateurFactory(email="nouvelle@asso.fr")
    url = reverse("invitation", args=[invitation.jeton])
    page = client.get(url)
    assert "connectez-vous pour accepter" in page.content.decode()
    assert f"{reverse('connexion')}?next={url}" in page.content.decode().replace("%2F", "/")
    # Se connecter ramène à l'invitation, qui demande une acceptation explicite.
    connexion = client.post(
        reverse("connexion"),
        {"username": "nouvelle@asso.fr", "password": MOT_DE_PASSE, "next": url},
    )
    assert connexion["Location"] == url
    assert "Accepter l'invitation" in texte(client.get(url))
    assert not Membre.objects.filter(utilisateur=compte).exists()
    reponse = client.post(url)
    assert reponse.status_code == 302
    assert Membre.objects.filter(porteur=invitation.porteur, utilisateur=compte).exists()


def test_invitation_ouverte_avec_un_autre_compte(client, invitation):
    autre = UtilisateurFactory(email="autre@asso.fr")
    client.force_login(autre)
    url = reverse("invitation", args=[invitation.jeton])
    page = client.get(url)
    assert page.status_code == 403
    assert "destinée à un autre compte" in page.content.decode()
    assert client.post(url).status_code == 403
    assert not Membre.objects.filter(utilisateur=autre).exists()


@pytest.mark.parametrize(
    ("etat", "texte"),
    [
        ("expiree", "Cette invitation a expiré"),
        ("annulee", "Cette invitation a été annulée"),
        ("acceptee", "déjà été acceptée"),
    ],
)
def test_invitation_qui_ne_vaut_plus(client, invitation, etat, texte):
    maintenant = timezone.now()
    if etat == "expiree":
        Invitation.objects.filter(pk=invitation.pk).update(
            expire_le=maintenant - datetime.timedelta(minutes=1)
        )
    elif etat == "annulee":
        Invitation.objects.filter(pk=invitation.pk).update(annulee_le=maintenant)
    else:
        Invitation.objects.filter(pk=invitation.pk).update(acceptee_le=maintenant)
    url = reverse("invitation", args=[invitation.jeton])
    page = client.get(url)
    assert page.status_code == 410
    assert texte in page.content.decode()
    client.post(
        url,
        {
            "prenom": "A",
            "nom": "B",
            "password1": NOUVEAU_MOT_DE_PASSE,
            "password2": NOUVEAU_MOT_DE_PASSE,
        },
    )
    assert not Utilisateur.objects.filter(email="nouvelle@asso.fr").exists()


def test_invitation_inconnue(client):
    page = client.get(reverse("invitation", args=["n-existe-pas"]))
    assert page.status_code == 404
    assert "Invitation introuvable" in page.content.decode()


def test_invitation_expiree_apres_14_jours(invitation):
    duree = invitation.expire_le - invitation.cree_le
    assert datetime.timedelta(days=13, hours=23) < duree <= datetime.timedelta(days=14)
    assert len(invitation.jeton) >= 43


def test_un_agent_ne_rejoint_pas_une_organisation(client, invitation, agent59):
    Invitation.objects.filter(pk=invitation.pk).update(email=agent59.email)
    client.force_login(agent59)
    page = client.post(reverse("invitation", args=[invitation.jeton]))
    assert page.status_code == 403
    assert not Membre.objects.filter(utilisateur=agent59).exists()


# --- mot de passe oublié ---------------------------------------------------------------------
def test_lien_mot_de_passe_oublie_et_inscription_sur_la_connexion(client):
    contenu = client.get(reverse("connexion")).content.decode()
    assert f'href="{reverse("mot_de_passe_oublie")}">Mot de passe oublié ?' in contenu
    assert f'href="{reverse("inscription")}"' in contenu


def test_mot_de_passe_oublie(client, mailoutbox):
    compte = UtilisateurFactory(email="oubli@asso.fr", prenom="Léa")
    reponse = client.post(reverse("mot_de_passe_oublie"), {"email": "Oubli@Asso.fr"})
    assert reponse["Location"] == reverse("mot_de_passe_envoye")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject == "Choisir un nouveau mot de passe — Portail Clas"
    assert "Bonjour Léa" in message.body
    lien = chemin(lien_du_courriel(message))
    assert lien.startswith("/mot-de-passe/nouveau/")

    # Django remplace le jeton de l'URL par « set-password » gardé en session.
    page = client.get(lien, follow=True)
    assert "Choisir un nouveau mot de passe" in page.content.decode()
    url_formulaire = page.redirect_chain[-1][0]
    reponse = client.post(
        url_formulaire,
        {"new_password1": NOUVEAU_MOT_DE_PASSE, "new_password2": NOUVEAU_MOT_DE_PASSE},
    )
    assert reponse["Location"] == reverse("mot_de_passe_modifie")
    compte.refresh_from_db()
    assert compte.check_password(NOUVEAU_MOT_DE_PASSE)
    assert "Mot de passe modifié" in client.get(reponse["Location"]).content.decode()
    # Le lien a servi.
    assert "Ce lien ne fonctionne plus" in client.get(lien, follow=True).content.decode()


def test_mot_de_passe_oublie_adresse_inconnue_meme_reponse(client, mailoutbox):
    reponse = client.post(reverse("mot_de_passe_oublie"), {"email": "personne@nulle-part.fr"})
    assert reponse["Location"] == reverse("mot_de_passe_envoye")
    assert mailoutbox == []
