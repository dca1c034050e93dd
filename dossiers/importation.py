"""Du format d'échange ``clas-dossier/1`` au modèle : import des dossiers (migration, reprise).

Chaque fichier est importé dans sa propre transaction : un fichier refusé n'écrit rien. Un
dossier dont la ``reference`` a déjà été importée est ignoré, jamais dupliqué.

Les fichiers d'un même passage de la commande forment un lot (``importer_lot``) : ils sont lus
et validés par paquets, et pour chaque paquet les références déjà importées, les porteurs connus
par SIRET, les départements et les paramètres de financement sont lus en une requête chacun, au
lieu d'une par fichier. Chaque fichier garde sa transaction ; dedans, une instruction par table
(porteur s'il est nouveau, dossier, collectifs, créneaux, bilans, évaluation figée).

Sur PostgreSQL, la validation n'attend pas le disque (docs/adr/0004-import-synchronous-commit.md)
et les clés primaires du paquet sont tirées d'avance des séquences (``ReserveCles``) : toutes les
instructions d'un fichier partent en un seul message, avec son BEGIN et son COMMIT quand la
commande n'est dans aucune transaction (``Ecriture``, docs/adr/0005-import-un-envoi-par-fichier.md).
Sur SQLite, chaque table est écrite par ``_inserer``, qui reçoit les clés de la base.
"""

import contextlib
import datetime
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.db.models import NOT_PROVIDED, signals
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from psycopg import pq

from collectifs.models import Collectif, Creneau
from comptes.models import Departement
from porteurs.models import Porteur, valider_siret
from seances.models import BilanAction

from .evaluation import evaluation_a_figer, parametres_des_annees
from .exportation import AXES, CHAMPS_BILAN_ENTIERS, collectif_vers_document, dossier_vers_document
from .format_echange import ErreurFormat, lire
from .models import Dossier, Etat, Evaluation

# Un paquet : les fichiers lus et validés d'avance, dont les références, SIRET, départements et
# années sont résolus en une requête par table. Borné en nombre et en octets (un fichier peut
# peser 5 Mo) pour que la mémoire reste bornée quel que soit le nombre de fichiers.
FICHIERS_PAR_PAQUET = 200
OCTETS_PAR_PAQUET = 16 * 1024 * 1024


@dataclass
class ResultatImport:
    statut: str  # « importe », « ignore » ou « refuse »
    dossier: Dossier | None = None
    problemes: list[str] = field(default_factory=list)
    avertissements: list[str] = field(default_factory=list)
    evaluation: Evaluation | None = None  # l'évaluation figée à l'import
    nombre_collectifs: int = 0  # collectifs enregistrés à l'import


def _decimal(valeur) -> Decimal | None:
    return None if valeur is None else Decimal(str(valeur))


def _date(valeur) -> datetime.date | None:
    return None if valeur is None else datetime.date.fromisoformat(valeur)


def _heure(valeur) -> datetime.time | None:
    return None if valeur is None else datetime.time.fromisoformat(valeur)


def _champs_dossier(document: dict) -> dict:
    charte = document.get("charte") or {}
    coordinateur = document.get("coordinateur") or {}
    actions = document.get("actions") or {}
    champs = {
        "reference": document.get("reference"),
        "renouvellement": document.get("renouvellement"),
        "reperage_concerte_ecole": document.get("reperage_concerte_ecole"),
        "aide_aux_devoirs_exclusive": document.get("aide_aux_devoirs_exclusive"),
        "diagnostic": document.get("diagnostic", ""),
        "coherence_sdsf": document.get("coherence_sdsf"),
        "charte_laicite_neutralite": charte.get("laicite_neutralite"),
        "charte_participation_familles_euros": _decimal(charte.get("participation_familles_euros")),
        "engagement_bilan": document.get("engagement_bilan"),
        "coordinateur_nom": coordinateur.get("nom", ""),
        "coordinateur_niveau_diplome": coordinateur.get("niveau_diplome", ""),
        "coordinateur_experience_animation_education": coordinateur.get(
            "experience_animation_education"
        ),
    }
    for axe, cles in AXES.items():
        textes = actions.get(axe) or {}
        for cle in cles:
            champs[f"{axe}_{cle}"] = textes.get(cle, "")
    instruction = document.get("instruction")
    if instruction:
        champs["etat"] = instruction["decision"]
        champs["montant_accorde"] = _decimal(instruction.get("montant_accorde"))
        champs["date_decision"] = _date(instruction.get("date_decision"))
        champs["motif_decision"] = instruction.get("motif", "")
    else:
        champs["etat"] = Etat.DEPOSE
    return champs


