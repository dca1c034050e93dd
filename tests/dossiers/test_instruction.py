"""La page du dossier pour la Caf : synthèse, éligibilité figée et courante, liste de contrôle,
pièces (aperçu), notes internes, changements d'état, verrouillage optimiste, requêtes bornées."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime

from dossiers.evaluation import evaluer_dossier, figer_evaluation
from dossiers.forms_instruction import Conflit, PointsControleForm, Reperes
from dossiers.models import (
    Dossier,
    Etat,
    Evaluation,
    Evenement,
    Message,
    NotePrivee,
    PieceJustificative,
    PointControle,
)
from dossiers.views_instruction import criteres_changes
from porteurs.models import PiecePermanente
from tests.factories import (
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    MembreFactory,
    UtilisateurFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def autre_porteur(db):
    return MembreFactory(utilisateur__email="autre@asso.fr").utilisateur


@pytest.fixture
def agent_b(db):
    return UtilisateurFactory(agent=True, email="agent-b@caf.fr", prenom="Bérénice", nom="Bis")


def url_detail(dossier) -> str:
    return reverse("dossiers:detail", args=[dossier.pk])


def url_transition(dossier, nom) -> str:
    return reverse("dossiers:transition", args=[dossier.pk, nom])


def lire(reponse) -> str:
    return html.unescape(reponse.content.decode())


def url_ou_none(nom, *args):
    try:
        return reverse(nom, args=args)
    except NoReverseMatch:
        return None


def champs_caches(page: str, prefixe: str) -> dict:
    """Les champs cachés d'un formulaire de la page (version et repères), par nom court."""
    trouves = re.findall(rf'name="{prefixe}-(\w+)" value="(\d+)"', page)
    return dict(trouves)


def piece_dossier(dossier, nom="budget.pdf", contenu=PDF, mime="application/pdf", ext="pdf"):
    return PieceJustificative.objects.create(
        dossier=dossier,
        type="budget",
        fichier=SimpleUploadedFile(nom, contenu),
        nom_original=nom,
        type_mime=mime,
        extension=ext,
        taille=len(contenu),
    )


def piece_permanente(porteur, type_piece="rib", nom="rib.png", contenu=PNG, mime="image/png"):
    return PiecePermanente.objects.create(
        porteur=porteur,
        type=type_piece,
        fichier=SimpleUploadedFile(nom, contenu),
        nom_original=nom,
        type_mime=mime,
        extension=nom.rsplit(".", 1)[1],
        taille=len(contenu),
    )


def cocher(client, dossier, page: str, **points):
    """Soumet la liste de contrôle avec les repères lus dans ``page`` ; points : code → (coché,
    commentaire)."""
    donnees = {f"controle-{k}": v for k, v in champs_caches(page, "controle").items()}
    for code, (coche, commentaire) in points.items():
        if coche:
            donnees[f"controle-{code}_coche"] = "on"
        donnees[f"controle-{code}_commentaire"] = commentaire
    return client.post(reverse("dossiers:controle", args=[dossier.pk]), donnees)


def transition(client, dossier, nom, page: str, motif=None):
    donnees = {f"{nom}-{k}": v for k, v in champs_caches(page, nom).items()}
    if motif is not None:
        donnees[f"{nom}-motif"] = motif
    return client.post(url_transition(dossier, nom), donnees)


def en_etat(dossier, etat) -> Dossier:
    Dossier.objects.filter(pk=dossier.pk).update(etat=etat)
    dossier.refresh_from_db()
    return dossier


# --- La page, selon le rôle ------------------------------------------------------------------


