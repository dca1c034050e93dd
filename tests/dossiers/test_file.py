"""La file d'attente des agents : onglets, filtres, tri, pagination, exports, assignation, comité."""

import csv
import datetime
import html
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dossiers.models import Dossier, Etat, Evaluation, Evenement
from tests.factories import (
    CollectifFactory,
    DossierFactory,
    PorteurFactory,
    UtilisateurFactory,
)

pytestmark = pytest.mark.django_db

LISTE = reverse("dossiers:liste")


def evaluation(dossier, verdict="eligible", ps="1000.00", motif="depot"):
    return Evaluation.objects.create(
        dossier=dossier,
        motif=motif,
        edition="cnaf-2019",
        parametres={},
        empreinte_entree="0" * 64,
        entree={},
        resultat={},
        verdict=verdict,
        montant_ps_total=Decimal(ps) if ps is not None else None,
    )


def dossier(etat=Etat.DEPOSE, **kwargs):
    kwargs.setdefault("depose_le", timezone.now())
    return DossierFactory(etat=etat, **kwargs)


def texte(reponse):
    """Le HTML de la réponse, entités décodées (les apostrophes sont échappées)."""
    return html.unescape(reponse.content.decode())


def pks(reponse):
    return [d.pk for d in reponse.context["dossiers"]]


@pytest.fixture
def file59(dep59, dep23):
    """Un dossier dans chaque état du 59, un brouillon du 59 et un dossier déposé du 23."""
    dossiers = {etat: dossier(etat) for etat in Etat.values if etat != Etat.BROUILLON}
    dossiers["brouillon"] = DossierFactory()
    dossiers["d23"] = dossier(porteur=PorteurFactory(departement=dep23, code_postal="23000"))
    return dossiers


# --- Onglets -----------------------------------------------------------------------------------


def test_onglets_et_compteurs(client, agent59, file59):
    client.force_login(agent59)
    reponse = client.get(LISTE)
    assert reponse.status_code == 200
    compteurs = {o["slug"]: o["nombre"] for o in reponse.context["onglets"]}
    assert compteurs == {
        "a_instruire": 2,
        "attente_porteur": 1,
        "comite": 1,
        "decides": 3,
        "tous": 7,
    }
    # L'agent arrive sur « À instruire » : déposé et en instruction, sans brouillon ni 23.
    assert reponse.context["onglet"].slug == "a_instruire"
    assert set(pks(reponse)) == {file59[Etat.DEPOSE].pk, file59[Etat.EN_INSTRUCTION].pk}
    page = reponse.content.decode()
    assert 'aria-current="page"' in page and "À instruire" in page
    assert "Dossiers du département 59" in page


@pytest.mark.parametrize(
    ("onglet", "etats"),
    [
        ("attente_porteur", {Etat.COMPLEMENT_DEMANDE}),
        ("comite", {Etat.PROPOSE_COMITE}),
        ("decides", {Etat.ACCEPTE, Etat.REFUSE, Etat.SANS_SUITE}),
        ("tous", set(Etat.values) - {Etat.BROUILLON}),
    ],
)
def test_chaque_onglet(client, agent59, file59, onglet, etats):
    client.force_login(agent59)
    reponse = client.get(LISTE, {"onglet": onglet})
    assert {Dossier.objects.get(pk=pk).etat for pk in pks(reponse)} == etats
    assert file59["d23"].pk not in pks(reponse)
    assert file59["brouillon"].pk not in pks(reponse)


def test_onglet_inconnu_revient_a_l_onglet_par_defaut(client, agent59, file59):
    client.force_login(agent59)
    assert client.get(LISTE, {"onglet": "nimporte"}).context["onglet"].slug == "a_instruire"


def test_secretariat_et_admin_arrivent_sur_tous(client, secretariat59, admin_national, file59):
    client.force_login(secretariat59)
    reponse = client.get(LISTE)
    assert reponse.context["onglet"].slug == "tous"
    assert len(pks(reponse)) == 7
    client.force_login(admin_national)
    reponse = client.get(LISTE)
    # L'administration voit tous les départements, jamais les brouillons dans la file.
    assert set(pks(reponse)) == {d.pk for k, d in file59.items() if k != "brouillon"}


def test_les_compteurs_suivent_les_filtres(client, agent59, file59):
    evaluation(file59[Etat.DEPOSE], verdict="non_eligible")
    client.force_login(agent59)
    reponse = client.get(LISTE, {"verdict": "non_eligible"})
    compteurs = {o["slug"]: o["nombre"] for o in reponse.context["onglets"]}
    assert compteurs["a_instruire"] == 1 and compteurs["tous"] == 1 and compteurs["decides"] == 0


