"""« Mon compte » : consulter son compte, modifier son nom et son téléphone, changer son mot de
passe (session conservée, audit, courriel d'avis)."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import Action, EvenementAudit
from tests.factories import MOT_DE_PASSE, MembreFactory

pytestmark = pytest.mark.django_db

COMPTE = reverse("compte")
MODIFIER = reverse("compte_modifier")
MOT_DE_PASSE_URL = reverse("compte_mot_de_passe")
ADRESSE = reverse("compte_adresse")
NOUVEAU = "Cartable-Bleu-Octobre-2026"


@pytest.fixture
def utilisateurs(porteur_user, agent59, secretariat59, admin_national):
    return {
        "porteur": porteur_user,
        "agent": agent59,
        "secretariat": secretariat59,
        "admin": admin_national,
    }


def changer(client, actuel=MOT_DE_PASSE, nouveau=NOUVEAU, confirmation=None):
    return client.post(
        MOT_DE_PASSE_URL,
        {
            "old_password": actuel,
            "new_password1": nouveau,
            "new_password2": nouveau if confirmation is None else confirmation,
        },
    )


class TestAcces:
    @pytest.mark.parametrize("url", [COMPTE, MODIFIER, MOT_DE_PASSE_URL, ADRESSE])
    def test_anonyme_renvoye_a_la_connexion(self, client, url):
        reponse = client.get(url)
        assert reponse.status_code == 302
        assert reponse.url.startswith(reverse("connexion"))
        assert "next=" in reponse.url

    @pytest.mark.parametrize("role", ["porteur", "agent", "secretariat", "admin"])
    @pytest.mark.parametrize("url", [COMPTE, MODIFIER, MOT_DE_PASSE_URL, ADRESSE])
    def test_chaque_role_atteint_ses_pages(self, client, utilisateurs, role, url):
        client.force_login(utilisateurs[role])
        reponse = client.get(url)
        assert reponse.status_code == 200
        assert 'href="/compte/"' in reponse.content.decode()  # lien du bandeau

    def test_lien_mon_compte_dans_le_bandeau(self, client, porteur_user):
        client.force_login(porteur_user)
        page = client.get(reverse("dossiers:liste")).content.decode()
        assert f'href="{COMPTE}"' in page
        assert "Mon compte" in page


class TestPageMonCompte:
    def test_porteur_voit_ses_organisations_et_sa_caf(self, client, membre):
        autre = MembreFactory()  # organisation dont il n'est pas membre
        client.force_login(membre.utilisateur)
        page = client.get(COMPTE).content.decode()
        u = membre.utilisateur
        assert u.email in page and u.prenom in page and u.nom in page
        assert "Porteur de projet" in page
        assert membre.porteur.raison_sociale in page
        assert autre.porteur.raison_sociale not in page
        assert reverse("compte_adresse") in page
        assert "Second facteur" not in page

    def test_agent_voit_son_departement_et_son_second_facteur(self, client, agent59):
        client.force_login(agent59)
        page = client.get(COMPTE).content.decode()
        assert "Agent Caf" in page
        assert str(agent59.departement) in page
        assert "Mes organisations" not in page
        assert "Second facteur" in page
        assert "Non configuré" in page
        assert reverse("mfa_configurer") in page

    def test_second_facteur_configure(self, client, agent59):
        TOTPDevice.objects.create(user=agent59, name="app", confirmed=True)
        client.force_login(agent59)
        page = client.get(COMPTE).content.decode()
        assert "Configuré (application d'authentification)" in page
        assert reverse("mfa_configurer") not in page


class TestModifierProfil:
    @pytest.mark.parametrize("role", ["porteur", "agent"])
    def test_modification_enregistree(self, client, utilisateurs, role):
        u = utilisateurs[role]
        client.force_login(u)
        reponse = client.post(
            MODIFIER, {"prenom": " Camille ", "nom": "Durand", "telephone": "03 20 12 34 56"}
        )
        assert reponse.status_code == 302 and reponse.url == COMPTE
        u.refresh_from_db()
        assert (u.prenom, u.nom, u.telephone) == ("Camille", "Durand", "03 20 12 34 56")
        page = client.get(COMPTE).content.decode()
        assert "Vos informations personnelles sont enregistrées." in page

    def test_erreurs_en_francais_avec_resume(self, client, porteur_user):
        client.force_login(porteur_user)
        avant = (porteur_user.prenom, porteur_user.nom)
        reponse = client.post(MODIFIER, {"prenom": "", "nom": "Durand", "telephone": "12"})
        assert reponse.status_code == 200
        page = reponse.content.decode()
        assert 'id="erreurs-formulaire"' in page
        assert "Prénom : Indiquez votre prénom." in page
        assert "Téléphone : Saisissez un numéro de téléphone à 10 chiffres" in page
        porteur_user.refresh_from_db()
        assert (porteur_user.prenom, porteur_user.nom) == avant

    def test_ni_adresse_ni_role_ne_changent(self, client, porteur_user):
        client.force_login(porteur_user)
        client.post(
            MODIFIER,
            {
                "prenom": "A",
                "nom": "B",
                "email": "pirate@exemple.fr",
                "role": "admin",
                "is_staff": "on",
            },
        )
        porteur_user.refresh_from_db()
        assert porteur_user.email == "porteur@asso.fr"
        assert porteur_user.est_porteur and not porteur_user.is_staff


class TestChangerMotDePasse:
    def test_libelles_en_francais(self, client, porteur_user):
        client.force_login(porteur_user)
        page = client.get(MOT_DE_PASSE_URL).content.decode()
        assert "Ancien mot de passe" in page
        assert "Nouveau mot de passe" in page
        assert "Confirmation du nouveau mot de passe" in page
        assert "au minimum 12 caractères" in page

    @pytest.mark.parametrize("role", ["porteur", "agent"])
    def test_changement_reussi_session_conservee_audit_et_courriel(
        self, client, utilisateurs, role
    ):
        u = utilisateurs[role]
        client.force_login(u)
        reponse = changer(client)
        assert reponse.status_code == 302 and reponse.url == COMPTE
        u.refresh_from_db()
        assert u.check_password(NOUVEAU)
        # Toujours connecté (update_session_auth_hash) : la page suivante s'affiche.
        suite = client.get(COMPTE)
        assert suite.status_code == 200
        assert client.session[SESSION_KEY] == str(u.pk)
        assert "Votre mot de passe est modifié" in suite.content.decode()
        (evenement,) = EvenementAudit.objects.filter(action=Action.MOT_DE_PASSE)
        assert evenement.utilisateur_id == u.pk and evenement.email == u.email
        assert evenement.objet_type == "comptes.utilisateur"
        assert evenement.objet_id == str(u.pk)
        assert NOUVEAU not in str(evenement.details)
        (courriel,) = mail.outbox
        assert courriel.to == [u.email]
        assert "mot de passe a été modifié" in courriel.subject
        assert reverse("mot_de_passe_oublie") in courriel.body
        assert NOUVEAU not in courriel.body

    def test_mot_de_passe_actuel_faux_refuse(self, client, porteur_user):
        client.force_login(porteur_user)
        reponse = changer(client, actuel="pas-le-bon-mot-de-passe")
        assert reponse.status_code == 200
        page = reponse.content.decode()
        assert 'id="erreurs-formulaire"' in page
        assert "Ce n&#x27;est pas votre mot de passe actuel." in page
        porteur_user.refresh_from_db()
        assert porteur_user.check_password(MOT_DE_PASSE)
        assert not EvenementAudit.objects.filter(action=Action.MOT_DE_PASSE).exists()
        assert mail.outbox == []

    def test_validateurs_du_projet(self, client, porteur_user):
        client.force_login(porteur_user)
        page = changer(client, nouveau="court1").content.decode()
        assert "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères." in page
        page = changer(client, confirmation="Autre-Chose-Tout-Autre").content.decode()
        assert "Les deux mots de passe ne sont pas identiques." in page
        porteur_user.refresh_from_db()
        assert porteur_user.check_password(MOT_DE_PASSE)

    def test_les_autres_sessions_sont_fermees(self, client, porteur_user, django_user_model):
        from django.test import Client

        autre = Client()
        autre.force_login(porteur_user)
        client.force_login(porteur_user)
        changer(client)
        # L'autre navigateur (peut-être celui d'un tiers) est déconnecté.
        assert autre.get(COMPTE).status_code == 302
        assert client.get(COMPTE).status_code == 200


def lien_du_courriel(courriel) -> str:
    (lien,) = re.findall(r"https?://\S+/compte/adresse/confirmer/\S+/", courriel.body)
    return lien.split("testserver", 1)[1]


def demander(client, email="nouvelle@asso.fr", password=MOT_DE_PASSE):
    return client.post(ADRESSE, {"email": email, "password": password})


class TestChangerAdresse:
    @pytest.mark.parametrize("role", ["porteur", "agent"])
    def test_parcours_complet(self, client, utilisateurs, role):
        u = utilisateurs[role]
        ancienne = u.email
        client.force_login(u)
        reponse = demander(client, email=" Nouvelle@Asso.FR ")
        assert reponse.status_code == 302 and reponse.url == COMPTE
        u.refresh_from_db()
        assert u.email == ancienne  # rien ne change avant la confirmation
        (courriel,) = mail.outbox
        assert courriel.to == ["nouvelle@asso.fr"]
        assert "Confirmez votre nouvelle adresse" in courriel.subject
        lien = lien_du_courriel(courriel)
        # GET : une page qui demande un clic, sans rien changer.
        page = client.get(lien)
        assert page.status_code == 200 and "nouvelle@asso.fr" in page.content.decode()
        u.refresh_from_db()
        assert u.email == ancienne
        reponse = client.post(lien)
        assert reponse.status_code == 302 and reponse.url == COMPTE
        u.refresh_from_db()
        assert u.email == "nouvelle@asso.fr"
        assert client.get(COMPTE).status_code == 200  # toujours connecté
        (evenement,) = EvenementAudit.objects.filter(action=Action.ADRESSE_ELECTRONIQUE)
        assert evenement.utilisateur_id == u.pk
        assert evenement.details == {"ancienne": ancienne, "nouvelle": "nouvelle@asso.fr"}
        avis = mail.outbox[-1]
        assert avis.to == [ancienne] and "adresse de connexion a été modifiée" in avis.subject
        # Le lien ne sert qu'une fois.
        assert client.post(lien).status_code == 400
        # La connexion se fait désormais avec la nouvelle adresse.
        client.logout()
        connexion = client.post(
            reverse("connexion"), {"username": "nouvelle@asso.fr", "password": MOT_DE_PASSE}
        )
        assert connexion.status_code == 302

    def test_mot_de_passe_actuel_exige(self, client, porteur_user):
        client.force_login(porteur_user)
        reponse = demander(client, password="pas-le-bon")
        assert reponse.status_code == 200
        page = reponse.content.decode()
        assert 'id="erreurs-formulaire"' in page
        assert "Mot de passe actuel : Ce n&#x27;est pas votre mot de passe actuel." in page
        assert mail.outbox == []

    def test_meme_adresse_refusee(self, client, porteur_user):
        client.force_login(porteur_user)
        page = demander(client, email="PORTEUR@asso.fr").content.decode()
        assert "C&#x27;est déjà l&#x27;adresse de votre compte" in page
        assert mail.outbox == []

    def test_adresse_prise_non_revelee(self, client, porteur_user, agent59):
        client.force_login(porteur_user)
        reponse = demander(client, email=agent59.email)
        # Même réponse qu'un succès ; seul le titulaire de l'adresse est prévenu, sans lien.
        assert reponse.status_code == 302 and reponse.url == COMPTE
        (courriel,) = mail.outbox
        assert courriel.to == [agent59.email]
        assert "/compte/adresse/confirmer/" not in courriel.body
        porteur_user.refresh_from_db()
        assert porteur_user.email == "porteur@asso.fr"

    def test_lien_d_un_autre_compte_refuse(self, client, porteur_user, agent59):
        client.force_login(porteur_user)
        demander(client)
        lien = lien_du_courriel(mail.outbox[0])
        client.force_login(agent59)
        assert client.get(lien).status_code == 400
        assert client.post(lien).status_code == 400
        agent59.refresh_from_db()
        porteur_user.refresh_from_db()
        assert agent59.email == "agent59@caf.fr" and porteur_user.email == "porteur@asso.fr"

    def test_lien_falsifie_ou_expire(self, client, porteur_user, settings):
        client.force_login(porteur_user)
        demander(client)
        lien = lien_du_courriel(mail.outbox[0])
        assert client.post(lien.replace("/confirmer/", "/confirmer/x")).status_code == 400
        settings.PASSWORD_RESET_TIMEOUT = -1
        assert client.post(lien).status_code == 400
        porteur_user.refresh_from_db()
        assert porteur_user.email == "porteur@asso.fr"

    def test_adresse_prise_entre_temps(self, client, porteur_user):
        from tests.factories import UtilisateurFactory

        client.force_login(porteur_user)
        demander(client)
        lien = lien_du_courriel(mail.outbox[0])
        UtilisateurFactory(email="nouvelle@asso.fr")
        reponse = client.post(lien)
        assert reponse.status_code == 400
        assert "Cette adresse n'est plus disponible" in reponse.content.decode()
        porteur_user.refresh_from_db()
        assert porteur_user.email == "porteur@asso.fr"

    def test_anonyme_renvoye_a_la_connexion_depuis_le_lien(self, client, porteur_user):
        client.force_login(porteur_user)
        demander(client)
        lien = lien_du_courriel(mail.outbox[0])
        client.logout()
        reponse = client.get(lien)
        assert reponse.status_code == 302 and reponse.url.startswith(reverse("connexion"))


class TestEssaisLimites:
    """Le mot de passe actuel ne se devine pas par essais depuis « Mon compte » : chaque refus est
    consigné, et après cinq en trente minutes le formulaire n'essaie plus, même le bon. Un compte
    ne fait pas envoyer plus de trois liens de changement d'adresse par heure."""

    def test_cinq_refus_puis_plus_d_essai(self, client, porteur_user):
        client.force_login(porteur_user)
        for _ in range(5):
            changer(client, actuel="pas-le-bon-mot-de-passe")
        assert EvenementAudit.objects.filter(action=Action.MOT_DE_PASSE_REFUSE).count() == 5
        # Le bon mot de passe, sur l'autre formulaire qui l'exige : refusé lui aussi.
        page = demander(client).content.decode()
        assert "Trop d&#x27;essais de mot de passe erronés : réessayez dans 30 minutes" in page
        page = changer(client).content.decode()
        assert "Trop d&#x27;essais de mot de passe erronés" in page
        porteur_user.refresh_from_db()
        assert porteur_user.check_password(MOT_DE_PASSE)
        assert mail.outbox == []

    def test_les_refus_anciens_ne_comptent_plus(self, client, porteur_user):
        from datetime import timedelta

        from django.utils import timezone

        client.force_login(porteur_user)
        for _ in range(5):
            changer(client, actuel="pas-le-bon-mot-de-passe")
        # Le journal ne se modifie pas : on avance l'horloge au lieu de vieillir les lignes.
        plus_tard = timezone.now() + timedelta(minutes=31)
        import unittest.mock

        with unittest.mock.patch("django.utils.timezone.now", return_value=plus_tard):
            reponse = changer(client)
        assert reponse.status_code == 302
        porteur_user.refresh_from_db()
        assert porteur_user.check_password(NOUVEAU)

    def test_trois_liens_d_adresse_par_heure(self, client, porteur_user):
        client.force_login(porteur_user)
        for i in range(3):
            assert demander(client, email=f"nouvelle{i}@asso.fr").status_code == 302
        assert len(mail.outbox) == 3
        reponse = demander(client, email="quatrieme@asso.fr")
        assert reponse.status_code == 200
        assert "3 demandes de changement d&#x27;adresse en une heure" in reponse.content.decode()
        assert len(mail.outbox) == 3
        assert EvenementAudit.objects.filter(action=Action.DEMANDE_ADRESSE).count() == 3

    def test_le_lien_n_affiche_pas_le_prenom(self, client, porteur_user):
        """Le courriel part vers une adresse pas encore confirmée : rien de ce que le compte a
        saisi librement (le prénom) n'y figure."""
        porteur_user.prenom = "Cliquez ici http://exemple.invalid"
        porteur_user.save(update_fields=["prenom"])
        client.force_login(porteur_user)
        demander(client)
        (courriel,) = mail.outbox
        assert "exemple.invalid" not in courriel.body
