"""Bilan de l'action : préremplissage depuis le cahier, saisie et soumission par le porteur,
lecture et demande de correction par la Caf, périmètres."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import dateformat, timezone, translation

from collectifs.models import Intervenant
from dossiers.models import Etat
from seances import bilan as regles
from seances.models import (
    ActionParents,
    BilanAction,
    Enfant,
    Presence,
    PurgeDonneesEnfants,
    RencontreEcole,
    Seance,
)
from seances.registre import taux_presence_collectif
from tests.factories import (
    CollectifFactory,
    DossierFactory,
    IntervenantFactory,
    MembreFactory,
    UtilisateurFactory,
)

# --- Construction d'un cahier de présence ------------------------------------------------------
# (importé par test_purge.py et test_confidentialite.py)

# Sept enfants : 4 filles, 3 garçons, 5 familles (deux fratries).
ENFANTS = [
    ("AB-01", "F", "FAM-A"),
    ("AB-02", "G", "FAM-A"),
    ("CD-03", "F", "FAM-B"),
    ("EF-04", "F", "FAM-C"),
    ("EF-05", "G", "FAM-C"),
    ("GH-06", "F", "FAM-D"),
    ("IJ-07", "G", "FAM-E"),
]
# Séances réalisées : (date, durée, codes des absents, animateurs présents).
SEANCES_REALISEES = [
    (datetime.date(2025, 11, 4), 90, {"AB-02"}, ["Salariée A", "Bénévole B"]),
    (datetime.date(2025, 11, 6), 90, set(), ["Salariée A"]),
    (datetime.date(2025, 11, 13), 90, {"CD-03", "IJ-07"}, ["Salariée A", "Bénévole B"]),
    (datetime.date(2025, 11, 18), 75, {"AB-01", "AB-02", "GH-06"}, ["Salarié C"]),
]


def accepter(dossier):
    dossier.etat = Etat.ACCEPTE
    dossier.save(update_fields=["etat"])
    return dossier


def construire_registre(collectif, *, avec_animateurs=True, nombre_enfants=None):
    """Un cahier de présence complet : enfants, 4 séances réalisées avec appel, une prévue, une
    annulée (avec un animateur qui ne doit pas compter), 2 actions parents, 3 rencontres école.

    ``nombre_enfants`` : autant d'enfants supplémentaires (pour les bornes de requêtes)."""
    dossier = collectif.dossier
    intervenants = {
        nom: IntervenantFactory(dossier=dossier, nom=nom, statut=statut)
        for nom, statut in [
            ("Salariée A", Intervenant.Statut.SALARIE),
            ("Bénévole B", Intervenant.Statut.BENEVOLE),
            ("Salarié C", Intervenant.Statut.SALARIE),
            ("Bénévole D", Intervenant.Statut.BENEVOLE),
        ]
    }
    liste = list(ENFANTS)
    for i in range(nombre_enfants or 0):
        liste.append((f"ZZ-{i:03}", "G" if i % 2 else "F", f"FAM-Z{i}"))
    enfants = {
        code: Enfant.objects.create(
            collectif=collectif, code=code, classe="CM1", sexe=sexe, code_famille=famille
        )
        for code, sexe, famille in liste
    }
    for jour, duree, absents, animateurs in SEANCES_REALISEES:
        seance = Seance.objects.create(
            collectif=collectif,
            date=jour,
            duree_minutes=duree,
            statut=Seance.Statut.REALISEE,
            activite="lecture",
        )
        Presence.objects.bulk_create(
            Presence(seance=seance, enfant=enfant, present=code not in absents)
            for code, enfant in enfants.items()
        )
        seance.nombre_inscrits = len(enfants)
        seance.nombre_presents = len(enfants) - len(absents)
        seance.appel_fait_le = timezone.now()
        seance.save()
        if avec_animateurs:
            seance.animateurs.set([intervenants[nom] for nom in animateurs])
    Seance.objects.create(collectif=collectif, date=datetime.date(2026, 6, 9), duree_minutes=90)
    annulee = Seance.objects.create(
        collectif=collectif,
        date=datetime.date(2025, 12, 2),
        duree_minutes=90,
        statut=Seance.Statut.ANNULEE,
        motif_annulation="grève",
    )
    if avec_animateurs:
        annulee.animateurs.set([intervenants["Bénévole D"]])
    intervenants["Salariée A"].collectifs.add(collectif)
    intervenants["Bénévole D"].collectifs.add(collectif)
    for jour in (datetime.date(2025, 11, 20), datetime.date(2026, 2, 5)):
        ActionParents.objects.create(
            collectif=collectif, type="reunion", date=jour, nombre_parents=6
        )
    for jour in (
        datetime.date(2025, 10, 10),
        datetime.date(2026, 1, 15),
        datetime.date(2026, 5, 20),
    ):
        RencontreEcole.objects.create(
            collectif=collectif, date=jour, interlocuteurs="la directrice"
        )
    return enfants


