import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from porteurs.models import Membre, Porteur, valider_siret
from tests.factories import MembreFactory, PorteurFactory, siret_valide


class TestSiret:
    def test_siret_valide(self):
        valider_siret("73282932000074")  # pas d'exception

    @pytest.mark.parametrize("siret", ["73282932000075", "73282932000064"])
    def test_cle_de_controle_fausse(self, siret):
        with pytest.raises(ValidationError) as exc:
            valider_siret(siret)
        assert exc.value.code == "siret_cle"
        assert "clé de contrôle" in exc.value.messages[0]

    @pytest.mark.parametrize("siret", ["", "7328293200007", "732829320000745", "7328293200007A"])
    def test_format(self, siret):
        with pytest.raises(ValidationError) as exc:
            valider_siret(siret)
        assert exc.value.code == "siret_format"
        assert "14 chiffres" in exc.value.messages[0]

    def test_fabrique_de_siret_valides(self):
        for n in range(50):
            valider_siret(siret_valide(n))


@pytest.mark.django_db
class TestPorteur:
    def test_full_clean_nomme_le_champ_siret(self, dep59):
        p = Porteur(
            raison_sociale="Asso", siret="12345678901234", forme="association", departement=dep59
        )
        with pytest.raises(ValidationError) as exc:
            p.full_clean()
        assert "siret" in exc.value.message_dict

    def test_siret_unique(self):
        PorteurFactory(siret="73282932000074")
        with pytest.raises(IntegrityError), transaction.atomic():
            PorteurFactory(siret="73282932000074")

    def test_siret_14_chiffres_en_base(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            PorteurFactory(siret="1234")

    def test_code_postal_en_base(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            PorteurFactory(code_postal="5910")

    def test_membre_unique(self):
        m = MembreFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            Membre.objects.create(porteur=m.porteur, utilisateur=m.utilisateur)
