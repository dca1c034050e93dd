"""Verrouillage après des échecs (django-axes), second facteur TOTP, sessions inactives."""

import time

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import Action, EvenementAudit
from tests.factories import MOT_DE_PASSE

pytestmark = pytest.mark.django_db

CONNEXION = "connexion"


def tenter(client, email, mot_de_passe, ip="192.0.2.10"):
    return client.post(
        reverse(CONNEXION), {"username": email, "password": mot_de_passe}, REMOTE_ADDR=ip
    )


def code_de(appareil: TOTPDevice) -> str:
    return (
        f"{totp(appareil.bin_key, step=appareil.step, t0=appareil.t0, digits=appareil.digits):06d}"
    )


class TestVerrouillage:
    def test_cinq_echecs_bloquent_le_couple_compte_ip(self, client, agent59):
        for _ in range(4):
            assert tenter(client, agent59.email, "mauvais-mot-de-passe").status_code == 200
        bloque = tenter(client, agent59.email, "mauvais-mot-de-passe")
        assert bloque.status_code == 429
        assert "Connexion temporairement bloquée" in bloque.content.decode()
        assert "30 minutes" in bloque.content.decode()
        # Même le bon mot de passe est refusé pendant le blocage…
        assert tenter(client, agent59.email, MOT_DE_PASSE).status_code == 429
        # … la casse de l'adresse ne contourne pas le blocage…
        assert tenter(client, agent59.email.upper(), MOT_DE_PASSE).status_code == 429
        # … mais une autre adresse IP n'est pas bloquée (verrouillage par couple).
        assert tenter(client, agent59.email, MOT_DE_PASSE, ip="192.0.2.99").status_code == 302
        assert EvenementAudit.objects.filter(action=Action.VERROUILLAGE).exists()

    def test_un_administrateur_debloque_en_supprimant_les_tentatives(self, client, agent59):
        for _ in range(5):
            tenter(client, agent59.email, "mauvais-mot-de-passe")
        assert tenter(client, agent59.email, MOT_DE_PASSE).status_code == 429
        AccessAttempt.objects.filter(username=agent59.email.lower()).delete()
        assert tenter(client, agent59.email, MOT_DE_PASSE).status_code == 302

    def test_commande_de_deblocage(self, client, agent59):
        from django.core.management import call_command

        for _ in range(5):
            tenter(client, agent59.email, "mauvais-mot-de-passe")
        call_command("axes_reset_username", agent59.email.lower())
        assert tenter(client, agent59.email, MOT_DE_PASSE).status_code == 302


class TestSecondFacteur:
    @pytest.fixture(autouse=True)
    def mfa_obligatoire(self, settings):
        settings.CLAS_MFA_REQUIRED = True

    def test_agent_doit_configurer_puis_acceder(self, client, agent59):
        assert tenter(client, agent59.email, MOT_DE_PASSE).status_code == 302
        reponse = client.get(reverse("dossiers:liste"))
        assert reponse.status_code == 302
        assert reponse.url.startswith(reverse("mfa_configurer"))
        page = client.get(reponse.url)
        assert page.status_code == 200
        assert "data:image/svg+xml" in page.content.decode()
        appareil = TOTPDevice.objects.get(user=agent59, confirmed=False)
        # Un code faux : refusé, message clair, pas de confirmation.
        faux = client.post(reverse("mfa_configurer"), {"code": "000000", "next": "/dossiers/"})
        assert faux.status_code == 400
        assert "Ce code n&#x27;est pas le bon" in faux.content.decode()
        appareil.refresh_from_db()
        assert not appareil.confirmed
        appareil.throttling_failure_count = 0
        appareil.throttling_failure_timestamp = None
        appareil.save()
        juste = client.post(
            reverse("mfa_configurer"), {"code": code_de(appareil), "next": "/dossiers/"}
        )
        assert juste.status_code == 302 and juste.url == "/dossiers/"
        assert client.get(reverse("dossiers:liste")).status_code == 200

    def test_connexion_suivante_demande_le_code(self, client, secretariat59):
        appareil = TOTPDevice.objects.create(user=secretariat59, name="app", confirmed=True)
        tenter(client, secretariat59.email, MOT_DE_PASSE)
        reponse = client.get(reverse("bilans:index"))
        assert reponse.url.startswith(reverse("mfa_verifier"))
        lettres = client.post(reverse("mfa_verifier"), {"code": "abcdef"})
        assert "Saisissez les 6 chiffres" in lettres.content.decode()
        ok = client.post(reverse("mfa_verifier"), {"code": code_de(appareil), "next": "/bilans/"})
        assert ok.status_code == 302 and ok.url == "/bilans/"
        assert client.get(reverse("bilans:index")).status_code == 200

    def test_redirection_externe_refusee(self, client, secretariat59):
        appareil = TOTPDevice.objects.create(user=secretariat59, name="app", confirmed=True)
        tenter(client, secretariat59.email, MOT_DE_PASSE)
        ok = client.post(
            reverse("mfa_verifier"), {"code": code_de(appareil), "next": "https://exemple.com/"}
        )
        assert ok.url == "/"

    def test_administrateur_aussi(self, client, admin_national):
        tenter(client, admin_national.email, MOT_DE_PASSE)
        assert client.get("/admin/").url.startswith(reverse("mfa_configurer"))

    def test_porteur_non_concerne(self, client, porteur_user):
        tenter(client, porteur_user.email, MOT_DE_PASSE)
        assert client.get(reverse("dossiers:liste")).status_code == 200

    def test_desactive_en_demo(self, client, agent59, settings):
        settings.CLAS_MFA_REQUIRED = False
        tenter(client, agent59.email, MOT_DE_PASSE)
        assert client.get(reverse("dossiers:liste")).status_code == 200


def test_session_du_personnel_caf_expire_apres_inactivite(client, agent59, settings):
    settings.CLAS_INACTIVITE_CAF_SECONDES = 2
    client.force_login(agent59)
    assert client.session.get_expiry_age() == 2
    assert client.get(reverse("dossiers:liste")).status_code == 200
    time.sleep(2.5)
    reponse = client.get(reverse("dossiers:liste"))
    assert reponse.status_code == 302 and reponse.url.startswith(reverse(CONNEXION))


def test_l_activite_prolonge_la_session(client, agent59, settings, monkeypatch):
    monkeypatch.setattr("comptes.securite.RAFRAICHISSEMENT", 0)
    settings.CLAS_INACTIVITE_CAF_SECONDES = 3
    client.force_login(agent59)
    for _ in range(3):
        time.sleep(1.5)  # 4,5 s en tout : plus que le délai, mais jamais 3 s sans activité
        assert client.get(reverse("dossiers:liste")).status_code == 200


def test_session_du_porteur_sans_expiration_courte(client, porteur_user, settings):
    client.force_login(porteur_user)
    client.get(reverse("dossiers:liste"))
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
