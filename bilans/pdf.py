"""Le PDF du bilan départemental (WeasyPrint, A4), et du bilan national consolidé.

Tout ce qu'il montre vient de ``bilans.indicateurs.rassembler_bilan`` (les indicateurs
``clas-bilan/1`` écrits dans le JSON d'à côté, et les détails par commune, porteur, critère) : le
PDF et le JSON ne peuvent pas se contredire. Les nombres sont mis en forme ici, au format
français (« 7 886,00 € », « 1 234 », « 85 % »), avant d'atteindre le gabarit.

Les graphiques sont des SVG construits côté serveur (``bilans.graphiques``), insérés dans le HTML.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.template.loader import render_to_string
from django.utils import timezone

from eligibility.criteres import format_date
from eligibility.templatetags.referentiel import ESPACE_FINE
from eligibility.templatetags.referentiel import euros as _euros

from . import graphiques

GABARIT = "bilans/pdf/bilan.html"
FEUILLE = "bilans/pdf/bilan.css"

# Le bilan national resterait illisible (et long à produire) s'il listait chaque porteur et
# chaque collectif de France : il s'arrête aux premiers et renvoie aux bilans départementaux.
LIMITE_NATIONALE = 40

NIVEAUX = (
    ("elementaire", "Élémentaire (CP–CM2)"),
    ("college", "Collège (6e–3e)"),
    ("lycee", "Lycée (2nde–Tle)"),
    ("mixte", "Mixte (plusieurs cycles)"),
)
NIVEAUX_COURTS = {
    "elementaire": "élémentaire",
    "college": "collège",
    "lycee": "lycée",
    "mixte": "mixte",
}
CENT = Decimal("0.01")
DIXIEME = Decimal("0.1")


def _aucune_ressource_externe(url: str, *args, **kwargs):
    """Le PDF ne va chercher ni image ni feuille de style au dehors (ni réseau, ni disque)."""
    raise ValueError(f"Ressource externe refusée dans un PDF : {url}")


# --- Formats français ----------------------------------------------------------------------------
def _decimal(valeur) -> Decimal | None:
    if valeur in (None, ""):
        return None
    try:
        return Decimal(str(valeur))
    except InvalidOperation:
        return None


def _grouper(entier: str) -> str:
    signe = "-" if entier.startswith("-") else ""
    entier = entier.lstrip("-")
    groupes = []
    while len(entier) > 3:
        groupes.insert(0, entier[-3:])
        entier = entier[:-3]
    groupes.insert(0, entier)
    return signe + ESPACE_FINE.join(groupes)


def nombre(valeur, decimales: int = 0) -> str:
    """« 1234 » → « 1 234 » ; « 87.5 » avec une décimale → « 87,5 » ; absent → « — »."""
    d = _decimal(valeur)
    if d is None:
        return "—"
    texte = f"{d.quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP):f}"
    entier, _, fraction = texte.partition(".")
    return _grouper(entier) + (f",{fraction}" if fraction else "")


def euros(valeur) -> str:
    """« 7886 » → « 7 886,00 € » ; absent → « — »."""
    if _decimal(valeur) is None:
        return "—"
    return _euros(valeur)


def taux(valeur) -> str:
    """Un taux entre 0 et 1 en pourcentage : « 0.85 » → « 85 % », « 0.875 » → « 87,5 % »."""
    d = _decimal(valeur)
    if d is None:
        return "—"
    pourcent = (d * 100).quantize(DIXIEME, rounding=ROUND_HALF_UP).normalize()
    return f"{nombre(pourcent, max(0, -pourcent.as_tuple().exponent))}{ESPACE_FINE}%"


def part(numerateur, denominateur) -> str:
    """La part de ``numerateur`` dans ``denominateur`` : « 12,5 % » ; « — » si le total est nul."""
    n, d = _decimal(numerateur), _decimal(denominateur)
    if n is None or not d:
        return "—"
    return taux(n / d)


def date_heure(moment: datetime) -> str:
    """« 3 novembre 2025 à 14 h 05 » (heure de Paris)."""
    local = timezone.localtime(moment)
    return f"{format_date(local.date())} à {local:%H} h {local:%M}"


# --- Contenu ---------------------------------------------------------------------------------
# Natures des indicateurs (``bilans.indicateurs.INDICATEURS``) → mise en forme.
def formater(valeur, nature: str) -> str:
    if nature == "montant":
        return euros(valeur)
    if nature == "taux":
        return taux(valeur)
    if nature == "heures":
        return nombre(valeur, 1)
    return nombre(valeur)


def _signe(valeur: Decimal) -> str:
    return "+" if valeur > 0 else "−"


def _variation(ligne: dict) -> str:
    """« +12 (+5,3 %) », « −250,00 € (−2,1 %) », « +3,5 points », « = », « — »."""
    ecart, nature = ligne["ecart"], ligne["nature"]
    if ecart is None:
        return "—"
    ecart = Decimal(ecart)
    if ecart == 0:
        return "="
    if nature == "taux":
        # Un taux change en points, pas en pourcentage de lui-même.
        points = (abs(ecart) * 100).quantize(DIXIEME, rounding=ROUND_HALF_UP)
        return f"{_signe(ecart)}{nombre(points, 1)} point{'s' if points >= 2 else ''}"
    absolu = formater(abs(ecart), nature)
    if ligne["evolution"] is None:
        return f"{_signe(ecart)}{absolu}"
    relatif = nombre(abs(Decimal(ligne["evolution"])), 1)
    return f"{_signe(ecart)}{absolu} ({_signe(ecart)}{relatif}{ESPACE_FINE}%)"


def _comparaison(indicateurs: dict, precedent: dict) -> list[dict]:
    from .indicateurs import comparer

    return [
        {
            "libelle": ligne["libelle"],
            "avant": formater(ligne["precedent"], ligne["nature"]),
            "apres": formater(ligne["actuel"], ligne["nature"]),
            "variation": _variation(ligne),
        }
        for ligne in comparer(indicateurs, precedent)
    ]


def _lignes_communes(par_commune: list[dict], limite: int | None) -> tuple[list[dict], dict | None]:
    montrees = par_commune if limite is None else par_commune[:limite]
    lignes = [
        {
            "commune": c["commune"],
            "collectifs": nombre(c["collectifs"]),
            "enfants": nombre(c.get("enfants")),
            "montant": euros(c["montant"]),
        }
        for c in montrees
    ]
    reste = par_commune[len(montrees) :]
    autres = None
    if reste:
        autres = {
            "commune": f"{len(reste)} autres communes",
            "collectifs": nombre(sum(c["collectifs"] or 0 for c in reste)),
            "enfants": nombre(sum(c.get("enfants") or 0 for c in reste)),
            "montant": euros(sum((_decimal(c["montant"]) or 0 for c in reste), Decimal(0))),
        }
    return lignes, autres


def _lignes_porteurs(par_porteur: list[dict], limite: int | None) -> tuple[list[dict], dict | None]:
    montres = par_porteur if limite is None else par_porteur[:limite]
    lignes = [
        {
            "porteur": p["porteur"],
            "siret": p.get("siret") or "",
            "commune": p.get("commune") or "",
            "dossiers": nombre(p["dossiers"]),
            "collectifs": nombre(p["collectifs"]),
            "montant": euros(p["montant"]),
        }
        for p in montres
    ]
    reste = par_porteur[len(montres) :]
    autres = None
    if reste:
        autres = {
            "porteur": f"{len(reste)} autres porteurs",
            "dossiers": nombre(sum(p["dossiers"] or 0 for p in reste)),
            "collectifs": nombre(sum(p["collectifs"] or 0 for p in reste)),
            "montant": euros(sum((_decimal(p["montant"]) or 0 for p in reste), Decimal(0))),
        }
    return lignes, autres


def _classes(classes) -> str:
    if isinstance(classes, str):
        return classes or "—"
    return ", ".join(classes or []) or "—"


def _annexe(annexe: list[dict]) -> list[dict]:
    porteurs = []
    for p in annexe:
        porteurs.append(
            {
                "porteur": p["porteur"],
                "siret": p.get("siret") or "",
                "reference": p.get("reference") or "",
                "montant": euros(p.get("montant_accorde")),
                "collectifs": [
                    {
                        "nom": c["nom"],
                        "niveau": NIVEAUX_COURTS.get(c.get("niveau"), c.get("niveau") or "—"),
                        "classes": _classes(c.get("classes")),
                        "rural": {True: "oui", False: "non"}.get(c.get("rural"), "—"),
                        "commune": c.get("commune") or "—",
                        "enfants": nombre(c.get("enfants_inscrits")),
                        "montant": euros(c.get("montant_accorde")),
                    }
                    for c in p.get("collectifs") or []
                ],
            }
        )
    return porteurs


def _par_departement(lignes: list[dict]) -> list[dict]:
    return [
        {
            "departement": ligne["departement"],
            "libelle": ligne.get("libelle") or ligne["departement"],
            "dossiers_deposes": nombre(ligne["dossiers_deposes"]),
            "dossiers_acceptes": nombre(ligne["dossiers_acceptes"]),
            "collectifs_finances": nombre(ligne["collectifs_finances"]),
            "enfants_inscrits": nombre(ligne["enfants_inscrits"]),
            "montant": euros(ligne["montant_accorde_total"]),
        }
        for ligne in lignes
    ]


@dataclass(frozen=True)
class Graphiques:
    niveaux: str
    intervenants: str
    communes: str


def faire_graphiques(donnees) -> Graphiques:
    """Les trois graphiques SVG du bilan."""
    i = donnees.indicateurs
    return Graphiques(
        niveaux=graphiques.barres_par_niveau(donnees.par_niveau, nombre),
        intervenants=graphiques.barres_intervenants(
            i.get("intervenants_salaries"), i.get("intervenants_benevoles"), nombre
        ),
        communes=graphiques.barres_communes(donnees.par_commune, euros),
    )


def contexte_bilan(
    donnees,
    graphes: Graphiques,
    genere_le: datetime,
    par_departement: list[dict] | None = None,
) -> dict:
    """Le contenu du PDF, chaque nombre déjà mis en forme."""
    i = donnees.indicateurs
    national = donnees.departement is None
    limite = LIMITE_NATIONALE if national else None
    par_niveau = donnees.par_niveau or {}
    financees = i.get("collectifs_finances") or 0
    communes, autres_communes = _lignes_communes(donnees.par_commune, limite)
    porteurs, autres_porteurs = _lignes_porteurs(donnees.par_porteur, limite)
    chiffres_cles = [
        ("Dossiers déposés", nombre(i.get("dossiers_deposes"))),
        ("Dossiers acceptés", nombre(i.get("dossiers_acceptes"))),
        ("Porteurs financés", nombre(i.get("porteurs_finances"))),
        ("Collectifs financés", nombre(financees)),
        ("Enfants inscrits", nombre(i.get("enfants_inscrits"))),
        ("Heures réalisées", nombre(i.get("heures_realisees"), 1)),
        ("Taux de présence moyen", taux(i.get("taux_presence_moyen"))),
        ("Montant accordé", euros(i.get("montant_accorde_total"))),
    ]
    return {
        "national": national,
        "libelle_departement": donnees.libelle_departement,
        "code_departement": donnees.departement,
        "annee_scolaire": i.get("annee_scolaire") or f"{donnees.annee}-{donnees.annee + 1}",
        "genere_le": date_heure(genere_le),
        "genere_le_iso": timezone.localtime(genere_le).isoformat(),
        "empreinte": donnees.empreinte,
        "i": i,
        "chiffres_cles": chiffres_cles,
        "decisions": [
            ("Dossiers déposés", nombre(i.get("dossiers_deposes"))),
            ("Acceptés", nombre(i.get("dossiers_acceptes"))),
            ("Refusés", nombre(i.get("dossiers_refuses"))),
            ("Classés sans suite", nombre(i.get("dossiers_sans_suite"))),
            ("Porteurs financés", nombre(i.get("porteurs_finances"))),
        ],
        "niveaux": [
            {
                "libelle": libelle,
                "nombre": nombre(par_niveau.get(cle) or 0),
                "part": part(par_niveau.get(cle) or 0, financees),
            }
            for cle, libelle in NIVEAUX
        ],
        "collectifs_finances": nombre(financees),
        "collectifs_ruraux": nombre(i.get("collectifs_ruraux")),
        "part_rurale": part(i.get("collectifs_ruraux"), financees),
        "collectifs_sans_bilan": nombre(i.get("collectifs_sans_bilan")),
        "public": [
            ("Enfants inscrits", nombre(i.get("enfants_inscrits")), ""),
            (
                "dont filles",
                nombre(i.get("filles")),
                part(i.get("filles"), i.get("enfants_inscrits")),
            ),
            (
                "dont garçons",
                nombre(i.get("garcons")),
                part(i.get("garcons"), i.get("enfants_inscrits")),
            ),
            ("Familles", nombre(i.get("familles")), ""),
        ],
        "activite": [
            ("Séances réalisées", nombre(i.get("seances_realisees"))),
            ("Heures réalisées", nombre(i.get("heures_realisees"), 1)),
            (
                "Taux de présence moyen (pondéré par les inscrits)",
                taux(i.get("taux_presence_moyen")),
            ),
        ],
        "intervenants": [
            (
                "Salariés",
                nombre(i.get("intervenants_salaries")),
                part(
                    i.get("intervenants_salaries"),
                    (i.get("intervenants_salaries") or 0) + (i.get("intervenants_benevoles") or 0),
                ),
            ),
            (
                "Bénévoles",
                nombre(i.get("intervenants_benevoles")),
                part(
                    i.get("intervenants_benevoles"),
                    (i.get("intervenants_salaries") or 0) + (i.get("intervenants_benevoles") or 0),
                ),
            ),
        ],
        "partenariats": [
            ("Actions avec les parents", nombre(i.get("actions_parents"))),
            ("Rencontres avec l'école", nombre(i.get("rencontres_ecole"))),
        ],
        "financement": [
            ("Montant total accordé", euros(i.get("montant_accorde_total"))),
            ("Montant moyen par collectif", euros(i.get("montant_moyen_par_collectif"))),
            ("Montant moyen par enfant inscrit", euros(i.get("montant_moyen_par_enfant"))),
        ],
        "communes": communes,
        "autres_communes": autres_communes,
        "porteurs": porteurs,
        "autres_porteurs": autres_porteurs,
        "limite": limite,
        "non_eligibilite": [
            {
                "code": m["code"],
                "libelle": m.get("libelle") or m["code"],
                "dossiers": nombre(m.get("dossiers")),
                "collectifs": nombre(m.get("collectifs")),
            }
            for m in donnees.non_eligibilite
        ],
        "comparaison": _comparaison(i, donnees.precedent) if donnees.precedent else None,
        "annee_precedente": (
            donnees.precedent.get("annee_scolaire") if donnees.precedent else None
        ),
        "annexe": None if national else _annexe(donnees.annexe),
        "par_departement": _par_departement(par_departement) if par_departement else None,
        "graphiques": graphes,
    }


def rendre_bilan(
    donnees,
    graphes: Graphiques | None = None,
    *,
    genere_le: datetime | None = None,
    par_departement: list[dict] | None = None,
    progression: Callable[[int, str], None] | None = None,
) -> tuple[bytes, int]:
    """Le PDF du bilan et son nombre de pages.

    ``progression(pourcentage, étape)`` est appelée entre les phases de WeasyPrint (de 40 à
    90 %) : la mise en page (la plus longue), puis l'écriture du fichier.
    """
    from weasyprint import CSS, HTML

    avancer = progression or (lambda _p, _e: None)
    graphes = graphes or faire_graphiques(donnees)
    contexte = contexte_bilan(donnees, graphes, genere_le or timezone.now(), par_departement)
    avancer(40, "Mise en page du PDF")
    html = render_to_string(GABARIT, contexte)
    css = CSS(string=render_to_string(FEUILLE, contexte), url_fetcher=_aucune_ressource_externe)
    document = HTML(string=html, url_fetcher=_aucune_ressource_externe).render(stylesheets=[css])
    pages = len(document.pages)
    avancer(80, f"Écriture du PDF ({pages} pages)")
    pdf = document.write_pdf()
    avancer(90, "PDF prêt")
    return pdf, pages
