"""Taux de présence par enfant et par collectif, contre un exemple calculé à la main."""

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Etat
from seances.models import Enfant, Presence, Seance
from seances.registre import (
    effectifs_enfants,
    taux,
    taux_par_enfant,
    taux_presence_collectif,
    totaux_appels,
)
from tests.factories import CollectifFactory, DossierFactory

pytestmark = pytest.mark.django_db

J = datetime.date


@pytest.fixture
def collectif(membre):
    dossier = DossierFactory(porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE)
    return CollectifFactory(dossier=dossier)


def enfant(collectif, code, sexe="F", famille="F-1", **kwargs):
    return Enfant.objects.create(
        collectif=collectif, code=code, classe="CM1", sexe=sexe, code_famille=famille, **kwargs
    )


def seance_avec_appel(collectif, jour, presences: dict):
    """Une séance réalisée, ses lignes de présence et ses agrégats (comme l'appel les écrit)."""
    seance = Seance.objects.create(
        collectif=collectif,
        date=jour,
        duree_minutes=90,
        statut=Seance.Statut.REALISEE,
        nombre_inscrits=len(presences),
        nombre_presents=sum(presences.values()),
        appel_fait_le=timezone.now(),
    )
    Presence.objects.bulk_create(
        Presence(seance=seance, enfant=e, present=p) for e, p in presences.items()
    )
    return seance


@pytest.fixture
def exemple(collectif):
    """À la main :

    =========  ====  ====  ====  ========
    séance      A     B     C    présents
    =========  ====  ====  ====  ========
    04/11       P     P     a     2 / 3
    06/11       P     a     a     1 / 3
    13/11       P     P     —     2 / 2   (C est sorti le 10/11)
    =========  ====  ====  ====  ========

    A : 3/3 = 1 ; B : 2/3 = 0,6667 ; C : 0/2 = 0 ; D (arrivé plus tard, jamais appelé) : aucun.
    Collectif : (2 + 1 + 2) / (3 + 3 + 2) = 5/8 = 0,625.
    Une séance prévue sans appel et une séance annulée ne comptent pas.
    """
    a = enfant(collectif, "A-1", "F", "F-1")
    b = enfant(collectif, "B-2", "G", "F-1")
    c = enfant(collectif, "C-3", "G", "F-2", sorti_le=J(2025, 11, 10))
    d = enfant(collectif, "D-4", "F", "F-3", inscrit_le=J(2026, 6, 1))
    seance_avec_appel(collectif, J(2025, 11, 4), {a: True, b: True, c: False})
    seance_avec_appel(collectif, J(2025, 11, 6), {a: True, b: False, c: False})
    seance_avec_appel(collectif, J(2025, 11, 13), {a: True, b: True})
    Seance.objects.create(collectif=collectif, date=J(2025, 11, 18), duree_minutes=90)
    Seance.objects.create(
        collectif=collectif,
        date=J(2025, 11, 20),
        duree_minutes=90,
        statut=Seance.Statut.ANNULEE,
        motif_annulation="intempéries",
    )
    return {"A": a, "B": b, "C": c, "D": d}


def test_taux_du_collectif(collectif, exemple, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert taux_presence_collectif(collectif) == Decimal("0.6250")
    assert totaux_appels(collectif) == {
        "seances": 3,
        "presents": 5,
        "inscrits": 8,
        "taux": Decimal("0.6250"),
    }


def test_taux_par_enfant(collectif, exemple, django_assert_num_queries):
    with django_assert_num_queries(1):
        lignes = taux_par_enfant(collectif)
    assert [(e.code, p, s, t) for e, p, s, t in lignes] == [
        ("A-1", 3, 3, Decimal("1.0000")),
        ("B-2", 2, 3, Decimal("0.6667")),
        ("C-3", 0, 2, Decimal("0.0000")),
        ("D-4", 0, 0, None),
    ]


def test_effectifs(collectif, exemple):
    assert effectifs_enfants(collectif) == {"enfants": 4, "filles": 2, "garcons": 2, "familles": 3}


def test_aucun_appel_none(collectif):
    enfant(collectif, "A-1")
    Seance.objects.create(collectif=collectif, date=J(2025, 11, 4), duree_minutes=90)
    assert taux_presence_collectif(collectif) is None
    assert taux_par_enfant(collectif)[0][3] is None


def test_arrondi_au_plus_proche_la_moitie_vers_le_haut():
    assert taux(1, 32) == Decimal("0.0313")  # 0,03125 : l'arrondi bancaire donnerait 0,0312
    assert taux(2, 3) == Decimal("0.6667")
    assert taux(1, 3) == Decimal("0.3333")
    assert taux(0, 0) is None


def test_le_taux_du_collectif_survit_a_la_purge(collectif, exemple):
    avant = taux_presence_collectif(collectif)
    Enfant.objects.filter(collectif=collectif).delete()  # supprime aussi les présences
    assert not Presence.objects.exists()
    assert taux_presence_collectif(collectif) == avant == Decimal("0.6250")
    assert taux_par_enfant(collectif) == []


def test_les_autres_collectifs_ne_comptent_pas(collectif, exemple):
    autre = CollectifFactory(dossier=collectif.dossier)
    x = enfant(autre, "X-1")
    seance_avec_appel(autre, J(2025, 11, 4), {x: False})
    assert taux_presence_collectif(collectif) == Decimal("0.6250")
    assert taux_presence_collectif(autre) == Decimal("0.0000")


def test_appel_par_l_ecran_et_taux_concordent(client, porteur_user, collectif):
    """Trois appels saisis à l'écran donnent les taux attendus."""
    client.force_login(porteur_user)
    a, b = enfant(collectif, "A-1"), enfant(collectif, "B-2")
    reponses = [
        {a: "present", b: "absent"},
        {a: "present", b: "present"},
        {a: "absent", b: "absent"},
    ]
    for jour, reponse in zip((4, 6, 13), reponses, strict=True):
        seance = Seance.objects.create(
            collectif=collectif, date=J(2025, 11, jour), duree_minutes=90
        )
        donnees = {f"enfant_{e.pk}": v for e, v in reponse.items()}
        donnees["activite"] = "jeu"
        assert client.post(reverse("seances:appel", args=[seance.pk]), donnees).status_code == 302
    assert taux_presence_collectif(collectif) == Decimal("0.5000")  # 3 / 6
    assert [(e.code, p, s, t) for e, p, s, t in taux_par_enfant(collectif)] == [
        ("A-1", 2, 3, Decimal("0.6667")),
        ("B-2", 1, 3, Decimal("0.3333")),
    ]


def test_page_des_presences(
    client, porteur_user, collectif, exemple, django_assert_max_num_queries
):
    # Une année complète : 60 séances en plus.
    Seance.objects.bulk_create(
        Seance(
            collectif=collectif,
            date=J(2026, 1, 5) + datetime.timedelta(days=2 * i),
            duree_minutes=90,
        )
        for i in range(60)
    )
    client.force_login(porteur_user)
    with django_assert_max_num_queries(10):
        reponse = client.get(reverse("seances:presences", args=[collectif.pk]))
    assert reponse.status_code == 200
    page = html.unescape(reponse.content.decode())
    assert "62,5\u202f%" in page
    assert "66,67\u202f%" in page
    assert "5 présences pour 8 enfants attendus, sur 3 séances" in page
    assert reponse.context["totaux"]["taux"] == Decimal("0.6250")
    # La première séance passée sans appel est proposée.
    assert reverse("seances:appel", args=[Seance.objects.get(date=J(2025, 11, 18)).pk]) in page
