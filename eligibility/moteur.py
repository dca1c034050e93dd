"""Le moteur d'éligibilité : un dossier `clas-dossier/1` en entrée, une évaluation
`clas-evaluation/1` en sortie (voir `spec/dossier-format.md` §2 et `spec/regles.md`).

Fonction pure : ni base de données, ni horloge, ni réseau. Même entrée, même sortie, octet pour
octet, avec `dumps_evaluation`.
"""

import json
from decimal import ROUND_HALF_UP, Context, Decimal

from .calendrier import zone_du_departement
from .criteres import (
    A_VERIFIER,
    CENT,
    CRITERES_COLLECTIF,
    CRITERES_DOSSIER,
    MANQUANT,
    NON_CONFORME,
    Contexte,
    lire_montant,
)
from .editions import CNAF_2019, Edition, ParametresFinancement

__all__ = [
    "CRITERES_COLLECTIF",
    "CRITERES_DOSSIER",
    "FORMAT_EVALUATION",
    "ELIGIBLE",
    "INCOMPLET",
    "NON_ELIGIBLE",
    "VERDICT_A_VERIFIER",
    "dumps_evaluation",
    "evaluer",
    "montant_ps",
]

FORMAT_EVALUATION = "clas-evaluation/1"

ELIGIBLE = "eligible"
NON_ELIGIBLE = "non_eligible"
INCOMPLET = "incomplet"
VERDICT_A_VERIFIER = "a_verifier"
VERDICTS = (ELIGIBLE, INCOMPLET, VERDICT_A_VERIFIER, NON_ELIGIBLE)

# Contexte décimal propre au moteur : le calcul ne dépend pas du contexte de l'appelant.
_DECIMAL = Context(prec=34, rounding=ROUND_HALF_UP)
_MONTANT_NUL = "0.00"


def _verdict_collectif(statuts: set[str]) -> str:
    if NON_CONFORME in statuts:
        return NON_ELIGIBLE
    if MANQUANT in statuts:
        return INCOMPLET
    if A_VERIFIER in statuts:
        return VERDICT_A_VERIFIER
    return ELIGIBLE


def _verdict_dossier(statuts: set[str], verdicts_collectifs: list[str]) -> str:
    if NON_CONFORME in statuts:
        return NON_ELIGIBLE
    retenus = {v for v in verdicts_collectifs if v != NON_ELIGIBLE}
    if not retenus:
        return NON_ELIGIBLE
    if MANQUANT in statuts or INCOMPLET in retenus:
        return INCOMPLET
    if A_VERIFIER in statuts or VERDICT_A_VERIFIER in retenus:
        return VERDICT_A_VERIFIER
    return ELIGIBLE


def montant_ps(depenses: Decimal | None, taux: Decimal, plafond: Decimal | None) -> Decimal | None:
    """taux × min(dépenses, plafond), arrondi au centime (demi supérieur) ; None si incalculable."""
    if depenses is None or plafond is None:
        return None
    base = depenses if depenses < plafond else plafond
    return _DECIMAL.multiply(taux, base).quantize(CENT, rounding=ROUND_HALF_UP, context=_DECIMAL)


_CONTEXTES: dict[tuple[int, str | None, int], Contexte] = {}


def _contexte(annee: int, zone: str | None, edition: Edition) -> Contexte:
    """Le contexte d'une année, d'une zone et d'une édition, construit une fois (mémorisé)."""
    cle = (annee, zone, id(edition))
    contexte = _CONTEXTES.get(cle)
    if contexte is None or contexte.edition is not edition:
        if len(_CONTEXTES) >= 1024:
            _CONTEXTES.clear()
        contexte = _CONTEXTES[cle] = Contexte(annee, zone, edition)
    return contexte


# (code, fonction, référence) : lu d'un coup dans la boucle du moteur.
_DOSSIER = tuple((c.code, c.fonction, c.reference) for c in CRITERES_DOSSIER)
_COLLECTIF = tuple((c.code, c.fonction, c.reference) for c in CRITERES_COLLECTIF)


def _appliquer(criteres: tuple, donnees: dict, contexte: Contexte) -> list[dict]:
    """Le résultat de chaque critère, dans l'ordre du catalogue, au format de sortie."""
    return [
        {"code": code, "statut": (resultat := fonction(donnees, contexte))[0],
         "message": resultat[1], "reference": reference}
        for code, fonction, reference in criteres
    ]  # fmt: skip


def evaluer(
    dossier: dict,
    financement: ParametresFinancement | None = None,
    edition: Edition = CNAF_2019,
) -> dict:
    """Évalue un dossier `clas-dossier/1` (déjà valide au schéma) ; renvoie `clas-evaluation/1`.

    Sans `financement`, le taux est celui de l'édition et le prix plafond est inconnu : les
    montants des collectifs retenus valent alors None.
    """
    if financement is None:
        taux, plafond = edition.taux_ps, None
    else:
        taux, plafond = financement.taux_ps, financement.prix_plafond
    annee_scolaire = dossier["annee_scolaire"]
    contexte = _contexte(
        int(annee_scolaire[:4]), zone_du_departement(dossier.get("departement", "")), edition
    )

    criteres = _appliquer(_DOSSIER, dossier, contexte)

    collectifs = []
    verdicts = []
    montants = []
    for index, collectif in enumerate(dossier.get("collectifs") or ()):
        criteres_collectif = _appliquer(_COLLECTIF, collectif, contexte)
        verdict = _verdict_collectif({c["statut"] for c in criteres_collectif})
        if verdict == NON_ELIGIBLE:
            montant = _MONTANT_NUL
        else:
            calcule = montant_ps(
                lire_montant(collectif.get("depenses_fonctionnement")), taux, plafond
            )
            montants.append(calcule)
            montant = None if calcule is None else str(calcule)
        verdicts.append(verdict)
        collectifs.append(
            {
                "index": index,
                "nom": collectif.get("nom"),
                "verdict": verdict,
                "criteres": criteres_collectif,
                "montant_ps": montant,
            }
        )

    verdict = _verdict_dossier({c["statut"] for c in criteres}, verdicts)
    if verdict == NON_ELIGIBLE:
        total = _MONTANT_NUL
    elif None in montants:
        total = None
    else:
        total = str(sum(montants, Decimal(_MONTANT_NUL)))

    return {
        "format": FORMAT_EVALUATION,
        "edition": edition.code,
        "annee_scolaire": annee_scolaire,
        "verdict": verdict,
        "criteres": criteres,
        "collectifs": collectifs,
        "parametres": {
            "taux_ps": format(taux.normalize(), "f"),
            "prix_plafond": (
                None if plafond is None else str(plafond.quantize(CENT, rounding=ROUND_HALF_UP))
            ),
        },
        "montant_ps_total": total,
    }


def dumps_evaluation(evaluation: dict) -> str:
    """L'évaluation en JSON déterministe (ordre des clés du format, UTF-8 lisible, indentation 2)."""
    return json.dumps(evaluation, ensure_ascii=False, indent=2)
