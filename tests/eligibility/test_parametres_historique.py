"""L'historique des paramètres de financement : exactement ce qui a changé, par qui, quand ; rien
quand rien n'a changé ; l'avertissement du formulaire d'administration."""

import html
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, EvenementAudit
from eligibility.forms import AVERTISSEMENT_PS, RAPPEL_PS
from eligibility.models import HistoriqueParametres, ParametresAnnee
from tests.factories import UtilisateurFactory

pytestmark = pytest.mark.django_db


def evenements():
    return EvenementAudit.objects.filter(action=Action.PARAMETRES)


@pytest.fixture
def parametres_2025():
    return ParametresAnnee.objects.get(annee=2025)


def test_enregistrer_sans_changement_n_ecrit_rien(parametres_2025, admin_national):
    historique, audit = HistoriqueParametres.objects.count(), evenements().count()
    modifie_le, modifie_par = parametres_2025.modifie_le, parametres_2025.modifie_par_id
    # Même valeurs, écrites autrement : ce n'est pas un changement.
    parametres_2025.taux_ps = "0.3250"
    parametres_2025.prix_plafond = Decimal("7886")
    parametres_2025.enregistrer(par=admin_national)
    assert parametres_2025.changements == {}
    assert HistoriqueParametres.objects.count() == historique
    assert evenements().count() == audit
    relu = ParametresAnnee.objects.get(annee=2025)
    assert (relu.modifie_le, relu.modifie_par_id) == (modifie_le, modifie_par)


def test_administration_sans_changement_n_ecrit_rien(client, parametres_2025, admin_national):
    historique, audit = HistoriqueParametres.objects.count(), evenements().count()
    client.force_login(admin_national)
    url = reverse("admin:eligibility_parametresannee_change", args=[parametres_2025.pk])
    reponse = client.post(
        url,
        {"edition": "cnaf-2019", "taux_ps": "0.325", "prix_plafond": "7886.00"},
        follow=True,
    )
    assert reponse.status_code == 200
    assert "Aucune valeur des paramètres 2025-2026 n'a changé" in html.unescape(
        reponse.content.decode()
    )
    assert HistoriqueParametres.objects.count() == historique
    assert evenements().count() == audit
    assert ParametresAnnee.objects.get(annee=2025).modifie_par is None


def test_changement_d_edition_historise(parametres_2025, admin_national):
    # Une seule édition existe aujourd'hui : on fait comme si l'année était sur une autre.
    ParametresAnnee.objects.filter(pk=parametres_2025.pk).update(edition="cnaf-2015")
    parametres_2025.edition = "cnaf-2019"
    parametres_2025.enregistrer(par=admin_national)
    assert parametres_2025.changements == {"edition": ("cnaf-2015", "cnaf-2019")}
    trace = HistoriqueParametres.objects.filter(annee=2025, par=admin_national).get()
    assert (trace.edition_avant, trace.edition) == ("cnaf-2015", "cnaf-2019")
    assert (trace.taux_ps_avant, trace.taux_ps) == (Decimal("0.325"), Decimal("0.325"))
    assert trace.champs_modifies == ["édition du référentiel"]
    evenement = evenements().get(utilisateur=admin_national)
    assert evenement.details == {"edition": ["cnaf-2015", "cnaf-2019"]}


def test_changement_d_edition_par_l_administration(client, parametres_2025, admin_national):
    ParametresAnnee.objects.filter(pk=parametres_2025.pk).update(edition="cnaf-2015")
    client.force_login(admin_national)
    url = reverse("admin:eligibility_parametresannee_change", args=[parametres_2025.pk])
    reponse = client.post(
        url, {"edition": "cnaf-2019", "taux_ps": "0.325", "prix_plafond": "7886.00"}
    )
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    trace = HistoriqueParametres.objects.filter(annee=2025, par=admin_national).get()
    assert (trace.edition_avant, trace.edition) == ("cnaf-2015", "cnaf-2019")
    assert evenements().get(utilisateur=admin_national).details == {
        "edition": ["cnaf-2015", "cnaf-2019"]
    }


