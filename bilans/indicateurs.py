"""Les indicateurs du bilan départemental, ``clas-bilan/1`` (``spec/dossier-format.md`` §4).

Une seule fonction calcule les indicateurs (``calculer_indicateurs``) ; ``rassembler_bilan`` y
ajoute les tableaux détaillés (par commune, par porteur, motifs de non-éligibilité, annexe) et
l'année précédente. Le PDF, le JSON, les exports CSV/XLSX et le tableau de bord lisent tous le
même ``DonneesBilan`` : ils ne peuvent pas se contredire.

Définitions (§4, contraignantes) :

- « dossiers » : les dossiers du département D (tous pour la consolidation nationale) et de
  l'année scolaire Y ; un brouillon n'est jamais compté ;
- « collectifs financés » : les collectifs des dossiers acceptés dont le verdict n'est pas
  ``non_eligible``. Le verdict d'un collectif est celui de l'évaluation figée retenue pour son
  dossier : la dernière figée à une décision s'il y en a une, sinon la dernière figée (dépôt,
  import). Un dossier déposé sans évaluation figée est évalué par le moteur, avec les paramètres
  de son année. Un collectif absent de l'évaluation retenue (ajouté après elle, ce que le
  circuit interdit une fois le dossier décidé) compte comme financé : la décision le couvre ;
- les sommes sur « les bilans des collectifs financés » ne lisent que les bilans de l'action
  **soumis** ; un brouillon ou un bilan renvoyé pour correction compte comme « sans bilan ».

Lectures du format, là où il laisse un choix :

- ``taux_presence_moyen`` est, comme ``taux_presence`` du format d'échange, un **ratio entre 0
  et 1** (« 0.85 » = 85 %) : la moyenne des ``taux_presence`` des bilans soumis des collectifs
  financés, pondérée par leurs ``enfants_inscrits`` (un bilan sans taux ou sans nombre d'inscrits
  ne compte pas dans la moyenne), arrondie au centième (demi supérieur) ; ``null`` quand aucun
  bilan ne donne les deux, ou que leurs inscrits font 0 ;
- niveau d'un collectif : « elementaire » quand toutes ses classes sont du CP au CM2,
  « college » de la 6e à la 3e, « lycee » de la 2nde à la terminale, sinon « mixte ». Les
  classes de maternelle (PS, MS, GS) ne sont dans aucune des trois listes : un collectif qui en
  compte est « mixte » (le moteur le juge d'ailleurs non éligible, il n'est donc financé que si
  l'évaluation retenue dit autre chose) ; une liste de classes vide est « mixte » aussi (le
  moteur la juge « manquant », le collectif peut donc être financé) ;
- les sommes valent 0 quand aucun bilan n'est soumis ; ``heures_realisees`` est arrondi au
  dixième, les moyennes au centime, toujours au demi supérieur (``ROUND_HALF_UP``) ;
- ``montant_accorde_total`` somme le ``montant_accorde`` des dossiers acceptés (un montant non
  renseigné compte pour 0) ; ``motifs_non_eligibilite`` suit l'ordre du catalogue des critères.

Nombre de requêtes : borné, indépendant du nombre de dossiers (agrégats SQL, une lecture des
évaluations retenues et une des collectifs des dossiers acceptés).
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)

from collectifs.models import ORDRE_CLASSES, Collectif
from comptes.models import Departement
from dossiers.exportation import charger_pour_export, dossier_vers_document
from dossiers.models import Dossier, Etat, Evaluation, libelle_annee
from dossiers.saisie import CORRECTIONS
from eligibility.criteres import CRITERES, NON_CONFORME
from eligibility.editions import CNAF_2019, EDITIONS, ParametresFinancement
from eligibility.models import ParametresAnnee
from eligibility.moteur import NON_ELIGIBLE, evaluer
from seances.models import BilanAction

FORMAT_BILAN = "clas-bilan/1"
LIBELLE_NATIONAL = "France entière"
COMMUNE_NON_RENSEIGNEE = "(commune non renseignée)"

CENT = Decimal("0.01")
DIXIEME = Decimal("0.1")
ZERO = Decimal("0.00")
# Contexte décimal propre : le résultat ne dépend pas du contexte de l'appelant.
_DECIMAL = Context(prec=34, rounding=ROUND_HALF_UP)

# --- Niveaux -----------------------------------------------------------------------------------

ELEMENTAIRE, COLLEGE, LYCEE, MIXTE = "elementaire", "college", "lycee", "mixte"
NIVEAUX = (ELEMENTAIRE, COLLEGE, LYCEE, MIXTE)
LIBELLES_NIVEAUX = {
    ELEMENTAIRE: "élémentaire (CP–CM2)",
    COLLEGE: "collège (6e–3e)",
    LYCEE: "lycée (2nde–Tle)",
    MIXTE: "mixte",
}
_CLASSES_PAR_NIVEAU = (
    (ELEMENTAIRE, frozenset({"CP", "CE1", "CE2", "CM1", "CM2"})),
    (COLLEGE, frozenset({"6e", "5e", "4e", "3e"})),
    (LYCEE, frozenset({"2nde", "1re", "Tle"})),
)


def niveau_collectif(classes) -> str:
    """Le niveau d'un collectif d'après ses classes (§4) ; maternelle ou liste vide : mixte."""
    ensemble = set(classes or ())
    if not ensemble:
        return MIXTE
    for niveau, admises in _CLASSES_PAR_NIVEAU:
        if ensemble <= admises:
            return niveau
    return MIXTE


# --- Les clés du format, dans l'ordre du §4, avec leur libellé et leur nature -------------------

TEXTE, ENTIER, MONTANT, TAUX, HEURES, NIVEAUX_DICT, MOTIFS = (
    "texte",
    "entier",
    "montant",
    "taux",
    "heures",
    "niveaux",
    "motifs",
)


@dataclass(frozen=True)
class Indicateur:
    cle: str
    libelle: str
    nature: str


INDICATEURS: tuple[Indicateur, ...] = (
    Indicateur("format", "Format", TEXTE),
    Indicateur("departement", "Département", TEXTE),
    Indicateur("annee_scolaire", "Année scolaire", TEXTE),
    Indicateur("dossiers_deposes", "Dossiers déposés", ENTIER),
    Indicateur("dossiers_acceptes", "Dossiers acceptés", ENTIER),
    Indicateur("dossiers_refuses", "Dossiers refusés", ENTIER),
    Indicateur("dossiers_sans_suite", "Dossiers classés sans suite", ENTIER),
    Indicateur("porteurs_finances", "Porteurs financés", ENTIER),
    Indicateur("collectifs_finances", "Collectifs financés", ENTIER),
    Indicateur("collectifs_par_niveau", "Collectifs financés par niveau", NIVEAUX_DICT),
    Indicateur("collectifs_ruraux", "Collectifs financés en milieu rural", ENTIER),
    Indicateur("enfants_inscrits", "Enfants inscrits", ENTIER),
    Indicateur("filles", "Filles", ENTIER),
    Indicateur("garcons", "Garçons", ENTIER),
    Indicateur("familles", "Familles", ENTIER),
    Indicateur("seances_realisees", "Séances réalisées", ENTIER),
    Indicateur("heures_realisees", "Heures réalisées", HEURES),
    Indicateur("taux_presence_moyen", "Taux de présence moyen", TAUX),
    Indicateur("intervenants_salaries", "Intervenants salariés", ENTIER),
    Indicateur("intervenants_benevoles", "Intervenants bénévoles", ENTIER),
    Indicateur("actions_parents", "Actions avec les parents", ENTIER),
    Indicateur("rencontres_ecole", "Rencontres avec l'école", ENTIER),
    Indicateur("collectifs_sans_bilan", "Collectifs financés sans bilan soumis", ENTIER),
    Indicateur("montant_accorde_total", "Montant accordé total", MONTANT),
    Indicateur("montant_moyen_par_collectif", "Montant moyen par collectif financé", MONTANT),
    Indicateur("montant_moyen_par_enfant", "Montant moyen par enfant inscrit", MONTANT),
    Indicateur("motifs_non_eligibilite", "Motifs de non-éligibilité", MOTIFS),
)
CLES = tuple(i.cle for i in INDICATEURS)
PAR_CLE = {i.cle: i for i in INDICATEURS}
# Les sommes des bilans soumis des collectifs financés (entiers).
SOMMES_BILANS = (
    "enfants_inscrits",
    "filles",
    "garcons",
    "familles",
    "seances_realisees",
    "intervenants_salaries",
    "intervenants_benevoles",
    "actions_parents",
    "rencontres_ecole",
)
ORDRE_CRITERES = {code: i for i, code in enumerate(CRITERES)}


def libelle_critere(code: str) -> str:
    """Le libellé court d'un critère (celui de la saisie du porteur), sinon son code."""
    correction = CORRECTIONS.get(code)
    return correction.libelle if correction else code


