"""Éditions du référentiel : les paramètres des règles, séparés des règles elles-mêmes.

Une édition fige les seuils du référentiel (taille des collectifs, encadrement, régularité…) ;
les paramètres de financement (taux, prix plafond) dépendent de l'année scolaire et sont passés
au moteur à part (`ParametresFinancement`), fixés par un administrateur.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Objectif:
    """Un objectif opérationnel obligatoire d'un axe : sa clé dans `actions.<axe>` et son libellé."""

    cle: str
    libelle: str


@dataclass(frozen=True, slots=True)
class Axe:
    """Un axe d'intervention du référentiel et ses objectifs opérationnels obligatoires."""

    cle: str
    libelle: str
    objectifs: tuple[Objectif, ...]


@dataclass(frozen=True, slots=True)
class Edition:
    """Les paramètres d'une édition du référentiel (voir `regles.md`, « Parameters »)."""

    code: str
    taille_min: int
    taille_max: int
    taille_min_rural: int
    intervenants_min: int
    intervenants_min_rural_petit: int
    seances_hebdo_min: int
    duree_seance_min: int
    duree_seance_rurale_min: int
    semaines_min: int
    # (mois, jour) de l'année N+1 : fin recommandée des actions.
    fin_recommandee: tuple[int, int]
    niveaux_admis: tuple[str, ...]
    # Niveaux de diplôme, du plus bas au plus haut.
    niveaux_diplome: tuple[str, ...]
    coordinateur_niveau_min: str
    taux_ps: Decimal
    axes: tuple[Axe, ...]

    def axe(self, cle: str) -> Axe:
        for axe in self.axes:
            if axe.cle == cle:
                return axe
        raise KeyError(cle)

    def rang_diplome(self, niveau: str) -> int:
        """Rang d'un niveau de diplôme dans l'ordre de l'édition (0 = le plus bas)."""
        return self.niveaux_diplome.index(niveau)


@dataclass(frozen=True, slots=True)
class ParametresFinancement:
    """Paramètres de financement d'une année scolaire ; `prix_plafond` None s'il n'est pas fixé."""

    taux_ps: Decimal
    prix_plafond: Decimal | None


CNAF_2019 = Edition(
    code="cnaf-2019",
    taille_min=8,
    taille_max=12,
    taille_min_rural=5,
    intervenants_min=2,
    intervenants_min_rural_petit=1,
    seances_hebdo_min=2,
    duree_seance_min=60,
    duree_seance_rurale_min=120,
    semaines_min=30,
    fin_recommandee=(6, 15),
    niveaux_admis=("CP", "CE1", "CE2", "CM1", "CM2", "6e", "5e", "4e", "3e", "2nde", "1re", "Tle"),
    niveaux_diplome=("aucun", "cap_bep", "bac", "bac+2", "bac+3", "bac+5", "bac+8"),
    coordinateur_niveau_min="bac+2",
    taux_ps=Decimal("0.325"),
    axes=(
        Axe(
            cle="enfants",
            libelle="Un axe d'intervention auprès des enfants et des jeunes",
            objectifs=(
                Objectif(
                    "appui_methodologique",
                    "Fournir aux enfants et aux jeunes un appui et une méthodologie au travail "
                    "scolaire",
                ),
                Objectif(
                    "ressources_culturelles",
                    "Élargir leurs centres d'intérêt en mobilisant les ressources locales et en "
                    "organisant des sorties culturelles",
                ),
                Objectif(
                    "vie_collective",
                    "Élargir leurs centres d'intérêt en développant leurs capacités de vie "
                    "collective",
                ),
                Objectif(
                    "entraide",
                    "Mettre en valeur leurs compétences en valorisant l'entraide au sein du "
                    "groupe Clas",
                ),
                Objectif(
                    "suivi_presences", "Organiser un suivi régulier des présences des enfants"
                ),
            ),
        ),
        Axe(
            cle="parents",
            libelle="Un axe d'intervention auprès et avec les parents",
            objectifs=(
                Objectif(
                    "information_inscription",
                    "Organiser des temps d'information sur les objectifs et le contenu des "
                    "actions Clas au moment de l'inscription",
                ),
                Objectif(
                    "convivialite", "Mettre en place des temps de convivialité enfants/parents"
                ),
                Objectif(
                    "codes_ecole",
                    "Informer et accompagner les parents dans leur compréhension des codes de "
                    "l'école",
                ),
                Objectif(
                    "orientation_partenaires",
                    "Orienter les parents vers d'autres partenaires du territoire",
                ),
                Objectif(
                    "echanges_reguliers",
                    "Associer les parents à l'accompagnement proposé à leur enfant par des "
                    "échanges informels réguliers",
                ),
            ),
        ),
        Axe(
            cle="ecole",
            libelle="Un axe de concertation et de coordination avec l'école",
            objectifs=(
                Objectif(
                    "relations_equipes",
                    "Établir des relations avec les directeurs d'établissements, les CPE, les "
                    "enseignants",
                ),
                Objectif(
                    "orientation_enfants",
                    "Établir une collaboration avec les équipes éducatives pour l'orientation "
                    "des enfants vers le Clas",
                ),
                Objectif(
                    "reunions_concertation",
                    "Organiser une réunion de concertation avec les équipes éducatives en amont "
                    "du projet et lors du bilan",
                ),
            ),
        ),
        Axe(
            cle="territoire",
            libelle=(
                "Un axe de concertation et de coordination avec les différents acteurs du "
                "territoire"
            ),
            objectifs=(
                Objectif(
                    "partenariat_local",
                    "Être en relation avec d'autres associations ou partenaires du secteur",
                ),
            ),
        ),
    ),
)

EDITIONS: dict[str, Edition] = {CNAF_2019.code: CNAF_2019}
