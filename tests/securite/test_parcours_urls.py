"""Le contrôle d'accès prouvé : chaque URL du projet, parcourue avec chaque rôle.

1. L'inventaire : les URL nommées du résolveur (``include`` et espaces de noms compris) et le
   tableau ``scenarios.SCENARIOS`` ont exactement les mêmes noms. Une vue ajoutée sans scénario
   fait échouer la suite (et un scénario dont l'URL a disparu aussi).
2. Chaque URL hors administration, construite avec de vrais objets (``monde.py``), en GET et en
   POST (corps vide ou minimal), avec chaque rôle :
   - anonyme → page de connexion (ou le comportement attendu d'une page publique) ;
   - mauvais rôle → 403 ou 404 (jamais 200, jamais une redirection vers les données) ;
   - objet hors du périmètre (autre département, autre porteur) → 404 ;
   - rôle autorisé → la page (200), une redirection qui ne mène pas à la connexion (302), un
     formulaire réaffiché en erreur (400, 409) ou un fragment inchangé (204) : jamais 403, 404
     ni 500 (la construction de l'URL est donc juste).
   Les fragments htmx sont demandés avec ``HX-Request: true``. Une exception de la vue fait
   échouer le test (le client de test la relance) : pas de 500 silencieux.
3. L'administration (``admin/…``), parcourue motif par motif : anonyme et rôles sans
   ``is_staff`` → page de connexion de l'administration ; administration nationale → le statut
   que dictent les permissions du ModelAdmin (200, ou 403 là où il interdit l'action) sur les
   listes, les ajouts (aussi envoyés vides en POST), les pages d'un objet réel (modification,
   suppression, historique) et les pages du site d'administration.

Les données sont créées une fois pour le module, dans une transaction annulée à la fin ; chaque
test s'exécute dans un point de sauvegarde annulé lui aussi (les POST qui suppriment ou modifient
ne gênent pas les suivants).
"""

import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client, RequestFactory, override_settings
from django.urls import resolve, reverse

from .monde import ADMIN, AGENT, ANONYME, CONNECTES, PORTEUR, ROLES, SECRETARIAT, construire_monde
from .parcours import (
    GET,
    METHODES,
    attente,
    classer_admin,
    motifs_du_projet,
    parametres,
    verifier,
)
from .scenarios import SCENARIOS

pytestmark = pytest.mark.django_db

MOTIFS = motifs_du_projet()
MOTIFS_SITE = [m for m in MOTIFS if not m.admin]
MOTIFS_ADMIN = [m for m in MOTIFS if m.admin]

# Cas connus où une vue en cours d'écriture ne tient pas encore sa promesse : (nom, rôle,
# variante) → raison. Chaque entrée est un xfail strict : le jour où la vue est corrigée, le
# test passe et l'entrée doit être retirée.
ECARTS_CONNUS: dict[tuple, str] = {}
# Même chose pour l'administration : clé du motif → raison.
ECARTS_ADMIN: dict[str, str] = {}


# --- Le monde, une fois pour le module ---------------------------------------------------------


@pytest.fixture(scope="module")
def monde(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media-parcours")
    hachage = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=hachage),
        transaction.atomic(),
    ):
        yield construire_monde()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def media_temporaire():
    """Remplace celle de ``tests/conftest.py`` : les fichiers du monde restent lisibles."""


def client_de(monde, role: str, htmx: bool = False) -> Client:
    entetes = {"HX-Request": "true"} if htmx else {}
    client = Client(headers=entetes)
    if role != ANONYME:
        client.cookies[settings.SESSION_COOKIE_NAME] = monde.sessions[role]
    return client


def requete(client: Client, methode: str, url: str, donnees: dict):
    if methode == GET:
        return client.get(url)
    return client.post(url, donnees)


# --- 1. L'inventaire ---------------------------------------------------------------------------


def test_chaque_url_du_projet_a_son_scenario():
    sans_nom = [m.route for m in MOTIFS_SITE if not m.nom]
    assert not sans_nom, (
        f"Motifs d'URL sans nom (le parcours ne peut pas les construire) : {sans_nom}"
    )
    noms = [m.nom for m in MOTIFS_SITE]
    doublons = sorted({n for n in noms if noms.count(n) > 1})
    assert not doublons, f"Noms d'URL portés par plusieurs motifs : {doublons}"
    manquants = sorted(set(noms) - set(SCENARIOS))
    assert not manquants, (
        "Ces URL n'ont pas de scénario dans tests/securite/scenarios.py (qui peut y accéder, "
        f"sur quels objets ?) : {manquants}"
    )
    perimes = sorted(set(SCENARIOS) - set(noms))
    assert not perimes, f"Scénarios d'URL qui n'existent plus : {perimes}"


def test_l_administration_est_parcourue_en_entier():
    """Chaque motif de l'administration est classé (le parcours générique sait le construire)."""
    modeles = modeles_admin()
    inconnus = [
        m.route
        for m in MOTIFS_ADMIN
        if classer_admin(m, modeles)[0] == "site" and m.cle not in URL_SITE_ADMIN
    ]
    assert not inconnus, f"Motifs de l'administration sans construction connue : {inconnus}"


