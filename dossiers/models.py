"""Le dossier de demande de financement Clas d'un porteur, pour un département et une année."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from clas_portal.fichiers import PieceTeleversee, chemin_piece
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
# États où le porteur peut modifier son dossier : avant le dépôt, ou quand la Caf demande un
# complément. Dans tous les autres, le dossier est en lecture seule pour lui.
ETATS_MODIFIABLES = (Etat.BROUILLON, Etat.COMPLEMENT_DEMANDE)


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

    # Budget : le montant demandé à la Caf équilibre les dépenses et les autres recettes
    montant_demande = models.DecimalField(
        "montant demandé à la Caf (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    origine = models.ForeignKey(
        "self",
        verbose_name="renouvellement du dossier",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renouvellements",
    )

    # Décision (format d'échange : « instruction »)
    montant_accorde = models.DecimalField(
        "montant accordé (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    date_decision = models.DateField("date de la décision", null=True, blank=True)
    motif_decision = models.TextField("motif de la décision", blank=True)
    justification_depassement = models.TextField(
        "justification du dépassement de la PS calculée",
        blank=True,
        help_text="obligatoire quand un montant accordé dépasse la PS calculée du collectif",
    )

    # Instruction
    agent_referent = models.ForeignKey(
        "comptes.Utilisateur",
        verbose_name="agent référent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dossiers_suivis",
        limit_choices_to={"role": "agent"},
    )
    version = models.PositiveIntegerField(
        "version",
        default=1,
        help_text="incrémentée à chaque modification par la Caf (verrouillage optimiste)",
    )

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
                condition=Q(montant_demande__isnull=True) | Q(montant_demande__gte=0),
                name="dossier_montant_demande_positif",
                violation_error_message="Le montant demandé ne peut pas être négatif.",
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

    @property
    def est_modifiable(self) -> bool:
        """Le porteur peut-il encore modifier ce dossier ?"""
        return self.etat in ETATS_MODIFIABLES


class DuDossierQuerySet(models.QuerySet):
    """Objets rattachés à un dossier : visibles de qui voit le dossier (``Dossier.visible_to``)."""

    def visible_to(self, user):
        return self.filter(dossier__in=Dossier.objects.visible_to(user))


class Evaluation(models.Model):
    """Évaluation figée d'un dossier : au dépôt, à la proposition au comité ou à la décision.

    Elle garde l'édition, les paramètres, l'empreinte des données d'entrée et le résultat : une
    décision ancienne reste explicable même si les paramètres changent ensuite.
    """

    class Motif(models.TextChoices):
        DEPOT = "depot", "dépôt du dossier"
        COMITE = "comite", "proposition au comité"
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

    objects = DuDossierQuerySet.as_manager()

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


class CampagneQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Les campagnes sont publiques pour tout compte connecté ; les Caf voient la leur."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.est_personnel_caf:
            return self.filter(departement_id=user.departement_id)
        return self.all()

    def ouvertes(self, jour=None):
        from django.utils import timezone

        jour = jour or timezone.localdate()
        return self.filter(ouverture__lte=jour, cloture__gte=jour)


class Campagne(models.Model):
    """Période pendant laquelle les porteurs déposent leurs dossiers, par département et année."""

    departement = models.ForeignKey(
        Departement, verbose_name="département", on_delete=models.PROTECT, related_name="campagnes"
    )
    annee = models.PositiveSmallIntegerField(
        "année scolaire", validators=[MinValueValidator(ANNEE_MIN), MaxValueValidator(ANNEE_MAX)]
    )
    ouverture = models.DateField("ouverture des dépôts")
    cloture = models.DateField("clôture des dépôts", help_text="dernier jour où l'on peut déposer")

    objects = CampagneQuerySet.as_manager()

    class Meta:
        verbose_name = "campagne"
        verbose_name_plural = "campagnes"
        ordering = ["-annee", "departement"]
        constraints = [
            models.UniqueConstraint(
                fields=["departement", "annee"],
                name="campagne_unique_par_departement_et_annee",
                violation_error_message="Ce département a déjà une campagne pour cette année.",
            ),
            models.CheckConstraint(
                condition=Q(cloture__gte=F("ouverture")),
                name="campagne_dates_ordonnees",
                violation_error_message="La clôture doit suivre l'ouverture.",
            ),
        ]

    def __str__(self):
        return f"Campagne {libelle_annee(self.annee)} — {self.departement}"

    @property
    def annee_scolaire(self) -> str:
        return libelle_annee(self.annee)

    def est_ouverte(self, jour=None) -> bool:
        from django.utils import timezone

        jour = jour or timezone.localdate()
        return self.ouverture <= jour <= self.cloture


class CategorieDepense(models.TextChoices):
    PERSONNEL = "personnel", "frais de personnel"
    ACHATS = "achats", "achats (fournitures, matériel pédagogique)"
    SORTIES = "sorties", "sorties et activités culturelles"
    LOCAUX = "locaux", "locaux et charges"
    DEPLACEMENTS = "deplacements", "déplacements"
    FORMATION = "formation", "formation des intervenants"
    AUTRES = "autres", "autres dépenses"


class Cofinanceur(models.TextChoices):
    COMMUNE = "commune", "commune ou intercommunalité"
    DEPARTEMENT = "departement", "conseil départemental"
    ETAT = "etat", "État (politique de la ville, éducation nationale…)"
    CAF_AUTRE = "caf_autre", "Caf (autres financements)"
    FAMILLES = "familles", "participation des familles"
    FONDS_PROPRES = "fonds_propres", "fonds propres"
    AUTRE = "autre", "autre cofinanceur"


class LigneBudget(models.Model):
    """Une ligne du budget prévisionnel : dépense par catégorie ou recette par cofinanceur."""

    class Sens(models.TextChoices):
        DEPENSE = "depense", "dépense"
        RECETTE = "recette", "recette"

    dossier = models.ForeignKey(
        Dossier, verbose_name="dossier", on_delete=models.CASCADE, related_name="lignes_budget"
    )
    sens = models.CharField("sens", max_length=8, choices=Sens.choices)
    categorie = models.CharField(
        "catégorie ou cofinanceur",
        max_length=16,
        choices=CategorieDepense.choices + Cofinanceur.choices,
    )
    libelle = models.CharField("précision", max_length=160, blank=True)
    montant = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)

    objects = DuDossierQuerySet.as_manager()

    class Meta:
        verbose_name = "ligne de budget"
        verbose_name_plural = "lignes de budget"
        ordering = ["dossier", "sens", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(montant__gte=0),
                name="ligne_budget_montant_positif",
                violation_error_message="Un montant du budget ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(sens="depense", categorie__in=CategorieDepense.values)
                    | Q(sens="recette", categorie__in=Cofinanceur.values)
                ),
                name="ligne_budget_categorie_du_bon_sens",
                violation_error_message=(
                    "Une dépense a une catégorie de dépense, une recette un cofinanceur."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.get_categorie_display()} : {self.montant} €"


class TypePieceDossier(models.TextChoices):
    PROJET = "projet", "présentation détaillée du projet"
    BUDGET = "budget", "budget prévisionnel signé"
    BILAN_PRECEDENT = "bilan_precedent", "bilan de l'année précédente"
    AUTRE = "autre", "autre pièce"


# Pièces propres au dossier sans lesquelles il ne peut pas être déposé (les pièces permanentes
# obligatoires de l'organisation sont dans porteurs.models.PIECES_PERMANENTES_OBLIGATOIRES).
PIECES_DOSSIER_OBLIGATOIRES = (TypePieceDossier.BUDGET,)


# Nom encore cité par une migration ancienne.
_chemin_piece_dossier = chemin_piece


class PieceJustificative(PieceTeleversee):
    """Pièce propre à un dossier (les pièces de l'organisation sont des pièces permanentes)."""

    DOSSIER_STOCKAGE = "pieces-dossiers"

    dossier = models.ForeignKey(
        Dossier, verbose_name="dossier", on_delete=models.CASCADE, related_name="pieces"
    )
    type = models.CharField("type de pièce", max_length=16, choices=TypePieceDossier.choices)

    objects = DuDossierQuerySet.as_manager()

    class Meta:
        verbose_name = "pièce justificative"
        verbose_name_plural = "pièces justificatives"
        ordering = ["dossier", "type", "-deposee_le"]
        constraints = [
            models.CheckConstraint(
                condition=Q(taille__lte=10 * 1024 * 1024),
                name="piece_dossier_10_mo",
                violation_error_message="Une pièce pèse 10 Mo au plus.",
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} — {self.nom_original}"


class Evenement(models.Model):
    """Une ligne de l'historique d'un dossier : qui, quand, quoi, de quel état vers quel état, pourquoi."""

    class Type(models.TextChoices):
        CREATION = "creation", "création du dossier"
        RENOUVELLEMENT = "renouvellement", "création par renouvellement"
        DEPOT = "depot", "dépôt"
        TRANSITION = "transition", "changement d'état"
        MESSAGE = "message", "message"
        PIECE = "piece", "pièce ajoutée"
        IMPORT = "import", "import"

    dossier = models.ForeignKey(
        Dossier, verbose_name="dossier", on_delete=models.CASCADE, related_name="evenements"
    )
    type = models.CharField("type", max_length=16, choices=Type.choices)
    auteur = models.ForeignKey(
        "comptes.Utilisateur",
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    etat_avant = models.CharField("état avant", max_length=20, choices=Etat.choices, blank=True)
    etat_apres = models.CharField("état après", max_length=20, choices=Etat.choices, blank=True)
    commentaire = models.TextField("commentaire", blank=True)
    cree_le = models.DateTimeField("le", auto_now_add=True, db_index=True)

    objects = DuDossierQuerySet.as_manager()

    class Meta:
        verbose_name = "événement"
        verbose_name_plural = "historique des dossiers"
        ordering = ["dossier", "cree_le", "pk"]

    def __str__(self):
        return f"{self.get_type_display()} — {self.dossier}"


class Message(models.Model):
    """Message échangé entre le porteur et la Caf à propos d'un dossier."""

    dossier = models.ForeignKey(
        Dossier, verbose_name="dossier", on_delete=models.CASCADE, related_name="messages"
    )
    auteur = models.ForeignKey(
        "comptes.Utilisateur",
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    texte = models.TextField("message")
    cree_le = models.DateTimeField("envoyé le", auto_now_add=True)

    objects = DuDossierQuerySet.as_manager()

    class Meta:
        verbose_name = "message"
        verbose_name_plural = "messages"
        ordering = ["dossier", "cree_le", "pk"]

    def __str__(self):
        return f"Message de {self.auteur} — {self.dossier}"


class ReserveCafQuerySet(models.QuerySet):
    """Objets internes à la Caf (notes, points de contrôle) : jamais visibles d'un porteur."""

    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active or user.est_porteur:
            return self.none()
        return self.filter(dossier__in=Dossier.objects.visible_to(user))


class PointControle(models.Model):
    """Un point que l'agent juge lui-même (cohérence Sdsf, participation symbolique…).

    Chaque coche ou décoche est une ligne nouvelle (qui, quand) : l'état courant d'un point est
    sa dernière ligne, et l'historique reste lisible.
    """

    class Code(models.TextChoices):
        SDSF = "sdsf", "cohérence avec le Sdsf vérifiée"
        PARTICIPATION = "participation", "participation des familles symbolique"
        RURAL = "rural", "caractère rural des collectifs confirmé"
        PIECES = "pieces", "pièces justificatives valides"

    dossier = models.ForeignKey(
        Dossier, verbose_name="dossier", on_delete=models.CASCADE, related_name="points_controle"
    )
    code = models.CharField("point", max_length=16, choices=Code.choices)
    coche = models.BooleanField("vérifié")
    commentaire = models.CharField("commentaire", max_length=255, blank=True)
    par = models.ForeignKey(
        "comptes.Utilisateur",
        verbose_name="par",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    le = models.DateTimeField("le", auto_now_add=True)

    objects = ReserveCafQuerySet.as_manager()

    class Meta:
        verbose_name = "point de contrôle"
        verbose_name_plural = "points de contrôle"
        ordering = ["dossier", "code", "le", "pk"]

    def __str__(self):
        return f"{self.get_code_display()} : {'oui' if self.coche else 'non'}"


class NotePrivee(models.Model):
    """Note interne à la Caf sur un dossier : jamais montrée au porteur."""

    dossier = models.ForeignKey(
        Dossier, verbose_name="dossier", on_delete=models.CASCADE, related_name="notes_privees"
    )
    auteur = models.ForeignKey(
        "comptes.Utilisateur",
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    texte = models.TextField("note")
    cree_le = models.DateTimeField("écrite le", auto_now_add=True)

    objects = ReserveCafQuerySet.as_manager()

    class Meta:
        verbose_name = "note interne"
        verbose_name_plural = "notes internes"
        ordering = ["dossier", "-cree_le", "-pk"]

    def __str__(self):
        return f"Note de {self.auteur} — {self.dossier}"
