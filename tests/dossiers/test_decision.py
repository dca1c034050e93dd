"""La décision d'un agent : montants par collectif, motivation, verrouillage optimiste, lettre."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from collectifs.models import Collectif
from dossiers import decision, workflow
from dossiers.models import Dossier, Etat, Evaluation
from eligibility.criteres import format_date
from eligibility.models import ParametresAnnee
from tests.factories import (
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    MembreFactory,
    UtilisateurFactory,
)

pytestmark = pytest.mark.django_db

ESPACE_FINE = "\u202f"


def _collectif(dossier, nom, ordre, depenses, **valeurs):
    collectif = CollectifFactory(
        dossier=dossier, nom=nom, ordre=ordre, depenses_fonctionnement=Decimal(depenses), **valeurs
    )
    CreneauFactory(collectif=collectif, jour="mardi")
    CreneauFactory(collectif=collectif, jour="jeudi")
    return collectif


@pytest.fixture
def dossier(membre):
    """Proposé au comité, dans le Nord : deux collectifs éligibles, un non éligible.

    PS : 5 000 € de dépenses → 1 625,00 € ; 10 000 € → 2 562,95 € (plafond 7 886 €) ; le
    collectif de 6 enfants (non rural) est non éligible → 0,00 €.
    """
    dossier = DossierFactory(
        porteur=membre.porteur,
        complet=True,
        etat=Etat.PROPOSE_COMITE,
        depose_le=timezone.now(),
        intitule="Coup de pouce Roubaix",
    )
    _collectif(dossier, "CM1-CM2", 0, "5000.00")
    _collectif(dossier, "6e-5e", 1, "10000.00", classes=["6e", "5e"])
    _collectif(dossier, "CE1", 2, "4000.00", classes=["CE1"], nombre_enfants=6)
    return dossier


def _collectifs(dossier):
    return {c.nom: c for c in dossier.collectifs.all()}


def _url(dossier, decision_choisie=None):
    url = reverse("dossiers:decision", args=[dossier.pk])
    return f"{url}?decision={decision_choisie}" if decision_choisie else url


def _donnees_acceptation(dossier, **montants):
    """Le POST d'une acceptation ; ``montants`` par nom de collectif (défaut : la PS)."""
    par_defaut = {"CM1-CM2": "1625,00", "6e-5e": "2562,95", "CE1": "0,00"}
    par_defaut.update({nom.replace("_", "-"): m for nom, m in montants.items()})
    donnees = {"decision": "accepter", "version": str(dossier.version), "note": ""}
    for nom, collectif in _collectifs(dossier).items():
        donnees[f"montant_{collectif.pk}"] = par_defaut[nom]
    # La case cochée confirme le total affiché, renvoyé en champ caché.
    donnees["confirmation"] = "on"
    donnees["total_confirme"] = _total(par_defaut[nom] for nom in _collectifs(dossier))
    return donnees


def _total(saisies) -> str:
    """Le total des montants saisis à la française, comme le formulaire le renvoie (« 4187.95 »)."""
    total = Decimal("0.00")
    try:
        for saisie in saisies:
            total += Decimal(saisie.replace(" ", "").replace(",", "."))
    except ArithmeticError:
        return ""
    return str(total.quantize(Decimal("0.01")))


def _texte_pdf(contenu: bytes) -> str:
    texte = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(contenu)).pages)
    return " ".join(texte.split())


def _euros(texte: str) -> str:
    """« 1 625,00 € » tel que l'écrit le filtre ``euros``, espaces normalisées."""
    return " ".join(texte.replace(ESPACE_FINE, " ").split())


# --- le formulaire -------------------------------------------------------------------------------


def test_choix_de_la_decision(client, agent59, dossier):
    client.force_login(agent59)
    reponse = client.get(_url(dossier))
    assert reponse.status_code == 200
    contenu = reponse.content.decode()
    assert "Quelle décision prenez-vous ?" in contenu
    for nom in ("accepter", "refuser", "classer_sans_suite"):
        assert f'value="{nom}"' in contenu
    # Une décision impossible dans cet état n'est pas proposée ; choisie à la main, elle est refusée.
    reponse = client.get(_url(dossier, "rouvrir"))
    assert "Choisissez une des décisions proposées." in reponse.content.decode()


