import pytest
from django.urls import reverse

from tests.factories import MOT_DE_PASSE, CollectifFactory, DossierFactory

pytestmark = pytest.mark.django_db


def connecter(client, user):
    return client.post(
        reverse("connexion"), {"username": user.email, "password": MOT_DE_PASSE}, follow=True
    )


def test_page_de_connexion(client):
    page = client.get(reverse("connexion"))
    assert page.status_code == 200
    contenu = page.content.decode()
    assert 'name="username"' in contenu and 'name="password"' in contenu
    assert '<html lang="fr">' in contenu
    assert "Adresse électronique" in contenu


def test_mauvais_mot_de_passe(client, porteur_user):
    page = client.post(reverse("connexion"), {"username": porteur_user.email, "password": "faux"})
    assert page.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect" in page.content.decode()


@pytest.mark.parametrize(
    ("fixture", "url", "texte"),
    [
        ("porteur_user", "dossiers:liste", "Mes dossiers Clas"),
        ("agent59", "dossiers:liste", "Dossiers du département 59"),
        ("secretariat59", "bilans:index", "Aucun bilan n'a encore été généré."),
        ("admin_national", "admin:index", "Administration"),
    ],
)
def test_chaque_role_arrive_sur_son_accueil(client, request, fixture, url, texte):
    user = request.getfixturevalue(fixture)
    page = connecter(client, user)
    assert page.redirect_chain[-1][0] == reverse(url)
    assert texte in page.content.decode()


def test_accueil_porteur_liste_ses_dossiers(client, porteur_user, dossier_59):
    client.force_login(porteur_user)
    page = client.get(reverse("dossiers:liste"))
    assert dossier_59.porteur.raison_sociale in page.content.decode()
    assert "Année scolaire 2025-2026" in page.content.decode()


def test_accueil_porteur_sans_dossier(client):
    from tests.factories import MembreFactory

    client.force_login(MembreFactory().utilisateur)
    assert "Aucun dossier pour l'instant" in client.get(reverse("dossiers:liste")).content.decode()


def test_deconnexion_par_post(client, porteur_user):
    client.force_login(porteur_user)
    assert client.post(reverse("deconnexion")).status_code == 302
    assert client.get(reverse("dossiers:liste")).status_code == 302


def test_filtres_de_la_liste(client, agent59):
    DossierFactory(depose=True, annee=2024)
    d25 = DossierFactory(depose=True, annee=2025)
    client.force_login(agent59)
    page = client.get(reverse("dossiers:liste"), {"annee": "2025", "etat": "depose"})
    assert list(page.context["dossiers"]) == [d25]
    vide = client.get(reverse("dossiers:liste"), {"etat": "accepte"})
    assert "Aucun dossier ne correspond à ces filtres" in vide.content.decode()


def test_liste_agent_nombre_de_requetes_borne(client, agent59, django_assert_max_num_queries):
    for _ in range(30):
        d = DossierFactory(depose=True)
        CollectifFactory.create_batch(2, dossier=d)
    client.force_login(agent59)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("dossiers:liste"))
    assert page.status_code == 200
    assert len(page.context["dossiers"]) == 30  # 50 par page : les 30 tiennent sur une page


def test_detail_nombre_de_requetes_borne(client, agent59, django_assert_max_num_queries):
    d = DossierFactory(depose=True, complet=True)
    from tests.factories import CreneauFactory, IntervenantFactory

    for c in CollectifFactory.create_batch(10, dossier=d):
        CreneauFactory.create_batch(2, collectif=c)
    IntervenantFactory.create_batch(3, dossier=d)
    client.force_login(agent59)
    # session, compte, dossier, collectifs (+ bilans), créneaux, intervenants, paramètres de
    # l'année, évaluation figée, messages, historique : un nombre fixe, quel que soit le nombre
    # de collectifs. 12 → 16 : l'agent voit aussi l'instruction (issue 5), soit quatre requêtes
    # fixes de plus — points de contrôle, notes internes, pièces du dossier, pièces permanentes.
    with django_assert_max_num_queries(16):
        page = client.get(reverse("dossiers:detail", args=[d.pk]))
    assert page.status_code == 200
    contenu = page.content.decode()
    assert contenu.count('class="card mb-3"') == 10
    assert "Éligibilité au regard du référentiel" in contenu
    assert contenu.count("<code>COLLECTIF-TAILLE</code>") == 10


def test_admin_liste_des_dossiers(client, admin_national):
    DossierFactory.create_batch(3, depose=True)
    client.force_login(admin_national)
    for modele in ["dossier", "collectif", "creneau", "intervenant"]:
        app = "dossiers" if modele == "dossier" else "collectifs"
        assert client.get(reverse(f"admin:{app}_{modele}_changelist")).status_code == 200
    for nom in [
        "comptes_utilisateur",
        "comptes_departement",
        "porteurs_porteur",
        "porteurs_membre",
        "seances_bilanaction",
    ]:
        assert client.get(reverse(f"admin:{nom}_changelist"), {"q": "a"}).status_code == 200
