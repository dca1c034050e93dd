"""Supprimer une séance ajoutée par erreur : seulement une séance ajoutée par le porteur, sans
appel enregistré ; confirmation puis suppression ; refusé (avec un message, rien n'est supprimé)
pour une séance générée par le calendrier, une séance dont l'appel est fait, un cahier verrouillé."""

import html
from datetime import date, time

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Etat
from seances.models import BilanAction, Enfant, Presence, Seance
from tests.factories import CollectifFactory, DossierFactory, MembreFactory

pytestmark = pytest.mark.django_db

AJOUTEE = Seance.Origine.AJOUTEE


@pytest.fixture
def collectif(membre):
    dossier = DossierFactory(porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE)
    return CollectifFactory(dossier=dossier, nom="CM1-CM2")


@pytest.fixture
def porteur(client, porteur_user):
    client.force_login(porteur_user)
    return client


def _seance(collectif, jour, **valeurs):
    return Seance.objects.create(
        collectif=collectif, date=jour, debut=time(16, 45), duree_minutes=90, **valeurs
    )


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


def calendrier(collectif) -> str:
    return reverse("seances:calendrier", args=[collectif.pk])


def test_supprimer_une_seance_ajoutee_par_erreur(porteur, collectif):
    gardee = _seance(collectif, date(2025, 11, 4))
    seance = _seance(collectif, date(2025, 11, 5), origine=AJOUTEE)
    url = reverse("seances:seance_supprimer", args=[seance.pk])
    contenu = texte(porteur.get(calendrier(collectif)))
    assert url in contenu
    assert reverse("seances:seance_supprimer", args=[gardee.pk]) not in contenu

    reponse = porteur.get(url)
    assert reponse.status_code == 200
    contenu = texte(reponse)
    assert "Supprimer la séance du Mercredi 5 novembre 2025 à 16:45 ?" in contenu
    assert "Cette action est définitive." in contenu
    assert 'name="csrfmiddlewaretoken"' in contenu
    assert Seance.objects.filter(pk=seance.pk).exists()  # le GET ne supprime rien

    reponse = porteur.post(url, follow=True)
    assert reponse.redirect_chain == [(calendrier(collectif), 302)]
    assert "Séance du 05/11/2025 à 16:45 supprimée du calendrier." in texte(reponse)
    assert list(Seance.objects.values_list("pk", flat=True)) == [gardee.pk]


def test_supprimer_une_seance_ajoutee_puis_annulee(porteur, collectif):
    seance = _seance(
        collectif,
        date(2025, 11, 5),
        origine=AJOUTEE,
        statut=Seance.Statut.ANNULEE,
        motif_annulation="ajoutée par erreur",
    )
    url = reverse("seances:seance_supprimer", args=[seance.pk])
    assert url in texte(porteur.get(calendrier(collectif)))
    assert "ajoutée par erreur" in texte(porteur.get(url))
    porteur.post(url)
    assert not Seance.objects.exists()


def test_seance_du_calendrier_refusee(porteur, collectif):
    seance = _seance(collectif, date(2025, 11, 4))
    url = reverse("seances:seance_supprimer", args=[seance.pk])
    retour = f"{calendrier(collectif)}#seance-{seance.pk}"
    reponse = porteur.get(url)
    assert reponse.status_code == 302 and reponse.url == retour
    reponse = porteur.post(url, follow=True)
    assert reponse.redirect_chain == [(retour, 302)]
    assert (
        "Séance du 04/11/2025 à 16:45 a été générée par le calendrier : elle ne peut pas être "
        "supprimée. Annulez-la avec un motif si elle n'a pas lieu." in texte(reponse)
    )
    assert Seance.objects.filter(pk=seance.pk).exists()


def test_seance_ajoutee_avec_appel_refusee(porteur, collectif):
    seance = _seance(
        collectif,
        date(2025, 11, 5),
        origine=AJOUTEE,
        statut=Seance.Statut.REALISEE,
        appel_fait_le=timezone.now(),
        nombre_inscrits=1,
        nombre_presents=1,
    )
    enfant = Enfant.objects.create(
        collectif=collectif, code="AB-01", classe="CM1", sexe="F", code_famille="F1"
    )
    Presence.objects.create(seance=seance, enfant=enfant, present=True)
    url = reverse("seances:seance_supprimer", args=[seance.pk])
    assert url not in texte(porteur.get(calendrier(collectif)))
    assert porteur.get(url).status_code == 302
    reponse = porteur.post(url, follow=True)
    assert "l'appel est déjà enregistré, elle ne peut pas être supprimée" in texte(reponse)
    assert Seance.objects.filter(pk=seance.pk).exists()
    assert Presence.objects.count() == 1


def test_presences_sans_date_d_appel_refusee(porteur, collectif):
    """Garde-fou : des présences notées suffisent à empêcher la suppression."""
    seance = _seance(collectif, date(2025, 11, 5), origine=AJOUTEE)
    enfant = Enfant.objects.create(
        collectif=collectif, code="AB-01", classe="CM1", sexe="F", code_famille="F1"
    )
    Presence.objects.create(seance=seance, enfant=enfant, present=False)
    porteur.post(reverse("seances:seance_supprimer", args=[seance.pk]))
    assert Seance.objects.filter(pk=seance.pk).exists()


def test_cahier_verrouille_refuse(porteur, collectif):
    seance = _seance(collectif, date(2025, 11, 5), origine=AJOUTEE)
    BilanAction.objects.create(
        collectif=collectif, statut=BilanAction.Statut.SOUMIS, soumis_le=timezone.now()
    )
    url = reverse("seances:seance_supprimer", args=[seance.pk])
    assert url not in texte(porteur.get(calendrier(collectif)))
    assert porteur.get(url).url == calendrier(collectif)
    reponse = porteur.post(url, follow=True)
    assert reponse.redirect_chain == [(calendrier(collectif), 302)]
    assert "son calendrier des séances ne se modifie plus" in texte(reponse)
    assert Seance.objects.filter(pk=seance.pk).exists()


def test_autres_roles_et_autre_porteur(client, collectif, agent59):
    seance = _seance(collectif, date(2025, 11, 5), origine=AJOUTEE)
    url = reverse("seances:seance_supprimer", args=[seance.pk])
    client.force_login(MembreFactory(utilisateur__email="autre@asso.fr").utilisateur)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(agent59)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Seance.objects.filter(pk=seance.pk).exists()
