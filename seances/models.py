"""L'année du Clas : séances prévues et réalisées, enfants (pseudonymes), cahier de présence,
actions avec les parents, rencontres avec l'école et bilan de l'action de chaque collectif.

Protection des données : un enfant n'est qu'un code choisi par le porteur, une classe, un sexe
et un code famille — jamais un nom, une date de naissance ni une adresse. Les données par enfant
(``Enfant``, ``Presence``) ne sont visibles que des membres de l'organisation porteuse ; la Caf
et le secrétariat ne voient que des agrégats. Elles sont purgées après le bilan (``purge.py``),
les agrégats (séances, bilan) restant.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from collectifs.models import Classe, Collectif, Intervenant


class DuCollectifQuerySet(models.QuerySet):
    """Objets agrégés d'un collectif : visibles de quiconque voit le collectif."""

    def visible_to(self, user):
        return self.filter(collectif__in=Collectif.objects.visible_to(user))


class DonneesEnfantsQuerySet(models.QuerySet):
    """Données par enfant : réservées aux membres de l'organisation porteuse.

    Le seul endroit où se décide qui voit le registre nominatif (pseudonyme) : ni les agents de
    la Caf, ni le secrétariat, ni l'administration nationale — ils ne voient que des agrégats.
    """

    chemin_collectif = "collectif"

    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active or not user.est_porteur:
            return self.none()
        return self.filter(
            **{f"{self.chemin_collectif}__dossier__porteur__membres__utilisateur": user}
        )


class PresenceQuerySet(DonneesEnfantsQuerySet):
    chemin_collectif = "seance__collectif"


class Activite(models.TextChoices):
    METHODOLOGIE = "methodologie", "méthodologie, organisation du travail"
    LECTURE = "lecture", "lecture, écriture, langage"
    SCIENCES = "sciences", "sciences, expériences"
    NUMERIQUE = "numerique", "numérique"
    ARTS = "arts", "activité artistique ou d'expression"
    JEU = "jeu", "jeu éducatif"
    SORTIE = "sortie_culturelle", "sortie culturelle"
    CITOYENNETE = "citoyennete", "citoyenneté, débat"
    AUTRE = "autre", "autre"


class Seance(models.Model):
    """Une séance d'un collectif : prévue par le calendrier, ajoutée, déplacée ou annulée."""

    class Statut(models.TextChoices):
        PREVUE = "prevue", "prévue"
        REALISEE = "realisee", "réalisée"
        ANNULEE = "annulee", "annulée"

    class Origine(models.TextChoices):
        CALENDRIER = "calendrier", "générée par le calendrier"
        AJOUTEE = "ajoutee", "ajoutée par le porteur"

    collectif = models.ForeignKey(
        Collectif, verbose_name="collectif", on_delete=models.CASCADE, related_name="seances"
    )
    date = models.DateField("date")
    debut = models.TimeField("heure de début", null=True, blank=True)
    duree_minutes = models.PositiveSmallIntegerField("durée (minutes)")
    statut = models.CharField("statut", max_length=10, choices=Statut.choices, default="prevue")
    origine = models.CharField(
        "origine", max_length=12, choices=Origine.choices, default="calendrier"
    )
    date_prevue = models.DateField(
        "date prévue à l'origine",
        null=True,
        blank=True,
        help_text="renseignée quand la séance a été déplacée",
    )
    debut_prevu = models.TimeField(
        "heure prévue à l'origine",
        null=True,
        blank=True,
        help_text="heure de début avant le premier déplacement (vide si elle n'était pas fixée)",
    )
    motif_annulation = models.CharField("motif de l'annulation", max_length=255, blank=True)
    activite = models.CharField(
        "activité de la séance", max_length=20, choices=Activite.choices, blank=True
    )
    activite_detail = models.CharField("précisions sur l'activité", max_length=255, blank=True)
    animateurs = models.ManyToManyField(
        Intervenant, verbose_name="animateurs présents", related_name="seances", blank=True
    )
    # Agrégats gardés après la purge des données par enfant.
    nombre_inscrits = models.PositiveSmallIntegerField(
        "enfants inscrits lors de l'appel", null=True, blank=True
    )
    nombre_presents = models.PositiveSmallIntegerField("enfants présents", null=True, blank=True)
    appel_fait_le = models.DateTimeField("appel enregistré le", null=True, blank=True)
    modifiee_le = models.DateTimeField("modifiée le", auto_now=True)

    objects = DuCollectifQuerySet.as_manager()

    class Meta:
        verbose_name = "séance"
        verbose_name_plural = "séances"
        ordering = ["collectif", "date", "debut", "pk"]
        indexes = [models.Index(fields=["collectif", "date"], name="seance_collectif_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["collectif", "date", "debut"],
                condition=~Q(statut="annulee"),
                name="seance_unique_date_heure",
                violation_error_message=(
                    "Ce collectif a déjà une séance à cette date et à cette heure."
                ),
            ),
            models.CheckConstraint(
                condition=Q(duree_minutes__gte=1) & Q(duree_minutes__lte=600),
                name="seance_duree_plausible",
                violation_error_message="La durée d'une séance est comprise entre 1 et 600 minutes.",
            ),
            models.CheckConstraint(
                condition=~Q(statut="annulee") | ~Q(motif_annulation=""),
                name="seance_annulee_motif",
                violation_error_message="Une séance annulée doit avoir un motif.",
            ),
            models.CheckConstraint(
                condition=Q(nombre_presents__isnull=True)
                | Q(nombre_inscrits__isnull=True)
                | Q(nombre_presents__lte=F("nombre_inscrits")),
                name="seance_presents_inscrits",
                violation_error_message="Il ne peut y avoir plus de présents que d'inscrits.",
            ),
        ]

    def __str__(self):
        heure = f" à {self.debut:%H:%M}" if self.debut else ""
        return f"Séance du {self.date:%d/%m/%Y}{heure}"

    @property
    def est_annulee(self) -> bool:
        return self.statut == self.Statut.ANNULEE


