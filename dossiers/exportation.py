"""Du modèle au format d'échange ``clas-dossier/1``.

Le même document sert d'entrée au moteur d'éligibilité (adaptateur de ``dossiers.evaluation``)
et d'export (``exporter_dossier``). Une valeur absente en base (texte vide, booléen inconnu) est
absente du document : absent n'est pas faux.
"""

from decimal import Decimal

from .format_echange import FORMAT_DOSSIER
from .models import ETATS_DECIDES, Dossier

AXES = {
    "enfants": [
        "appui_methodologique",
        "ressources_culturelles",
        "vie_collective",
        "entraide",
        "suivi_presences",
    ],
    "parents": [
        "information_inscription",
        "convivialite",
        "codes_ecole",
        "orientation_partenaires",
        "echanges_reguliers",
    ],
    "ecole": ["relations_equipes", "orientation_enfants", "reunions_concertation"],
    "territoire": ["partenariat_local"],
}

CHAMPS_BOOLEENS_DOSSIER = [
    "renouvellement",
    "reperage_concerte_ecole",
    "aide_aux_devoirs_exclusive",
]
CHAMPS_BILAN_ENTIERS = [
    "enfants_inscrits",
    "filles",
    "garcons",
    "familles",
    "seances_realisees",
    "intervenants_salaries",
    "intervenants_benevoles",
    "actions_parents",
    "rencontres_ecole",
]


def montant(valeur: Decimal | None) -> str | None:
    return None if valeur is None else f"{valeur:.2f}"


def _sans_vides(donnees: dict) -> dict:
    """Retire les valeurs absentes (None, chaîne vide, objet ou liste vides)."""
    return {k: v for k, v in donnees.items() if v not in (None, "", {}, [])}


def _nombre(valeur: Decimal | None):
    """Décimal stocké → nombre JSON (entier si possible), pour les champs « number » du bilan.

    Ces champs (heures, taux de présence) ne sont pas des montants : leur écriture JSON passe
    par un nombre décimal court, exact à la précision stockée (2 ou 4 décimales).
    """
    if valeur is None:
        return None
    normal = valeur.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


# « Pas donné : à lire en base par les relations du collectif » (None veut dire « pas de bilan »).
_LU_EN_BASE = object()