@pytest.fixture
def collectif(dossier_59):
    """Un collectif d'un dossier accepté de l'organisation de ``porteur_user``."""
    accepter(dossier_59)
    return CollectifFactory(dossier=dossier_59, nom="CM1-CM2 du mardi")


@pytest.fixture
def registre(collectif):
    return construire_registre(collectif)


def url_bilan(collectif):
    return reverse("seances:bilan", args=[collectif.pk])


def url_correction(collectif):
    return reverse("seances:bilan_correction", args=[collectif.pk])


QUALITATIF = {
    "objectifs_atteints": "Les enfants lisent davantage ; les parents viennent aux réunions.",
    "difficultes": "Absences en décembre.",
    "perspectives": "Un second créneau le jeudi.",
}


def donnees_completes(**autres):
    donnees = {
        "enfants_inscrits": "7",
        "filles": "4",
        "garcons": "3",
        "familles": "5",
        "seances_realisees": "4",
        "heures_realisees": "5.75",
        "taux_presence_pct": "78.57",
        "intervenants_salaries": "2",
        "intervenants_benevoles": "1",
        "actions_parents": "2",
        "rencontres_ecole": "3",
        **QUALITATIF,
        "action": "soumettre",
        "confirmation": "on",
    }
    donnees.update(autres)
    return donnees


def bilan_soumis(collectif, **autres):
    valeurs = {
        "enfants_inscrits": 7,
        "filles": 4,
        "garcons": 3,
        "familles": 5,
        "seances_realisees": 4,
        "heures_realisees": Decimal("5.75"),
        "taux_presence": Decimal("0.7857"),
        "intervenants_salaries": 2,
        "intervenants_benevoles": 1,
        "actions_parents": 2,
        "rencontres_ecole": 3,
        **QUALITATIF,
        "statut": BilanAction.Statut.SOUMIS,
        "soumis_le": timezone.now(),
    }
    valeurs.update(autres)
    return BilanAction.objects.create(collectif=collectif, **valeurs)


# --- Préremplissage -------------------------------------------------------------------------
@pytest.mark.django_db
class TestPreremplissage:
    def test_egal_aux_totaux_du_cahier(self, collectif, registre):
        calcule = regles.preremplir(collectif)

        # Les totaux relus directement dans le registre, ligne par ligne.
        enfants = list(Enfant.objects.filter(collectif=collectif))
        realisees = list(Seance.objects.filter(collectif=collectif, statut="realisee"))
        presences = list(Presence.objects.filter(seance__collectif=collectif))
        presents = sum(p.present for p in presences)
        assert calcule["enfants_inscrits"] == len(enfants) == 7
        assert calcule["filles"] == sum(e.sexe == "F" for e in enfants) == 4
        assert calcule["garcons"] == sum(e.sexe == "G" for e in enfants) == 3
        assert calcule["familles"] == len({e.code_famille for e in enfants}) == 5
        assert calcule["seances_realisees"] == len(realisees) == 4
        minutes = sum(s.duree_minutes for s in realisees)
        assert calcule["heures_realisees"] == Decimal("5.75") == Decimal(minutes) / 60
        assert calcule["taux_presence"] == (Decimal(presents) / Decimal(len(presences))).quantize(
            Decimal("0.0001")
        )
        assert calcule["taux_presence"] == Decimal("0.7857")  # 22 présents sur 28
        # Salariée A et Salarié C, Bénévole B (Bénévole D n'était qu'à la séance annulée).
        assert calcule["intervenants_salaries"] == 2
        assert calcule["intervenants_benevoles"] == 1
        assert calcule["actions_parents"] == 2
        assert calcule["rencontres_ecole"] == 3
        assert set(calcule) == set(regles.CHAMPS_CHIFFRES)

    def test_taux_egal_a_celui_du_cahier(self, collectif, registre):
        assert regles.preremplir(collectif)["taux_presence"] == taux_presence_collectif(collectif)

    def test_sans_animateur_note_les_intervenants_du_collectif(self, collectif):
        construire_registre(collectif, avec_animateurs=False)
        calcule = regles.preremplir(collectif)
        # Rattachés au collectif : Salariée A et Bénévole D.
        assert (calcule["intervenants_salaries"], calcule["intervenants_benevoles"]) == (1, 1)

    def test_cahier_vide(self, collectif):
        calcule = regles.preremplir(collectif)
        assert calcule["enfants_inscrits"] == 0
        assert calcule["seances_realisees"] == 0
        assert calcule["heures_realisees"] == Decimal("0.00")
        assert calcule["taux_presence"] is None

    def test_ne_compte_que_son_collectif(self, collectif, registre):
        autre = CollectifFactory(dossier=collectif.dossier)
        construire_registre(autre, nombre_enfants=3)
        assert regles.preremplir(collectif)["enfants_inscrits"] == 7

    def test_nombre_de_requetes_borne(self, collectif, django_assert_max_num_queries):
        construire_registre(collectif, nombre_enfants=40)
        with django_assert_max_num_queries(6):
            calcule = regles.preremplir(collectif)
        assert calcule["enfants_inscrits"] == 47

    def test_nombre_de_requetes_borne_sans_animateur_note(
        self, collectif, django_assert_max_num_queries
    ):
        construire_registre(collectif, avec_animateurs=False, nombre_enfants=40)
        with django_assert_max_num_queries(7):
            regles.preremplir(collectif)


