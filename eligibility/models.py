"""Paramètres de financement par année scolaire, fixés par l'administrateur national.

Le moteur (``eligibility.moteur``) reste pur : il reçoit ces valeurs en entrée, sous la forme
d'un ``ParametresFinancement``. Chaque modification est gardée dans l'historique (qui, quand,
avant, après).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q

from .editions import CNAF_2019, EDITIONS, ParametresFinancement


class ParametresAnneeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Paramètres publics du référentiel : lisibles par tout utilisateur connecté."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.all()


class ParametresAnnee(models.Model):
    """Taux de la PS et prix plafond par collectif, pour une année scolaire."""

    annee = models.PositiveSmallIntegerField(
        "année scolaire",
        unique=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text="année de la rentrée : 2025 pour 2025-2026",
    )
    edition = models.CharField(
        "édition du référentiel",
        max_length=20,
        default=CNAF_2019.code,
        choices=[(code, code) for code in EDITIONS],
    )
    taux_ps = models.DecimalField(
        "taux de la prestation de service",
        max_digits=5,
        decimal_places=4,
        default=CNAF_2019.taux_ps,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="part des dépenses de fonctionnement payée par la Caf (0,325 = 32,5 %)",
    )
    prix_plafond = models.DecimalField(
        "prix plafond par collectif (€)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="dépenses retenues au plus par collectif ; vide : montants non calculables",
    )
    modifie_le = models.DateTimeField("modifié le", auto_now=True)
    modifie_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modifié par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ParametresAnneeQuerySet.as_manager()

    class Meta:
        verbose_name = "paramètres de financement d'une année"
        verbose_name_plural = "paramètres de financement par année"
        ordering = ["-annee"]
        constraints = [
            models.CheckConstraint(
                condition=Q(taux_ps__gte=0) & Q(taux_ps__lte=1),
                name="parametres_taux_entre_0_et_1",
                violation_error_message="Le taux de la PS est compris entre 0 et 1.",
            ),
            models.CheckConstraint(
                condition=Q(prix_plafond__isnull=True) | Q(prix_plafond__gte=0),
                name="parametres_plafond_positif",
                violation_error_message="Le prix plafond ne peut pas être négatif.",
            ),
        ]

    def __str__(self):
        return f"{self.annee}-{self.annee + 1}"

    @property
    def annee_scolaire(self) -> str:
        return f"{self.annee}-{self.annee + 1}"

    def financement(self) -> ParametresFinancement:
        return ParametresFinancement(taux_ps=self.taux_ps, prix_plafond=self.prix_plafond)

    def enregistrer(self, par) -> "ParametresAnnee":
        """Enregistre et garde la trace du changement, dans une seule transaction."""
        with transaction.atomic():
            avant = None
            if self.pk:
                avant = ParametresAnnee.objects.select_for_update().filter(pk=self.pk).first()
            self.modifie_par = par
            self.save()
            HistoriqueParametres.objects.create(
                annee=self.annee,
                taux_ps_avant=avant.taux_ps if avant else None,
                prix_plafond_avant=avant.prix_plafond if avant else None,
                taux_ps=self.taux_ps,
                prix_plafond=self.prix_plafond,
                par=par,
            )
            from audit.journal import consigner

            consigner(
                "parametres",
                objet=self,
                utilisateur=par,
                details={
                    "taux_ps": [str(avant.taux_ps) if avant else None, str(self.taux_ps)],
                    "prix_plafond": [
                        str(avant.prix_plafond) if avant and avant.prix_plafond else None,
                        None if self.prix_plafond is None else str(self.prix_plafond),
                    ],
                },
            )
        return self


def financement_pour_annee(annee: int) -> ParametresFinancement:
    """Paramètres de l'année ; sans paramètres fixés : taux de l'édition, plafond inconnu."""
    parametres = ParametresAnnee.objects.filter(annee=annee).first()
    if parametres is None:
        return ParametresFinancement(taux_ps=CNAF_2019.taux_ps, prix_plafond=None)
    return parametres.financement()


class HistoriqueParametres(models.Model):
    """Trace de chaque modification des paramètres de financement (jamais modifiée)."""

    annee = models.PositiveSmallIntegerField("année scolaire")
    taux_ps_avant = models.DecimalField(
        "taux avant", max_digits=5, decimal_places=4, null=True, blank=True
    )
    prix_plafond_avant = models.DecimalField(
        "plafond avant", max_digits=10, decimal_places=2, null=True, blank=True
    )
    taux_ps = models.DecimalField("taux", max_digits=5, decimal_places=4)
    prix_plafond = models.DecimalField(
        "plafond", max_digits=10, decimal_places=2, null=True, blank=True
    )
    par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    le = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "modification des paramètres"
        verbose_name_plural = "historique des paramètres de financement"
        ordering = ["-le", "-pk"]

    def __str__(self):
        return f"{self.annee}-{self.annee + 1} — {self.le:%d/%m/%Y %H:%M}"