def test_montants_proposes_a_la_ps_calculee(client, agent59, dossier):
    client.force_login(agent59)
    reponse = client.get(_url(dossier, "accepter"))
    assert reponse.status_code == 200
    form = reponse.context["form"]
    c = _collectifs(dossier)
    assert form.initial[f"montant_{c['CM1-CM2'].pk}"] == Decimal("1625.00")
    assert form.initial[f"montant_{c['6e-5e'].pk}"] == Decimal("2562.95")
    assert form.initial[f"montant_{c['CE1'].pk}"] == Decimal("0.00")
    contenu = reponse.content.decode()
    assert 'value="1625,00"' in contenu and 'value="2562,95"' in contenu
    assert "Non éligible : 0,00 € proposé." in contenu
    assert f"4{ESPACE_FINE}187,95{ESPACE_FINE}€" in contenu  # le total proposé
    assert f'name="version" value="{dossier.version}"' in contenu


def test_nombre_de_requetes_borne(client, agent59, dossier, django_assert_max_num_queries):
    """Le formulaire ne fait pas de requête par collectif (ici 3 + 12)."""
    for i in range(12):
        _collectif(dossier, f"Collectif {i}", 10 + i, "3000.00")
    client.force_login(agent59)
    with django_assert_max_num_queries(12):
        reponse = client.get(_url(dossier, "accepter"))
    assert len(reponse.context["form"].rangees()) == 15


