"""Les points de contrôle de l'agent, là où ils comptent : à côté des critères qu'ils
concernent dans le tableau de l'éligibilité (sans changer le statut calculé), et en rappel
des points non vérifiés quand l'agent propose le dossier au comité ou décide."""

import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Dossier, Etat, PointControle
from dossiers.views_instruction import CRITERES_PAR_POINT, POINT_DU_CRITERE
from eligibility.criteres import CRITERES, CRITERES_COLLECTIF, CRITERES_DOSSIER
from tests.factories import CollectifFactory, CreneauFactory

pytestmark = pytest.mark.django_db

LIBELLES = {
    "sdsf": "Cohérence avec le Sdsf vérifiée",
    "participation": "Participation des familles symbolique",
    "rural": "Caractère rural des collectifs confirmé",
    "pieces": "Pièces justificatives valides",
}


def url_detail(dossier) -> str:
    return reverse("dossiers:detail", args=[dossier.pk])


def lire(reponse) -> str:
    return html.unescape(reponse.content.decode())


def texte(fragment: str) -> str:
    """Le texte d'un fragment HTML, balises ôtées et espaces réduits."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split()).replace(" ,", ",")


def ligne_critere(page: str, code: str, collectif: int | None = None) -> str:
    """La ligne du tableau des critères (dossier, ou collectif n° ``collectif``) de ``code``."""
    section = page.split('id="eligibilite"')[1].split('id="controle"')[0]
    if collectif is None:
        section = section.split("Critères du dossier, évaluation actuelle")[1].split("</table>")[0]
    else:
        section = section.split(f"Critères du collectif {collectif}</caption>")[1].split(
            "</table>"
        )[0]
    marque = f'#{code}"><code>{code}</code>'
    return section.split(marque)[1].split("</tr>")[0]


def cellule_point(ligne: str) -> str:
    """Le texte de la cellule « Point de contrôle » d'une ligne du tableau."""
    cellules = re.findall(r"<td[^>]*>(.*?)</td>", ligne, flags=re.S)
    # La première cellule (le code) est déjà coupée par ``ligne_critere`` : statut, explication,
    # point de contrôle, référence.
    return texte(cellules[2])


def champs_caches(page: str, prefixe: str) -> dict:
    return dict(re.findall(rf'name="{prefixe}-(\w+)" value="(\d+)"', page))


def cocher(client, dossier, **points):
    """Soumet la liste de contrôle depuis la page ; points : code → (coché, commentaire)."""
    page = lire(client.get(url_detail(dossier)))
    donnees = {f"controle-{k}": v for k, v in champs_caches(page, "controle").items()}
    for code, (coche, commentaire) in points.items():
        if coche:
            donnees[f"controle-{code}_coche"] = "on"
        donnees[f"controle-{code}_commentaire"] = commentaire
    reponse = client.post(reverse("dossiers:controle", args=[dossier.pk]), donnees)
    assert reponse.status_code == 302
    return reponse


def statut(reponse, code: str) -> str:
    return {c["code"]: c["statut"] for c in reponse.context["evaluation"]["criteres"]}[code]


def aujourd_hui() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


@pytest.fixture
def dossier(dossier_59):
    """En instruction, une participation des familles de 15 € : CHARTE-GRATUITE à vérifier."""
    Dossier.objects.filter(pk=dossier_59.pk).update(
        etat=Etat.EN_INSTRUCTION, charte_participation_familles_euros=Decimal("15.00")
    )
    dossier_59.refresh_from_db()
    return dossier_59


# --- La correspondance point → critères ----------------------------------------------------


def test_correspondance_sur_les_codes_du_referentiel():
    assert set(CRITERES_PAR_POINT) == set(PointControle.Code.values)
    assert CRITERES_PAR_POINT["participation"] == ("CHARTE-GRATUITE",)
    assert CRITERES_PAR_POINT["sdsf"] == ("DIAGNOSTIC-SDSF",)
    assert CRITERES_PAR_POINT["pieces"] == ()
    # Tous les codes existent dans le catalogue du moteur, au bon niveau.
    assert set(POINT_DU_CRITERE) <= set(CRITERES)
    codes_collectif = {c.code for c in CRITERES_COLLECTIF}
    codes_dossier = {c.code for c in CRITERES_DOSSIER}
    assert set(CRITERES_PAR_POINT["rural"]) == {
        "COLLECTIF-TAILLE",
        "COLLECTIF-ENCADREMENT",
        "COLLECTIF-REGULARITE",
    }
    assert set(CRITERES_PAR_POINT["rural"]) <= codes_collectif
    assert {"CHARTE-GRATUITE", "DIAGNOSTIC-SDSF"} <= codes_dossier


# --- Le jugement à côté du critère ---------------------------------------------------------


