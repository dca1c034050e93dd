"""Protection des données des enfants : la Caf, le secrétariat et l'administration nationale ne
voient que des agrégats ; la purge supprime les lignes par enfant et garde les agrégats."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from seances import purge
from seances.models import (
    BilanAction,
    Enfant,
    Presence,
    PurgeDonneesEnfants,
    Seance,
)
from seances.registre import taux_presence_collectif
from tests.factories import CollectifFactory
from tests.seances.test_bilan import ENFANTS, accepter, bilan_soumis, construire_registre

ROLES_CAF = ["agent59", "secretariat59", "admin_national"]


@pytest.fixture
def collectif(dossier_59):
    accepter(dossier_59)
    collectif = CollectifFactory(dossier=dossier_59, nom="CM1-CM2 du mardi")
    construire_registre(collectif)
    return collectif


@pytest.mark.django_db
class TestAgregatsSeulement:
    @pytest.mark.parametrize("role", ROLES_CAF)
    def test_aucune_donnee_par_enfant_visible(self, request, role, collectif):
        utilisateur = request.getfixturevalue(role)
        assert Enfant.objects.count() == 7
        assert not Enfant.objects.visible_to(utilisateur).exists()
        assert not Presence.objects.visible_to(utilisateur).exists()
        # Les agrégats, eux, sont visibles de qui voit le collectif.
        assert Seance.objects.visible_to(utilisateur).filter(collectif=collectif).exists()

    def test_le_porteur_voit_son_registre(self, porteur_user, collectif):
        assert Enfant.objects.visible_to(porteur_user).count() == 7
        assert Presence.objects.visible_to(porteur_user).count() == 28

    @pytest.mark.parametrize("role", ROLES_CAF)
    @pytest.mark.parametrize("statut", ["soumis", "a_corriger", "brouillon"])
    def test_la_page_du_bilan_ne_montre_aucun_code_d_enfant(
        self, client, request, role, statut, collectif
    ):
        bilan_soumis(
            collectif,
            statut=statut,
            correction_demandee="Revoir les familles." if statut == "a_corriger" else "",
        )
        client.force_login(request.getfixturevalue(role))
        reponse = client.get(reverse("seances:bilan", args=[collectif.pk]))
        assert reponse.status_code == 200
        contenu = reponse.content.decode()
        for code, _sexe, famille in ENFANTS:
            assert code not in contenu
            assert famille not in contenu

    def test_enfant_et_presence_absents_de_l_admin(self):
        assert admin.site.is_registered(BilanAction)
        assert admin.site.is_registered(Seance)
        assert not admin.site.is_registered(Enfant)
        assert not admin.site.is_registered(Presence)

    def test_l_admin_ne_montre_pas_de_code_d_enfant(self, client, admin_national, collectif):
        bilan_soumis(collectif)
        client.force_login(admin_national)
        seance = Seance.objects.filter(collectif=collectif, statut="realisee").first()
        for url in (
            reverse("admin:seances_seance_changelist"),
            reverse("admin:seances_seance_change", args=[seance.pk]),
            reverse("admin:seances_bilanaction_changelist"),
            reverse("admin:seances_actionparents_changelist"),
            reverse("admin:seances_rencontreecole_changelist"),
            reverse("admin:seances_purgedonneesenfants_changelist"),
        ):
            reponse = client.get(url)
            assert reponse.status_code == 200, url
            contenu = reponse.content.decode()
            assert all(code not in contenu for code, _s, _f in ENFANTS), url

    def test_agregats_en_lecture_seule_dans_l_admin(self, client, admin_national, collectif):
        client.force_login(admin_national)
        seance = Seance.objects.filter(collectif=collectif).first()
        assert client.get(reverse("admin:seances_seance_add")).status_code == 403
        reponse = client.post(
            reverse("admin:seances_seance_change", args=[seance.pk]), {"duree_minutes": 1}
        )
        assert reponse.status_code == 403
        seance.refresh_from_db()
        assert seance.duree_minutes != 1


@pytest.mark.django_db
class TestPurge:
    def test_purge_supprime_les_lignes_et_garde_les_agregats(self, collectif):
        bilan = bilan_soumis(collectif)
        seances_avant = list(
            Seance.objects.filter(collectif=collectif)
            .order_by("pk")
            .values_list("pk", "statut", "nombre_inscrits", "nombre_presents")
        )
        taux_avant = taux_presence_collectif(collectif)

        BilanAction.objects.filter(pk=bilan.pk).update(soumis_le=bilan.soumis_le.replace(year=2020))
        (faite,) = purge.purger_donnees_enfants()

        assert not Enfant.objects.filter(collectif=collectif).exists()
        assert not Presence.objects.filter(seance__collectif=collectif).exists()
        assert (
            list(
                Seance.objects.filter(collectif=collectif)
                .order_by("pk")
                .values_list("pk", "statut", "nombre_inscrits", "nombre_presents")
            )
            == seances_avant
        )
        assert Seance.objects.filter(collectif=collectif, statut="realisee").count() == 4
        assert taux_presence_collectif(collectif) == taux_avant == Decimal("0.7857")
        bilan.refresh_from_db()
        assert (bilan.enfants_inscrits, bilan.seances_realisees, bilan.taux_presence) == (
            7,
            4,
            Decimal("0.7857"),
        )
        assert PurgeDonneesEnfants.objects.get() == faite