def test_secretariat_en_lecture_seule(client, secretariat59, file59):
    client.force_login(secretariat59)
    page = client.get(LISTE).content.decode()
    assert 'id="form-lot"' not in page
    assert "Réassigner" not in page and ">Confier<" not in page
    assert reverse("dossiers:assigner", args=[file59[Etat.DEPOSE].pk]) not in page


def test_le_porteur_garde_son_accueil(client, porteur_user, dossier_59):
    client.force_login(porteur_user)
    reponse = client.get(LISTE)
    assert [t.name for t in reponse.templates][0] == "dossiers/porteur_accueil.html"


# --- États vides -------------------------------------------------------------------------------


def test_etat_vide_sans_dossier(client, agent59):
    client.force_login(agent59)
    page = client.get(LISTE).content.decode()
    assert "Aucun dossier déposé pour l'instant" in page


def test_etat_vide_avec_filtres_propose_les_autres_onglets(client, agent59, file59):
    client.force_login(agent59)
    page = client.get(LISTE, {"etat": Etat.ACCEPTE}).content.decode()
    assert "Aucun dossier ne correspond à ces filtres" in page
    assert "décidés (1)" in page
    assert "Effacer les filtres" in page


def test_etat_vide_d_un_onglet_sans_filtre(client, agent59):
    dossier(Etat.ACCEPTE)
    client.force_login(agent59)
    page = client.get(LISTE).content.decode()
    assert "Aucun dossier dans l'onglet « À instruire »" in page
    assert "décidés (1)" in page


# --- Filtres -----------------------------------------------------------------------------------


def test_filtre_etat(client, agent59, file59):
    client.force_login(agent59)
    reponse = client.get(LISTE, {"onglet": "tous", "etat": Etat.REFUSE})
    assert pks(reponse) == [file59[Etat.REFUSE].pk]


def test_filtre_verdict_dernier_fige(client, agent59):
    a, b, c = dossier(), dossier(), dossier()
    evaluation(a, verdict="non_eligible")
    evaluation(a, verdict="eligible")  # la dernière compte
    evaluation(b, verdict="eligible")
    evaluation(b, verdict="incomplet")
    client.force_login(agent59)
    assert pks(client.get(LISTE, {"verdict": "eligible"})) == [a.pk]
    assert pks(client.get(LISTE, {"verdict": "incomplet"})) == [b.pk]
    assert pks(client.get(LISTE, {"verdict": "non_eligible"})) == []
    assert pks(client.get(LISTE, {"verdict": "aucun"})) == [c.pk]


def test_filtre_annee(client, agent59):
    d24 = dossier(annee=2024)
    d25 = dossier(annee=2025)
    client.force_login(agent59)
    assert pks(client.get(LISTE, {"annee": "2024"})) == [d24.pk]
    assert pks(client.get(LISTE, {"annee": "2025"})) == [d25.pk]
    # Une année sans dossier n'est pas un choix : le filtre est ignoré, l'erreur est dite.
    reponse = client.get(LISTE, {"annee": "1999"})
    assert set(pks(reponse)) == {d24.pk, d25.pk}
    assert "Certains filtres n'ont pas pu être appliqués" in reponse.content.decode()


def test_filtre_commune(client, agent59):
    lille = dossier(porteur=PorteurFactory(commune="Lille"))
    dossier(porteur=PorteurFactory(commune="Roubaix"))
    client.force_login(agent59)
    assert pks(client.get(LISTE, {"commune": "lil"})) == [lille.pk]


def test_filtre_assignes_a_moi_et_agent(client, agent59):
    collegue = UtilisateurFactory(agent=True)
    a_moi = dossier(agent_referent=agent59)
    au_collegue = dossier(agent_referent=collegue)
    personne = dossier()
    client.force_login(agent59)
    assert pks(client.get(LISTE, {"moi": "on"})) == [a_moi.pk]
    assert pks(client.get(LISTE, {"agent": str(collegue.pk)})) == [au_collegue.pk]
    assert pks(client.get(LISTE, {"agent": "aucun"})) == [personne.pk]
    page = client.get(LISTE).content.decode()
    assert "Assignés à moi" in page


def test_filtre_agent_ne_propose_que_les_agents_du_perimetre(client, agent59, agent23):
    dossier()
    client.force_login(agent59)
    reponse = client.get(LISTE)
    choix = dict(reponse.context["filtres"].form.fields["agent"].choices)
    assert str(agent59.pk) in choix and str(agent23.pk) not in choix
    # Un agent d'un autre département n'est pas un choix valide.
    reponse = client.get(LISTE, {"agent": str(agent23.pk)})
    assert reponse.context["filtres"].errors


