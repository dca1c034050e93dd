"""Saisie d'un dossier par le porteur : création, étapes, collectifs, pièces, éligibilité."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from collectifs.models import Collectif, Creneau, Intervenant
from dossiers import saisie
from dossiers.models import Campagne, Dossier, Etat, Evenement, LigneBudget, PieceJustificative
from dossiers.views_saisie import ETAPES_AVEC_APERCU, ApercuView
from eligibility.criteres import CRITERES
from eligibility.editions import CNAF_2019
from porteurs.models import PiecePermanente
from tests.factories import (
    OBJECTIFS_REMPLIS,
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    IntervenantFactory,
    MembreFactory,
    UtilisateurFactory,
    departement,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def medias(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def campagne_ouverte(dep59):
    jour = timezone.localdate()
    return Campagne.objects.create(
        departement=dep59,
        annee=2025,
        ouverture=jour - datetime.timedelta(days=30),
        cloture=jour + datetime.timedelta(days=30),
    )


@pytest.fixture
def brouillon(membre):
    return DossierFactory(porteur=membre.porteur)


@pytest.fixture
def porteur_client(client, porteur_user):
    client.force_login(porteur_user)
    return client


def url(nom, *args):
    return reverse(f"dossiers:{nom}", args=args)


def etape_url(dossier, etape):
    return url("saisie", dossier.pk, etape)


def gestion(prefixe, total, initiales=0):
    return {
        f"{prefixe}-TOTAL_FORMS": str(total),
        f"{prefixe}-INITIAL_FORMS": str(initiales),
        f"{prefixe}-MIN_NUM_FORMS": "0",
        f"{prefixe}-MAX_NUM_FORMS": "1000",
    }


def texte(reponse) -> str:
    return reponse.content.decode()


def statut_critere(html: str, code: str, prefixe: str = "") -> str:
    """Le libellé du statut affiché pour un critère dans le panneau d'éligibilité."""
    trouve = re.search(
        rf'id="critere-{prefixe}{code}".*?<span class="badge [^"]*">([^<]+)</span>', html, re.S
    )
    assert trouve, f"critère {code} absent du panneau"
    return trouve.group(1)


# --- Définitions ------------------------------------------------------------------------------


class TestDefinitions:
    def test_chaque_critere_du_referentiel_a_une_etape_pour_le_corriger(self):
        assert set(saisie.CORRECTIONS) == set(CRITERES)
        etapes = set(saisie.SLUGS) | {saisie.RECAPITULATIF}
        assert {c.etape for c in saisie.CORRECTIONS.values()} <= etapes

    def test_ordre_des_etapes(self):
        assert saisie.SLUGS == ("projet", "axes", "collectifs", "equipe", "budget", "pieces")
        assert saisie.etape_suivante("pieces") == saisie.RECAPITULATIF
        assert saisie.etape_precedente("projet") is None
        assert saisie.NOMBRE_ETAPES == 7

    def test_les_etapes_avec_apercu_ont_un_formulaire(self):
        assert set(ApercuView.FORMULAIRES) == set(ETAPES_AVEC_APERCU)

    def test_url_de_l_organisation(self):
        assert saisie.url_organisation(42).endswith("/organisations/42/")


# --- Création ---------------------------------------------------------------------------------


class TestCreation:
    def test_sans_campagne_ouverte_page_vide_et_rien_n_est_cree(
        self, porteur_client, membre, dep59
    ):
        close = Campagne.objects.create(
            departement=dep59,
            annee=2024,
            ouverture=datetime.date(2024, 3, 1),
            cloture=datetime.date(2024, 6, 30),
        )
        reponse = porteur_client.get(url("nouveau"))
        assert reponse.status_code == 200
        assert "Aucune campagne de dépôt n'est ouverte" in texte(reponse)
        reponse = porteur_client.post(
            url("nouveau"), {"porteur": membre.porteur.pk, "campagne": close.pk}
        )
        assert reponse.status_code == 200
        assert "Aucune campagne de dépôt n'est ouverte" in texte(reponse)
        assert not Dossier.objects.exists()

    def test_campagne_close_refusee(self, porteur_client, membre, dep59, campagne_ouverte):
        close = Campagne.objects.create(
            departement=dep59,
            annee=2024,
            ouverture=datetime.date(2024, 3, 1),
            cloture=datetime.date(2024, 6, 30),
        )
        reponse = porteur_client.post(
            url("nouveau"), {"porteur": membre.porteur.pk, "campagne": close.pk}
        )
        assert "« Campagne de dépôt » : choisissez une valeur de la liste." in texte(reponse)
        assert not Dossier.objects.exists()

    def test_cree_un_brouillon_avec_son_evenement(self, porteur_client, membre, campagne_ouverte):
        reponse = porteur_client.post(
            url("nouveau"), {"porteur": membre.porteur.pk, "campagne": campagne_ouverte.pk}
        )
        dossier = Dossier.objects.get()
        assert reponse.status_code == 302
        assert reponse.url == etape_url(dossier, "projet")
        assert (dossier.porteur, dossier.departement_id, dossier.annee, dossier.etat) == (
            membre.porteur,
            "59",
            2025,
            Etat.BROUILLON,
        )
        evenement = Evenement.objects.get(dossier=dossier)
        assert evenement.type == Evenement.Type.CREATION
        assert evenement.auteur == membre.utilisateur

    def test_un_seul_choix_est_deja_coche(self, porteur_client, membre, campagne_ouverte):
        html = texte(porteur_client.get(url("nouveau")))
        assert re.search(rf'value="{membre.porteur.pk}"[^>]*checked', html)
        assert re.search(rf'value="{campagne_ouverte.pk}"[^>]*checked', html)

    def test_pas_pour_l_organisation_d_un_autre(self, porteur_client, campagne_ouverte):
        autre = MembreFactory().porteur
        reponse = porteur_client.post(
            url("nouveau"), {"porteur": autre.pk, "campagne": campagne_ouverte.pk}
        )
        assert reponse.status_code == 200
        assert "« Organisation porteuse » : choisissez une valeur de la liste." in texte(reponse)
        assert not Dossier.objects.exists()

    def test_pas_de_second_dossier_pour_la_meme_campagne(
        self, porteur_client, membre, campagne_ouverte, brouillon
    ):
        reponse = porteur_client.post(
            url("nouveau"), {"porteur": membre.porteur.pk, "campagne": campagne_ouverte.pk}
        )
        assert reponse.status_code == 200
        assert "a déjà un dossier pour la campagne 2025-2026" in texte(reponse)
        assert Dossier.objects.count() == 1

    def test_reserve_aux_porteurs(self, client, agent59, campagne_ouverte):
        client.force_login(agent59)
        assert client.get(url("nouveau")).status_code == 403
        assert client.post(url("nouveau"), {"campagne": campagne_ouverte.pk}).status_code == 403

    def test_sans_organisation(self, client, campagne_ouverte):
        client.force_login(UtilisateurFactory())
        assert "Vous n'êtes membre d'aucune organisation" in texte(client.get(url("nouveau")))


