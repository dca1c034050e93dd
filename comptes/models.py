"""Comptes, rôles et territoires.

Quatre rôles : porteur (membre d'une ou plusieurs organisations porteuses), agent Caf et
secrétariat du comité (rattachés à un département), administrateur national. Le périmètre de
chacun se lit dans les méthodes ``visible_to(user)`` des QuerySets de chaque modèle affiché.
"""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Zone(models.TextChoices):
    A = "A", "zone A"
    B = "B", "zone B"
    C = "C", "zone C"
    CORSE = "corse", "Corse (calendrier académique propre)"
    OUTRE_MER = "outre_mer", "outre-mer"


class DepartementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tout utilisateur connecté voit la liste des départements (donnée de référence)."""
        if not user.is_authenticated:
            return self.none()
        return self.all()


class Departement(models.Model):
    """Un des 101 départements, avec sa Caf et sa zone de vacances scolaires."""

    code = models.CharField("code", max_length=3, primary_key=True)
    nom = models.CharField("nom", max_length=64)
    caf = models.CharField("Caf", max_length=96, help_text="caisse d'allocations familiales")
    zone = models.CharField("zone scolaire", max_length=12, choices=Zone.choices)

    objects = DepartementQuerySet.as_manager()

    class Meta:
        verbose_name = "département"
        verbose_name_plural = "départements"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} – {self.nom}"


class Role(models.TextChoices):
    PORTEUR = "porteur", "porteur de projet"
    AGENT = "agent", "agent Caf"
    SECRETARIAT = "secretariat", "secrétariat du comité"
    ADMIN = "admin", "administrateur national"


ROLES_DEPARTEMENTAUX = (Role.AGENT, Role.SECRETARIAT)


class UtilisateurQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Un administrateur voit tous les comptes ; les autres ne voient que le leur."""
        if not user.is_authenticated:
            return self.none()
        if user.est_admin:
            return self.all()
        return self.filter(pk=user.pk)


class UtilisateurManager(BaseUserManager.from_queryset(UtilisateurQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("L'adresse électronique est obligatoire.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("role", Role.PORTEUR)
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class Utilisateur(AbstractBaseUser, PermissionsMixin):
    """Compte du portail ; on se connecte avec son adresse électronique."""

    email = models.EmailField("adresse électronique", unique=True)
    prenom = models.CharField("prénom", max_length=80, blank=True)
    nom = models.CharField("nom", max_length=80, blank=True)
    telephone = models.CharField("téléphone", max_length=20, blank=True)
    role = models.CharField("rôle", max_length=12, choices=Role.choices, default=Role.PORTEUR)
    departement = models.ForeignKey(
        Departement,
        verbose_name="département",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="utilisateurs",
        help_text="obligatoire pour un agent Caf ou le secrétariat d'un comité",
    )
    is_active = models.BooleanField("actif", default=True)
    is_staff = models.BooleanField(
        "accès à l'administration",
        default=False,
        help_text="peut se connecter à l'interface d'administration",
    )
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)

    objects = UtilisateurManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=ROLES_DEPARTEMENTAUX) | Q(departement__isnull=False),
                name="utilisateur_departement_si_role_departemental",
                violation_error_message=(
                    "Un agent Caf ou un secrétariat de comité doit être rattaché à un département."
                ),
            ),
            models.CheckConstraint(
                condition=Q(role__in=ROLES_DEPARTEMENTAUX) | Q(departement__isnull=True),
                name="utilisateur_sans_departement_sinon",
                violation_error_message=(
                    "Seuls les agents Caf et les secrétariats de comité sont rattachés à un "
                    "département."
                ),
            ),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]),
                name="utilisateur_role_connu",
                violation_error_message="Ce rôle n'existe pas.",
            ),
        ]

    def __str__(self):
        return self.nom_complet or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def nom_complet(self) -> str:
        return f"{self.prenom} {self.nom}".strip()

    def get_full_name(self):
        return self.nom_complet or self.email

    def get_short_name(self):
        return self.prenom or self.email

    @property
    def est_porteur(self) -> bool:
        return self.role == Role.PORTEUR

    @property
    def est_agent(self) -> bool:
        return self.role == Role.AGENT

    @property
    def est_secretariat(self) -> bool:
        return self.role == Role.SECRETARIAT

    @property
    def est_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def est_personnel_caf(self) -> bool:
        """Agent ou secrétariat : personnel Caf d'un département."""
        return self.role in ROLES_DEPARTEMENTAUX
