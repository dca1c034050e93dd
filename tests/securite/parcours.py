"""Outils du parcours des URL : l'inventaire du résolveur, les scénarios, les attentes.

Un scénario dit, pour une URL nommée, comment la construire avec les objets du monde
(``tests/securite/monde.py``), quels rôles y ont accès (GET, POST), lesquels doivent recevoir 404
parce que l'objet n'est pas dans leur périmètre, et ce que reçoit un visiteur anonyme. Tout autre
rôle connecté doit être refusé (403 ou 404).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from .monde import AGENT, ANONYME, PORTEUR, SECRETARIAT

GET, POST = "get", "post"
METHODES = (GET, POST)
REFUS = (403, 404)
NON_PERMISE = 405
# Réponses d'un rôle autorisé : la page, une redirection (après une action, ou vers l'étape
# suivante), un formulaire réaffiché en erreur (400, 409 : conflit), un fragment htmx inchangé.
ACCES = (200, 204, 302, 400, 409)


# --- Inventaire du résolveur -------------------------------------------------------------------


@dataclass(frozen=True)
class Motif:
    """Un motif d'URL du projet : sa route complète et son nom (avec espaces de noms)."""

    route: str
    nom: str | None
    motif: URLPattern

    @property
    def admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def cle(self) -> str:
        """Identifiant stable : le nom, ou la route pour les motifs sans nom (administration)."""
        return self.nom or self.route


def _route(motif) -> str:
    return str(motif.pattern)


def motifs_du_projet(resolver=None, prefixe: str = "", espace: str | None = None) -> list[Motif]:
    """Tous les motifs d'URL, en descendant dans chaque ``include`` (espaces de noms compris)."""
    resolver = resolver or get_resolver()
    resultat = []
    for motif in resolver.url_patterns:
        if isinstance(motif, URLResolver):
            sous_espace = espace
            if motif.namespace:
                sous_espace = f"{espace}:{motif.namespace}" if espace else motif.namespace
            resultat += motifs_du_projet(motif, prefixe + _route(motif), sous_espace)
        else:
            nom = motif.name
            if nom and espace:
                nom = f"{espace}:{nom}"
            resultat.append(Motif(prefixe + _route(motif), nom, motif))
    return resultat


# --- Scénarios ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Croise:
    """La même URL construite sur des objets hors du périmètre des rôles autorisés : 404.

    ``tous`` : même les rôles qui voient tout (administration) doivent recevoir 404 — c'est le
    cas d'un mélange d'identifiants (le dossier de l'un, la pièce d'un autre).
    """

    kwargs: Callable
    donnees: Callable | None = None
    tous: bool = False


@dataclass(frozen=True)
class Scenario:
    kwargs: Callable = lambda m: {}
    ok: tuple = ()  # rôles qui atteignent la page en GET (et en POST sauf ``ok_post``)
    ok_post: tuple | None = None
    hors: tuple = ()  # rôles qui passent le contrôle de rôle mais ne voient pas l'objet : 404
    hors_post: tuple | None = None
    methodes: tuple = METHODES  # méthodes que la vue traite (les autres : 405)
    # Visiteur anonyme : renvoyé à la connexion, ou page publique (statut attendu par méthode).
    public: dict | None = None
    donnees: Callable = lambda m: {}
    htmx: tuple = (False,)  # variantes : sans et/ou avec l'en-tête HX-Request
    croises: dict = field(default_factory=dict)
    # Redirection vers la page de connexion attendue même pour un rôle autorisé (déconnexion).
    vers_connexion: bool = False
    # (rôle) → (textes présents, textes absents) dans une réponse 200 (listes, exports).
    contenu: Callable | None = None

    def autorises(self, methode: str) -> tuple:
        if methode == POST and self.ok_post is not None:
            return self.ok_post
        return self.ok

    def hors_perimetre(self, methode: str) -> tuple:
        if methode == POST and self.hors_post is not None:
            return self.hors_post
        return self.hors

    def roles_croises(self, croise: Croise, methode: str) -> tuple:
        """Les rôles qui doivent recevoir 404 sur un accès croisé (pour cette méthode)."""
        if methode not in self.methodes:
            return ()
        autorises = self.autorises(methode)
        if croise.tous:
            return tuple(r for r in autorises if r != ANONYME)
        return tuple(r for r in autorises if r in (PORTEUR, AGENT, SECRETARIAT))