# --- Étape « projet » -------------------------------------------------------------------------

PROJET_VALIDE = {
    "intitule": "Clas de l'Alma",
    "renouvellement": "false",
    "diagnostic": "Difficultés de lecture repérées en CM1.",
    "coherence_sdsf": "true",
    "reperage_concerte_ecole": "true",
    "aide_aux_devoirs_exclusive": "false",
}


class TestProjet:
    def test_enregistrer_et_continuer(self, porteur_client, brouillon):
        reponse = porteur_client.post(
            etape_url(brouillon, "projet"), {**PROJET_VALIDE, "action": "continuer"}
        )
        assert reponse.status_code == 302
        assert reponse.url == etape_url(brouillon, "axes")
        brouillon.refresh_from_db()
        assert brouillon.intitule == "Clas de l'Alma"
        assert brouillon.renouvellement is False
        assert brouillon.reperage_concerte_ecole is True
        assert saisie.etapes_completes(brouillon)["projet"]

    def test_enregistrer_reste_sur_l_etape(self, porteur_client, brouillon):
        reponse = porteur_client.post(
            etape_url(brouillon, "projet"), {**PROJET_VALIDE, "action": "enregistrer"}
        )
        assert reponse.url == etape_url(brouillon, "projet")

    @pytest.mark.parametrize(
        ("envoye", "attendu"), [("true", True), ("false", False), ("", None), (None, None)]
    )
    def test_booleens_a_trois_etats(self, porteur_client, brouillon, envoye, attendu):
        brouillon.aide_aux_devoirs_exclusive = True
        brouillon.save()
        donnees = {**PROJET_VALIDE}
        if envoye is None:
            del donnees["aide_aux_devoirs_exclusive"]
        else:
            donnees["aide_aux_devoirs_exclusive"] = envoye
        porteur_client.post(etape_url(brouillon, "projet"), donnees)
        brouillon.refresh_from_db()
        assert brouillon.aide_aux_devoirs_exclusive is attendu

    def test_non_renseigne_est_coche_quand_la_valeur_est_absente(self, porteur_client, brouillon):
        brouillon.coherence_sdsf = False
        brouillon.save()
        html = texte(porteur_client.get(etape_url(brouillon, "projet")))
        assert re.search(r'name="reperage_concerte_ecole" value=""[^>]*checked', html)
        assert re.search(r'name="coherence_sdsf" value="false"[^>]*checked', html)
        assert "non renseigné" in html

    def test_erreur_nommee_resumee_et_le_reste_enregistre(self, porteur_client, brouillon):
        reponse = porteur_client.post(
            etape_url(brouillon, "projet"), {**PROJET_VALIDE, "intitule": ""}
        )
        html = texte(reponse)
        assert reponse.status_code == 200
        assert 'id="erreurs-formulaire"' in html
        assert (
            '<a href="#id_intitule">« Intitulé du projet » : ce champ est obligatoire.</a>' in html
        )
        assert "Difficultés de lecture repérées en CM1." in html  # la saisie est réaffichée
        assert "Le reste de votre saisie, sans erreur, a été enregistré." in html
        brouillon.refresh_from_db()
        assert brouillon.diagnostic == "Difficultés de lecture repérées en CM1."
        assert brouillon.coherence_sdsf is True
        assert brouillon.intitule == ""

    def test_n_ecrit_que_ses_champs(self, brouillon):
        from dossiers.forms import ProjetForm

        form = ProjetForm(PROJET_VALIDE, instance=Dossier.objects.get(pk=brouillon.pk))
        # Dépôt dans un autre onglet, entre la lecture et l'enregistrement de l'étape :
        Dossier.objects.filter(pk=brouillon.pk).update(etat=Etat.DEPOSE, depose_le=timezone.now())
        assert form.is_valid()
        form.save()
        brouillon.refresh_from_db()
        assert brouillon.etat == Etat.DEPOSE
        assert brouillon.intitule == "Clas de l'Alma"

    def test_intitule_trop_long(self, porteur_client, brouillon):
        reponse = porteur_client.post(
            etape_url(brouillon, "projet"), {**PROJET_VALIDE, "intitule": "x" * 201}
        )
        assert "« Intitulé du projet » compte au plus 200 caractères (201 saisis)." in texte(
            reponse
        )


# --- Étape « axes » ---------------------------------------------------------------------------


class TestAxes:
    def test_libelles_du_referentiel_et_groupes_par_axe(self, porteur_client, brouillon):
        html = texte(porteur_client.get(etape_url(brouillon, "axes")))
        for axe in CNAF_2019.axes:
            assert f'<fieldset class="mb-4" id="axe-{axe.cle}">' in html
            assert axe.libelle.replace("'", "&#x27;") in html
            for objectif in axe.objectifs:
                assert objectif.libelle.replace("'", "&#x27;") in html
        assert html.count("<textarea") == 14

    def test_enregistre_les_14_objectifs(self, porteur_client, brouillon):
        reponse = porteur_client.post(etape_url(brouillon, "axes"), OBJECTIFS_REMPLIS)
        assert reponse.status_code == 302
        brouillon.refresh_from_db()
        for champ, valeur in OBJECTIFS_REMPLIS.items():
            assert getattr(brouillon, champ) == valeur
        assert saisie.etapes_completes(brouillon)["axes"]

    def test_texte_trop_long_nomme_l_objectif(self, porteur_client, brouillon):
        donnees = {**OBJECTIFS_REMPLIS, "ecole_reunions_concertation": "x" * 4001}
        html = texte(porteur_client.post(etape_url(brouillon, "axes"), donnees))
        assert "« Organiser une réunion de concertation" in html
        assert "compte au plus 4000 caractères (4001 saisis)" in html
        brouillon.refresh_from_db()
        assert brouillon.enfants_entraide == "Tutorat entre pairs."  # le reste est gardé
        assert brouillon.ecole_reunions_concertation == ""


# --- Collectifs -------------------------------------------------------------------------------


def donnees_collectif(**autres):
    donnees = {
        "nom": "CM1-CM2 du mardi",
        "classes": ["CM2", "CM1"],
        "nombre_enfants": "10",
        "rural": "false",
        "lieu_nom": "Centre social",
        "lieu_adresse": "3 rue Jean Moulin",
        "lieu_code_postal": "59100",
        "lieu_commune": "Roubaix",
        "lieu_unique": "true",
        "lieu_accessible_parents": "true",
        "nombre_intervenants": "2",
        "date_debut": "2025-11-04",
        "date_fin": "2026-06-12",
        "semaines_fonctionnement": "30",
        "depenses_fonctionnement": "9000.00",
        **gestion("creneaux", 2),
        "creneaux-0-jour": "mardi",
        "creneaux-0-debut": "16:45",
        "creneaux-0-duree_minutes": "90",
        "creneaux-1-jour": "jeudi",
        "creneaux-1-debut": "16:45",
        "creneaux-1-duree_minutes": "90",
    }
    donnees.update(autres)
    return {k: v for k, v in donnees.items() if v is not None}