class TestPage:
    def test_agent_voit_toute_l_instruction(self, client, agent59, dossier_59, porteur_user):
        CollectifFactory(dossier=dossier_59)
        piece_dossier(dossier_59)
        piece_permanente(dossier_59.porteur)
        NotePrivee.objects.create(dossier=dossier_59, auteur=agent59, texte="Appeler la mairie.")
        PointControle.objects.create(
            dossier=dossier_59, code="sdsf", coche=True, commentaire="Vu au Sdsf 2025.", par=agent59
        )
        Message.objects.create(dossier=dossier_59, auteur=porteur_user, texte="Bonjour la Caf.")
        client.force_login(agent59)
        reponse = client.get(url_detail(dossier_59))
        assert reponse.status_code == 200
        page = lire(reponse)
        for texte in [
            "Synthèse pour l'instruction",
            "Agent référent",
            "Éligibilité au regard du référentiel",
            "Définition d'un collectif d'enfants",  # la référence au texte du référentiel
            "Liste de contrôle de l'instruction",
            "Vu au Sdsf 2025.",
            "Pièces justificatives",
            "budget.pdf",
            "rib.png",
            "Notes internes de la Caf (1)",
            "Appeler la mairie.",
            "Échanges avec le porteur",
            "Bonjour la Caf.",
            "Historique du dossier",
        ]:
            assert texte in page, texte
        assert reverse("dossiers:controle", args=[dossier_59.pk]) in page
        assert reverse("dossiers:note", args=[dossier_59.pk]) in page
        assert champs_caches(page, "controle")["version"] == "1"

    def test_agent_referent_et_lien_d_assignation(self, client, agent59, dossier_59):
        Dossier.objects.filter(pk=dossier_59.pk).update(agent_referent=agent59)
        client.force_login(agent59)
        page = lire(client.get(url_detail(dossier_59)))
        assert agent59.get_full_name() in page.split("Agent référent")[1].split("</dd>")[0]
        assigner = url_ou_none("dossiers:assigner", dossier_59.pk)
        if assigner:  # page construite à part (partie A de l'issue 5)
            assert f'href="{assigner}"' in page

    def test_secretariat_en_lecture_seule(self, client, secretariat59, agent59, dossier_59):
        NotePrivee.objects.create(dossier=dossier_59, auteur=agent59, texte="Note de l'agent.")
        PointControle.objects.create(dossier=dossier_59, code="rural", coche=True, par=agent59)
        client.force_login(secretariat59)
        page = lire(client.get(url_detail(dossier_59)))
        assert "Note de l'agent." in page
        assert "Vérifié</span> par" in page
        assert reverse("dossiers:controle", args=[dossier_59.pk]) not in page
        assert reverse("dossiers:note", args=[dossier_59.pk]) not in page
        assert "/transition/" not in page
        assert "consulte le dossier sans en changer l" in page

    def test_admin_rouvre_un_dossier_decide(self, client, admin_national, dossier_59):
        en_etat(dossier_59, Etat.ACCEPTE)
        client.force_login(admin_national)
        page = lire(client.get(url_detail(dossier_59)))
        assert url_transition(dossier_59, "rouvrir") in page
        assert 'name="rouvrir-motif"' in page
        assert reverse("dossiers:note", args=[dossier_59.pk]) in page
        assert reverse("dossiers:controle", args=[dossier_59.pk]) not in page
        assert "la liste de contrôle est figée" in page

    @pytest.mark.parametrize("qui", ["agent59", "porteur_user"])
    def test_lien_vers_la_lettre_de_decision(self, client, request, qui, dossier_59):
        en_etat(dossier_59, Etat.ACCEPTE)
        client.force_login(request.getfixturevalue(qui))
        page = lire(client.get(url_detail(dossier_59)))
        lettre = url_ou_none("dossiers:lettre", dossier_59.pk)
        assert ("Télécharger la lettre de décision" in page) == bool(lettre)
        if lettre:  # page construite à part (partie C de l'issue 5)
            assert f'href="{lettre}"' in page

    def test_porteur_ne_voit_ni_notes_ni_controle(self, client, porteur_user, agent59, dossier_59):
        NotePrivee.objects.create(dossier=dossier_59, auteur=agent59, texte="Secret interne.")
        PointControle.objects.create(
            dossier=dossier_59, code="pieces", coche=True, commentaire="RIB illisible", par=agent59
        )
        client.force_login(porteur_user)
        reponse = client.get(url_detail(dossier_59))
        assert reponse.status_code == 200
        page = lire(reponse)
        for cache in [
            "Secret interne.",
            "Notes internes",
            "RIB illisible",
            "Liste de contrôle",
            "Synthèse pour l'instruction",
            "/transition/",
            "/controle/",
            "/notes/",
            "Décider",
        ]:
            assert cache not in page, cache
        assert "instruction" not in reponse.context
        # Ce que le porteur voyait déjà reste là.
        assert "Éligibilité au regard du référentiel" in page
        assert "Échanges avec la Caf" in page

    def test_agent_d_un_autre_departement(self, client, agent23, dossier_59):
        client.force_login(agent23)
        assert client.get(url_detail(dossier_59)).status_code == 404


# --- Évaluation figée et évaluation courante -------------------------------------------------


