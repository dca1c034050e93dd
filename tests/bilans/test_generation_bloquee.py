"""Une génération bloquée (worker arrêté, tâche perdue) : les pages le disent et proposent de la
relancer, le suivi htmx s'arrête ; relancer l'abandonne et en demande une nouvelle."""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from bilans.models import EtatGeneration, GenerationBilan, delai_abandon
from bilans.tasks import demander_bilan
from tests.bilans.fabrique_bilan import peupler_bilan_59

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

INDEX = reverse("bilans:index")
GENERER = reverse("bilans:generer")
HTMX = {"HX-Request": "true"}
MESSAGE = "La génération semble interrompue (dernière étape il y a"


@pytest.fixture
def donnees_59(db, dep59):
    return peupler_bilan_59()


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


def en_cours_depuis(generation, age: datetime.timedelta, *, jamais_commencee=False):
    """Fait dater de ``age`` la dernière nouvelle de la génération."""
    instant = timezone.now() - age
    if jamais_commencee:
        GenerationBilan.objects.filter(pk=generation.pk).update(
            etat=EtatGeneration.EN_ATTENTE, demandee_le=instant, actualisee_le=None
        )
    else:
        GenerationBilan.objects.filter(pk=generation.pk).update(
            etat=EtatGeneration.EN_COURS,
            progression=40,
            etape="Mise en page du PDF",
            actualisee_le=instant,
        )
    generation.refresh_from_db()
    return generation


@pytest.fixture
def bloquee(donnees_59, dep59, secretariat59):
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    return en_cours_depuis(generation, delai_abandon() + datetime.timedelta(minutes=7))


@pytest.fixture
def recente(donnees_59, dep59, secretariat59):
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    return en_cours_depuis(generation, datetime.timedelta(minutes=1))