@pytest.mark.parametrize(
    "recherche",
    ["Médiathèque", "médiathèque du", "siret", "Tourcoing", "REF-2025-042", "numero"],
)
def test_recherche_libre(client, agent59, recherche):
    porteur = PorteurFactory(raison_sociale="Médiathèque du Nord", commune="Tourcoing")
    cible = dossier(porteur=porteur, reference="REF-2025-042")
    dossier()  # un autre, qui ne doit pas sortir
    valeurs = {"siret": porteur.siret[:9], "numero": str(cible.pk)}
    client.force_login(agent59)
    trouves = pks(client.get(LISTE, {"q": valeurs.get(recherche, recherche)}))
    if recherche == "numero":  # un numéro court peut aussi figurer dans une raison sociale
        assert cible.pk in trouves
    else:
        assert trouves == [cible.pk]


def test_filtre_departement_pour_l_admin(client, admin_national, file59):
    client.force_login(admin_national)
    reponse = client.get(LISTE, {"onglet": "tous", "departement": "23"})
    assert pks(reponse) == [file59["d23"].pk]


def test_filtre_departement_absent_pour_l_agent(client, agent59, file59):
    client.force_login(agent59)
    reponse = client.get(LISTE, {"onglet": "tous", "departement": "23"})
    assert "departement" not in reponse.context["filtres"].form.fields
    assert file59["d23"].pk not in pks(reponse)
    assert len(pks(reponse)) == 7


def test_formulaire_de_filtres_accessible(client, agent59, file59):
    client.force_login(agent59)
    page = client.get(LISTE).content.decode()
    for champ in ("q", "etat", "verdict", "annee", "commune", "agent", "moi"):
        assert f'for="id_{champ}"' in page, champ
    assert "<legend" in page and "Filtrer les dossiers" in page
    assert "<caption" in page


# --- Tri ---------------------------------------------------------------------------------------


def test_tri_par_colonne(client, agent59):
    b = dossier(porteur=PorteurFactory(raison_sociale="Bravo"))
    a = dossier(porteur=PorteurFactory(raison_sociale="Alpha"))
    c = dossier(porteur=PorteurFactory(raison_sociale="Charlie"))
    client.force_login(agent59)
    assert pks(client.get(LISTE, {"tri": "porteur"})) == [a.pk, b.pk, c.pk]
    reponse = client.get(LISTE, {"tri": "-porteur"})
    assert pks(reponse) == [c.pk, b.pk, a.pk]
    page = reponse.content.decode()
    assert 'aria-sort="descending"' in page
    assert page.count("aria-sort=") == 1
    # Le lien de l'en-tête trié propose l'ordre inverse.
    assert "?tri=porteur" in page


def test_tri_par_date_de_depot_et_par_defaut(client, agent59):
    maintenant = timezone.now()
    ancien = dossier(depose_le=maintenant - datetime.timedelta(days=10))
    recent = dossier(depose_le=maintenant)
    client.force_login(agent59)
    # À instruire : le plus ancien dépôt d'abord.
    reponse = client.get(LISTE)
    assert pks(reponse) == [ancien.pk, recent.pk]
    assert 'aria-sort="ascending"' in reponse.content.decode()
    assert pks(client.get(LISTE, {"tri": "-depose_le"})) == [recent.pk, ancien.pk]


def test_tri_par_ps_et_collectifs_valeurs_absentes_en_dernier(client, agent59):
    petit, grand, sans = dossier(), dossier(), dossier()
    evaluation(petit, ps="100.00")
    evaluation(grand, ps="9000.00")
    CollectifFactory.create_batch(3, dossier=petit)
    CollectifFactory(dossier=grand)
    client.force_login(agent59)
    assert pks(client.get(LISTE, {"tri": "ps"})) == [petit.pk, grand.pk, sans.pk]
    assert pks(client.get(LISTE, {"tri": "-ps"})) == [grand.pk, petit.pk, sans.pk]
    assert pks(client.get(LISTE, {"tri": "-collectifs"})) == [petit.pk, grand.pk, sans.pk]


def test_tri_par_etat_suit_le_cycle_de_vie(client, agent59, file59):
    client.force_login(agent59)
    etats = [
        Dossier.objects.get(pk=pk).etat
        for pk in pks(client.get(LISTE, {"onglet": "tous", "tri": "etat"}))
    ]
    assert etats == [e for e in Etat.values if e != Etat.BROUILLON]


@pytest.mark.parametrize("tri", ["inconnu", "-password", "porteur__siret", "", "--porteur"])
def test_cle_de_tri_inconnue_ignoree(client, agent59, tri):
    maintenant = timezone.now()
    ancien = dossier(depose_le=maintenant - datetime.timedelta(days=3))
    recent = dossier(depose_le=maintenant)
    client.force_login(agent59)
    reponse = client.get(LISTE, {"tri": tri})
    assert reponse.status_code == 200
    assert pks(reponse) == [ancien.pk, recent.pk]