class TestEvaluations:
    @pytest.fixture
    def depose_avec_collectif(self, dossier_59):
        collectif = CollectifFactory(dossier=dossier_59, nombre_enfants=10, nom="Les Hiboux")
        CreneauFactory(collectif=collectif)
        figer_evaluation(dossier_59, Evaluation.Motif.DEPOT)
        return dossier_59, collectif

    def test_identiques_pas_de_comparaison(self, client, agent59, depose_avec_collectif):
        dossier, _ = depose_avec_collectif
        client.force_login(agent59)
        reponse = client.get(url_detail(dossier))
        page = lire(reponse)
        assert reponse.context["comparaison"] is None
        assert 'id="comparaison"' not in page
        assert "les données n'ont pas changé depuis" in page

    def test_cote_a_cote_quand_les_donnees_ont_change(self, client, agent59, depose_avec_collectif):
        dossier, collectif = depose_avec_collectif
        avant = evaluer_dossier(dossier)["collectifs"][0]
        collectif.nombre_enfants = 3
        collectif.save()
        apres = evaluer_dossier(dossier)["collectifs"][0]
        statut = {c["code"]: c["statut"] for c in apres["criteres"]}
        assert statut["COLLECTIF-TAILLE"] == "non_conforme"
        assert {c["code"]: c["statut"] for c in avant["criteres"]}["COLLECTIF-TAILLE"] == (
            "conforme"
        )

        client.force_login(agent59)
        reponse = client.get(url_detail(dossier))
        page = lire(reponse)
        comparaison = reponse.context["comparaison"]
        assert [c["code"] for c in comparaison["criteres"]] == ["COLLECTIF-TAILLE"]
        bloc = page.split('id="comparaison"')[1].split("Critères du dossier")[0]
        assert "Évaluation figée le" in bloc and "(dépôt du dossier)" in bloc
        assert "Évaluation actuelle (données d'aujourd'hui)" in bloc
        assert "Critères dont le statut a changé (1)" in bloc
        ligne = bloc.split('<code class="text-nowrap">COLLECTIF-TAILLE</code>')[1].split("</tr>")[0]
        assert "collectif 1 — Les Hiboux" in ligne
        assert "conforme" in ligne and "non conforme" in ligne
        assert "compte 3 enfants" in ligne
        assert "les données ont changé depuis l'évaluation figée" in page

    def test_criteres_changes_collectif_ajoute_ou_retire(self):
        def resultat(*collectifs):
            return {
                "criteres": [{"code": "A", "statut": "conforme", "message": "a"}],
                "collectifs": [
                    {
                        "index": i,
                        "nom": nom,
                        "criteres": [{"code": "T", "statut": s, "message": nom}],
                    }
                    for i, (nom, s) in enumerate(collectifs)
                ],
            }

        figee = resultat(("Un", "conforme"), ("Deux", "manquant"))
        courante = resultat(("Un", "non_conforme"))
        assert criteres_changes(figee, courante) == [
            {
                "code": "T",
                "collectif": 1,
                "nom_collectif": "Un",
                "avant": "conforme",
                "apres": "non_conforme",
                "message": "Un",
                "reference": "",
            },
            {
                "code": "T",
                "collectif": 2,
                "nom_collectif": "Deux",
                "avant": "manquant",
                "apres": None,
                "message": "Deux",
                "reference": "",
            },
        ]
        assert criteres_changes(figee, figee) == []


# --- Liste de contrôle -----------------------------------------------------------------------


