"""Le dossier de demande de financement Clas d'un porteur, pour un département et une année."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from comptes.models import Departement
from porteurs.models import Porteur

ANNEE_MIN, ANNEE_MAX = 2000, 2100


class Etat(models.TextChoices):
    BROUILLON = "brouillon", "brouillon"
    DEPOSE = "depose", "déposé"
    EN_INSTRUCTION = "en_instruction", "en instruction"
    COMPLEMENT_DEMANDE = "complement_demande", "complément demandé"
    PROPOSE_COMITE = "propose_comite", "proposé au comité"
    ACCEPTE = "accepte", "accepté"
    REFUSE = "refuse", "refusé"
    SANS_SUITE = "sans_suite", "classé sans suite"


ETATS_DECIDES = (Etat.ACCEPTE, Etat.REFUSE, Etat.SANS_SUITE)


class NiveauDiplome(models.TextChoices):
    AUCUN = "aucun", "aucun diplôme"
    CAP_BEP = "cap_bep", "CAP / BEP"
    BAC = "bac", "baccalauréat"
    BAC2 = "bac+2", "bac + 2"
    BAC3 = "bac+3", "bac + 3"
    BAC5 = "bac+5", "bac + 5"
    BAC8 = "bac+8", "bac + 8"


def libelle_annee(annee: int) -> str:
    """2025 → « 2025-2026 »."""
    return f"{annee}-{annee + 1}"


class DossierQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Le seul endroit où se décide quels dossiers un utilisateur peut voir.

        - administrateur national : tous ;
        - agent Caf, secrétariat : ceux de son département, hors brouillons (un brouillon
          reste l'affaire du porteur tant qu'il n'est pas déposé) ;
        - porteur : ceux des organisations dont il est membre.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.est_admin:
            return self.all()
        if user.est_personnel_caf:
            return self.filter(departement_id=user.departement_id).exclude(etat=Etat.BROUILLON)
        return self.filter(porteur__membres__utilisateur=user)


class Dossier(models.Model):
    """Demande de prestation de service Clas pour une année scolaire (format clas-dossier/1)."""

    porteur = models.ForeignKey(
        Porteur, verbose_name="porteur", on_delete=models.PROTECT, related_name="dossiers"
    )
    departement = models.ForeignKey(
        Departement, verbose_name="département", on_delete=models.PROTECT, related_name="dossiers"
    )
    annee = models.PositiveSmallIntegerField(
        "année scolaire",
        validators=[MinValueValidator(ANNEE_MIN), MaxValueValidator(ANNEE_MAX)],
        help_text="année de la rentrée : 2025 pour l'année scolaire 2025-2026",
    )
    etat = models.CharField(
        "état", max_length=20, choices=Etat.choices, default=Etat.BROUILLON, db_index=True
    )
    reference = models.CharField(
        "référence d'import",
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        help_text="référence du dossier dans le système d'origine, s'il a été importé",
    )
    intitule = models.CharField("intitulé du projet", max_length=200, blank=True)
    renouvellement = models.BooleanField("renouvellement", null=True, blank=True)

    # Critères de niveau dossier (voir eligibility/ et spec/regles.md)
    reperage_concerte_ecole = models.BooleanField(
        "besoin repéré en concertation avec les établissements scolaires", null=True, blank=True
    )
    aide_aux_devoirs_exclusive = models.BooleanField(
        "action exclusivement d'aide aux devoirs", null=True, blank=True
    )
    diagnostic = models.TextField("diagnostic des besoins", blank=True)
    coherence_sdsf = models.BooleanField(
        "cohérent avec le schéma départemental des services aux familles", null=True, blank=True
    )
    charte_laicite_neutralite = models.BooleanField(
        "respect de la laïcité et de la neutralité", null=True, blank=True
    )
    charte_participation_familles_euros = models.DecimalField(
        "participation demandée aux familles (€)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="0 si l'accompagnement est gratuit",
    )
    engagement_bilan = models.BooleanField(
        "engagement à produire un bilan annuel", null=True, blank=True
    )

    # Coordination
    coordinateur_nom = models.CharField("nom du coordinateur", max_length=160, blank=True)
    coordinateur_niveau_diplome = models.CharField(
        "niveau de diplôme du coordinateur",
        max_length=8,
        choices=NiveauDiplome.choices,
        blank=True,
    )
    coordinateur_experience_animation_education = models.BooleanField(
        "expérience du coordinateur en animation ou éducation", null=True, blank=True
    )

    # Axe 1 : enfants et jeunes
    enfants_appui_methodologique = models.TextField(
        "appui et méthodologie au travail scolaire", blank=True
    )
    enfants_ressources_culturelles = models.TextField(
        "ressources locales et sorties culturelles", blank=True
    )
    enfants_vie_collective = models.TextField("capacités de vie collective", blank=True)
    enfants_entraide = models.TextField("entraide au sein du groupe", blank=True)
    enfants_suivi_presences = models.TextField("suivi régulier des présences", blank=True)
    # Axe 2 : parents
    parents_information_inscription = models.TextField(
        "information des parents à l'inscription", blank=True
    )
    parents_convivialite = models.TextField("temps de convivialité enfants/parents", blank=True)
    parents_codes_ecole = models.TextField("compréhension des codes de l'école", blank=True)
    parents_orientation_partenaires = models.TextField(
        "orientation vers d'autres partenaires", blank=True
    )
    parents_echanges_reguliers = models.TextField("échanges informels réguliers", blank=True)
    # Axe 3 : école
    ecole_relations_equipes = models.TextField(
        "relations avec les équipes des établissements", blank=True
    )
    ecole_orientation_enfants = models.TextField(
        "collaboration pour l'orientation des enfants", blank=True
    )
    ecole_reunions_concertation = models.TextField(
        "réunions de concertation avec les équipes éducatives", blank=True
    )
    # Axe 4 : territoire
    territoire_partenariat_local = models.TextField(
        "relations avec d'autres partenaires du secteur", blank=True
    )

    # Décision (format d'échange : « instruction »)
    montant_accorde = models.DecimalField(
        "montant accordé (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    date_decision = models.DateField("date de la décision", null=True, blank=True)
    motif_decision = models.TextField("motif de la décision", blank=True)

    depose_le = models.DateTimeField("déposé le", null=True, blank=True)
    cree_le = models.DateTimeField("créé le", auto_now_add=True)
    modifie_le = models.DateTimeField("modifié le", auto_now=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = "dossier"
        verbose_name_plural = "dossiers"
        ordering = ["-annee", "porteur__raison_sociale", "pk"]
        indexes = [
            models.Index(fields=["departement", "annee", "etat"], name="dossier_dep_annee_etat")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(annee__gte=ANNEE_MIN) & Q(annee__lte=ANNEE_MAX),
                name="dossier_annee_plausible",
                violation_error_message="L'année scolaire doit être comprise entre 2000 et 2100.",
            ),
            models.CheckConstraint(
                condition=Q(etat__in=[e.value for e in Etat]),
                name="dossier_etat_connu",
                violation_error_message="Cet état de dossier n'existe pas.",
            ),
            models.CheckConstraint(
                condition=Q(charte_participation_familles_euros__isnull=True)
                | Q(charte_participation_familles_euros__gte=0),
                name="dossier_participation_familles_positive",
                violation_error_message="La participation des familles ne peut pas être négative.",
            ),
            models.CheckConstraint(
                condition=Q(montant_accorde__isnull=True) | Q(montant_accorde__gte=0),
                name="dossier_montant_accorde_positif",
                violation_error_message="Le montant accordé ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                condition=Q(coordinateur_niveau_diplome="")
                | Q(coordinateur_niveau_diplome__in=[n.value for n in NiveauDiplome]),
                name="dossier_niveau_diplome_connu",
                violation_error_message="Ce niveau de diplôme n'existe pas.",
            ),
            models.CheckConstraint(
                condition=~Q(etat=Etat.BROUILLON) | Q(depose_le__isnull=True),
                name="dossier_brouillon_non_depose",
                violation_error_message="Un brouillon n'a pas de date de dépôt.",
            ),
            models.CheckConstraint(
                condition=Q(etat=Etat.BROUILLON) | Q(depose_le__isnull=False),
                name="dossier_depose_date",
                violation_error_message="Un dossier déposé a une date de dépôt.",
            ),
        ]

    def __str__(self):
        return f"{self.porteur} — {self.annee_scolaire} ({self.departement_id})"

    @property
    def annee_scolaire(self) -> str:
        return libelle_annee(self.annee)

    @property
    def est_brouillon(self) -> bool:
        return self.etat == Etat.BROUILLON

    @property
    def est_decide(self) -> bool:
        return self.etat in ETATS_DECIDES


class EvaluationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(dossier__in=Dossier.objects.visible_to(user))


class Evaluation(models.Model):
    """Évaluation figée d'un dossier, au dépôt ou à la décision.

    Elle garde l'édition, les paramètres, l'empreinte des données d'entrée et le résultat : une
    décision ancienne reste explicable même si les paramètres changent ensuite.
    """

    class Motif(models.TextChoices):
        DEPOT = "depot", "dépôt du dossier"
        DECISION = "decision", "décision"
        IMPORT = "import", "import"

    dossier = models.ForeignKey(
        Dossier, verbose_name="dossier", on_delete=models.CASCADE, related_name="evaluations"
    )
    motif = models.CharField("motif", max_length=10, choices=Motif.choices)
    edition = models.CharField("édition du référentiel", max_length=20)
    parametres = models.JSONField("paramètres de financement")
    empreinte_entree = models.CharField(
        "empreinte des données évaluées", max_length=64, help_text="SHA-256 du document évalué"
    )
    entree = models.JSONField("données évaluées (clas-dossier/1)")
    resultat = models.JSONField("résultat (clas-evaluation/1)")
    verdict = models.CharField("verdict", max_length=14)
    montant_ps_total = models.DecimalField(
        "PS calculée (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    cree_le = models.DateTimeField("figée le", auto_now_add=True)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = "évaluation figée"
        verbose_name_plural = "évaluations figées"
        ordering = ["dossier", "-cree_le", "-pk"]
        get_latest_by = "cree_le"
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=["eligible", "incomplet", "a_verifier", "non_eligible"]),
                name="evaluation_verdict_connu",
                violation_error_message="Ce verdict n'existe pas.",
            ),
        ]

    def __str__(self):
        return f"{self.dossier} — {self.get_motif_display()} ({self.verdict})"
