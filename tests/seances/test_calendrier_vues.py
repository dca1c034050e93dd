"""Pages du calendrier : générer, régénérer (les séances appelées, ajoutées, déplacées
restent), déplacer, annuler (motif obligatoire), ajouter, rétablir ; réservées aux membres de
l'organisation porteuse d'un dossier accepté ; requêtes bornées."""

from datetime import date, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Etat
from seances.models import Seance
from tests.factories import (
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    MembreFactory,
    UtilisateurFactory,
)

pytestmark = pytest.mark.django_db

# Mardi et jeudi à 16 h 45, du mardi 4 novembre 2025 au vendredi 12 juin 2026, dans le Nord
# (zone B) : 64 créneaux, moins Noël, hiver, printemps (3 × 4), moins le 11 novembre et
# l'Ascension → 50 séances.
SEANCES_GENEREES = 50


@pytest.fixture
def dossier_accepte(membre):
    return DossierFactory(
        porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE, intitule="Clas Nord"
    )


@pytest.fixture
def collectif(dossier_accepte):
    collectif = CollectifFactory(dossier=dossier_accepte, nom="CM1-CM2")
    CreneauFactory(collectif=collectif, jour="mardi")
    CreneauFactory(collectif=collectif, jour="jeudi")
    return collectif


def _generer(client, collectif, **donnees):
    return client.post(reverse("seances:generer", args=[collectif.pk]), donnees)


def _seance(collectif, jour, heure=time(16, 45), **valeurs):
    return Seance.objects.create(
        collectif=collectif, date=jour, debut=heure, duree_minutes=90, **valeurs
    )


# --- Générer ---------------------------------------------------------------------------------


def test_generer_cree_les_seances_du_calendrier(client, porteur_user, collectif):
    client.force_login(porteur_user)
    reponse = _generer(client, collectif)

    assert reponse.status_code == 302
    assert reponse.url == reverse("seances:calendrier", args=[collectif.pk])
    seances = list(collectif.seances.order_by("date"))
    assert len(seances) == SEANCES_GENEREES
    assert {s.origine for s in seances} == {"calendrier"}
    assert {s.statut for s in seances} == {"prevue"}
    assert {(s.debut, s.duree_minutes) for s in seances} == {(time(16, 45), 90)}
    dates = {s.date for s in seances}
    assert date(2025, 11, 11) not in dates  # férié
    assert date(2025, 12, 23) not in dates  # Noël
    assert date(2026, 2, 17) not in dates  # hiver, zone B
    assert date(2026, 2, 10) in dates  # vacances d'hiver de la zone A seulement
    assert date(2026, 4, 14) not in dates  # printemps, zone B
    assert date(2026, 5, 14) not in dates  # Ascension
    page = client.get(reponse.url)
    assert f"{SEANCES_GENEREES} séances générées" in page.content.decode()


def test_generer_refuse_sans_creneau(client, porteur_user, dossier_accepte):
    collectif = CollectifFactory(dossier=dossier_accepte)
    client.force_login(porteur_user)
    reponse = _generer(client, collectif)
    assert reponse.status_code == 302
    assert collectif.seances.count() == 0
    page = client.get(reponse.url).content.decode()
    assert "aucun créneau hebdomadaire n&#x27;est décrit" in page


def test_generer_refuse_sans_dates(client, porteur_user, dossier_accepte):
    collectif = CollectifFactory(dossier=dossier_accepte, date_debut=None, date_fin=None)
    CreneauFactory(collectif=collectif)
    client.force_login(porteur_user)
    reponse = _generer(client, collectif)
    assert collectif.seances.count() == 0
    page = client.get(reponse.url).content.decode()
    assert "dates de début et de fin ne sont pas renseignées" in page


