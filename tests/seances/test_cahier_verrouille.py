"""Bilan soumis : le cahier (enfants, appels, journaux) et le calendrier passent en lecture seule.

Les pages n'affichent plus de formulaire ni de lien de modification ; les envois sont refusés
avec un message, sans rien changer ; une demande de correction de la Caf rouvre tout.
"""

import datetime
import html
from datetime import date, time

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Etat
from seances.models import ActionParents, BilanAction, Enfant, Presence, RencontreEcole, Seance
from tests.factories import CollectifFactory, CreneauFactory, DossierFactory, IntervenantFactory

pytestmark = pytest.mark.django_db

VERROUILLE_REGISTRE = "ne se modifient plus"
VERROUILLE_CALENDRIER = "son calendrier des séances ne se modifie plus"


@pytest.fixture
def collectif(membre):
    dossier = DossierFactory(porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE)
    collectif = CollectifFactory(dossier=dossier, nom="CM1-CM2")
    CreneauFactory(collectif=collectif, jour="mardi")
    return collectif


@pytest.fixture
def cahier(collectif):
    """Deux enfants, une séance appelée, une passée sans appel, une prévue, une annulée ; une
    action avec les parents, une rencontre avec l'école."""
    enfants = [
        Enfant.objects.create(
            collectif=collectif, code=code, classe="CM1", sexe="F", code_famille=code
        )
        for code in ("AB-01", "AB-02")
    ]
    animatrice = IntervenantFactory(dossier=collectif.dossier, nom="Awa Diallo")
    appelee = Seance.objects.create(
        collectif=collectif,
        date=date(2025, 11, 4),
        debut=time(16, 45),
        duree_minutes=90,
        statut=Seance.Statut.REALISEE,
        activite="lecture",
        appel_fait_le=timezone.now(),
        nombre_inscrits=2,
        nombre_presents=1,
    )
    appelee.animateurs.set([animatrice])
    Presence.objects.create(seance=appelee, enfant=enfants[0], present=True)
    Presence.objects.create(seance=appelee, enfant=enfants[1], present=False)
    creer = Seance.objects.create
    return {
        "enfants": enfants,
        "appelee": appelee,
        "sans_appel": creer(
            collectif=collectif, date=date(2025, 11, 6), debut=time(16, 45), duree_minutes=90
        ),
        "prevue": creer(
            collectif=collectif,
            date=timezone.localdate() + datetime.timedelta(days=7),
            debut=time(16, 45),
            duree_minutes=90,
        ),
        "annulee": creer(
            collectif=collectif,
            date=date(2025, 11, 13),
            debut=time(16, 45),
            duree_minutes=90,
            statut=Seance.Statut.ANNULEE,
            motif_annulation="grève",
        ),
        "action": ActionParents.objects.create(
            collectif=collectif, type="reunion", date=date(2025, 11, 20), nombre_parents=5
        ),
        "rencontre": RencontreEcole.objects.create(
            collectif=collectif, date=date(2025, 12, 1), interlocuteurs="la directrice"
        ),
    }


@pytest.fixture
def bilan(collectif):
    return BilanAction.objects.create(
        collectif=collectif, statut=BilanAction.Statut.SOUMIS, soumis_le=timezone.now()
    )


@pytest.fixture
def porteur(client, porteur_user):
    client.force_login(porteur_user)
    return client


def page(reponse) -> str:
    return html.unescape(reponse.content.decode())


def etat(collectif) -> tuple:
    """Ce qu'une écriture refusée ne doit pas changer."""
    return (
        sorted(Enfant.objects.filter(collectif=collectif).values_list("code", "classe")),
        sorted(
            Seance.objects.filter(collectif=collectif).values_list(
                "pk", "date", "debut", "statut", "motif_annulation", "appel_fait_le"
            )
        ),
        sorted(Presence.objects.filter(seance__collectif=collectif).values_list("pk", "present")),
        ActionParents.objects.filter(collectif=collectif).count(),
        RencontreEcole.objects.filter(collectif=collectif).count(),
    )


# --- Le registre -----------------------------------------------------------------------------


def test_enfants_sans_formulaire_ni_lien_de_modification(porteur, collectif, cahier, bilan):
    reponse = porteur.get(reverse("seances:enfants", args=[collectif.pk]))
    assert reponse.status_code == 200
    contenu = page(reponse)
    assert "sont en lecture seule" in contenu
    assert "AB-01" in contenu and "AB-02" in contenu  # la liste reste lisible
    assert reponse.context["form"] is None
    assert 'name="code"' not in contenu and "Ajouter l'enfant" not in contenu
    enfant = cahier["enfants"][0]
    assert reverse("seances:enfant_modifier", args=[enfant.pk]) not in contenu
    assert reverse("seances:enfant_supprimer", args=[enfant.pk]) not in contenu


