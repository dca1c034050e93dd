"""Les pages des bilans : générer, suivre (htmx), télécharger ; rôles et périmètres."""

import html

import pytest
from django.urls import reverse

from bilans.models import EtatGeneration, GenerationBilan
from bilans.tasks import construire, demander_bilan
from tests.bilans.fabrique_bilan import peupler_bilan_59
from tests.factories import UtilisateurFactory

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

INDEX = reverse("bilans:index")
GENERER = reverse("bilans:generer")


@pytest.fixture
def donnees_59(db, dep59):
    return peupler_bilan_59()


@pytest.fixture
def secretariat23(db, dep23):
    return UtilisateurFactory(secretariat=True, departement=dep23, email="secretariat23@caf.fr")


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


def connecte(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def bilan_59_termine(donnees_59, dep59, secretariat59):
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    construire(generation.pk)
    generation.refresh_from_db()
    return generation


def test_index_secretariat_bouton_et_historique(
    client, donnees_59, secretariat59, bilan_59_termine, dep59, django_assert_max_num_queries
):
    # De quoi révéler un N+1 dans l'historique.
    for n in range(15):
        GenerationBilan.objects.create(
            departement=dep59,
            annee=2025,
            empreinte=f"{n:064d}",
            etat=EtatGeneration.ECHEC,
            demandee_par=secretariat59,
        )
    connecte(client, secretariat59)
    with django_assert_max_num_queries(14):
        reponse = client.get(INDEX)
    assert reponse.status_code == 200
    contenu = reponse.content.decode()
    assert "Générer le bilan 2025-2026" in contenu
    assert "Générer le bilan 2024-2025" in contenu
    assert bilan_59_termine.empreinte_courte in contenu
    assert reverse("bilans:telecharger", args=[bilan_59_termine.pk, "pdf"]) in contenu
    assert "Page 1 sur 1" in contenu or "page=2" not in contenu


def test_index_sans_dossier_etat_vide(client, secretariat23):
    connecte(client, secretariat23)
    contenu = texte(client.get(INDEX))
    assert "Aucun dossier déposé pour l'instant" in contenu
    assert "Aucun bilan n'a encore été généré." in contenu


def test_index_admin_tableau_des_departements(
    client, donnees_59, admin_national, django_assert_max_num_queries
):
    connecte(client, admin_national)
    with django_assert_max_num_queries(30):
        reponse = client.get(INDEX, {"annee": 2025})
    contenu = reponse.content.decode()
    assert reponse.status_code == 200
    assert "59 — Nord" in contenu and "23 — Creuse" in contenu
    assert "Générer le bilan national 2025-2026" in contenu
    assert "7\u202f886,00\u202f€" in contenu


def test_porteur_refuse(client, donnees_59, porteur_user, bilan_59_termine):
    connecte(client, porteur_user)
    assert client.get(INDEX).status_code == 403
    assert client.post(GENERER, {"departement": "59", "annee": 2025}).status_code == 403
    pk = bilan_59_termine.pk
    assert client.get(reverse("bilans:generation", args=[pk])).status_code == 403
    assert client.get(reverse("bilans:telecharger", args=[pk, "pdf"])).status_code == 403


def test_le_bouton_lance_une_generation_puis_la_page_de_suivi(
    client, donnees_59, secretariat59, django_capture_on_commit_callbacks
):
    connecte(client, secretariat59)
    with django_capture_on_commit_callbacks(execute=False) as rappels:
        reponse = client.post(GENERER, {"departement": "59", "annee": 2025})
    generation = GenerationBilan.objects.get()
    assert reponse.status_code == 302
    assert reponse.url == reverse("bilans:generation", args=[generation.pk])
    assert len(rappels) == 1
    assert generation.demandee_par == secretariat59
    # Un second clic (même avant la fin) : la même génération, aucune nouvelle tâche.
    with django_capture_on_commit_callbacks(execute=False) as rappels:
        reponse = client.post(GENERER, {"departement": "59", "annee": 2025})
    assert reponse.url == reverse("bilans:generation", args=[generation.pk])
    assert rappels == []
    assert GenerationBilan.objects.count() == 1


def test_donnees_inchangees_le_bouton_rend_le_bilan_existant(
    client, secretariat59, bilan_59_termine, django_capture_on_commit_callbacks
):
    connecte(client, secretariat59)
    with django_capture_on_commit_callbacks(execute=False) as rappels:
        reponse = client.post(GENERER, {"departement": "59", "annee": 2025}, follow=True)
    assert rappels == []
    assert GenerationBilan.objects.count() == 1
    assert "Les données n'ont pas changé" in texte(reponse)
    assert "Télécharger le PDF" in reponse.content.decode()


def test_demande_refusee_hors_perimetre_ou_annee_vide(client, donnees_59, secretariat23):
    connecte(client, secretariat23)
    assert client.post(GENERER, {"departement": "59", "annee": 2025}).status_code == 404
    reponse = client.post(GENERER, {"departement": "23", "annee": 2031}, follow=True)
    assert "Aucun dossier n'a été déposé pour l'année scolaire 2031-2032" in texte(reponse)
    assert not GenerationBilan.objects.exists()


def test_admin_demande_le_bilan_national(
    client, donnees_59, admin_national, django_capture_on_commit_callbacks
):
    connecte(client, admin_national)
    with django_capture_on_commit_callbacks(execute=False) as rappels:
        client.post(GENERER, {"departement": "national", "annee": 2025})
    generation = GenerationBilan.objects.get()
    assert generation.departement is None
    assert len(rappels) == 1
    assert generation.nom_fichier("pdf") == "bilan-national-2025-2026.pdf"


def test_suivi_htmx_progression_puis_lien(client, donnees_59, dep59, secretariat59):
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    url = reverse("bilans:generation", args=[generation.pk])
    connecte(client, secretariat59)
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "<progress" in page and "<script" not in page.split("</head>")[1]
    # Le fragment : rien de changé → 204 (htmx ne remplace rien) ; changé → le fragment.
    fragment = client.get(url, {"etat": "en_attente", "p": "0"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 204
    GenerationBilan.objects.filter(pk=generation.pk).update(
        etat=EtatGeneration.EN_COURS, progression=40, etape="Mise en page du PDF"
    )
    fragment = client.get(url, {"etat": "en_attente", "p": "0"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    texte = fragment.content.decode()
    assert "Mise en page du PDF" in texte and 'value="40"' in texte
    assert "every 1s" in texte and "<html" not in texte
    construire(generation.pk)
    fragment = client.get(url, {"etat": "en_cours", "p": "40"}, headers={"HX-Request": "true"})
    texte = fragment.content.decode()
    assert "Le bilan est prêt" in texte
    assert "hx-trigger" not in texte  # le suivi s'arrête
    assert reverse("bilans:telecharger", args=[generation.pk, "pdf"]) in texte


def test_telechargement_en_piece_jointe(client, secretariat59, agent59, bilan_59_termine):
    for user in (secretariat59, agent59):
        client.logout()
        connecte(client, user)
        reponse = client.get(reverse("bilans:telecharger", args=[bilan_59_termine.pk, "pdf"]))
        assert reponse.status_code == 200
        assert reponse["Content-Type"] == "application/pdf"
        assert reponse["Content-Disposition"].startswith("attachment")
        assert 'filename="bilan-59-2025-2026.pdf"' in reponse["Content-Disposition"]
        assert reponse["X-Content-Type-Options"] == "nosniff"
        assert b"".join(reponse.streaming_content).startswith(b"%PDF-")
    reponse = client.get(reverse("bilans:telecharger", args=[bilan_59_termine.pk, "json"]))
    assert reponse["Content-Type"] == "application/json"
    assert 'filename="bilan-59-2025-2026.json"' in reponse["Content-Disposition"]
    assert client.get(
        reverse("bilans:telecharger", args=[bilan_59_termine.pk, "exe"])
    ).status_code == (404)
    # Chaque téléchargement est consigné au journal d'audit (qui, quel bilan, quel fichier).
    from audit.models import Action, EvenementAudit

    traces = EvenementAudit.objects.filter(action=Action.TELECHARGEMENT_BILAN)
    assert traces.count() == 3
    assert {t.email for t in traces} == {secretariat59.email, agent59.email}
    assert {t.objet_id for t in traces} == {str(bilan_59_termine.pk)}
    assert {t.details["fichier"] for t in traces} == {
        "bilan-59-2025-2026.pdf",
        "bilan-59-2025-2026.json",
    }


def test_secretariat_23_ne_voit_rien_du_59(client, secretariat23, bilan_59_termine):
    connecte(client, secretariat23)
    pk = bilan_59_termine.pk
    assert client.get(reverse("bilans:generation", args=[pk])).status_code == 404
    assert client.get(reverse("bilans:telecharger", args=[pk, "pdf"])).status_code == 404
    assert client.get(reverse("bilans:telecharger", args=[pk, "json"])).status_code == 404
    assert bilan_59_termine.empreinte_courte not in client.get(INDEX).content.decode()


def test_admin_voit_et_telecharge_tout(client, admin_national, bilan_59_termine):
    connecte(client, admin_national)
    pk = bilan_59_termine.pk
    assert client.get(reverse("bilans:generation", args=[pk])).status_code == 200
    assert client.get(reverse("bilans:telecharger", args=[pk, "pdf"])).status_code == 200


def test_pas_de_telechargement_avant_la_fin(client, donnees_59, dep59, secretariat59):
    generation = demander_bilan(dep59, 2025, secretariat59, en_file=False)
    connecte(client, secretariat59)
    url = reverse("bilans:telecharger", args=[generation.pk, "pdf"])
    assert client.get(url).status_code == 404


def test_echec_propose_une_nouvelle_demande(client, donnees_59, dep59, secretariat59):
    generation = GenerationBilan.objects.create(
        departement=dep59,
        annee=2025,
        empreinte="9" * 64,
        etat=EtatGeneration.ECHEC,
        erreur="La file des tâches est injoignable.",
    )
    connecte(client, secretariat59)
    contenu = texte(client.get(reverse("bilans:generation", args=[generation.pk])))
    assert "La génération a échoué" in contenu
    assert "La file des tâches est injoignable." in contenu
    assert "Demander à nouveau le bilan 2025-2026" in contenu