def libelle_departement(departement: Departement | None) -> str:
    if departement is None:
        return LIBELLE_NATIONAL
    return f"{departement.code} — {departement.nom}"


# --- Arrondis ----------------------------------------------------------------------------------


def arrondi(valeur: Decimal, pas: Decimal = CENT) -> Decimal:
    return valeur.quantize(pas, rounding=ROUND_HALF_UP, context=_DECIMAL)


def _texte_montant(valeur: Decimal | None) -> str | None:
    return None if valeur is None else f"{arrondi(valeur):.2f}"


def _moyenne(total: Decimal, diviseur: int) -> str | None:
    if not diviseur:
        return None
    return _texte_montant(_DECIMAL.divide(total, Decimal(diviseur)))


# --- Lecture des évaluations retenues ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Synthese:
    """Ce que le bilan garde d'une évaluation : verdicts et critères non conformes."""

    verdict: str
    verdicts_collectifs: tuple[str | None, ...]  # par index du collectif
    codes_dossier: frozenset[str]
    codes_collectifs: tuple[frozenset[str], ...]  # par index du collectif

    @classmethod
    def de(cls, verdict: str, resultat: dict) -> "_Synthese":
        evalues = resultat.get("collectifs") or []
        taille = max((c.get("index", i) for i, c in enumerate(evalues)), default=-1) + 1
        verdicts: list[str | None] = [None] * taille
        codes: list[frozenset[str]] = [frozenset()] * taille
        for i, collectif in enumerate(evalues):
            index = collectif.get("index", i)
            verdicts[index] = collectif.get("verdict")
            codes[index] = frozenset(
                c["code"] for c in collectif.get("criteres") or () if c["statut"] == NON_CONFORME
            )
        return cls(
            verdict=verdict or resultat.get("verdict"),
            verdicts_collectifs=tuple(verdicts),
            codes_dossier=frozenset(
                c["code"] for c in resultat.get("criteres") or () if c["statut"] == NON_CONFORME
            ),
            codes_collectifs=tuple(codes),
        )

    def collectif_non_eligible(self, index: int) -> bool:
        return index < len(self.verdicts_collectifs) and (
            self.verdicts_collectifs[index] == NON_ELIGIBLE
        )

    def codes_non_eligibilite(self) -> set[str]:
        """Les codes non conformes du dossier, à son niveau ou dans l'un de ses collectifs."""
        codes = set(self.codes_dossier)
        for codes_collectif in self.codes_collectifs:
            codes |= codes_collectif
        return codes


