"""L'utilisateur de chaque requête est chargé avec son département (une jointure), que le
bandeau de chaque page affiche pour la Caf : pas de requête de plus par page."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db


def requetes_du_departement(requetes) -> list[str]:
    """Les requêtes qui lisent un département seul (pas une jointure depuis l'utilisateur)."""
    return [
        q["sql"]
        for q in requetes.captured_queries
        if q["sql"].startswith('SELECT "comptes_departement"')
    ]


def test_page_d_un_agent_sans_requete_pour_son_departement(client, agent59):
    client.force_login(agent59)
    assert client.session[BACKEND_SESSION_KEY] == "comptes.backends.ModelBackendAvecDepartement"
    with CaptureQueriesContext(connection) as requetes:
        reponse = client.get(reverse("eligibility:referentiel"))
    assert reponse.status_code == 200
    assert str(agent59.departement) in reponse.content.decode()
    assert requetes_du_departement(requetes) == []
    chargement = next(
        q["sql"]
        for q in requetes.captured_queries
        if q["sql"].startswith('SELECT "comptes_utilisateur"')
    )
    assert 'JOIN "comptes_departement"' in chargement


def test_utilisateur_desactive_deconnecte(client, agent59):
    """Le chargement garde la règle de Django : un compte désactivé n'est plus connecté."""
    client.force_login(agent59)
    agent59.is_active = False
    agent59.save(update_fields=["is_active"])
    reponse = client.get(reverse("eligibility:referentiel"))
    assert reponse.status_code == 302 and "connexion" in reponse["Location"]
