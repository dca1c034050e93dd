"""Les générations du bilan départemental (PDF + JSON ``clas-bilan/1``), leur progression et leur
historique.

Une génération est demandée (bouton du site ou commande ``generer_bilan``), puis construite par la
tâche Celery ``bilans.generer`` (``bilans/tasks.py``). Deux invariants tiennent dans la base :

- au plus une génération en cours (en attente ou en cours) par périmètre (département ou national)
  et année : deux clics simultanés ne lancent qu'une tâche ;
- au plus une génération terminée par périmètre, année et empreinte des données : redemander un
  bilan dont les données n'ont pas changé rend le fichier existant.

Les fichiers sont rangés sous ``MEDIA_ROOT`` avec des noms aléatoires et ne sont servis que par une
vue qui vérifie les droits (``visible_to``) ; les anciens fichiers sont gardés.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clas_portal.fichiers import chemin_aleatoire
from comptes.models import Departement
from dossiers.models import libelle_annee

DOSSIER_STOCKAGE = "bilans"


def chemin_pdf(_instance, _nom: str) -> str:
    return chemin_aleatoire(DOSSIER_STOCKAGE, "pdf")


def chemin_json(_instance, _nom: str) -> str:
    return chemin_aleatoire(DOSSIER_STOCKAGE, "json")


class EtatGeneration(models.TextChoices):
    EN_ATTENTE = "en_attente", "en attente"
    EN_COURS = "en_cours", "en cours"
    TERMINEE = "terminee", "terminée"
    ECHEC = "echec", "échec"


ETATS_EN_COURS = (EtatGeneration.EN_ATTENTE, EtatGeneration.EN_COURS)


def delai_abandon() -> timedelta:
    """Une génération « en cours » sans nouvelle depuis plus longtemps que la limite de temps
    d'une tâche (plus une marge) n'avance plus : on n'attend plus après elle.

    Le seul endroit où se décide ce délai : l'affichage (« La génération semble interrompue »)
    et la demande suivante, qui abandonne ces générations (``bilans.tasks``), s'y accordent."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 300)


class GenerationBilanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Le seul endroit où se décide quelles générations un utilisateur peut voir.

        - administrateur national : toutes (départementales et nationales) ;
        - secrétariat et agents Caf : celles de leur département ;
        - porteurs : aucune.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.est_admin:
            return self.all()
        if user.est_personnel_caf:
            return self.filter(departement_id=user.departement_id)
        return self.none()

    def du_perimetre(self, departement_code: str | None, annee: int):
        """Les générations d'un département (``None`` : le bilan national) pour une année."""
        if departement_code is None:
            return self.filter(departement__isnull=True, annee=annee)
        return self.filter(departement_id=departement_code, annee=annee)

    def en_cours(self):
        """Les générations en attente ou en cours, y compris celles qui semblent interrompues
        (``perimees``) : elles occupent la place tant qu'une demande ne les a pas abandonnées."""
        return self.filter(etat__in=ETATS_EN_COURS)

    def perimees(self):
        """Les générations en cours sans nouvelle depuis plus de ``delai_abandon()`` (worker
        arrêté, tâche perdue) : voir ``GenerationBilan.semble_interrompue``."""
        limite = timezone.now() - delai_abandon()
        return self.en_cours().filter(
            Q(actualisee_le__lt=limite) | Q(actualisee_le__isnull=True, demandee_le__lt=limite)
        )

    def terminees(self):
        return self.filter(etat=EtatGeneration.TERMINEE)


