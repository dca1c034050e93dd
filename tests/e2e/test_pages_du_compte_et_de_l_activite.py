"""Les pages ajoutées pour le compte, le brouillon et l'année du Clas, vérifiées dans Chromium
par axe-core (comme chaque page visitée) : « Mon compte » et ses formulaires (dont une erreur
affichée), la confirmation de suppression d'un brouillon, la modification d'une entrée du
journal, la suppression d'une séance ajoutée par erreur, la soumission du bilan et sa case de
confirmation, et la liste des bilans soumis pour la Caf."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dossiers.models import Etat
from seances.models import ActionParents, BilanAction, Seance
from tests.e2e.outils import aller, se_connecter
from tests.factories import (
    CollectifFactory,
    DossierFactory,
    MembreFactory,
    UtilisateurFactory,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_pages_du_porteur(ouvrir, axe):
    membre = MembreFactory(utilisateur__email="pages@asso.fr")
    brouillon = DossierFactory(porteur=membre.porteur)
    accepte = DossierFactory(porteur=membre.porteur, depose=True, complet=True, etat=Etat.ACCEPTE)
    collectif = CollectifFactory(dossier=accepte)
    action = ActionParents.objects.create(
        collectif=collectif, type="reunion", date=datetime.date(2025, 10, 14), nombre_parents=7
    )
    ajoutee = Seance.objects.create(
        collectif=collectif,
        date=datetime.date(2025, 11, 19),
        debut=datetime.time(14, 0),
        duree_minutes=60,
        origine=Seance.Origine.AJOUTEE,
    )
    page = ouvrir()
    se_connecter(page, axe, "pages@asso.fr")

    aller(page, axe, reverse("compte"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mon compte")
    aller(page, axe, reverse("compte_modifier"))
    aller(page, axe, reverse("compte_adresse"))
    aller(page, axe, reverse("compte_mot_de_passe"))
    # Un mot de passe actuel faux : le résumé d'erreurs, vérifié lui aussi.
    page.locator("#id_old_password").fill("pas le bon mot de passe")
    page.locator("#id_new_password1").fill("Un nouveau mot de passe 2026")
    page.locator("#id_new_password2").fill("Un nouveau mot de passe 2026")
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    expect(page.locator("#erreurs-formulaire")).to_be_visible()
    axe.verifier(page, "après l'erreur")

    aller(page, axe, reverse("dossiers:supprimer_brouillon", args=[brouillon.pk]))
    aller(page, axe, reverse("seances:action_parents_modifier", args=[action.pk]))
    aller(page, axe, reverse("seances:seance_supprimer", args=[ajoutee.pk]))
    aller(page, axe, reverse("seances:bilan", args=[collectif.pk]))
    expect(page.get_by_label("Je confirme la soumission du bilan à la Caf")).to_be_visible()


def test_bilans_soumis_pour_la_caf(ouvrir, axe):
    UtilisateurFactory(agent=True, email="agent.pages@caf59.fr")
    dossier = DossierFactory(depose=True, complet=True, etat=Etat.ACCEPTE)
    BilanAction.objects.create(
        collectif=CollectifFactory(dossier=dossier),
        statut=BilanAction.Statut.SOUMIS,
        soumis_le=timezone.now(),
    )
    page = ouvrir()
    se_connecter(page, axe, "agent.pages@caf59.fr")
    aller(page, axe, reverse("seances:bilans_soumis"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