class TestCollectifs:
    def test_liste_vide(self, porteur_client, brouillon):
        html = texte(porteur_client.get(etape_url(brouillon, "collectifs")))
        assert "Aucun collectif pour l'instant" in html
        assert url("collectif_nouveau", brouillon.pk) in html

    def test_ajouter_un_collectif_et_ses_creneaux(self, porteur_client, brouillon):
        reponse = porteur_client.post(url("collectif_nouveau", brouillon.pk), donnees_collectif())
        collectif = Collectif.objects.get(dossier=brouillon)
        assert reponse.status_code == 302
        assert reponse.url == url("collectif_modifier", brouillon.pk, collectif.pk)
        assert collectif.classes == ["CM1", "CM2"]  # triées
        assert collectif.lieu_unique is True
        assert collectif.depenses_fonctionnement == Decimal("9000.00")
        assert sorted(collectif.creneaux.values_list("jour", "duree_minutes")) == [
            ("jeudi", 90),
            ("mardi", 90),
        ]
        assert saisie.etapes_completes(Dossier.objects.get(pk=brouillon.pk))["collectifs"]

    def test_enregistrer_et_revenir_a_la_liste(self, porteur_client, brouillon):
        reponse = porteur_client.post(
            url("collectif_nouveau", brouillon.pk), donnees_collectif(action="continuer")
        )
        assert reponse.url == etape_url(brouillon, "collectifs")

    def test_liste_avec_resume(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon, nom="Les grands")
        CreneauFactory(collectif=collectif)
        html = texte(porteur_client.get(etape_url(brouillon, "collectifs")))
        assert "Les grands" in html
        assert "CM1, CM2 · 10 enfants · mardi à 16:45, 90 min" in html
        assert url("collectif_copier", brouillon.pk, collectif.pk) in html

    def test_erreurs_nommees_et_champs_valides_gardes(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon, nombre_enfants=10, lieu_commune="Lille")
        donnees = donnees_collectif(
            nombre_enfants="600",
            date_debut="2026-06-12",
            date_fin="2025-11-04",
            lieu_commune="Roubaix",
            **gestion("creneaux", 1),
        )
        for cle in ("creneaux-1-jour", "creneaux-1-debut", "creneaux-1-duree_minutes"):
            del donnees[cle]
        reponse = porteur_client.post(
            url("collectif_modifier", brouillon.pk, collectif.pk), donnees
        )
        html = texte(reponse)
        assert reponse.status_code == 200
        assert "« Nombre d&#x27;enfants » : la valeur maximale est 500." in html
        assert "« Date de fin » (04/11/2025) : elle précède la date de début (12/06/2026)." in html
        collectif.refresh_from_db()
        assert collectif.lieu_commune == "Roubaix"  # valide : enregistré
        assert collectif.nombre_enfants == 10  # invalide : inchangé
        assert collectif.date_debut == datetime.date(2025, 11, 4)  # groupe des dates écarté
        assert collectif.creneaux.count() == 1  # la ligne valide est enregistrée

    def test_creneau_invalide_nomme_la_ligne(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon)
        donnees = donnees_collectif(**{"creneaux-1-duree_minutes": "0"})
        html = texte(
            porteur_client.post(url("collectif_modifier", brouillon.pk, collectif.pk), donnees)
        )
        assert "Créneau 2 : « Durée (minutes) » : la valeur minimale est 1." in html
        assert list(collectif.creneaux.values_list("jour", flat=True)) == ["mardi"]
        # Le formset réaffiché reprend la ligne enregistrée (avec son identifiant) : un nouvel
        # envoi ne la crée pas deux fois.
        creneau = collectif.creneaux.get()
        assert f'name="creneaux-0-id" value="{creneau.pk}"' in html
        assert 'name="creneaux-INITIAL_FORMS" value="1"' in html

    def test_deux_creneaux_identiques(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon)
        donnees = donnees_collectif(**{"creneaux-1-jour": "mardi"})
        html = texte(
            porteur_client.post(url("collectif_modifier", brouillon.pk, collectif.pk), donnees)
        )
        assert "deux créneaux ont le même jour et la même heure de début" in html
        assert not collectif.creneaux.exists()

    def test_nouveau_collectif_en_erreur_cree_avec_ses_parties_valides(
        self, porteur_client, brouillon
    ):
        donnees = donnees_collectif(**{"creneaux-1-duree_minutes": "abc"})
        html = texte(porteur_client.post(url("collectif_nouveau", brouillon.pk), donnees))
        collectif = Collectif.objects.get(dossier=brouillon)
        assert collectif.nom == "CM1-CM2 du mardi"
        assert collectif.creneaux.count() == 1
        assert "« Durée (minutes) » : saisissez un nombre entier." in html
        # Le formulaire réaffiché enregistre désormais ce collectif-là, sans le recréer.
        assert f'action="{url("collectif_modifier", brouillon.pk, collectif.pk)}"' in html

    def test_nouveau_collectif_vide_n_est_pas_cree(self, porteur_client, brouillon):
        donnees = {**gestion("creneaux", 2), "nom": ""}
        html = texte(porteur_client.post(url("collectif_nouveau", brouillon.pk), donnees))
        assert "« Nom du collectif » : ce champ est obligatoire." in html
        assert not Collectif.objects.exists()

    def test_modifier_ajoute_et_supprime_des_creneaux(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon)
        mardi = CreneauFactory(collectif=collectif, jour="mardi")
        jeudi = CreneauFactory(collectif=collectif, jour="jeudi")
        donnees = donnees_collectif(
            **gestion("creneaux", 3, initiales=2),
            **{
                "creneaux-0-id": str(mardi.pk),
                "creneaux-0-collectif": str(collectif.pk),
                "creneaux-0-jour": "mardi",
                "creneaux-0-duree_minutes": "120",
                "creneaux-1-id": str(jeudi.pk),
                "creneaux-1-collectif": str(collectif.pk),
                "creneaux-1-jour": "jeudi",
                "creneaux-1-duree_minutes": "90",
                "creneaux-1-DELETE": "on",
                "creneaux-2-jour": "vendredi",
                "creneaux-2-debut": "",
                "creneaux-2-duree_minutes": "60",
            },
        )
        reponse = porteur_client.post(
            url("collectif_modifier", brouillon.pk, collectif.pk), donnees
        )
        assert reponse.status_code == 302
        assert sorted(collectif.creneaux.values_list("jour", "duree_minutes")) == [
            ("mardi", 120),
            ("vendredi", 60),
        ]

    def test_copier_avec_les_creneaux(self, porteur_client, brouillon):
        original = CollectifFactory(dossier=brouillon, nom="Les petits", ordre=0)
        CreneauFactory(collectif=original, jour="lundi", duree_minutes=75)
        CreneauFactory(collectif=original, jour="jeudi", duree_minutes=90)
        reponse = porteur_client.post(url("collectif_copier", brouillon.pk, original.pk))
        copie = Collectif.objects.exclude(pk=original.pk).get()
        assert reponse.status_code == 302
        assert reponse.url == url("collectif_modifier", brouillon.pk, copie.pk)
        assert copie.nom == "Les petits (copie)"
        assert copie.ordre == 1
        assert (copie.classes, copie.nombre_enfants, copie.date_debut) == (
            original.classes,
            original.nombre_enfants,
            original.date_debut,
        )
        assert sorted(copie.creneaux.values_list("jour", "duree_minutes")) == [
            ("jeudi", 90),
            ("lundi", 75),
        ]
        assert original.creneaux.count() == 2

    def test_copier_un_nom_long_reste_dans_la_limite(self, porteur_client, brouillon):
        original = CollectifFactory(dossier=brouillon, nom="x" * 120)
        porteur_client.post(url("collectif_copier", brouillon.pk, original.pk))
        copie = Collectif.objects.exclude(pk=original.pk).get()
        assert len(copie.nom) == 120
        assert copie.nom.endswith(" (copie)")

    def test_copier_en_get_est_refuse(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon)
        reponse = porteur_client.get(url("collectif_copier", brouillon.pk, collectif.pk))
        assert reponse.status_code == 405

    def test_supprimer_apres_confirmation(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon, nom="À retirer")
        CreneauFactory(collectif=collectif)
        confirmation = porteur_client.get(url("collectif_supprimer", brouillon.pk, collectif.pk))
        assert confirmation.status_code == 200
        assert "Supprimer le collectif « À retirer » ?" in texte(confirmation)
        assert Collectif.objects.filter(pk=collectif.pk).exists()
        reponse = porteur_client.post(url("collectif_supprimer", brouillon.pk, collectif.pk))
        assert reponse.url == etape_url(brouillon, "collectifs")
        assert not Collectif.objects.filter(pk=collectif.pk).exists()
        assert not Creneau.objects.filter(collectif_id=collectif.pk).exists()