# --- 2. Le site : chaque URL × chaque rôle -------------------------------------------------------


def _cas_du_site():
    for nom, scenario in SCENARIOS.items():
        for htmx in scenario.htmx:
            variante = "htmx" if htmx else ""
            for role in ROLES:
                ident = "-".join(filter(None, (nom, variante, role)))
                marques = []
                if (raison := ECARTS_CONNUS.get((nom, role, variante))) is not None:
                    marques.append(pytest.mark.xfail(strict=True, reason=raison))
                yield pytest.param(nom, role, htmx, id=ident, marks=marques)


def url_du_scenario(nom: str, kwargs: dict) -> str:
    url = reverse(nom, kwargs=kwargs)
    # L'URL construite est bien celle du motif visé (et pas un motif voisin plus général).
    assert resolve(url).view_name == nom, f"{url} mène à {resolve(url).view_name}, pas à {nom}"
    return url


@pytest.mark.parametrize(("nom", "role", "htmx"), list(_cas_du_site()))
def test_parcours(monde, nom, role, htmx):
    scenario = SCENARIOS[nom]
    url = url_du_scenario(nom, scenario.kwargs(monde))
    for methode in METHODES:
        attendu = attente(scenario, role, methode)
        reponse = requete(client_de(monde, role, htmx), methode, url, scenario.donnees(monde))
        verifier(
            reponse,
            attendu,
            contexte=f"{methode.upper()} {url} ({nom}) par {role}",
            vers_connexion=scenario.vers_connexion,
        )
        if scenario.contenu and reponse.status_code == 200 and role != ANONYME:
            presents, absents = scenario.contenu(monde, role)
            texte = reponse.content.decode()
            for present in presents:
                assert present in texte, (
                    f"{methode.upper()} {url} par {role} : « {present} » manque"
                )
            for absent in absents:
                assert absent not in texte, (
                    f"{methode.upper()} {url} par {role} : « {absent} » est hors de son périmètre"
                )


def _cas_croises():
    for nom, scenario in SCENARIOS.items():
        for cle, croise in scenario.croises.items():
            for methode in METHODES:
                for role in scenario.roles_croises(croise, methode):
                    ident = f"{nom}-{cle}-{role}-{methode}"
                    yield pytest.param(nom, cle, role, methode, id=ident)


@pytest.mark.parametrize(("nom", "cle", "role", "methode"), list(_cas_croises()))
def test_acces_croise_introuvable(monde, nom, cle, role, methode):
    """L'objet d'un autre département, d'un autre porteur, ou un mélange d'identifiants : 404."""
    scenario = SCENARIOS[nom]
    croise = scenario.croises[cle]
    url = url_du_scenario(nom, croise.kwargs(monde))
    donnees = (croise.donnees or scenario.donnees)(monde)
    reponse = requete(client_de(monde, role, scenario.htmx[-1]), methode, url, donnees)
    verifier(reponse, 404, contexte=f"{methode.upper()} {url} ({nom}, {cle}) par {role}")


def test_les_roles_du_site_n_ont_pas_acces_a_l_administration(monde):
    """Prémisse du parcours de l'administration : seul l'administrateur national a is_staff."""
    for role in CONNECTES:
        utilisateur = monde.utilisateurs[role]
        assert utilisateur.is_staff == (role == ADMIN), role
        assert utilisateur.is_superuser == (role == ADMIN), role


# --- 3. L'administration -----------------------------------------------------------------------

# Les pages du site d'administration (hors modèles) : arguments, statut pour l'administration
# nationale (connectée, is_staff).
URL_SITE_ADMIN = {
    "admin:index": ({}, {200}),
    "admin:login": ({}, {302}),  # déjà connectée : renvoyée à l'accueil de l'administration
    "admin:logout": ({}, {405}),  # POST seulement
    "admin:password_change": ({}, {200}),
    "admin:password_change_done": ({}, {200}),
    "admin:autocomplete": ({}, {403}),  # sans paramètres : refusée, sans erreur serveur
    "admin:jsi18n": ({}, {200}),
    "admin:app_list": ({"app_label": "comptes"}, {200}),
    "admin:view_on_site": (None, {302, 404}),  # un dossier réel, sans page publique
    "admin/(?P<url>.*)$": (None, {404}),
}
NON_ADMINS = (ANONYME, PORTEUR, AGENT, SECRETARIAT)


def modeles_admin() -> dict:
    """« app_modèle » → modèle, les préfixes longs d'abord (aucun ne masque un autre)."""
    modeles = {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}
    return dict(sorted(modeles.items(), key=lambda item: -len(item[0])))


def objet_de(modele):
    return modele._default_manager.order_by("pk").first() if modele is not None else None


