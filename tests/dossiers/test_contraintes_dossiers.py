"""Les invariants du modèle sont gardés par la base, avec des messages en français."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dossiers.models import Dossier, Etat
from seances.models import BilanAction
from tests.factories import (
    BilanActionFactory,
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    IntervenantFactory,
)

pytestmark = pytest.mark.django_db


def refuse_par_la_base(fabrique, **champs):
    with pytest.raises(IntegrityError), transaction.atomic():
        fabrique(**champs)


class TestDossier:
    def test_annee_scolaire_libellee(self):
        assert DossierFactory(annee=2025).annee_scolaire == "2025-2026"

    def test_annee_implausible(self):
        refuse_par_la_base(DossierFactory, annee=1990)

    def test_etat_inconnu(self):
        refuse_par_la_base(DossierFactory, etat="perdu")

    def test_depose_sans_date(self):
        refuse_par_la_base(DossierFactory, etat=Etat.DEPOSE, depose_le=None)

    def test_brouillon_avec_date(self):
        refuse_par_la_base(DossierFactory, etat=Etat.BROUILLON, depose_le=timezone.now())

    def test_participation_negative(self):
        refuse_par_la_base(DossierFactory, charte_participation_familles_euros=Decimal("-1"))

    def test_montant_accorde_negatif(self):
        refuse_par_la_base(DossierFactory, montant_accorde=Decimal("-0.01"))

    def test_niveau_diplome_inconnu(self):
        refuse_par_la_base(DossierFactory, coordinateur_niveau_diplome="bac+4")

    def test_reference_unique(self):
        DossierFactory(reference="IMPORT-1")
        refuse_par_la_base(DossierFactory, reference="IMPORT-1")

    def test_plusieurs_dossiers_sans_reference(self):
        DossierFactory(reference=None)
        DossierFactory(reference=None)
        assert Dossier.objects.filter(reference__isnull=True).count() == 2

    def test_messages_francais(self):
        d = DossierFactory.build(etat=Etat.DEPOSE, depose_le=None, annee=2025)
        with pytest.raises(ValidationError) as exc:
            d.validate_constraints()
        assert "Un dossier déposé a une date de dépôt." in exc.value.messages


class TestCollectif:
    @pytest.mark.parametrize(
        "champs",
        [
            {"nombre_enfants": 501},
            {"nombre_intervenants": 101},
            {"semaines_fonctionnement": 54},
            {"depenses_fonctionnement": Decimal("-5")},
            {"date_debut": datetime.date(2026, 1, 1), "date_fin": datetime.date(2025, 12, 31)},
            {"lieu_code_postal": "ABCDE"},
        ],
    )
    def test_invariants(self, champs):
        refuse_par_la_base(CollectifFactory, **champs)

    def test_limites_acceptees(self):
        c = CollectifFactory(
            nombre_enfants=500,
            nombre_intervenants=100,
            semaines_fonctionnement=53,
            depenses_fonctionnement=Decimal("0"),
        )
        assert c.pk

    def test_classes_validees(self):
        c = CollectifFactory.build(classes=["CM1", "CM9"])
        with pytest.raises(ValidationError) as exc:
            c.full_clean(exclude=["dossier"])
        assert "CM9" in str(exc.value.message_dict["classes"])

    def test_classes_triees(self):
        assert CollectifFactory.build(classes=["CM2", "CP", "6e"]).classes_triees() == [
            "CP",
            "CM2",
            "6e",
        ]

    def test_date_fin_message(self):
        c = CollectifFactory.build(
            date_debut=datetime.date(2026, 1, 2), date_fin=datetime.date(2026, 1, 1)
        )
        with pytest.raises(ValidationError) as exc:
            c.validate_constraints()
        assert "La date de fin doit suivre la date de début." in exc.value.messages


class TestCreneauIntervenantBilan:
    @pytest.mark.parametrize("duree", [0, 601])
    def test_duree_creneau(self, duree):
        refuse_par_la_base(CreneauFactory, duree_minutes=duree)

    def test_jour_inconnu(self):
        refuse_par_la_base(CreneauFactory, jour="funday")

    def test_statut_intervenant(self):
        refuse_par_la_base(IntervenantFactory, statut="stagiaire")

    def test_taux_presence(self):
        refuse_par_la_base(BilanActionFactory, taux_presence=Decimal("1.2"))

    def test_filles_garcons_coherents(self):
        refuse_par_la_base(BilanActionFactory, enfants_inscrits=10, filles=6, garcons=5)

    def test_un_seul_bilan_par_collectif(self):
        b = BilanActionFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            BilanAction.objects.create(collectif=b.collectif)