def test_acceptation_enregistre_montants_et_total(
    client, agent59, dossier, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(agent59)
    version = dossier.version
    # Égal à la PS, en dessous, et saisi à la française : aucune justification demandée.
    donnees = _donnees_acceptation(dossier, CM1_CM2="1 625,00", **{"6e-5e": "2000"})
    donnees["note"] = "Avis favorable du comité du 12 décembre."
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(_url(dossier), donnees)
    assert reponse.status_code == 302
    assert reponse.url == reverse("dossiers:detail", args=[dossier.pk]) + "#decision"
    dossier.refresh_from_db()
    assert dossier.etat == Etat.ACCEPTE
    assert dossier.date_decision == timezone.localdate()
    assert dossier.motif_decision == "Avis favorable du comité du 12 décembre."
    assert dossier.montant_accorde == Decimal("3625.00")
    assert dossier.justification_depassement == ""
    assert dossier.version == version + 1
    c = _collectifs(dossier)
    assert c["CM1-CM2"].montant_accorde == Decimal("1625.00")
    assert c["6e-5e"].montant_accorde == Decimal("2000.00")
    assert c["CE1"].montant_accorde == Decimal("0.00")
    assert dossier.evaluations.filter(motif=Evaluation.Motif.DECISION).count() == 1
    evenement = dossier.evenements.get(etat_apres=Etat.ACCEPTE)
    assert evenement.auteur == agent59
    # Le courriel au porteur, envoyé après la validation de la transaction.
    (courriel,) = mailoutbox
    assert courriel.to == ["porteur@asso.fr"]
    assert "accepté" in courriel.subject
    assert "Montant accordé : 3\u202f625,00\u202f€" in courriel.body
    assert courriel.attachments[0][2] == "application/pdf"
    assert "lettre de décision" in courriel.body


def test_depassement_exige_une_justification_qui_nomme_le_collectif(client, agent59, dossier):
    client.force_login(agent59)
    donnees = _donnees_acceptation(dossier, CM1_CM2="1700,00")
    reponse = client.post(_url(dossier), donnees)
    assert reponse.status_code == 200
    erreurs = reponse.context["form"].errors["justification_depassement"]
    assert "« CM1-CM2 »" in erreurs[0]
    assert "Une justification écrite est obligatoire" in erreurs[0]
    contenu = reponse.content.decode()
    assert 'id="erreurs-formulaire"' in contenu
    assert 'href="#id_justification_depassement"' in contenu
    assert 'value="1700,00"' in contenu  # la saisie est gardée
    dossier.refresh_from_db()
    assert dossier.etat == Etat.PROPOSE_COMITE
    assert dossier.montant_accorde is None
    assert not Collectif.objects.filter(dossier=dossier, montant_accorde__isnull=False).exists()

    donnees["justification_depassement"] = "Sortie culturelle supplémentaire validée en comité."
    reponse = client.post(_url(dossier), donnees)
    assert reponse.status_code == 302
    dossier.refresh_from_db()
    assert dossier.etat == Etat.ACCEPTE
    assert dossier.montant_accorde == Decimal("4262.95")
    assert dossier.justification_depassement.startswith("Sortie culturelle")


def test_collectif_non_eligible_au_dela_de_zero_se_justifie(client, agent59, dossier):
    client.force_login(agent59)
    reponse = client.post(_url(dossier), _donnees_acceptation(dossier, CE1="100"))
    erreur = reponse.context["form"].errors["justification_depassement"][0]
    assert "« CE1 »" in erreur and "« CM1-CM2 »" not in erreur


def test_ps_non_calculable_toute_somme_se_justifie(client, agent59, dossier):
    ParametresAnnee.objects.filter(annee=dossier.annee).delete()
    client.force_login(agent59)
    reponse = client.get(_url(dossier, "accepter"))
    c = _collectifs(dossier)
    form = reponse.context["form"]
    assert form.initial[f"montant_{c['CM1-CM2'].pk}"] is None  # à saisir
    assert form.initial[f"montant_{c['CE1'].pk}"] == Decimal("0.00")  # non éligible
    assert "PS non calculable" in reponse.content.decode()

    # Laissé vide : le montant est demandé, en nommant le collectif.
    donnees = _donnees_acceptation(dossier, CM1_CM2="", **{"6e-5e": "0"})
    reponse = client.post(_url(dossier), donnees)
    assert (
        "Indiquez le montant accordé à « CM1-CM2 »"
        in (reponse.context["form"].errors[f"montant_{c['CM1-CM2'].pk}"][0])
    )

    donnees = _donnees_acceptation(dossier, CM1_CM2="1000", **{"6e-5e": "0"})
    reponse = client.post(_url(dossier), donnees)
    erreur = reponse.context["form"].errors["justification_depassement"][0]
    assert "« CM1-CM2 » (PS non calculable)" in erreur
    assert "6e-5e" not in erreur  # 0,00 € ne dépasse rien

    donnees["justification_depassement"] = "Plafond 2025 non encore publié ; montant du comité."
    assert client.post(_url(dossier), donnees).status_code == 302
    dossier.refresh_from_db()
    assert dossier.montant_accorde == Decimal("1000.00")


@pytest.mark.parametrize(
    ("saisie", "message"),
    [
        ("-5", "Le montant accordé à « CM1-CM2 » ne peut pas être négatif."),
        ("12,345", "Le montant accordé à « CM1-CM2 » a au plus deux chiffres après la virgule"),
        ("douze", "Le montant accordé à « CM1-CM2 » doit être un montant en euros"),
    ],
)
def test_montants_invalides_refuses_en_francais(client, agent59, dossier, saisie, message):
    client.force_login(agent59)
    reponse = client.post(_url(dossier), _donnees_acceptation(dossier, CM1_CM2=saisie))
    assert reponse.status_code == 200
    champ = f"montant_{_collectifs(dossier)['CM1-CM2'].pk}"
    assert message in reponse.context["form"].errors[champ][0]
    contenu = reponse.content.decode()
    assert f'href="#id_{champ}"' in contenu
    assert 'aria-invalid="true"' in contenu
    dossier.refresh_from_db()
    assert dossier.etat == Etat.PROPOSE_COMITE


def test_refus_motivation_preremplie_et_obligatoire(client, agent59, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(engagement_bilan=False)
    client.force_login(agent59)
    reponse = client.get(_url(dossier, "refuser"))
    motivation = reponse.context["form"].initial["motivation"]
    assert motivation.startswith(
        "Le dossier ne satisfait pas les critères suivants du référentiel national Clas :"
    )
    assert "- ENGAGEMENT-BILAN : " in motivation
    assert "- COLLECTIF-TAILLE (CE1) : Le collectif compte 6 enfants ;" in motivation
    assert "CM1-CM2" not in motivation  # les collectifs conformes n'y sont pas
    assert "COLLECTIF-TAILLE (CE1) : Le collectif compte 6 enfants" in reponse.content.decode()

    reponse = client.post(
        _url(dossier),
        {
            "decision": "refuser",
            "version": dossier.version,
            "motivation": "  ",
            "confirmation": "on",
        },
    )
    assert reponse.status_code == 200
    assert (
        "obligatoire pour refuser le dossier" in (reponse.context["form"].errors["motivation"][0])
    )
    dossier.refresh_from_db()
    assert dossier.etat == Etat.PROPOSE_COMITE

    texte = motivation + "\nAvis défavorable du comité."
    reponse = client.post(
        _url(dossier),
        {
            "decision": "refuser",
            "version": dossier.version,
            "motivation": texte,
            "confirmation": "on",
        },
    )
    assert reponse.status_code == 302
    dossier.refresh_from_db()
    assert dossier.etat == Etat.REFUSE
    assert dossier.motif_decision == texte.strip()
    assert dossier.montant_accorde is None
    assert dossier.evenements.get(etat_apres=Etat.REFUSE).commentaire == texte.strip()


def test_classement_sans_suite_depuis_l_instruction(client, agent59, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(etat=Etat.EN_INSTRUCTION)
    dossier.refresh_from_db()
    client.force_login(agent59)
    # Une seule décision possible : le formulaire s'ouvre directement.
    reponse = client.get(_url(dossier))
    assert reponse.context["form"].decision == "classer_sans_suite"
    assert "COLLECTIF-TAILLE (CE1)" in reponse.context["form"].initial["motivation"]

    reponse = client.post(
        _url(dossier),
        {
            "decision": "classer_sans_suite",
            "version": dossier.version,
            "motivation": "",
            "confirmation": "on",
        },
    )
    assert "obligatoire pour classer sans suite" in reponse.context["form"].errors["motivation"][0]

    reponse = client.post(
        _url(dossier),
        {
            "decision": "classer_sans_suite",
            "version": dossier.version,
            "motivation": "Le porteur a retiré sa demande.",
            "confirmation": "on",
        },
    )
    assert reponse.status_code == 302
    dossier.refresh_from_db()
    assert dossier.etat == Etat.SANS_SUITE
    assert dossier.motif_decision == "Le porteur a retiré sa demande."


def test_sans_critere_non_conforme_le_motif_est_a_ecrire(client, agent59, dossier):
    Collectif.objects.filter(dossier=dossier, nom="CE1").update(nombre_enfants=10)
    client.force_login(agent59)
    form = client.get(_url(dossier, "refuser")).context["form"]
    assert form.initial["motivation"] == ""
    assert "Aucun critère du référentiel n'est non conforme" in form["motivation"].help_text


def test_motivation_vide_sans_critere_non_conforme():
    evaluation = {"criteres": [{"code": "A", "statut": "conforme", "message": "ok"}]}
    assert decision.motivation_proposee(evaluation) == ""


# --- une seule transaction -----------------------------------------------------------------------


def test_transition_refusee_aucun_montant_enregistre(agent59, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(etat=Etat.EN_INSTRUCTION)
    dossier.refresh_from_db()
    # Des montants valides (la PS) : ils sont écrits, puis annulés avec la transition refusée.
    montants = {
        ligne.collectif.pk: ligne.montant_propose for ligne in decision.lignes_montants(dossier)
    }
    with (
        CaptureQueriesContext(connection) as requetes,
        pytest.raises(workflow.TransitionRefusee, match="impossible"),
    ):
        decision.decider(dossier, agent59, "accepter", version=dossier.version, montants=montants)
    # Les montants ont bien été écrits avant le refus de la transition…
    assert any(
        q["sql"].startswith("UPDATE") and "collectifs_collectif" in q["sql"]
        for q in requetes.captured_queries
    )
    # … et la transaction les a annulés.
    dossier.refresh_from_db()
    assert dossier.etat == Etat.EN_INSTRUCTION
    assert dossier.montant_accorde is None
    assert not Collectif.objects.filter(dossier=dossier, montant_accorde__isnull=False).exists()
    assert not dossier.evenements.exists()


def test_refus_sans_motif_ne_touche_pas_aux_montants(agent59, dossier):
    """Les montants sont effacés pour un refus… sauf si le refus lui-même est refusé."""
    Collectif.objects.filter(dossier=dossier).update(montant_accorde=Decimal("10.00"))
    Dossier.objects.filter(pk=dossier.pk).update(montant_accorde=Decimal("30.00"))
    with pytest.raises(workflow.TransitionRefusee, match="motif écrit"):
        decision.decider(dossier, agent59, "refuser", version=dossier.version, motif=" ")
    dossier.refresh_from_db()
    assert dossier.montant_accorde == Decimal("30.00")
    assert set(dossier.collectifs.values_list("montant_accorde", flat=True)) == {Decimal("10.00")}


def test_decision_impossible_par_la_vue(client, agent59, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(etat=Etat.EN_INSTRUCTION)
    client.force_login(agent59)
    reponse = client.post(_url(dossier), _donnees_acceptation(dossier), follow=True)
    assert "Cette décision n&#x27;est pas possible" in reponse.content.decode()
    dossier.refresh_from_db()
    assert dossier.etat == Etat.EN_INSTRUCTION
    assert dossier.montant_accorde is None


# --- verrouillage optimiste ----------------------------------------------------------------------


def test_conflit_de_version(client, agent59, dossier):
    client.force_login(agent59)
    donnees = _donnees_acceptation(dossier, CM1_CM2="1500,00")  # version lue à l'ouverture
    Dossier.objects.filter(pk=dossier.pk).update(version=F("version") + 1)  # un autre agent
    reponse = client.post(_url(dossier), donnees)
    assert reponse.status_code == 200
    contenu = reponse.content.decode()
    assert "Le dossier a été modifié depuis l&#x27;ouverture de ce formulaire" in contenu
    assert "n&#x27;a pas été enregistrée" in contenu
    assert 'value="1500,00"' in contenu  # la saisie est gardée
    dossier.refresh_from_db()
    assert dossier.etat == Etat.PROPOSE_COMITE
    assert dossier.montant_accorde is None
    assert not Collectif.objects.filter(dossier=dossier, montant_accorde__isnull=False).exists()
    # Le formulaire réaffiché porte la version actuelle : après relecture, on peut valider.
    assert reponse.context["form"]["version"].value() == str(dossier.version)
    donnees["version"] = str(dossier.version)
    assert client.post(_url(dossier), donnees).status_code == 302


def test_conflit_quand_un_autre_agent_a_deja_decide(client, agent59, dossier):
    client.force_login(agent59)
    donnees = _donnees_acceptation(dossier)
    autre = UtilisateurFactory(agent=True)
    workflow.appliquer(dossier, "refuser", autre, "Refus du comité.")
    reponse = client.post(_url(dossier), donnees, follow=True)
    assert "Cette décision n&#x27;est pas possible" in reponse.content.decode()
    dossier.refresh_from_db()
    assert dossier.etat == Etat.REFUSE
    assert dossier.montant_accorde is None


def test_conflit_par_le_service(agent59, dossier):
    with pytest.raises(decision.ConflitVersion):
        decision.decider(dossier, agent59, "refuser", version=dossier.version - 1, motif="Motif.")
    dossier.refresh_from_db()
    assert dossier.etat == Etat.PROPOSE_COMITE


# --- périmètre -----------------------------------------------------------------------------------


def test_perimetre_de_la_decision(client, dossier, agent23, porteur_user, secretariat59):
    donnees = _donnees_acceptation(dossier)
    client.force_login(agent23)
    assert client.get(_url(dossier)).status_code == 404
    assert client.post(_url(dossier), donnees).status_code == 404
    for utilisateur in (porteur_user, secretariat59, UtilisateurFactory(admin=True)):
        client.force_login(utilisateur)
        assert client.get(_url(dossier)).status_code == 403
        assert client.post(_url(dossier), donnees).status_code == 403
    client.logout()
    assert client.get(_url(dossier)).status_code == 302
    dossier.refresh_from_db()
    assert dossier.etat == Etat.PROPOSE_COMITE


# --- la lettre -----------------------------------------------------------------------------------


def _accepter(client, agent, dossier, **montants):
    client.force_login(agent)
    donnees = _donnees_acceptation(dossier, **montants)
    donnees["justification_depassement"] = "Décision du comité."
    assert client.post(_url(dossier), donnees).status_code == 302
    dossier.refresh_from_db()


def test_lettre_d_acceptation(client, agent59, porteur_user, dossier):
    _accepter(client, agent59, dossier, **{"6e-5e": "2600,50"})
    client.force_login(porteur_user)
    reponse = client.get(reverse("dossiers:lettre", args=[dossier.pk]))
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert reponse["Content-Disposition"] == (
        f'attachment; filename="lettre-de-decision-dossier-{dossier.pk}-2025-2026.pdf"'
    )
    assert reponse["X-Content-Type-Options"] == "nosniff"
    lecteur = PdfReader(io.BytesIO(reponse.content))
    assert lecteur.pages[0].mediabox.width == pytest.approx(595.3, abs=1)  # A4
    texte = _texte_pdf(reponse.content)
    porteur = dossier.porteur
    assert "Caf du Nord" in texte
    assert porteur.raison_sociale in texte
    assert porteur.siret in texte
    assert "1 rue de la République" in texte and "59100 Roubaix" in texte
    assert "Décision relative à votre demande de prestation de service Clas 2025-2026" in texte
    assert "acceptée" in texte
    assert format_date(timezone.localdate()) in texte
    for nom, montant in (("CM1-CM2", "1 625,00 €"), ("6e-5e", "2 600,50 €"), ("CE1", "0,00 €")):
        assert nom in texte
        assert montant in texte
    assert "2 562,95 €" in texte  # la PS calculée, pour mémoire
    assert "4 225,50 €" in texte  # le total accordé
    assert "Page 1 sur" in texte
    assert "Décision du comité." not in texte  # la justification reste interne


def test_lettre_inchangee_apres_modification_du_dossier(client, agent59, porteur_user, dossier):
    _accepter(client, agent59, dossier)
    client.force_login(porteur_user)
    url = reverse("dossiers:lettre", args=[dossier.pk])
    avant = _texte_pdf(client.get(url).content)
    assert "Association Test" in avant
    porteur = dossier.porteur
    porteur.raison_sociale = "Nouveau nom de l'association"
    porteur.adresse = "99 avenue Nouvelle"
    porteur.save()
    Collectif.objects.filter(dossier=dossier, nom="CM1-CM2").update(
        nom="Renommé", depenses_fonctionnement=Decimal("1.00")
    )
    Dossier.objects.filter(pk=dossier.pk).update(intitule="Autre intitulé")
    ParametresAnnee.objects.filter(annee=dossier.annee).update(prix_plafond=Decimal("100.00"))
    apres = _texte_pdf(client.get(url).content)
    assert apres == avant
    assert "Renommé" not in apres and "Nouveau nom" not in apres


def test_lettre_de_refus_porte_la_motivation(client, agent59, secretariat59, dossier):
    client.force_login(agent59)
    reponse = client.post(
        _url(dossier),
        {
            "decision": "refuser",
            "version": dossier.version,
            "motivation": "Le collectif CE1 compte 6 enfants.\nAvis défavorable.",
            "confirmation": "on",
        },
    )
    assert reponse.status_code == 302
    client.force_login(secretariat59)
    texte = _texte_pdf(client.get(reverse("dossiers:lettre", args=[dossier.pk])).content)
    assert "refusée" in texte
    assert "Le collectif CE1 compte 6 enfants. Avis défavorable." in texte
    assert "Montants accordés" not in texte


def test_lettre_sans_repartition_par_collectif(client, agent59, dossier):
    """Décision prise sans montants par collectif (import, démo) : seul le total fait foi."""
    workflow.appliquer(dossier, "accepter", agent59, "")
    Dossier.objects.filter(pk=dossier.pk).update(montant_accorde=Decimal("4000.00"))
    client.force_login(agent59)
    texte = _texte_pdf(client.get(reverse("dossiers:lettre", args=[dossier.pk])).content)
    assert "4 000,00 €" in texte
    assert "seul le total fait foi" in texte


def test_lettre_introuvable_avant_la_decision_et_hors_perimetre(
    client, agent59, agent23, porteur_user, dossier
):
    url = reverse("dossiers:lettre", args=[dossier.pk])
    client.force_login(porteur_user)
    assert client.get(url).status_code == 404
    _accepter(client, agent59, dossier)
    for utilisateur, attendu in (
        (agent59, 200),
        (UtilisateurFactory(admin=True), 200),
        (agent23, 404),
        (MembreFactory().utilisateur, 404),
    ):
        client.force_login(utilisateur)
        assert client.get(url).status_code == attendu, utilisateur
    client.logout()
    assert client.get(url).status_code == 302


# --- le résumé pour la page du dossier -----------------------------------------------------------


def test_resume_de_la_decision(client, agent59, porteur_user, dossier):
    assert render_to_string("dossiers/decision/_resume.html", {"dossier": dossier}).strip() == ""
    _accepter(client, agent59, dossier, CM1_CM2="1700")
    html = render_to_string(
        "dossiers/decision/_resume.html", {"dossier": dossier, "user": porteur_user}
    )
    assert "Décision : accepté" in html
    assert f"4{ESPACE_FINE}262,95{ESPACE_FINE}€" in html
    assert f"1{ESPACE_FINE}700,00{ESPACE_FINE}€" in html
    assert reverse("dossiers:lettre", args=[dossier.pk]) in html
    assert "Décision du comité." not in html  # justification : interne à la Caf
    html = render_to_string("dossiers/decision/_resume.html", {"dossier": dossier, "user": agent59})
    assert "Décision du comité." in html
    assert str(timezone.localdate().year) in html  # la date de la décision


# --- la confirmation -----------------------------------------------------------------------------


def _sans_espaces_fines(texte: str) -> str:
    return texte.replace(ESPACE_FINE, " ")


def test_la_case_nomme_la_decision_le_dossier_et_le_total(client, agent59, dossier):
    client.force_login(agent59)
    reponse = client.get(_url(dossier, "accepter"))
    form = reponse.context["form"]
    libelle = _sans_espaces_fines(form["confirmation"].label)
    assert libelle.startswith(
        "Je confirme l'acceptation du dossier « Coup de pouce Roubaix » "
        f"({dossier.porteur.raison_sociale}, 2025-2026) pour un montant total de 4 187,95 € ; "
        "le porteur sera prévenu par courriel"
    )
    contenu = reponse.content.decode()
    assert 'name="confirmation"' in contenu and "required" in contenu
    assert 'name="total_confirme" value="4187.95"' in contenu
    assert '<legend class="h5">Confirmation</legend>' in contenu

    libelle = client.get(_url(dossier, "refuser")).context["form"]["confirmation"].label
    assert libelle.startswith("Je confirme le refus du dossier « Coup de pouce Roubaix »")
    libelle = client.get(_url(dossier, "classer_sans_suite")).context["form"]["confirmation"].label
    assert libelle.startswith("Je confirme le classement sans suite du dossier")


def _rien_n_est_ecrit(dossier, version, mailoutbox):
    dossier.refresh_from_db()
    assert dossier.etat == Etat.PROPOSE_COMITE
    assert dossier.version == version
    assert dossier.montant_accorde is None
    assert dossier.motif_decision == ""
    assert not Collectif.objects.filter(dossier=dossier, montant_accorde__isnull=False).exists()
    assert not dossier.evenements.exists()
    assert not dossier.evaluations.filter(motif=Evaluation.Motif.DECISION).exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("nom", "action"),
    [("refuser", "refuser le dossier"), ("classer_sans_suite", "classer le dossier sans suite")],
)
def test_refus_ou_classement_sans_confirmation(
    client, agent59, dossier, mailoutbox, django_capture_on_commit_callbacks, nom, action
):
    client.force_login(agent59)
    version = dossier.version
    donnees = {"decision": nom, "version": version, "motivation": "Avis défavorable du comité."}
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(_url(dossier), donnees)
    assert reponse.status_code == 200
    message = reponse.context["form"].errors["confirmation"][0]
    assert message == (
        f"Cochez la case de confirmation pour {action} : la décision est définitive et le "
        "porteur en est prévenu par courriel."
    )
    contenu = reponse.content.decode()
    resume = contenu.split('id="erreurs-formulaire"')[1].split("</div>")[0]
    assert 'href="#id_confirmation"' in resume
    assert "Cochez la case de confirmation pour" in resume
    assert 'aria-invalid="true" aria-describedby="id_confirmation_error"' in contenu
    assert "Avis défavorable du comité." in contenu  # la saisie est gardée
    _rien_n_est_ecrit(dossier, version, mailoutbox)

    # Une case envoyée mais non cochée (valeur « false ») ne vaut pas confirmation.
    donnees["confirmation"] = "false"
    assert client.post(_url(dossier), donnees).status_code == 200
    _rien_n_est_ecrit(dossier, version, mailoutbox)


def test_acceptation_sans_confirmation(
    client, agent59, dossier, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(agent59)
    version = dossier.version
    donnees = _donnees_acceptation(dossier)
    del donnees["confirmation"]
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(_url(dossier), donnees)
    assert reponse.status_code == 200
    assert "pour accepter le dossier" in reponse.context["form"].errors["confirmation"][0]
    _rien_n_est_ecrit(dossier, version, mailoutbox)


def test_total_modifie_apres_la_confirmation(
    client, agent59, dossier, mailoutbox, django_capture_on_commit_callbacks
):
    """La case cochée confirmait 4 187,95 € ; l'agent a saisi 2 000 € : il confirme à nouveau."""
    client.force_login(agent59)
    version = dossier.version
    donnees = _donnees_acceptation(dossier, **{"6e-5e": "375"})
    donnees["total_confirme"] = "4187.95"  # le total affiché quand la page s'est ouverte
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(_url(dossier), donnees)
    assert reponse.status_code == 200
    form = reponse.context["form"]
    assert _sans_espaces_fines(form.errors["confirmation"][0]) == (
        "Le montant total accordé est maintenant de 2 000,00 € : vérifiez-le, puis cochez de "
        "nouveau la case de confirmation."
    )
    assert "pour un montant total de 2 000,00 €" in _sans_espaces_fines(form["confirmation"].label)
    contenu = reponse.content.decode()
    assert 'name="total_confirme" value="2000.00"' in contenu
    case = contenu.split('name="confirmation"')[1].split(">")[0]
    assert "checked" not in case  # la case est à recocher
    _rien_n_est_ecrit(dossier, version, mailoutbox)

    donnees["total_confirme"] = "2000.00"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_url(dossier), donnees).status_code == 302
    dossier.refresh_from_db()
    assert dossier.etat == Etat.ACCEPTE
    assert dossier.montant_accorde == Decimal("2000.00")
    assert len(mailoutbox) == 1


# --- prix plafond inconnu ------------------------------------------------------------------------


def test_prix_plafond_inconnu_dans_le_formulaire_et_la_lettre(client, agent59, dossier):
    ParametresAnnee.objects.filter(annee=dossier.annee).delete()
    client.force_login(agent59)
    contenu = client.get(_url(dossier, "accepter")).content.decode()
    assert "le prix plafond de l'année n'est pas encore fixé" in contenu
    assert "prix plafond non calculable" not in contenu

    _accepter(client, agent59, dossier)
    texte = _texte_pdf(client.get(reverse("dossiers:lettre", args=[dossier.pk])).content)
    assert "le prix plafond de l'année n'étant pas encore fixé à cette date" in texte
    assert "prix plafond de non calculable" not in texte
    assert "non calculable" in texte  # la PS des collectifs, pour mémoire


def test_prix_plafond_connu_dans_la_lettre(client, agent59, dossier):
    _accepter(client, agent59, dossier)
    texte = _texte_pdf(client.get(reverse("dossiers:lettre", args=[dossier.pk])).content)
    assert "dans la limite d'un prix plafond de 7 886,00 €" in texte
    assert "pas encore fixé" not in texte
