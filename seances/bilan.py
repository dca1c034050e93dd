"""Bilan de l'action d'un collectif (questionnaire d'activité) : préremplissage depuis le cahier
de présence et les journaux, enregistrement et soumission par le porteur, demande de correction
par un agent de la Caf, courriels.

Le cycle de vie d'un bilan :

- ``brouillon`` : le porteur le remplit (prérempli depuis le cahier) ; la Caf ne voit rien ;
- ``soumis`` : lecture seule pour le porteur, lisible par la Caf qui peut demander une correction ;
- ``a_corriger`` : le message de la Caf est affiché au porteur, qui corrige et soumet à nouveau.

Un bilan importé (format d'échange) arrive directement « soumis ».
"""

import logging
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from collectifs.models import Intervenant

from .models import ActionParents, BilanAction, Enfant, RencontreEcole, Seance, Sexe
from .registre import taux_presence_collectif

journal = logging.getLogger(__name__)

GABARITS = "seances/courriels/"

# Les chiffres du bilan, dans l'ordre du format d'échange (champ « bilan » d'un collectif).
CHAMPS_CHIFFRES = [
    "enfants_inscrits",
    "filles",
    "garcons",
    "familles",
    "seances_realisees",
    "heures_realisees",
    "taux_presence",
    "intervenants_salaries",
    "intervenants_benevoles",
    "actions_parents",
    "rencontres_ecole",
]
# Chiffres tirés des données par enfant : ils ne sont plus recalculables après la purge.
CHAMPS_PAR_ENFANT = ["enfants_inscrits", "filles", "garcons", "familles"]
CHAMPS_QUALITATIFS = ["objectifs_atteints", "difficultes", "perspectives"]

STATUTS_MODIFIABLES = (BilanAction.Statut.BROUILLON, BilanAction.Statut.A_CORRIGER)


class BilanRefuse(Exception):
    """Une action sur le bilan est refusée ; le message (en français) dit pourquoi."""


# --- Préremplissage -------------------------------------------------------------------------
def heures_depuis_minutes(minutes) -> Decimal:
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _intervenants_par_statut(queryset) -> dict[str, int]:
    lignes = queryset.order_by().values("statut").annotate(nombre=Count("pk", distinct=True))
    return {ligne["statut"]: ligne["nombre"] for ligne in lignes}


def preremplir(collectif) -> dict:
    """Les chiffres du bilan calculés depuis le cahier de présence et les journaux.

    Un nombre borné de requêtes (7 au plus), quel que soit le nombre d'enfants ou de séances :

    - enfants, filles, garçons, familles (codes famille distincts) : les enfants du collectif ;
    - séances et heures réalisées : les séances au statut « réalisée » (durées additionnées) ;
    - taux de présence : celui du cahier (``registre.taux_presence_collectif`` : présents /
      inscrits des séances réalisées dont l'appel a été fait, agrégats gardés après la purge) ;
    - intervenants salariés et bénévoles : les animateurs distincts présents aux séances
      réalisées ; si aucune séance n'a noté d'animateur, les intervenants du dossier rattachés au
      collectif ;
    - actions avec les parents, rencontres avec l'école : les lignes des journaux.
    """
    enfants = Enfant.objects.filter(collectif=collectif).aggregate(
        inscrits=Count("pk"),
        filles=Count("pk", filter=Q(sexe=Sexe.FILLE)),
        garcons=Count("pk", filter=Q(sexe=Sexe.GARCON)),
        familles=Count("code_famille", distinct=True),
    )
    seances = Seance.objects.filter(collectif=collectif, statut=Seance.Statut.REALISEE).aggregate(
        nombre=Count("pk"), minutes=Sum("duree_minutes")
    )
    animateurs = _intervenants_par_statut(
        Intervenant.objects.filter(
            seances__collectif=collectif, seances__statut=Seance.Statut.REALISEE
        )
    )
    if not animateurs:
        animateurs = _intervenants_par_statut(Intervenant.objects.filter(collectifs=collectif))
    return {
        "enfants_inscrits": enfants["inscrits"],
        "filles": enfants["filles"],
        "garcons": enfants["garcons"],
        "familles": enfants["familles"],
        "seances_realisees": seances["nombre"],
        "heures_realisees": heures_depuis_minutes(seances["minutes"]),
        "taux_presence": taux_presence_collectif(collectif),
        "intervenants_salaries": animateurs.get(Intervenant.Statut.SALARIE, 0),
        "intervenants_benevoles": animateurs.get(Intervenant.Statut.BENEVOLE, 0),
        "actions_parents": ActionParents.objects.filter(collectif=collectif).count(),
        "rencontres_ecole": RencontreEcole.objects.filter(collectif=collectif).count(),
    }


# --- Règles ---------------------------------------------------------------------------------
def modifiable(bilan: BilanAction | None) -> bool:
    """Le porteur peut-il modifier ce bilan ? (pas encore créé, brouillon, ou correction demandée)"""
    return bilan is None or bilan.statut in STATUTS_MODIFIABLES


def champs_manquants(valeurs: dict) -> list[str]:
    """Les champs encore vides qui empêchent la soumission (tous les chiffres et les trois
    réponses qualitatives sont nécessaires)."""
    manquants = [c for c in CHAMPS_CHIFFRES if valeurs.get(c) is None]
    manquants += [c for c in CHAMPS_QUALITATIFS if not (valeurs.get(c) or "").strip()]
    return manquants