# --- Le questionnaire du porteur ------------------------------------------------------------
@pytest.mark.django_db
class TestQuestionnairePorteur:
    def test_premiere_ouverture_preremplie_avec_le_calcul_affiche(
        self, client, porteur_user, collectif, registre
    ):
        client.force_login(porteur_user)
        reponse = client.get(url_bilan(collectif))
        assert reponse.status_code == 200
        form = reponse.context["form"]
        assert form.initial["enfants_inscrits"] == 7
        assert form.initial["taux_presence_pct"] == Decimal("78.57")
        contenu = reponse.content.decode()
        assert "Calculé depuis le cahier : 7" in contenu
        assert 'name="enfants_inscrits"' in contenu and 'value="7"' in contenu
        assert "Enregistrer le brouillon" in contenu and "Soumettre à la Caf" in contenu
        assert contenu.count("<fieldset") == 5
        assert not BilanAction.objects.exists()  # ouvrir ne crée rien

    def test_brouillon_incomplet_enregistre(self, client, porteur_user, collectif, registre):
        client.force_login(porteur_user)
        reponse = client.post(
            url_bilan(collectif),
            {"enfants_inscrits": "8", "taux_presence_pct": "80", "action": "brouillon"},
        )
        assert reponse.status_code == 302
        bilan = BilanAction.objects.get(collectif=collectif)
        assert bilan.statut == BilanAction.Statut.BROUILLON
        assert bilan.origine == BilanAction.Origine.SAISIE
        assert bilan.enfants_inscrits == 8
        assert bilan.taux_presence == Decimal("0.8000")
        assert bilan.soumis_le is None
        # À la réouverture : la valeur saisie, et le calcul du cahier à côté.
        reponse = client.get(url_bilan(collectif))
        contenu = reponse.content.decode()
        assert "Calculé depuis le cahier : 7 (vous avez indiqué une autre valeur)" in contenu
        assert reponse.context["form"]["taux_presence_pct"].value() == Decimal("80")

    def test_soumission_complete(
        self, client, porteur_user, agent59, collectif, registre, django_capture_on_commit_callbacks
    ):
        client.force_login(porteur_user)
        with django_capture_on_commit_callbacks(execute=True):
            reponse = client.post(url_bilan(collectif), donnees_completes(), follow=True)
        assert "Le bilan de l&#x27;action est soumis à la Caf" in reponse.content.decode()
        bilan = BilanAction.objects.get(collectif=collectif)
        assert bilan.statut == BilanAction.Statut.SOUMIS
        assert bilan.soumis_par == porteur_user and bilan.soumis_le is not None
        assert bilan.taux_presence == Decimal("0.7857")
        assert bilan.heures_realisees == Decimal("5.75")
        assert bilan.perspectives == QUALITATIF["perspectives"]
        # Les agents du département sont prévenus.
        (courriel,) = mail.outbox
        assert courriel.to == [agent59.email]
        assert url_bilan(collectif) in courriel.body
        # Ensuite : lecture seule.
        reponse = client.get(url_bilan(collectif))
        assert "form" not in reponse.context
        contenu = reponse.content.decode()
        assert "Soumettre à la Caf" not in contenu and "78,57" in contenu

    def test_soumission_sans_confirmation_refusee(
        self, client, porteur_user, collectif, registre, django_capture_on_commit_callbacks
    ):
        bilan_soumis(collectif, statut=BilanAction.Statut.BROUILLON, soumis_le=None)
        client.force_login(porteur_user)
        donnees = donnees_completes(rencontres_ecole="9")
        del donnees["confirmation"]
        with django_capture_on_commit_callbacks(execute=True):
            reponse = client.post(url_bilan(collectif), donnees)
        assert reponse.status_code == 200
        erreurs = reponse.context["erreurs"]
        assert [e["message"] for e in erreurs] == [
            "« Je confirme la soumission du bilan à la Caf » : cochez cette case pour soumettre "
            "le bilan."
        ]
        assert erreurs[0]["ancre"] == "id_confirmation"
        contenu = reponse.content.decode()
        assert 'href="#id_confirmation"' in contenu and 'aria-invalid="true"' in contenu
        # La saisie est gardée, rien n'est écrit ni envoyé.
        assert reponse.context["form"]["rencontres_ecole"].value() == "9"
        bilan = BilanAction.objects.get(collectif=collectif)
        assert bilan.statut == BilanAction.Statut.BROUILLON and bilan.soumis_le is None
        assert bilan.rencontres_ecole == 3
        assert not mail.outbox

    def test_brouillon_sans_confirmation(self, client, porteur_user, collectif, registre):
        client.force_login(porteur_user)
        donnees = donnees_completes(action="brouillon")
        del donnees["confirmation"]
        assert client.post(url_bilan(collectif), donnees).status_code == 302
        assert BilanAction.objects.get().statut == BilanAction.Statut.BROUILLON

    def test_la_confirmation_dit_ce_qui_se_passe(
        self, client, porteur_user, collectif, registre, settings
    ):
        settings.CLAS_DELAI_PURGE_ENFANTS_JOURS = 45
        client.force_login(porteur_user)
        reponse = client.get(url_bilan(collectif))
        contenu = html.unescape(reponse.content.decode())
        assert 'type="checkbox"' in contenu and 'name="confirmation"' in contenu
        assert "Je confirme la soumission du bilan à la Caf" in contenu
        assert (
            "le cahier de présence, la liste des enfants et les journaux (parents et école) de "
            "ce collectif passent en lecture seule" in contenu
        )
        assert "seront supprimées 45 jours après la soumission" in contenu
        assert "si la Caf vous demande une correction" in contenu
        # La séance prévue du cahier (9 juin 2026) est passée : pas d'avertissement.
        assert reponse.context["seances_restantes"] is None
        assert "encore prévue" not in contenu

    def test_avertissement_seances_encore_prevues(self, client, porteur_user, collectif):
        aujourd_hui = timezone.localdate()
        creer = Seance.objects.create
        creer(collectif=collectif, date=aujourd_hui, duree_minutes=90)
        derniere = aujourd_hui + datetime.timedelta(days=30)
        creer(collectif=collectif, date=derniere, duree_minutes=90)
        # Ne comptent pas : passée, annulée, réalisée, d'un autre collectif.
        creer(collectif=collectif, date=aujourd_hui - datetime.timedelta(days=1), duree_minutes=90)
        creer(
            collectif=collectif,
            date=aujourd_hui + datetime.timedelta(days=60),
            duree_minutes=90,
            statut=Seance.Statut.ANNULEE,
            motif_annulation="grève",
        )
        creer(
            collectif=collectif,
            date=aujourd_hui + datetime.timedelta(days=1),
            duree_minutes=90,
            statut=Seance.Statut.REALISEE,
        )
        autre = CollectifFactory(dossier=collectif.dossier, nom="Autre")
        creer(collectif=autre, date=aujourd_hui + datetime.timedelta(days=90), duree_minutes=90)
        client.force_login(porteur_user)
        reponse = client.get(url_bilan(collectif))
        with translation.override("fr"):
            jour = dateformat.format(derniere, "j F Y")
        contenu = " ".join(html.unescape(reponse.content.decode()).split())
        assert (
            f"2 séances sont encore prévues, jusqu'au {jour} : soumettez le bilan après la "
            "dernière séance" in re.sub(r"</?strong>", "", contenu)
        )
        # Un avertissement, pas une interdiction : la soumission confirmée passe.
        reponse = client.post(url_bilan(collectif), donnees_completes())
        assert reponse.status_code == 302
        assert BilanAction.objects.get().statut == BilanAction.Statut.SOUMIS

    def test_avertissement_une_seance(self, client, porteur_user, collectif):
        jour = timezone.localdate() + datetime.timedelta(days=3)
        Seance.objects.create(collectif=collectif, date=jour, duree_minutes=90)
        client.force_login(porteur_user)
        reponse = client.get(url_bilan(collectif))
        assert reponse.context["seances_restantes"] == {"nombre": 1, "derniere": jour}
        with translation.override("fr"):
            texte = f"1 séance est encore prévue, le {dateformat.format(jour, 'j F Y')}"
        assert texte in re.sub(r"</?strong>", "", html.unescape(reponse.content.decode()))

    def test_un_bilan_soumis_ne_se_modifie_plus(self, client, porteur_user, collectif):
        bilan_soumis(collectif)
        client.force_login(porteur_user)
        reponse = client.post(
            url_bilan(collectif), donnees_completes(enfants_inscrits="9"), follow=True
        )
        assert "n&#x27;est plus modifiable" in reponse.content.decode()
        assert BilanAction.objects.get(collectif=collectif).enfants_inscrits == 7

    def test_soumission_incomplete_refusee_en_nommant_les_champs(
        self, client, porteur_user, collectif, registre
    ):
        client.force_login(porteur_user)
        donnees = donnees_completes(familles="", difficultes="  ")
        reponse = client.post(url_bilan(collectif), donnees)
        assert reponse.status_code == 200
        messages = [e["message"] for e in reponse.context["erreurs"]]
        assert "« Familles » : indiquez ce chiffre pour soumettre le bilan." in messages
        assert (
            "« Difficultés rencontrées » : répondez à cette question pour soumettre le bilan."
            in messages
        )
        ancres = {e["ancre"] for e in reponse.context["erreurs"]}
        assert {"id_familles", "id_difficultes"} <= ancres
        assert 'href="#id_familles"' in reponse.content.decode()
        assert not BilanAction.objects.exists()  # rien d'écrit

    def test_coherence_filles_garcons_et_taux(self, client, porteur_user, collectif):
        client.force_login(porteur_user)
        donnees = donnees_completes(filles="5", garcons="4", taux_presence_pct="120")
        reponse = client.post(url_bilan(collectif), donnees)
        assert reponse.status_code == 200
        messages = [e["message"] for e in reponse.context["erreurs"]]
        assert any("« Filles » et « Garçons » (5 + 4 = 9) dépassent" in m for m in messages)
        assert "« Taux de présence » est un pourcentage : entre 0 et 100." in messages
        assert not BilanAction.objects.exists()

    def test_coherence_verifiee_aussi_au_brouillon(self, client, porteur_user, collectif):
        client.force_login(porteur_user)
        reponse = client.post(
            url_bilan(collectif),
            {
                "enfants_inscrits": "3",
                "familles": "4",
                "heures_realisees": "-2",
                "action": "brouillon",
            },
        )
        messages = [e["message"] for e in reponse.context["erreurs"]]
        assert any(m.startswith("« Familles » (4) ne peut pas dépasser") for m in messages)
        assert "« Heures réalisées » ne peut pas être négatif." in messages
        assert not BilanAction.objects.exists()

    def test_nombre_non_entier_nomme_le_champ(self, client, porteur_user, collectif):
        client.force_login(porteur_user)
        reponse = client.post(
            url_bilan(collectif), {"seances_realisees": "douze", "action": "brouillon"}
        )
        messages = [e["message"] for e in reponse.context["erreurs"]]
        assert messages == ["« Séances réalisées » : saisissez un nombre entier."]

    def test_donnees_purgees_signalees_et_chiffres_gardes(self, client, porteur_user, collectif):
        bilan = bilan_soumis(collectif, statut=BilanAction.Statut.A_CORRIGER)
        bilan.correction_demandee = "Le nombre de familles semble faux."
        bilan.save()
        PurgeDonneesEnfants.objects.create(
            collectif=collectif, enfants_supprimes=7, presences_supprimees=28
        )
        client.force_login(porteur_user)
        reponse = client.get(url_bilan(collectif))
        contenu = reponse.content.decode()
        assert "Les données par enfant de ce collectif (codes et présences) ont été supprimées" in (
            contenu
        )
        assert reponse.context["form"]["enfants_inscrits"].value() == 7  # chiffre gardé
        assert "Données par enfant supprimées le" in contenu

    def test_agent_ne_peut_pas_remplir(self, client, agent59, collectif):
        client.force_login(agent59)
        reponse = client.post(url_bilan(collectif), donnees_completes())
        assert reponse.status_code == 403
        assert not BilanAction.objects.exists()