class Sexe(models.TextChoices):
    FILLE = "F", "fille"
    GARCON = "G", "garçon"


class Enfant(models.Model):
    """Un enfant d'un collectif, sous pseudonyme : jamais de nom, de date de naissance ni
    d'adresse (minimisation des données, RGPD art. 5)."""

    collectif = models.ForeignKey(
        Collectif, verbose_name="collectif", on_delete=models.CASCADE, related_name="enfants"
    )
    code = models.CharField(
        "code de l'enfant",
        max_length=20,
        help_text="choisi par votre structure, par exemple des initiales et un numéro (« AB-01 ») ;"
        " jamais le nom de l'enfant",
    )
    classe = models.CharField("classe", max_length=4, choices=Classe.choices)
    sexe = models.CharField("sexe", max_length=1, choices=Sexe.choices)
    code_famille = models.CharField(
        "code famille",
        max_length=20,
        help_text="le même code pour les frères et sœurs, pour compter les familles",
    )
    inscrit_le = models.DateField("inscrit le", null=True, blank=True)
    sorti_le = models.DateField(
        "sorti du collectif le", null=True, blank=True, help_text="si l'enfant quitte le collectif"
    )

    objects = DonneesEnfantsQuerySet.as_manager()

    class Meta:
        verbose_name = "enfant (pseudonyme)"
        verbose_name_plural = "enfants (pseudonymes)"
        ordering = ["collectif", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectif", "code"],
                name="enfant_code_unique_collectif",
                violation_error_message="Ce code est déjà utilisé dans ce collectif.",
            ),
            models.CheckConstraint(
                condition=Q(sexe__in=["F", "G"]),
                name="enfant_sexe_connu",
                violation_error_message="Le sexe est « fille » ou « garçon ».",
            ),
        ]

    def __str__(self):
        return self.code


class Presence(models.Model):
    """Une ligne du cahier de présence : un enfant, une séance, présent ou absent."""

    seance = models.ForeignKey(
        Seance, verbose_name="séance", on_delete=models.CASCADE, related_name="presences"
    )
    enfant = models.ForeignKey(
        Enfant, verbose_name="enfant", on_delete=models.CASCADE, related_name="presences"
    )
    present = models.BooleanField("présent")

    objects = PresenceQuerySet.as_manager()

    class Meta:
        verbose_name = "présence"
        verbose_name_plural = "présences"
        constraints = [
            models.UniqueConstraint(
                fields=["seance", "enfant"],
                name="presence_unique",
                violation_error_message="La présence de cet enfant à cette séance est déjà notée.",
            ),
        ]

    def __str__(self):
        return f"{self.enfant} — {self.seance} : {'présent' if self.present else 'absent'}"