def url_admin(motif, modeles, monde) -> tuple[str, str, object | None]:
    """(url, genre, objet) d'un motif de l'administration, avec un objet réel si possible."""
    genre, modele = classer_admin(motif, modeles)
    objet = objet_de(modele)
    if genre in ("change", "delete", "history", "objet", "vue_modele"):
        if modele is not None and modele._meta.label == "otp_totp.TOTPDevice":
            objet = monde.appareil_totp
        ident = str(objet.pk) if objet is not None else "0"
        if motif.nom is None:
            base = motif.route.removesuffix("<path:object_id>/")
            return "/" + base + ident + "/", genre, objet
        kwargs = dict.fromkeys(parametres(motif.route), ident)
        return reverse(motif.nom, kwargs=kwargs), genre, objet
    if genre in ("changelist", "add"):
        return reverse(motif.nom), genre, None
    if motif.cle == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        dossier = monde.nord.accepte
        type_ = ContentType.objects.get_for_model(dossier)
        kwargs = {"content_type_id": type_.pk, "object_id": dossier.pk}
        return reverse(motif.nom, kwargs=kwargs), "site", dossier
    if motif.cle == "admin/(?P<url>.*)$":
        return "/admin/inexistant/", "site", None
    return reverse(motif.nom, kwargs=URL_SITE_ADMIN[motif.cle][0]), "site", None


def _ids_admin(ecarts=None):
    resultat = []
    for motif in MOTIFS_ADMIN:
        marques = []
        if ecarts and (raison := ecarts.get(motif.cle)) is not None:
            marques.append(pytest.mark.xfail(strict=True, reason=raison))
        resultat.append(pytest.param(motif, id=motif.cle, marks=marques))
    return resultat


@pytest.mark.parametrize("motif", _ids_admin())
def test_administration_fermee_aux_autres_roles(monde, motif):
    url, _genre, _objet = url_admin(motif, modeles_admin(), monde)
    for role in NON_ADMINS:
        for methode in METHODES:
            reponse = requete(client_de(monde, role), methode, url, {})
            statut, lieu = reponse.status_code, reponse.get("Location", "")
            contexte = f"{methode.upper()} {url} par {role} : reçu {statut} {lieu}"
            if motif.cle == "admin:login":
                # Le formulaire de connexion de l'administration (réaffiché en POST vide).
                assert statut == 200, contexte
            elif motif.cle == "admin:logout":
                assert statut == 302 and lieu == reverse("admin:index"), contexte
            else:
                assert statut == 302 and lieu.startswith(reverse("admin:login")), contexte


def statut_admin_attendu(motif, genre, modele, objet, demande) -> set[int]:
    """Les statuts attendus par l'administration nationale, d'après les permissions du
    ModelAdmin (une page qu'il interdit : 403)."""
    if motif.cle in URL_SITE_ADMIN:
        return URL_SITE_ADMIN[motif.cle][1]
    modele_admin = admin.site._registry[modele]
    if genre == "changelist":
        return {200} if modele_admin.has_view_or_change_permission(demande) else {403}
    if genre == "add":
        return {200} if modele_admin.has_add_permission(demande) else {403}
    if objet is None:
        # Objet inexistant : l'administration revient à son accueil avec un message, après avoir
        # vérifié la permission (modification, suppression) ; l'historique, sans vérifier.
        if genre == "change":
            return {302} if modele_admin.has_view_or_change_permission(demande) else {403}
        if genre == "delete":
            return {302} if modele_admin.has_delete_permission(demande) else {403}
        return {302} if genre in ("history", "objet") else {403, 404}
    if genre in ("change", "history"):
        return {200} if modele_admin.has_view_or_change_permission(demande, objet) else {403}
    if genre == "delete":
        return {200} if modele_admin.has_delete_permission(demande, objet) else {403}
    if genre == "objet":
        return {302}
    return {200, 403}  # vue propre au ModelAdmin (mot de passe d'un compte, QR code TOTP…)


@pytest.mark.parametrize("motif", _ids_admin(ECARTS_ADMIN))
def test_administration_nationale(monde, motif):
    modeles = modeles_admin()
    url, genre, objet = url_admin(motif, modeles, monde)
    _genre, modele = classer_admin(motif, modeles)
    demande = RequestFactory().get(url)
    demande.user = monde.utilisateurs[ADMIN]
    attendu = statut_admin_attendu(motif, genre, modele, objet, demande)
    client = client_de(monde, ADMIN)
    if motif.cle == "admin:app_list":
        # Chaque application de l'administration, pas seulement la première.
        for application in re.findall(r"\w+", motif.route.split("(?P<app_label>")[1]):
            url = reverse(motif.nom, kwargs={"app_label": application})
            assert client.get(url).status_code == 200, url
    reponse = client.get(url)
    contexte = f"GET {url} par l'administration nationale : reçu {reponse.status_code}"
    assert reponse.status_code in attendu, f"{contexte}, attendu {sorted(attendu)}"
    if genre == "add" and attendu == {200}:
        # Un ajout envoyé vide : le formulaire revient avec ses erreurs (ou, si aucun champ n'est
        # obligatoire, l'objet est créé puis la transaction du test annulée).
        reponse = client.post(url, {})
        assert reponse.status_code in (200, 302), f"POST {url} vide : reçu {reponse.status_code}"