def _evaluation_retenue() -> Subquery:
    """La dernière évaluation figée à une décision, sinon la dernière figée, du dossier."""
    return Subquery(
        Evaluation.objects.filter(dossier=OuterRef("pk"))
        .order_by(
            Case(When(motif=Evaluation.Motif.DECISION, then=Value(0)), default=Value(1)),
            "-cree_le",
            "-pk",
        )
        .values("pk")[:1]
    )


def _parametres(annee: int):
    parametres = ParametresAnnee.objects.filter(annee=annee).first()
    if parametres is None:
        return ParametresFinancement(taux_ps=CNAF_2019.taux_ps, prix_plafond=None), CNAF_2019
    return parametres.financement(), EDITIONS[parametres.edition]


def _syntheses(deposes, annee: int) -> dict[int, _Synthese]:
    """La synthèse de l'évaluation retenue de chaque dossier déposé (par pk de dossier).

    Deux requêtes (plus quatre, une fois, s'il y a des dossiers sans évaluation figée) ; les
    résultats JSON sont lus un par un et résumés aussitôt : la mémoire reste petite.
    """
    retenues = deposes.annotate(retenue=_evaluation_retenue()).values("retenue")
    syntheses = {
        dossier_id: _Synthese.de(verdict, resultat)
        for dossier_id, verdict, resultat in Evaluation.objects.filter(pk__in=retenues)
        .order_by()
        .values_list("dossier_id", "verdict", "resultat")
        .iterator(chunk_size=500)
    }
    sans_evaluation = deposes.filter(~Exists(Evaluation.objects.filter(dossier=OuterRef("pk"))))
    parametres = None
    for dossier in charger_pour_export(sans_evaluation.order_by("pk")):
        if parametres is None:
            parametres = _parametres(annee)
        resultat = evaluer(dossier_vers_document(dossier, avec_decision=False), *parametres)
        syntheses[dossier.pk] = _Synthese.de(resultat["verdict"], resultat)
    return syntheses