class ActionParents(models.Model):
    """Une action menée avec les parents (axe 4 du référentiel), comptée dans le bilan."""

    class Type(models.TextChoices):
        REUNION = "reunion", "réunion d'information"
        ATELIER = "atelier", "atelier parents-enfants"
        ENTRETIEN = "entretien", "entretien individuel"
        PARTICIPATION = "participation_seance", "participation à une séance"
        SORTIE = "sortie", "sortie avec les familles"
        ECHANGE = "echange", "temps d'échange entre parents"
        AUTRE = "autre", "autre"

    collectif = models.ForeignKey(
        Collectif,
        verbose_name="collectif",
        on_delete=models.CASCADE,
        related_name="actions_parents",
    )
    type = models.CharField("type d'action", max_length=24, choices=Type.choices)
    date = models.DateField("date")
    nombre_parents = models.PositiveSmallIntegerField("nombre de parents présents")
    commentaire = models.CharField("commentaire", max_length=500, blank=True)
    cree_le = models.DateTimeField("enregistrée le", auto_now_add=True)

    objects = DuCollectifQuerySet.as_manager()

    class Meta:
        verbose_name = "action avec les parents"
        verbose_name_plural = "actions avec les parents"
        ordering = ["collectif", "date", "pk"]

    def __str__(self):
        return f"{self.get_type_display()} du {self.date:%d/%m/%Y}"


class RencontreEcole(models.Model):
    """Une rencontre avec l'école (enseignants, direction…), comptée dans le bilan."""

    collectif = models.ForeignKey(
        Collectif,
        verbose_name="collectif",
        on_delete=models.CASCADE,
        related_name="rencontres_ecole",
    )
    date = models.DateField("date")
    interlocuteurs = models.CharField(
        "avec qui", max_length=255, help_text="par exemple : la directrice et l'enseignante de CM1"
    )
    objet = models.CharField("objet de la rencontre", max_length=500, blank=True)
    cree_le = models.DateTimeField("enregistrée le", auto_now_add=True)

    objects = DuCollectifQuerySet.as_manager()

    class Meta:
        verbose_name = "rencontre avec l'école"
        verbose_name_plural = "rencontres avec l'école"
        ordering = ["collectif", "date", "pk"]

    def __str__(self):
        return f"Rencontre du {self.date:%d/%m/%Y} avec {self.interlocuteurs}"


class BilanActionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(collectif__in=Collectif.objects.visible_to(user))


class BilanAction(models.Model):
    """Chiffres de l'année réalisée d'un collectif (champ « bilan » du format d'échange) et
    réponses qualitatives du questionnaire d'activité.

    Saisi par le porteur (prérempli depuis le cahier de présence et les journaux), soumis, puis
    lu par la Caf qui peut demander une correction ; ou importé (format d'échange), déjà soumis.
    """

    class Statut(models.TextChoices):
        BROUILLON = "brouillon", "en cours de saisie"
        SOUMIS = "soumis", "soumis à la Caf"
        A_CORRIGER = "a_corriger", "correction demandée"

    class Origine(models.TextChoices):
        SAISIE = "saisie", "saisi sur le portail"
        IMPORT = "import", "importé"

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
    # Réponses qualitatives du questionnaire d'activité.
    objectifs_atteints = models.TextField("objectifs atteints", blank=True)
    difficultes = models.TextField("difficultés rencontrées", blank=True)
    perspectives = models.TextField("perspectives pour l'année suivante", blank=True)
    statut = models.CharField(
        "statut", max_length=12, choices=Statut.choices, default=Statut.BROUILLON
    )
    origine = models.CharField(
        "origine", max_length=8, choices=Origine.choices, default=Origine.SAISIE
    )
    soumis_le = models.DateTimeField("soumis le", null=True, blank=True)
    soumis_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="soumis par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    correction_demandee = models.TextField(
        "correction demandée par la Caf", blank=True, help_text="le dernier motif de demande"
    )
    correction_demandee_le = models.DateTimeField("correction demandée le", null=True, blank=True)
    correction_demandee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="correction demandée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
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


class PurgeDonneesEnfants(models.Model):
    """Trace d'une purge des données par enfant d'un collectif (les agrégats restent)."""

    collectif = models.ForeignKey(
        Collectif, verbose_name="collectif", on_delete=models.CASCADE, related_name="purges"
    )
    purge_le = models.DateTimeField("purgé le", auto_now_add=True)
    bilan_soumis_le = models.DateTimeField("bilan soumis le", null=True, blank=True)
    enfants_supprimes = models.PositiveIntegerField("enfants supprimés")
    presences_supprimees = models.PositiveIntegerField("présences supprimées")

    objects = DuCollectifQuerySet.as_manager()

    class Meta:
        verbose_name = "purge des données par enfant"
        verbose_name_plural = "purges des données par enfant"
        ordering = ["-purge_le", "-pk"]

    def __str__(self):
        return f"Purge du {self.purge_le:%d/%m/%Y} — {self.collectif}"