class TestControle:
    def test_coche_enregistree_avec_qui_et_quand_puis_historique(
        self, client, agent59, agent_b, dossier_59
    ):
        client.force_login(agent59)
        page = lire(client.get(url_detail(dossier_59)))
        reponse = cocher(client, dossier_59, page, sdsf=(True, "Conforme au Sdsf du Nord."))
        assert reponse.status_code == 302
        assert reponse["Location"].endswith("#controle")
        (ligne,) = PointControle.objects.filter(dossier=dossier_59)
        assert (ligne.code, ligne.coche, ligne.commentaire, ligne.par) == (
            "sdsf",
            True,
            "Conforme au Sdsf du Nord.",
            agent59,
        )
        assert ligne.le is not None
        dossier_59.refresh_from_db()
        assert dossier_59.version == 2

        client.force_login(agent_b)
        page = lire(client.get(url_detail(dossier_59)))
        etat = page.split('id="etat-sdsf"')[1].split("</p>")[0]
        assert "Vérifié</span> par" in etat and agent59.get_full_name() in etat
        assert f">{date_format(localtime(ligne.le), 'j F Y à H:i')}</time>" in etat
        # L'agent B décoche : une ligne de plus, l'historique garde les deux.
        assert cocher(client, dossier_59, page, sdsf=(False, "")).status_code == 302
        assert PointControle.objects.filter(dossier=dossier_59).count() == 2
        page = lire(client.get(url_detail(dossier_59)))
        etat = page.split('id="etat-sdsf"')[1].split("</p>")[0]
        assert "décoché par" in etat and "Bérénice Bis" in etat
        historique = page.split("Historique <span")[1].split("</details>")[0]
        assert "(2)</summary>" in historique
        lignes = historique.split("<ol")[1].split("</li>")
        assert ": décoché" in lignes[0] and "Bérénice Bis" in lignes[0]  # plus récent d'abord
        assert ": vérifié" in lignes[1] and agent59.get_full_name() in lignes[1]
        assert "Conforme au Sdsf du Nord." in historique
        dossier_59.refresh_from_db()
        assert dossier_59.version == 3

    def test_sans_changement_rien_n_est_ecrit(self, client, agent59, dossier_59):
        client.force_login(agent59)
        page = lire(client.get(url_detail(dossier_59)))
        reponse = cocher(client, dossier_59, page)
        assert reponse.status_code == 302
        assert not PointControle.objects.exists()
        dossier_59.refresh_from_db()
        assert dossier_59.version == 1

    def test_commentaire_trop_long(self, client, agent59, dossier_59):
        client.force_login(agent59)
        page = lire(client.get(url_detail(dossier_59)))
        reponse = cocher(client, dossier_59, page, rural=(True, "x" * 300))
        assert reponse.status_code == 400
        assert "au plus 255 caractères" in lire(reponse)
        assert not PointControle.objects.exists()

    @pytest.mark.parametrize("qui", ["secretariat59", "admin_national"])
    def test_reserve_a_l_agent(self, client, request, qui, dossier_59):
        client.force_login(request.getfixturevalue(qui))
        reponse = client.post(
            reverse("dossiers:controle", args=[dossier_59.pk]),
            {"controle-version": "1", "controle-sdsf_coche": "on"},
        )
        assert reponse.status_code == 403
        assert "Seul un agent instructeur" in lire(reponse)
        assert not PointControle.objects.exists()

    def test_perimetre(self, client, agent23, porteur_user, dossier_59):
        for qui in (agent23, porteur_user):
            client.force_login(qui)
            reponse = client.post(
                reverse("dossiers:controle", args=[dossier_59.pk]),
                {"controle-version": "1", "controle-sdsf_coche": "on"},
            )
            assert reponse.status_code == 404
        assert not PointControle.objects.exists()

    def test_figee_apres_la_decision(self, client, agent59, dossier_59):
        en_etat(dossier_59, Etat.REFUSE)
        client.force_login(agent59)
        reponse = client.post(
            reverse("dossiers:controle", args=[dossier_59.pk]),
            {"controle-version": "1", "controle-sdsf_coche": "on"},
        )
        assert reponse.status_code == 403
        assert "figée : le dossier est décidé" in lire(reponse)
        assert not PointControle.objects.exists()


# --- Notes internes --------------------------------------------------------------------------


class TestNotes:
    def url(self, dossier):
        return reverse("dossiers:note", args=[dossier.pk])

    @pytest.mark.parametrize("qui", ["agent59", "admin_national"])
    def test_ajout(self, client, request, qui, dossier_59):
        auteur = request.getfixturevalue(qui)
        client.force_login(auteur)
        reponse = client.post(self.url(dossier_59), {"note-texte": "  À rappeler lundi.  "})
        assert reponse.status_code == 302
        assert reponse["Location"].endswith("#notes")
        note = NotePrivee.objects.get(dossier=dossier_59)
        assert (note.texte, note.auteur) == ("À rappeler lundi.", auteur)
        page = lire(client.get(url_detail(dossier_59)))
        assert "À rappeler lundi." in page and "Notes internes de la Caf (1)" in page
        # Une note ne touche pas la version : aucun conflit avec la liste de contrôle d'un autre.
        dossier_59.refresh_from_db()
        assert dossier_59.version == 1

    def test_note_vide(self, client, agent59, dossier_59):
        client.force_login(agent59)
        reponse = client.post(self.url(dossier_59), {"note-texte": "   "})
        assert reponse.status_code == 400
        assert "Écrivez la note avant de l'enregistrer." in lire(reponse)
        assert not NotePrivee.objects.exists()

    def test_secretariat_lit_sans_ecrire(self, client, secretariat59, dossier_59):
        client.force_login(secretariat59)
        reponse = client.post(self.url(dossier_59), {"note-texte": "Non."})
        assert reponse.status_code == 403
        assert "sans en écrire" in lire(reponse)
        assert not NotePrivee.objects.exists()

    def test_perimetre(self, client, agent23, porteur_user, dossier_59):
        for qui in (agent23, porteur_user):
            client.force_login(qui)
            assert client.post(self.url(dossier_59), {"note-texte": "Non."}).status_code == 404
        assert not NotePrivee.objects.exists()


