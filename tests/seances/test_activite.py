"""Page d'activité d'un dossier accepté : agrégats par collectif pour tous ceux qui voient le
dossier, liens vers toutes les pages pour le porteur, vers le bilan seulement pour la Caf
(jamais vers les données par enfant) ; périmètre ; requêtes bornées."""

from datetime import date, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Etat
from dossiers.views import url_si_disponible
from seances.models import BilanAction, Seance
from tests.factories import (
    BilanActionFactory,
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    MembreFactory,
)

pytestmark = pytest.mark.django_db

POURCENT = "\u202f%"


@pytest.fixture
def dossier_accepte(membre):
    return DossierFactory(
        porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE, intitule="Clas Nord"
    )


def _seance(collectif, jour, **valeurs):
    return Seance.objects.create(
        collectif=collectif, date=jour, debut=time(16, 45), duree_minutes=90, **valeurs
    )


def _appel(collectif, jour, presents, inscrits):
    return _seance(
        collectif,
        jour,
        statut="realisee",
        appel_fait_le=timezone.now(),
        nombre_presents=presents,
        nombre_inscrits=inscrits,
    )


@pytest.fixture
def collectifs(dossier_accepte):
    """« CM1-CM2 » : 3 séances appelées (27 présences sur 30), une annulée, deux prévues ;
    « 6e » : aucune séance."""
    cm = CollectifFactory(dossier=dossier_accepte, nom="CM1-CM2", ordre=0)
    CreneauFactory(collectif=cm)
    _appel(cm, date(2025, 11, 4), 8, 10)
    _appel(cm, date(2025, 11, 6), 9, 10)
    _appel(cm, date(2025, 11, 13), 10, 10)
    _seance(cm, date(2025, 11, 18), statut="annulee", motif_annulation="Grève")
    _seance(cm, date(2025, 11, 20))
    # Une séance prévue, sans appel, dont les agrégats ne comptent pas dans le taux.
    _seance(cm, date(2025, 11, 25), nombre_inscrits=10)
    BilanActionFactory(collectif=cm, statut=BilanAction.Statut.SOUMIS, soumis_le=timezone.now())
    sixieme = CollectifFactory(dossier=dossier_accepte, nom="6e", ordre=1, classes=["6e"])
    return cm, sixieme


def _url(dossier):
    return reverse("seances:activite", args=[dossier.pk])


def _urls_par_enfant(collectif):
    """Les pages qui montrent des données par enfant (registre, enfants, taux par enfant)."""
    urls = [
        url_si_disponible("seances:enfants", collectif.pk),
        url_si_disponible("seances:presences", collectif.pk),
        url_si_disponible("seances:journal", collectif.pk),
        reverse("seances:calendrier", args=[collectif.pk]),
    ]
    urls += [url_si_disponible("seances:appel", s.pk) for s in collectif.seances.all()]
    return [u for u in urls if u]


def test_le_porteur_voit_les_agregats_et_toutes_les_pages(
    client, porteur_user, dossier_accepte, collectifs
):
    cm, sixieme = collectifs
    client.force_login(porteur_user)
    reponse = client.get(_url(dossier_accepte))
    assert reponse.status_code == 200
    texte = reponse.content.decode()
    assert "Activité de l'année 2025-2026" in texte
    assert 'Séances réalisées</dt><dd class="col-sm-7">3</dd>' in texte
    assert 'Séances prévues</dt><dd class="col-sm-7">2</dd>' in texte
    assert 'Séances annulées</dt><dd class="col-sm-7">1</dd>' in texte
    # Semaines ISO 45 (4 et 6 novembre), 46 (13), 47 (20 ; le 18, annulé, n'ajoute rien), 48.
    assert "4 sur 30 demandées" in texte
    assert f"90{POURCENT}" in texte  # 27 présences sur 30
    assert "27 présences sur 30, 3 appels" in texte
    assert "soumis à la Caf" in texte
    assert "non commencé" in texte  # bilan du collectif « 6e »
    assert "commencez par générer le calendrier" in texte
    for collectif in (cm, sixieme):
        assert reverse("seances:calendrier", args=[collectif.pk]) in texte
        for nom in ("seances:enfants", "seances:presences", "seances:journal", "seances:bilan"):
            url = url_si_disponible(nom, collectif.pk)
            if url:
                assert f'href="{url}"' in texte
    appel = url_si_disponible("seances:appel", Seance.objects.get(date=date(2025, 11, 25)).pk)
    # La dernière séance passée sans appel (ni annulée) : pas de « Faire l'appel », car le bilan
    # de « CM1-CM2 » est soumis (cahier en lecture seule) ; le lien revient s'il est rouvert.
    assert f'href="{appel}"' not in texte and "Faire l'appel" not in texte
    BilanAction.objects.filter(collectif=cm).update(statut=BilanAction.Statut.A_CORRIGER)
    assert f'href="{appel}"' in client.get(_url(dossier_accepte)).content.decode()