# --- Pagination --------------------------------------------------------------------------------


def test_pagination_garde_les_filtres(client, agent59):
    for _ in range(120):
        dossier(annee=2025)
    dossier(annee=2024)
    client.force_login(agent59)
    reponse = client.get(LISTE, {"annee": "2025", "tri": "porteur", "page": "2"})
    assert reponse.context["page_obj"].number == 2
    assert reponse.context["paginator"].count == 120
    assert reponse.context["paginator"].num_pages == 3
    assert len(pks(reponse)) == 50
    page = reponse.content.decode()
    assert "?annee=2025&amp;tri=porteur&amp;page=3" in page
    assert "?annee=2025&amp;tri=porteur&amp;page=1" in page
    # Les liens de tri et d'export gardent les filtres et reviennent à la première page.
    assert "?annee=2025&amp;tri=-porteur" in page
    assert reverse("dossiers:export", args=["csv"]) + "?annee=2025&amp;tri=porteur" in page
    # Une page hors limites donne la dernière, pas une erreur.
    assert client.get(LISTE, {"annee": "2025", "page": "99"}).context["page_obj"].number == 3


# --- Exports -----------------------------------------------------------------------------------


def lire_csv(reponse):
    contenu = reponse.content.decode("utf-8")
    assert contenu.startswith("\ufeff")
    return list(csv.reader(io.StringIO(contenu[1:]), delimiter=";"))


def lire_xlsx(reponse):
    feuille = load_workbook(io.BytesIO(reponse.content)).active
    return feuille, [list(r) for r in feuille.iter_rows(values_only=True)]


@pytest.fixture
def a_exporter(agent59, dep23):
    lille = dossier(
        porteur=PorteurFactory(raison_sociale="=HYPERLIEN(1)", commune="Lille"),
        annee=2025,
        montant_demande=Decimal("12345.60"),
        depose_le=timezone.make_aware(datetime.datetime(2025, 10, 3, 23, 30)),
        agent_referent=agent59,
    )
    evaluation(lille, ps="2562.95")
    CollectifFactory.create_batch(3, dossier=lille)
    roubaix = dossier(porteur=PorteurFactory(commune="Roubaix"), annee=2025)
    autre_annee = dossier(porteur=PorteurFactory(commune="Lille"), annee=2024)
    d23 = dossier(porteur=PorteurFactory(departement=dep23, code_postal="23000"), annee=2025)
    return {"lille": lille, "roubaix": roubaix, "2024": autre_annee, "d23": d23}


def test_export_csv_de_la_liste_filtree(client, agent59, a_exporter):
    client.force_login(agent59)
    url = reverse("dossiers:export", args=["csv"])
    reponse = client.get(url, {"annee": "2025", "commune": "Lille"})
    assert reponse.status_code == 200
    assert reponse["Content-Type"].startswith("text/csv")
    assert 'filename="dossiers-59-2025-2026.csv"' in reponse["Content-Disposition"]
    lignes = lire_csv(reponse)
    entete, donnees = lignes[0], lignes[1:]
    assert entete[:3] == ["Numéro", "Référence", "Porteur"]
    assert [int(ligne[0]) for ligne in donnees] == [a_exporter["lille"].pk]
    ligne = dict(zip(entete, donnees[0], strict=True))
    assert ligne["Porteur"] == "'=HYPERLIEN(1)"  # jamais une formule dans le tableur
    assert ligne["Collectifs"] == "3"
    assert ligne["PS calculée (€)"] == "2562,95"
    assert ligne["Montant demandé (€)"] == "12345,60"
    assert ligne["Déposé le"] == "03/10/2025"  # heure de Paris
    assert ligne["Agent référent"] == str(agent59)
    assert ligne["Département"] == "59"


def test_export_xlsx_de_la_liste_filtree(client, agent59, a_exporter):
    client.force_login(agent59)
    reponse = client.get(reverse("dossiers:export", args=["xlsx"]), {"annee": "2025"})
    assert reponse.status_code == 200
    assert 'filename="dossiers-59-2025-2026.xlsx"' in reponse["Content-Disposition"]
    feuille, lignes = lire_xlsx(reponse)
    entete = lignes[0]
    assert {ligne[0] for ligne in lignes[1:]} == {
        a_exporter["lille"].pk,
        a_exporter["roubaix"].pk,
    }
    colonne = {nom: i for i, nom in enumerate(entete)}
    ligne = next(r for r in lignes[1:] if r[0] == a_exporter["lille"].pk)
    assert ligne[colonne["Porteur"]] == "=HYPERLIEN(1)"
    assert ligne[colonne["PS calculée (€)"]] == pytest.approx(2562.95)
    assert ligne[colonne["Montant demandé (€)"]] == pytest.approx(12345.60)
    assert ligne[colonne["Déposé le"]] == datetime.datetime(2025, 10, 3)
    assert ligne[colonne["Collectifs"]] == 3
    rang = lignes.index(ligne) + 1
    cellule_ps = feuille.cell(row=rang, column=colonne["PS calculée (€)"] + 1)
    assert "€" in cellule_ps.number_format
    cellule_porteur = feuille.cell(row=rang, column=colonne["Porteur"] + 1)
    assert cellule_porteur.data_type == "s"
    assert feuille.cell(row=rang, column=colonne["Déposé le"] + 1).is_date
    assert feuille.freeze_panes == "A2"