# --- Pièces : aperçu et téléchargement -------------------------------------------------------


class TestApercus:
    def verifier_apercu(self, reponse, contenu, mime):
        assert reponse.status_code == 200
        assert reponse["Content-Type"] == mime
        assert reponse["Content-Disposition"].startswith("inline;")
        assert reponse["X-Content-Type-Options"] == "nosniff"
        assert reponse["Content-Security-Policy"] == "sandbox"
        assert "no-store" in reponse["Cache-Control"]
        assert b"".join(reponse.streaming_content) == contenu

    def test_piece_du_dossier(self, client, agent59, porteur_user, dossier_59):
        piece = piece_dossier(dossier_59)
        url = reverse("dossiers:piece_apercu", args=[dossier_59.pk, piece.pk])
        for qui in (agent59, porteur_user):
            client.force_login(qui)
            self.verifier_apercu(client.get(url), PDF, "application/pdf")

    def test_piece_permanente(self, client, agent59, dossier_59):
        piece = piece_permanente(dossier_59.porteur)
        client.force_login(agent59)
        url = reverse("dossiers:piece_permanente_apercu", args=[dossier_59.pk, piece.pk])
        self.verifier_apercu(client.get(url), PNG, "image/png")

    def test_perimetre(self, client, agent23, autre_porteur, dossier_59):
        piece = piece_dossier(dossier_59)
        permanente = piece_permanente(dossier_59.porteur)
        urls = [
            reverse("dossiers:piece_apercu", args=[dossier_59.pk, piece.pk]),
            reverse("dossiers:piece_permanente_apercu", args=[dossier_59.pk, permanente.pk]),
        ]
        for qui in (agent23, autre_porteur):
            client.force_login(qui)
            for url in urls:
                assert client.get(url).status_code == 404, (qui, url)

    def test_piece_d_une_autre_organisation_par_ce_dossier(self, client, agent59, dossier_59):
        ailleurs = DossierFactory(depose=True)
        etrangere = piece_permanente(ailleurs.porteur)
        autre_piece = piece_dossier(ailleurs)
        client.force_login(agent59)
        url = reverse("dossiers:piece_permanente_apercu", args=[dossier_59.pk, etrangere.pk])
        assert client.get(url).status_code == 404
        url = reverse("dossiers:piece_apercu", args=[dossier_59.pk, autre_piece.pk])
        assert client.get(url).status_code == 404

    def test_liens_et_vignette_sur_la_page(self, client, agent59, dossier_59):
        pdf = piece_dossier(dossier_59)
        image = piece_dossier(dossier_59, nom="photo.png", contenu=PNG, mime="image/png", ext="png")
        rib = piece_permanente(dossier_59.porteur)
        client.force_login(agent59)
        page = lire(client.get(url_detail(dossier_59)))
        apercu_pdf = reverse("dossiers:piece_apercu", args=[dossier_59.pk, pdf.pk])
        apercu_image = reverse("dossiers:piece_apercu", args=[dossier_59.pk, image.pk])
        apercu_rib = reverse("dossiers:piece_permanente_apercu", args=[dossier_59.pk, rib.pk])
        assert f'href="{apercu_pdf}" target="_blank" rel="noopener"' in page
        assert f'<img src="{apercu_pdf}"' not in page
        assert f'<img src="{apercu_image}"' in page
        assert f'<img src="{apercu_rib}"' in page
        assert reverse("dossiers:piece", args=[dossier_59.pk, pdf.pk]) in page
        assert reverse("porteurs:piece_telecharger", args=[dossier_59.porteur_id, rib.pk]) in page


# --- Changements d'état depuis la page -------------------------------------------------------