# --- Écritures ------------------------------------------------------------------------------
def enregistrer(
    collectif, valeurs: dict, auteur, *, soumettre: bool, site: str = ""
) -> BilanAction:
    """Enregistre la saisie du porteur (brouillon) ou la soumet à la Caf.

    ``valeurs`` : les chiffres et réponses validés par le formulaire. Le bilan est relu verrouillé :
    un bilan soumis entre-temps (double clic, autre onglet) n'est pas écrasé. Une soumission
    prévient les agents de la Caf du département, après la validation de la transaction.
    """
    with transaction.atomic():
        existant, _cree = BilanAction.objects.get_or_create(collectif=collectif)
        bilan = BilanAction.objects.select_for_update().get(pk=existant.pk)
        if not modifiable(bilan):
            raise BilanRefuse(
                "Ce bilan a déjà été soumis à la Caf : il n'est plus modifiable, sauf si la Caf "
                "demande une correction."
            )
        for champ, valeur in valeurs.items():
            setattr(bilan, champ, valeur)
        if soumettre:
            manquants = champs_manquants(
                {c: getattr(bilan, c) for c in CHAMPS_CHIFFRES + CHAMPS_QUALITATIFS}
            )
            if manquants:
                noms = ", ".join(
                    str(BilanAction._meta.get_field(c).verbose_name) for c in manquants
                )
                raise BilanRefuse(f"Le bilan ne peut pas être soumis : à compléter : {noms}.")
            bilan.statut = BilanAction.Statut.SOUMIS
            bilan.soumis_le = timezone.now()
            bilan.soumis_par = auteur
            transaction.on_commit(lambda: notifier_soumission(bilan.pk, site))
        bilan.save()
    return bilan


def demander_correction(bilan: BilanAction, agent, message: str, site: str = "") -> BilanAction:
    """Un agent de la Caf demande au porteur de corriger un bilan soumis ; le porteur est prévenu
    par courriel (après la validation de la transaction)."""
    message = message.strip()
    if not message:
        raise BilanRefuse("Le message au porteur est obligatoire : dites ce qui est à corriger.")
    with transaction.atomic():
        verrouille = BilanAction.objects.select_for_update().get(pk=bilan.pk)
        if verrouille.statut != BilanAction.Statut.SOUMIS:
            raise BilanRefuse(
                "Seul un bilan soumis peut faire l'objet d'une demande de correction "
                f"(ce bilan est « {verrouille.get_statut_display()} »)."
            )
        verrouille.statut = BilanAction.Statut.A_CORRIGER
        verrouille.correction_demandee = message
        verrouille.correction_demandee_le = timezone.now()
        verrouille.correction_demandee_par = agent
        verrouille.save(
            update_fields=[
                "statut",
                "correction_demandee",
                "correction_demandee_le",
                "correction_demandee_par",
                "saisi_le",
            ]
        )
        transaction.on_commit(lambda: notifier_correction(verrouille.pk, site))
    return verrouille


# --- Courriels ------------------------------------------------------------------------------
def _lien_bilan(site: str, collectif_pk: int) -> str:
    chemin = reverse("seances:bilan", args=[collectif_pk])
    return (site.rstrip("/") + chemin) if site else chemin


def _envoyer(sujet: str, gabarit: str, contexte: dict, destinataires: list[str]) -> None:
    if not destinataires:
        return
    corps = render_to_string(GABARITS + gabarit, contexte)
    courriel = EmailMessage(
        subject=f"[{settings.CLAS_NOM_PORTAIL}] {sujet}",
        body=corps,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=destinataires,
    )
    try:
        courriel.send()
    except OSError:
        journal.exception("Courriel « %s » non envoyé", sujet)


def _bilan_pour_courriel(bilan_pk: int) -> BilanAction:
    return BilanAction.objects.select_related(
        "collectif__dossier__porteur",
        "collectif__dossier__departement",
        "soumis_par",
        "correction_demandee_par",
    ).get(pk=bilan_pk)


def notifier_correction(bilan_pk: int, site: str = "") -> None:
    """Aux membres de l'organisation porteuse : la Caf demande une correction du bilan."""
    from dossiers.emails import adresses_membres

    bilan = _bilan_pour_courriel(bilan_pk)
    dossier = bilan.collectif.dossier
    contexte = {
        "bilan": bilan,
        "collectif": bilan.collectif,
        "dossier": dossier,
        "lien_bilan": _lien_bilan(site, bilan.collectif_id),
        "nom_portail": settings.CLAS_NOM_PORTAIL,
    }
    _envoyer(
        f"Bilan de l'action à corriger — {bilan.collectif} ({dossier.annee_scolaire})",
        "correction_bilan.txt",
        contexte,
        adresses_membres(dossier.porteur_id),
    )


def notifier_soumission(bilan_pk: int, site: str = "") -> None:
    """Aux agents de la Caf du département : un bilan de l'action vient d'être soumis."""
    from dossiers.emails import adresses_agents

    bilan = _bilan_pour_courriel(bilan_pk)
    dossier = bilan.collectif.dossier
    contexte = {
        "bilan": bilan,
        "collectif": bilan.collectif,
        "dossier": dossier,
        "lien_bilan": _lien_bilan(site, bilan.collectif_id),
        "nom_portail": settings.CLAS_NOM_PORTAIL,
    }
    _envoyer(
        f"{dossier.porteur.raison_sociale} — bilan de l'action soumis ({dossier.annee_scolaire})",
        "bilan_soumis.txt",
        contexte,
        adresses_agents(dossier.departement_id),
    )