def test_chaque_valeur_changee_avec_qui_et_quand(parametres_2025, admin_national):
    debut = timezone.now()
    parametres_2025.taux_ps = Decimal("0.33")
    parametres_2025.prix_plafond = Decimal("8000.00")
    parametres_2025.enregistrer(par=admin_national)
    trace = HistoriqueParametres.objects.filter(annee=2025, par=admin_national).get()
    assert (trace.taux_ps_avant, trace.taux_ps) == (Decimal("0.325"), Decimal("0.33"))
    assert (trace.prix_plafond_avant, trace.prix_plafond) == (
        Decimal("7886.00"),
        Decimal("8000.00"),
    )
    assert (trace.edition_avant, trace.edition) == ("cnaf-2019", "cnaf-2019")
    assert trace.champs_modifies == ["taux de la PS", "prix plafond"]
    assert debut <= trace.le <= timezone.now()
    evenement = evenements().get(utilisateur=admin_national)
    assert evenement.email == admin_national.email
    assert evenement.objet_id == str(parametres_2025.pk)
    assert debut <= evenement.horodatage <= timezone.now() + timedelta(seconds=1)
    assert evenement.details == {
        "taux_ps": ["0.3250", "0.33"],
        "prix_plafond": ["7886.00", "8000.00"],
    }

    # Une autre personne ne retire que le plafond : seule cette valeur est dans sa trace.
    autre = UtilisateurFactory(admin=True, email="autre-admin@cnaf.fr")
    parametres_2025.prix_plafond = None
    parametres_2025.enregistrer(par=autre)
    trace = HistoriqueParametres.objects.filter(annee=2025, par=autre).get()
    assert (trace.prix_plafond_avant, trace.prix_plafond) == (Decimal("8000.00"), None)
    assert (trace.taux_ps_avant, trace.taux_ps) == (Decimal("0.33"), Decimal("0.33"))
    assert trace.champs_modifies == ["prix plafond"]
    assert evenements().get(utilisateur=autre).details == {"prix_plafond": ["8000.00", None]}
    assert ParametresAnnee.objects.get(annee=2025).modifie_par == autre


def test_nouvelle_annee_toutes_les_valeurs_sans_avant(admin_national):
    parametres = ParametresAnnee(annee=2026, taux_ps=Decimal("0.33"), prix_plafond=None)
    parametres.enregistrer(par=admin_national)
    trace = HistoriqueParametres.objects.filter(annee=2026).get()
    assert (trace.edition_avant, trace.edition) == ("", "cnaf-2019")
    assert trace.champs_modifies == ["édition du référentiel", "taux de la PS", "prix plafond"]
    assert evenements().get(utilisateur=admin_national).details == {
        "edition": [None, "cnaf-2019"],
        "taux_ps": [None, "0.33"],
        "prix_plafond": [None, None],
    }


def test_l_annee_de_parametres_enregistres_ne_change_pas(parametres_2025, admin_national):
    historique = HistoriqueParametres.objects.count()
    parametres_2025.annee = 2030
    parametres_2025.taux_ps = Decimal("0.4")
    with pytest.raises(ValidationError) as erreur:
        parametres_2025.enregistrer(par=admin_national)
    assert "ne se modifie pas" in str(erreur.value)
    assert HistoriqueParametres.objects.count() == historique
    assert ParametresAnnee.objects.get(pk=parametres_2025.pk).annee == 2025


def test_le_formulaire_avertit_des_effets_sur_la_ps(client, parametres_2025, admin_national):
    client.force_login(admin_national)
    url = reverse("admin:eligibility_parametresannee_change", args=[parametres_2025.pk])
    contenu = html.unescape(client.get(url).content.decode())
    assert AVERTISSEMENT_PS in contenu
    assert contenu.count(RAPPEL_PS) == 3  # édition, taux, plafond
    assert "dossier non encore décidé" in RAPPEL_PS and "figées" in RAPPEL_PS
    # L'année d'un jeu de paramètres enregistré s'affiche sans se modifier.
    assert 'name="annee"' not in contenu