def minutes(generation) -> int:
    return int((timezone.now() - generation.actualisee_le).total_seconds() // 60)


def test_le_modele_et_le_queryset_s_accordent(donnees_59, dep59, secretariat59):
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    juste_avant = delai_abandon() - datetime.timedelta(minutes=1)
    juste_apres = delai_abandon() + datetime.timedelta(minutes=1)
    for age, jamais_commencee, attendu in [
        (juste_avant, False, False),
        (juste_apres, False, True),
        (juste_avant, True, False),
        (juste_apres, True, True),  # jamais prise par un worker : la demande fait foi
    ]:
        en_cours_depuis(generation, age, jamais_commencee=jamais_commencee)
        assert generation.semble_interrompue is attendu, (age, jamais_commencee)
        assert GenerationBilan.objects.perimees().filter(pk=generation.pk).exists() is attendu
    # Une génération finie n'est jamais « interrompue », si vieille soit-elle.
    GenerationBilan.objects.filter(pk=generation.pk).update(etat=EtatGeneration.ECHEC)
    generation.refresh_from_db()
    assert not generation.semble_interrompue
    assert not GenerationBilan.objects.perimees().exists()


def test_suivi_d_une_generation_bloquee_propose_de_relancer_sans_interroger(
    client, bloquee, secretariat59
):
    client.force_login(secretariat59)
    url = reverse("bilans:generation", args=[bloquee.pk])
    page = texte(client.get(url))
    assert f"{MESSAGE} {minutes(bloquee)} minutes)" in page
    assert "Relancer" in page and f'action="{GENERER}"' in page
    assert "hx-trigger" not in page and "hx-get" not in page
    assert "<progress" not in page
    # Le fragment que la page déjà ouverte redemande : même état, même progression ; autrefois
    # 204 sans fin, il rend maintenant le message, sans hx-trigger : le suivi s'arrête.
    fragment = client.get(url, {"etat": "en_cours", "p": "40"}, headers=HTMX)
    assert fragment.status_code == 200
    contenu = texte(fragment)
    assert MESSAGE in contenu and "Relancer" in contenu
    assert "hx-trigger" not in contenu
    assert "<html" not in contenu


def test_suivi_d_une_generation_recente_continue(client, recente, secretariat59):
    client.force_login(secretariat59)
    url = reverse("bilans:generation", args=[recente.pk])
    page = texte(client.get(url))
    assert 'hx-trigger="every 1s"' in page
    assert MESSAGE not in page and "Relancer" not in page
    fragment = client.get(url, {"etat": "en_cours", "p": "40"}, headers=HTMX)
    assert fragment.status_code == 204


def test_index_generation_bloquee_bouton_relancer(client, bloquee, secretariat59):
    client.force_login(secretariat59)
    contenu = texte(client.get(INDEX))
    assert f"{MESSAGE} {minutes(bloquee)} minutes)" in contenu
    assert "Relancer" in contenu
    assert "Suivre la génération du bilan 2025-2026" not in contenu
    assert "semble interrompue" in contenu.split("Historique des bilans générés")[1]
    # L'autre année n'a pas de génération : son bouton habituel.
    assert "Générer le bilan 2024-2025" in contenu


def test_index_generation_recente_lien_de_suivi(client, recente, secretariat59):
    client.force_login(secretariat59)
    contenu = texte(client.get(INDEX))
    assert "Suivre la génération du bilan 2025-2026" in contenu
    assert MESSAGE not in contenu and "Relancer" not in contenu


def test_index_admin_departement_et_national_bloques(client, bloquee, admin_national):
    nationale = GenerationBilan.objects.create(
        departement=None, annee=2025, empreinte="0" * 64, etat=EtatGeneration.EN_ATTENTE
    )
    en_cours_depuis(
        nationale, delai_abandon() + datetime.timedelta(minutes=3), jamais_commencee=True
    )
    client.force_login(admin_national)
    contenu = texte(client.get(INDEX, {"annee": 2025}))
    assert contenu.count(MESSAGE) == 2
    assert "Suivre la génération du bilan national" not in contenu
    assert 'name="departement" value="national"' in contenu
    assert 'Relancer<span class="visually-hidden"> du bilan national 2025-2026' in contenu
    ligne = contenu.split('name="departement" value="59"')[1].split("</tr>")[0]
    assert "Relancer" in ligne and "Suivre la génération" not in ligne


def test_relancer_abandonne_la_bloquee_et_en_demande_une_nouvelle(
    client, bloquee, secretariat59, django_capture_on_commit_callbacks
):
    client.force_login(secretariat59)
    with django_capture_on_commit_callbacks(execute=False) as rappels:
        reponse = client.post(GENERER, {"departement": "59", "annee": 2025})
    nouvelle = GenerationBilan.objects.exclude(pk=bloquee.pk).get()
    assert reponse.status_code == 302
    assert reponse.url == reverse("bilans:generation", args=[nouvelle.pk])
    assert len(rappels) == 1  # une nouvelle tâche
    assert nouvelle.etat == EtatGeneration.EN_ATTENTE
    assert nouvelle.demandee_par == secretariat59
    bloquee.refresh_from_db()
    assert bloquee.etat == EtatGeneration.ECHEC
    assert "plus donné de nouvelles" in bloquee.erreur
    suivi = texte(client.get(reponse.url))
    assert "La génération précédente, interrompue, a été abandonnée" in suivi
    assert 'hx-trigger="every 1s"' in suivi


def test_une_demande_n_abandonne_pas_une_generation_recente(
    client, recente, secretariat59, django_capture_on_commit_callbacks
):
    client.force_login(secretariat59)
    with django_capture_on_commit_callbacks(execute=False) as rappels:
        reponse = client.post(GENERER, {"departement": "59", "annee": 2025})
    assert reponse.url == reverse("bilans:generation", args=[recente.pk])
    assert rappels == []
    recente.refresh_from_db()
    assert recente.etat == EtatGeneration.EN_COURS
    assert GenerationBilan.objects.count() == 1
