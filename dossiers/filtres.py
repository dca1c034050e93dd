"""La file d'attente des agents Caf : onglets, filtres, tri et annotations de la liste.

Un seul chemin construit la liste, pour la page comme pour les exports (``construire_file``) :
le périmètre vient de ``Dossier.objects.visible_to(user)`` (``file_de`` : hors brouillons), puis

1. ``DossierFilterSet`` applique les filtres choisis (formulaire GET) ;
2. ``compter_onglets`` compte chaque onglet en une seule requête (un décompte par état) ; sans
   filtre appliqué, le décompte par état et par année qui donne aussi les années des filtres
   suffit (``decompter_par_etat_et_annee``) ;
3. l'onglet est appliqué, puis ``annoter_file`` ajoute le nombre de collectifs (et d'enfants),
   le verdict et la PS calculée de la dernière évaluation figée — des sous-requêtes corrélées,
   jamais une requête par ligne ;
4. le tri (liste blanche de ``TRIS`` ; une clé inconnue est ignorée) et les colonnes affichées
   (``pour_affichage``).

L'ordre du jour du comité (``construire_comite``) suit le même chemin.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import django_filters
from django import forms
from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from collectifs.models import Collectif
from comptes.models import Departement, Role, Utilisateur
from eligibility.templatetags.referentiel import VERDICTS

from .models import Dossier, Etat, Evaluation, Evenement, libelle_annee

# --- Onglets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Onglet:
    slug: str
    libelle: str
    etats: tuple[str, ...] | None  # None : tous les dossiers de la file
    tri_par_defaut: str


ONGLETS = (
    Onglet(
        "a_instruire", "À instruire", (Etat.DEPOSE, Etat.EN_INSTRUCTION), tri_par_defaut="depose_le"
    ),
    Onglet(
        "attente_porteur",
        "En attente du porteur",
        (Etat.COMPLEMENT_DEMANDE,),
        tri_par_defaut="depose_le",
    ),
    Onglet("comite", "Proposés au comité", (Etat.PROPOSE_COMITE,), tri_par_defaut="depose_le"),
    Onglet(
        "decides",
        "Décidés",
        (Etat.ACCEPTE, Etat.REFUSE, Etat.SANS_SUITE),
        tri_par_defaut="-depose_le",
    ),
    Onglet("tous", "Tous", None, tri_par_defaut="-depose_le"),
)
ONGLETS_PAR_SLUG = {o.slug: o for o in ONGLETS}
# Les valeurs brutes des états de chaque onglet (des chaînes, pas des membres d'énumération).
ETATS_ONGLET = {o.slug: [str(e) for e in o.etats] for o in ONGLETS if o.etats}

# Les brouillons ne sont pas dans la file : tant qu'il n'est pas déposé, un dossier reste
# l'affaire du porteur (l'administrateur national les voit dans l'administration Django).
ETATS_FILE = [(valeur, libelle) for valeur, libelle in Etat.choices if valeur != Etat.BROUILLON]


def onglet_par_defaut(user) -> Onglet:
    """L'agent arrive sur ce qu'il a à instruire ; secrétariat et administration sur « Tous »."""
    return ONGLETS_PAR_SLUG["a_instruire" if user.est_agent else "tous"]


def onglet_demande(slug: str, user) -> Onglet:
    return ONGLETS_PAR_SLUG.get(slug) or onglet_par_defaut(user)


# --- Tri -------------------------------------------------------------------------------------

ORDRE_ETATS = [valeur for valeur, _ in Etat.choices]
ORDRE_VERDICTS = list(VERDICTS)


@dataclass(frozen=True)
class Colonne:
    """Une colonne triable : ``cle`` est la valeur de ``?tri=`` (``-cle`` pour l'ordre inverse)."""

    cle: str
    libelle: str
    champ: str  # champ ou annotation sur lequel trier
    description: str  # « triés par … »


TRIS = {
    c.cle: c
    for c in (
        Colonne("porteur", "Porteur", "porteur__raison_sociale", "porteur"),
        Colonne("commune", "Commune", "porteur__commune", "commune"),
        Colonne("departement", "Département", "departement_id", "département"),
        Colonne("annee", "Année", "annee", "année scolaire"),
        Colonne("collectifs", "Collectifs", "nb_collectifs", "nombre de collectifs"),
        Colonne("etat", "État", "rang_etat", "état (dans l'ordre du parcours)"),
        Colonne("verdict", "Verdict", "rang_verdict", "verdict"),
        Colonne("ps", "PS calculée", "ps_calculee", "PS calculée"),
        Colonne("depose_le", "Déposé le", "depose_le", "date de dépôt"),
        Colonne("agent", "Agent référent", "agent_referent__nom", "agent référent"),
    )
}


def lire_tri(valeur: str, onglet: Onglet) -> tuple[str, bool]:
    """``?tri=-depose_le`` → (« depose_le », True). Une clé inconnue est ignorée."""
    valeur = (valeur or "").strip()
    cle = valeur.removeprefix("-")
    if cle not in TRIS:
        valeur = onglet.tri_par_defaut
        cle = valeur.removeprefix("-")
    return cle, valeur.startswith("-")


def trier(qs: QuerySet, cle: str, decroissant: bool) -> QuerySet:
    colonne = TRIS[cle]
    if cle == "etat":
        qs = qs.annotate(
            rang_etat=Case(
                *[When(etat=e, then=Value(i)) for i, e in enumerate(ORDRE_ETATS)],
                output_field=IntegerField(),
            )
        )
    elif cle == "verdict":
        # Le rang se calcule dans la sous-requête de la dernière évaluation : une seule
        # sous-requête par ligne, pas une par branche du CASE.
        qs = qs.annotate(
            rang_verdict=Subquery(
                derniere_evaluation()
                .annotate(
                    rang=Case(
                        *[When(verdict=v, then=Value(i)) for i, v in enumerate(ORDRE_VERDICTS)],
                        output_field=IntegerField(),
                    )
                )
                .values("rang")[:1]
            )
        )
    expression = F(colonne.champ)
    ordre = expression.desc(nulls_last=True) if decroissant else expression.asc(nulls_last=True)
    secondaires = ["agent_referent__prenom"] if cle == "agent" else []
    return qs.order_by(ordre, *secondaires, "porteur__raison_sociale", "pk")


# --- Annotations -----------------------------------------------------------------------------


def derniere_evaluation() -> QuerySet:
    """La dernière évaluation figée du dossier de la requête englobante."""
    return Evaluation.objects.filter(dossier=OuterRef("pk")).order_by("-cree_le", "-pk")


# Les colonnes lues par la file, ses exports et le comité : les longs textes du projet (axes,
# diagnostic…) ne sont pas chargés. Tout champ affiché doit figurer ici (sinon, une requête par
# ligne : les tests de nombre de requêtes le verraient).
CHAMPS_FILE = (
    "pk",
    "porteur__raison_sociale",
    "porteur__siret",
    "porteur__commune",
    "departement_id",
    "annee",
    "etat",
    "reference",
    "intitule",
    "montant_demande",
    "montant_accorde",
    "date_decision",
    "depose_le",
    "agent_referent__prenom",
    "agent_referent__nom",
    "agent_referent__email",
    "agent_referent__is_active",
)


@cache
def sous_requetes_de_la_file() -> dict[str, Expression]:
    """Les sous-requêtes corrélées de ``annoter_file``, construites une fois par processus :
    ``annotate`` copie une expression avant de la résoudre dans sa requête, elle se réutilise
    donc telle quelle (les reconstruire coûtait ≈ 0,3 ms de CPU à chaque page de la file)."""
    collectifs = Collectif.objects.filter(dossier=OuterRef("pk")).order_by().values("dossier")
    return {
        "verdict_fige": Subquery(derniere_evaluation().values("verdict")[:1]),
        "nb_collectifs": Coalesce(
            Subquery(collectifs.annotate(n=Count("pk")).values("n")[:1]),
            Value(0),
            output_field=IntegerField(),
        ),
        "ps_calculee": Subquery(derniere_evaluation().values("montant_ps_total")[:1]),
        "nb_enfants": Coalesce(
            Subquery(collectifs.annotate(n=Sum("nombre_enfants")).values("n")[:1]),
            Value(0),
            output_field=IntegerField(),
        ),
    }


# --- Suivi : ce que le porteur a fait depuis la dernière action de la Caf ----------------------

# Un redépôt après complément : la transition que le porteur déclenche (voir ``depot.Q_DEPOT``).
Q_REDEPOT = Q(
    type=Evenement.Type.TRANSITION,
    etat_avant=Etat.COMPLEMENT_DEMANDE,
    etat_apres=Etat.EN_INSTRUCTION,
)
# Ce que le porteur fait vers la Caf : un message, un redépôt (le premier dépôt n'est pas une
# réponse : l'onglet « À instruire » le montre déjà).
Q_REPONSE_PORTEUR = Q(auteur__role=Role.PORTEUR) & (Q(type=Evenement.Type.MESSAGE) | Q_REDEPOT)
# Ce que la Caf fait vers le porteur : un message, un changement d'état (demande de complément,
# proposition, décision…). Une assignation (transition d'un état vers lui-même) n'est pas une
# réponse au porteur.
Q_ACTION_CAF = Q(auteur__role__in=[Role.AGENT, Role.SECRETARIAT, Role.ADMIN]) & (
    Q(type=Evenement.Type.MESSAGE)
    | (Q(type=Evenement.Type.TRANSITION) & ~Q(etat_avant=F("etat_apres")))
)


def _dernier_evenement(condition: Q) -> Subquery:
    """La date du dernier événement du dossier de la requête englobante qui remplit
    ``condition`` (None s'il n'y en a pas)."""
    return Subquery(
        Evenement.objects.filter(condition, dossier=OuterRef("pk"))
        .order_by("-cree_le", "-pk")
        .values("cree_le")[:1]
    )


@cache
def sous_requetes_du_suivi() -> dict[str, Expression]:
    """Les sous-requêtes de ``annoter_suivi``, construites une fois par processus (voir
    ``sous_requetes_de_la_file``)."""
    return {
        "reponse_porteur_le": _dernier_evenement(Q_REPONSE_PORTEUR),
        "action_caf_le": _dernier_evenement(Q_ACTION_CAF),
        "redepose_le": _dernier_evenement(Q_REDEPOT),
    }


def annoter_suivi(qs: QuerySet) -> QuerySet:
    """Ajoute ``reponse_porteur_le`` (dernier message ou redépôt du porteur), ``action_caf_le``
    (dernier message ou changement d'état dû à la Caf) et ``redepose_le`` (dernier redépôt) :
    des sous-requêtes corrélées dans la requête de la page, pas une requête de plus. La file
    signale une réponse du porteur quand la première est plus récente que la deuxième
    (``reponse_en_attente``)."""
    return qs.annotate(**sous_requetes_du_suivi())


def reponse_en_attente(reponse_porteur_le, action_caf_le) -> bool:
    """Le porteur a écrit ou redéposé depuis la dernière action de la Caf sur le dossier."""
    return reponse_porteur_le is not None and (
        action_caf_le is None or reponse_porteur_le > action_caf_le
    )


def annoter_verdict(qs: QuerySet) -> QuerySet:
    """``verdict_fige`` : le verdict de la dernière évaluation figée (None s'il n'y en a pas)."""
    if "verdict_fige" in qs.query.annotations:
        return qs
    return qs.annotate(verdict_fige=sous_requetes_de_la_file()["verdict_fige"])


def annoter_file(qs: QuerySet, *, enfants: bool = True) -> QuerySet:
    """Ajoute ``nb_collectifs``, ``verdict_fige``, ``ps_calculee`` et (si ``enfants``)
    ``nb_enfants`` : des sous-requêtes corrélées, calculées par la base pour chaque ligne.

    Le verdict et la PS viennent de la dernière évaluation figée du dossier (au dépôt, à la
    décision ou à l'import) : ce qui a été évalué, pas un recalcul à chaque affichage.
    """
    noms = ["nb_collectifs", "ps_calculee", *(["nb_enfants"] if enfants else [])]
    if "verdict_fige" not in qs.query.annotations:  # déjà là si l'on a filtré sur le verdict
        noms.insert(0, "verdict_fige")
    sous_requetes = sous_requetes_de_la_file()
    return qs.annotate(**{nom: sous_requetes[nom] for nom in noms})


def file_de(user) -> QuerySet:
    """Les dossiers de la file de ``user`` : son périmètre, hors brouillons (sans annotation :
    on les ajoute après le décompte des onglets, qui n'en a pas besoin)."""
    return Dossier.objects.visible_to(user).exclude(etat=Etat.BROUILLON)


def pour_affichage(qs: QuerySet) -> QuerySet:
    """Les jointures et colonnes des lignes affichées ou exportées (pas pour les compter)."""
    return qs.select_related("porteur", "agent_referent").only(*CHAMPS_FILE)


def compter_onglets(qs: QuerySet) -> dict[str, int]:
    """Le nombre de dossiers de chaque onglet, en une seule requête (un décompte par état)."""
    return onglets_par_etat(dict(qs.order_by().values_list("etat").annotate(n=Count("pk"))))


def onglets_par_etat(par_etat: dict[str, int]) -> dict[str, int]:
    """{état: nombre de dossiers} → {onglet: nombre de dossiers}."""
    return {
        o.slug: sum(par_etat.get(e, 0) for e in ETATS_ONGLET[o.slug])
        if o.etats
        else sum(par_etat.values())
        for o in ONGLETS
    }


def decompter_par_etat_et_annee(qs: QuerySet) -> dict[tuple[str, int], int]:
    """{(état, année): nombre de dossiers}, en une requête : les années des filtres, et les
    compteurs des onglets tant qu'aucun filtre n'est appliqué."""
    return {
        (etat, annee): n
        for etat, annee, n in qs.order_by().values_list("etat", "annee").annotate(n=Count("pk"))
    }


def agents_du_perimetre(user) -> QuerySet:
    """Les agents Caf des départements dont ``user`` voit les dossiers (actifs ou non).

    Le périmètre vient de ``Dossier.objects.visible_to`` : un agent du 59 ne voit que les agents
    du 59, l'administrateur national ceux de tous les départements qui ont des dossiers.
    """
    departements = Dossier.objects.visible_to(user).order_by().values("departement_id")
    return (
        Utilisateur.objects.filter(role=Role.AGENT, departement__in=departements)
        .only("pk", "prenom", "nom", "email", "is_active", "departement_id")
        .order_by("departement_id", "nom", "prenom", "pk")
    )


def libelle_agent(agent: Utilisateur, avec_departement: bool = False) -> str:
    libelle = agent.nom_complet or agent.email
    if avec_departement:
        libelle = f"{libelle} ({agent.departement_id})"
    if not agent.is_active:
        libelle += " — compte inactif"
    return libelle


# --- Filtres ---------------------------------------------------------------------------------

VERDICT_CHOIX = [(v, libelle.capitalize()) for v, (libelle, _classe) in VERDICTS.items()]
SANS = "aucun"


class CaseACocherFilter(django_filters.Filter):
    field_class = forms.BooleanField


class DossierFilterSet(django_filters.FilterSet):
    """Les filtres de la file (formulaire GET). Le périmètre est déjà appliqué au queryset.

    ``annees`` et ``agents`` : les choix proposés, calculés une fois par la vue (une requête
    chacun) ; ``departements`` seulement pour l'administrateur national.
    """

    q = django_filters.CharFilter(
        label="Recherche",
        method="filtrer_texte",
        help_text="raison sociale, SIRET, commune ou référence du dossier",
    )
    etat = django_filters.ChoiceFilter(label="État", choices=ETATS_FILE, empty_label="Tous")
    verdict = django_filters.ChoiceFilter(
        label="Verdict",
        choices=VERDICT_CHOIX,
        empty_label="Tous",
        null_label="Sans évaluation figée",
        null_value=SANS,
        method="filtrer_verdict",
    )
    annee = django_filters.ChoiceFilter(label="Année scolaire", empty_label="Toutes")
    commune = django_filters.CharFilter(
        label="Commune", field_name="porteur__commune", lookup_expr="icontains"
    )
    departement = django_filters.ChoiceFilter(
        label="Département", field_name="departement_id", empty_label="Tous"
    )
    agent = django_filters.ChoiceFilter(
        label="Agent référent",
        field_name="agent_referent_id",
        empty_label="Tous",
        null_label="Non assigné",
        null_value=SANS,
    )
    moi = CaseACocherFilter(label="Assignés à moi", method="filtrer_moi")

    class Meta:
        model = Dossier
        fields: list[str] = []

    def __init__(self, *args, annees=(), agents=(), departements=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["annee"].extra["choices"] = [(str(a), libelle_annee(a)) for a in annees]
        plusieurs = departements is not None
        self.filters["agent"].extra["choices"] = [
            (str(a.pk), libelle_agent(a, avec_departement=plusieurs)) for a in agents
        ]
        if departements is None:
            del self.filters["departement"]
        else:
            self.filters["departement"].extra["choices"] = [(d.code, str(d)) for d in departements]
        if self.request is None or not self.request.user.est_agent:
            del self.filters["moi"]
        styler(self.form)

    def filtrer_texte(self, qs, _name, valeur):
        valeur = valeur.strip()
        if not valeur:
            return qs
        condition = (
            Q(porteur__raison_sociale__icontains=valeur)
            | Q(porteur__commune__icontains=valeur)
            | Q(reference__icontains=valeur)
            | Q(intitule__icontains=valeur)
        )
        chiffres = valeur.replace(" ", "")
        if chiffres.isdigit():
            if len(chiffres) >= 5:  # un début de SIREN ou de SIRET
                condition |= Q(porteur__siret__startswith=chiffres)
            if len(chiffres) <= 9:  # le numéro du dossier
                condition |= Q(pk=int(chiffres))
        return qs.filter(condition)

    def filtrer_verdict(self, qs, _name, valeur):
        if valeur in (None, ""):
            return qs
        qs = annoter_verdict(qs)
        if valeur == SANS:
            return qs.filter(verdict_fige__isnull=True)
        return qs.filter(verdict_fige=valeur)

    def filtrer_moi(self, qs, _name, valeur):
        if not valeur:
            return qs
        return qs.filter(agent_referent=self.request.user)

    @property
    def actifs(self) -> bool:
        """Au moins un filtre est appliqué (pour le message « aucun dossier ne correspond »)."""
        if not self.is_bound or not hasattr(self.form, "cleaned_data"):
            return False
        return any(v not in (None, "", False) for v in self.form.cleaned_data.values())


def styler(form) -> None:
    """Les classes Bootstrap des champs (les filtres s'affichent sans crispy : c'est plus vif)."""
    for champ in form.fields.values():
        widget = champ.widget
        if isinstance(widget, forms.CheckboxInput):
            classe = "form-check-input"
        elif isinstance(widget, forms.Select):
            classe = "form-select"
        else:
            classe = "form-control"
        widget.attrs["class"] = classe


def choix_de_filtres(user, annees: list[int] | None = None) -> dict:
    """Les choix des listes déroulantes des filtres : années (celles des dossiers de la file,
    lues ici si l'appelant ne les a pas déjà), agents, départements (admin)."""
    if annees is None:
        annees = list(file_de(user).order_by("-annee").values_list("annee", flat=True).distinct())
    return {
        "annees": annees,
        "agents": list(agents_du_perimetre(user)),
        "departements": list(Departement.objects.visible_to(user)) if user.est_admin else None,
    }


@dataclass
class File:
    """La file construite pour une requête : filtres, compteurs, onglet, tri, dossiers."""

    filtres: DossierFilterSet
    compteurs: dict[str, int]
    onglet: Onglet
    tri: str
    decroissant: bool
    dossiers: QuerySet
    choix: dict

    @property
    def total(self) -> int:
        return self.compteurs[self.onglet.slug]


def construire_file(request, *, enfants: bool = False) -> File:
    """La file telle que la demande ``request.GET`` : le même objet sert la page et les exports
    (qui ajoutent le nombre d'enfants, ``enfants=True``)."""
    user = request.user
    visibles = file_de(user)
    # Une requête donne les années proposées au filtre et, sans filtre appliqué (le cas de
    # l'arrivée sur la page), les compteurs des onglets.
    par_etat_annee = decompter_par_etat_et_annee(visibles)
    annees = sorted({annee for _etat, annee in par_etat_annee}, reverse=True)
    choix = choix_de_filtres(user, annees=annees)
    filtres = DossierFilterSet(request.GET or None, queryset=visibles, request=request, **choix)
    filtres_qs = filtres.qs
    if filtres.actifs:
        compteurs = compter_onglets(filtres_qs)
    else:  # aucun filtre appliqué : filtres_qs est la file entière, déjà comptée
        par_etat: dict[str, int] = {}
        for (etat, _annee), n in par_etat_annee.items():
            par_etat[etat] = par_etat.get(etat, 0) + n
        compteurs = onglets_par_etat(par_etat)
    onglet = onglet_demande(request.GET.get("onglet", ""), user)
    if onglet.etats:
        filtres_qs = filtres_qs.filter(etat__in=ETATS_ONGLET[onglet.slug])
    cle, decroissant = lire_tri(request.GET.get("tri", ""), onglet)
    return File(
        filtres=filtres,
        compteurs=compteurs,
        onglet=onglet,
        tri=cle,
        decroissant=decroissant,
        dossiers=pour_affichage(trier(annoter_file(filtres_qs, enfants=enfants), cle, decroissant)),
        choix=choix,
    )


# --- Comité ----------------------------------------------------------------------------------


class ComiteFilterSet(django_filters.FilterSet):
    """L'ordre du jour du comité : l'année, et le département pour l'administrateur national."""

    annee = django_filters.ChoiceFilter(label="Année scolaire", empty_label="Toutes")
    departement = django_filters.ChoiceFilter(
        label="Département", field_name="departement_id", empty_label="Tous"
    )

    class Meta:
        model = Dossier
        fields: list[str] = []

    def __init__(self, *args, annees=(), departements=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["annee"].extra["choices"] = [(str(a), libelle_annee(a)) for a in annees]
        if departements is None:
            del self.filters["departement"]
        else:
            self.filters["departement"].extra["choices"] = [(d.code, str(d)) for d in departements]
        styler(self.form)


@dataclass
class Comite:
    filtres: ComiteFilterSet
    dossiers: list

    @property
    def totaux(self) -> dict:
        ps_connues = [d.ps_calculee for d in self.dossiers if d.ps_calculee is not None]
        demandes = [d.montant_demande for d in self.dossiers if d.montant_demande is not None]
        return {
            "dossiers": len(self.dossiers),
            "collectifs": sum(d.nb_collectifs for d in self.dossiers),
            "enfants": sum(d.nb_enfants for d in self.dossiers),
            "ps_calculee": sum(ps_connues, Decimal("0")),
            "ps_non_calculees": len(self.dossiers) - len(ps_connues),
            "montant_demande": sum(demandes, Decimal("0")),
            "montants_non_renseignes": len(self.dossiers) - len(demandes),
        }

    @property
    def annee(self):
        return _valeur_filtre(self.filtres, "annee")

    @property
    def departement(self):
        return _valeur_filtre(self.filtres, "departement")


def _valeur_filtre(filtres, nom: str):
    if not filtres.is_bound or not filtres.is_valid():
        return None
    return filtres.form.cleaned_data.get(nom) or None


def construire_comite(request) -> Comite:
    """Les dossiers proposés au comité dans le périmètre de l'utilisateur, toutes pages."""
    user = request.user
    proposes = annoter_file(file_de(user).filter(etat=Etat.PROPOSE_COMITE))
    annees = list(proposes.order_by("-annee").values_list("annee", flat=True).distinct())
    departements = list(Departement.objects.visible_to(user)) if user.est_admin else None
    filtres = ComiteFilterSet(
        request.GET or None,
        queryset=proposes,
        request=request,
        annees=annees,
        departements=departements,
    )
    dossiers = list(
        pour_affichage(filtres.qs).order_by("departement_id", "porteur__raison_sociale", "pk")
    )
    return Comite(filtres=filtres, dossiers=dossiers)


def valeur_filtre(file: File, nom: str):
    """La valeur validée d'un filtre de la file (pour nommer les exports), ou None."""
    return _valeur_filtre(file.filtres, nom)