# --- Attentes ----------------------------------------------------------------------------------

OK = "accès"
CONNEXION = "connexion"
REFUSE = "refus (403 ou 404)"
INTROUVABLE = "404"
METHODE_REFUSEE = "405"
REFUS_OU_405 = "refus (403, 404 ou 405)"


def attente(scenario: Scenario, role: str, methode: str):
    """Ce que ``role`` doit recevoir sur l'URL du scénario avec ``methode``."""
    if role == ANONYME:
        if scenario.public is not None:
            return scenario.public[methode]
        return CONNEXION
    if methode not in scenario.methodes:
        return METHODE_REFUSEE if role in scenario.autorises(methode) else REFUS_OU_405
    if role in scenario.autorises(methode):
        return OK
    if role in scenario.hors_perimetre(methode):
        return INTROUVABLE
    return REFUSE


def verifier(reponse, attendu, *, contexte: str, vers_connexion: bool = False) -> None:
    """Vérifie une réponse ; le message nomme l'URL, le rôle, la méthode et le statut reçu."""
    statut = reponse.status_code
    lieu = reponse.get("Location", "")

    message = f"{contexte} : attendu {attendu}, reçu {statut}" + (f" → {lieu}" if lieu else "")
    assert statut < 500, message
    if isinstance(attendu, int):
        assert statut == attendu, message
    elif attendu == CONNEXION:
        assert statut == 302 and "/connexion/" in lieu, message
    elif attendu == OK:
        assert statut in ACCES, message
        if statut == 302 and not vers_connexion:
            assert "/connexion/" not in lieu and "/admin/login/" not in lieu, message
    elif attendu == REFUSE:
        assert statut in REFUS, message
    elif attendu == INTROUVABLE:
        assert statut == 404, message
    elif attendu == METHODE_REFUSEE:
        assert statut == NON_PERMISE, message
    elif attendu == REFUS_OU_405:
        assert statut in (*REFUS, NON_PERMISE), message
    else:  # pragma: no cover - garde-fou du tableau
        raise AssertionError(f"attente inconnue : {attendu!r}")


# --- Administration ------------------------------------------------------------------------------

GENRES_ADMIN = ("changelist", "add", "change", "delete", "history")


def classer_admin(motif: Motif, modeles: dict) -> tuple[str, object | None]:
    """(genre, modèle) d'un motif de l'administration.

    Genres : ceux de ``GENRES_ADMIN`` ; « objet » (redirection ``<id>/`` vers la modification) ;
    « vue_modele » (vue ajoutée par un ModelAdmin, ex. otp_totp) ; « site » (accueil, connexion,
    application…).
    """
    if motif.nom is None:
        trouve = re.fullmatch(r"admin/(\w+)/(\w+)/<path:object_id>/", motif.route)
        if trouve:
            return "objet", modeles.get(f"{trouve[1]}_{trouve[2]}")
        return "site", None
    nom = motif.nom.removeprefix("admin:")
    for prefixe, modele in modeles.items():
        if nom.startswith(prefixe + "_"):
            genre = nom.removeprefix(prefixe + "_")
            return (genre if genre in GENRES_ADMIN else "vue_modele"), modele
    # Vue d'un ModelAdmin au nom libre (ex. « auth_user_password_change » de UserAdmin).
    trouve = re.match(r"admin/(\w+)/(\w+)/<", motif.route)
    if trouve and f"{trouve[1]}_{trouve[2]}" in modeles:
        return "vue_modele", modeles[f"{trouve[1]}_{trouve[2]}"]
    return "site", None


def parametres(route: str) -> list[str]:
    """Les noms des paramètres d'une route (« <int:pk> » → « pk »)."""
    return re.findall(r"<(?:\w+:)?(\w+)>", route)