def test_pages_de_modification_d_un_enfant_refusees(porteur, collectif, cahier, bilan):
    enfant = cahier["enfants"][1]
    avant = etat(collectif)
    liste = reverse("seances:enfants", args=[collectif.pk])
    for nom in ("seances:enfant_modifier", "seances:enfant_supprimer"):
        url = reverse(nom, args=[enfant.pk])
        reponse = porteur.get(url)
        assert reponse.status_code == 302 and reponse.url == liste
    reponse = porteur.post(
        reverse("seances:enfant_modifier", args=[enfant.pk]),
        {"code": "ZZ-99", "classe": "CM2", "sexe": "G", "code_famille": "FZ"},
        follow=True,
    )
    assert reponse.redirect_chain == [(liste, 302)]
    assert VERROUILLE_REGISTRE in page(reponse)
    porteur.post(reverse("seances:enfant_supprimer", args=[enfant.pk]))
    porteur.post(liste, {"code": "ZZ-98", "classe": "CM1", "sexe": "F", "code_famille": "FY"})
    assert etat(collectif) == avant


def test_journal_sans_formulaires_ni_suppression(porteur, collectif, cahier, bilan):
    reponse = porteur.get(reverse("seances:journal", args=[collectif.pk]))
    assert reponse.status_code == 200
    contenu = page(reponse)
    assert (
        "la directrice" in contenu and "réunion d'information" in contenu
    )  # les journaux restent lisibles
    assert 'id="ajout-action"' not in contenu and 'id="ajout-rencontre"' not in contenu
    assert 'name="action-date"' not in contenu and 'name="rencontre-date"' not in contenu
    assert "Supprimer" not in contenu
    avant = etat(collectif)
    journal = reverse("seances:journal", args=[collectif.pk])
    for nom, entree in (
        ("seances:action_parents_supprimer", cahier["action"]),
        ("seances:rencontre_ecole_supprimer", cahier["rencontre"]),
    ):
        url = reverse(nom, args=[entree.pk])
        assert porteur.get(url).url == journal
        assert porteur.post(url).url == journal
    reponse = porteur.post(
        journal,
        {
            "formulaire": "action",
            "action-type": "reunion",
            "action-date": "2025-12-04",
            "action-nombre_parents": "7",
        },
        follow=True,
    )
    assert VERROUILLE_REGISTRE in page(reponse)
    assert etat(collectif) == avant


def test_appel_en_lecture_seule(porteur, collectif, cahier, bilan):
    seance = cahier["appelee"]
    reponse = porteur.get(reverse("seances:appel", args=[seance.pk]))
    assert reponse.status_code == 200
    assert reponse.context["form"] is None
    contenu = page(reponse)
    assert 'id="formulaire-appel"' not in contenu and 'type="radio"' not in contenu
    assert "Enregistrer l'appel" not in contenu and "Vous pouvez le corriger" not in contenu
    # La lecture : chaque enfant et sa présence, l'activité, les animateurs.
    lignes = [(p.enfant.code, p.present) for p in reponse.context["lecture"]["presences"]]
    assert lignes == [("AB-01", True), ("AB-02", False)]
    assert "absent" in contenu and "Awa Diallo" in contenu and "lecture, écriture" in contenu
    # Une séance passée sans appel : rien à remplir non plus.
    reponse = porteur.get(reverse("seances:appel", args=[cahier["sans_appel"].pk]))
    contenu = page(reponse)
    assert "Aucun appel n'a été enregistré pour cette séance" in contenu
    assert 'type="radio"' not in contenu
    avant = etat(collectif)
    enfants = cahier["enfants"]
    reponse = porteur.post(
        reverse("seances:appel", args=[cahier["sans_appel"].pk]),
        {f"enfant_{e.pk}": "present" for e in enfants} | {"activite": "jeu"},
        follow=True,
    )
    assert VERROUILLE_REGISTRE in page(reponse)
    assert etat(collectif) == avant


def test_presences_sans_lien_faire_l_appel(porteur, collectif, cahier, bilan):
    contenu = page(porteur.get(reverse("seances:presences", args=[collectif.pk])))
    assert "Faire l'appel" not in contenu and "Modifier l'appel" not in contenu
    assert reverse("seances:appel", args=[cahier["appelee"].pk]) in contenu  # « Voir l'appel »
    assert reverse("seances:appel", args=[cahier["sans_appel"].pk]) not in contenu


