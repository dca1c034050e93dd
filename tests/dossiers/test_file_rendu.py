"""Le rendu de la file d'attente, écrit en Python pour la vitesse (lignes du tableau, champs des
filtres, liens des onglets et du tri) : même échappement et même contenu qu'un gabarit, et les
compteurs des onglets justes que l'on passe par le décompte commun ou par celui des filtres."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Etat, Evaluation
from tests.factories import DossierFactory, PorteurFactory, UtilisateurFactory

pytestmark = pytest.mark.django_db

LISTE = reverse("dossiers:liste")
NOM_PIEGE = '<script>alert("x")</script> & l\'Amicale'


def deposer(etat=Etat.DEPOSE, **kwargs):
    kwargs.setdefault("depose_le", timezone.now())
    return DossierFactory(etat=etat, **kwargs)


def figer(dossier, verdict="eligible", ps="1200.00"):
    return Evaluation.objects.create(
        dossier=dossier,
        motif="depot",
        edition="cnaf-2019",
        parametres={},
        empreinte_entree="0" * 64,
        entree={},
        resultat={},
        verdict=verdict,
        montant_ps_total=Decimal(ps) if ps is not None else None,
    )


def ligne_de(page: str, pk: int) -> str:
    """Le ``<tr>`` du dossier ``pk`` (la case à cocher porte son numéro)."""
    debut = page.index(f'id="choix-{pk}"')
    return page[page.rindex("<tr>", 0, debut) : page.index("</tr>", debut) + len("</tr>")]


def test_les_textes_des_lignes_sont_echappes(client, agent59):
    """Le corps du tableau est écrit sans le moteur de gabarits : ce qu'un porteur a saisi ne
    doit jamais devenir du HTML."""
    porteur = PorteurFactory(raison_sociale=NOM_PIEGE, commune="<b>Lille</b>")
    intitule = "<img src=x onerror=alert(1)> " + "un intitulé vraiment très long " * 3
    d = deposer(porteur=porteur, intitule=intitule)
    client.force_login(agent59)
    page = client.get(LISTE).content.decode()
    ligne = ligne_de(page, d.pk)
    assert "<script>" not in page and "<img" not in page and "<b>Lille" not in page
    echappe = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; l&#x27;Amicale"
    assert f'<a href="/dossiers/{d.pk}/">{echappe}</a>' in ligne
    assert f"Sélectionner le dossier de {echappe} (2025-2026)" in ligne
    assert f'<span class="visually-hidden"> le dossier de {echappe}</span>' in ligne
    assert "<td>&lt;b&gt;Lille&lt;/b&gt;</td>" in ligne
    # L'intitulé est coupé à 60 caractères, puis échappé.
    assert '<div class="small text-body-secondary">&lt;img src=x onerror=alert(1)&gt; un' in ligne
    assert "…</div>" in ligne


def test_contenu_d_une_ligne(client, agent59):
    collegue = UtilisateurFactory(agent=True, prenom="", nom="", email="sans.nom@caf.fr")
    confie = deposer(agent_referent=collegue, porteur=PorteurFactory(commune=""))
    figer(confie, verdict="incomplet", ps="800.00")
    figer(confie, verdict="eligible", ps="12345.60")  # la dernière évaluation figée compte
    libre = deposer(etat=Etat.EN_INSTRUCTION)
    client.force_login(agent59)
    page = client.get(LISTE).content.decode()

    ligne = ligne_de(page, confie.pk)
    assert "<td>—</td>" in ligne  # commune vide
    assert '<span class="badge badge-etat text-bg-primary">Déposé</span>' in ligne
    assert '<span class="badge text-bg-success">Éligible</span>' in ligne
    assert "12\u202f345,60\u202f€" in ligne
    assert "<td>sans.nom@caf.fr</td>" in ligne  # ni prénom ni nom : le courriel
    assert timezone.localtime(confie.depose_le).strftime("%d/%m/%Y") in ligne
    assert f'href="/dossiers/{confie.pk}/assigner/?suivant=%2Fdossiers%2F">Réassigner' in ligne

    ligne = ligne_de(page, libre.pk)
    assert "En instruction</span>" in ligne
    assert '—<span class="visually-hidden"> aucune évaluation figée</span>' in ligne
    assert '—<span class="visually-hidden"> non calculable</span>' in ligne
    assert '<span class="text-body-secondary">Non assigné</span>' in ligne
    assert ">Confier<span" in ligne


def test_le_lien_d_assignation_revient_a_la_page_courante(client, agent59):
    d = deposer(porteur=PorteurFactory(raison_sociale="Club a&b"))
    client.force_login(agent59)
    page = client.get(LISTE, {"tri": "porteur", "q": "a&b"}).content.decode()
    # suivant=/dossiers/?tri=porteur&q=a%26b, encodé dans l'URL puis échappé dans l'attribut.
    attendu = f"/dossiers/{d.pk}/assigner/?suivant=%2Fdossiers%2F%3Ftri%3Dporteur%26q%3Da%2526b"
    assert attendu in page


def test_champs_des_filtres_ecrits_a_la_main(client, agent59):
    deposer()
    client.force_login(agent59)
    page = client.get(
        LISTE, {"q": 'a"<b', "etat": "depose", "moi": "on", "agent": "999999"}
    ).content.decode()
    assert (
        '<input type="text" name="q" value="a&quot;&lt;b" class="form-control" '
        'aria-describedby="id_q_helptext" id="id_q">'
    ) in page
    assert '<input type="text" name="commune" class="form-control" id="id_commune">' in page
    assert '<input type="checkbox" name="moi" class="form-check-input" id="id_moi" checked>' in page
    assert '<option value="depose" selected>déposé</option>' in page
    assert '<option value="" selected>Tous</option><option value="aucun">Sans évaluation' in page
    # Un agent inconnu : le champ est signalé invalide et le résumé d'erreurs y mène.
    assert '<select name="agent" id="id_agent" class="form-select" aria-invalid="true">' in page
    assert '<a href="#id_agent">Agent référent : ' in page


def test_liens_des_onglets_et_du_tri_gardent_les_filtres_sans_la_page(client, agent59):
    deposer()
    client.force_login(agent59)
    page = client.get(
        LISTE, {"annee": "2025", "tri": "porteur", "onglet": "tous", "page": "1"}
    ).content.decode()
    # Les liens des onglets : même ordre des paramètres que la requête, sans « page ».
    assert 'href="?annee=2025&amp;tri=porteur&amp;onglet=decides"' in page
    # Les en-têtes : le tri actif s'inverse, les autres partent dans l'ordre croissant.
    assert 'href="?annee=2025&amp;tri=-porteur&amp;onglet=tous"' in page
    assert 'href="?annee=2025&amp;tri=commune&amp;onglet=tous"' in page
    assert '<span class="visually-hidden"> : trier par ordre décroissant</span>' in page
    assert '<span aria-hidden="true"> ▲</span>' in page


@pytest.mark.parametrize("user", ["agent59", "secretariat59", "admin_national"])
def test_compteurs_sans_filtre_egaux_a_ceux_du_decompte_filtre(client, request, dep23, user):
    """Sans filtre, les compteurs viennent du décompte par état et par année (qui donne aussi
    les années du filtre) ; avec un filtre, d'un décompte des dossiers filtrés. Un filtre qui
    garde tout doit donner les mêmes nombres."""
    for etat in [e for e in Etat.values if e != Etat.BROUILLON] + [Etat.DEPOSE, Etat.ACCEPTE]:
        deposer(etat)
    DossierFactory()  # un brouillon : jamais compté
    deposer(porteur=PorteurFactory(departement=dep23, code_postal="23000"))
    client.force_login(request.getfixturevalue(user))
    sans = client.get(LISTE)
    avec = client.get(LISTE, {"annee": "2025"})  # tous les dossiers sont de 2025
    assert avec.context["filtres"].actifs and not sans.context["filtres"].actifs
    compteurs = [{o["slug"]: o["nombre"] for o in r.context["onglets"]} for r in (sans, avec)]
    assert compteurs[0] == compteurs[1]
    # Le dossier déposé du 23 ne compte que pour l'administration nationale.
    en_plus = 1 if user == "admin_national" else 0
    assert compteurs[0]["tous"] == 9 + en_plus and compteurs[0]["a_instruire"] == 3 + en_plus
    choix = [v for v, _ in sans.context["filtres"].form.fields["annee"].choices]
    assert choix == ["", "2025"]


def test_sans_filtre_une_requete_de_moins(client, agent59):
    """Le décompte par état et par année sert aux années du filtre et aux compteurs : une
    requête de moins que lorsqu'un filtre oblige à recompter."""
    for _ in range(3):
        figer(deposer())
    client.force_login(agent59)
    client.get(LISTE)  # session et jeton CSRF en place
    with CaptureQueriesContext(connection) as sans:
        client.get(LISTE)
    with CaptureQueriesContext(connection) as avec:
        client.get(LISTE, {"verdict": "eligible"})
    assert len(sans) == len(avec) - 1
    assert len(sans) <= 6  # session, compte, département, décompte, agents, page