def _collectif(dossier: Dossier, ordre: int, donnees: dict) -> Collectif:
    lieu = donnees.get("lieu") or {}
    return Collectif(
        dossier=dossier,
        ordre=ordre,
        nom=donnees.get("nom", ""),
        classes=list(donnees.get("classes") or []),
        nombre_enfants=donnees.get("nombre_enfants"),
        rural=donnees.get("rural"),
        lieu_nom=lieu.get("nom", ""),
        lieu_adresse=lieu.get("adresse", ""),
        lieu_code_postal=lieu.get("code_postal", ""),
        lieu_commune=lieu.get("commune", ""),
        lieu_unique=lieu.get("lieu_unique"),
        lieu_accessible_parents=lieu.get("accessible_parents"),
        nombre_intervenants=donnees.get("intervenants"),
        semaines_fonctionnement=donnees.get("semaines_fonctionnement"),
        date_debut=_date(donnees.get("date_debut")),
        date_fin=_date(donnees.get("date_fin")),
        depenses_fonctionnement=_decimal(donnees.get("depenses_fonctionnement")),
    )


def _creneaux(collectif: Collectif, donnees: dict) -> list[Creneau]:
    return [
        Creneau(
            collectif=collectif,
            jour=c["jour"],
            debut=_heure(c.get("debut")),
            duree_minutes=c["duree_minutes"],
        )
        for c in donnees.get("creneaux") or []
    ]


def _bilan(collectif: Collectif, donnees: dict) -> BilanAction | None:
    bilan = donnees.get("bilan")
    if not bilan:
        return None
    return BilanAction(
        collectif=collectif,
        statut=BilanAction.Statut.SOUMIS,
        origine=BilanAction.Origine.IMPORT,
        soumis_le=timezone.now(),
        heures_realisees=_decimal(bilan.get("heures_realisees")),
        taux_presence=_decimal(bilan.get("taux_presence")),
        **{champ: bilan.get(champ) for champ in CHAMPS_BILAN_ENTIERS},
    )


_REQUETES_INSERT: dict[tuple, str] = {}
_MODELES_SIMPLES: dict[type, bool] = {}


def _insertion_directe_possible(base, modele, *, par_save: bool) -> bool:
    """Vrai si ``_inserer`` écrit exactement ce qu'écrirait l'ORM pour ce modèle : pas de
    valeur calculée par la base, de champ généré ou de marque de substitution propre à un
    champ, et, quand l'enregistrement de référence est ``save()``, personne à l'écoute de ses
    signaux (``bulk_create`` n'en envoie pas)."""
    if modele not in _MODELES_SIMPLES:
        opts = modele._meta
        _MODELES_SIMPLES[modele] = (
            base.features.can_return_rows_from_bulk_insert
            and list(opts.db_returning_fields) == [opts.pk]
            and not opts.parents
            and opts.order_with_respect_to is None
            and not any(
                f.generated or f.db_default is not NOT_PROVIDED or hasattr(f, "get_placeholder")
                for f in opts.concrete_fields
            )
        )
    return _MODELES_SIMPLES[modele] and not (
        par_save
        and (signals.pre_save.has_listeners(modele) or signals.post_save.has_listeners(modele))
    )