class GenerationBilan(models.Model):
    """Une génération du bilan d'un département (ou du bilan national) pour une année scolaire."""

    Etat = EtatGeneration

    departement = models.ForeignKey(
        Departement,
        verbose_name="département",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="generations_bilan",
        help_text="vide pour le bilan national consolidé",
    )
    annee = models.PositiveSmallIntegerField(
        "année scolaire", help_text="année de la rentrée : 2025 pour l'année scolaire 2025-2026"
    )
    etat = models.CharField(
        "état", max_length=12, choices=EtatGeneration.choices, default=EtatGeneration.EN_ATTENTE
    )
    etape = models.CharField("étape", max_length=120, blank=True)
    progression = models.PositiveSmallIntegerField("progression (%)", default=0)
    empreinte = models.CharField(
        "empreinte des données",
        max_length=64,
        help_text="SHA-256 des données rassemblées pour le bilan",
    )
    fichier_pdf = models.FileField("PDF", upload_to=chemin_pdf, max_length=200, blank=True)
    fichier_json = models.FileField(
        "indicateurs (JSON)", upload_to=chemin_json, max_length=200, blank=True
    )
    taille = models.PositiveIntegerField("taille du PDF (octets)", null=True, blank=True)
    pages = models.PositiveIntegerField("pages", null=True, blank=True)
    demandee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="vide quand le bilan a été demandé par la commande generer_bilan",
    )
    demandee_le = models.DateTimeField("demandée le", auto_now_add=True)
    commencee_le = models.DateTimeField("commencée le", null=True, blank=True)
    terminee_le = models.DateTimeField("terminée le", null=True, blank=True)
    actualisee_le = models.DateTimeField(
        "dernière nouvelle le",
        null=True,
        blank=True,
        help_text="dernière fois que la tâche a fait avancer la génération",
    )
    tentatives = models.PositiveSmallIntegerField(
        "tentatives", default=0, help_text="exécutions de la tâche (une reprise après un arrêt)"
    )
    erreur = models.TextField("erreur", blank=True)
    task_id = models.CharField("identifiant de la tâche", max_length=64, blank=True)

    objects = GenerationBilanQuerySet.as_manager()

    class Meta:
        verbose_name = "génération de bilan"
        verbose_name_plural = "générations de bilans"
        ordering = ["-demandee_le", "-pk"]
        constraints = [
            # Deux contraintes par invariant : un département nul (le bilan national) ne compte
            # pas comme une valeur dans une contrainte d'unicité.
            models.UniqueConstraint(
                fields=["departement", "annee"],
                condition=Q(etat__in=ETATS_EN_COURS, departement__isnull=False),
                name="bilan_une_generation_en_cours",
                violation_error_message=(
                    "Un bilan de ce département pour cette année est déjà en cours de génération."
                ),
            ),
            models.UniqueConstraint(
                fields=["annee"],
                condition=Q(etat__in=ETATS_EN_COURS, departement__isnull=True),
                name="bilan_national_une_generation_en_cours",
                violation_error_message=(
                    "Le bilan national de cette année est déjà en cours de génération."
                ),
            ),
            models.UniqueConstraint(
                fields=["departement", "annee", "empreinte"],
                condition=Q(etat=EtatGeneration.TERMINEE, departement__isnull=False),
                name="bilan_une_generation_par_empreinte",
                violation_error_message=(
                    "Un bilan de ce département a déjà été généré pour cette année avec ces données."
                ),
            ),
            models.UniqueConstraint(
                fields=["annee", "empreinte"],
                condition=Q(etat=EtatGeneration.TERMINEE, departement__isnull=True),
                name="bilan_national_une_generation_par_empreinte",
                violation_error_message=(
                    "Le bilan national a déjà été généré pour cette année avec ces données."
                ),
            ),
            models.CheckConstraint(
                condition=Q(progression__lte=100),
                name="bilan_progression_au_plus_100",
                violation_error_message="La progression est un pourcentage (0 à 100).",
            ),
            models.CheckConstraint(
                condition=Q(etat__in=[e.value for e in EtatGeneration]),
                name="bilan_etat_connu",
                violation_error_message="Cet état de génération n'existe pas.",
            ),
        ]
        indexes = [models.Index(fields=["departement", "annee"], name="bilan_perimetre_idx")]

    def __str__(self):
        return f"Bilan {self.libelle_perimetre} {self.annee_scolaire} ({self.get_etat_display()})"

    @property
    def annee_scolaire(self) -> str:
        return libelle_annee(self.annee)

    @property
    def code_perimetre(self) -> str:
        """Le code du département, ou « national »."""
        return self.departement_id or "national"

    @property
    def libelle_perimetre(self) -> str:
        return self.departement_id or "national"

    @property
    def est_en_cours(self) -> bool:
        return self.etat in ETATS_EN_COURS

    @property
    def derniere_nouvelle(self):
        """La dernière fois que la génération a avancé (ou, jamais commencée, sa demande)."""
        return self.actualisee_le or self.demandee_le

    @property
    def semble_interrompue(self) -> bool:
        """En cours, mais sans nouvelle depuis plus de ``delai_abandon()`` : personne ne la
        mènera à terme ; la prochaine demande l'abandonne (même règle que ``perimees``)."""
        derniere = self.derniere_nouvelle
        return (
            self.est_en_cours
            and derniere is not None
            and derniere < timezone.now() - delai_abandon()
        )

    @property
    def minutes_sans_nouvelle(self) -> int:
        """Les minutes (entières) écoulées depuis ``derniere_nouvelle``."""
        derniere = self.derniere_nouvelle
        if derniere is None:
            return 0
        return max(0, int((timezone.now() - derniere).total_seconds() // 60))

    @property
    def est_terminee(self) -> bool:
        return self.etat == EtatGeneration.TERMINEE

    @property
    def empreinte_courte(self) -> str:
        return self.empreinte[:12]

    def nom_fichier(self, extension: str) -> str:
        """« bilan-59-2025-2026.pdf » (contrat de ``generer_bilan``), « bilan-national-… »."""
        return f"bilan-{self.code_perimetre}-{self.annee_scolaire}.{extension}"
