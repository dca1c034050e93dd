"""Les critères d'éligibilité du référentiel, un par fonction (catalogue : `spec/regles.md`).

Chaque critère a un code, la section du référentiel qu'il applique (`reference`), la règle en
clair (`regle`), la phrase du référentiel qu'il met en œuvre (sa docstring, reprise telle quelle
dans `source`), et une fonction `(donnees, contexte) -> (statut, message)`.

Sémantique des données : un champ absent n'est pas un champ faux ; `rural` absent vaut faux ;
les montants sont des nombres JSON ou des chaînes décimales, lus en `Decimal(str(x))`.

Le moteur évalue des milliers de dossiers par seconde : les textes qui ne dépendent que de
l'édition ou de quelques valeurs sont construits une fois (tables, `_par_edition`, caches).
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache, wraps
from typing import Any, TypeVar

from .calendrier import ZONE_CORSE, ZONE_OUTRE_MER, ZONES_METROPOLE, debut_recommande
from .editions import CNAF_2019, Edition

CONFORME = "conforme"
NON_CONFORME = "non_conforme"
MANQUANT = "manquant"
A_VERIFIER = "a_verifier"
RECOMMANDATION = "recommandation"
SANS_OBJET = "sans_objet"
STATUTS = (CONFORME, NON_CONFORME, MANQUANT, A_VERIFIER, RECOMMANDATION, SANS_OBJET)

NIVEAU_DOSSIER = "dossier"
NIVEAU_COLLECTIF = "collectif"

CENT = Decimal("0.01")
ZERO = Decimal("0")

# Sections du référentiel (titres réels de referentiel-national-clas-cnaf.md), sous la forme
# « section — sous-section ».
_FINANCEMENT = "Les critères du financement par la prestation de service « Clas »"
SECTION_PREAMBULE = "Préambule"
SECTION_CRITERES = _FINANCEMENT
SECTION_PUBLIC = (
    f"{_FINANCEMENT} — S'adresser à un public d'enfants et/ou de jeunes et leurs parents"
)
SECTION_CHARTE = (
    f"{_FINANCEMENT} — S'appuyer sur les principes de la charte d'accompagnement à la scolarité"
)
SECTION_SDSF = (
    f"{_FINANCEMENT} — Répondre aux orientations définies dans le volet parentalité du Sdsf et "
    "prendre appui sur un diagnostic des besoins"
)
SECTION_COLLECTIF = f"{_FINANCEMENT} — Définition d'un collectif d'enfants"
SECTION_REGULARITE = f"{_FINANCEMENT} — S'inscrire dans une régularité de mise en œuvre"
SECTION_INTERVENANTS = (
    f"{_FINANCEMENT} — Les intervenants professionnels ou bénévoles des actions Clas"
)
SECTION_COORDINATEURS = f"{_FINANCEMENT} — Les coordinateurs des actions Clas"
SECTION_BILAN = "Le bilan, le suivi et la valorisation des actions"

# Le résultat d'un critère : (statut, message).
Resultat = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Contexte:
    """Ce que les critères savent du dossier hors de leurs données : année N, zone, édition.

    `debut_recommande` (None si la zone ou l'année est inconnue du calendrier scolaire) et
    `fin_recommandee` en sont déduits.
    """

    annee: int
    zone: str | None
    edition: Edition = CNAF_2019
    debut_recommande: date | None = field(init=False)
    fin_recommandee: date = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "debut_recommande", debut_recommande(self.annee, self.zone))
        mois, jour = self.edition.fin_recommandee
        object.__setattr__(self, "fin_recommandee", date(self.annee + 1, mois, jour))


FonctionCritere = Callable[[dict, Contexte], Resultat]


@dataclass(frozen=True, slots=True)
class Critere:
    code: str
    niveau: str
    reference: str
    modele_regle: str
    source: str
    fonction: FonctionCritere

    def regle(self, edition: Edition = CNAF_2019) -> str:
        """La règle en clair, avec les paramètres de `edition`."""
        mois, jour = edition.fin_recommandee
        return self.modele_regle.format(e=edition, fin_recommandee=f"{jour} {_MOIS[mois]}")

    def evaluer(self, donnees: dict, contexte: Contexte) -> Resultat:
        return self.fonction(donnees, contexte)


_CRITERES: list[Critere] = []


def _source(docstring: str | None) -> str:
    """La citation du référentiel : paragraphes de la docstring, blancs internes réduits."""
    paragraphes = inspect.cleandoc(docstring or "").split("\n\n")
    return "\n".join(" ".join(p.split()) for p in paragraphes if p.strip())


def _critere(code: str, niveau: str, reference: str, regle: str):
    def enregistrer(fonction: FonctionCritere) -> FonctionCritere:
        _CRITERES.append(
            Critere(
                code,
                niveau,
                reference,
                " ".join(regle.split()),
                _source(fonction.__doc__),
                fonction,
            )
        )
        return fonction

    return enregistrer


T = TypeVar("T")


def _par_edition(construire: Callable[[Edition], T]) -> Callable[[Edition], T]:
    """Mémorise ce qui ne dépend que de l'édition (une édition est immuable)."""
    memo: dict[int, tuple[Edition, T]] = {}

    @wraps(construire)
    def lire(edition: Edition) -> T:
        trouve = memo.get(id(edition))
        if trouve is None or trouve[0] is not edition:
            trouve = memo[id(edition)] = (edition, construire(edition))
        return trouve[1]

    return lire


# --- Lecture et mise en forme des valeurs -----------------------------------------------------


def lire_montant(valeur: Any) -> Decimal | None:
    """Un montant en euros (nombre JSON ou chaîne décimale) en Decimal ; None s'il est absent."""
    if valeur is None:
        return None
    try:
        return Decimal(str(valeur))
    except InvalidOperation:
        return None


def format_euros(montant: Decimal) -> str:
    """« 9 000,00 € » (arrondi au centime, demi supérieur)."""
    entier, _, centimes = str(montant.quantize(CENT, rounding=ROUND_HALF_UP)).partition(".")
    if len(entier) > 3:
        entier = f"{int(entier):_}".replace("_", " ")
    return f"{entier},{centimes} €"


_MOIS = (
    "",
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def format_date(jour: date) -> str:
    """« 3 novembre 2025 », « 1er juin 2026 »."""
    return f"{'1er' if jour.day == 1 else jour.day} {_MOIS[jour.month]} {jour.year}"


def _pluriel(nombre: int, mot: str) -> str:
    return f"{nombre} {mot}s" if nombre > 1 else f"{nombre} {mot}"


def _oui_non(valeur: bool | None) -> str:
    if valeur is None:
        return "non renseigné"
    return "oui" if valeur else "non"


def _vide(texte: Any) -> bool:
    return not isinstance(texte, str) or not texte.strip()


def _table_booleen(attendu: bool, question: str, exigence: str) -> dict[bool | None, Resultat]:
    """Résultats d'un critère sur un booléen : `attendu` → conforme, l'inverse → non conforme,
    absent → manquant."""
    return {
        valeur: (
            MANQUANT if valeur is None else CONFORME if valeur is attendu else NON_CONFORME,
            f"{question} : {_oui_non(valeur)} ; {exigence}.",
        )
        for valeur in (True, False, None)
    }


# --- Critères du dossier ----------------------------------------------------------------------

_REPERAGE = _table_booleen(
    True,
    "Besoin des enfants repéré en concertation avec les établissements scolaires",
    "le référentiel demande que le besoin de chaque enfant soit repéré en concertation avec les "
    "établissements scolaires",
)


@_critere(
    "REPERAGE-ECOLE",
    NIVEAU_DOSSIER,
    SECTION_PUBLIC,
    "Le besoin des enfants doit avoir été repéré en concertation avec les établissements "
    "scolaires. Oui : conforme ; non : non conforme ; non renseigné : manquant.",
)
def reperage_ecole(dossier: dict, contexte: Contexte) -> Resultat:
    """
    Le contrat local d'accompagnement à la scolarité s'adresse aux enfants scolarisés du CP au
    lycée qui ne disposent pas dans leur environnement familial et social de l'appui et des
    ressources pour s'épanouir et réussir à l'école et pour lesquels un besoin a été repéré en
    concertation avec les établissements scolaires.
    """
    return _REPERAGE[dossier.get("reperage_concerte_ecole")]


_LAICITE = _table_booleen(
    True,
    "Engagement sur la laïcité et la neutralité des actions",
    "le référentiel demande le caractère laïc des actions et le refus de tout prosélytisme",
)


@_critere(
    "CHARTE-LAICITE",
    NIVEAU_DOSSIER,
    SECTION_CHARTE,
    "Le porteur s'engage sur le caractère laïc des actions et le refus de tout prosélytisme. "
    "Oui : conforme ; non : non conforme ; non renseigné : manquant.",
)
def charte_laicite(dossier: dict, contexte: Contexte) -> Resultat:
    """
    du caractère laïc des actions et du refus de tout prosélytisme
    """
    return _LAICITE[(dossier.get("charte") or {}).get("laicite_neutralite")]


_GRATUITE_MANQUANT = (
    MANQUANT,
    "La participation financière demandée aux familles n'est pas renseignée ; le référentiel "
    "demande la gratuité de la prestation (une participation symbolique au plus).",
)
_GRATUITE_CONFORME = (
    CONFORME,
    f"La participation financière demandée aux familles est de {format_euros(ZERO)} ; le "
    "référentiel demande la gratuité de la prestation.",
)


@_critere(
    "CHARTE-GRATUITE",
    NIVEAU_DOSSIER,
    SECTION_CHARTE,
    "La prestation est gratuite pour les familles. Participation de 0 € : conforme ; "
    "participation demandée : à vérifier (un agent juge si elle reste symbolique) ; "
    "non renseignée : manquant.",
)
def charte_gratuite(dossier: dict, contexte: Contexte) -> Resultat:
    """
    du caractère gratuit de la prestation : le Clas s'adressant à des publics fragilisés, la
    participation financière potentiellement demandée aux familles doit rester symbolique et/ou
    être dédiée à des contributions exceptionnelles générées par certaines actions (ex/ sorties
    culturelles), et ne doit pas être un frein à leur participation au dispositif.
    """
    participation = lire_montant((dossier.get("charte") or {}).get("participation_familles_euros"))
    if participation is None:
        return _GRATUITE_MANQUANT
    if participation <= ZERO:
        return _GRATUITE_CONFORME
    return (
        A_VERIFIER,
        f"La participation financière demandée aux familles est de {format_euros(participation)}"
        " ; le référentiel n'admet qu'une participation symbolique, qui ne freine pas la "
        "participation des familles : un agent doit en juger.",
    )


def _resultat_diagnostic(diagnostic_vide: bool, coherence: bool | None) -> Resultat:
    if coherence is False:
        statut = NON_CONFORME
    elif diagnostic_vide or coherence is None:
        statut = MANQUANT
    else:
        statut = CONFORME
    return (
        statut,
        f"Diagnostic des besoins : {'non renseigné' if diagnostic_vide else 'renseigné'} ; "
        f"cohérence avec le Sdsf : {_oui_non(coherence)} ; le référentiel demande un diagnostic "
        "des besoins et une action cohérente avec les priorités du volet parentalité du Sdsf.",
    )


_DIAGNOSTIC = {
    (vide, coherence): _resultat_diagnostic(vide, coherence)
    for vide in (True, False)
    for coherence in (True, False, None)
}


@_critere(
    "DIAGNOSTIC-SDSF",
    NIVEAU_DOSSIER,
    SECTION_SDSF,
    "Le projet s'appuie sur un diagnostic des besoins et est cohérent avec le volet parentalité "
    "du Sdsf. Incohérent avec le Sdsf : non conforme ; diagnostic vide ou cohérence non "
    "renseignée : manquant ; sinon conforme.",
)
def diagnostic_sdsf(dossier: dict, contexte: Contexte) -> Resultat:
    """
    L'action Clas doit être conduite en cohérence avec les priorités fixées par le comité
    départemental de soutien à la parentalité des schémas départementaux des services aux
    familles, et s'inscrire en réponse aux besoins identifiés dans le cadre du diagnostic
    départemental.
    """
    return _DIAGNOSTIC[(_vide(dossier.get("diagnostic")), dossier.get("coherence_sdsf"))]


_AIDE_AUX_DEVOIRS = _table_booleen(
    False,
    "Action relevant exclusivement de l'aide aux devoirs",
    "le référentiel exclut du financement toute action relevant exclusivement de l'aide aux "
    "devoirs",
)


@_critere(
    "EXCLUSION-AIDE-DEVOIRS",
    NIVEAU_DOSSIER,
    SECTION_CRITERES,
    "Une action relevant exclusivement de l'aide aux devoirs n'est pas éligible. Aide aux devoirs "
    "exclusive : non conforme ; non : conforme ; non renseigné : manquant.",
)
def exclusion_aide_devoirs(dossier: dict, contexte: Contexte) -> Resultat:
    """
    Ainsi, toute action relevant exclusivement de l'aide aux devoirs et du seul accompagnement
    au travail scolaire (qu'elles soient conduites dans un cadre individuel ou collectif) n'est
    pas éligible à un financement au titre de la Ps Clas.
    """
    return _AIDE_AUX_DEVOIRS[dossier.get("aide_aux_devoirs_exclusive")]


LIBELLES_DIPLOME = {
    "aucun": "aucun diplôme",
    "cap_bep": "CAP-BEP",
    "bac": "bac",
    "bac+2": "bac+2",
    "bac+3": "bac+3",
    "bac+5": "bac+5",
    "bac+8": "bac+8",
}


@_par_edition
def _table_coordinateur(edition: Edition) -> dict[Any, Resultat]:
    """Résultats selon (niveau de diplôme, expérience), et pour un coordinateur absent (None)."""
    minimum = edition.coordinateur_niveau_min
    rang_minimum = edition.rang_diplome(minimum)
    exigence = (
        f"le référentiel demande un coordinateur de niveau {LIBELLES_DIPLOME.get(minimum, minimum)}"
        " minimum, avec une expérience professionnelle d'animation ou d'éducation"
    )
    table: dict[Any, Resultat] = {
        None: (MANQUANT, f"Aucun coordinateur n'est renseigné ; {exigence}.")
    }
    for niveau in (None, *edition.niveaux_diplome):
        for experience in (True, False, None):
            if niveau is None or experience is None:
                statut = MANQUANT
            elif edition.rang_diplome(niveau) < rang_minimum or experience is False:
                statut = NON_CONFORME
            else:
                statut = CONFORME
            libelle = "non renseigné" if niveau is None else LIBELLES_DIPLOME.get(niveau, niveau)
            table[(niveau, experience)] = (
                statut,
                f"Niveau de diplôme du coordinateur : {libelle} ; expérience d'animation ou "
                f"d'éducation : {_oui_non(experience)} ; {exigence}.",
            )
    return table


@_critere(
    "COORDINATEUR",
    NIVEAU_DOSSIER,
    SECTION_COORDINATEURS,
    "Le coordinateur a un niveau {e.coordinateur_niveau_min} minimum et une expérience "
    "professionnelle d'animation ou d'éducation. Coordinateur, niveau ou expérience non "
    "renseigné : manquant ; niveau inférieur ou pas d'expérience : non conforme ; sinon conforme.",
)
def coordinateur(dossier: dict, contexte: Contexte) -> Resultat:
    """
    Il est demandé que ce coordinateur possède un niveau de formation équivalent à Bac +2
    minimum et d'une expérience professionnelle d'animation ou d'éducation
    """
    table = _table_coordinateur(contexte.edition)
    donnees = dossier.get("coordinateur")
    if donnees is None:
        return table[None]
    return table[(donnees.get("niveau_diplome"), donnees.get("experience_animation_education"))]


_ENGAGEMENT_BILAN = _table_booleen(
    True,
    "Engagement à renseigner le bilan annuel",
    "le référentiel demande que le porteur s'engage à renseigner le bilan annuel et à contribuer "
    "à l'évaluation du dispositif",
)


@_critere(
    "ENGAGEMENT-BILAN",
    NIVEAU_DOSSIER,
    SECTION_BILAN,
    "Le porteur s'engage à renseigner le bilan annuel et à contribuer à l'évaluation du "
    "dispositif. Oui : conforme ; non : non conforme ; non renseigné : manquant.",
)
def engagement_bilan(dossier: dict, contexte: Contexte) -> Resultat:
    """
    Un bilan annuel des projets Clas agréés par les comités départementaux et financés par les
    Caf au titre de la Ps Clas est réalisé.

    Ils doivent par ailleurs contribuer à la réalisation de l'évaluation qualitative et
    quantitative du dispositif réalisée par les comités départementaux Clas.
    """
    return _ENGAGEMENT_BILAN[dossier.get("engagement_bilan")]


@dataclass(frozen=True, slots=True)
class _TextesAxe:
    libelle: str
    objectifs: tuple[tuple[str, str], ...]
    exigence: str
    conforme: Resultat


@_par_edition
def _textes_axes(edition: Edition) -> dict[str, _TextesAxe]:
    textes = {}
    for axe in edition.axes:
        total = len(axe.objectifs)
        if total == 1:
            exigence = "le référentiel demande une action pour l'objectif opérationnel obligatoire"
            constat = "l'objectif opérationnel a une action décrite"
        else:
            exigence = (
                f"le référentiel demande une action pour chacun des {total} objectifs "
                "opérationnels obligatoires"
            )
            constat = f"les {total} objectifs opérationnels ont une action décrite"
        textes[axe.cle] = _TextesAxe(
            libelle=axe.libelle,
            objectifs=tuple((o.cle, o.libelle) for o in axe.objectifs),
            exigence=exigence,
            conforme=(CONFORME, f"{axe.libelle} : {constat} ; {exigence}."),
        )
    return textes


def _axe(dossier: dict, contexte: Contexte, cle: str) -> Resultat:
    textes = _textes_axes(contexte.edition)[cle]
    actions = (dossier.get("actions") or {}).get(cle) or {}
    manquants = []
    for cle_objectif, libelle in textes.objectifs:
        texte = actions.get(cle_objectif)
        if not texte or texte.isspace():
            manquants.append(libelle)
    if not manquants:
        return textes.conforme
    total = len(textes.objectifs)
    if len(manquants) == 1:
        constat = f"1 objectif sur {total} n'a pas d'action décrite"
    else:
        constat = f"{len(manquants)} objectifs sur {total} n'ont pas d'action décrite"
    liste = ", ".join(f"« {libelle} »" for libelle in manquants)
    return (NON_CONFORME, f"{textes.libelle} : {constat} ({liste}) ; {textes.exigence}.")


_REGLE_AXE = (
    "Chaque objectif opérationnel obligatoire de l'axe a une action décrite (texte non vide). "
    "Tous décrits : conforme ; sinon non conforme, les objectifs sans action étant nommés."
)


@_critere(
    "AXE-ENFANTS",
    NIVEAU_DOSSIER,
    f"{_FINANCEMENT} — Un axe d'intervention auprès des enfants et des jeunes",
    _REGLE_AXE,
)
def axe_enfants(dossier: dict, contexte: Contexte) -> Resultat:
    """
    Les actions développées et proposées aux enfants et aux jeunes ont pour fonction de doter
    ces derniers des prérequis nécessaires au bon déroulement de leur scolarité, et qu'ils ne
    trouvent pas nécessairement dans leur cadre de vie familial.

    Les projets doivent obligatoirement développer des actions en réponse aux objectifs
    opérationnels suivants afin de pouvoir bénéficier d'un financement au titre de la Ps Clas :
    """
    return _axe(dossier, contexte, "enfants")


@_critere(
    "AXE-PARENTS",
    NIVEAU_DOSSIER,
    f"{_FINANCEMENT} — Un axe d'intervention auprès et avec les parents",
    _REGLE_AXE,
)
def axe_parents(dossier: dict, contexte: Contexte) -> Resultat:
    """
    Les projets mis en œuvre par les Clas doivent obligatoirement intégrer un axe impliquant
    les parents des enfants accompagnés dans les actions en valorisant leurs compétences.

    Les projets doivent obligatoirement développer des actions en réponse aux objectifs
    opérationnels suivants afin de pouvoir bénéficier d'un financement au titre de la Ps Clas :
    """
    return _axe(dossier, contexte, "parents")


@_critere(
    "AXE-ECOLE",
    NIVEAU_DOSSIER,
    f"{_FINANCEMENT} — Un axe de concertation et de coordination avec l'école",
    _REGLE_AXE,
)
def axe_ecole(dossier: dict, contexte: Contexte) -> Resultat:
    """
    L'accompagnement à la scolarité doit se construire en collaboration avec les
    établissements scolaires.

    Les projets doivent obligatoirement développer des actions en réponse aux objectifs
    opérationnels suivants afin de pouvoir bénéficier d'un financement au titre de la Ps Clas :
    """
    return _axe(dossier, contexte, "ecole")


@_critere(
    "AXE-TERRITOIRE",
    NIVEAU_DOSSIER,
    f"{_FINANCEMENT} — Un axe de concertation et de coordination avec les différents acteurs du "
    "territoire",
    _REGLE_AXE,
)
def axe_territoire(dossier: dict, contexte: Contexte) -> Resultat:
    """
    Le projet porté par les Clas doit s'inscrire dans une dynamique de concertation et de
    coordination avec les différents acteurs chargés des politiques éducatives sur les
    territoires

    Les projets doivent obligatoirement développer des actions en réponse aux objectifs
    opérationnels suivants afin de pouvoir bénéficier d'un financement au titre de la Ps Clas :
    """
    return _axe(dossier, contexte, "territoire")


# --- Critères d'un collectif ------------------------------------------------------------------


@_par_edition
def _exigence_niveau(edition: Edition) -> str:
    admis = edition.niveaux_admis
    return f"le référentiel admet les enfants scolarisés du CP au lycée ({admis[0]} à {admis[-1]})"


@_critere(
    "COLLECTIF-NIVEAU",
    NIVEAU_COLLECTIF,
    SECTION_PUBLIC,
    "Les enfants du collectif sont scolarisés du CP au lycée (CP à Tle). Classes non "
    "renseignées : manquant ; une classe de maternelle : non conforme ; sinon conforme.",
)
def collectif_niveau(collectif: dict, contexte: Contexte) -> Resultat:
    """
    Le contrat local d'accompagnement à la scolarité s'adresse aux enfants scolarisés du CP au
    lycée
    """
    exigence = _exigence_niveau(contexte.edition)
    classes = collectif.get("classes")
    if not classes:
        return (MANQUANT, f"Les classes du collectif ne sont pas renseignées ; {exigence}.")
    admis = contexte.edition.niveaux_admis
    hors = [classe for classe in classes if classe not in admis]
    if hors:
        return (
            NON_CONFORME,
            f"Classes du collectif : {', '.join(classes)}, dont hors du champ : {', '.join(hors)} ;"
            f" {exigence}.",
        )
    return (CONFORME, f"Classes du collectif : {', '.join(classes)} ; {exigence}.")


@_par_edition
def _exigences_taille(edition: Edition) -> dict[bool, str]:
    """Exigence selon `rural`."""
    return {
        False: f"le référentiel demande de {edition.taille_min} à {edition.taille_max} enfants "
        f"({edition.taille_min_rural} au minimum en milieu rural)",
        True: f"le référentiel demande de {edition.taille_min_rural} à {edition.taille_max} "
        "enfants en milieu rural",
    }


@_critere(
    "COLLECTIF-TAILLE",
    NIVEAU_COLLECTIF,
    SECTION_COLLECTIF,
    "Le collectif compte de {e.taille_min} à {e.taille_max} enfants ({e.taille_min_rural} au "
    "minimum en milieu rural). Nombre non renseigné : manquant ; hors de ces bornes : non "
    "conforme.",
)
def collectif_taille(collectif: dict, contexte: Contexte) -> Resultat:
    """
    Un collectif d'enfants est un groupe constitué de 8 à 12 enfants maximum qui se réunit
    durant toute l'année scolaire dans un même lieu, accessible aux parents.

    En milieu rural, en raison de la spécificité territoriale et notamment des problématiques
    liées à la mobilité, un nombre minimum de 5 enfants minimum par collectif est accepté.
    """
    edition = contexte.edition
    rural = collectif.get("rural") is True
    exigence = _exigences_taille(edition)[rural]
    nombre = collectif.get("nombre_enfants")
    if nombre is None:
        return (MANQUANT, f"Le nombre d'enfants du collectif n'est pas renseigné ; {exigence}.")
    minimum = edition.taille_min_rural if rural else edition.taille_min
    statut = CONFORME if minimum <= nombre <= edition.taille_max else NON_CONFORME
    sujet = "Le collectif, en milieu rural," if rural else "Le collectif"
    return (statut, f"{sujet} compte {_pluriel(nombre, 'enfant')} ; {exigence}.")


def _resultat_lieu(unique: bool | None, accessible: bool | None) -> Resultat:
    if unique is False or accessible is False:
        statut = NON_CONFORME
    elif unique is None or accessible is None:
        statut = MANQUANT
    else:
        statut = CONFORME
    return (
        statut,
        f"Même lieu toute l'année : {_oui_non(unique)} ; lieu accessible aux parents : "
        f"{_oui_non(accessible)} ; le référentiel demande que le collectif se réunisse durant "
        "toute l'année scolaire dans un même lieu, accessible aux parents.",
    )


_LIEU = {
    (unique, accessible): _resultat_lieu(unique, accessible)
    for unique in (True, False, None)
    for accessible in (True, False, None)
}


@_critere(
    "COLLECTIF-LIEU",
    NIVEAU_COLLECTIF,
    SECTION_COLLECTIF,
    "Le collectif se réunit toute l'année dans un même lieu, accessible aux parents. L'un des "
    "deux faux : non conforme ; l'un des deux non renseigné : manquant ; sinon conforme.",
)
def collectif_lieu(collectif: dict, contexte: Contexte) -> Resultat:
    """
    Un collectif d'enfants est un groupe constitué de 8 à 12 enfants maximum qui se réunit
    durant toute l'année scolaire dans un même lieu, accessible aux parents.
    """
    lieu = collectif.get("lieu") or {}
    return _LIEU[(lieu.get("lieu_unique"), lieu.get("accessible_parents"))]


@_par_edition
def _exigence_encadrement(edition: Edition) -> str:
    return (
        f"le référentiel demande au moins {_pluriel(edition.intervenants_min, 'intervenant')} "
        f"({edition.intervenants_min_rural_petit} en milieu rural pour un collectif de moins de "
        f"{edition.taille_min} enfants)"
    )


@_critere(
    "COLLECTIF-ENCADREMENT",
    NIVEAU_COLLECTIF,
    SECTION_INTERVENANTS,
    "Le collectif est encadré par au moins {e.intervenants_min} intervenants, ou par "
    "{e.intervenants_min_rural_petit} en milieu rural s'il compte moins de {e.taille_min} "
    "enfants. Intervenants non renseignés, ou nombre d'enfants non renseigné quand il décide : "
    "manquant ; sinon non conforme.",
)
def collectif_encadrement(collectif: dict, contexte: Contexte) -> Resultat:
    """
    Chaque collectif d'enfants doit être encadré et animé par au moins 2 intervenants
    professionnels et/ou bénévoles.

    En milieu rural : l'encadrement est d'un animateur pour chaque collectif inférieur à 8
    enfants.
    """
    edition = contexte.edition
    exigence = _exigence_encadrement(edition)
    intervenants = collectif.get("intervenants")
    if intervenants is None:
        return (
            MANQUANT,
            f"Le nombre d'intervenants du collectif n'est pas renseigné ; {exigence}.",
        )
    encadre = f"encadré par {_pluriel(intervenants, 'intervenant')}"
    if intervenants >= edition.intervenants_min:
        return (CONFORME, f"Le collectif est {encadre} ; {exigence}.")
    rural = collectif.get("rural") is True
    if rural and intervenants >= edition.intervenants_min_rural_petit:
        nombre = collectif.get("nombre_enfants")
        if nombre is None:
            return (
                MANQUANT,
                f"Le collectif, en milieu rural, est {encadre}, mais son nombre d'enfants n'est "
                f"pas renseigné ; {exigence}.",
            )
        return (
            CONFORME if nombre < edition.taille_min else NON_CONFORME,
            f"Le collectif, en milieu rural, compte {_pluriel(nombre, 'enfant')} et est "
            f"{encadre} ; {exigence}.",
        )
    milieu = "en milieu rural" if rural else "hors milieu rural"
    return (NON_CONFORME, f"Le collectif, {milieu}, est {encadre} ; {exigence}.")


@_par_edition
def _exigence_regularite(edition: Edition) -> str:
    return (
        f"le référentiel demande {edition.seances_hebdo_min} séances hebdomadaires d'au moins "
        f"{edition.duree_seance_min} minutes (en milieu rural, une séance de "
        f"{edition.duree_seance_rurale_min} minutes consécutives peut suffire)"
    )


@_critere(
    "COLLECTIF-REGULARITE",
    NIVEAU_COLLECTIF,
    SECTION_REGULARITE,
    "Le collectif a au moins {e.seances_hebdo_min} séances hebdomadaires d'au moins "
    "{e.duree_seance_min} minutes ; en milieu rural, une séance hebdomadaire d'au moins "
    "{e.duree_seance_rurale_min} minutes consécutives suffit. Créneaux non renseignés : "
    "manquant ; sinon non conforme.",
)
def collectif_regularite(collectif: dict, contexte: Contexte) -> Resultat:
    """
    Deux séances hebdomadaires d'une heure minimum par séance doivent être proposées pour
    chaque collectif d'enfants, et sur une période de 30 semaines de fonctionnement annuel, afin
    de favoriser la progression des enfants et des jeunes.

    En milieu rural une séance hebdomadaire de 2 heures consécutives minimum peut être validée.
    """
    edition = contexte.edition
    exigence = _exigence_regularite(edition)
    creneaux = collectif.get("creneaux")
    if not creneaux:
        return (
            MANQUANT,
            f"Les créneaux hebdomadaires du collectif ne sont pas renseignés ; {exigence}.",
        )
    duree_min = edition.duree_seance_min
    suffisants = 0
    plus_long = 0
    descriptions = []
    for creneau in creneaux:
        duree = creneau["duree_minutes"]
        if duree >= duree_min:
            suffisants += 1
        if duree > plus_long:
            plus_long = duree
        descriptions.append(f"{creneau['jour']} {duree} min")
    rural = collectif.get("rural") is True
    if suffisants >= edition.seances_hebdo_min or (
        rural and plus_long >= edition.duree_seance_rurale_min
    ):
        statut = CONFORME
    else:
        statut = NON_CONFORME
    milieu = ", en milieu rural" if rural else ""
    return (
        statut,
        f"Créneaux hebdomadaires du collectif{milieu} : {', '.join(descriptions)}, dont "
        f"{suffisants} d'au moins {duree_min} minutes ; {exigence}.",
    )


@_critere(
    "COLLECTIF-DUREE",
    NIVEAU_COLLECTIF,
    SECTION_REGULARITE,
    "Le collectif fonctionne au moins {e.semaines_min} semaines dans l'année. Non renseigné : "
    "manquant ; moins : non conforme.",
)
def collectif_duree(collectif: dict, contexte: Contexte) -> Resultat:
    """
    Deux séances hebdomadaires d'une heure minimum par séance doivent être proposées pour
    chaque collectif d'enfants, et sur une période de 30 semaines de fonctionnement annuel, afin
    de favoriser la progression des enfants et des jeunes.
    """
    minimum = contexte.edition.semaines_min
    semaines = collectif.get("semaines_fonctionnement")
    if semaines is None:
        return (
            MANQUANT,
            "Le nombre de semaines de fonctionnement du collectif n'est pas renseigné ; le "
            f"référentiel demande au moins {minimum} semaines de fonctionnement annuel.",
        )
    return (
        CONFORME if semaines >= minimum else NON_CONFORME,
        f"Le collectif fonctionne {_pluriel(semaines, 'semaine')} ; le référentiel demande au "
        f"moins {minimum} semaines de fonctionnement annuel.",
    )


def _nom_zone(zone: str | None) -> str:
    if zone in ZONES_METROPOLE:
        return f"la zone {zone}"
    if zone == ZONE_CORSE:
        return "la Corse"
    if zone == ZONE_OUTRE_MER:
        return "l'outre-mer"
    return "une zone inconnue"


@lru_cache(maxsize=1024)
def _lire_date(brute: str | None) -> tuple[date | None, str]:
    """(date, texte pour le message) ; date None si absente ou illisible."""
    if brute is None:
        return None, "non renseignée"
    try:
        jour = date.fromisoformat(brute)
    except (TypeError, ValueError):
        return None, f"illisible (« {brute} »)"
    return jour, format_date(jour)


@lru_cache(maxsize=256)
def _attendu_calendrier(annee: int, zone: str | None, debut: date | None, fin: date) -> str:
    if debut is None:
        return (
            f"le démarrage n'a pas pu être vérifié, les vacances de la Toussaint {annee} n'étant "
            f"pas connues pour {_nom_zone(zone)} ; le référentiel préconise une fin au plus tard "
            f"le {format_date(fin)}"
        )
    return (
        "le référentiel préconise un démarrage après les vacances de la Toussaint, à partir du "
        f"{format_date(debut)} dans {_nom_zone(zone)}, et une fin au plus tard le "
        f"{format_date(fin)}"
    )


@_critere(
    "COLLECTIF-CALENDRIER",
    NIVEAU_COLLECTIF,
    SECTION_REGULARITE,
    "Recommandation : démarrer après les vacances de la Toussaint de l'année N (premier jour de "
    "classe de la zone du département) et finir au plus tard le {fin_recommandee} de l'année "
    "N+1. Dates absentes : sans objet ; hors de ces dates : recommandation ; sinon "
    "conforme. Là où les vacances ne sont pas connues (Corse, outre-mer), seule la fin est "
    "vérifiée.",
)
def collectif_calendrier(collectif: dict, contexte: Contexte) -> Resultat:
    """
    Le démarrage des actions Clas est préconisé après les vacances de la Toussaint de l'année N
    jusqu'au 15 juin de l'année N+1.
    """
    debut, texte_debut = _lire_date(collectif.get("date_debut"))
    fin, texte_fin = _lire_date(collectif.get("date_fin"))
    debut_recommande = contexte.debut_recommande
    fin_recommandee = contexte.fin_recommandee
    message = (
        f"Date de début du collectif : {texte_debut} ; date de fin : {texte_fin} ; "
        f"{_attendu_calendrier(contexte.annee, contexte.zone, debut_recommande, fin_recommandee)}."
    )
    ecarts = []
    verifie = False
    if debut is not None and debut_recommande is not None:
        verifie = True
        if debut < debut_recommande:
            ecarts.append("le démarrage est antérieur à la date préconisée")
    if fin is not None:
        verifie = True
        if fin > fin_recommandee:
            ecarts.append("la fin est postérieure à la date préconisée")
    if ecarts:
        return (RECOMMANDATION, f"{message} Recommandation non suivie : {' et '.join(ecarts)}.")
    return (CONFORME if verifie else SANS_OBJET, message)


_BUDGET_EXIGENCE = (
    "la prestation de service est calculée sur les dépenses de fonctionnement du collectif, qui "
    "doivent être positives"
)
_BUDGET_MANQUANT = (
    MANQUANT,
    f"Les dépenses de fonctionnement du collectif ne sont pas renseignées ; {_BUDGET_EXIGENCE}.",
)


@_critere(
    "COLLECTIF-BUDGET",
    NIVEAU_COLLECTIF,
    SECTION_PREAMBULE,
    "Règle du catalogue du projet, le référentiel ne fixant pas le calcul : la prestation de "
    "service est calculée sur les dépenses de fonctionnement du collectif. Non renseignées : "
    "manquant ; nulles : non conforme ; sinon conforme.",
)
def collectif_budget(collectif: dict, contexte: Contexte) -> Resultat:
    """
    Ces actions bénéficient d'un financement au titre de la prestation de service Clas mais
    également des fonds locaux des Caf dans certains départements.
    """
    depenses = lire_montant(collectif.get("depenses_fonctionnement"))
    if depenses is None:
        return _BUDGET_MANQUANT
    return (
        CONFORME if depenses > ZERO else NON_CONFORME,
        f"Dépenses de fonctionnement du collectif : {format_euros(depenses)} ; {_BUDGET_EXIGENCE}.",
    )


CRITERES_DOSSIER: tuple[Critere, ...] = tuple(c for c in _CRITERES if c.niveau == NIVEAU_DOSSIER)
CRITERES_COLLECTIF: tuple[Critere, ...] = tuple(
    c for c in _CRITERES if c.niveau == NIVEAU_COLLECTIF
)
CRITERES: dict[str, Critere] = {c.code: c for c in _CRITERES}
