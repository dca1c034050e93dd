"""Saisie d'un dossier par le porteur, étape par étape.

Ce module ne fait qu'exposer des données et des fonctions pures ou presque (lecture des objets
déjà préchargés) ; les vues (``views_saisie``) et les gabarits s'en servent :

- les étapes, dans l'ordre, et l'étape « récapitulatif » (construite à part) ;
- la complétude de chaque étape, pour l'indicateur de progression ;
- où corriger chaque critère du référentiel (``CORRECTIONS``) et la liste « À compléter » ;
- l'équilibre du budget, les pièces obligatoires manquantes ;
- la suggestion du nombre de semaines de fonctionnement d'après le calendrier scolaire.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from eligibility.calendrier import ZONES_METROPOLE
from eligibility.editions import CNAF_2019

from .models import PIECES_DOSSIER_OBLIGATOIRES, Campagne, Dossier, LigneBudget, TypePieceDossier

# --- Les étapes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Etape:
    slug: str
    titre: str
    intro: str


ETAPES: tuple[Etape, ...] = (
    Etape(
        "projet",
        "Projet et diagnostic",
        "Présentez le projet et le besoin auquel il répond. Une réponse « non renseigné » "
        "n'est pas un « non » : elle reste à compléter.",
    ),
    Etape(
        "axes",
        "Axes et objectifs",
        "Le référentiel demande quatre axes d'intervention et quatorze objectifs "
        "opérationnels. Pour chacun, décrivez concrètement ce que vous ferez.",
    ),
    Etape(
        "collectifs",
        "Collectifs d'enfants",
        "Un collectif est un groupe de 8 à 12 enfants (5 au minimum en milieu rural) suivi "
        "toute l'année dans un même lieu. La prestation de service est calculée par collectif.",
    ),
    Etape(
        "equipe",
        "Coordination et intervenants",
        "Le coordinateur a au moins un bac + 2 et une expérience en animation ou en éducation. "
        "Chaque collectif est encadré par deux intervenants au moins.",
    ),
    Etape(
        "budget",
        "Budget prévisionnel",
        "Le budget doit être équilibré : total des dépenses = total des autres recettes + "
        "montant demandé à la Caf.",
    ),
    Etape(
        "pieces",
        "Pièces justificatives",
        "Déposez les pièces du dossier : PDF, JPEG ou PNG, 10 Mo au plus chacune.",
    ),
)
SLUGS: tuple[str, ...] = tuple(e.slug for e in ETAPES)
_PAR_SLUG = {e.slug: e for e in ETAPES}

# La 7e étape (récapitulatif, engagements de la charte, dépôt) est construite par ailleurs.
RECAPITULATIF = "recapitulatif"
TITRE_RECAPITULATIF = "Récapitulatif et dépôt"
NOMBRE_ETAPES = len(ETAPES) + 1


def etape(slug: str) -> Etape:
    """L'étape de ce slug (KeyError si elle n'existe pas)."""
    return _PAR_SLUG[slug]


def numero_etape(slug: str) -> int:
    """1 pour la première étape… ; le récapitulatif est la dernière."""
    if slug == RECAPITULATIF:
        return NOMBRE_ETAPES
    return SLUGS.index(slug) + 1


def etape_suivante(slug: str) -> str | None:
    """Le slug de l'étape suivante, ``RECAPITULATIF`` après la dernière, None ensuite."""
    if slug == RECAPITULATIF:
        return None
    i = SLUGS.index(slug)
    return SLUGS[i + 1] if i + 1 < len(SLUGS) else RECAPITULATIF


def etape_precedente(slug: str) -> str | None:
    if slug == RECAPITULATIF:
        return SLUGS[-1]
    i = SLUGS.index(slug)
    return SLUGS[i - 1] if i > 0 else None


def _url_si_elle_existe(nom: str, *args) -> str | None:
    try:
        return reverse(nom, args=args)
    except NoReverseMatch:
        return None


