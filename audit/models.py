"""Journal d'audit : qui a fait quoi, quand, sur quel objet, depuis quelle adresse.

Le journal est en ajout seul : l'application n'a aucun chemin de modification ni de
suppression (ni vue, ni admin, ni méthode : ``save`` d'une ligne existante, ``delete`` et les
``update``/``delete`` de masse lèvent une erreur). Sur PostgreSQL, un déclencheur refuse en plus
tout ``UPDATE`` et ``DELETE`` (migration 0002), et l'exploitant retire ces droits au rôle de
l'application (voir docs/securite.md).
"""

from django.conf import settings
from django.db import models


class JournalImmuable(Exception):
    """Tentative de modifier ou de supprimer une ligne du journal d'audit."""


class Action(models.TextChoices):
    CONNEXION = "connexion", "connexion"
    ECHEC_CONNEXION = "echec_connexion", "échec de connexion"
    DECONNEXION = "deconnexion", "déconnexion"
    VERROUILLAGE = "verrouillage", "compte verrouillé après des échecs"
    REFUS_ACCES = "refus_acces", "accès refusé"
    CHANGEMENT_ETAT = "changement_etat", "changement d'état d'un dossier"
    DECISION = "decision", "décision"
    MONTANT = "montant", "montant accordé modifié"
    TELECHARGEMENT_PIECE = "telechargement_piece", "téléchargement d'une pièce"
    TELECHARGEMENT_BILAN = "telechargement_bilan", "téléchargement d'un bilan"
    PARAMETRES = "parametres", "paramètres de financement modifiés"
    EXPORT_DONNEES = "export_donnees", "export des données d'une organisation"
    MOT_DE_PASSE = "mot_de_passe", "mot de passe modifié"
    ADRESSE_ELECTRONIQUE = "adresse_electronique", "adresse électronique modifiée"
    SUPPRESSION_BROUILLON = "suppression_brouillon", "brouillon de dossier supprimé"
    MOT_DE_PASSE_REFUSE = "mot_de_passe_refuse", "mot de passe actuel refusé (Mon compte)"
    DEMANDE_ADRESSE = "demande_adresse", "changement d'adresse demandé"


class EvenementAuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise JournalImmuable("Le journal d'audit ne se modifie pas.")

    def delete(self):
        raise JournalImmuable("Le journal d'audit ne se supprime pas.")

    def visible_to(self, user):
        """Réservé à l'administration nationale."""
        if not user.is_authenticated or not user.is_active or not user.est_admin:
            return self.none()
        return self.all()


class EvenementAudit(models.Model):
    horodatage = models.DateTimeField("date et heure", auto_now_add=True, db_index=True)
    action = models.CharField("action", max_length=24, choices=Action.choices, db_index=True)
    # Pas de clé étrangère contrainte : le journal survit à tout (compte supprimé compris) et la
    # suppression d'un compte ne doit jamais réécrire le journal (ON DELETE SET NULL l'aurait fait).
    utilisateur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.CharField("compte (courriel)", max_length=254, blank=True, db_index=True)
    role = models.CharField("rôle", max_length=12, blank=True)
    ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    methode = models.CharField("méthode HTTP", max_length=8, blank=True)
    chemin = models.CharField("adresse de la page", max_length=500, blank=True)
    objet_type = models.CharField("type d'objet", max_length=60, blank=True, db_index=True)
    objet_id = models.CharField("identifiant de l'objet", max_length=40, blank=True)
    objet_libelle = models.CharField("objet", max_length=255, blank=True)
    departement = models.CharField("département", max_length=3, blank=True)
    details = models.JSONField("détails", default=dict, blank=True)

    objects = EvenementAuditQuerySet.as_manager()

    class Meta:
        verbose_name = "événement du journal d'audit"
        verbose_name_plural = "journal d'audit"
        ordering = ["-horodatage", "-pk"]
        indexes = [models.Index(fields=["objet_type", "objet_id"], name="audit_objet")]

    def __str__(self):
        return f"{self.horodatage:%d/%m/%Y %H:%M} — {self.get_action_display()} — {self.email}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise JournalImmuable("Le journal d'audit ne se modifie pas.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise JournalImmuable("Le journal d'audit ne se supprime pas.")