class TestTransitions:
    @pytest.mark.parametrize(
        ("qui", "etat", "presentes", "absentes"),
        [
            ("agent59", Etat.DEPOSE, ["instruire", "demander_complement"], ["proposer_comite"]),
            ("agent59", Etat.EN_INSTRUCTION, ["proposer_comite", "demander_complement"], []),
            ("agent59", Etat.COMPLEMENT_DEMANDE, [], ["instruire", "proposer_comite"]),
            ("agent59", Etat.PROPOSE_COMITE, [], ["proposer_comite", "accepter", "refuser"]),
            ("secretariat59", Etat.EN_INSTRUCTION, [], ["proposer_comite"]),
            ("admin_national", Etat.EN_INSTRUCTION, [], ["proposer_comite"]),
            ("admin_national", Etat.SANS_SUITE, ["rouvrir"], []),
            ("agent59", Etat.ACCEPTE, [], ["rouvrir"]),
        ],
    )
    def test_boutons_selon_le_role(
        self, client, request, dossier_59, qui, etat, presentes, absentes
    ):
        en_etat(dossier_59, etat)
        utilisateur = request.getfixturevalue(qui)
        client.force_login(utilisateur)
        page = lire(client.get(url_detail(dossier_59)))
        for nom in presentes:
            assert f'action="{url_transition(dossier_59, nom)}"' in page, nom
        for nom in absentes:
            assert url_transition(dossier_59, nom) not in page, nom
        # Les décisions ne sont jamais des boutons ici : un seul lien « Décider ».
        for nom in ("accepter", "refuser", "classer_sans_suite"):
            assert url_transition(dossier_59, nom) not in page
        decision = url_ou_none("dossiers:decision", dossier_59.pk)
        peut_decider = utilisateur.est_agent and etat in (
            Etat.DEPOSE,
            Etat.EN_INSTRUCTION,
            Etat.COMPLEMENT_DEMANDE,
            Etat.PROPOSE_COMITE,
        )
        assert (">Décider</a>" in page) == bool(decision and peut_decider)

    def test_instruire(
        self, client, agent59, porteur_user, dossier_59, mailoutbox,
        django_capture_on_commit_callbacks,
    ):  # fmt: skip
        client.force_login(agent59)
        page = lire(client.get(url_detail(dossier_59)))
        with django_capture_on_commit_callbacks(execute=True):
            reponse = transition(client, dossier_59, "instruire", page)
        assert reponse.status_code == 302
        dossier_59.refresh_from_db()
        assert (dossier_59.etat, dossier_59.version) == (Etat.EN_INSTRUCTION, 2)
        evenement = Evenement.objects.get(dossier=dossier_59)
        assert (evenement.etat_avant, evenement.etat_apres, evenement.auteur) == (
            Etat.DEPOSE,
            Etat.EN_INSTRUCTION,
            agent59,
        )
        (courriel,) = mailoutbox
        assert courriel.to == [porteur_user.email]
        suite = lire(client.get(reponse["Location"]))
        assert "« Commencer l'instruction » : fait." in suite

    def test_demander_un_complement_exige_le_texte(
        self, client, agent59, dossier_59, mailoutbox, django_capture_on_commit_callbacks
    ):
        client.force_login(agent59)
        page = lire(client.get(url_detail(dossier_59)))
        reponse = transition(client, dossier_59, "demander_complement", page, motif="   ")
        assert reponse.status_code == 400
        contenu = lire(reponse)
        assert "demande un texte : écrivez-le avant de valider." in contenu
        assert 'aria-invalid="true"' in contenu
        assert "1 erreur à corriger" in contenu
        dossier_59.refresh_from_db()
        assert (dossier_59.etat, dossier_59.version) == (Etat.DEPOSE, 1)
        assert not Evenement.objects.exists()

        with django_capture_on_commit_callbacks(execute=True):
            reponse = transition(
                client, dossier_59, "demander_complement", page, motif="Joignez le RIB."
            )
        assert reponse.status_code == 302
        dossier_59.refresh_from_db()
        assert dossier_59.etat == Etat.COMPLEMENT_DEMANDE
        assert Evenement.objects.get(dossier=dossier_59).commentaire == "Joignez le RIB."
        (courriel,) = mailoutbox
        assert "Joignez le RIB." in courriel.body

    def test_secretariat_refuse_en_francais(self, client, secretariat59, dossier_59):
        client.force_login(secretariat59)
        reponse = client.post(url_transition(dossier_59, "instruire"), {"instruire-version": "1"})
        assert reponse.status_code == 403
        assert "est réservé au rôle : agent Caf. Rien n'a été modifié." in lire(reponse)
        dossier_59.refresh_from_db()
        assert (dossier_59.etat, dossier_59.version) == (Etat.DEPOSE, 1)
        assert not Evenement.objects.exists()

    def test_porteur_refuse_en_francais(self, client, porteur_user, dossier_59):
        client.force_login(porteur_user)
        reponse = client.post(url_transition(dossier_59, "instruire"), {"instruire-version": "1"})
        assert reponse.status_code == 403
        assert "réservé au rôle : agent Caf" in lire(reponse)
        reponse = client.post(url_transition(dossier_59, "redeposer"), {})
        assert "se fait par le porteur, depuis son récapitulatif" in lire(reponse)
        dossier_59.refresh_from_db()
        assert dossier_59.etat == Etat.DEPOSE
        assert not Evenement.objects.exists()

    def test_agent_d_un_autre_departement(self, client, agent23, dossier_59):
        client.force_login(agent23)
        reponse = client.post(url_transition(dossier_59, "instruire"), {"instruire-version": "1"})
        assert reponse.status_code == 404
        dossier_59.refresh_from_db()
        assert dossier_59.etat == Etat.DEPOSE

    @pytest.mark.parametrize("nom", ["accepter", "refuser", "classer_sans_suite"])
    def test_les_decisions_passent_par_la_page_de_decision(self, client, agent59, dossier_59, nom):
        en_etat(dossier_59, Etat.PROPOSE_COMITE)
        client.force_login(agent59)
        reponse = client.post(
            url_transition(dossier_59, nom), {f"{nom}-version": "1", f"{nom}-motif": "Non."}
        )
        assert reponse.status_code == 400
        assert "se décide sur la page de décision" in lire(reponse)
        dossier_59.refresh_from_db()
        assert (dossier_59.etat, dossier_59.version) == (Etat.PROPOSE_COMITE, 1)

    def test_action_inconnue(self, client, agent59, dossier_59):
        client.force_login(agent59)
        reponse = client.post(url_transition(dossier_59, "envoler"), {})
        assert reponse.status_code == 400
        assert "« envoler » n'existe pas" in lire(reponse)

    def test_etat_qui_ne_le_permet_pas(self, client, agent59, dossier_59):
        en_etat(dossier_59, Etat.PROPOSE_COMITE)
        client.force_login(agent59)
        reponse = client.post(url_transition(dossier_59, "instruire"), {"instruire-version": "1"})
        assert reponse.status_code == 403
        assert "est impossible : le dossier est « proposé au comité »" in lire(reponse)
        assert not Evenement.objects.exists()