# --- Périmètres -----------------------------------------------------------------------------
@pytest.mark.django_db
class TestPerimetres:
    def test_porteur_d_une_autre_organisation_404(self, client, collectif):
        autre = MembreFactory().utilisateur
        client.force_login(autre)
        assert client.get(url_bilan(collectif)).status_code == 404
        assert client.post(url_bilan(collectif), donnees_completes()).status_code == 404
        assert not BilanAction.objects.exists()

    def test_porteur_dossier_non_accepte_404(self, client, porteur_user, dossier_59):
        collectif = CollectifFactory(dossier=dossier_59)  # dossier déposé, pas encore accepté
        client.force_login(porteur_user)
        assert client.get(url_bilan(collectif)).status_code == 404

    def test_agent_d_un_autre_departement_404(self, client, agent23, collectif):
        bilan_soumis(collectif)
        client.force_login(agent23)
        assert client.get(url_bilan(collectif)).status_code == 404
        reponse = client.post(url_correction(collectif), {"message": "À revoir."})
        assert reponse.status_code == 404
        assert BilanAction.objects.get().statut == BilanAction.Statut.SOUMIS

    @pytest.mark.parametrize("role", ["secretariat59", "admin_national"])
    def test_secretariat_et_admin_en_lecture_seule(self, client, request, role, collectif):
        bilan_soumis(collectif)
        client.force_login(request.getfixturevalue(role))
        reponse = client.get(url_bilan(collectif))
        assert reponse.status_code == 200
        assert "correction_form" not in reponse.context and "form" not in reponse.context
        assert "Demander une correction" not in reponse.content.decode()
        assert client.post(url_correction(collectif), {"message": "x"}).status_code == 403
        assert client.post(url_bilan(collectif), donnees_completes()).status_code == 403
        assert BilanAction.objects.get().statut == BilanAction.Statut.SOUMIS

    def test_anonyme_redirige_vers_la_connexion(self, client, collectif):
        reponse = client.get(url_bilan(collectif))
        assert reponse.status_code == 302 and "connexion" in reponse.url