def _inserer(objets: list, *, par_save: bool = False) -> None:
    """Enregistre des objets neufs d'un même modèle : ``INSERT … VALUES (…), (…) RETURNING id``.

    Les mêmes colonnes et les mêmes valeurs que ``bulk_create`` (ou ``save(force_insert=True)``
    si ``par_save``) : chaque valeur passe par ``pre_save`` et ``get_db_prep_save`` de son champ,
    comme dans l'ORM. Ce qui est évité, c'est le travail que Django refait à chaque appel :
    compiler la requête (son texte est gardé ici par modèle et par nombre de lignes) et, sur
    PostgreSQL, passer chaque colonne en tableau pour ``INSERT … SELECT * FROM UNNEST(…)``.
    Un modèle que ``_insertion_directe_possible`` écarte passe par l'ORM.
    """
    if not objets:
        return
    modele = type(objets[0])
    base = transaction.get_connection()  # la connexion elle-même, pas son mandataire par fil
    if not _insertion_directe_possible(base, modele, par_save=par_save):
        if par_save:
            for objet in objets:
                objet.save(force_insert=True)
        else:
            modele.objects.bulk_create(objets)
        return
    opts = modele._meta
    champs = [f for f in opts.concrete_fields if not f.primary_key]
    maximum = base.features.max_query_params  # 999 sur SQLite, sans limite sur PostgreSQL
    par_requete = max(1, maximum // len(champs)) if maximum else len(objets)
    with base.cursor() as curseur:
        for debut in range(0, len(objets), par_requete):
            lot = objets[debut : debut + par_requete]
            cle = (base.vendor, modele, len(lot))
            if cle not in _REQUETES_INSERT:
                nom = base.ops.quote_name
                ligne = f"({', '.join(['%s'] * len(champs))})"
                _REQUETES_INSERT[cle] = (
                    f"INSERT INTO {nom(opts.db_table)} ({', '.join(nom(f.column) for f in champs)}) "
                    f"VALUES {', '.join([ligne] * len(lot))} RETURNING {nom(opts.pk.column)}"
                )
            curseur.execute(
                _REQUETES_INSERT[cle],
                [f.get_db_prep_save(f.pre_save(o, True), base) for o in lot for f in champs],
            )
            for objet, (cle_primaire,) in zip(lot, curseur.fetchall(), strict=True):
                objet.pk = cle_primaire
                objet._state.adding = False
                objet._state.db = base.alias


def _creer_collectifs(
    dossier: Dossier, donnees_collectifs: list[dict], ecriture: "Ecriture"
) -> list[dict]:
    """Enregistre les collectifs, puis tous leurs créneaux, puis tous leurs bilans (une
    instruction par table, dans l'ordre du document) ; rend les documents des collectifs, faits
    depuis ces objets sans relire la base."""
    collectifs = [
        _collectif(dossier, ordre, donnees) for ordre, donnees in enumerate(donnees_collectifs)
    ]
    ecriture.inserer(collectifs)  # clés tirées d'avance, ou rendues par la base (RETURNING)
    paires = list(zip(collectifs, donnees_collectifs, strict=True))
    creneaux = [_creneaux(collectif, donnees) for collectif, donnees in paires]
    bilans = [_bilan(collectif, donnees) for collectif, donnees in paires]
    ecriture.inserer([creneau for liste in creneaux for creneau in liste])
    ecriture.inserer([bilan for bilan in bilans if bilan is not None])
    return [
        collectif_vers_document(collectif, creneaux=liste, bilan=bilan)
        for collectif, liste, bilan in zip(collectifs, creneaux, bilans, strict=True)
    ]


def _cle_tiree_possible(base, modele, *, par_save: bool) -> bool:
    """Vrai si l'``INSERT`` de ce modèle peut attendre l'envoi groupé : insertion directe
    possible, et une clé numérotée par une séquence, que ``ReserveCles`` sait tirer."""
    return isinstance(modele._meta.pk, AutoFieldMixin) and _insertion_directe_possible(
        base, modele, par_save=par_save
    )


def _envoi_groupe_possible(base) -> bool:
    """Vrai sur PostgreSQL quand les curseurs de la connexion fusionnent les paramètres à la
    requête côté client (``psycopg.ClientCursor`` : le réglage par défaut de Django, sans
    ``server_side_binding``) : plusieurs instructions séparées par « ; » partent alors en un
    seul message (protocole simple)."""
    if base.vendor != "postgresql":
        return False
    base.ensure_connection()
    fabrique = getattr(base.connection, "cursor_factory", None)
    return isinstance(fabrique, type) and issubclass(fabrique, psycopg.ClientCursor)


class ReserveCles:
    """Clés primaires tirées d'avance des séquences PostgreSQL, pour écrire les lignes d'un
    fichier (dossier, collectifs et leurs créneaux) sans attendre que la base rende la clé de
    chaque parent : toutes ses instructions partent alors en un seul envoi.

    Une clé tirée et pas utilisée (fichier refusé, fin du lot) laisse un trou dans la
    numérotation, comme une transaction annulée : les séquences ne promettent pas mieux, et
    rien ne dépend de la continuité des clés.
    """

    def __init__(self, base):
        self.base = base
        self.cles: dict[type, deque] = {}

    def completer(self, besoins: dict[type, int]) -> None:
        """Complète la réserve jusqu'à ``besoins`` clés par modèle, en une requête."""
        manquants = {
            modele: nombre - len(self.cles.get(modele, ()))
            for modele, nombre in besoins.items()
            if nombre > len(self.cles.get(modele, ()))
        }
        if not manquants:
            return
        colonnes, parametres = [], []
        for modele, nombre in manquants.items():
            colonnes.append(
                "ARRAY(SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s))"
            )
            nom = self.base.ops.quote_name
            parametres += [nom(modele._meta.db_table), modele._meta.pk.column, nombre]
        with self.base.cursor() as curseur:
            curseur.execute(f"SELECT {', '.join(colonnes)}", parametres)
            ligne = curseur.fetchone()
        for modele, valeurs in zip(manquants, ligne, strict=True):
            self.cles.setdefault(modele, deque()).extend(valeurs)

    def prendre(self, modele, nombre: int) -> list[int]:
        self.completer({modele: nombre})
        reserve = self.cles[modele]
        return [reserve.popleft() for _ in range(nombre)]


class Ecriture:
    """Les insertions d'un fichier et sa transaction.

    Sur PostgreSQL (``_envoi_groupe_possible``), chaque objet reçoit une clé de la réserve et
    son ``INSERT`` attend ; ``envoyer`` les fait partir tous ensemble, précédés du
    ``SET LOCAL synchronous_commit TO OFF`` de l'import (docs/adr/0004) : un aller-retour avec
    le serveur pour tout le fichier au lieu d'un par table. Ailleurs, ou pour un modèle que
    ``_cle_tiree_possible`` écarte, ``inserer`` écrit tout de suite (``_inserer``), après
    ce qui attendait. Les lignes écrites sont les mêmes dans tous les cas.

    ``transaction()`` est la transaction du fichier. Hors de toute transaction Django (la
    commande), quand tout part en un envoi, le ``BEGIN`` et le ``COMMIT`` font partie du même
    message que les ``INSERT`` (PostgreSQL exécute un message de plusieurs instructions dans
    l'ordre et s'arrête à la première erreur) : une erreur laisse la transaction ouverte en
    échec, que ``transaction()`` annule aussitôt (``ROLLBACK``). Sinon, c'est un
    ``transaction.atomic()`` de Django, qui n'est qu'un point de sauvegarde quand l'appelant a
    déjà ouvert une transaction.
    """

    def __init__(self, base, reserve: ReserveCles | None):
        self.base = base
        self.reserve = reserve
        self.message_unique = False
        self.instructions: list[str] = []
        self.parametres: list = []
        self.objets: list = []

    @contextlib.contextmanager
    def transaction(self):
        base = self.base
        self.message_unique = (
            self.reserve is not None
            and base.get_autocommit()
            and not base.in_atomic_block
            and all(
                _cle_tiree_possible(base, modele, par_save=modele in _PAR_SAVE)
                for modele in _MODELES_IMPORTES
            )
        )
        if not self.message_unique:
            with transaction.atomic(using=base.alias):
                self._commencer()
                yield
            return
        self._commencer()
        try:
            yield
        except BaseException:
            self._annuler()
            raise  # l'exception d'origine, même si l'annulation a échoué
        finally:
            self.instructions, self.parametres, self.objets = [], [], []

    def _annuler(self) -> None:
        """Après une erreur en message unique. Une erreur dans le message laisse la transaction
        ouverte en échec : ``ROLLBACK``, et la connexion resert pour le fichier suivant. Une
        erreur au COMMIT l'a terminée : rien à faire. Une connexion perdue ou dans un état
        inconnu (serveur arrêté, annulation interrompue), ou un ROLLBACK qui échoue : la
        connexion est fermée, comme le fait ``transaction.atomic()`` ; Django en ouvrira une
        autre pour le fichier suivant."""
        base = self.base
        statut = base.connection.info.transaction_status if base.connection else None
        try:
            if statut in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
                with base.cursor() as curseur:
                    curseur.execute("ROLLBACK")
            elif statut not in (None, pq.TransactionStatus.IDLE):
                base.close()
        except Exception:
            base.close()

    def _commencer(self) -> None:
        """Dans la transaction du fichier, avant toute écriture."""
        if self.base.vendor != "postgresql":
            return
        if self.reserve is not None:
            self.instructions.append(_SYNCHRONOUS_COMMIT_OFF)
        else:
            with self.base.cursor() as curseur:
                curseur.execute(_SYNCHRONOUS_COMMIT_OFF)

    def inserer(self, objets: list, *, par_save: bool = False) -> None:
        if not objets:
            return
        modele = type(objets[0])
        if self.reserve is None or not _cle_tiree_possible(self.base, modele, par_save=par_save):
            if self.message_unique:  # exclu par transaction() : ce serait hors transaction
                raise RuntimeError(f"{modele.__name__} ne peut pas attendre le message unique")
            self.envoyer()  # ce qui attendait part d'abord : l'ordre des écritures est gardé
            _inserer(objets, par_save=par_save)
            return
        for objet, cle in zip(objets, self.reserve.prendre(modele, len(objets)), strict=True):
            objet.pk = cle
        champs = modele._meta.concrete_fields  # clé primaire comprise : elle est connue
        cle = (self.base.vendor, modele, len(objets), "cles")
        if cle not in _REQUETES_INSERT:
            nom = self.base.ops.quote_name
            ligne = f"({', '.join(['%s'] * len(champs))})"
            _REQUETES_INSERT[cle] = (
                f"INSERT INTO {nom(modele._meta.db_table)} "
                f"({', '.join(nom(f.column) for f in champs)}) "
                f"VALUES {', '.join([ligne] * len(objets))}"
            )
        self.instructions.append(_REQUETES_INSERT[cle])
        self.parametres += [
            f.get_db_prep_save(f.pre_save(o, True), self.base) for o in objets for f in champs
        ]
        self.objets += objets

    def envoyer(self) -> None:
        """Fait partir ce qui attend ; en message unique, c'est aussi la validation."""
        instructions = self.instructions
        if self.message_unique:
            instructions = ["BEGIN", *instructions, "COMMIT"]
        elif not instructions:
            return
        with self.base.cursor() as curseur:
            curseur.execute("; ".join(instructions), self.parametres or None)
        for objet in self.objets:
            objet._state.adding = False
            objet._state.db = self.base.alias
        self.instructions, self.parametres, self.objets = [], [], []


def _champ_porteur_manquant(siret: str) -> ErreurFormat:
    return ErreurFormat(
        [f"porteur.nom : obligatoire pour créer le porteur de SIRET {siret}, inconnu du portail"]
    )


def _nouveau_porteur(donnees: dict, siret: str, code_departement: str) -> Porteur:
    return Porteur(
        raison_sociale=donnees["nom"],
        siret=siret,
        forme=donnees.get("forme") or "autre",
        adresse=donnees.get("adresse", ""),
        code_postal=donnees.get("code_postal", ""),
        commune=donnees.get("commune", ""),
        email=donnees.get("email", ""),
        departement_id=code_departement,
    )


# PostgreSQL : la validation de la transaction d'un fichier n'attend pas l'écriture du journal
# sur disque (docs/adr/0004-import-synchronous-commit.md). Compromis propre à un import en masse
# idempotent : si le serveur s'arrête brutalement, les derniers fichiers validés (moins d'une
# seconde) peuvent être perdus, jamais à moitié écrits ni corrompus ; relancer la commande les
# importe de nouveau (les autres sont ignorés par leur référence). ``LOCAL`` : le réglage ne vaut
# que pour cette transaction, pas pour le reste de la connexion.
_SYNCHRONOUS_COMMIT_OFF = "SET LOCAL synchronous_commit TO OFF"

# Ce que l'import écrit, et ce qu'il enregistre un par un avec ``save()`` (le reste par lots).
_MODELES_IMPORTES = (Porteur, Dossier, Collectif, Creneau, BilanAction, Evaluation)
_PAR_SAVE = (Dossier, Evaluation, Porteur)

_INCONNU = object()  # SIRET pas encore cherché en base (≠ None : cherché, absent)

Source = bytes | Callable[[], bytes]


class LotImport:
    """Ce qu'un passage de la commande sait déjà de la base, pour ne pas le relire par fichier.

    Tout est lu au début de chaque paquet (``preparer``), une requête par table, puis tenu à
    jour par les imports du paquet ; rien n'est gardé d'un paquet à l'autre, la mémoire reste
    donc bornée et ce qui a changé en base entre-temps est relu.

    - ``references`` : référence → dossier déjà importé, ou None si elle ne l'est pas ;
    - ``porteurs`` : SIRET → porteur enregistré, ou None s'il n'existe pas. Un porteur créé par un
      fichier n'y entre qu'une fois la transaction de ce fichier validée : si elle est annulée, le
      porteur n'existe pas, et le fichier suivant du même SIRET le crée de nouveau ;
    - ``departements`` (codes connus) et ``parametres`` (financement et édition par année).
    """

    def __init__(self):
        self.references: dict[str, Dossier | None] = {}
        self.porteurs: dict[str, Porteur | None] = {}
        self.departements: set[str] = set()
        self.parametres: dict = {}
        base = transaction.get_connection()
        self.reserve = ReserveCles(base) if _envoi_groupe_possible(base) else None

    # --- résolution d'un paquet, une requête par table ------------------------------------
    def preparer(self, documents: list[dict]) -> None:
        references = {d["reference"] for d in documents if d.get("reference")}
        trouves = {}
        if references:
            trouves = {
                d.reference: d for d in Dossier.objects.filter(reference__in=references).order_by()
            }
        self.references = {reference: trouves.get(reference) for reference in references}
        sirets = {(d.get("porteur") or {}).get("siret") for d in documents} - {None, ""}
        trouves = {}
        if sirets:
            trouves = {p.siret: p for p in Porteur.objects.filter(siret__in=sirets).order_by()}
        self.porteurs = {siret: trouves.get(siret) for siret in sirets}
        self.departements = set(Departement.objects.values_list("code", flat=True))
        self.parametres = parametres_des_annees({int(d["annee_scolaire"][:4]) for d in documents})
        if self.reserve is not None:
            self._reserver_cles(documents)

    def _reserver_cles(self, documents: list[dict]) -> None:
        """Les clés dont le paquet aura besoin, en une requête : un dossier et une évaluation
        par document pas encore importé, ses collectifs, créneaux et bilans, un porteur par
        SIRET inconnu (un document refusé ensuite laisse les siennes au suivant)."""
        a_importer = [d for d in documents if self.references.get(d.get("reference")) is None]
        collectifs = [c for d in a_importer for c in d.get("collectifs") or []]
        besoins = {
            Dossier: len(a_importer),
            Evaluation: len(a_importer),
            Collectif: len(collectifs),
            Creneau: sum(len(c.get("creneaux") or []) for c in collectifs),
            BilanAction: sum(1 for c in collectifs if c.get("bilan")),
            Porteur: sum(1 for siret, porteur in self.porteurs.items() if porteur is None),
        }
        base = self.reserve.base
        self.reserve.completer(
            {
                modele: nombre
                for modele, nombre in besoins.items()
                if _cle_tiree_possible(base, modele, par_save=modele in _PAR_SAVE)
            }
        )

    # --- un document ----------------------------------------------------------------------
    def _deja_importe(self, reference: str | None) -> Dossier | None:
        if not reference:
            return None
        if reference not in self.references:
            self.references[reference] = (
                Dossier.objects.filter(reference=reference).order_by().first()
            )
        return self.references[reference]

    def _porteur(
        self, document: dict, code_departement: str, nouveaux: dict, ecriture: Ecriture
    ) -> Porteur:
        """Le porteur du SIRET, trouvé ou créé ; ``nouveaux`` reçoit celui qui est créé."""
        donnees = document.get("porteur") or {}
        siret = donnees.get("siret")
        if not siret:
            raise ErreurFormat(["porteur.siret : obligatoire pour importer un dossier"])
        try:
            valider_siret(siret)
        except ValidationError as exc:
            raise ErreurFormat([f"porteur.siret : {exc.messages[0]}"]) from exc
        porteur = self.porteurs.get(siret, _INCONNU)
        if porteur is _INCONNU:
            porteur = nouveaux[siret] = Porteur.objects.filter(siret=siret).first()
        if porteur is not None:
            return porteur
        if not donnees.get("nom"):
            raise _champ_porteur_manquant(siret)
        porteur = _nouveau_porteur(donnees, siret, code_departement)
        ecriture.inserer([porteur], par_save=True)
        nouveaux[siret] = porteur
        return porteur

    def importer_document(self, document: dict) -> ResultatImport:
        """Enregistre un document déjà validé, dans sa transaction ; rien n'est écrit en cas
        d'erreur."""
        reference = document.get("reference")
        existant = self._deja_importe(reference)
        if existant is not None:
            return ResultatImport("ignore", dossier=existant)
        code_departement = document["departement"]
        if code_departement not in self.departements:
            self.departements = set(Departement.objects.values_list("code", flat=True))
            if code_departement not in self.departements:
                raise ErreurFormat(
                    [
                        f"departement : « {code_departement} » n'est pas un département connu "
                        "du portail"
                    ]
                )
        annee = int(document["annee_scolaire"][:4])
        if annee not in self.parametres:
            self.parametres.update(parametres_des_annees([annee]))
        avertissements = []
        if not reference:
            avertissements.append(
                "pas de « reference » : importer de nouveau ce fichier créerait un second dossier"
            )
        nouveaux: dict[str, Porteur] = {}
        ecriture = Ecriture(transaction.get_connection(), self.reserve)
        try:
            with ecriture.transaction():
                porteur = self._porteur(document, code_departement, nouveaux, ecriture)
                dossier = Dossier(
                    porteur=porteur,
                    departement_id=code_departement,
                    annee=annee,
                    depose_le=timezone.now(),
                    **_champs_dossier(document),
                )
                ecriture.inserer([dossier], par_save=True)
                collectifs = _creer_collectifs(dossier, document["collectifs"], ecriture)
                # L'évaluation figée part des objets tout juste enregistrés : le même document
                # que dossier_vers_document relirait en base, sans le relire.
                entree = dossier_vers_document(dossier, avec_decision=False, collectifs=collectifs)
                evaluation = evaluation_a_figer(
                    dossier,
                    Evaluation.Motif.IMPORT,
                    document=entree,
                    parametres=self.parametres[annee],
                )
                ecriture.inserer([evaluation], par_save=True)
                ecriture.envoyer()
        except IntegrityError as exc:
            # Le porteur lu d'avance a pu disparaître, ou un autre import concurrent créer le
            # même SIRET : il sera cherché de nouveau en base.
            self.porteurs.pop((document.get("porteur") or {}).get("siret"), None)
            self.references.pop(reference, None)
            existant = self._deja_importe(reference)
            if existant is not None:
                # Un autre import concurrent vient d'enregistrer la même référence.
                return ResultatImport("ignore", dossier=existant)
            # Une ligne : PostgreSQL ajoute au message un « DETAIL » qui recopie toute la ligne.
            cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ErreurFormat([f"(document) : refusé par la base de données : {cause}"]) from exc
        except OperationalError as exc:
            # La connexion perdue (serveur arrêté, redémarré) ou la requête annulée : rien de ce
            # fichier n'est écrit ; les suivants passent par une nouvelle connexion.
            cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ErreurFormat(
                [
                    "(document) : la base de données n'a pas pu enregistrer ce fichier "
                    f"({cause}) ; rien n'en a été écrit, relancez l'import pour lui"
                ]
            ) from exc
        except (DatabaseError, ArithmeticError, OverflowError, ValidationError) as exc:
            # Filet de sécurité : une valeur que la base ne sait pas stocker n'arrête pas l'import
            # des autres fichiers ; la transaction a tout annulé pour celui-ci.
            raise ErreurFormat(
                [f"(document) : une valeur dépasse la capacité du portail ({type(exc).__name__})"]
            ) from exc
        # Validée : ce qu'elle a créé existe désormais pour les fichiers suivants du lot.
        self.porteurs.update(nouveaux)
        if reference:
            self.references[reference] = dossier
        return ResultatImport(
            "importe",
            dossier=dossier,
            avertissements=avertissements,
            evaluation=evaluation,
            nombre_collectifs=len(collectifs),
        )

    def importer(self, sources: Iterable[Source]) -> Iterator[ResultatImport]:
        """Importe chaque source (des octets, ou une fonction qui les lit et peut lever
        ``ErreurFormat``), dans l'ordre, et rend un résultat par source, dans le même ordre."""
        paquet: list[dict | ErreurFormat] = []
        octets_du_paquet = 0
        for source in sources:
            try:
                octets = source() if callable(source) else source
                octets_du_paquet += len(octets)
                paquet.append(lire(octets))
            except ErreurFormat as exc:
                paquet.append(exc)
            if len(paquet) >= FICHIERS_PAR_PAQUET or octets_du_paquet >= OCTETS_PAR_PAQUET:
                yield from self._importer_paquet(paquet)
                paquet, octets_du_paquet = [], 0
        if paquet:
            yield from self._importer_paquet(paquet)

    def _importer_paquet(self, paquet: list) -> Iterator[ResultatImport]:
        self.preparer([d for d in paquet if not isinstance(d, ErreurFormat)])
        for element in paquet:
            if isinstance(element, ErreurFormat):
                yield ResultatImport("refuse", problemes=element.problemes)
                continue
            try:
                yield self.importer_document(element)
            except ErreurFormat as exc:
                yield ResultatImport("refuse", problemes=exc.problemes)


def importer_lot(sources: Iterable[Source]) -> Iterator[ResultatImport]:
    """Importe les fichiers d'un passage de la commande, chacun dans sa transaction."""
    return LotImport().importer(sources)


def importer_document(document: dict) -> ResultatImport:
    """Enregistre un document déjà validé, dans une transaction ; rien n'est écrit en cas d'erreur."""
    lot = LotImport()
    lot.preparer([document])
    return lot.importer_document(document)


def importer_octets(octets: bytes) -> ResultatImport:
    """Lit, valide et importe un fichier ; un fichier refusé l'est en entier."""
    return next(importer_lot([octets]))