# --- Collecte ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Collectif:
    pk: int
    dossier_id: int
    departement: str
    nom: str
    classes: list
    rural: bool | None
    commune: str
    montant_accorde: Decimal | None
    enfants_inscrits: int | None  # du bilan soumis, sinon None
    bilan_soumis: bool
    finance: bool = True


def _perimetre(departement: str | None, annee: int):
    dossiers = Dossier.objects.filter(annee=annee)
    if departement is not None:
        dossiers = dossiers.filter(departement_id=departement)
    return dossiers


@dataclass
class _Collecte:
    departement: str | None
    annee: int
    syntheses: dict[int, _Synthese]
    collectifs: list[_Collectif]  # des dossiers acceptés, dans l'ordre des évaluations

    @property
    def exclus(self) -> list[int]:
        """Les collectifs non financés des dossiers acceptés (non éligibles)."""
        return [c.pk for c in self.collectifs if not c.finance]

    @property
    def finances(self) -> list[_Collectif]:
        return [c for c in self.collectifs if c.finance]


def _collecter(departement: str | None, annee: int) -> _Collecte:
    dossiers = _perimetre(departement, annee)
    syntheses = _syntheses(dossiers.exclude(etat=Etat.BROUILLON), annee)
    lignes = (
        Collectif.objects.filter(dossier__in=dossiers.filter(etat=Etat.ACCEPTE).values("pk"))
        .order_by("dossier_id", "ordre", "pk")
        .values_list(
            "pk",
            "dossier_id",
            "dossier__departement_id",
            "nom",
            "ordre",
            "classes",
            "rural",
            "lieu_commune",
            "montant_accorde",
            "bilan__statut",
            "bilan__enfants_inscrits",
        )
    )
    collectifs = []
    dossier_courant, index = None, 0
    for (
        pk,
        dossier_id,
        dep,
        nom,
        ordre,
        classes,
        rural,
        commune,
        montant,
        statut,
        inscrits,
    ) in lignes.iterator(chunk_size=2000):
        index = index + 1 if dossier_id == dossier_courant else 0
        dossier_courant = dossier_id
        soumis = statut == BilanAction.Statut.SOUMIS
        synthese = syntheses.get(dossier_id)
        collectifs.append(
            _Collectif(
                pk=pk,
                dossier_id=dossier_id,
                departement=dep,
                nom=nom or f"Collectif {ordre + 1}",
                classes=classes or [],
                rural=rural,
                commune=(commune or "").strip(),
                montant_accorde=montant,
                enfants_inscrits=inscrits if soumis else None,
                bilan_soumis=soumis,
                finance=not (synthese and synthese.collectif_non_eligible(index)),
            )
        )
    return _Collecte(departement, annee, syntheses, collectifs)


_DECIMAL_SOMME = DecimalField(max_digits=24, decimal_places=4)
_MONTANT_SOMME = DecimalField(max_digits=20, decimal_places=2)