def test_export_suit_l_onglet_et_toutes_les_pages(client, agent59):
    for _ in range(60):
        dossier()
    dossier(Etat.ACCEPTE)
    client.force_login(agent59)
    lignes = lire_csv(client.get(reverse("dossiers:export", args=["csv"])))
    assert len(lignes) == 61  # l'en-tête et les 60 dossiers à instruire, toutes pages
    lignes = lire_csv(client.get(reverse("dossiers:export", args=["csv"]), {"onglet": "tous"}))
    assert len(lignes) == 62


def test_export_ne_sort_jamais_du_perimetre(client, agent23, a_exporter):
    client.force_login(agent23)
    for fmt in ("csv", "xlsx"):
        url = reverse("dossiers:export", args=[fmt])
        for params in ({}, {"onglet": "tous"}, {"departement": "59"}, {"q": "Lille"}):
            reponse = client.get(url, params)
            if fmt == "csv":
                numeros = {int(r[0]) for r in lire_csv(reponse)[1:]}
            else:
                numeros = {r[0] for r in lire_xlsx(reponse)[1][1:]}
            assert numeros <= {a_exporter["d23"].pk}, (fmt, params)
            assert a_exporter["lille"].pk not in numeros
    assert "dossiers-23" in reponse["Content-Disposition"]


def test_export_nom_de_fichier_de_l_admin(client, admin_national, a_exporter):
    client.force_login(admin_national)
    reponse = client.get(reverse("dossiers:export", args=["csv"]), {"departement": "23"})
    assert 'filename="dossiers-23.csv"' in reponse["Content-Disposition"]
    assert [int(r[0]) for r in lire_csv(reponse)[1:]] == [a_exporter["d23"].pk]
    reponse = client.get(reverse("dossiers:export", args=["csv"]), {"onglet": "tous"})
    assert 'filename="dossiers-national.csv"' in reponse["Content-Disposition"]


def test_export_refuse(client, porteur_user, agent59):
    client.force_login(agent59)
    assert client.get(reverse("dossiers:export", args=["pdf"])).status_code == 404
    client.force_login(porteur_user)
    assert client.get(reverse("dossiers:export", args=["csv"])).status_code == 403


# --- Assignation -------------------------------------------------------------------------------


def assigner(client, d, **donnees):
    return client.post(reverse("dossiers:assigner", args=[d.pk]), donnees)


def test_page_d_assignation(client, agent59):
    d = dossier()
    UtilisateurFactory(agent=True, prenom="Inès", nom="Collègue")
    UtilisateurFactory(agent=True, prenom="Ancien", nom="Parti", is_active=False)
    client.force_login(agent59)
    reponse = client.get(reverse("dossiers:assigner", args=[d.pk]))
    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert "Inès Collègue" in page and "Ancien Parti" not in page
    assert "Me le confier" in page
    assert 'for="id_agent"' in page


def test_assignation_a_un_collegue_ecrit_l_evenement(client, agent59):
    d = dossier(Etat.EN_INSTRUCTION)
    version = d.version
    collegue = UtilisateurFactory(agent=True, prenom="Inès", nom="Collègue")
    client.force_login(agent59)
    reponse = assigner(client, d, agent=collegue.pk)
    assert reponse.status_code == 302
    assert reponse.url == reverse("dossiers:detail", args=[d.pk])
    d.refresh_from_db()
    assert d.agent_referent == collegue
    assert d.version == version + 1
    assert d.etat == Etat.EN_INSTRUCTION
    evenement = Evenement.objects.get(dossier=d)
    assert evenement.type == Evenement.Type.TRANSITION
    assert evenement.etat_avant == evenement.etat_apres == Etat.EN_INSTRUCTION
    assert evenement.auteur == agent59
    assert evenement.commentaire == f"Dossier confié à Inès Collègue par {agent59}."