def test_regenerer_demande_confirmation_et_garde_les_seances_appelees(
    client, porteur_user, collectif
):
    client.force_login(porteur_user)
    _generer(client, collectif)
    seances = list(collectif.seances.order_by("date"))
    appelee, a_deplacer, a_annuler = seances[0], seances[1], seances[2]
    appelee.statut = "realisee"
    appelee.appel_fait_le = timezone.now()
    appelee.nombre_inscrits, appelee.nombre_presents = 10, 8
    appelee.save()
    client.post(
        reverse("seances:deplacer", args=[a_deplacer.pk]),
        {"date": "2025-11-07", "debut": "10:00"},
    )
    client.post(reverse("seances:annuler", args=[a_annuler.pk]), {"motif_annulation": "Grève"})
    ajoutee = _seance(collectif, date(2025, 11, 8), time(10, 0), origine="ajoutee")
    avant = set(collectif.seances.values_list("pk", flat=True))

    # Sans confirmation : la page de confirmation, rien ne change.
    page = client.get(reverse("seances:generer", args=[collectif.pk]))
    assert page.status_code == 200
    texte = page.content.decode()
    assert "<strong>47</strong> séances prévues par le calendrier" in texte
    assert "<strong>4</strong> séances sont conservées" in texte
    assert "<strong>47</strong> séances seront créées" in texte
    reponse = _generer(client, collectif)
    assert reponse.status_code == 200
    assert set(collectif.seances.values_list("pk", flat=True)) == avant

    # Avec confirmation : les 47 séances remplaçables sont recréées, les 4 autres restent.
    reponse = _generer(client, collectif, confirmer="on")
    assert reponse.status_code == 302
    apres = {s.pk: s for s in collectif.seances.all()}
    assert {appelee.pk, a_deplacer.pk, a_annuler.pk, ajoutee.pk} <= set(apres)
    assert apres[appelee.pk].nombre_presents == 8
    assert apres[a_deplacer.pk].date == date(2025, 11, 7)
    assert apres[a_annuler.pk].statut == "annulee"
    # 50 générées + 1 ajoutée ; aucun doublon de la séance appelée, déplacée ou annulée.
    assert len(apres) == SEANCES_GENEREES + 1
    cles = [(s.date, s.debut) for s in apres.values() if s.statut != "annulee"]
    assert len(cles) == len(set(cles))
    assert not collectif.seances.filter(date=a_deplacer.date_prevue or date(2025, 11, 6)).exists()
    assert collectif.seances.filter(date=a_annuler.date).count() == 1


# --- Déplacer, annuler, ajouter, rétablir ----------------------------------------------------


def test_deplacer_garde_la_date_prevue(client, porteur_user, collectif):
    seance = _seance(collectif, date(2025, 11, 18), time(16, 45))
    client.force_login(porteur_user)
    url = reverse("seances:deplacer", args=[seance.pk])
    assert client.get(url).status_code == 200

    reponse = client.post(url, {"date": "2025-11-19", "debut": "14:00"})
    assert reponse.status_code == 302
    seance.refresh_from_db()
    assert (seance.date, seance.debut, seance.date_prevue, seance.debut_prevu) == (
        date(2025, 11, 19),
        time(14, 0),
        date(2025, 11, 18),
        time(16, 45),
    )
    # Un second déplacement garde la date et l'heure prévues à l'origine.
    client.post(url, {"date": "2025-11-20", "debut": "15:00"})
    seance.refresh_from_db()
    assert (seance.date, seance.debut, seance.date_prevue, seance.debut_prevu) == (
        date(2025, 11, 20),
        time(15, 0),
        date(2025, 11, 18),
        time(16, 45),
    )
    calendrier = client.get(reverse("seances:calendrier", args=[collectif.pk])).content.decode()
    assert "déplacée (prévue le 18 novembre à 16:45)" in calendrier


def test_deplacer_hors_periode_ou_sur_une_autre_seance_refuse(client, porteur_user, collectif):
    seance = _seance(collectif, date(2025, 11, 18))
    _seance(collectif, date(2025, 11, 20))
    client.force_login(porteur_user)
    url = reverse("seances:deplacer", args=[seance.pk])

    reponse = client.post(url, {"date": "2026-07-02", "debut": "16:45"})
    assert reponse.status_code == 200
    texte = reponse.content.decode()
    assert "« Nouvelle date » : la séance doit avoir lieu pendant la période du collectif" in texte
    assert "entre le 04/11/2025 et le 12/06/2026" in texte
    assert 'id="erreurs-formulaire"' in texte
    assert 'href="#id_date"' in texte

    reponse = client.post(url, {"date": "2025-11-20", "debut": "16:45"})
    assert "une séance est déjà prévue le 20/11/2025 à 16:45" in reponse.content.decode()

    reponse = client.post(url, {"date": "", "debut": "16:45"})
    assert "« Nouvelle date » : ce champ est obligatoire." in reponse.content.decode()
    seance.refresh_from_db()
    assert (seance.date, seance.date_prevue) == (date(2025, 11, 18), None)


def test_une_seance_appelee_ne_se_deplace_ni_ne_s_annule(client, porteur_user, collectif):
    seance = _seance(
        collectif,
        date(2025, 11, 18),
        statut="realisee",
        appel_fait_le=timezone.now(),
        nombre_inscrits=10,
        nombre_presents=9,
    )
    client.force_login(porteur_user)
    for nom, donnees in (
        ("deplacer", {"date": "2025-11-19", "debut": "16:45"}),
        ("annuler", {"motif_annulation": "Erreur"}),
    ):
        reponse = client.post(reverse(f"seances:{nom}", args=[seance.pk]), donnees)
        assert reponse.status_code == 302
    seance.refresh_from_db()
    assert (seance.date, seance.statut) == (date(2025, 11, 18), "realisee")