def _agregats_bilans():
    """Les sommes des bilans soumis (une ligne ou un GROUP BY, selon le queryset)."""
    avec_taux = Q(taux_presence__isnull=False, enfants_inscrits__isnull=False)
    # Les alias ne reprennent pas les noms des champs (un agrégat masquerait le champ).
    agregats = {f"somme_{cle}": Sum(cle) for cle in SOMMES_BILANS}
    agregats.update(
        bilans_soumis=Count("pk"),
        somme_heures_realisees=Sum("heures_realisees", output_field=_MONTANT_SOMME),
        presence_ponderee=Sum(
            ExpressionWrapper(
                F("taux_presence") * F("enfants_inscrits"), output_field=_DECIMAL_SOMME
            ),
            filter=avec_taux,
            output_field=_DECIMAL_SOMME,
        ),
        inscrits_ponderes=Sum("enfants_inscrits", filter=avec_taux),
    )
    return agregats


def _bilans_finances(collecte: _Collecte):
    """Les bilans soumis des collectifs financés du périmètre."""
    bilans = BilanAction.objects.filter(
        statut=BilanAction.Statut.SOUMIS,
        collectif__dossier__annee=collecte.annee,
        collectif__dossier__etat=Etat.ACCEPTE,
    )
    if collecte.departement is not None:
        bilans = bilans.filter(collectif__dossier__departement_id=collecte.departement)
    exclus = collecte.exclus
    if exclus:
        bilans = bilans.exclude(collectif_id__in=exclus)
    return bilans


def _agregats_dossiers():
    acceptes = Q(etat=Etat.ACCEPTE)
    return {
        "dossiers_deposes": Count("pk", filter=~Q(etat=Etat.BROUILLON)),
        "dossiers_acceptes": Count("pk", filter=acceptes),
        "dossiers_refuses": Count("pk", filter=Q(etat=Etat.REFUSE)),
        "dossiers_sans_suite": Count("pk", filter=Q(etat=Etat.SANS_SUITE)),
        "porteurs_finances": Count("porteur", filter=acceptes, distinct=True),
        "montant_accorde_total": Sum(
            "montant_accorde", filter=acceptes, output_field=_MONTANT_SOMME
        ),
    }


def _motifs(syntheses) -> dict[str, int]:
    """Pour chaque code, le nombre de dossiers non éligibles qui l'ont non conforme (§4)."""
    compte: dict[str, int] = defaultdict(int)
    for synthese in syntheses:
        if synthese.verdict == NON_ELIGIBLE:
            for code in synthese.codes_non_eligibilite():
                compte[code] += 1
    return {code: compte[code] for code in sorted(compte, key=_ordre_critere)}


def _ordre_critere(code: str):
    return (ORDRE_CRITERES.get(code, len(ORDRE_CRITERES)), code)


def _indicateurs(collecte: _Collecte, dossiers: dict, bilans: dict) -> dict:
    """Le dict ``clas-bilan/1`` à partir des agrégats déjà lus."""
    finances = collecte.finances
    par_niveau = dict.fromkeys(NIVEAUX, 0)
    for collectif in finances:
        par_niveau[niveau_collectif(collectif.classes)] += 1
    total = dossiers["montant_accorde_total"] or ZERO
    inscrits = bilans["somme_enfants_inscrits"] or 0
    ponderes = bilans["inscrits_ponderes"] or 0
    taux = None
    if ponderes:
        taux = f"{arrondi(_DECIMAL.divide(bilans['presence_ponderee'], Decimal(ponderes))):.2f}"
    resultat = {
        "format": FORMAT_BILAN,
        "departement": collecte.departement,
        "annee_scolaire": libelle_annee(collecte.annee),
        "dossiers_deposes": dossiers["dossiers_deposes"],
        "dossiers_acceptes": dossiers["dossiers_acceptes"],
        "dossiers_refuses": dossiers["dossiers_refuses"],
        "dossiers_sans_suite": dossiers["dossiers_sans_suite"],
        "porteurs_finances": dossiers["porteurs_finances"],
        "collectifs_finances": len(finances),
        "collectifs_par_niveau": par_niveau,
        "collectifs_ruraux": sum(1 for c in finances if c.rural is True),
    }
    for cle in SOMMES_BILANS[:5]:
        resultat[cle] = bilans[f"somme_{cle}"] or 0
    resultat["heures_realisees"] = (
        f"{arrondi(bilans['somme_heures_realisees'] or ZERO, DIXIEME):.1f}"
    )
    resultat["taux_presence_moyen"] = taux
    for cle in SOMMES_BILANS[5:]:
        resultat[cle] = bilans[f"somme_{cle}"] or 0
    resultat["collectifs_sans_bilan"] = len(finances) - bilans["bilans_soumis"]
    resultat["montant_accorde_total"] = _texte_montant(total)
    resultat["montant_moyen_par_collectif"] = _moyenne(total, len(finances))
    resultat["montant_moyen_par_enfant"] = _moyenne(total, inscrits)
    resultat["motifs_non_eligibilite"] = _motifs(collecte.syntheses.values())
    assert tuple(resultat) == CLES
    return resultat