def test_participation_a_verifier_puis_verifiee_puis_decochee(client, agent59, dossier):
    client.force_login(agent59)
    reponse = client.get(url_detail(dossier))
    assert statut(reponse, "CHARTE-GRATUITE") == "a_verifier"
    ligne = ligne_critere(lire(reponse), "CHARTE-GRATUITE")
    assert "Point de contrôle à vérifier" in cellule_point(ligne)
    assert "Participation des familles symbolique" in cellule_point(ligne)
    assert "jugement de l'agent" in cellule_point(ligne)

    cocher(client, dossier, participation=(True, "15 € pour les sorties : symbolique."))
    reponse = client.get(url_detail(dossier))
    page = lire(reponse)
    ligne = ligne_critere(page, "CHARTE-GRATUITE")
    cellule = cellule_point(ligne)
    nom = agent59.get_full_name()
    assert cellule.startswith(f"Point de contrôle : vérifié par {nom}")
    assert f"le {aujourd_hui()}" in cellule
    assert "Commentaire : « 15 € pour les sorties : symbolique. »" in cellule
    assert "Point de contrôle à vérifier" not in cellule
    # Le statut calculé par le moteur ne change pas : le badge reste « à vérifier ».
    assert statut(reponse, "CHARTE-GRATUITE") == "a_verifier"
    cellule_statut = re.findall(r"<td[^>]*>(.*?)</td>", ligne, flags=re.S)[0]
    assert "badge" in cellule_statut and texte(cellule_statut) == "à vérifier"
    # Les autres critères du dossier liés à un autre point ne sont pas touchés.
    assert "Point de contrôle à vérifier" in cellule_point(ligne_critere(page, "DIAGNOSTIC-SDSF"))
    # Un critère sans point de contrôle n'en affiche aucun.
    assert "Point de contrôle" not in cellule_point(ligne_critere(page, "CHARTE-LAICITE"))

    cocher(client, dossier, participation=(False, ""))
    page = lire(client.get(url_detail(dossier)))
    cellule = cellule_point(ligne_critere(page, "CHARTE-GRATUITE"))
    assert cellule.startswith("Point de contrôle à vérifier (décoché par")
    assert "Point de contrôle : vérifié" not in cellule


def test_sdsf_et_rural_a_cote_de_leurs_criteres(client, agent59, dossier):
    collectif = CollectifFactory(dossier=dossier, rural=True, nombre_enfants=6)
    CreneauFactory(collectif=collectif, duree_minutes=120)
    client.force_login(agent59)
    cocher(client, dossier, sdsf=(True, ""), rural=(True, "Commune de 800 habitants."))
    page = lire(client.get(url_detail(dossier)))
    assert "Point de contrôle : vérifié par" in cellule_point(
        ligne_critere(page, "DIAGNOSTIC-SDSF")
    )
    for code in CRITERES_PAR_POINT["rural"]:
        cellule = cellule_point(ligne_critere(page, code, collectif=1))
        assert cellule.startswith("Point de contrôle : vérifié par"), code
        assert "Commune de 800 habitants." in cellule
        assert "Caractère rural des collectifs confirmé" in cellule
    assert "Point de contrôle" not in cellule_point(
        ligne_critere(page, "COLLECTIF-DUREE", collectif=1)
    )
    # La participation n'a pas été cochée.
    assert "Point de contrôle à vérifier" in cellule_point(ligne_critere(page, "CHARTE-GRATUITE"))


def test_pas_de_requete_par_critere(client, agent59, dossier):
    for collectif in CollectifFactory.create_batch(4, dossier=dossier, rural=True):
        CreneauFactory(collectif=collectif)
    client.force_login(agent59)
    client.get(url_detail(dossier))  # première visite : caches de session, etc.
    with CaptureQueriesContext(connection) as sans_points:
        assert client.get(url_detail(dossier)).status_code == 200
    for i in range(8):
        PointControle.objects.create(
            dossier=dossier,
            code=PointControle.Code.values[i % 4],
            coche=i % 3 != 0,
            commentaire=f"Avis {i}",
            par=agent59,
        )
    with CaptureQueriesContext(connection) as avec_points:
        reponse = client.get(url_detail(dossier))
    page = lire(reponse)
    assert page.count('data-point-controle="rural"') == 4 * 3
    assert len(avec_points.captured_queries) == len(sans_points.captured_queries)


# --- Le rappel des points non vérifiés -----------------------------------------------------


def alerte(page: str, ident: str) -> str | None:
    marque = f'id="{ident}"'
    if marque not in page:
        return None
    return page.split(marque)[1].split("</div>")[0]


def points_listes(bloc: str) -> list[str]:
    return re.findall(r'data-point-a-verifier="(\w+)">([^<]+)</li>', bloc)