# --- Suggestion du nombre de semaines ---------------------------------------------------------


class TestSuggestionSemaines:
    # Zone B, 2025-2026, données de ``vacances-scolaires-france`` :
    #   Noël       20/12/2025 – 04/01/2026 → semaines des lundis 22/12 et 29/12 ;
    #   hiver      14/02/2026 – 01/03/2026 → semaines des 16/02 et 23/02 ;
    #   printemps  11/04/2026 – 26/04/2026 → semaines des 13/04 et 20/04.
    # Du mardi 04/11/2025 au vendredi 12/06/2026 : semaines des lundis 03/11/2025 à 08/06/2026,
    # soit (217 jours / 7) + 1 = 32 semaines, dont 6 entièrement en vacances.
    # Fériés hors vacances tombant un mardi ou un jeudi : mardi 11/11/2025 (jeudi 13 travaillé)
    # et jeudi 14/05/2026, Ascension (mardi 12 travaillé) : ces semaines comptent.
    MARDI_JEUDI = 32 - 6

    def test_zone_b_mardi_et_jeudi(self):
        assert (datetime.date(2026, 6, 8) - datetime.date(2025, 11, 3)).days == 217
        suggestion = saisie.suggestion_semaines(
            datetime.date(2025, 11, 4), datetime.date(2026, 6, 12), ["mardi", "jeudi"], "B", "59"
        )
        assert suggestion.semaines == self.MARDI_JEUDI == 26
        assert suggestion.message.startswith(
            "Suggestion : 26 semaines d'après le calendrier scolaire de la zone B"
        )

    def test_un_ferie_retire_la_semaine_si_c_est_le_seul_jour(self):
        # Mardi seul : la semaine du 11 novembre tombe ; jeudi seul : celle de l'Ascension.
        for jours in (["mardi"], ["jeudi"]):
            suggestion = saisie.suggestion_semaines(
                datetime.date(2025, 11, 4), datetime.date(2026, 6, 12), jours, "B", "59"
            )
            assert suggestion.semaines == self.MARDI_JEUDI - 1

    @pytest.mark.parametrize(("zone", "nom"), [("corse", "Corse"), ("outre_mer", "outre-mer")])
    def test_calendrier_inconnu(self, zone, nom):
        suggestion = saisie.suggestion_semaines(
            datetime.date(2025, 11, 4), datetime.date(2026, 6, 12), ["mardi"], zone
        )
        assert suggestion.semaines is None
        assert f"calendrier scolaire de votre académie ({nom}) n'est pas connu" in (
            suggestion.message
        )

    def test_sans_dates_ni_creneaux(self):
        suggestion = saisie.suggestion_semaines(None, None, [], "B")
        assert suggestion.semaines is None
        assert "Indiquez les dates de début et de fin" in suggestion.message

    def test_affichee_pres_du_champ(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon)
        CreneauFactory(collectif=collectif, jour="mardi")
        CreneauFactory(collectif=collectif, jour="jeudi")
        html = texte(porteur_client.get(url("collectif_modifier", brouillon.pk, collectif.pk)))
        assert "Suggestion : 26 semaines d&#x27;après le calendrier scolaire de la zone B" in html
        assert 'data-suggestion-valeur="26"' in html

    def test_corse_calendrier_inconnu_sur_la_page(self, client):
        corse = departement("2A")
        membre = MembreFactory(porteur__departement=corse, porteur__code_postal="20000")
        dossier = DossierFactory(porteur=membre.porteur)
        client.force_login(membre.utilisateur)
        html = texte(client.get(url("collectif_nouveau", dossier.pk)))
        assert "n&#x27;est pas connu du portail" in html


# --- Étape « équipe » -------------------------------------------------------------------------


class TestEquipe:
    def test_coordination_et_intervenants(self, porteur_client, brouillon):
        a = CollectifFactory(dossier=brouillon, nom="A")
        CollectifFactory(dossier=brouillon, nom="B")
        donnees = {
            "coordinateur_nom": "Samia B.",
            "coordinateur_niveau_diplome": "bac+3",
            "coordinateur_experience_animation_education": "true",
            **gestion("intervenants", 1),
            "intervenants-0-nom": "Paul Martin",
            "intervenants-0-statut": "benevole",
            "intervenants-0-fonction": "animateur",
            "intervenants-0-niveau_diplome": "bac",
            "intervenants-0-diplome_justifie_le": "2025-09-01",
            "intervenants-0-collectifs_animes": [str(a.pk)],
        }
        reponse = porteur_client.post(etape_url(brouillon, "equipe"), donnees)
        assert reponse.status_code == 302
        brouillon.refresh_from_db()
        assert brouillon.coordinateur_niveau_diplome == "bac+3"
        assert brouillon.coordinateur_experience_animation_education is True
        intervenant = Intervenant.objects.get(dossier=brouillon)
        assert (intervenant.nom, intervenant.statut) == ("Paul Martin", "benevole")
        assert list(intervenant.collectifs.all()) == [a]
        assert saisie.etapes_completes(Dossier.objects.get(pk=brouillon.pk))["equipe"]

    def test_intervenant_sans_nom_nomme_la_ligne_et_garde_la_coordination(
        self, porteur_client, brouillon
    ):
        demain = timezone.localdate() + datetime.timedelta(days=1)
        donnees = {
            "coordinateur_nom": "Samia B.",
            **gestion("intervenants", 2),
            "intervenants-0-nom": "Paul Martin",
            "intervenants-0-statut": "salarie",
            "intervenants-1-nom": "",
            "intervenants-1-statut": "benevole",
            "intervenants-1-diplome_justifie_le": demain.isoformat(),
        }
        html = texte(porteur_client.post(etape_url(brouillon, "equipe"), donnees))
        assert "Intervenant 2 : « Nom » : ce champ est obligatoire." in html
        assert "Intervenant 2 : « Diplôme justifié le » : la date" in html
        brouillon.refresh_from_db()
        assert brouillon.coordinateur_nom == "Samia B."
        assert list(Intervenant.objects.values_list("nom", flat=True)) == ["Paul Martin"]

    def test_retirer_un_intervenant(self, porteur_client, brouillon):
        intervenant = IntervenantFactory(dossier=brouillon, nom="Ancien")
        donnees = {
            **gestion("intervenants", 1, initiales=1),
            "intervenants-0-id": str(intervenant.pk),
            "intervenants-0-nom": "Ancien",
            "intervenants-0-statut": "salarie",
            "intervenants-0-DELETE": "on",
        }
        assert porteur_client.post(etape_url(brouillon, "equipe"), donnees).status_code == 302
        assert not Intervenant.objects.exists()