# --- Pas de travail perdu : verrouillage optimiste -------------------------------------------


class TestVerrouillage:
    def test_coche_concurrente(self, client, agent59, agent_b, dossier_59):
        # L'agent A ouvre la page…
        client.force_login(agent59)
        page_a = lire(client.get(url_detail(dossier_59)))
        # … l'agent B coche un point entre-temps…
        client.force_login(agent_b)
        page_b = lire(client.get(url_detail(dossier_59)))
        assert cocher(client, dossier_59, page_b, sdsf=(True, "Vu par B.")).status_code == 302
        # … puis l'agent A enregistre sa propre liste : refusée, rien n'est écrasé.
        client.force_login(agent59)
        reponse = cocher(
            client, dossier_59, page_a, participation=(True, "Gratuit."), sdsf=(False, "")
        )
        assert reponse.status_code == 409
        contenu = lire(reponse)
        alerte = contenu.split('id="conflit"')[1].split("</div>")[0]
        assert "Le dossier a changé pendant que vous le consultiez" in alerte
        assert "version n° 1" in alerte and "version n° 2" in alerte
        assert "Bérénice Bis" in alerte
        assert "cohérence avec le Sdsf vérifiée : vérifié — « Vu par B. »" in alerte
        assert "Votre saisie, non enregistrée" in alerte
        assert "participation des familles symbolique : vérifié — « Gratuit. »" in alerte
        # La case Sdsf, que A n'a pas touchée, n'est pas prise pour une décoche de sa part.
        assert "Sdsf vérifiée : non vérifié" not in alerte
        lignes = list(PointControle.objects.filter(dossier=dossier_59))
        assert [(p.code, p.coche, p.par) for p in lignes] == [("sdsf", True, agent_b)]
        dossier_59.refresh_from_db()
        assert dossier_59.version == 2
        # La page réaffichée est à jour : un nouvel envoi part de la version 2.
        assert champs_caches(contenu, "controle")["version"] == "2"
        assert cocher(client, dossier_59, contenu, participation=(True, "")).status_code == 302

    def test_transition_concurrente(
        self, client, agent59, agent_b, dossier_59, mailoutbox,
        django_capture_on_commit_callbacks,
    ):  # fmt: skip
        client.force_login(agent59)
        page_a = lire(client.get(url_detail(dossier_59)))
        client.force_login(agent_b)
        page_b = lire(client.get(url_detail(dossier_59)))
        assert transition(client, dossier_59, "instruire", page_b).status_code == 302
        client.force_login(agent59)
        with django_capture_on_commit_callbacks(execute=True):
            reponse = transition(
                client, dossier_59, "demander_complement", page_a, motif="Le RIB, svp."
            )
        assert reponse.status_code == 409
        contenu = lire(reponse)
        alerte = contenu.split('id="conflit"')[1].split("</div>")[0]
        assert "Bérénice Bis" in alerte
        assert "Changement d'état (déposé" in alerte and "en instruction)" in alerte
        assert "« Demander un complément au porteur », avec le texte : « Le RIB, svp. »" in alerte
        dossier_59.refresh_from_db()
        assert (dossier_59.etat, dossier_59.version) == (Etat.EN_INSTRUCTION, 2)
        assert Evenement.objects.filter(dossier=dossier_59).count() == 1
        assert len(mailoutbox) == 0
        # Le texte de l'agent A n'est pas perdu : il est repris dans le formulaire, à jour.
        bloc = contenu.split('id="transition-demander_complement"')[1].split("</details>")[0]
        assert " open>" in bloc.split("\n")[0] + ">"
        assert "Le RIB, svp.</textarea>" in bloc
        assert champs_caches(bloc, "demander_complement")["version"] == "2"

    def test_autre_modification_sans_trace(self, client, agent59, dossier_59):
        client.force_login(agent59)
        page = lire(client.get(url_detail(dossier_59)))
        Dossier.objects.filter(pk=dossier_59.pk).update(version=F("version") + 1)
        reponse = cocher(client, dossier_59, page, rural=(True, ""))
        assert reponse.status_code == 409
        assert "Une autre modification de la Caf" in lire(reponse)
        assert not PointControle.objects.exists()

    def test_deux_enregistrements_de_la_meme_version(self, agent59, agent_b, dossier_59):
        """Deux formulaires partis de la même version : le premier passe, le second non."""
        reperes = Reperes(version=1)
        formulaires = [
            PointsControleForm(
                {"version": "1", f"{code}_coche": "on"},
                dossier=Dossier.objects.get(pk=dossier_59.pk),
                utilisateur=qui,
                reperes=reperes,
                lignes=[],
            )
            for qui, code in ((agent59, "sdsf"), (agent_b, "rural"))
        ]
        assert all(f.is_valid() for f in formulaires)
        assert len(formulaires[0].save()) == 1
        with pytest.raises(Conflit) as conflit:
            formulaires[1].save()
        assert [p.code for p in conflit.value.points] == ["sdsf"]
        assert conflit.value.saisie == ["caractère rural des collectifs confirmé : vérifié"]
        assert list(PointControle.objects.values_list("code", flat=True)) == ["sdsf"]
        assert Dossier.objects.get(pk=dossier_59.pk).version == 2


