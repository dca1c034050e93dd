"""Purge des données par enfant d'un collectif, un délai après la soumission de son bilan.

Protection des données des enfants (minimisation, durée de conservation limitée) : une fois le
bilan de l'action soumis à la Caf depuis plus de ``settings.CLAS_DELAI_PURGE_ENFANTS_JOURS``
jours, les enfants (pseudonymes) et les lignes du cahier de présence du collectif sont supprimés.
Restent les agrégats : les séances (avec leurs nombres d'inscrits et de présents), les journaux
(parents, école) et le bilan. Chaque purge est tracée (``PurgeDonneesEnfants``) et journalisée
(``clas.purge``).

Idempotente : un collectif déjà purgé n'a plus d'enfant et n'est plus repris. Un bilan rouvert
par une demande de correction (``a_corriger``) n'est pas purgé : le porteur peut en avoir besoin.
Lancée chaque nuit par Celery beat (``seances.tasks``), ou à la main
(``manage.py purger_donnees_enfants``).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from collectifs.models import Collectif

from .models import BilanAction, Enfant, Presence, PurgeDonneesEnfants, Seance

journal = logging.getLogger("clas.purge")


class PurgeIncomplete(RuntimeError):
    """Certains collectifs n'ont pas pu être purgés (les autres l'ont été : ``faites``)."""

    def __init__(self, message: str, faites: list):
        super().__init__(message)
        self.faites = faites


def date_limite(maintenant: datetime | None = None) -> datetime:
    """Les bilans soumis avant cet instant ont dépassé le délai de conservation."""
    maintenant = maintenant or timezone.now()
    return maintenant - timedelta(days=settings.CLAS_DELAI_PURGE_ENFANTS_JOURS)


def _a_purger(maintenant: datetime | None = None):
    """Les collectifs dont le bilan est soumis depuis plus que le délai et qui ont des enfants."""
    return Collectif.objects.filter(
        bilan__statut=BilanAction.Statut.SOUMIS,
        bilan__soumis_le__isnull=False,
        bilan__soumis_le__lt=date_limite(maintenant),
    ).filter(pk__in=Enfant.objects.values("collectif_id"))


def collectifs_a_purger(maintenant: datetime | None = None):
    return _a_purger(maintenant).select_related("dossier__porteur").order_by("pk")


def _completer_agregats(collectif_pk: int) -> None:
    """Une séance dont le cahier a des lignes mais pas de nombres (cas anormal : le cahier les
    tient à jour) reçoit ses nombres d'inscrits et de présents avant la suppression des lignes."""
    lignes = Presence.objects.filter(seance=OuterRef("pk")).order_by().values("seance")
    Seance.objects.filter(
        collectif_id=collectif_pk, nombre_inscrits__isnull=True, presences__isnull=False
    ).update(
        nombre_inscrits=Subquery(lignes.annotate(n=Count("pk")).values("n")),
        nombre_presents=Coalesce(
            Subquery(lignes.annotate(n=Count("pk", filter=Q(present=True))).values("n")), 0
        ),
    )


def purger_collectif(collectif_pk: int, maintenant: datetime | None = None):
    """Purge un collectif, en une transaction ; None s'il n'y a (plus) rien à purger."""
    with transaction.atomic():
        collectif = (
            _a_purger(maintenant)
            .select_for_update(of=("self",))
            .filter(pk=collectif_pk)
            .select_related("dossier")
            .first()
        )
        if collectif is None:  # déjà purgé, ou bilan rouvert entre-temps
            return None
        bilan = BilanAction.objects.get(collectif_id=collectif_pk)
        _completer_agregats(collectif_pk)
        _total, detail = Presence.objects.filter(seance__collectif_id=collectif_pk).delete()
        presences = detail.get(Presence._meta.label, 0)
        _total, detail = Enfant.objects.filter(collectif_id=collectif_pk).delete()
        enfants = detail.get(Enfant._meta.label, 0)
        purge = PurgeDonneesEnfants.objects.create(
            collectif=collectif,
            bilan_soumis_le=bilan.soumis_le,
            enfants_supprimes=enfants,
            presences_supprimees=presences,
        )
    journal.info(
        "Données par enfant purgées : collectif %s « %s » (dossier %s), %d enfant(s), "
        "%d présence(s) ; bilan soumis le %s.",
        collectif.pk,
        collectif,
        collectif.dossier.reference or collectif.dossier_id,
        enfants,
        presences,
        timezone.localtime(bilan.soumis_le).strftime("%d/%m/%Y"),
    )
    return purge


def purger_donnees_enfants(maintenant: datetime | None = None) -> list[PurgeDonneesEnfants]:
    """Purge tous les collectifs arrivés au terme du délai ; rend les purges faites.

    Chaque collectif a sa transaction : un échec n'empêche pas les autres ; il est journalisé,
    puis signalé à la fin (``PurgeIncomplete``) pour que la tâche apparaisse en échec.
    """
    faites, echecs = [], []
    for pk in list(_a_purger(maintenant).order_by("pk").values_list("pk", flat=True)):
        try:
            purge = purger_collectif(pk, maintenant)
        except Exception:
            journal.exception("Purge des données par enfant impossible : collectif %s", pk)
            echecs.append(pk)
            continue
        if purge is not None:
            faites.append(purge)
    if not faites and not echecs:
        journal.info("Purge des données par enfant : rien à purger.")
    if echecs:
        raise PurgeIncomplete(
            f"Purge impossible pour {len(echecs)} collectif(s) : {', '.join(map(str, echecs))} "
            f"({len(faites)} purgé(s)).",
            faites,
        )
    return faites