# --- Étape « budget » -------------------------------------------------------------------------


def donnees_budget(montant_demande, depenses=("9000.00",), recettes=("2000.00",)):
    donnees = {
        "montant_demande": montant_demande,
        **gestion("depenses", len(depenses)),
        **gestion("recettes", len(recettes)),
    }
    for i, montant in enumerate(depenses):
        donnees.update({f"depenses-{i}-categorie": "personnel", f"depenses-{i}-montant": montant})
    for i, montant in enumerate(recettes):
        donnees.update({f"recettes-{i}-categorie": "commune", f"recettes-{i}-montant": montant})
    return donnees


class TestBudget:
    def test_budget_equilibre(self, porteur_client, brouillon):
        reponse = porteur_client.post(
            etape_url(brouillon, "budget"),
            donnees_budget("5000.00", depenses=("6000.00", "1000.00")),
            follow=True,
        )
        assert "Étape « Budget prévisionnel » enregistrée." in texte(reponse)
        assert "Le budget est équilibré" in texte(reponse)
        lignes = LigneBudget.objects.filter(dossier=brouillon)
        assert sorted(lignes.values_list("sens", "montant")) == [
            ("depense", Decimal("1000.00")),
            ("depense", Decimal("6000.00")),
            ("recette", Decimal("2000.00")),
        ]
        assert saisie.etapes_completes(Dossier.objects.get(pk=brouillon.pk))["budget"]

    def test_budget_desequilibre_enregistre_mais_signale(self, porteur_client, brouillon):
        reponse = porteur_client.post(
            etape_url(brouillon, "budget"), donnees_budget("6500.00"), follow=True
        )
        html = texte(reponse)
        brouillon.refresh_from_db()
        assert brouillon.montant_demande == Decimal("6500.00")  # rien n'est perdu
        assert LigneBudget.objects.filter(dossier=brouillon).count() == 2
        assert "Budget enregistré, mais il n&#x27;est pas équilibré" in html
        assert (
            "Le budget n&#x27;est pas équilibré : les dépenses (9\u202f000,00\u202f€) dépassent "
            "les recettes et le montant demandé (8\u202f500,00\u202f€) de 500,00\u202f€." in html
        )
        assert "le montant demandé serait de 7\u202f000,00\u202f€" in html
        assert not saisie.etapes_completes(Dossier.objects.get(pk=brouillon.pk))["budget"]
        progression = html[html.index('aria-label="Étapes du dossier"') :]
        assert re.search(r"5\. Budget prévisionnel</span>\s*<span[^>]*>\s*à compléter", progression)

    def test_montant_negatif_nomme_le_champ(self, porteur_client, brouillon):
        html = texte(
            porteur_client.post(
                etape_url(brouillon, "budget"), donnees_budget("7000.00", depenses=("-5",))
            )
        )
        assert "Dépense 1 : « Montant (€) » : la valeur minimale est 0." in html
        brouillon.refresh_from_db()
        assert brouillon.montant_demande == Decimal("7000.00")
        assert list(LigneBudget.objects.values_list("sens", flat=True)) == ["recette"]

    def test_categorie_du_mauvais_sens_refusee(self, porteur_client, brouillon):
        donnees = donnees_budget("7000.00")
        donnees["depenses-0-categorie"] = "commune"
        html = texte(porteur_client.post(etape_url(brouillon, "budget"), donnees))
        assert "« Catégorie de dépense » : choisissez une valeur de la liste." in html


# --- Pièces -----------------------------------------------------------------------------------


def deposer(client, dossier, nom, contenu, type_piece="budget"):
    fichier = SimpleUploadedFile(nom, contenu, content_type="application/pdf")
    return client.post(etape_url(dossier, "pieces"), {"type": type_piece, "fichier": fichier})