def _calculer(collecte: _Collecte) -> dict:
    dossiers = _perimetre(collecte.departement, collecte.annee).aggregate(**_agregats_dossiers())
    bilans = _bilans_finances(collecte).aggregate(**_agregats_bilans())
    return _indicateurs(collecte, dossiers, bilans)


def calculer_indicateurs(departement: str | None, annee: int) -> dict:
    """Le dict ``clas-bilan/1`` du département ``departement`` (code ; ``None`` : consolidation
    nationale, mêmes clés, ``"departement": None``) pour l'année scolaire commençant en
    ``annee`` (``"annee_scolaire": "2025-2026"``).

    Clés dans l'ordre du §4 ; sérialisable en JSON (décimaux en chaînes, comme le format).
    Nombre de requêtes borné, indépendant du nombre de dossiers.
    """
    return _calculer(_collecter(departement, annee))


def indicateurs_par_departement(annee: int) -> list[dict]:
    """Le tableau de l'administration nationale : une ligne par département ayant au moins un
    dossier déposé dans l'année, triée par code :
    ``{"departement", "libelle", "dossiers_deposes", "dossiers_acceptes",
    "collectifs_finances", "enfants_inscrits", "montant_accorde_total"}`` — les mêmes valeurs
    que ``calculer_indicateurs`` de chaque département (montant en chaîne à deux décimales).
    Nombre de requêtes borné (GROUP BY), quel que soit le nombre de départements.
    """
    collecte = _collecter(None, annee)
    dossiers = {
        ligne["departement_id"]: ligne
        for ligne in _perimetre(None, annee)
        .order_by()
        .values("departement_id")
        .annotate(**_agregats_dossiers())
        .filter(dossiers_deposes__gt=0)
    }
    inscrits = dict(
        _bilans_finances(collecte)
        .order_by()
        .values("collectif__dossier__departement_id")
        .annotate(n=Sum("enfants_inscrits"))
        .values_list("collectif__dossier__departement_id", "n")
    )
    finances: dict[str, int] = defaultdict(int)
    for collectif in collecte.finances:
        finances[collectif.departement] += 1
    departements = Departement.objects.in_bulk(list(dossiers))
    return [
        {
            "departement": code,
            "libelle": libelle_departement(departements[code]),
            "dossiers_deposes": ligne["dossiers_deposes"],
            "dossiers_acceptes": ligne["dossiers_acceptes"],
            "collectifs_finances": finances[code],
            "enfants_inscrits": inscrits.get(code) or 0,
            "montant_accorde_total": _texte_montant(ligne["montant_accorde_total"] or ZERO),
        }
        for code, ligne in sorted(dossiers.items())
    ]


# --- Le bilan rassemblé --------------------------------------------------------------------------


@dataclass(frozen=True)
class DonneesBilan:
    departement: str | None  # code ; None : national
    libelle_departement: str  # « 59 — Nord » ou « France entière »
    annee: int
    indicateurs: dict  # calculer_indicateurs(departement, annee)
    precedent: dict | None  # l'année précédente, si un dossier y a été déposé
    par_niveau: dict  # == indicateurs["collectifs_par_niveau"]
    par_commune: list[dict]
    par_porteur: list[dict]
    non_eligibilite: list[dict]
    annexe: list[dict]
    empreinte: str  # SHA-256 du JSON canonique de tout ce qui précède

    @property
    def annee_scolaire(self) -> str:
        return libelle_annee(self.annee)

    @property
    def est_vide(self) -> bool:
        return not self.indicateurs["dossiers_deposes"]


