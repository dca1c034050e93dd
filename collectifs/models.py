"""Collectifs d'enfants, leurs créneaux hebdomadaires et les intervenants du projet."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from dossiers.models import Dossier, DuDossierQuerySet, NiveauDiplome
from porteurs.models import code_postal_validator


class Classe(models.TextChoices):
    PS = "PS", "petite section"
    MS = "MS", "moyenne section"
    GS = "GS", "grande section"
    CP = "CP", "CP"
    CE1 = "CE1", "CE1"
    CE2 = "CE2", "CE2"
    CM1 = "CM1", "CM1"
    CM2 = "CM2", "CM2"
    SIXIEME = "6e", "6e"
    CINQUIEME = "5e", "5e"
    QUATRIEME = "4e", "4e"
    TROISIEME = "3e", "3e"
    SECONDE = "2nde", "2nde"
    PREMIERE = "1re", "1re"
    TERMINALE = "Tle", "terminale"


ORDRE_CLASSES = {c.value: i for i, c in enumerate(Classe)}


def valider_classes(valeur) -> None:
    if not isinstance(valeur, list):
        raise ValidationError("Les classes doivent être une liste.", code="classes_type")
    inconnues = [c for c in valeur if c not in ORDRE_CLASSES]
    if inconnues:
        raise ValidationError(
            "Classe inconnue : %(classes)s.",
            code="classe_inconnue",
            params={"classes": ", ".join(map(str, inconnues))},
        )
    if len(set(valeur)) != len(valeur):
        raise ValidationError("Une même classe est indiquée deux fois.", code="classe_double")


class Collectif(models.Model):
    """Groupe de 8 à 12 enfants (5 en milieu rural) suivi toute l'année dans un même lieu."""

    dossier = models.ForeignKey(
        Dossier, verbose_name="dossier", on_delete=models.CASCADE, related_name="collectifs"
    )
    ordre = models.PositiveSmallIntegerField("ordre", default=0)
    nom = models.CharField("nom du collectif", max_length=120, blank=True)
    classes = models.JSONField(
        "classes",
        default=list,
        blank=True,
        validators=[valider_classes],
        help_text="ex. : CM1, CM2",
    )
    nombre_enfants = models.PositiveSmallIntegerField("nombre d'enfants", null=True, blank=True)
    rural = models.BooleanField("en milieu rural", null=True, blank=True)
    lieu_nom = models.CharField("nom du lieu", max_length=160, blank=True)
    lieu_adresse = models.CharField("adresse du lieu", max_length=255, blank=True)
    lieu_code_postal = models.CharField(
        "code postal du lieu", max_length=5, blank=True, validators=[code_postal_validator]
    )
    lieu_commune = models.CharField("commune du lieu", max_length=120, blank=True)
    lieu_unique = models.BooleanField("même lieu toute l'année", null=True, blank=True)
    lieu_accessible_parents = models.BooleanField(
        "lieu accessible aux parents", null=True, blank=True
    )
    nombre_intervenants = models.PositiveSmallIntegerField(
        "nombre d'intervenants",
        null=True,
        blank=True,
        help_text="animateurs présents à chaque séance",
    )
    semaines_fonctionnement = models.PositiveSmallIntegerField(
        "semaines de fonctionnement", null=True, blank=True
    )
    date_debut = models.DateField("date de début", null=True, blank=True)
    date_fin = models.DateField("date de fin", null=True, blank=True)
    depenses_fonctionnement = models.DecimalField(
        "dépenses de fonctionnement (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    montant_accorde = models.DecimalField(
        "montant accordé (€)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="décision de la Caf pour ce collectif ; par défaut, la PS calculée",
    )

    objects = DuDossierQuerySet.as_manager()

    class Meta:
        verbose_name = "collectif"
        verbose_name_plural = "collectifs"
        ordering = ["dossier", "ordre", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nombre_enfants__isnull=True) | Q(nombre_enfants__lte=500),
                name="collectif_nombre_enfants_max",
                violation_error_message="Un collectif compte au plus 500 enfants.",
            ),
            models.CheckConstraint(
                condition=Q(nombre_intervenants__isnull=True) | Q(nombre_intervenants__lte=100),
                name="collectif_nombre_intervenants_max",
                violation_error_message="Un collectif compte au plus 100 intervenants.",
            ),
            models.CheckConstraint(
                condition=Q(semaines_fonctionnement__isnull=True)
                | Q(semaines_fonctionnement__lte=53),
                name="collectif_semaines_max",
                violation_error_message="Une année compte au plus 53 semaines de fonctionnement.",
            ),
            models.CheckConstraint(
                condition=Q(depenses_fonctionnement__isnull=True)
                | Q(depenses_fonctionnement__gte=0),
                name="collectif_depenses_positives",
                violation_error_message="Les dépenses de fonctionnement ne peuvent pas être négatives.",
            ),
            models.CheckConstraint(
                condition=Q(montant_accorde__isnull=True) | Q(montant_accorde__gte=0),
                name="collectif_montant_accorde_positif",
                violation_error_message="Le montant accordé ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                condition=Q(date_debut__isnull=True)
                | Q(date_fin__isnull=True)
                | Q(date_fin__gte=F("date_debut")),
                name="collectif_dates_ordonnees",
                violation_error_message="La date de fin doit suivre la date de début.",
            ),
            models.CheckConstraint(
                condition=Q(lieu_code_postal="") | Q(lieu_code_postal__regex=r"^[0-9]{5}$"),
                name="collectif_code_postal_5_chiffres",
                violation_error_message="Le code postal du lieu doit comporter exactement 5 chiffres.",
            ),
        ]

    def __str__(self):
        return self.nom or f"Collectif {self.ordre + 1}"

    def classes_triees(self) -> list[str]:
        return sorted(self.classes or [], key=lambda c: ORDRE_CLASSES.get(c, 99))