class TestPieces:
    def test_pdf_accepte_stocke_hors_nom_d_origine(self, porteur_client, brouillon, medias):
        reponse = deposer(porteur_client, brouillon, "budget signé.pdf", PDF)
        assert reponse.status_code == 302
        piece = PieceJustificative.objects.get(dossier=brouillon)
        assert (piece.nom_original, piece.type_mime, piece.extension, piece.taille) == (
            "budget signé.pdf",
            "application/pdf",
            "pdf",
            len(PDF),
        )
        assert piece.fichier.name.startswith("pieces-dossiers/")
        assert "budget" not in piece.fichier.name
        assert (medias / piece.fichier.name).read_bytes() == PDF
        assert Evenement.objects.filter(dossier=brouillon, type=Evenement.Type.PIECE).exists()

    def test_texte_deguise_en_pdf_refuse(self, porteur_client, brouillon):
        html = texte(deposer(porteur_client, brouillon, "x.pdf", b"ceci n'est pas un PDF"))
        assert "Le fichier « x.pdf » n&#x27;est pas un PDF, JPEG ou PNG" in html
        assert not PieceJustificative.objects.exists()

    def test_10_mo_plus_un_octet_refuse(self, porteur_client, brouillon):
        contenu = PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF))
        html = texte(deposer(porteur_client, brouillon, "gros.pdf", contenu))
        assert "10 Mo au plus" in html
        assert not PieceJustificative.objects.exists()

    def test_10_mo_exactement_accepte(self, porteur_client, brouillon):
        contenu = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
        assert deposer(porteur_client, brouillon, "juste.pdf", contenu).status_code == 302

    def test_nom_avec_chemin(self, porteur_client, brouillon, medias):
        deposer(porteur_client, brouillon, "../../etc/passwd.pdf", PDF)
        piece = PieceJustificative.objects.get()
        assert piece.nom_original == "passwd.pdf"
        chemin = (medias / piece.fichier.name).resolve()
        assert chemin.is_relative_to(medias.resolve())

    def test_extension_suit_le_contenu(self, porteur_client, brouillon):
        deposer(porteur_client, brouillon, "photo.png", PDF)
        assert PieceJustificative.objects.get().nom_original == "photo.pdf"

    def test_type_obligatoire(self, porteur_client, brouillon):
        html = texte(deposer(porteur_client, brouillon, "a.pdf", PDF, type_piece=""))
        assert "« Type de pièce » : ce champ est obligatoire." in html

    def test_telecharger(self, porteur_client, brouillon):
        deposer(porteur_client, brouillon, "budget.pdf", PDF)
        piece = PieceJustificative.objects.get()
        reponse = porteur_client.get(url("piece", brouillon.pk, piece.pk))
        assert reponse.status_code == 200
        assert b"".join(reponse.streaming_content) == PDF
        assert reponse["Content-Disposition"].startswith("attachment")
        assert reponse["X-Content-Type-Options"] == "nosniff"

    def test_supprimer_apres_confirmation(
        self, porteur_client, brouillon, medias, django_capture_on_commit_callbacks
    ):
        deposer(porteur_client, brouillon, "budget.pdf", PDF)
        piece = PieceJustificative.objects.get()
        chemin = medias / piece.fichier.name
        confirmation = porteur_client.get(url("piece_supprimer", brouillon.pk, piece.pk))
        assert "Supprimer la pièce « budget.pdf » ?" in texte(confirmation)
        assert chemin.exists()
        with django_capture_on_commit_callbacks(execute=True):
            reponse = porteur_client.post(url("piece_supprimer", brouillon.pk, piece.pk))
        assert reponse.url == etape_url(brouillon, "pieces")
        assert not PieceJustificative.objects.exists()
        assert not chemin.exists()

    def test_pieces_manquantes_du_dossier_et_de_l_organisation(self, porteur_client, brouillon):
        html = texte(porteur_client.get(etape_url(brouillon, "pieces")))
        assert "Budget prévisionnel signé : à déposer ci-dessous." in html
        for libelle in ("Statuts de l&#x27;organisation", "Relevé d&#x27;identité bancaire"):
            assert libelle in html
        assert saisie.url_organisation(brouillon.porteur_id) in html

    def test_plus_rien_ne_manque(self, porteur_client, brouillon):
        deposer(porteur_client, brouillon, "budget.pdf", PDF)
        for type_piece in ("statuts", "rib", "assurance"):
            PiecePermanente.objects.create(
                porteur=brouillon.porteur,
                type=type_piece,
                fichier="pieces-permanentes/x.pdf",
                nom_original="x.pdf",
                type_mime="application/pdf",
                extension="pdf",
                taille=10,
            )
        html = texte(porteur_client.get(etape_url(brouillon, "pieces")))
        assert "Toutes les pièces obligatoires sont déposées" in html
        assert saisie.etapes_completes(Dossier.objects.get(pk=brouillon.pk))["pieces"]


# --- Périmètre et droits ----------------------------------------------------------------------


@pytest.fixture
def dossier_complet(brouillon, medias):
    collectif = CollectifFactory(dossier=brouillon)
    CreneauFactory(collectif=collectif)
    piece = PieceJustificative.objects.create(
        dossier=brouillon,
        type="budget",
        fichier=SimpleUploadedFile("b.pdf", PDF),
        nom_original="b.pdf",
        type_mime="application/pdf",
        extension="pdf",
        taille=len(PDF),
    )
    return brouillon, collectif, piece


def toutes_les_urls(dossier, collectif, piece):
    """(méthode, URL) de chaque page de ce dossier."""
    pk = dossier.pk
    urls = [("get", etape_url(dossier, e)) for e in saisie.SLUGS]
    urls += [("post", etape_url(dossier, e)) for e in saisie.SLUGS]
    return urls + [
        ("get", url("collectif_nouveau", pk)),
        ("post", url("collectif_nouveau", pk)),
        ("get", url("collectif_modifier", pk, collectif.pk)),
        ("post", url("collectif_modifier", pk, collectif.pk)),
        ("post", url("collectif_copier", pk, collectif.pk)),
        ("get", url("collectif_supprimer", pk, collectif.pk)),
        ("post", url("collectif_supprimer", pk, collectif.pk)),
        ("get", url("piece", pk, piece.pk)),
        ("get", url("piece_supprimer", pk, piece.pk)),
        ("post", url("piece_supprimer", pk, piece.pk)),
        ("get", url("eligibilite", pk)),
        ("post", url("eligibilite_apercu", pk, "projet")),
        ("post", url("eligibilite_apercu_collectif", pk, collectif.pk)),
        ("post", url("eligibilite_apercu_nouveau_collectif", pk)),
    ]


class TestPerimetre:
    def test_un_autre_porteur_recoit_404_partout(self, client, dossier_complet):
        dossier, collectif, piece = dossier_complet
        client.force_login(MembreFactory().utilisateur)
        for methode, adresse in toutes_les_urls(*dossier_complet):
            reponse = getattr(client, methode)(adresse)
            assert reponse.status_code == 404, (methode, adresse, reponse.status_code)
        assert Collectif.objects.filter(dossier=dossier).count() == 1
        assert PieceJustificative.objects.filter(pk=piece.pk).exists()

    def test_le_collectif_d_un_autre_dossier_est_introuvable(self, porteur_client, brouillon):
        ailleurs = CollectifFactory()
        for nom in ("collectif_modifier", "collectif_supprimer"):
            assert porteur_client.get(url(nom, brouillon.pk, ailleurs.pk)).status_code == 404
        assert (
            porteur_client.post(url("collectif_copier", brouillon.pk, ailleurs.pk)).status_code
            == 404
        )

    def test_anonyme_redirige_vers_la_connexion(self, client, dossier_complet):
        for methode, adresse in toutes_les_urls(*dossier_complet)[:3]:
            reponse = getattr(client, methode)(adresse)
            assert reponse.status_code == 302
            assert "/connexion/" in reponse.url

    def test_un_agent_ne_modifie_pas(self, client, agent59, dossier_complet):
        dossier, collectif, piece = dossier_complet
        dossier.etat, dossier.depose_le = Etat.DEPOSE, timezone.now()
        dossier.save()
        client.force_login(agent59)
        for methode, adresse in toutes_les_urls(*dossier_complet):
            reponse = getattr(client, methode)(adresse)
            if adresse in (url("piece", dossier.pk, piece.pk), url("eligibilite", dossier.pk)):
                assert reponse.status_code == 200  # il lit le dossier de son département
            else:
                assert reponse.status_code == 403, (methode, adresse, reponse.status_code)
        dossier.refresh_from_db()
        assert dossier.collectifs.count() == 1

    def test_un_agent_ne_voit_pas_un_brouillon(self, client, agent59, dossier_complet):
        dossier, _collectif, piece = dossier_complet
        client.force_login(agent59)
        assert client.get(url("piece", dossier.pk, piece.pk)).status_code == 404
        assert client.get(url("eligibilite", dossier.pk)).status_code == 404