def _par_commune(finances: list[_Collectif]) -> list[dict]:
    """Collectifs financés par commune du lieu : nombre, enfants (bilans soumis), montant."""
    communes: dict[str, dict] = {}
    for collectif in finances:
        nom = collectif.commune or COMMUNE_NON_RENSEIGNEE
        ligne = communes.setdefault(
            nom, {"commune": nom, "collectifs": 0, "enfants": None, "montant": ZERO}
        )
        ligne["collectifs"] += 1
        if collectif.enfants_inscrits is not None:
            ligne["enfants"] = (ligne["enfants"] or 0) + collectif.enfants_inscrits
        ligne["montant"] += collectif.montant_accorde or ZERO
    return sorted(communes.values(), key=lambda c: (-c["montant"], c["commune"]))


def _dossiers_acceptes(departement: str | None, annee: int) -> list[dict]:
    return list(
        _perimetre(departement, annee)
        .filter(etat=Etat.ACCEPTE)
        .order_by("porteur__raison_sociale", "pk")
        .values(
            "pk",
            "reference",
            "montant_accorde",
            "porteur_id",
            "porteur__raison_sociale",
            "porteur__siret",
            "porteur__commune",
        )
    )


def _par_porteur(acceptes: list[dict], finances_par_dossier: dict[int, list]) -> list[dict]:
    porteurs: dict[int, dict] = {}
    for dossier in acceptes:
        ligne = porteurs.setdefault(
            dossier["porteur_id"],
            {
                "porteur": dossier["porteur__raison_sociale"],
                "siret": dossier["porteur__siret"],
                "commune": dossier["porteur__commune"],
                "dossiers": 0,
                "collectifs": 0,
                "montant": ZERO,
            },
        )
        ligne["dossiers"] += 1
        ligne["collectifs"] += len(finances_par_dossier.get(dossier["pk"], ()))
        ligne["montant"] += dossier["montant_accorde"] or ZERO
    return sorted(porteurs.values(), key=lambda p: (-p["montant"], p["porteur"], p["siret"]))


def _non_eligibilite(collecte: _Collecte) -> list[dict]:
    """Par code : dossiers non éligibles qui l'ont non conforme (= ``motifs_non_eligibilite``)
    et collectifs (de tous les dossiers déposés) qui l'ont non conforme — donc non éligibles."""
    dossiers: dict[str, int] = defaultdict(int)
    collectifs: dict[str, int] = defaultdict(int)
    for synthese in collecte.syntheses.values():
        if synthese.verdict == NON_ELIGIBLE:
            for code in synthese.codes_non_eligibilite():
                dossiers[code] += 1
        for codes in synthese.codes_collectifs:
            for code in codes:
                collectifs[code] += 1
    codes = set(dossiers) | set(collectifs)
    lignes = [
        {
            "code": code,
            "libelle": libelle_critere(code),
            "dossiers": dossiers[code],
            "collectifs": collectifs[code],
        }
        for code in codes
    ]
    return sorted(
        lignes,
        key=lambda ligne: (-ligne["dossiers"], -ligne["collectifs"], _ordre_critere(ligne["code"])),
    )


def _annexe(acceptes: list[dict], finances_par_dossier: dict[int, list]) -> list[dict]:
    annexe = []
    for dossier in acceptes:
        annexe.append(
            {
                "porteur": dossier["porteur__raison_sociale"],
                "siret": dossier["porteur__siret"],
                "numero": dossier["pk"],
                "reference": dossier["reference"] or str(dossier["pk"]),
                "montant_accorde": dossier["montant_accorde"] or ZERO,
                "collectifs": [
                    {
                        "nom": c.nom,
                        "niveau": niveau_collectif(c.classes),
                        "classes": ", ".join(
                            sorted(c.classes, key=lambda k: ORDRE_CLASSES.get(k, 99))
                        ),
                        "rural": c.rural,
                        "commune": c.commune,
                        "enfants_inscrits": c.enfants_inscrits,
                        "montant_accorde": c.montant_accorde,
                    }
                    for c in finances_par_dossier.get(dossier["pk"], ())
                ],
            }
        )
    return annexe