class Jour(models.TextChoices):
    LUNDI = "lundi", "lundi"
    MARDI = "mardi", "mardi"
    MERCREDI = "mercredi", "mercredi"
    JEUDI = "jeudi", "jeudi"
    VENDREDI = "vendredi", "vendredi"
    SAMEDI = "samedi", "samedi"
    DIMANCHE = "dimanche", "dimanche"


class CreneauQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(collectif__in=Collectif.objects.visible_to(user))


class Creneau(models.Model):
    """Séance hebdomadaire prévue d'un collectif (jour, heure, durée)."""

    collectif = models.ForeignKey(
        Collectif, verbose_name="collectif", on_delete=models.CASCADE, related_name="creneaux"
    )
    jour = models.CharField("jour", max_length=8, choices=Jour.choices)
    debut = models.TimeField("heure de début", null=True, blank=True)
    duree_minutes = models.PositiveSmallIntegerField("durée (minutes)")

    objects = CreneauQuerySet.as_manager()

    class Meta:
        verbose_name = "créneau hebdomadaire"
        verbose_name_plural = "créneaux hebdomadaires"
        ordering = ["collectif", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duree_minutes__gte=1) & Q(duree_minutes__lte=600),
                name="creneau_duree_1_600",
                violation_error_message="Une séance dure de 1 à 600 minutes.",
            ),
            models.CheckConstraint(
                condition=Q(jour__in=[j.value for j in Jour]),
                name="creneau_jour_connu",
                violation_error_message="Ce jour de la semaine n'existe pas.",
            ),
        ]

    def __str__(self):
        heure = f" à {self.debut:%H:%M}" if self.debut else ""
        return f"{self.get_jour_display()}{heure}, {self.duree_minutes} min"


class Intervenant(models.Model):
    """Personne qui anime les séances (salariée ou bénévole). Le diplôme est gardé en niveau."""

    class Statut(models.TextChoices):
        SALARIE = "salarie", "salarié·e"
        BENEVOLE = "benevole", "bénévole"

    dossier = models.ForeignKey(
        Dossier, verbose_name="dossier", on_delete=models.CASCADE, related_name="intervenants"
    )
    nom = models.CharField("nom", max_length=160)
    statut = models.CharField("statut", max_length=10, choices=Statut.choices)
    fonction = models.CharField(
        "fonction", max_length=120, blank=True, help_text="ex. : animatrice"
    )
    niveau_diplome = models.CharField(
        "niveau de diplôme", max_length=8, choices=NiveauDiplome.choices, blank=True
    )
    diplome_justifie_le = models.DateField(
        "diplôme justifié le",
        null=True,
        blank=True,
        help_text="date à laquelle le justificatif a été vu ; le justificatif n'est pas conservé",
    )
    collectifs = models.ManyToManyField(
        Collectif, verbose_name="collectifs animés", related_name="intervenants", blank=True
    )

    objects = DuDossierQuerySet.as_manager()

    class Meta:
        verbose_name = "intervenant"
        verbose_name_plural = "intervenants"
        ordering = ["dossier", "nom"]
        constraints = [
            models.CheckConstraint(
                condition=Q(statut__in=["salarie", "benevole"]),
                name="intervenant_statut_connu",
                violation_error_message="Un intervenant est salarié ou bénévole.",
            ),
        ]

    def __str__(self):
        return f"{self.nom} ({self.get_statut_display()})"