def test_proposer_au_comite_rappelle_les_points_non_verifies(client, agent59, dossier):
    client.force_login(agent59)
    cocher(client, dossier, sdsf=(True, ""), pieces=(True, ""), rural=(False, "à voir"))
    page = lire(client.get(url_detail(dossier)))
    details = page.split('id="transition-proposer_comite"')[1].split("</details>")[0]
    bloc = alerte(details, "points-a-verifier-proposer_comite")
    assert bloc is not None
    assert points_listes(bloc) == [
        ("participation", LIBELLES["participation"]),
        ("rural", LIBELLES["rural"]),
    ]
    assert "2 points de contrôle non vérifiés" in texte(bloc)
    assert f'href="{url_detail(dossier)}#controle"' in bloc
    assert "Vous pouvez tout de même proposer le dossier au comité." in texte(bloc)
    assert 'aria-describedby="points-a-verifier-proposer_comite"' in details

    # Le rappel ne bloque pas : la proposition se fait, confirmée.
    donnees = {f"proposer_comite-{k}": v for k, v in champs_caches(page, "proposer_comite").items()}
    donnees["proposer_comite-confirmation"] = "on"
    reponse = client.post(
        reverse("dossiers:transition", args=[dossier.pk, "proposer_comite"]), donnees
    )
    assert reponse.status_code == 302
    dossier.refresh_from_db()
    assert dossier.etat == Etat.PROPOSE_COMITE


def test_rappel_absent_quand_tout_est_verifie(client, agent59, dossier):
    client.force_login(agent59)
    page = lire(client.get(url_detail(dossier)))
    bloc = alerte(page, "points-a-verifier-proposer_comite")
    assert [code for code, _ in points_listes(bloc)] == list(LIBELLES)
    assert "4 points de contrôle non vérifiés" in texte(bloc)

    cocher(client, dossier, **dict.fromkeys(LIBELLES, (True, "")))
    page = lire(client.get(url_detail(dossier)))
    assert 'id="transition-proposer_comite"' in page
    assert alerte(page, "points-a-verifier-proposer_comite") is None
    assert "data-point-a-verifier" not in page


def test_un_seul_point_au_singulier(client, agent59, dossier):
    client.force_login(agent59)
    cocher(client, dossier, sdsf=(True, ""), participation=(True, ""), rural=(True, ""))
    bloc = alerte(lire(client.get(url_detail(dossier))), "points-a-verifier-proposer_comite")
    assert "1 point de contrôle non vérifié dans" in texte(bloc)
    assert points_listes(bloc) == [("pieces", LIBELLES["pieces"])]


def url_decision(dossier, choix="refuser") -> str:
    return reverse("dossiers:decision", args=[dossier.pk]) + f"?decision={choix}"


def test_page_de_decision_rappelle_les_points_non_verifies(client, agent59, dossier):
    client.force_login(agent59)
    cocher(client, dossier, participation=(True, ""), rural=(True, ""))
    Dossier.objects.filter(pk=dossier.pk).update(etat=Etat.PROPOSE_COMITE)
    reponse = client.get(url_decision(dossier))
    assert reponse.status_code == 200
    page = lire(reponse)
    bloc = alerte(page, "points-a-verifier-decision")
    assert points_listes(bloc) == [("sdsf", LIBELLES["sdsf"]), ("pieces", LIBELLES["pieces"])]
    assert f'href="{url_detail(dossier)}#controle"' in bloc
    assert "Vous pouvez tout de même décider" in texte(bloc)
    # En haut du formulaire : avant l'évaluation et le formulaire de décision.
    assert page.index('id="points-a-verifier-decision"') < page.index('id="titre-evaluation"')

    # Le rappel ne bloque pas : la décision s'enregistre.
    form = reponse.context["form"]
    donnees = {"decision": "refuser", "confirmation": "on", "motivation": "Projet incomplet."}
    donnees.update({nom: form[nom].value() for nom in ("version",) if nom in form.fields})
    reponse = client.post(reverse("dossiers:decision", args=[dossier.pk]), donnees)
    assert reponse.status_code == 302, lire(reponse)
    dossier.refresh_from_db()
    assert dossier.etat == Etat.REFUSE


def test_page_de_decision_sans_rappel_quand_tout_est_verifie(client, agent59, dossier):
    client.force_login(agent59)
    cocher(client, dossier, **dict.fromkeys(LIBELLES, (True, "")))
    Dossier.objects.filter(pk=dossier.pk).update(etat=Etat.PROPOSE_COMITE)
    page = lire(client.get(url_decision(dossier)))
    assert "Motivation" in page
    assert alerte(page, "points-a-verifier-decision") is None
    assert "non vérifié" not in page