def url_recapitulatif(dossier) -> str | None:
    """L'URL du récapitulatif (construit par ailleurs), ou None tant qu'elle n'existe pas."""
    return _url_si_elle_existe("dossiers:recapitulatif", dossier.pk)


def url_etape(dossier, slug: str) -> str | None:
    """L'URL d'une étape de saisie, récapitulatif compris (None s'il n'existe pas encore)."""
    if slug == RECAPITULATIF:
        return url_recapitulatif(dossier)
    return reverse("dossiers:saisie", args=[dossier.pk, slug])


def url_organisation(porteur_pk: int) -> str:
    """La fiche de l'organisation (où elle dépose ses pièces permanentes)."""
    return _url_si_elle_existe("porteurs:detail", porteur_pk) or f"/organisations/{porteur_pk}/"


# --- Où corriger chaque critère --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Correction:
    """Où le porteur corrige un critère : l'étape, un libellé court, l'ancre du champ."""

    etape: str
    libelle: str
    ancre: str


# Les engagements de la charte se prennent sur le récapitulatif, dans sa section « engagements ».
ANCRE_ENGAGEMENTS = "engagements"
# Les ancres sont les identifiants des champs (``id_<champ>``, ``id_<champ>_0`` pour les
# boutons radio et cases à cocher) ou des groupes de champs des gabarits de saisie.
CORRECTIONS: dict[str, Correction] = {
    "REPERAGE-ECOLE": Correction(
        "projet", "Repérage du besoin avec les écoles", "id_reperage_concerte_ecole_0"
    ),
    "DIAGNOSTIC-SDSF": Correction("projet", "Diagnostic et cohérence avec le Sdsf", "id_diagnostic"),
    "EXCLUSION-AIDE-DEVOIRS": Correction(
        "projet", "Action d'aide aux devoirs exclusive ou non", "id_aide_aux_devoirs_exclusive_0"
    ),
    "CHARTE-LAICITE": Correction(
        RECAPITULATIF, "Engagement de laïcité et de neutralité", ANCRE_ENGAGEMENTS
    ),
    "CHARTE-GRATUITE": Correction(
        RECAPITULATIF, "Participation demandée aux familles", ANCRE_ENGAGEMENTS
    ),
    "ENGAGEMENT-BILAN": Correction(
        RECAPITULATIF, "Engagement à produire un bilan", ANCRE_ENGAGEMENTS
    ),
    "COORDINATEUR": Correction("equipe", "Coordinateur (diplôme, expérience)", "groupe-coordination"),
    "AXE-ENFANTS": Correction("axes", "Axe « enfants et jeunes »", "axe-enfants"),
    "AXE-PARENTS": Correction("axes", "Axe « parents »", "axe-parents"),
    "AXE-ECOLE": Correction("axes", "Axe « école »", "axe-ecole"),
    "AXE-TERRITOIRE": Correction("axes", "Axe « territoire »", "axe-territoire"),
    "COLLECTIF-NIVEAU": Correction("collectifs", "Classes des enfants", "id_classes_0"),
    "COLLECTIF-TAILLE": Correction("collectifs", "Nombre d'enfants", "id_nombre_enfants"),
    "COLLECTIF-LIEU": Correction("collectifs", "Lieu (unique, accessible aux parents)", "groupe-lieu"),
    "COLLECTIF-ENCADREMENT": Correction("collectifs", "Nombre d'intervenants", "id_nombre_intervenants"),
    "COLLECTIF-REGULARITE": Correction("collectifs", "Créneaux hebdomadaires", "groupe-creneaux"),
    "COLLECTIF-DUREE": Correction(
        "collectifs", "Semaines de fonctionnement", "id_semaines_fonctionnement"
    ),
    "COLLECTIF-CALENDRIER": Correction("collectifs", "Dates de début et de fin", "id_date_debut"),
    "COLLECTIF-BUDGET": Correction(
        "collectifs", "Dépenses de fonctionnement", "id_depenses_fonctionnement"
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ACompleter:
    """Une donnée manquante (critère ``manquant``) et le lien qui mène au champ à remplir."""

    code: str
    libelle: str
    message: str
    etape: str
    titre_etape: str
    url: str | None
    collectif: str = ""


def titre_etape(slug: str) -> str:
    return TITRE_RECAPITULATIF if slug == RECAPITULATIF else etape(slug).titre


def _avec_ancre(url: str | None, ancre: str) -> str | None:
    if url is None:
        return None
    return f"{url}#{ancre}" if ancre else url


def liens_a_completer(dossier, evaluation: dict, collectifs=None) -> list[ACompleter]:
    """Chaque critère ``manquant`` de l'évaluation, avec le lien vers le champ qui le corrige.

    ``collectifs`` : les collectifs du dossier dans l'ordre de l'évaluation (par défaut,
    ``dossier.collectifs.all()``, préchargés de préférence) ; un critère d'un collectif mène à
    la fiche de ce collectif.
    """
    if collectifs is None:
        collectifs = list(dossier.collectifs.all())
    liens = []
    for critere in evaluation["criteres"]:
        if critere["statut"] != "manquant":
            continue
        correction = CORRECTIONS[critere["code"]]
        liens.append(
            ACompleter(
                code=critere["code"],
                libelle=correction.libelle,
                message=critere["message"],
                etape=correction.etape,
                titre_etape=titre_etape(correction.etape),
                url=_avec_ancre(url_etape(dossier, correction.etape), correction.ancre),
            )
        )
    for resultat in evaluation["collectifs"]:
        index = resultat["index"]
        collectif = collectifs[index] if index < len(collectifs) else None
        for critere in resultat["criteres"]:
            if critere["statut"] != "manquant":
                continue
            correction = CORRECTIONS[critere["code"]]
            if collectif is not None and collectif.pk:
                url = reverse("dossiers:collectif_modifier", args=[dossier.pk, collectif.pk])
            else:
                url = url_etape(dossier, "collectifs")
            liens.append(
                ACompleter(
                    code=critere["code"],
                    libelle=correction.libelle,
                    message=critere["message"],
                    etape=correction.etape,
                    titre_etape=titre_etape(correction.etape),
                    url=_avec_ancre(url, correction.ancre),
                    collectif=resultat.get("nom") or f"Collectif {index + 1}",
                )
            )
    return liens


# --- Budget ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BilanBudget:
    total_depenses: Decimal
    total_recettes: Decimal
    montant_demande: Decimal | None
    nombre_depenses: int

    @property
    def ressources(self) -> Decimal:
        """Recettes et montant demandé à la Caf."""
        return self.total_recettes + (self.montant_demande or Decimal("0"))

    @property
    def ecart(self) -> Decimal:
        """Dépenses moins ressources : positif s'il manque des ressources."""
        return self.total_depenses - self.ressources

    @property
    def ecart_absolu(self) -> Decimal:
        return abs(self.ecart)

    @property
    def montant_equilibrant(self) -> Decimal | None:
        """Le montant demandé qui équilibrerait le budget (None s'il serait négatif)."""
        besoin = self.total_depenses - self.total_recettes
        return besoin if besoin >= 0 else None

    @property
    def est_renseigne(self) -> bool:
        return self.nombre_depenses > 0 and self.montant_demande is not None

    @property
    def est_equilibre(self) -> bool:
        return self.est_renseigne and self.ecart == 0


def bilan_budget(dossier, lignes=None) -> BilanBudget:
    """Totaux du budget du dossier (``lignes`` : ses lignes, préchargées ou non)."""
    if lignes is None:
        lignes = dossier.lignes_budget.all()
    depenses = recettes = Decimal("0")
    nombre_depenses = 0
    for ligne in lignes:
        if ligne.sens == LigneBudget.Sens.DEPENSE:
            depenses += ligne.montant
            nombre_depenses += 1
        else:
            recettes += ligne.montant
    return BilanBudget(depenses, recettes, dossier.montant_demande, nombre_depenses)


# --- Pièces ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PiecesManquantes:
    du_dossier: list[str] = field(default_factory=list)
    permanentes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.du_dossier or self.permanentes)


def pieces_manquantes(dossier) -> PiecesManquantes:
    """Libellés des pièces obligatoires absentes : celles du dossier, celles de l'organisation."""
    from porteurs.models import PIECES_PERMANENTES_OBLIGATOIRES

    deposees = {p.type for p in dossier.pieces.all()}
    permanentes = {p.type for p in dossier.porteur.pieces.all()}
    return PiecesManquantes(
        du_dossier=[t.label for t in PIECES_DOSSIER_OBLIGATOIRES if t not in deposees],
        permanentes=[t.label for t in PIECES_PERMANENTES_OBLIGATOIRES if t not in permanentes],
    )


def types_obligatoires() -> set[str]:
    return {t.value for t in PIECES_DOSSIER_OBLIGATOIRES}


LIBELLES_PIECES = dict(TypePieceDossier.choices)


# --- Complétude des étapes -------------------------------------------------------------------

CHAMPS_PROJET_BOOLEENS = (
    "renouvellement",
    "reperage_concerte_ecole",
    "aide_aux_devoirs_exclusive",
    "coherence_sdsf",
)
CHAMPS_AXES: tuple[str, ...] = tuple(
    f"{axe.cle}_{objectif.cle}" for axe in CNAF_2019.axes for objectif in axe.objectifs
)


def _rempli(texte: str | None) -> bool:
    return bool((texte or "").strip())


def collectif_est_complet(collectif) -> bool:
    """Toutes les données qu'attendent les critères du collectif sont renseignées."""
    return (
        bool(collectif.classes)
        and collectif.nombre_enfants is not None
        and collectif.lieu_unique is not None
        and collectif.lieu_accessible_parents is not None
        and collectif.nombre_intervenants is not None
        and collectif.semaines_fonctionnement is not None
        and collectif.date_debut is not None
        and collectif.date_fin is not None
        and collectif.depenses_fonctionnement is not None
        and len(collectif.creneaux.all()) > 0
    )


def etapes_completes(dossier: Dossier) -> dict[str, bool]:
    """Pour chaque étape de saisie, toutes ses données sont-elles renseignées ?

    Lit les relations du dossier par ``.all()`` : préchargées (voir ``views_saisie``), la
    fonction ne fait aucune requête. Le résultat est gardé sur l'objet pour la requête en cours.
    """
    memo = getattr(dossier, "_etapes_completes", None)
    if memo is not None:
        return memo
    collectifs = list(dossier.collectifs.all())
    resultat = {
        "projet": _rempli(dossier.intitule)
        and _rempli(dossier.diagnostic)
        and all(getattr(dossier, c) is not None for c in CHAMPS_PROJET_BOOLEENS),
        "axes": all(_rempli(getattr(dossier, c)) for c in CHAMPS_AXES),
        "collectifs": bool(collectifs) and all(collectif_est_complet(c) for c in collectifs),
        "equipe": _rempli(dossier.coordinateur_nom)
        and bool(dossier.coordinateur_niveau_diplome)
        and dossier.coordinateur_experience_animation_education is not None
        and len(dossier.intervenants.all()) > 0,
        "budget": bilan_budget(dossier).est_equilibre,
        "pieces": not pieces_manquantes(dossier),
    }
    dossier._etapes_completes = resultat
    return resultat


def oublier_completude(dossier: Dossier) -> None:
    """À appeler après une écriture, si le même objet sert encore à l'affichage."""
    if hasattr(dossier, "_etapes_completes"):
        del dossier._etapes_completes


@dataclass(frozen=True, slots=True)
class EtapeAffichee:
    slug: str
    numero: int
    titre: str
    url: str | None
    courante: bool
    complete: bool | None  # None : sans objet (le récapitulatif)


def etapes_affichees(dossier: Dossier, etape_courante: str) -> list[EtapeAffichee]:
    """Les 7 étapes pour l'indicateur de progression (``_progression.html``)."""
    completes = etapes_completes(dossier)
    etapes = [
        EtapeAffichee(
            e.slug,
            i,
            e.titre,
            reverse("dossiers:saisie", args=[dossier.pk, e.slug]),
            e.slug == etape_courante,
            completes[e.slug],
        )
        for i, e in enumerate(ETAPES, start=1)
    ]
    etapes.append(
        EtapeAffichee(
            RECAPITULATIF,
            NOMBRE_ETAPES,
            TITRE_RECAPITULATIF,
            url_recapitulatif(dossier),
            etape_courante == RECAPITULATIF,
            None,
        )
    )
    return etapes


# --- Campagne --------------------------------------------------------------------------------


def campagne_du_dossier(dossier: Dossier) -> Campagne | None:
    return Campagne.objects.filter(
        departement_id=dossier.departement_id, annee=dossier.annee
    ).first()


def date_de_cloture_passee(dossier: Dossier, jour: date | None = None) -> date | None:
    """Le premier jour où la campagne du dossier est close, si ce jour est passé ; sinon None.

    La campagne accepte les dépôts jusqu'à sa date de clôture incluse : elle est close depuis
    le lendemain.
    """
    campagne = campagne_du_dossier(dossier)
    jour = jour or timezone.localdate()
    if campagne is None or jour <= campagne.cloture:
        return None
    return campagne.cloture + timedelta(days=1)


# --- Suggestion du nombre de semaines de fonctionnement --------------------------------------

JOURS_SEMAINE = {
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
}
# Départements où s'appliquent les jours fériés d'Alsace-Moselle (Vendredi saint, 26 décembre).
DEPARTEMENTS_ALSACE_MOSELLE = ("57", "67", "68")


@lru_cache(maxsize=1)
def _vacances():
    from vacances_scolaires_france import SchoolHolidayDates

    return SchoolHolidayDates()


@lru_cache(maxsize=64)
def _feries(annee: int, zone: str) -> frozenset[date]:
    from jours_feries_france import JoursFeries

    return frozenset(JoursFeries.for_year(annee, zone=zone).values())


@dataclass(frozen=True, slots=True)
class SuggestionSemaines:
    semaines: int | None
    message: str


def nom_zone(zone: str | None) -> str:
    if zone in ZONES_METROPOLE:
        return f"zone {zone}"
    if zone == "corse":
        return "Corse"
    if zone == "outre_mer":
        return "outre-mer"
    return "zone inconnue"


def compter_semaines(
    debut: date, fin: date, jours: set[int], zone: str, departement: str = ""
) -> int:
    """Nombre de semaines (du lundi au dimanche) entre ``debut`` et ``fin`` inclus qui ont au
    moins un jour de créneau (``jours`` : 0 = lundi) ni en vacances scolaires de ``zone``, ni
    férié.

    Lève ``vacances_scolaires_france.UnsupportedYearException`` hors des années connues.
    """
    vacances = _vacances()
    zone_feries = "Alsace-Moselle" if departement in DEPARTEMENTS_ALSACE_MOSELLE else "Métropole"
    semaines = 0
    lundi = debut - timedelta(days=debut.weekday())
    while lundi <= fin:
        for decalage in sorted(jours):
            jour = lundi + timedelta(days=decalage)
            if jour < debut or jour > fin:
                continue
            if jour in _feries(jour.year, zone_feries):
                continue
            if vacances.is_holiday_for_zone(jour, zone):
                continue
            semaines += 1
            break
        lundi += timedelta(days=7)
    return semaines


def suggestion_semaines(
    debut: date | None,
    fin: date | None,
    jours: list[str],
    zone: str | None,
    departement: str = "",
) -> SuggestionSemaines:
    """La suggestion affichée près du champ « semaines de fonctionnement »."""
    if zone not in ZONES_METROPOLE:
        return SuggestionSemaines(
            None,
            f"Le calendrier scolaire de votre académie ({nom_zone(zone)}) n'est pas connu du "
            "portail : comptez les semaines de fonctionnement d'après le calendrier de votre "
            "rectorat.",
        )
    numeros = {JOURS_SEMAINE[j] for j in jours if j in JOURS_SEMAINE}
    if debut is None or fin is None or not numeros:
        return SuggestionSemaines(
            None,
            "Indiquez les dates de début et de fin et au moins un créneau : le portail vous "
            "suggérera un nombre de semaines d'après le calendrier scolaire.",
        )
    if fin < debut:
        return SuggestionSemaines(None, "La date de fin précède la date de début.")
    from vacances_scolaires_france import UnsupportedYearException

    try:
        semaines = compter_semaines(debut, fin, numeros, zone, departement)
    except UnsupportedYearException:
        return SuggestionSemaines(
            None,
            "Le calendrier scolaire de cette période n'est pas encore connu du portail.",
        )
    return SuggestionSemaines(
        semaines,
        f"Suggestion : {semaines} semaine{'s' if semaines > 1 else ''} d'après le calendrier "
        f"scolaire de la {nom_zone(zone)} (semaines comptant au moins un jour de créneau hors "
        "vacances scolaires et jours fériés).",
    )


# --- Collectifs ------------------------------------------------------------------------------

SUFFIXE_COPIE = " (copie)"


def resume_collectif(collectif) -> str:
    """Une ligne qui résume le collectif dans la liste (relations préchargées de préférence)."""
    morceaux = []
    classes = collectif.classes_triees()
    morceaux.append(", ".join(classes) if classes else "classes non renseignées")
    if collectif.nombre_enfants is not None:
        n = collectif.nombre_enfants
        morceaux.append(f"{n} enfant{'s' if n > 1 else ''}{' (rural)' if collectif.rural else ''}")
    else:
        morceaux.append("nombre d'enfants non renseigné")
    creneaux = list(collectif.creneaux.all())
    if creneaux:
        morceaux.append(" ; ".join(str(c) for c in creneaux))
    else:
        morceaux.append("aucun créneau")
    if collectif.lieu_nom or collectif.lieu_commune:
        morceaux.append(", ".join(x for x in (collectif.lieu_nom, collectif.lieu_commune) if x))
    if collectif.semaines_fonctionnement is not None:
        morceaux.append(f"{collectif.semaines_fonctionnement} semaines")
    return " · ".join(morceaux)


def copier_collectif(collectif):
    """Copie un collectif et ses créneaux, à la fin du dossier ; « (copie) » suit le nom.

    Les intervenants ne sont pas rattachés à la copie : c'est à l'étape « équipe » de dire qui
    l'anime.
    """
    from django.db import transaction
    from django.db.models import Max

    from collectifs.models import Collectif, Creneau

    creneaux = list(collectif.creneaux.all())
    with transaction.atomic():
        dernier = Collectif.objects.filter(dossier_id=collectif.dossier_id).aggregate(
            m=Max("ordre")
        )["m"]
        base = (collectif.nom or str(collectif))[: 120 - len(SUFFIXE_COPIE)]
        copie = Collectif(
            **{
                f.attname: getattr(collectif, f.attname)
                for f in Collectif._meta.concrete_fields
                if not f.primary_key
            }
        )
        copie.nom = f"{base}{SUFFIXE_COPIE}"
        copie.ordre = (dernier or 0) + 1
        copie.save()
        Creneau.objects.bulk_create(
            Creneau(collectif=copie, jour=c.jour, debut=c.debut, duree_minutes=c.duree_minutes)
            for c in creneaux
        )
    return copie