def test_se_confier_puis_reassigner(client, agent59):
    d = dossier()
    collegue = UtilisateurFactory(agent=True)
    client.force_login(agent59)
    assigner(client, d, moi="1")
    d.refresh_from_db()
    assert d.agent_referent == agent59
    assigner(client, d, agent=collegue.pk)
    d.refresh_from_db()
    assert d.agent_referent == collegue
    dernier = Evenement.objects.filter(dossier=d).last()
    assert f"auparavant suivi par {agent59}" in dernier.commentaire
    # Confier à l'agent déjà référent n'écrit rien.
    assigner(client, d, agent=collegue.pk)
    assert Evenement.objects.filter(dossier=d).count() == 2


def test_assignation_a_un_agent_d_un_autre_departement_refusee(client, agent59, agent23):
    d = dossier()
    client.force_login(agent59)
    reponse = assigner(client, d, agent=agent23.pk)
    assert reponse.status_code == 200
    assert "Choisissez un agent Caf actif du département 59" in reponse.content.decode()
    d.refresh_from_db()
    assert d.agent_referent is None
    assert not Evenement.objects.filter(dossier=d).exists()


def test_assignation_a_un_agent_inactif_ou_non_agent_refusee(client, agent59, secretariat59):
    d = dossier()
    inactif = UtilisateurFactory(agent=True, is_active=False)
    client.force_login(agent59)
    for cible in (inactif, secretariat59):
        reponse = assigner(client, d, agent=cible.pk)
        assert "Choisissez un agent Caf actif du département 59" in reponse.content.decode()
    reponse = assigner(client, d)
    assert "Choisissez l'agent à qui confier le dossier" in texte(reponse)
    d.refresh_from_db()
    assert d.agent_referent is None


def test_assignation_droits(client, porteur_user, secretariat59, agent23, admin_national, agent59):
    d = dossier()
    url = reverse("dossiers:assigner", args=[d.pk])
    client.force_login(porteur_user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"agent": agent59.pk}).status_code == 403
    client.force_login(secretariat59)
    assert client.post(url, {"agent": agent59.pk}).status_code == 403
    client.force_login(agent23)
    assert client.post(url, {"agent": agent59.pk}).status_code == 404
    assert client.post(url, {"moi": "1"}).status_code == 404
    d.refresh_from_db()
    assert d.agent_referent is None
    # L'administrateur national confie à un agent du département, pas à lui-même.
    client.force_login(admin_national)
    assert client.post(url, {"moi": "1"}).status_code == 200
    assert client.post(url, {"agent": agent59.pk}).status_code == 302
    d.refresh_from_db()
    assert d.agent_referent == agent59


def test_assignation_retour_a_la_file(client, agent59):
    d = dossier()
    client.force_login(agent59)
    suivant = LISTE + "?onglet=tous&annee=2025"
    reponse = client.post(
        reverse("dossiers:assigner", args=[d.pk]), {"moi": "1", "suivant": suivant}
    )
    assert reponse.url == suivant
    reponse = client.post(
        reverse("dossiers:assigner", args=[d.pk]), {"moi": "1", "suivant": "https://ailleurs.fr/"}
    )
    assert reponse.url == reverse("dossiers:detail", args=[d.pk])


def test_assignation_par_lot(client, agent59):
    a, b, deja = dossier(), dossier(), dossier()
    collegue = UtilisateurFactory(agent=True)
    deja.agent_referent = collegue
    deja.save()
    client.force_login(agent59)
    suivant = LISTE + "?tri=porteur"
    reponse = client.post(
        reverse("dossiers:assigner_lot"),
        {"lot-dossiers": [a.pk, b.pk, deja.pk], "lot-agent": collegue.pk, "suivant": suivant},
        follow=True,
    )
    assert reponse.redirect_chain[-1][0] == suivant
    assert "2 dossiers confiés à" in texte(reponse)
    assert set(Dossier.objects.filter(agent_referent=collegue)) == {a, b, deja}
    assert Evenement.objects.filter(dossier__in=[a, b]).count() == 2
    reponse = client.post(
        reverse("dossiers:assigner_lot"), {"lot-dossiers": [a.pk], "lot-moi": "1"}, follow=True
    )
    a.refresh_from_db()
    assert a.agent_referent == agent59


def test_assignation_par_lot_refusee_hors_perimetre(client, agent59, agent23, dep23):
    d59 = dossier()
    d23 = dossier(porteur=PorteurFactory(departement=dep23, code_postal="23000"))
    client.force_login(agent59)
    reponse = client.post(
        reverse("dossiers:assigner_lot"),
        {"lot-dossiers": [d59.pk, d23.pk], "lot-moi": "1"},
        follow=True,
    )
    assert "n'est pas dans votre périmètre" in texte(reponse)
    reponse = client.post(
        reverse("dossiers:assigner_lot"),
        {"lot-dossiers": [d59.pk], "lot-agent": agent23.pk},
        follow=True,
    )
    assert "Choisissez un agent Caf actif de votre département" in reponse.content.decode()
    reponse = client.post(reverse("dossiers:assigner_lot"), {"lot-moi": "1"}, follow=True)
    assert "Cochez au moins un dossier" in reponse.content.decode()
    assert not Dossier.objects.filter(agent_referent__isnull=False).exists()


