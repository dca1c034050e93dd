"""Protection des données : les pages par enfant et les journaux sont réservés au porteur.

Agents de la Caf (même du département), secrétariat, administration nationale : 403 partout, et
jamais un code d'enfant dans la réponse. Un autre porteur : 404. Anonyme : page de connexion.
"""

import datetime

import pytest
from django.urls import reverse

from dossiers.models import Etat
from seances.models import ActionParents, Enfant, Presence, RencontreEcole, Seance
from tests.factories import CollectifFactory, DossierFactory, MembreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def objets(membre):
    dossier = DossierFactory(porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE)
    collectif = CollectifFactory(dossier=dossier)
    enfant = Enfant.objects.create(
        collectif=collectif, code="SECRET-1", classe="CM1", sexe="F", code_famille="FAM-SECRET"
    )
    seance = Seance.objects.create(
        collectif=collectif, date=datetime.date(2025, 11, 4), duree_minutes=90
    )
    Presence.objects.create(seance=seance, enfant=enfant, present=True)
    action = ActionParents.objects.create(
        collectif=collectif, type="reunion", date=datetime.date(2025, 10, 1), nombre_parents=3
    )
    rencontre = RencontreEcole.objects.create(
        collectif=collectif, date=datetime.date(2025, 10, 2), interlocuteurs="directrice"
    )
    return {
        "collectif": collectif,
        "enfant": enfant,
        "seance": seance,
        "action": action,
        "rencontre": rencontre,
    }


def urls(o) -> list[str]:
    return [
        reverse("seances:enfants", args=[o["collectif"].pk]),
        reverse("seances:enfant_modifier", args=[o["enfant"].pk]),
        reverse("seances:enfant_supprimer", args=[o["enfant"].pk]),
        reverse("seances:appel", args=[o["seance"].pk]),
        reverse("seances:presences", args=[o["collectif"].pk]),
        reverse("seances:journal", args=[o["collectif"].pk]),
        reverse("seances:action_parents_supprimer", args=[o["action"].pk]),
        reverse("seances:rencontre_ecole_supprimer", args=[o["rencontre"].pk]),
    ]


def test_le_porteur_atteint_chaque_page(client, porteur_user, objets):
    client.force_login(porteur_user)
    for url in urls(objets):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("qui", ["agent59", "agent23", "secretariat59", "admin_national"])
def test_personnel_caf_et_administration_403(client, objets, qui, request):
    client.force_login(request.getfixturevalue(qui))
    for url in urls(objets):
        for reponse in (client.get(url), client.post(url, {"code": "X-1", "formulaire": "action"})):
            assert reponse.status_code == 403, url
            assert b"SECRET" not in reponse.content
    assert Enfant.objects.count() == 1 and Presence.objects.count() == 1
    assert ActionParents.objects.count() == 1 and RencontreEcole.objects.count() == 1


def test_un_autre_porteur_404(client, objets):
    autre = MembreFactory().utilisateur
    # Même un dossier accepté chez lui ne lui ouvre pas celui des autres.
    DossierFactory(porteur=autre.adhesions.get().porteur, depose=True, etat=Etat.ACCEPTE)
    client.force_login(autre)
    for url in urls(objets):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"formulaire": "action"}).status_code == 404, url
    assert Enfant.objects.count() == 1 and ActionParents.objects.count() == 1


def test_anonyme_renvoye_a_la_connexion(client, objets):
    for url in urls(objets):
        reponse = client.get(url)
        assert reponse.status_code == 302 and "connexion" in reponse["Location"], url


def test_donnees_enfants_jamais_visibles_hors_porteur(
    objets, agent59, secretariat59, admin_national
):
    """Le QuerySet lui-même, et pas seulement la vue, ferme les données par enfant."""
    for utilisateur in (agent59, secretariat59, admin_national):
        assert not Enfant.objects.visible_to(utilisateur).exists()
        assert not Presence.objects.visible_to(utilisateur).exists()


@pytest.mark.parametrize("etat", [Etat.DEPOSE, Etat.EN_INSTRUCTION, Etat.REFUSE])
def test_dossier_non_accepte_404(client, porteur_user, objets, etat):
    DossierFactory._meta.model.objects.filter(pk=objets["collectif"].dossier_id).update(etat=etat)
    client.force_login(porteur_user)
    for url in urls(objets):
        assert client.get(url).status_code == 404, url