# --- Le calendrier ---------------------------------------------------------------------------


def test_calendrier_sans_boutons_de_modification(porteur, collectif, cahier, bilan):
    reponse = porteur.get(reverse("seances:calendrier", args=[collectif.pk]))
    assert reponse.status_code == 200
    contenu = page(reponse)
    assert "le calendrier des séances, le cahier de présence" in contenu
    assert "en lecture seule" in contenu
    for nom, args in (
        ("seances:ajouter", [collectif.pk]),
        ("seances:generer", [collectif.pk]),
        ("seances:deplacer", [cahier["prevue"].pk]),
        ("seances:annuler", [cahier["prevue"].pk]),
        ("seances:retablir", [cahier["annulee"].pk]),
        ("seances:appel", [cahier["sans_appel"].pk]),
    ):
        assert reverse(nom, args=args) not in contenu, nom
    assert "Faire l'appel" not in contenu
    assert reverse("seances:appel", args=[cahier["appelee"].pk]) in contenu


def test_calendrier_vide_sans_generation(porteur, collectif, bilan):
    contenu = page(porteur.get(reverse("seances:calendrier", args=[collectif.pk])))
    assert "Générer le calendrier" not in contenu
    assert reverse("seances:generer", args=[collectif.pk]) not in contenu
    assert "le calendrier ne peut plus être généré" in contenu


def test_modifications_du_calendrier_refusees(porteur, collectif, cahier, bilan):
    prevue, annulee = cahier["prevue"], cahier["annulee"]
    calendrier = reverse("seances:calendrier", args=[collectif.pk])
    avant = etat(collectif)
    pages = [
        reverse("seances:generer", args=[collectif.pk]),
        reverse("seances:ajouter", args=[collectif.pk]),
        reverse("seances:deplacer", args=[prevue.pk]),
        reverse("seances:annuler", args=[prevue.pk]),
    ]
    for url in pages:
        reponse = porteur.get(url)
        assert reponse.status_code == 302 and reponse.url == calendrier, url
    envois = [
        (pages[0], {"confirmer": "on"}),
        (pages[1], {"date": "2026-01-08", "debut": "16:45", "duree_minutes": "90"}),
        (pages[2], {"date": "2026-01-08", "debut": "17:00"}),
        (pages[3], {"motif_annulation": "grève"}),
        (reverse("seances:retablir", args=[annulee.pk]), {}),
    ]
    for url, donnees in envois:
        reponse = porteur.post(url, donnees, follow=True)
        assert reponse.redirect_chain == [(calendrier, 302)], url
        assert VERROUILLE_CALENDRIER in page(reponse)
    assert etat(collectif) == avant
    # Rétablir reste réservé au POST.
    assert porteur.get(reverse("seances:retablir", args=[annulee.pk])).status_code == 405


def test_une_demande_de_correction_rouvre_le_cahier_et_le_calendrier(
    porteur, collectif, cahier, bilan
):
    bilan.statut = BilanAction.Statut.A_CORRIGER
    bilan.save(update_fields=["statut"])
    contenu = page(porteur.get(reverse("seances:calendrier", args=[collectif.pk])))
    assert reverse("seances:ajouter", args=[collectif.pk]) in contenu
    assert reverse("seances:deplacer", args=[cahier["prevue"].pk]) in contenu
    assert porteur.get(reverse("seances:ajouter", args=[collectif.pk])).status_code == 200
    reponse = porteur.post(
        reverse("seances:annuler", args=[cahier["prevue"].pk]), {"motif_annulation": "grève"}
    )
    assert reponse.status_code == 302
    cahier["prevue"].refresh_from_db()
    assert cahier["prevue"].statut == Seance.Statut.ANNULEE
    contenu = page(porteur.get(reverse("seances:enfants", args=[collectif.pk])))
    assert "Ajouter l'enfant" in contenu
    enfant = cahier["enfants"][0]
    assert porteur.get(reverse("seances:enfant_modifier", args=[enfant.pk])).status_code == 200
    contenu = page(porteur.get(reverse("seances:journal", args=[collectif.pk])))
    assert 'id="ajout-action"' in contenu
    reponse = porteur.get(reverse("seances:appel", args=[cahier["sans_appel"].pk]))
    assert reponse.context["form"] is not None
