"""La boîte d'envoi des tâches Celery (voir ``clas_portal/taches.py``)."""

from django.db import models
from django.db.models import Q


class TacheDifferee(models.Model):
    """Une tâche à exécuter après la validation de la transaction qui l'a demandée.

    Écrite dans la transaction métier par ``differer`` ; publiée au broker après la validation,
    ou plus tard par le relais si le broker était injoignable ; marquée exécutée par le worker.
    """

    nom_tache = models.CharField("tâche", max_length=200)
    arguments = models.JSONField("arguments", default=list, blank=True)
    arguments_nommes = models.JSONField("arguments nommés", default=dict, blank=True)
    creee_le = models.DateTimeField("créée le", auto_now_add=True)
    envoyee_le = models.DateTimeField(
        "publiée le", null=True, blank=True, help_text="dernière publication au broker"
    )
    tentatives = models.PositiveIntegerField(
        "publications", default=0, help_text="nombre de publications tentées"
    )
    derniere_erreur = models.TextField("dernière erreur", blank=True)
    executee_le = models.DateTimeField("exécutée le", null=True, blank=True)
    echouee_le = models.DateTimeField(
        "abandonnée le",
        null=True,
        blank=True,
        help_text="en échec après ses essais ; remise en attente depuis l'administration",
    )

    class Meta:
        verbose_name = "tâche différée"
        verbose_name_plural = "tâches différées"
        ordering = ["-creee_le", "-pk"]
        indexes = [
            models.Index(
                fields=["creee_le"],
                condition=Q(executee_le__isnull=True, echouee_le__isnull=True),
                name="tache_differee_a_faire",
            ),
            models.Index(
                fields=["executee_le"],
                condition=Q(executee_le__isnull=False),
                name="tache_differee_executee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nom_tache} n° {self.pk} ({self.statut})"

    @property
    def task_id(self) -> str:
        """L'identifiant Celery du message : le même à chaque publication de la ligne."""
        from clas_portal.taches import id_tache

        return id_tache(self.pk)

    @property
    def statut(self) -> str:
        if self.executee_le:
            return "exécutée"
        if self.echouee_le:
            return "en échec"
        if self.envoyee_le:
            return "publiée"
        return "en attente"
