"""Organisations porteuses de projets Clas (associations, communes, centres sociaux…)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret

from clas_portal.fichiers import PieceTeleversee, chemin_piece
from comptes.models import Departement

code_postal_validator = RegexValidator(
    r"^[0-9]{5}$", "Le code postal doit comporter exactement 5 chiffres."
)


def valider_siret(valeur: str) -> None:
    """Un SIRET a 14 chiffres et une clé de contrôle (algorithme de Luhn)."""
    compact = (valeur or "").replace(" ", "")
    if not compact.isdigit() or len(compact) != 14:
        raise ValidationError(
            "Le SIRET doit comporter exactement 14 chiffres (« %(valeur)s » reçu).",
            code="siret_format",
            params={"valeur": valeur},
        )
    try:
        stdnum_siret.validate(compact)
    except StdnumError as exc:
        raise ValidationError(
            "Le SIRET « %(valeur)s » n'est pas valide : sa clé de contrôle est fausse. "
            "Vérifiez-le sur votre avis de situation Insee.",
            code="siret_cle",
            params={"valeur": valeur},
        ) from exc


class Forme(models.TextChoices):
    ASSOCIATION = "association", "association"
    COMMUNE = "commune", "commune"
    EPCI = "epci", "établissement public de coopération intercommunale"
    CENTRE_SOCIAL = "centre_social", "centre social"
    ETABLISSEMENT_PUBLIC = "etablissement_public", "établissement public"
    AUTRE = "autre", "autre"


class PorteurQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Périmètre d'un utilisateur sur les organisations porteuses.

        - administrateur national : toutes ;
        - agent Caf, secrétariat : celles de son département, ou qui y ont déposé un dossier ;
        - porteur : celles dont il est membre.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.est_admin:
            return self.all()
        if user.est_personnel_caf:
            return self.filter(
                Q(departement_id=user.departement_id)
                | Q(dossiers__departement_id=user.departement_id)
            ).distinct()
        return self.filter(membres__utilisateur=user)


class Porteur(models.Model):
    """Organisation porteuse d'un ou plusieurs projets Clas."""

    raison_sociale = models.CharField("raison sociale", max_length=200)
    siret = models.CharField(
        "SIRET",
        max_length=14,
        unique=True,
        validators=[valider_siret],
        help_text="14 chiffres, sans espace",
    )
    forme = models.CharField("forme juridique", max_length=24, choices=Forme.choices)
    adresse = models.CharField("adresse", max_length=255, blank=True)
    code_postal = models.CharField(
        "code postal", max_length=5, blank=True, validators=[code_postal_validator]
    )
    commune = models.CharField("commune", max_length=120, blank=True)
    departement = models.ForeignKey(
        Departement,
        verbose_name="département",
        on_delete=models.PROTECT,
        related_name="porteurs",
    )
    email = models.EmailField("adresse électronique de contact", blank=True)
    telephone = models.CharField("téléphone", max_length=20, blank=True)
    representant_nom = models.CharField("représentant légal", max_length=160, blank=True)
    representant_qualite = models.CharField(
        "qualité du représentant légal", max_length=120, blank=True, help_text="ex. : président·e"
    )
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)
    utilisateurs = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membre",
        related_name="porteurs",
        verbose_name="membres",
    )

    objects = PorteurQuerySet.as_manager()

    class Meta:
        verbose_name = "porteur de projet"
        verbose_name_plural = "porteurs de projet"
        ordering = ["raison_sociale"]
        constraints = [
            models.CheckConstraint(
                condition=Q(siret__regex=r"^[0-9]{14}$"),
                name="porteur_siret_14_chiffres",
                violation_error_message="Le SIRET doit comporter exactement 14 chiffres.",
            ),
            models.CheckConstraint(
                condition=Q(code_postal="") | Q(code_postal__regex=r"^[0-9]{5}$"),
                name="porteur_code_postal_5_chiffres",
                violation_error_message="Le code postal doit comporter exactement 5 chiffres.",
            ),
        ]

    def __str__(self):
        return self.raison_sociale


class MembreQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(porteur__in=Porteur.objects.visible_to(user))


class Membre(models.Model):
    """Appartenance d'un compte porteur à une organisation."""

    class Qualite(models.TextChoices):
        RESPONSABLE = "responsable", "responsable (peut inviter)"
        CONTRIBUTEUR = "contributeur", "contributeur"

    porteur = models.ForeignKey(
        Porteur, verbose_name="porteur", on_delete=models.CASCADE, related_name="membres"
    )
    utilisateur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.CASCADE,
        related_name="adhesions",
    )
    qualite = models.CharField(
        "qualité", max_length=16, choices=Qualite.choices, default=Qualite.RESPONSABLE
    )
    depuis = models.DateTimeField("membre depuis", auto_now_add=True)

    objects = MembreQuerySet.as_manager()

    class Meta:
        verbose_name = "membre"
        verbose_name_plural = "membres"
        ordering = ["porteur", "utilisateur"]
        constraints = [
            models.UniqueConstraint(
                fields=["porteur", "utilisateur"],
                name="membre_unique_par_porteur",
                violation_error_message="Cette personne est déjà membre de cette organisation.",
            )
        ]

    def __str__(self):
        return f"{self.utilisateur} — {self.porteur}"


class TypePiecePermanente(models.TextChoices):
    STATUTS = "statuts", "statuts de l'organisation"
    RIB = "rib", "relevé d'identité bancaire"
    ASSURANCE = "assurance", "attestation d'assurance"


PIECES_PERMANENTES_OBLIGATOIRES = (
    TypePiecePermanente.STATUTS,
    TypePiecePermanente.RIB,
    TypePiecePermanente.ASSURANCE,
)


class PiecePermanenteQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(porteur__in=Porteur.objects.visible_to(user))


# Nom encore cité par une migration ancienne.
_chemin_piece_permanente = chemin_piece


class PiecePermanente(PieceTeleversee):
    """Pièce de l'organisation (statuts, RIB, assurance), reprise par chacun de ses dossiers."""

    DOSSIER_STOCKAGE = "pieces-permanentes"

    porteur = models.ForeignKey(
        Porteur, verbose_name="porteur", on_delete=models.CASCADE, related_name="pieces"
    )
    type = models.CharField("type de pièce", max_length=12, choices=TypePiecePermanente.choices)

    objects = PiecePermanenteQuerySet.as_manager()

    class Meta:
        verbose_name = "pièce permanente"
        verbose_name_plural = "pièces permanentes"
        ordering = ["porteur", "type", "-deposee_le"]
        constraints = [
            models.UniqueConstraint(
                fields=["porteur", "type"],
                name="piece_permanente_une_par_type",
                violation_error_message="Cette organisation a déjà une pièce de ce type : remplacez-la.",
            ),
            models.CheckConstraint(
                condition=Q(taille__lte=10 * 1024 * 1024),
                name="piece_permanente_10_mo",
                violation_error_message="Une pièce pèse 10 Mo au plus.",
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} — {self.porteur}"


class InvitationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(porteur__in=Porteur.objects.visible_to(user))

    def valides(self):
        from django.utils import timezone

        return self.filter(
            acceptee_le__isnull=True, annulee_le__isnull=True, expire_le__gt=timezone.now()
        )


class Invitation(models.Model):
    """Invitation à rejoindre une organisation, envoyée par un membre ou un agent Caf."""

    porteur = models.ForeignKey(
        Porteur, verbose_name="porteur", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField("adresse électronique invitée")
    jeton = models.CharField("jeton", max_length=64, unique=True)
    invite_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="invité par",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    cree_le = models.DateTimeField("envoyée le", auto_now_add=True)
    expire_le = models.DateTimeField("expire le")
    acceptee_le = models.DateTimeField("acceptée le", null=True, blank=True)
    annulee_le = models.DateTimeField("annulée le", null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "invitation"
        verbose_name_plural = "invitations"
        ordering = ["-cree_le"]

    def __str__(self):
        return f"{self.email} → {self.porteur}"