def test_annuler_exige_un_motif(client, porteur_user, collectif):
    seance = _seance(collectif, date(2025, 11, 18))
    client.force_login(porteur_user)
    url = reverse("seances:annuler", args=[seance.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Annuler la séance du Mardi 18 novembre 2025" in page.content.decode()

    reponse = client.post(url, {"motif_annulation": "   "})
    assert reponse.status_code == 200
    assert "« Motif de l&#x27;annulation » : ce champ est obligatoire." in reponse.content.decode()
    seance.refresh_from_db()
    assert seance.statut == "prevue"

    reponse = client.post(url, {"motif_annulation": "Salle indisponible"})
    assert reponse.status_code == 302
    seance.refresh_from_db()
    assert (seance.statut, seance.motif_annulation) == ("annulee", "Salle indisponible")

    # Rétablir : la séance redevient prévue, sans motif.
    client.post(reverse("seances:retablir", args=[seance.pk]))
    seance.refresh_from_db()
    assert (seance.statut, seance.motif_annulation) == ("prevue", "")


def test_retablir_refuse_si_le_creneau_est_repris(client, porteur_user, collectif):
    annulee = _seance(collectif, date(2025, 11, 18), statut="annulee", motif_annulation="Grève")
    _seance(collectif, date(2025, 11, 18), origine="ajoutee")
    client.force_login(porteur_user)
    client.post(reverse("seances:retablir", args=[annulee.pk]))
    annulee.refresh_from_db()
    assert annulee.statut == "annulee"


def test_ajouter_une_seance(client, porteur_user, collectif):
    client.force_login(porteur_user)
    url = reverse("seances:ajouter", args=[collectif.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="16:45"' in page.content.decode()  # heure du premier créneau proposée

    reponse = client.post(url, {"date": "2025-11-19", "debut": "14:00", "duree_minutes": "120"})
    assert reponse.status_code == 302
    seance = collectif.seances.get()
    assert (seance.date, seance.debut, seance.duree_minutes, seance.origine, seance.statut) == (
        date(2025, 11, 19),
        time(14, 0),
        120,
        "ajoutee",
        "prevue",
    )

    # Même jour, même heure : refusé ; hors période : refusé ; durée impossible : refusée.
    for donnees, message in (
        (
            {"date": "2025-11-19", "debut": "14:00", "duree_minutes": "60"},
            "une séance est déjà prévue le 19/11/2025 à 14:00",
        ),
        (
            {"date": "2025-10-01", "debut": "14:00", "duree_minutes": "60"},
            "« Date » : la séance doit avoir lieu pendant la période du collectif",
        ),
        (
            {"date": "2025-11-26", "debut": "14:00", "duree_minutes": "900"},
            "« Durée (minutes) » : la valeur maximale est 600.",
        ),
    ):
        reponse = client.post(url, donnees)
        assert reponse.status_code == 200
        assert message in reponse.content.decode()
    assert collectif.seances.count() == 1


def test_ajouter_a_cote_d_une_seance_annulee(client, porteur_user, collectif):
    _seance(collectif, date(2025, 11, 18), statut="annulee", motif_annulation="Grève")
    client.force_login(porteur_user)
    reponse = client.post(
        reverse("seances:ajouter", args=[collectif.pk]),
        {"date": "2025-11-18", "debut": "16:45", "duree_minutes": "90"},
    )
    assert reponse.status_code == 302
    assert collectif.seances.count() == 2


# --- Page du calendrier ----------------------------------------------------------------------


def test_page_du_calendrier_resume_et_alerte_semaines(client, porteur_user, collectif):
    client.force_login(porteur_user)
    url = reverse("seances:calendrier", args=[collectif.pk])
    vide = client.get(url).content.decode()
    assert "Aucune séance n'est encore prévue" in vide
    assert "Générer le calendrier" in vide

    _generer(client, collectif)
    # Les deux séances de la première semaine (4 et 6 novembre) sont annulées.
    for seance in collectif.seances.order_by("date")[:2]:
        client.post(reverse("seances:annuler", args=[seance.pk]), {"motif_annulation": "Grève"})
    texte = client.get(url).content.decode()
    assert "Novembre 2025" in texte and "Juin 2026" in texte
    assert "Grève" in texte
    assert '<dt class="col-sm-5">Séances prévues</dt><dd class="col-sm-7">48</dd>' in texte
    assert '<dt class="col-sm-5">Séances annulées</dt><dd class="col-sm-7">2</dd>' in texte
    # 48 séances d'1 h 30.
    assert ">72 h</dd>" in texte
    # 25 semaines : la première n'a plus de séance non annulée ; sous les 30 demandées.
    assert "25 semaines de fonctionnement sur les 30 demandées" in texte
    assert "il en manque 5" in texte
    # Les vacances sautées de la zone B sont listées.
    assert "Vacances d&#x27;hiver : du 14 février 2026 au 1 mars 2026" in texte
    assert "11 novembre : mardi 11 novembre 2025" in texte
    assert "Vacances scolaires :</strong>" not in texte  # pas d'avertissement en zone B


def test_calendrier_outre_mer_affiche_l_avertissement(client):
    membre = MembreFactory(
        porteur__departement_id="974", porteur__code_postal="97400", porteur__commune="Saint-Denis"
    )
    dossier = DossierFactory(porteur=membre.porteur, depose=True, etat=Etat.ACCEPTE)
    collectif = CollectifFactory(dossier=dossier)
    CreneauFactory(collectif=collectif)
    client.force_login(membre.utilisateur)
    texte = client.get(reverse("seances:calendrier", args=[collectif.pk])).content.decode()
    assert "Les vacances de votre académie ne sont pas connues du portail" in texte
    assert "annulez les séances tombant pendant les vacances" in texte


def test_calendrier_de_60_seances_en_requetes_bornees(
    client, porteur_user, collectif, django_assert_max_num_queries
):
    debut = date(2025, 11, 4)
    Seance.objects.bulk_create(
        Seance(
            collectif=collectif,
            date=debut + timedelta(days=3 * i),
            debut=time(16, 45),
            duree_minutes=90,
            statut="realisee" if i < 20 else ("annulee" if i % 7 == 0 else "prevue"),
            motif_annulation="Grève" if i >= 20 and i % 7 == 0 else "",
            appel_fait_le=timezone.now() if i < 20 else None,
            nombre_inscrits=12 if i < 20 else None,
            nombre_presents=10 if i < 20 else None,
            activite="lecture" if i < 20 else "",
        )
        for i in range(60)
    )
    client.force_login(porteur_user)
    url = reverse("seances:calendrier", args=[collectif.pk])
    client.get(url)  # caches (sessions, contenu des paquets)
    with django_assert_max_num_queries(8):
        reponse = client.get(url)
    assert reponse.status_code == 200
    assert reponse.content.decode().count('<tr id="seance-') == 60


# --- Permissions -----------------------------------------------------------------------------


def _urls_ecriture(collectif, seance):
    return [
        ("get", reverse("seances:calendrier", args=[collectif.pk]), {}),
        ("get", reverse("seances:generer", args=[collectif.pk]), {}),
        ("post", reverse("seances:generer", args=[collectif.pk]), {"confirmer": "on"}),
        ("get", reverse("seances:ajouter", args=[collectif.pk]), {}),
        (
            "post",
            reverse("seances:ajouter", args=[collectif.pk]),
            {"date": "2025-11-19", "debut": "14:00", "duree_minutes": "90"},
        ),
        (
            "post",
            reverse("seances:deplacer", args=[seance.pk]),
            {"date": "2025-11-19", "debut": "14:00"},
        ),
        ("post", reverse("seances:annuler", args=[seance.pk]), {"motif_annulation": "Test"}),
        ("post", reverse("seances:retablir", args=[seance.pk]), {}),
    ]


def _verifier_refus(client, collectif, seance, statuts):
    for methode, url, donnees in _urls_ecriture(collectif, seance):
        reponse = getattr(client, methode)(url, donnees)
        assert reponse.status_code in statuts, (methode, url, reponse.status_code)
    seance.refresh_from_db()
    assert (seance.date, seance.statut) == (date(2025, 11, 18), "prevue")
    assert collectif.seances.count() == 1


@pytest.mark.parametrize("personne", ["agent59", "secretariat59", "admin_national", "agent23"])
def test_la_caf_ne_modifie_pas_le_calendrier(client, request, collectif, personne):
    seance = _seance(collectif, date(2025, 11, 18))
    client.force_login(request.getfixturevalue(personne))
    _verifier_refus(client, collectif, seance, {403})


def test_un_autre_porteur_recoit_404(client, collectif):
    seance = _seance(collectif, date(2025, 11, 18))
    client.force_login(MembreFactory().utilisateur)
    _verifier_refus(client, collectif, seance, {404})


def test_un_porteur_sans_organisation_recoit_404(client, collectif):
    seance = _seance(collectif, date(2025, 11, 18))
    client.force_login(UtilisateurFactory())
    _verifier_refus(client, collectif, seance, {404})


def test_dossier_non_accepte_pas_de_calendrier(client, porteur_user, dossier_59):
    collectif = CollectifFactory(dossier=dossier_59)
    CreneauFactory(collectif=collectif)
    seance = _seance(collectif, date(2025, 11, 18))
    client.force_login(porteur_user)
    _verifier_refus(client, collectif, seance, {404})


def test_anonyme_redirige_vers_la_connexion(client, collectif):
    reponse = client.get(reverse("seances:calendrier", args=[collectif.pk]))
    assert reponse.status_code == 302
    assert "connexion" in reponse.url or "login" in reponse.url
