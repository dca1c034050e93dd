"""La liste des bilans de l'action soumis, pour les agents et le secrétariat de la Caf : ceux de
leur département et de l'année scolaire choisie (par défaut, l'année en cours), les plus récents
d'abord, paginée ; nombre de requêtes constant ; refusée aux porteurs."""

import html
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dossiers.forms_campagnes import annee_scolaire_en_cours
from dossiers.models import Etat
from seances.models import BilanAction
from seances.views_bilan import BILANS_SOUMIS_PAR_PAGE
from tests.factories import BilanActionFactory, CollectifFactory, DossierFactory, UtilisateurFactory

pytestmark = pytest.mark.django_db

URL = reverse("seances:bilans_soumis")


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


def bilan(dossier, nom, *, statut=BilanAction.Statut.SOUMIS, il_y_a=0, **valeurs):
    return BilanActionFactory(
        collectif=CollectifFactory(dossier=dossier, nom=nom),
        statut=statut,
        soumis_le=timezone.now() - timedelta(days=il_y_a) if statut != "brouillon" else None,
        **valeurs,
    )


@pytest.fixture
def accepte_59(dossier_59):
    dossier_59.etat = Etat.ACCEPTE
    dossier_59.save(update_fields=["etat"])
    return dossier_59


@pytest.fixture
def accepte_23(dossier_23):
    dossier_23.etat = Etat.ACCEPTE
    dossier_23.save(update_fields=["etat"])
    return dossier_23


@pytest.fixture
def bilans(accepte_59, accepte_23, porteur_user):
    return {
        "ancien": bilan(accepte_59, "CP-CE1", il_y_a=10),
        "recent": bilan(accepte_59, "CM1-CM2", il_y_a=1, soumis_par=porteur_user),
        "brouillon": bilan(accepte_59, "Brouillon", statut=BilanAction.Statut.BROUILLON),
        "a_corriger": bilan(accepte_59, "À corriger", statut=BilanAction.Statut.A_CORRIGER),
        "creuse": bilan(accepte_23, "Creuse CM2"),
    }


def lignes(reponse) -> list[str]:
    return [str(b.collectif) for b in reponse.context["bilans"]]


@pytest.mark.parametrize("personne", ["agent59", "secretariat59"])
def test_la_caf_du_59_voit_les_bilans_soumis_du_59(client, request, personne, bilans):
    client.force_login(request.getfixturevalue(personne))
    reponse = client.get(URL, {"annee": 2025})
    assert reponse.status_code == 200
    assert lignes(reponse) == ["CM1-CM2", "CP-CE1"]  # les plus récents d'abord
    contenu = texte(reponse)
    raison_sociale = bilans["recent"].collectif.dossier.porteur.raison_sociale
    assert raison_sociale in contenu
    assert reverse("seances:bilan", args=[bilans["recent"].collectif_id]) in contenu
    assert reverse("seances:bilan", args=[bilans["creuse"].collectif_id]) not in contenu
    assert bilans["recent"].soumis_le.strftime("%Y") in contenu
    assert "Creuse CM2" not in contenu and "Brouillon" not in contenu
    assert "2 bilans soumis pour l'année scolaire 2025-2026" in contenu


def test_l_agent_d_un_autre_departement_ne_voit_pas_ceux_du_59(client, agent23, bilans):
    client.force_login(agent23)
    reponse = client.get(URL, {"annee": 2025})
    assert reponse.status_code == 200
    assert lignes(reponse) == ["Creuse CM2"]
    assert "CM1-CM2" not in texte(reponse)


def test_refusee_aux_porteurs_et_a_l_administration(client, porteur_user, admin_national, bilans):
    for personne in (porteur_user, admin_national):
        client.force_login(personne)
        assert client.get(URL, {"annee": 2025}).status_code == 403


def test_anonyme_redirige_vers_la_connexion(client):
    reponse = client.get(URL)
    assert reponse.status_code == 302 and "/connexion/" in reponse.url


def test_annee_par_defaut_l_annee_en_cours(client, agent59, bilans, membre):
    en_cours = annee_scolaire_en_cours(timezone.localdate())
    dossier = DossierFactory(
        porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE, annee=en_cours
    )
    bilan(dossier, "Année en cours")
    client.force_login(agent59)
    reponse = client.get(URL)
    assert reponse.context["annee"] == en_cours
    assert lignes(reponse) == ["Année en cours"]
    # Le choix de l'année : l'année en cours et celles qui ont des bilans soumis.
    choix = [valeur for valeur, _ in reponse.context["form"].fields["annee"].choices]
    assert choix == sorted({en_cours, 2025}, reverse=True)


def test_annee_inconnue_erreur_et_annee_en_cours(client, agent59, bilans):
    client.force_login(agent59)
    reponse = client.get(URL, {"annee": "1999"})
    assert reponse.status_code == 200
    assert reponse.context["annee"] == annee_scolaire_en_cours(timezone.localdate())
    assert reponse.context["erreurs"][0]["message"] == (
        "« Année scolaire » : choisissez une année de la liste."
    )


def test_etat_vide(client, agent59, accepte_23):
    bilan(accepte_23, "Creuse CM2")  # soumis, mais dans un autre département
    client.force_login(agent59)
    en_cours = annee_scolaire_en_cours(timezone.localdate())
    reponse = client.get(URL)
    assert reponse.status_code == 200
    assert reponse.context["bilans"] == []
    contenu = texte(reponse)
    assert (
        "Aucun bilan de l'action n'est soumis à la Caf pour l'année scolaire "
        f"{en_cours}-{en_cours + 1}." in contenu
    )
    assert 'id="liste-bilans-soumis"' not in contenu and "Creuse CM2" not in contenu


def test_pagination(client, agent59, accepte_59):
    for i in range(BILANS_SOUMIS_PAR_PAGE + 2):
        bilan(accepte_59, f"Collectif n° {i:02d}", il_y_a=i)
    client.force_login(agent59)
    page1 = client.get(URL, {"annee": 2025})
    assert len(page1.context["bilans"]) == BILANS_SOUMIS_PAR_PAGE
    assert lignes(page1)[0] == "Collectif n° 00"
    contenu = texte(page1)
    assert "Page 1 sur 2" in contenu
    assert "annee=2025&page=2" in contenu  # l'année choisie est gardée d'une page à l'autre
    page2 = client.get(URL, {"annee": 2025, "page": 2})
    assert lignes(page2) == ["Collectif n° 25", "Collectif n° 26"]
    assert "Page 2 sur 2" in texte(page2)


def test_requetes_constantes(client, agent59, accepte_59):
    client.force_login(agent59)

    def compter() -> int:
        with CaptureQueriesContext(connection) as requetes:
            assert client.get(URL, {"annee": 2025}).status_code == 200
        return len(requetes)

    for i in range(2):
        bilan(accepte_59, f"Petit {i}", il_y_a=i, soumis_par=UtilisateurFactory())
    peu = compter()
    for i in range(8):
        bilan(accepte_59, f"Grand {i}", il_y_a=i, soumis_par=UtilisateurFactory())
    assert compter() == peu


def test_lien_depuis_la_page_des_bilans(client, agent59, porteur_user):
    client.force_login(agent59)
    assert URL in texte(client.get(reverse("bilans:index")))
