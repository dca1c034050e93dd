"""Le parcours de démonstration de l'année du Clas, de bout en bout, au clavier (formulaires
HTML seulement) : un porteur d'un dossier accepté génère le calendrier d'un collectif, fait
l'appel de quelques séances, note une réunion de parents et soumet le bilan prérempli."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from collectifs.models import Collectif
from comptes.models import Utilisateur
from dossiers.models import Dossier, Etat
from seances.forms_registre import ABSENT, PRESENT, nom_champ_enfant
from seances.models import ActionParents, BilanAction, Enfant, Presence, Seance


@pytest.fixture
def demo(db):
    call_command("charger_demo", stdout=StringIO())


def test_le_porteur_de_wattrelos_atteint_un_dossier_accepte_avec_un_registre_pret(demo):
    porteur = Utilisateur.objects.get(email="porteur.wattrelos@demo.clas")
    dossier = Dossier.objects.visible_to(porteur).get(reference="DEMO-59-WATTRELOS-2025")
    assert dossier.etat == Etat.ACCEPTE and dossier.annee == 2025
    collectif = dossier.collectifs.get(nom="CE2-CM1 du Laboureur")
    codes = list(
        Enfant.objects.visible_to(porteur)
        .filter(collectif=collectif)
        .values_list("code", flat=True)
    )
    assert codes == [f"WA-{i:02}" for i in range(1, 11)]
    assert not Seance.objects.filter(collectif=collectif).exists()
    assert not BilanAction.objects.filter(collectif=collectif).exists()


def test_parcours_complet_puis_rechargement(client, demo):
    porteur = Utilisateur.objects.get(email="porteur.wattrelos@demo.clas")
    collectif = Collectif.objects.get(
        dossier__reference="DEMO-59-WATTRELOS-2025", nom="CE2-CM1 du Laboureur"
    )
    client.force_login(porteur)

    # 1. Générer le calendrier.
    reponse = client.post(reverse("seances:generer", args=[collectif.pk]), {})
    assert reponse.status_code == 302
    seances = list(Seance.objects.filter(collectif=collectif).order_by("date", "debut"))
    assert len(seances) > 30

    # 2. L'appel de trois séances : un formulaire, un POST chacune.
    enfants = list(Enfant.objects.filter(collectif=collectif).order_by("code"))
    animateurs = [
        str(pk) for pk in collectif.intervenants.order_by("nom").values_list("pk", flat=True)
    ]
    absents_par_seance = [{"WA-03"}, set(), {"WA-07", "WA-10"}]
    for seance, absents in zip(seances, absents_par_seance, strict=False):
        donnees = {"activite": "lecture", "animateurs": animateurs}
        for enfant in enfants:
            donnees[nom_champ_enfant(enfant)] = ABSENT if enfant.code in absents else PRESENT
        reponse = client.post(reverse("seances:appel", args=[seance.pk]), donnees)
        assert reponse.status_code == 302, reponse.content.decode()[:2000]

    # 3. Une réunion de parents.
    reponse = client.post(
        reverse("seances:journal", args=[collectif.pk]),
        {
            "formulaire": "action",
            "action-type": "reunion",
            "action-date": "2025-12-04",
            "action-nombre_parents": "7",
        },
    )
    assert reponse.status_code == 302
    assert ActionParents.objects.filter(collectif=collectif).count() == 1

    # 4. Le bilan, prérempli : le porteur ajoute ses réponses et le soumet tel quel.
    reponse = client.get(reverse("seances:bilan", args=[collectif.pk]))
    form = reponse.context["form"]
    donnees = {nom: form[nom].value() for nom in form.fields}
    donnees.update(
        objectifs_atteints="Les enfants lisent à voix haute avec plaisir.",
        difficultes="Quelques absences avant les vacances.",
        perspectives="Associer davantage les parents aux séances.",
        action="soumettre",
        confirmation="on",
    )
    donnees = {k: ("" if v is None else v) for k, v in donnees.items()}
    reponse = client.post(reverse("seances:bilan", args=[collectif.pk]), donnees)
    assert reponse.status_code == 302, [e["message"] for e in reponse.context["erreurs"]]
    bilan = BilanAction.objects.get(collectif=collectif)
    assert bilan.statut == BilanAction.Statut.SOUMIS
    # Les chiffres soumis sont ceux du cahier.
    assert (bilan.enfants_inscrits, bilan.filles, bilan.garcons, bilan.familles) == (10, 5, 5, 8)
    assert bilan.seances_realisees == 3
    presences = Presence.objects.filter(seance__collectif=collectif)
    assert bilan.taux_presence == (
        Decimal(presences.filter(present=True).count()) / Decimal(presences.count())
    ).quantize(Decimal("0.0001"))
    assert bilan.taux_presence == Decimal("0.9000")  # 27 présences sur 30
    assert bilan.heures_realisees == Decimal(sum(s.duree_minutes for s in seances[:3])) / 60
    assert (bilan.intervenants_salaries, bilan.intervenants_benevoles) == (2, 0)
    assert (bilan.actions_parents, bilan.rencontres_ecole) == (1, 0)
    assert seances[0].date >= datetime.date(2025, 11, 4)

    # Recharger la démo remet le collectif dans son état de départ.
    call_command("charger_demo", stdout=StringIO())
    assert not Seance.objects.filter(collectif=collectif).exists()
    assert not BilanAction.objects.filter(collectif=collectif).exists()
    assert not ActionParents.objects.filter(collectif=collectif).exists()
    assert Enfant.objects.filter(collectif=collectif).count() == 10