# --- Requêtes bornées ------------------------------------------------------------------------


@pytest.mark.parametrize("qui", ["agent59", "secretariat59", "admin_national"])
def test_page_requetes_bornees(
    client, request, qui, dossier_59, agent59, porteur_user, django_assert_max_num_queries
):
    for collectif in CollectifFactory.create_batch(10, dossier=dossier_59):
        CreneauFactory.create_batch(2, collectif=collectif)
    figer_evaluation(dossier_59, Evaluation.Motif.DEPOT)
    Dossier.objects.filter(pk=dossier_59.pk).update(diagnostic="Changé depuis le dépôt.")
    autres = UtilisateurFactory.create_batch(4, agent=True)
    for i in range(20):
        NotePrivee.objects.create(dossier=dossier_59, auteur=autres[i % 4], texte=f"Note {i}")
        PointControle.objects.create(
            dossier=dossier_59,
            code=PointControle.Code.values[i % 4],
            coche=i % 2 == 0,
            commentaire=f"Coche {i}",
            par=autres[(i + 1) % 4],
        )
        Message.objects.create(dossier=dossier_59, auteur=porteur_user, texte=f"Message {i}")
        Evenement.objects.create(dossier=dossier_59, type="message", auteur=autres[i % 4])
    for i in range(5):
        piece_dossier(dossier_59, nom=f"piece-{i}.png", contenu=PNG, mime="image/png", ext="png")
    piece_permanente(dossier_59.porteur)
    piece_permanente(dossier_59.porteur, type_piece="statuts", nom="statuts.pdf", mime="x")
    client.force_login(request.getfixturevalue(qui))
    # session, compte, dossier (+ porteur, département, référent), collectifs (+ bilans),
    # créneaux, intervenants, paramètres de l'année, évaluation figée, historique, messages,
    # points de contrôle, notes, pièces du dossier, pièces permanentes, département du compte :
    # un nombre fixe, quel que soit le nombre de collectifs, de notes ou de coches.
    with django_assert_max_num_queries(16):
        reponse = client.get(url_detail(dossier_59))
    assert reponse.status_code == 200
    page = lire(reponse)
    assert page.count("Note ") >= 20
    assert "Notes internes de la Caf (20)" in page
    assert page.count('<img src="/dossiers/') == 6
    assert reponse.context["comparaison"] is not None
