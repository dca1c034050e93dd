"""Activité réalisée des collectifs : le bilan de l'action (questionnaire d'activité)."""

from django.db import models
from django.db.models import F, Q

from collectifs.models import Collectif


class BilanActionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(collectif__in=Collectif.objects.visible_to(user))


class BilanAction(models.Model):
    """Chiffres de l'année réalisée d'un collectif (champ « bilan » du format d'échange)."""

    collectif = models.OneToOneField(
        Collectif, verbose_name="collectif", on_delete=models.CASCADE, related_name="bilan"
    )
    enfants_inscrits = models.PositiveIntegerField("enfants inscrits", null=True, blank=True)
    filles = models.PositiveIntegerField("filles", null=True, blank=True)
    garcons = models.PositiveIntegerField("garçons", null=True, blank=True)
    familles = models.PositiveIntegerField("familles", null=True, blank=True)
    seances_realisees = models.PositiveIntegerField("séances réalisées", null=True, blank=True)
    heures_realisees = models.DecimalField(
        "heures réalisées", max_digits=8, decimal_places=2, null=True, blank=True
    )
    taux_presence = models.DecimalField(
        "taux de présence",
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="entre 0 et 1",
    )
    intervenants_salaries = models.PositiveIntegerField(
        "intervenants salariés", null=True, blank=True
    )
    intervenants_benevoles = models.PositiveIntegerField(
        "intervenants bénévoles", null=True, blank=True
    )
    actions_parents = models.PositiveIntegerField("actions avec les parents", null=True, blank=True)
    rencontres_ecole = models.PositiveIntegerField("rencontres avec l'école", null=True, blank=True)
    saisi_le = models.DateTimeField("saisi le", auto_now=True)

    objects = BilanActionQuerySet.as_manager()

    class Meta:
        verbose_name = "bilan de l'action"
        verbose_name_plural = "bilans de l'action"
        constraints = [
            models.CheckConstraint(
                condition=Q(taux_presence__isnull=True)
                | (Q(taux_presence__gte=0) & Q(taux_presence__lte=1)),
                name="bilan_taux_presence_0_1",
                violation_error_message="Le taux de présence est compris entre 0 et 1.",
            ),
            models.CheckConstraint(
                condition=Q(heures_realisees__isnull=True) | Q(heures_realisees__gte=0),
                name="bilan_heures_positives",
                violation_error_message="Les heures réalisées ne peuvent pas être négatives.",
            ),
            models.CheckConstraint(
                condition=Q(enfants_inscrits__isnull=True)
                | Q(filles__isnull=True)
                | Q(garcons__isnull=True)
                | Q(enfants_inscrits__gte=F("filles") + F("garcons")),
                name="bilan_filles_garcons_coherents",
                violation_error_message=(
                    "Le nombre de filles et de garçons dépasse le nombre d'enfants inscrits."
                ),
            ),
        ]

    def __str__(self):
        return f"Bilan — {self.collectif}"