def test_assignation_par_lot_de_l_admin_verifie_le_departement(
    client, admin_national, agent59, dep23
):
    d23 = dossier(porteur=PorteurFactory(departement=dep23, code_postal="23000"))
    dossier()  # un dossier du 59 : les agents du 59 sont dans le périmètre de l'admin
    client.force_login(admin_national)
    reponse = client.post(
        reverse("dossiers:assigner_lot"),
        {"lot-dossiers": [d23.pk], "lot-agent": agent59.pk},
        follow=True,
    )
    assert "un dossier ne se confie qu'à un agent de son département" in texte(reponse)
    d23.refresh_from_db()
    assert d23.agent_referent is None


def test_assignation_par_lot_droits(client, secretariat59, porteur_user):
    d = dossier()
    for user in (secretariat59, porteur_user):
        client.force_login(user)
        reponse = client.post(reverse("dossiers:assigner_lot"), {"lot-dossiers": [d.pk]})
        assert reponse.status_code == 403


# --- Comité ------------------------------------------------------------------------------------


@pytest.fixture
def comite59(dep23):
    a = dossier(Etat.PROPOSE_COMITE, montant_demande=Decimal("3000.00"), annee=2025)
    evaluation(a, ps="2500.50")
    CollectifFactory.create_batch(2, dossier=a, nombre_enfants=12)
    b = dossier(Etat.PROPOSE_COMITE, montant_demande=Decimal("1000.00"), annee=2025)
    evaluation(b, ps=None, verdict="incomplet")
    CollectifFactory(dossier=b, nombre_enfants=8)
    ancien = dossier(Etat.PROPOSE_COMITE, montant_demande=Decimal("500.00"), annee=2024)
    dossier(Etat.EN_INSTRUCTION, montant_demande=Decimal("9999.00"))
    d23 = dossier(
        Etat.PROPOSE_COMITE,
        porteur=PorteurFactory(departement=dep23, code_postal="23000"),
        montant_demande=Decimal("7777.00"),
    )
    return {"a": a, "b": b, "ancien": ancien, "d23": d23}


def test_comite_liste_et_totaux(client, agent59, comite59):
    client.force_login(agent59)
    reponse = client.get(reverse("dossiers:comite"), {"annee": "2025"})
    assert reponse.status_code == 200
    assert {d.pk for d in reponse.context["dossiers"]} == {comite59["a"].pk, comite59["b"].pk}
    totaux = reponse.context["totaux"]
    assert totaux["dossiers"] == 2
    assert totaux["collectifs"] == 3
    assert totaux["enfants"] == 32
    assert totaux["ps_calculee"] == Decimal("2500.50")
    assert totaux["ps_non_calculees"] == 1
    assert totaux["montant_demande"] == Decimal("4000.00")
    page = reponse.content.decode()
    assert "<tfoot" in page and "<caption" in page
    assert "1 dossier sans PS calculable" in page
    toutes = client.get(reverse("dossiers:comite"))
    assert toutes.context["totaux"]["dossiers"] == 3


def test_comite_exports(client, agent59, comite59):
    client.force_login(agent59)
    reponse = client.get(reverse("dossiers:comite_export", args=["csv"]), {"annee": "2025"})
    assert 'filename="comite-59-2025-2026.csv"' in reponse["Content-Disposition"]
    lignes = lire_csv(reponse)
    entete, donnees, total = lignes[0], lignes[1:-1], lignes[-1]
    assert {int(r[0]) for r in donnees} == {comite59["a"].pk, comite59["b"].pk}
    total = dict(zip(entete, total, strict=True))
    assert total["Numéro"] == "Total"
    assert total["Collectifs"] == "3" and total["Enfants"] == "32"
    assert total["PS calculée (€)"] == "2500,50"
    assert total["Montant demandé (€)"] == "4000,00"
    reponse = client.get(reverse("dossiers:comite_export", args=["xlsx"]), {"annee": "2025"})
    _feuille, lignes = lire_xlsx(reponse)
    colonne = {nom: i for i, nom in enumerate(lignes[0])}
    assert lignes[-1][0] == "Total"
    assert lignes[-1][colonne["Montant demandé (€)"]] == pytest.approx(4000)
    assert lignes[-1][colonne["Enfants"]] == 32