def collectif_vers_document(collectif, *, creneaux=None, bilan=_LU_EN_BASE) -> dict:
    """Le collectif au format d'échange.

    ``creneaux`` (dans l'ordre de leur création) et ``bilan`` (ou None) évitent de les relire
    quand on vient de les enregistrer (import) ; par défaut, lus par ``collectif.creneaux`` et
    ``collectif.bilan``, préchargés ou non.
    """
    if creneaux is None:
        creneaux = collectif.creneaux.all()
    if bilan is _LU_EN_BASE:
        bilan = _bilan_de(collectif)
    lieu = _sans_vides(
        {
            "nom": collectif.lieu_nom,
            "adresse": collectif.lieu_adresse,
            "code_postal": collectif.lieu_code_postal,
            "commune": collectif.lieu_commune,
            "lieu_unique": collectif.lieu_unique,
            "accessible_parents": collectif.lieu_accessible_parents,
        }
    )
    document_creneaux = [
        _sans_vides(
            {
                "jour": c.jour,
                "debut": c.debut.strftime("%H:%M") if c.debut else None,
                "duree_minutes": c.duree_minutes,
            }
        )
        for c in creneaux
    ]
    document = _sans_vides(
        {
            "nom": collectif.nom,
            "classes": collectif.classes_triees(),
            "nombre_enfants": collectif.nombre_enfants,
            "rural": collectif.rural,
            "lieu": lieu,
            "intervenants": collectif.nombre_intervenants,
            "creneaux": document_creneaux,
            "semaines_fonctionnement": collectif.semaines_fonctionnement,
            "date_debut": collectif.date_debut.isoformat() if collectif.date_debut else None,
            "date_fin": collectif.date_fin.isoformat() if collectif.date_fin else None,
            "depenses_fonctionnement": montant(collectif.depenses_fonctionnement),
        }
    )
    if bilan is not None:
        donnees_bilan = {champ: getattr(bilan, champ) for champ in CHAMPS_BILAN_ENTIERS}
        donnees_bilan["heures_realisees"] = _nombre(bilan.heures_realisees)
        donnees_bilan["taux_presence"] = _nombre(bilan.taux_presence)
        ordre = [
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
        document["bilan"] = {k: donnees_bilan[k] for k in ordre if donnees_bilan[k] is not None}
    return document


def _bilan_de(collectif):
    """Le bilan du collectif, ou None (chargé par prefetch/select_related si disponible)."""
    from seances.models import BilanAction

    try:
        return collectif.bilan
    except BilanAction.DoesNotExist:
        return None


def dossier_vers_document(
    dossier: Dossier, *, avec_decision: bool = True, collectifs: list[dict] | None = None
) -> dict:
    """Le dossier au format ``clas-dossier/1`` (clés dans l'ordre du schéma).

    ``collectifs`` : les documents de ses collectifs, s'ils sont déjà faits (l'import les fait
    depuis les objets qu'il vient d'enregistrer) ; par défaut, lus par ``dossier.collectifs``.
    """
    porteur = dossier.porteur
    document = {
        "format": FORMAT_DOSSIER,
        "reference": dossier.reference,
        "annee_scolaire": dossier.annee_scolaire,
        "departement": dossier.departement_id,
        "porteur": _sans_vides(
            {
                "nom": porteur.raison_sociale,
                "siret": porteur.siret,
                "forme": porteur.forme,
                "adresse": porteur.adresse,
                "code_postal": porteur.code_postal,
                "commune": porteur.commune,
                "email": porteur.email,
            }
        ),
    }
    for champ in CHAMPS_BOOLEENS_DOSSIER:
        document[champ] = getattr(dossier, champ)
    document["diagnostic"] = dossier.diagnostic
    document["coherence_sdsf"] = dossier.coherence_sdsf
    document["charte"] = _sans_vides(
        {
            "laicite_neutralite": dossier.charte_laicite_neutralite,
            "participation_familles_euros": montant(dossier.charte_participation_familles_euros),
        }
    )
    document["engagement_bilan"] = dossier.engagement_bilan
    document["coordinateur"] = _sans_vides(
        {
            "nom": dossier.coordinateur_nom,
            "niveau_diplome": dossier.coordinateur_niveau_diplome,
            "experience_animation_education": dossier.coordinateur_experience_animation_education,
        }
    )
    actions = {}
    for axe, cles in AXES.items():
        textes = _sans_vides({cle: getattr(dossier, f"{axe}_{cle}") for cle in cles})
        if textes:
            actions[axe] = textes
    document["actions"] = actions
    document = _sans_vides(document)
    if collectifs is None:
        collectifs = [collectif_vers_document(c) for c in dossier.collectifs.all()]
    document["collectifs"] = collectifs
    if avec_decision and dossier.etat in ETATS_DECIDES:
        document["instruction"] = _sans_vides(
            {
                "decision": dossier.etat,
                "montant_accorde": montant(dossier.montant_accorde),
                "date_decision": dossier.date_decision.isoformat()
                if dossier.date_decision
                else None,
                "motif": dossier.motif_decision,
            }
        )
    return document


def charger_pour_export(queryset):
    """Précharge tout ce qu'il faut pour exporter sans requête par collectif."""
    from django.db.models import Prefetch

    from collectifs.models import Collectif

    return queryset.select_related("porteur", "departement").prefetch_related(
        Prefetch(
            "collectifs",
            queryset=Collectif.objects.select_related("bilan")
            .prefetch_related("creneaux")
            .order_by("ordre", "pk"),
        )
    )