class TestDossierDepose:
    @pytest.fixture
    def depose(self, dossier_complet):
        dossier = dossier_complet[0]
        dossier.etat, dossier.depose_le = Etat.DEPOSE, timezone.now()
        dossier.save()
        return dossier_complet

    def test_lecture_seule_pour_le_porteur(self, porteur_client, depose):
        dossier, collectif, piece = depose
        for etape in saisie.SLUGS:
            reponse = porteur_client.get(etape_url(dossier, etape))
            assert reponse.status_code == 200
            html = texte(reponse)
            assert "vous ne pouvez plus le modifier" in html
            assert 'value="continuer"' not in html
        html = texte(porteur_client.get(etape_url(dossier, "projet")))
        assert re.search(r'<input type="text" name="intitule"[^>]*disabled', html)
        assert 'hx-post="' not in html  # pas d'aperçu en lecture seule

    def test_403_sur_chaque_ecriture(self, porteur_client, depose):
        dossier, collectif, piece = depose
        avant = dossier.intitule
        for methode, adresse in toutes_les_urls(*depose):
            if methode != "post":
                continue
            reponse = porteur_client.post(adresse, {**PROJET_VALIDE})
            assert reponse.status_code == 403, (adresse, reponse.status_code)
        dossier.refresh_from_db()
        assert dossier.intitule == avant
        assert Collectif.objects.filter(dossier=dossier).count() == 1
        assert PieceJustificative.objects.filter(pk=piece.pk).exists()

    def test_pages_d_ajout_et_de_suppression_refusees(self, porteur_client, depose):
        dossier, collectif, piece = depose
        assert porteur_client.get(url("collectif_nouveau", dossier.pk)).status_code == 403
        html = texte(porteur_client.get(url("collectif_modifier", dossier.pk, collectif.pk)))
        assert 'name="creneaux-TOTAL_FORMS" value="1"' in html  # le créneau, pas de ligne vide
        assert (
            porteur_client.get(url("collectif_supprimer", dossier.pk, collectif.pk)).status_code
            == 403
        )
        assert porteur_client.get(url("piece_supprimer", dossier.pk, piece.pk)).status_code == 403

    def test_la_piece_reste_telechargeable(self, porteur_client, depose):
        dossier, _collectif, piece = depose
        assert porteur_client.get(url("piece", dossier.pk, piece.pk)).status_code == 200

    def test_complement_demande_est_modifiable(self, porteur_client, depose):
        dossier = depose[0]
        dossier.etat = Etat.COMPLEMENT_DEMANDE
        dossier.save()
        reponse = porteur_client.post(etape_url(dossier, "projet"), PROJET_VALIDE)
        assert reponse.status_code == 302


class TestCampagneClose:
    def test_bandeau(self, porteur_client, brouillon, dep59):
        Campagne.objects.create(
            departement=dep59,
            annee=2025,
            ouverture=datetime.date(2025, 3, 1),
            cloture=datetime.date(2025, 6, 30),
        )
        html = texte(porteur_client.get(etape_url(brouillon, "projet")))
        assert (
            "La campagne est close depuis le 1er juillet 2025 : le dossier ne peut plus être déposé."
            in html
        )

    def test_pas_de_bandeau_campagne_ouverte(self, porteur_client, brouillon, campagne_ouverte):
        assert "La campagne est close" not in texte(
            porteur_client.get(etape_url(brouillon, "projet"))
        )


# --- Progression ------------------------------------------------------------------------------


class TestProgression:
    def test_etape_courante_et_etats(self, porteur_client, brouillon):
        for champ, valeur in OBJECTIFS_REMPLIS.items():
            setattr(brouillon, champ, valeur)
        brouillon.save()
        html = texte(porteur_client.get(etape_url(brouillon, "budget")))
        nav = re.search(r'<nav aria-label="Étapes du dossier".*?</nav>', html, re.S).group(0)
        # Deux listes de 7 étapes, une seule affichée : cases numérotées sur téléphone,
        # étapes nommées au-delà.
        listes = re.findall(r"<ol .*?</ol>", nav, re.S)
        assert len(listes) == 2
        for liste in listes:
            assert liste.count("<li") == 7
            assert liste.count('aria-current="step"') == 1
            courante = re.search(r'<a href="([^"]+)"[^>]*aria-current="step"', liste, re.S)
            assert courante.group(1) == etape_url(brouillon, "budget")
        assert 'aria-label="2. Axes et objectifs : complète"' in listes[0]
        assert re.search(r"2\. Axes et objectifs</span>\s*<span[^>]*>\s*✓ complète", nav)
        assert re.search(r"1\. Projet et diagnostic</span>\s*<span[^>]*>\s*à compléter", nav)
        assert "7. Récapitulatif et dépôt" in nav
        recap = saisie.url_recapitulatif(brouillon)
        if recap:
            assert f'href="{recap}"' in nav

    def test_etapes_affichees_sans_requete_si_prechargees(
        self, django_assert_num_queries, brouillon
    ):
        from dossiers.views_saisie import dossiers_pour_saisie

        dossier = dossiers_pour_saisie(brouillon.porteur.membres.get().utilisateur).get(
            pk=brouillon.pk
        )
        with django_assert_num_queries(0):
            saisie.etapes_affichees(dossier, "projet")


# --- Éligibilité ------------------------------------------------------------------------------


