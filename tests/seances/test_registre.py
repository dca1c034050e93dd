"""Le cahier de présence d'une séance : un formulaire, un POST, des requêtes bornées."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Etat
from seances.models import Enfant, Presence, Seance
from tests.factories import CollectifFactory, DossierFactory, IntervenantFactory

pytestmark = pytest.mark.django_db

J = datetime.date


@pytest.fixture
def dossier_accepte(membre):
    return DossierFactory(porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE)


@pytest.fixture
def collectif(dossier_accepte):
    return CollectifFactory(dossier=dossier_accepte)


@pytest.fixture
def enfants(collectif):
    return [
        Enfant.objects.create(
            collectif=collectif,
            code=f"AB-{i:02d}",
            classe="CM1",
            sexe="F" if i % 2 else "G",
            code_famille=f"F-{i}",
        )
        for i in range(1, 13)
    ]


@pytest.fixture
def seances(collectif):
    """Trois séances passées, une annulée entre elles, une à venir."""
    creer = Seance.objects.create
    return {
        "s1": creer(collectif=collectif, date=J(2025, 11, 4), duree_minutes=90),
        "annulee": creer(
            collectif=collectif,
            date=J(2025, 11, 6),
            duree_minutes=90,
            statut=Seance.Statut.ANNULEE,
            motif_annulation="grève des transports",
        ),
        "s2": creer(collectif=collectif, date=J(2025, 11, 13), duree_minutes=90),
        "s3": creer(collectif=collectif, date=J(2025, 11, 18), duree_minutes=90),
        "future": creer(
            collectif=collectif,
            date=timezone.localdate() + datetime.timedelta(days=2),
            duree_minutes=90,
        ),
    }


@pytest.fixture
def intervenants(collectif):
    anime = [
        IntervenantFactory(dossier=collectif.dossier, nom="Awa Diallo"),
        IntervenantFactory(dossier=collectif.dossier, nom="Marc Petit", statut="benevole"),
    ]
    for i in anime:
        i.collectifs.add(collectif)
    autre = IntervenantFactory(dossier=collectif.dossier, nom="Zoé Autre")
    return {"anime": anime, "autre": autre}


@pytest.fixture
def porteur_client(client, porteur_user):
    client.force_login(porteur_user)
    return client


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


def url(seance) -> str:
    return reverse("seances:appel", args=[seance.pk])


def appel(enfants, absents=(), activite="lecture", animateurs=(), **extra):
    donnees = {f"enfant_{e.pk}": "absent" if e.code in absents else "present" for e in enfants}
    donnees.update(activite=activite, activite_detail="", animateurs=[a.pk for a in animateurs])
    donnees.update(extra)
    return donnees


def coches(page: str) -> dict[str, str]:
    """{nom du champ: valeur cochée} des boutons radio de la page."""
    resultat = {}
    for balise in re.findall(r"<input [^>]*type=\"radio\"[^>]*>", page):
        if " checked" in balise:
            nom = re.search(r'name="([^"]+)"', balise).group(1)
            resultat[nom] = re.search(r'value="([^"]+)"', balise).group(1)
    return resultat


def test_get_liste_les_enfants_sans_rien_cocher(
    porteur_client, enfants, seances, intervenants, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        reponse = porteur_client.get(url(seances["s1"]))
    assert reponse.status_code == 200
    page = texte(reponse)
    assert page.count('<legend class="fs-6 fw-bold') == 12
    for e in enfants:
        assert f'name="enfant_{e.pk}" value="present"' in page
        assert f'<label class="form-check-label" for="id_enfant_{e.pk}_1">absent</label>' in page
    assert coches(page) == {}  # rien de coché d'avance : chaque présence est constatée
    assert "Cocher « présent » pour les enfants sans réponse" in page
    # Les animateurs proposés : ceux qui animent le collectif.
    assert "Awa Diallo" in page and "Marc Petit" in page and "Zoé Autre" not in page
    # Navigation : la séance annulée est sautée.
    assert url(seances["s2"]) in page


def test_tous_les_intervenants_proposes_si_aucun_nest_rattache(porteur_client, enfants, seances):
    IntervenantFactory(dossier=seances["s1"].collectif.dossier, nom="Awa Diallo")
    IntervenantFactory(dossier=seances["s1"].collectif.dossier, nom="Zoé Autre")
    page = texte(porteur_client.get(url(seances["s1"])))
    assert "Awa Diallo" in page and "Zoé Autre" in page


def test_post_douze_enfants_une_requete_bornee(
    porteur_client, enfants, seances, intervenants, django_assert_max_num_queries
):
    s1 = seances["s1"]
    avant = timezone.now()
    donnees = appel(enfants, absents={"AB-03", "AB-07", "AB-11"}, animateurs=intervenants["anime"])
    with django_assert_max_num_queries(15):
        reponse = porteur_client.post(url(s1), donnees)
    assert reponse.status_code == 302
    # Vers l'appel suivant à faire (la séance annulée est sautée).
    assert reponse["Location"] == url(seances["s2"])
    s1.refresh_from_db()
    assert s1.statut == Seance.Statut.REALISEE
    assert (s1.nombre_inscrits, s1.nombre_presents) == (12, 9)
    assert s1.appel_fait_le >= avant
    assert s1.activite == "lecture"
    assert set(s1.animateurs.all()) == set(intervenants["anime"])
    lignes = dict(Presence.objects.filter(seance=s1).values_list("enfant__code", "present"))
    assert len(lignes) == 12
    assert {code for code, present in lignes.items() if not present} == {"AB-03", "AB-07", "AB-11"}
    suite = porteur_client.get(reponse["Location"])
    assert "Appel du 04/11/2025 enregistré : 9 présents sur 12." in texte(suite)


def test_reenregistrer_met_a_jour_sans_doubler_et_preremplit(
    porteur_client, enfants, seances, intervenants
):
    s1 = seances["s1"]
    porteur_client.post(
        url(s1), appel(enfants, absents={"AB-03"}, animateurs=intervenants["anime"])
    )
    pks_avant = set(Presence.objects.values_list("pk", flat=True))
    page = texte(porteur_client.get(url(s1)))
    assert coches(page) == {
        f"enfant_{e.pk}": "absent" if e.code == "AB-03" else "present" for e in enfants
    }
    assert "Appel enregistré le" in page
    assert 'value="lecture" selected' in page
    reponse = porteur_client.post(
        url(s1),
        appel(
            enfants,
            absents={"AB-01", "AB-02"},
            activite="jeu",
            animateurs=intervenants["anime"][:1],
        ),
    )
    assert reponse.status_code == 302
    assert Presence.objects.count() == 12
    assert set(Presence.objects.values_list("pk", flat=True)) == pks_avant
    s1.refresh_from_db()
    assert (s1.nombre_inscrits, s1.nombre_presents, s1.activite) == (12, 10, "jeu")
    assert list(s1.animateurs.all()) == intervenants["anime"][:1]
    absents = set(Presence.objects.filter(present=False).values_list("enfant__code", flat=True))
    assert absents == {"AB-01", "AB-02"}


def test_un_enfant_sans_reponse_rien_n_est_ecrit(porteur_client, enfants, seances):
    s1 = seances["s1"]
    donnees = appel(enfants)
    del donnees[f"enfant_{enfants[4].pk}"]
    donnees["activite"] = ""
    reponse = porteur_client.post(url(s1), donnees)
    assert reponse.status_code == 200
    messages_erreurs = [e["message"] for e in reponse.context["erreurs"]]
    assert "« AB-05 » : indiquez « présent » ou « absent »." in messages_erreurs
    assert "« Activité de la séance » : choisissez l'activité principale." in messages_erreurs
    ancres = [e["ancre"] for e in reponse.context["erreurs"]]
    assert f"id_enfant_{enfants[4].pk}_0" in ancres
    assert not Presence.objects.exists()
    s1.refresh_from_db()
    assert s1.statut == Seance.Statut.PREVUE and s1.appel_fait_le is None
    # La saisie est conservée.
    assert coches(texte(reponse))[f"enfant_{enfants[0].pk}"] == "present"


def test_autre_exige_des_precisions(porteur_client, enfants, seances):
    reponse = porteur_client.post(url(seances["s1"]), appel(enfants, activite="autre"))
    assert reponse.context["form"].errors["activite_detail"] == [
        "« Précisions sur l'activité » : décrivez l'activité quand vous choisissez « autre »."
    ]
    assert not Presence.objects.exists()


def test_un_enfant_d_un_autre_collectif_injecte_est_ignore(
    porteur_client, collectif, enfants, seances
):
    autre_collectif = CollectifFactory(dossier=collectif.dossier)
    intrus = Enfant.objects.create(
        collectif=autre_collectif, code="ZZ-99", classe="CM1", sexe="F", code_famille="F-9"
    )
    donnees = appel(enfants, **{f"enfant_{intrus.pk}": "present"})
    reponse = porteur_client.post(url(seances["s1"]), donnees)
    assert reponse.status_code == 302
    assert not Presence.objects.filter(enfant=intrus).exists()
    seances["s1"].refresh_from_db()
    assert seances["s1"].nombre_inscrits == 12


def test_un_animateur_non_propose_est_refuse(porteur_client, enfants, seances, intervenants):
    donnees = appel(enfants, animateurs=[intervenants["autre"]])
    reponse = porteur_client.post(url(seances["s1"]), donnees)
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["animateurs"]
    assert not Presence.objects.exists()


@pytest.mark.parametrize(
    ("cle", "message"),
    [
        ("annulee", "Cette séance est annulée (motif : grève des transports)"),
        ("future", "l'appel se fait le jour de la séance ou après"),
    ],
)
def test_seance_annulee_ou_future_refusee(porteur_client, enfants, seances, cle, message):
    seance = seances[cle]
    reponse = porteur_client.get(url(seance))
    assert reponse.status_code == 200
    assert message in texte(reponse)
    assert reponse.context["form"] is None
    reponse = porteur_client.post(url(seance), appel(enfants))
    assert reponse.status_code == 409
    assert message in texte(reponse)
    assert not Presence.objects.exists()
    seance.refresh_from_db()
    assert seance.appel_fait_le is None


def test_appel_du_jour_accepte(porteur_client, collectif, enfants):
    aujourd_hui = Seance.objects.create(
        collectif=collectif, date=timezone.localdate(), duree_minutes=60
    )
    reponse = porteur_client.post(url(aujourd_hui), appel(enfants))
    assert reponse.status_code == 302
    # Plus d'appel à faire : retour au calendrier (ou, s'il n'existe pas, aux présences).
    assert reponse["Location"] in (
        f"/activite/collectifs/{collectif.pk}/calendrier/",
        reverse("seances:presences", args=[collectif.pk]),
    )


def test_seuls_les_enfants_inscrits_ce_jour_la(porteur_client, collectif, enfants, seances):
    Enfant.objects.filter(code="AB-01").update(inscrit_le=J(2025, 11, 10))  # après s1
    Enfant.objects.filter(code="AB-02").update(sorti_le=J(2025, 11, 3))  # avant s1
    Enfant.objects.filter(code="AB-03").update(inscrit_le=J(2025, 11, 4), sorti_le=J(2025, 11, 4))
    reponse = porteur_client.get(url(seances["s1"]))
    codes = [e.code for e in reponse.context["enfants"]]
    assert "AB-01" not in codes and "AB-02" not in codes and "AB-03" in codes
    assert len(codes) == 10
    donnees = appel(enfants)  # y compris AB-01 et AB-02 : ignorés
    porteur_client.post(url(seances["s1"]), donnees)
    seances["s1"].refresh_from_db()
    assert seances["s1"].nombre_inscrits == 10
    assert Presence.objects.count() == 10


def test_un_enfant_qui_n_est_plus_attendu_sort_de_l_appel_reenregistre(
    porteur_client, enfants, seances
):
    s1 = seances["s1"]
    porteur_client.post(url(s1), appel(enfants))
    assert Presence.objects.count() == 12
    Enfant.objects.filter(code="AB-12").update(inscrit_le=J(2025, 11, 10))  # date corrigée
    porteur_client.post(url(s1), appel(enfants))
    assert Presence.objects.count() == 11
    s1.refresh_from_db()
    assert (s1.nombre_inscrits, s1.nombre_presents) == (11, 11)


def test_tous_presents_coche_sans_enregistrer(porteur_client, enfants, seances):
    donnees = {f"enfant_{enfants[0].pk}": "absent", "activite": "sciences", "tous_presents": "1"}
    reponse = porteur_client.post(url(seances["s1"]), donnees)
    assert reponse.status_code == 200
    page = texte(reponse)
    attendu = {f"enfant_{e.pk}": "present" for e in enfants}
    attendu[f"enfant_{enfants[0].pk}"] = "absent"
    assert coches(page) == attendu
    assert 'value="sciences" selected' in page
    assert "Rien n'est encore enregistré" in page
    assert not Presence.objects.exists()
    seances["s1"].refresh_from_db()
    assert seances["s1"].appel_fait_le is None


def test_sans_enfant_pas_de_formulaire(porteur_client, seances):
    reponse = porteur_client.get(url(seances["s1"]))
    assert reponse.context["form"] is None
    assert "Enregistrez d'abord les enfants du collectif" in texte(reponse)
    assert porteur_client.post(url(seances["s1"]), {"activite": "jeu"}).status_code == 409
    seances["s1"].refresh_from_db()
    assert seances["s1"].appel_fait_le is None


def test_bilan_soumis_le_cahier_passe_en_lecture_seule(porteur_client, collectif, enfants, seances):
    from seances.models import BilanAction

    bilan = BilanAction.objects.create(
        collectif=collectif, statut=BilanAction.Statut.SOUMIS, soumis_le=timezone.now()
    )
    seance = seances["s1"]
    page = texte(porteur_client.get(url(seance)))
    assert "sont en lecture seule" in page
    reponse = porteur_client.post(url(seance), appel(enfants), follow=True)
    assert "ne se modifient plus" in texte(reponse)
    assert not Presence.objects.filter(seance=seance).exists()
    ajout = porteur_client.post(
        reverse("seances:enfants", args=[collectif.pk]),
        {"code": "ZZ-99", "classe": "CM1", "sexe": "F", "code_famille": "FZ"},
    )
    assert ajout.status_code == 302
    assert not Enfant.objects.filter(code="ZZ-99").exists()
    # La Caf demande une correction : le cahier redevient modifiable.
    BilanAction.objects.filter(pk=bilan.pk).update(statut=BilanAction.Statut.A_CORRIGER)
    porteur_client.post(url(seance), appel(enfants))
    assert Presence.objects.filter(seance=seance).count() == len(enfants)