def _json_defaut(valeur):
    if isinstance(valeur, Decimal):
        return str(valeur)
    raise TypeError(f"{type(valeur).__name__} n'est pas sérialisable")


def json_canonique(document) -> str:
    """JSON trié, sans espaces, décimaux en chaînes : la base de l'empreinte."""
    return json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_defaut
    )


def _a_des_dossiers_deposes(departement: str | None, annee: int) -> bool:
    return _perimetre(departement, annee).exclude(etat=Etat.BROUILLON).exists()


def rassembler_bilan(departement: str | None, annee: int) -> DonneesBilan:
    """Tout ce que montrent le PDF, le tableau de bord et les exports, lu une fois.

    ``departement`` inconnu : ``Departement.DoesNotExist``.
    """
    dep = None if departement is None else Departement.objects.get(code=departement)
    collecte = _collecter(departement, annee)
    indicateurs = _calculer(collecte)
    precedent = (
        calculer_indicateurs(departement, annee - 1)
        if _a_des_dossiers_deposes(departement, annee - 1)
        else None
    )
    acceptes = _dossiers_acceptes(departement, annee)
    finances_par_dossier: dict[int, list] = defaultdict(list)
    for collectif in collecte.finances:
        finances_par_dossier[collectif.dossier_id].append(collectif)
    contenu = {
        "departement": departement,
        "libelle_departement": libelle_departement(dep),
        "annee": annee,
        "indicateurs": indicateurs,
        "precedent": precedent,
        "par_niveau": indicateurs["collectifs_par_niveau"],
        "par_commune": _par_commune(collecte.finances),
        "par_porteur": _par_porteur(acceptes, finances_par_dossier),
        "non_eligibilite": _non_eligibilite(collecte),
        "annexe": _annexe(acceptes, finances_par_dossier),
    }
    return DonneesBilan(
        **contenu, empreinte=hashlib.sha256(json_canonique(contenu).encode()).hexdigest()
    )


def contenu_empreinte(donnees: DonneesBilan) -> str:
    """Le JSON canonique dont ``donnees.empreinte`` est le SHA-256 (pour vérifier)."""
    contenu = asdict(donnees)
    del contenu["empreinte"]
    return json_canonique(contenu)


# --- Comparaison avec l'année précédente -------------------------------------------------------

COMPARES = tuple(i for i in INDICATEURS if i.nature in (ENTIER, MONTANT, TAUX, HEURES))


def _nombre(valeur) -> Decimal | None:
    return None if valeur is None else Decimal(str(valeur))


def comparer(indicateurs: dict, precedent: dict | None) -> list[dict]:
    """Chaque indicateur chiffré, l'année précédente, l'écart et l'évolution en %.

    ``[{"cle", "libelle", "nature", "precedent", "actuel", "ecart", "evolution"}]`` : valeurs en
    ``int`` ou ``Decimal`` (None si absentes) ; ``evolution`` = écart / précédent × 100, arrondi
    au dixième (demi supérieur), None quand le précédent est nul ou absent. Sans année
    précédente : liste vide.
    """
    if precedent is None:
        return []
    lignes = []
    for indicateur in COMPARES:
        actuel = _nombre(indicateurs.get(indicateur.cle))
        avant = _nombre(precedent.get(indicateur.cle))
        ecart = evolution = None
        if actuel is not None and avant is not None:
            ecart = actuel - avant
            if avant:
                evolution = arrondi(_DECIMAL.divide(ecart * 100, avant), DIXIEME)
        if indicateur.nature == ENTIER:
            actuel, avant, ecart = (None if v is None else int(v) for v in (actuel, avant, ecart))
        lignes.append(
            {
                "cle": indicateur.cle,
                "libelle": indicateur.libelle,
                "nature": indicateur.nature,
                "precedent": avant,
                "actuel": actuel,
                "ecart": ecart,
                "evolution": evolution,
            }
        )
    return lignes


__all__ = [
    "CLES",
    "FORMAT_BILAN",
    "INDICATEURS",
    "LIBELLES_NIVEAUX",
    "NIVEAUX",
    "DonneesBilan",
    "calculer_indicateurs",
    "comparer",
    "indicateurs_par_departement",
    "niveau_collectif",
    "rassembler_bilan",
]
