"""Paramètres de financement par année scolaire, fixés par l'administrateur national.

Le moteur (``eligibility.moteur``) reste pur : il reçoit ces valeurs en entrée, sous la forme
d'un ``ParametresFinancement``. Chaque modification est gardée dans l'historique (qui, quand,
avant, après).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q

from .editions import CNAF_2019, EDITIONS, ParametresFinancement

# Les valeurs dont chaque changement est historisé (``ParametresAnnee.enregistrer``).
CHAMPS_HISTORISES = ("edition", "taux_ps", "prix_plafond")


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

    def valeurs_historisees(self) -> dict:
        """Les valeurs suivies par l'historique (``CHAMPS_HISTORISES``), normalisées par leur
        champ : « 0.3250 », Decimal("0.325") et "0.325" sont la même valeur."""
        return {
            nom: self._meta.get_field(nom).to_python(getattr(self, nom))
            for nom in CHAMPS_HISTORISES
        }

    def enregistrer(self, par) -> "ParametresAnnee":
        """Enregistre et garde la trace de ce qui a changé, dans une seule transaction.

        Les valeurs d'avant (relues en base, ligne verrouillée) et d'après sont comparées champ
        par champ (``CHAMPS_HISTORISES`` : édition du référentiel, taux, prix plafond) :

        - rien n'a changé : rien n'est écrit (ni les paramètres, ni l'historique, ni le journal
          d'audit) ;
        - sinon une ligne d'historique (avant, après, qui, quand) et un événement d'audit dont
          les détails ne nomment que les valeurs changées.

        L'attribut ``changements`` dit ce qui a changé : ``{champ: (avant, après)}`` (vide :
        rien). Un changement modifie la PS calculée de chaque dossier non encore décidé ; les
        évaluations figées des dossiers décidés gardent leurs paramètres.
        """
        with transaction.atomic():
            avant = None
            if self.pk:
                avant = ParametresAnnee.objects.select_for_update().filter(pk=self.pk).first()
            if avant is not None and avant.annee != self.annee:
                raise ValidationError(
                    {
                        "annee": "L'année scolaire de paramètres déjà enregistrés ne se modifie "
                        f"pas (paramètres {avant.annee_scolaire}) : créez ceux de l'autre année."
                    }
                )
            anciennes = avant.valeurs_historisees() if avant else dict.fromkeys(CHAMPS_HISTORISES)
            nouvelles = self.valeurs_historisees()
            self.changements = {
                nom: (anciennes[nom], nouvelles[nom])
                for nom in CHAMPS_HISTORISES
                if avant is None or anciennes[nom] != nouvelles[nom]
            }
            if not self.changements:
                return self
            self.modifie_par = par
            self.save()
            HistoriqueParametres.objects.create(
                annee=self.annee,
                edition_avant=anciennes["edition"] or "",
                edition=self.edition,
                taux_ps_avant=anciennes["taux_ps"],
                prix_plafond_avant=anciennes["prix_plafond"],
                taux_ps=self.taux_ps,
                prix_plafond=self.prix_plafond,
                par=par,
            )
            from audit.journal import consigner
            from audit.models import Action

            consigner(
                Action.PARAMETRES,
                objet=self,
                utilisateur=par,
                details={
                    nom: [_texte(ancienne), _texte(nouvelle)]
                    for nom, (ancienne, nouvelle) in self.changements.items()
                },
            )
        return self


def _texte(valeur) -> str | None:
    """Une valeur pour les détails (JSON) d'un événement d'audit : ``None`` reste ``None``."""
    return None if valeur is None else str(valeur)


def financement_pour_annee(annee: int) -> ParametresFinancement:
    """Paramètres de l'année ; sans paramètres fixés : taux de l'édition, plafond inconnu."""
    parametres = ParametresAnnee.objects.filter(annee=annee).first()
    if parametres is None:
        return ParametresFinancement(taux_ps=CNAF_2019.taux_ps, prix_plafond=None)
    return parametres.financement()


class HistoriqueParametres(models.Model):
    """Trace de chaque modification des paramètres de financement (jamais modifiée)."""

    annee = models.PositiveSmallIntegerField("année scolaire")
    edition_avant = models.CharField(
        "édition avant",
        max_length=20,
        blank=True,
        help_text="vide : paramètres créés par cette modification (ou trace antérieure à "
        "l'historisation de l'édition)",
    )
    edition = models.CharField(
        "édition",
        max_length=20,
        blank=True,
        help_text="vide : trace antérieure à l'historisation de l'édition",
    )
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

    @property
    def champs_modifies(self) -> list[str]:
        """Les libellés des valeurs que cette modification a changées (création : toutes)."""
        paires = [
            ("édition du référentiel", self.edition_avant, self.edition),
            ("taux de la PS", self.taux_ps_avant, self.taux_ps),
            ("prix plafond", self.prix_plafond_avant, self.prix_plafond),
        ]
        if self.taux_ps_avant is None:  # création : aucune valeur d'avant
            return [libelle for libelle, _avant, _apres in paires]
        return [
            libelle
            for libelle, avant, apres in paires
            # Une trace antérieure à l'historisation de l'édition ne dit rien de l'édition.
            if avant != apres and not (libelle.startswith("édition") and not apres)
        ]
