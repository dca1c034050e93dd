"""Calculs du cahier de présence : enfants attendus à une séance, effectifs, taux de présence.

Deux taux, deux sources :

- par enfant : présences / séances où sa présence a été notée (lignes ``Presence``) — données
  par enfant, purgées après le bilan ;
- par collectif : somme des présents / somme des inscrits des séances dont l'appel a été fait
  (agrégats ``Seance.nombre_presents`` et ``Seance.nombre_inscrits``) — il survit à la purge et
  sert au préremplissage du bilan de l'action.

Les taux sont des ``Decimal`` entre 0 et 1, à 4 décimales, arrondis au plus proche (la moitié
vers le haut) ; ``None`` tant qu'il n'y a rien à compter.
"""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from .models import Enfant, Seance, Sexe

PRECISION_TAUX = Decimal("0.0001")


def taux(numerateur: int, denominateur: int) -> Decimal | None:
    """``numerateur / denominateur`` à 4 décimales (ROUND_HALF_UP) ; None si le dénominateur est nul."""
    if not denominateur:
        return None
    return (Decimal(numerateur) / Decimal(denominateur)).quantize(
        PRECISION_TAUX, rounding=ROUND_HALF_UP
    )


def seances_avec_appel(collectif):
    """Les séances réalisées du collectif dont l'appel a été enregistré."""
    return Seance.objects.filter(
        collectif=collectif, statut=Seance.Statut.REALISEE, appel_fait_le__isnull=False
    )


def taux_presence_collectif(collectif) -> Decimal | None:
    """Taux de présence du collectif : Σ présents / Σ inscrits des séances avec appel.

    N'utilise que les agrégats des séances : le résultat est le même avant et après la purge des
    données par enfant. Une requête. None si aucun appel n'a encore été fait.
    """
    totaux = seances_avec_appel(collectif).aggregate(
        presents=Sum("nombre_presents"), inscrits=Sum("nombre_inscrits")
    )
    return taux(totaux["presents"] or 0, totaux["inscrits"] or 0)


def totaux_appels(collectif) -> dict:
    """Séances avec appel, Σ présents et Σ inscrits du collectif (une requête)."""
    totaux = seances_avec_appel(collectif).aggregate(
        seances=Count("pk"), presents=Sum("nombre_presents"), inscrits=Sum("nombre_inscrits")
    )
    return {
        "seances": totaux["seances"],
        "presents": totaux["presents"] or 0,
        "inscrits": totaux["inscrits"] or 0,
        "taux": taux(totaux["presents"] or 0, totaux["inscrits"] or 0),
    }


def taux_par_enfant(collectif, enfants=None) -> list[tuple[Enfant, int, int, Decimal | None]]:
    """Pour chaque enfant du collectif (par code) : (enfant, présences, séances notées, taux).

    « Séances notées » : celles des séances réalisées où la présence de l'enfant a été notée
    (présent ou absent). Une requête. ``enfants`` : le QuerySet de départ (par défaut tous ;
    une vue passe ``Enfant.objects.visible_to(user)``).
    """
    seance_faite = Q(presences__seance__statut=Seance.Statut.REALISEE)
    enfants = (
        (Enfant.objects.all() if enfants is None else enfants)
        .filter(collectif=collectif)
        .annotate(
            nb_seances=Count("presences", filter=seance_faite),
            nb_presents=Count("presences", filter=seance_faite & Q(presences__present=True)),
        )
        .order_by("code", "pk")
    )
    return [(e, e.nb_presents, e.nb_seances, taux(e.nb_presents, e.nb_seances)) for e in enfants]


def effectifs_enfants(collectif) -> dict:
    """Enfants inscrits dans l'année, filles, garçons et familles (codes famille distincts).

    Une requête. Tous les enfants enregistrés comptent, y compris ceux sortis en cours d'année.
    """
    return Enfant.objects.filter(collectif=collectif).aggregate(
        enfants=Count("pk"),
        filles=Count("pk", filter=Q(sexe=Sexe.FILLE)),
        garcons=Count("pk", filter=Q(sexe=Sexe.GARCON)),
        familles=Count("code_famille", distinct=True),
    )


def enfants_actifs(collectif, jour: datetime.date, enfants=None):
    """Les enfants du collectif inscrits ce jour-là (entrés au plus tard ce jour, pas encore
    sortis). ``enfants`` : le QuerySet de départ (par défaut tous ; une vue passe
    ``Enfant.objects.visible_to(user)``)."""
    return (
        (Enfant.objects.all() if enfants is None else enfants)
        .filter(collectif=collectif)
        .filter(Q(inscrit_le__isnull=True) | Q(inscrit_le__lte=jour))
        .filter(Q(sorti_le__isnull=True) | Q(sorti_le__gte=jour))
        .order_by("code", "pk")
    )


# --- Protection des données : un code n'est pas un nom ----------------------------------------

# Une date, quelle que soit sa forme usuelle : 3/9/2015, 03-09-15, 2015-09-03, 03.09.2015.
MOTIF_DATE = re.compile(
    r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\d{4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,2}"
)
# Une suite de lettres (accents compris), sans chiffres ni séparateurs.
MOTIF_LETTRES = re.compile(r"[^\W\d_]+")


def probleme_de_pseudonyme(code: str) -> str | None:
    """Pourquoi ce code ne peut pas servir de pseudonyme (None s'il convient).

    Refusés : une date (naissance ?) ; une suite de 4 lettres ou plus, ou de 3 lettres avec des
    minuscules (« Léa », « Dupont ») — un prénom ou un nom. Des initiales en majuscules et un
    numéro (« AB-01 », « MDL3 ») conviennent.
    """
    if MOTIF_DATE.search(code):
        return (
            "il contient une date. N'indiquez jamais de date de naissance : un code est fait "
            "d'initiales et d'un numéro, par exemple « AB-01 »."
        )
    for mot in MOTIF_LETTRES.findall(code):
        if len(mot) >= 4 or (len(mot) == 3 and not mot.isupper()):
            return (
                f"« {mot} » ressemble à un prénom ou à un nom. Utilisez des initiales en "
                "majuscules (3 lettres au plus) et un numéro, par exemple « AB-01 » : le lien "
                "entre le code et l'enfant reste dans les dossiers papier de votre structure."
            )
    return None
