"""La page /referentiel/ et l'administration des paramètres de financement."""

from decimal import Decimal

import pytest
from django.urls import reverse

from eligibility.criteres import CRITERES_COLLECTIF, CRITERES_DOSSIER
from eligibility.models import HistoriqueParametres, ParametresAnnee, financement_pour_annee
from eligibility.templatetags.referentiel import euros, pourcentage

pytestmark = pytest.mark.django_db


def test_reservee_aux_utilisateurs_connectes(client):
    reponse = client.get(reverse("eligibility:referentiel"))
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("connexion"))


@pytest.mark.parametrize("fixture", ["porteur_user", "agent59", "secretariat59", "admin_national"])
def test_chaque_critere_avec_sa_regle_et_sa_source(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))
    contenu = client.get(reverse("eligibility:referentiel")).content.decode()
    for critere in (*CRITERES_DOSSIER, *CRITERES_COLLECTIF):
        assert f'id="{critere.code}"' in contenu
        premiere_ligne = critere.source.splitlines()[0]
        assert premiere_ligne[:40].replace("'", "&#x27;") in contenu, critere.code
    assert "7\u202f886,00\u202f€" in contenu
    assert "32,5\u202f%" in contenu
    assert "lundi 3 novembre 2025" in contenu


def test_parametres_de_l_annee_choisie(client, porteur_user):
    ParametresAnnee.objects.create(annee=2026, taux_ps=Decimal("0.3"), prix_plafond=None)
    client.force_login(porteur_user)
    page = client.get(reverse("eligibility:referentiel"), {"annee": "2026"})
    contenu = page.content.decode()
    assert page.context["parametres"].annee == 2026
    assert "non fixé : les montants ne peuvent pas être calculés" in contenu
    assert "lundi 2 novembre 2026" in contenu
    # Une année inconnue retombe sur la plus récente.
    assert (
        client.get(reverse("eligibility:referentiel"), {"annee": "1999"})
        .context["parametres"]
        .annee
        == 2026
    )


def test_2025_semee_par_migration():
    parametres = ParametresAnnee.objects.get(annee=2025)
    assert (parametres.taux_ps, parametres.prix_plafond) == (Decimal("0.325"), Decimal("7886.00"))
    assert financement_pour_annee(2025).prix_plafond == Decimal("7886.00")
    inconnue = financement_pour_annee(2031)
    assert inconnue.prix_plafond is None and inconnue.taux_ps == Decimal("0.325")


def test_modification_par_l_administration_historisee(client, admin_national):
    client.force_login(admin_national)
    parametres = ParametresAnnee.objects.get(annee=2025)
    url = reverse("admin:eligibility_parametresannee_change", args=[parametres.pk])
    reponse = client.post(
        url, {"annee": 2025, "edition": "cnaf-2019", "taux_ps": "0.325", "prix_plafond": "8000.00"}
    )
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    parametres.refresh_from_db()
    assert parametres.prix_plafond == Decimal("8000.00")
    assert parametres.modifie_par == admin_national
    trace = HistoriqueParametres.objects.filter(annee=2025, par=admin_national).get()
    assert (trace.prix_plafond_avant, trace.prix_plafond) == (
        Decimal("7886.00"),
        Decimal("8000.00"),
    )
    # L'historique ne se modifie pas, ne se supprime pas.
    assert client.get(
        reverse("admin:eligibility_historiqueparametres_change", args=[trace.pk])
    ).status_code in (200, 403)
    assert (
        client.post(
            reverse("admin:eligibility_historiqueparametres_delete", args=[trace.pk])
        ).status_code
        == 403
    )
    assert HistoriqueParametres.objects.filter(pk=trace.pk).exists()


def test_taux_hors_bornes_refuse_en_francais(client, admin_national):
    client.force_login(admin_national)
    parametres = ParametresAnnee.objects.get(annee=2025)
    url = reverse("admin:eligibility_parametresannee_change", args=[parametres.pk])
    reponse = client.post(
        url, {"annee": 2025, "edition": "cnaf-2019", "taux_ps": "1.5", "prix_plafond": "7886"}
    )
    assert reponse.status_code == 200
    assert "inférieure ou égale à 1" in reponse.content.decode()
    assert not HistoriqueParametres.objects.filter(par=admin_national).exists()


@pytest.mark.parametrize(
    ("valeur", "attendu"),
    [
        ("2562.95", "2\u202f562,95\u202f€"),
        ("0.00", "0,00\u202f€"),
        (Decimal("1234567.5"), "1\u202f234\u202f567,50\u202f€"),
        (None, "non calculable"),
    ],
)
def test_euros(valeur, attendu):
    assert euros(valeur) == attendu


def test_pourcentage():
    assert pourcentage("0.325") == "32,5\u202f%"
    assert pourcentage(Decimal("0.3250")) == "32,5\u202f%"
