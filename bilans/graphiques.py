"""Graphiques du bilan en SVG, construits côté serveur (aucun JavaScript, aucune ressource externe).

Chaque fonction rend une chaîne SVG autonome, insérée telle quelle dans le HTML du PDF : tous les
textes venus des données (noms de communes, libellés) sont échappés ici, et seulement ici.
Les nombres affichés à côté des barres sont déjà mis en forme (format français) par l'appelant.
"""

from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

LARGEUR = 640
HAUTEUR_BARRE = 18
ECART = 8
MARGE_HAUT = 8
COLONNE_LIBELLE = 190
COLONNE_VALEUR = 110
TAILLE_TEXTE = 11
COULEURS = ("#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0")
LIBELLE_MAX = 30


def _court(texte: str, longueur: int = LIBELLE_MAX) -> str:
    texte = " ".join(str(texte).split())
    return texte if len(texte) <= longueur else texte[: longueur - 1] + "…"


def _nombre(valeur) -> Decimal:
    if valeur in (None, ""):
        return Decimal(0)
    return Decimal(str(valeur))


def barres_horizontales(
    series: Sequence[tuple[str, object]],
    *,
    titre: str,
    format_valeur: Callable[[object], str],
    couleurs: Sequence[str] = COULEURS[:1],
) -> SafeString:
    """Un diagramme en barres horizontales : une barre par (libellé, valeur), dans l'ordre donné.

    ``format_valeur`` met en forme le nombre écrit au bout de chaque barre ; ``couleurs`` est
    parcouru en boucle (une seule couleur par défaut).
    """
    valeurs = [_nombre(v) for _, v in series]
    maximum = max(valeurs, default=Decimal(0))
    zone = LARGEUR - COLONNE_LIBELLE - COLONNE_VALEUR
    hauteur = MARGE_HAUT * 2 + max(len(series), 1) * (HAUTEUR_BARRE + ECART)
    titre_svg = escape(titre, quote=True)
    morceaux = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphique" role="img" '
        f'aria-label="{titre_svg}" width="{LARGEUR}" height="{hauteur}" '
        f'viewBox="0 0 {LARGEUR} {hauteur}" font-family="DejaVu Sans, sans-serif" '
        f'font-size="{TAILLE_TEXTE}">',
        f"<title>{titre_svg}</title>",
        # L'axe : un trait vertical au pied des barres.
        f'<line x1="{COLONNE_LIBELLE}" y1="{MARGE_HAUT - 2}" x2="{COLONNE_LIBELLE}" '
        f'y2="{hauteur - MARGE_HAUT + 2}" stroke="#555" stroke-width="1"/>',
    ]
    if not series:
        morceaux.append(
            f'<text x="{COLONNE_LIBELLE + 8}" y="{MARGE_HAUT + HAUTEUR_BARRE - 5}" '
            f'fill="#555">Aucune donnée</text>'
        )
    for index, ((libelle, brut), valeur) in enumerate(zip(series, valeurs, strict=True)):
        y = MARGE_HAUT + index * (HAUTEUR_BARRE + ECART)
        longueur = 0 if maximum <= 0 else float(valeur / maximum) * zone
        couleur = couleurs[index % len(couleurs)]
        base = y + HAUTEUR_BARRE - 5
        morceaux.append(
            f'<text x="{COLONNE_LIBELLE - 6}" y="{base}" text-anchor="end" fill="#111">'
            f"{escape(_court(libelle))}</text>"
        )
        if longueur > 0:
            morceaux.append(
                f'<rect x="{COLONNE_LIBELLE}" y="{y}" width="{longueur:.1f}" '
                f'height="{HAUTEUR_BARRE}" fill="{couleur}"/>'
            )
        morceaux.append(
            f'<text x="{COLONNE_LIBELLE + longueur + 5:.1f}" y="{base}" fill="#111">'
            f"{escape(format_valeur(brut))}</text>"
        )
    morceaux.append("</svg>")
    # Libellés et titre échappés ci-dessus ; le reste est construit ici.
    return mark_safe("".join(morceaux))  # noqa: S308


def barres_par_niveau(par_niveau: dict, format_valeur) -> SafeString:
    """Collectifs financés par niveau scolaire."""
    libelles = {
        "elementaire": "Élémentaire (CP–CM2)",
        "college": "Collège (6e–3e)",
        "lycee": "Lycée (2nde–Tle)",
        "mixte": "Mixte",
    }
    series = [(libelle, par_niveau.get(cle) or 0) for cle, libelle in libelles.items()]
    return barres_horizontales(
        series, titre="Collectifs financés par niveau", format_valeur=format_valeur
    )


def barres_intervenants(salaries, benevoles, format_valeur) -> SafeString:
    """Intervenants salariés face aux bénévoles."""
    return barres_horizontales(
        [("Salariés", salaries or 0), ("Bénévoles", benevoles or 0)],
        titre="Intervenants salariés et bénévoles",
        format_valeur=format_valeur,
        couleurs=COULEURS[:2],
    )


def barres_communes(par_commune: Sequence[dict], format_valeur, limite: int = 12) -> SafeString:
    """Montant accordé par commune : les ``limite`` premières, puis « autres communes »."""
    lignes = [(c["commune"], c["montant"]) for c in par_commune[:limite]]
    reste = par_commune[limite:]
    if reste:
        total = sum((_nombre(c["montant"]) for c in reste), Decimal(0))
        lignes.append((f"{len(reste)} autres communes", total))
    return barres_horizontales(
        lignes, titre="Financement accordé par commune", format_valeur=format_valeur
    )