# --- La Caf ---------------------------------------------------------------------------------
@pytest.mark.django_db
class TestLectureEtCorrection:
    def test_brouillon_montre_pas_encore_soumis_sans_chiffres(self, client, agent59, collectif):
        bilan_soumis(collectif, statut=BilanAction.Statut.BROUILLON, enfants_inscrits=987)
        client.force_login(agent59)
        reponse = client.get(url_bilan(collectif))
        contenu = reponse.content.decode()
        assert "Pas encore soumis" in contenu
        assert "987" not in contenu
        assert "Demander une correction" not in contenu

    def test_sans_bilan_pas_encore_soumis(self, client, agent59, collectif):
        client.force_login(agent59)
        assert "Pas encore soumis" in client.get(url_bilan(collectif)).content.decode()
        reponse = client.post(url_correction(collectif), {"message": "À revoir."}, follow=True)
        assert "Seul un bilan soumis" in reponse.content.decode()
        assert not BilanAction.objects.exists()

    def test_agent_lit_le_bilan_soumis(self, client, agent59, collectif):
        bilan_soumis(collectif, origine=BilanAction.Origine.IMPORT)
        client.force_login(agent59)
        reponse = client.get(url_bilan(collectif))
        contenu = reponse.content.decode()
        assert "78,57" in contenu and "Bilan importé" in contenu
        assert QUALITATIF["difficultes"] in contenu
        assert "Demander une correction" in contenu

    def test_demande_de_correction_puis_nouvelle_soumission(
        self,
        client,
        agent59,
        porteur_user,
        collectif,
        registre,
        django_capture_on_commit_callbacks,
    ):
        bilan_soumis(collectif)
        client.force_login(agent59)
        with django_capture_on_commit_callbacks(execute=True):
            reponse = client.post(
                url_correction(collectif),
                {"message": "Le nombre de familles ne correspond pas au dossier."},
                follow=True,
            )
        assert "La demande de correction est envoyée" in reponse.content.decode()
        bilan = BilanAction.objects.get()
        assert bilan.statut == BilanAction.Statut.A_CORRIGER
        assert bilan.correction_demandee == "Le nombre de familles ne correspond pas au dossier."
        assert bilan.correction_demandee_par == agent59 and bilan.correction_demandee_le
        (courriel,) = mail.outbox
        assert courriel.to == [porteur_user.email]
        assert "Le nombre de familles ne correspond pas" in courriel.body
        assert url_bilan(collectif) in courriel.body
        # Plus de nouvelle demande tant que le porteur n'a pas soumis à nouveau.
        reponse = client.get(url_bilan(collectif))
        assert "correction_form" not in reponse.context
        assert "En attente d'une nouvelle soumission" in reponse.content.decode()

        # Le porteur voit le message en tête et le formulaire, corrige et soumet à nouveau.
        client.force_login(porteur_user)
        reponse = client.get(url_bilan(collectif))
        contenu = reponse.content.decode()
        assert "La Caf vous demande une correction" in contenu
        assert contenu.index("La Caf vous demande une correction") < contenu.index(
            'name="enfants_inscrits"'
        )
        assert "form" in reponse.context
        # Un brouillon garde la demande de correction affichée.
        client.post(url_bilan(collectif), donnees_completes(familles="6", action="brouillon"))
        assert BilanAction.objects.get().statut == BilanAction.Statut.A_CORRIGER
        client.post(url_bilan(collectif), donnees_completes(familles="6"))
        bilan = BilanAction.objects.get()
        assert bilan.statut == BilanAction.Statut.SOUMIS and bilan.familles == 6

    def test_message_obligatoire(self, client, agent59, collectif):
        bilan_soumis(collectif)
        client.force_login(agent59)
        reponse = client.post(url_correction(collectif), {"message": "   "})
        assert reponse.status_code == 200
        assert [e["message"] for e in reponse.context["erreurs"]] == [
            "« Ce que le porteur doit corriger » : le message est obligatoire."
        ]
        assert BilanAction.objects.get().statut == BilanAction.Statut.SOUMIS
        assert not mail.outbox

    def test_pas_de_correction_sur_un_brouillon(self, agent59, collectif):
        bilan = bilan_soumis(collectif, statut=BilanAction.Statut.BROUILLON)
        with pytest.raises(regles.BilanRefuse):
            regles.demander_correction(bilan, agent59, "À revoir.")
        assert BilanAction.objects.get().statut == BilanAction.Statut.BROUILLON