class TestEligibilite:
    def test_panneau_sur_chaque_etape(self, porteur_client, brouillon):
        for etape in saisie.SLUGS:
            html = texte(porteur_client.get(etape_url(brouillon, etape)))
            assert 'id="contenu-eligibilite"' in html
            assert "PS estimée" in html

    def test_partiel_htmx(self, porteur_client, brouillon):
        reponse = porteur_client.get(url("eligibilite", brouillon.pk), HTTP_HX_REQUEST="true")
        html = texte(reponse)
        assert reponse.status_code == 200
        assert "<html" not in html
        assert "Verdict" in html
        assert 'hx-swap-oob="innerHTML"' in html  # annonce pour les lecteurs d'écran

    def test_page_complete_sans_htmx(self, porteur_client, brouillon):
        html = texte(porteur_client.get(url("eligibilite", brouillon.pk) + "?etape=axes"))
        assert "<html" in html
        assert etape_url(brouillon, "axes") in html

    def test_a_completer_mene_au_champ(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon, nombre_enfants=None)
        html = texte(porteur_client.get(etape_url(brouillon, "projet")))
        assert f'href="{etape_url(brouillon, "projet")}#id_reperage_concerte_ecole_0"' in html
        attendu = url("collectif_modifier", brouillon.pk, collectif.pk) + "#id_nombre_enfants"
        assert f'href="{attendu}"' in html

    def test_collectif_par_collectif_et_ps(self, porteur_client, membre):
        dossier = DossierFactory(porteur=membre.porteur, complet=True)
        CollectifFactory(dossier=dossier, nom="Éligible", depenses_fonctionnement=Decimal("5000"))
        CollectifFactory(dossier=dossier, nom="Trop petit", nombre_enfants=3)
        html = texte(porteur_client.get(url("eligibilite", dossier.pk), HTTP_HX_REQUEST="true"))
        assert "Éligible" in html and "Trop petit" in html
        assert statut_critere(html, "COLLECTIF-TAILLE", "c1-") == "non conforme"
        assert statut_critere(html, "COLLECTIF-TAILLE", "c0-") == "conforme"

    def test_apercu_reflete_la_saisie_sans_rien_enregistrer(self, porteur_client, brouillon):
        avant = texte(porteur_client.get(url("eligibilite", brouillon.pk), HTTP_HX_REQUEST="true"))
        assert statut_critere(avant, "REPERAGE-ECOLE") == "manquant"
        modifie_le = Dossier.objects.get(pk=brouillon.pk).modifie_le
        reponse = porteur_client.post(
            url("eligibilite_apercu", brouillon.pk, "projet"),
            {**PROJET_VALIDE, "intitule": "x" * 300},  # une valeur invalide est ignorée
            HTTP_HX_REQUEST="true",
        )
        html = texte(reponse)
        assert reponse.status_code == 200
        assert statut_critere(html, "REPERAGE-ECOLE") == "conforme"
        assert statut_critere(html, "EXCLUSION-AIDE-DEVOIRS") == "conforme"
        assert "rien n'est enregistré" in html
        dossier = Dossier.objects.get(pk=brouillon.pk)
        assert dossier.reperage_concerte_ecole is None
        assert dossier.intitule == ""
        assert dossier.modifie_le == modifie_le

    def test_apercu_axes_et_equipe(self, porteur_client, brouillon):
        html = texte(
            porteur_client.post(url("eligibilite_apercu", brouillon.pk, "axes"), OBJECTIFS_REMPLIS)
        )
        assert statut_critere(html, "AXE-ENFANTS") == "conforme"
        html = texte(
            porteur_client.post(
                url("eligibilite_apercu", brouillon.pk, "equipe"),
                {
                    "coordinateur_nom": "S.",
                    "coordinateur_niveau_diplome": "bac",
                    "coordinateur_experience_animation_education": "true",
                },
            )
        )
        assert statut_critere(html, "COORDINATEUR") == "non conforme"
        assert Dossier.objects.get(pk=brouillon.pk).coordinateur_niveau_diplome == ""

    def test_apercu_etape_inconnue(self, porteur_client, brouillon):
        assert (
            porteur_client.post(url("eligibilite_apercu", brouillon.pk, "budget")).status_code
            == 404
        )

    def test_apercu_collectif_existant(self, porteur_client, brouillon):
        collectif = CollectifFactory(dossier=brouillon)
        CreneauFactory(collectif=collectif, jour="mardi")
        donnees = donnees_collectif(nombre_enfants="3")
        html = texte(
            porteur_client.post(
                url("eligibilite_apercu_collectif", brouillon.pk, collectif.pk), donnees
            )
        )
        assert statut_critere(html, "COLLECTIF-TAILLE", "c0-") == "non conforme"
        assert (
            statut_critere(html, "COLLECTIF-REGULARITE", "c0-") == "conforme"
        )  # 2 créneaux saisis
        assert 'id="suggestion-semaines"' in html and 'hx-swap-oob="true"' in html
        collectif.refresh_from_db()
        assert collectif.nombre_enfants == 10
        assert collectif.creneaux.count() == 1

    def test_apercu_nouveau_collectif(self, porteur_client, brouillon):
        CollectifFactory(dossier=brouillon, nom="Premier")
        html = texte(
            porteur_client.post(
                url("eligibilite_apercu_nouveau_collectif", brouillon.pk),
                donnees_collectif(nom="Second", nombre_enfants="11"),
            )
        )
        assert "Second" in html
        assert statut_critere(html, "COLLECTIF-TAILLE", "c1-") == "conforme"
        assert "Suggestion : 26 semaines" in html
        assert Collectif.objects.filter(dossier=brouillon).count() == 1

    def test_url_d_apercu_dans_la_page(self, porteur_client, brouillon):
        html = texte(porteur_client.get(etape_url(brouillon, "projet")))
        assert f'hx-post="{url("eligibilite_apercu", brouillon.pk, "projet")}"' in html
        assert 'hx-trigger="input changed delay:800ms from:#formulaire-etape"' in html
        assert 'hx-include="#formulaire-etape"' in html


# --- Requêtes SQL bornées ---------------------------------------------------------------------


@pytest.fixture
def gros_dossier(brouillon):
    """10 collectifs de 2 créneaux, 10 intervenants, un budget et une pièce."""
    collectifs = [CollectifFactory(dossier=brouillon) for _ in range(10)]
    for collectif in collectifs:
        CreneauFactory(collectif=collectif, jour="mardi")
        CreneauFactory(collectif=collectif, jour="jeudi")
    for i in range(10):
        intervenant = IntervenantFactory(dossier=brouillon)
        intervenant.collectifs.set(collectifs[i : i + 2])
    for i in range(5):
        LigneBudget.objects.create(
            dossier=brouillon, sens="depense", categorie="personnel", montant=Decimal(1000 + i)
        )
        LigneBudget.objects.create(
            dossier=brouillon, sens="recette", categorie="commune", montant=Decimal(100 + i)
        )
    PieceJustificative.objects.create(
        dossier=brouillon,
        type="budget",
        fichier=SimpleUploadedFile("b.pdf", PDF),
        nom_original="b.pdf",
        type_mime="application/pdf",
        extension="pdf",
        taille=len(PDF),
    )
    return brouillon, collectifs


class TestRequetes:
    MAX = 15

    @pytest.mark.parametrize("etape", saisie.SLUGS)
    def test_chaque_etape(self, porteur_client, gros_dossier, django_assert_max_num_queries, etape):
        dossier, _collectifs = gros_dossier
        with django_assert_max_num_queries(self.MAX):
            reponse = porteur_client.get(etape_url(dossier, etape))
        assert reponse.status_code == 200

    def test_fiche_collectif_et_panneau(
        self, porteur_client, gros_dossier, django_assert_max_num_queries
    ):
        dossier, collectifs = gros_dossier
        for adresse in (
            url("collectif_modifier", dossier.pk, collectifs[3].pk),
            url("collectif_nouveau", dossier.pk),
            url("eligibilite", dossier.pk),
        ):
            with django_assert_max_num_queries(self.MAX):
                assert porteur_client.get(adresse).status_code == 200

    def test_le_nombre_de_requetes_ne_depend_pas_des_collectifs(
        self, porteur_client, gros_dossier, django_assert_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        dossier, _collectifs = gros_dossier
        comptes = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as requetes:
                porteur_client.get(etape_url(dossier, "equipe"))
            comptes.append(len(requetes))
            collectif = CollectifFactory(dossier=dossier)
            CreneauFactory(collectif=collectif)
            IntervenantFactory(dossier=dossier).collectifs.add(collectif)
        assert comptes[0] == comptes[1]