def test_comite_perimetre(client, agent23, secretariat59, porteur_user, comite59):
    client.force_login(agent23)
    reponse = client.get(reverse("dossiers:comite"))
    assert [d.pk for d in reponse.context["dossiers"]] == [comite59["d23"].pk]
    lignes = lire_csv(client.get(reverse("dossiers:comite_export", args=["csv"])))
    assert [int(r[0]) for r in lignes[1:-1]] == [comite59["d23"].pk]
    client.force_login(secretariat59)
    assert client.get(reverse("dossiers:comite")).context["totaux"]["dossiers"] == 3
    client.force_login(porteur_user)
    assert client.get(reverse("dossiers:comite")).status_code == 403


def test_comite_vide(client, agent59):
    client.force_login(agent59)
    assert (
        "Aucun dossier proposé au comité" in client.get(reverse("dossiers:comite")).content.decode()
    )


# --- Performance -------------------------------------------------------------------------------


def _peupler(nombre):
    porteurs = PorteurFactory.create_batch(20)
    agents = UtilisateurFactory.create_batch(3, agent=True)
    for i in range(nombre):
        d = dossier(porteur=porteurs[i % 20], agent_referent=agents[i % 3] if i % 4 else None)
        evaluation(d, verdict="incomplet", ps="800.00")
        evaluation(d, verdict="eligible", ps="1200.00")
        CollectifFactory.create_batch(2, dossier=d)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"onglet": "tous", "tri": "-ps"},
        {"q": "Association", "verdict": "eligible", "annee": "2025", "tri": "agent", "page": "3"},
        {"moi": "on", "agent": "aucun", "tri": "etat", "commune": "roub"},
    ],
)
def test_file_nombre_de_requetes_borne(client, agent59, django_assert_max_num_queries, params):
    _peupler(200)
    client.force_login(agent59)
    # session, compte, compteurs des onglets, page, années, agents : le même nombre de requêtes
    # pour 200 dossiers que pour 2.
    with django_assert_max_num_queries(8):
        reponse = client.get(LISTE, params)
    assert reponse.status_code == 200


def test_file_de_l_admin_nombre_de_requetes_borne(
    client, admin_national, django_assert_max_num_queries
):
    _peupler(200)
    client.force_login(admin_national)
    with django_assert_max_num_queries(9):
        reponse = client.get(LISTE, {"onglet": "tous"})
    assert len(reponse.context["dossiers"]) == 50


def test_comite_et_export_nombre_de_requetes_borne(client, agent59, django_assert_max_num_queries):
    _peupler(60)
    Dossier.objects.update(etat=Etat.PROPOSE_COMITE)
    client.force_login(agent59)
    with django_assert_max_num_queries(6):
        reponse = client.get(reverse("dossiers:comite"))
    assert reponse.context["totaux"]["dossiers"] == 60
    with django_assert_max_num_queries(9):
        client.get(reverse("dossiers:export", args=["xlsx"]), {"onglet": "tous"})


@pytest.mark.parametrize(
    "url",
    [LISTE, LISTE + "?onglet=tous", reverse("dossiers:comite"), reverse("dossiers:campagnes")],
)
def test_pages_compatibles_avec_la_csp(client, agent59, file59, url):
    """Ni style ni script en ligne : la politique de sécurité du contenu les bloquerait."""
    dossier(Etat.PROPOSE_COMITE)
    client.force_login(agent59)
    page = client.get(url).content.decode()
    assert 'style="' not in page
    assert "<script>" not in page and "onclick=" not in page and "javascript:" not in page


def test_assignation_ne_remplace_pas_la_demande_de_complement(client, agent59, membre):
    """Confier un dossier en attente du porteur écrit un événement sans changement d'état : le
    porteur voit toujours la demande de complément de la Caf, et l'historique ne montre pas un
    faux « Complément demandé → Complément demandé »."""
    d = dossier(Etat.COMPLEMENT_DEMANDE, porteur=membre.porteur, complet=True)
    Evenement.objects.create(
        dossier=d,
        type=Evenement.Type.TRANSITION,
        auteur=agent59,
        etat_avant=Etat.EN_INSTRUCTION,
        etat_apres=Etat.COMPLEMENT_DEMANDE,
        commentaire="Joignez le RIB de l'association.",
    )
    collegue = UtilisateurFactory(agent=True, prenom="Inès", nom="Collègue")
    client.force_login(agent59)
    assert assigner(client, d, agent=collegue.pk).status_code == 302

    client.force_login(membre.utilisateur)
    page = texte(client.get(reverse("dossiers:detail", args=[d.pk])))
    encadre = page.split('id="titre-complement"')[1].split("</section>")[0]
    assert "Joignez le RIB de l'association." in encadre
    assert "Dossier confié" not in encadre
    assert 'complément demandé <span class="text-body-secondary">(inchangé)</span>' in page