@pytest.mark.parametrize("personne", ["agent59", "secretariat59", "admin_national"])
def test_la_caf_voit_les_agregats_sans_pages_par_enfant(
    client, request, dossier_accepte, collectifs, personne
):
    cm, sixieme = collectifs
    client.force_login(request.getfixturevalue(personne))
    reponse = client.get(_url(dossier_accepte))
    assert reponse.status_code == 200
    texte = reponse.content.decode()
    assert 'Séances réalisées</dt><dd class="col-sm-7">3</dd>' in texte
    assert f"90{POURCENT}" in texte
    assert "4 sur 30 demandées" in texte
    for collectif in (cm, sixieme):
        for url in _urls_par_enfant(collectif):
            assert url not in texte, url
        bilan = url_si_disponible("seances:bilan", collectif.pk)
        if bilan:
            assert f'href="{bilan}"' in texte
    assert "/activite/seances/" not in texte
    assert "restent réservés à l'organisation porteuse" in texte


def test_hors_perimetre_404(client, agent23, dossier_accepte, collectifs):
    client.force_login(agent23)
    assert client.get(_url(dossier_accepte)).status_code == 404
    client.force_login(MembreFactory().utilisateur)
    assert client.get(_url(dossier_accepte)).status_code == 404
    client.logout()
    assert client.get(_url(dossier_accepte)).status_code == 302


def test_dossier_non_accepte_message_clair(client, porteur_user, agent59, dossier_59):
    CollectifFactory(dossier=dossier_59)
    for personne in (porteur_user, agent59):
        client.force_login(personne)
        reponse = client.get(_url(dossier_59))
        assert reponse.status_code == 200
        texte = reponse.content.decode()
        assert "s'ouvrent une fois le dossier accepté" in texte
        assert reverse("seances:calendrier", args=[dossier_59.collectifs.get().pk]) not in texte


def test_brouillon_invisible_de_la_caf(client, agent59, membre):
    brouillon = DossierFactory(porteur=membre.porteur)
    client.force_login(agent59)
    assert client.get(_url(brouillon)).status_code == 404


def test_lien_depuis_la_fiche_du_dossier(
    client, porteur_user, agent59, dossier_accepte, dossier_59
):
    for personne in (porteur_user, agent59):
        client.force_login(personne)
        fiche = client.get(reverse("dossiers:detail", args=[dossier_accepte.pk])).content.decode()
        assert f'href="{_url(dossier_accepte)}"' in fiche
        autre = client.get(reverse("dossiers:detail", args=[dossier_59.pk])).content.decode()
        assert _url(dossier_59) not in autre


def test_page_d_activite_en_requetes_bornees(
    client, agent59, porteur_user, dossier_accepte, django_assert_max_num_queries
):
    for ordre in range(4):
        collectif = CollectifFactory(dossier=dossier_accepte, ordre=ordre)
        BilanActionFactory(collectif=collectif)
        Seance.objects.bulk_create(
            Seance(
                collectif=collectif,
                date=date(2025, 11, 4) + timedelta(days=3 * i),
                debut=time(16, 45),
                duree_minutes=90,
                statut="realisee" if i < 30 else "prevue",
                appel_fait_le=timezone.now() if i < 30 else None,
                nombre_inscrits=12 if i < 30 else None,
                nombre_presents=9 if i < 30 else None,
            )
            for i in range(60)
        )
    for personne in (porteur_user, agent59):
        client.force_login(personne)
        client.get(_url(dossier_accepte))
        with django_assert_max_num_queries(8):
            reponse = client.get(_url(dossier_accepte))
        assert reponse.status_code == 200
        assert reponse.content.decode().count(f"75{POURCENT}") == 4