# --- Requêtes -------------------------------------------------------------------------------
@pytest.mark.django_db
class TestRequetes:
    def test_page_du_porteur_bornee(
        self, client, porteur_user, collectif, django_assert_max_num_queries
    ):
        construire_registre(collectif, nombre_enfants=40)
        client.force_login(porteur_user)
        with django_assert_max_num_queries(14):
            reponse = client.get(url_bilan(collectif))
        assert reponse.status_code == 200

    def test_page_de_l_agent_bornee(
        self, client, agent59, collectif, django_assert_max_num_queries
    ):
        construire_registre(collectif, nombre_enfants=40)
        bilan_soumis(collectif, soumis_par=UtilisateurFactory())
        client.force_login(agent59)
        with django_assert_max_num_queries(8):
            reponse = client.get(url_bilan(collectif))
        assert reponse.status_code == 200

    def test_soumission_bornee(
        self, client, porteur_user, collectif, django_assert_max_num_queries
    ):
        construire_registre(collectif, nombre_enfants=40)
        client.force_login(porteur_user)
        with django_assert_max_num_queries(26):  # constant : 47 enfants ne changent rien
            reponse = client.post(
                url_bilan(collectif),
                donnees_completes(enfants_inscrits="47", garcons="23", filles="24"),
            )
        assert reponse.status_code == 302
        assert BilanAction.objects.get().statut == BilanAction.Statut.SOUMIS


def test_dossier_factory_importable():
    # Garde-fou : les aides de ce module restent importables par les autres fichiers de tests.
    assert callable(construire_registre) and DossierFactory
