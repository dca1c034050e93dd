"""La génération du bilan : la demande (``demander_bilan``) et la tâche Celery (``bilans.generer``).

Le bouton du site et la commande ``generer_bilan`` passent par ``demander_bilan`` ; le site met la
tâche dans la file (un worker la prend), la commande l'exécute dans son propre processus.

La tâche est idempotente et survit à l'arrêt brutal d'un worker (``acks_late``, le message revient
dans la file) :

- une génération déjà terminée (ou en échec) n'est pas refaite ;
- chaque exécution inscrit d'abord sur la ligne les noms (aléatoires) des fichiers qu'elle va
  écrire ; une reprise efface les fichiers d'une exécution interrompue, peut-être à moitié écrits,
  et les écrit à nouveau ;
- la ligne ne passe « terminée » que si elle désigne toujours les fichiers de cette exécution
  (une exécution plus récente l'emporte ; la plus ancienne efface ses fichiers et s'efface).
"""

import json
import logging
import time

from celery import shared_task
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from clas_portal.taches import TacheFiable, differer

from .models import ETATS_EN_COURS, EtatGeneration, GenerationBilan, chemin_json, chemin_pdf

journal = logging.getLogger(__name__)

# Au-delà de trois exécutions interrompues (worker tué, limite de temps dure…), la génération
# est déclarée en échec au lieu de revenir sans fin dans la file.
TENTATIVES_MAX = 3


# --- La demande ------------------------------------------------------------------------------
def _code(departement) -> str | None:
    if departement is None:
        return None
    return departement if isinstance(departement, str) else departement.code


def empreinte_actuelle(departement_code: str | None, annee: int) -> str:
    from .indicateurs import rassembler_bilan

    return rassembler_bilan(departement_code, annee).empreinte


def _abandonner_les_perimees(departement_code: str | None, annee: int) -> int:
    """Déclare en échec les générations du périmètre qui semblent interrompues (sans nouvelle
    depuis ``delai_abandon()``, voir ``GenerationBilanQuerySet.perimees``) ; rend leur nombre.

    Une seule requête, la condition de péremption comprise : une génération qui vient de donner
    des nouvelles n'est pas abandonnée."""
    return (
        GenerationBilan.objects.du_perimetre(departement_code, annee)
        .perimees()
        .update(
            etat=EtatGeneration.ECHEC,
            erreur="La génération n'a plus donné de nouvelles (aucun worker ne l'a menée à "
            "terme) : elle a été abandonnée.",
            actualisee_le=timezone.now(),
        )
    )


def demander_bilan(departement, annee: int, user, *, en_file: bool = True) -> GenerationBilan:
    """Demande le bilan du département (``Departement``, son code, ou ``None`` pour le bilan
    national) pour l'année scolaire commençant en ``annee``.

    - données inchangées depuis une génération terminée (même empreinte) : on la rend, sans
      nouvelle tâche ;
    - une génération déjà en cours pour ce périmètre et cette année : on la rend ;
    - sinon une nouvelle génération, mise dans la boîte d'envoi des tâches
      (``clas_portal.taches.differer``) dans la même transaction : publiée après validation,
      ou par le relais planifié si le broker est injoignable (elle reste alors « en attente »,
      jamais perdue) ; ``en_file=False`` : la commande l'exécute elle-même.

    L'attribut ``issue`` de la génération rendue dit lequel : « existante », « en_cours » ou
    « nouvelle » ; ``abandonnees`` (nouvelle seulement), combien de générations qui semblaient
    interrompues (``GenerationBilan.semble_interrompue``) ont d'abord été abandonnées : c'est
    ainsi qu'on relance une génération bloquée. Deux demandes simultanées ne créent qu'une ligne : la contrainte d'unicité
    partielle de la base refuse la seconde, qui rend alors la première.
    """
    code = _code(departement)
    empreinte = empreinte_actuelle(code, annee)
    perimetre = GenerationBilan.objects.du_perimetre(code, annee)
    abandonnees = _abandonner_les_perimees(code, annee)
    for _essai in range(3):
        existante = perimetre.terminees().filter(empreinte=empreinte).first()
        if existante is not None:
            existante.issue = "existante"
            return existante
        try:
            with transaction.atomic():
                generation = GenerationBilan.objects.create(
                    departement_id=code,
                    annee=annee,
                    empreinte=empreinte,
                    demandee_par=user if user is not None and user.is_authenticated else None,
                    etape="En attente d'un worker",
                )
                if en_file:
                    ligne = differer("bilans.generer", generation.pk)
                    generation.task_id = ligne.task_id
                    generation.save(update_fields=["task_id"])
        except IntegrityError:
            en_cours = perimetre.en_cours().first()
            if en_cours is not None:
                en_cours.issue = "en_cours"
                return en_cours
            # Elle vient de finir entre-temps : on recommence (peut-être l'empreinte est la même).
            continue
        generation.issue = "nouvelle"
        generation.abandonnees = abandonnees
        return generation
    raise RuntimeError("La génération du bilan n'a pas pu être enregistrée.")


# --- La tâche ----------------------------------------------------------------------------------
class _Execution:
    """Une exécution de la tâche sur une génération : elle ne touche la ligne que tant que la
    ligne désigne ses fichiers."""

    def __init__(self, generation: GenerationBilan, nom_pdf: str, nom_json: str):
        self.generation = generation
        self.nom_pdf = nom_pdf
        self.nom_json = nom_json

    def _la_mienne(self):
        return GenerationBilan.objects.filter(
            pk=self.generation.pk, fichier_pdf=self.nom_pdf, etat__in=ETATS_EN_COURS
        )

    def avancer(self, progression: int, etape: str) -> None:
        """Inscrit la progression ; au mieux : une base momentanément verrouillée ne fait pas
        échouer la génération pour une barre de progression."""
        try:
            self._la_mienne().update(
                progression=progression, etape=etape[:120], actualisee_le=timezone.now()
            )
        except OperationalError:
            journal.warning("Progression de la génération %s non inscrite", self.generation.pk)

    def effacer_fichiers(self) -> None:
        for nom in (self.nom_pdf, self.nom_json):
            default_storage.delete(nom)


def _ecrire(nom: str, contenu: bytes) -> None:
    """Écrit ``contenu`` sous ``nom`` exactement (en remplaçant un reste d'exécution
    interrompue)."""
    default_storage.delete(nom)
    ecrit = default_storage.save(nom, ContentFile(contenu))
    if ecrit != nom:  # pragma: no cover — le stockage n'a pas pris le nom prévu
        default_storage.delete(ecrit)
        raise RuntimeError(f"Le fichier {nom} n'a pas pu être écrit sous son nom.")


def _reprendre(generation_id: int) -> _Execution | None:
    """Prend la génération pour cette exécution : efface les fichiers d'une exécution
    interrompue, inscrit les noms des nouveaux. ``None`` s'il n'y a rien à faire."""
    with transaction.atomic():
        generation = (
            GenerationBilan.objects.select_for_update(of=("self",))
            .select_related("departement")
            .filter(pk=generation_id)
            .first()
        )
        if generation is None or generation.etat not in ETATS_EN_COURS:
            return None
        anciens = [f.name for f in (generation.fichier_pdf, generation.fichier_json) if f]
        maintenant = timezone.now()
        generation.tentatives += 1
        if generation.tentatives > TENTATIVES_MAX:
            generation.etat = EtatGeneration.ECHEC
            generation.erreur = (
                f"La génération a été interrompue {TENTATIVES_MAX} fois (arrêt du worker ou "
                "limite de temps dépassée) : elle est abandonnée."
            )
            generation.fichier_pdf = generation.fichier_json = ""
            generation.actualisee_le = maintenant
            generation.save()
            execution = None
        else:
            generation.fichier_pdf.name = chemin_pdf(generation, "")
            generation.fichier_json.name = chemin_json(generation, "")
            generation.etat = EtatGeneration.EN_COURS
            generation.commencee_le = generation.commencee_le or maintenant
            generation.actualisee_le = maintenant
            generation.etape = "Rassemblement des données"
            generation.progression = 10
            generation.erreur = ""
            generation.save()
            execution = _Execution(
                generation, generation.fichier_pdf.name, generation.fichier_json.name
            )
    for nom in anciens:  # restes d'une exécution interrompue
        default_storage.delete(nom)
    return execution


def construire(generation_id: int) -> dict:
    """Le corps de la tâche : rassemble les données, dessine les graphiques, met en page le PDF,
    enregistre le PDF et le JSON. Rend un petit résumé (stocké comme résultat de la tâche)."""
    from .indicateurs import indicateurs_par_departement, rassembler_bilan
    from .pdf import faire_graphiques, rendre_bilan

    execution = _reprendre(generation_id)
    if execution is None:
        generation = GenerationBilan.objects.filter(pk=generation_id).first()
        return {"generation": generation_id, "etat": generation.etat if generation else None}
    generation = execution.generation
    code = generation.departement_id
    debut = time.perf_counter()
    try:
        donnees = rassembler_bilan(code, generation.annee)
        par_departement = indicateurs_par_departement(generation.annee) if code is None else None
        fin_donnees = time.perf_counter()
        execution.avancer(30, "Graphiques")
        graphes = faire_graphiques(donnees)
        pdf, pages = rendre_bilan(
            donnees,
            graphes,
            genere_le=timezone.now(),
            par_departement=par_departement,
            progression=execution.avancer,
        )
        fin_pdf = time.perf_counter()
        execution.avancer(95, "Enregistrement")
        indicateurs = json.dumps(
            donnees.indicateurs, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder
        )
        _ecrire(execution.nom_pdf, pdf)
        _ecrire(execution.nom_json, (indicateurs + "\n").encode())
        try:
            with transaction.atomic():
                finie = execution._la_mienne().update(
                    etat=EtatGeneration.TERMINEE,
                    empreinte=donnees.empreinte,
                    taille=len(pdf),
                    pages=pages,
                    progression=100,
                    etape="Terminé",
                    terminee_le=timezone.now(),
                    actualisee_le=timezone.now(),
                )
        except IntegrityError:
            # Les données ont changé depuis la demande et une autre génération, terminée, a
            # déjà exactement ces données-là : on la désigne au lieu de faire un doublon.
            jumelle = (
                GenerationBilan.objects.du_perimetre(code, generation.annee)
                .terminees()
                .filter(empreinte=donnees.empreinte)
                .first()
            )
            execution._la_mienne().update(
                etat=EtatGeneration.ECHEC,
                erreur="Les données ont changé depuis la demande ; un bilan identique existe "
                f"déjà (génération n° {jumelle.pk if jumelle else '?'}).",
                actualisee_le=timezone.now(),
            )
            finie = 0
        if not finie:
            execution.effacer_fichiers()
        generation.refresh_from_db()
        return {
            "generation": generation_id,
            "etat": generation.etat,
            "pages": pages,
            # Durées (secondes) : données rassemblées, graphiques + WeasyPrint, en tout.
            "donnees_s": round(fin_donnees - debut, 3),
            "pdf_s": round(fin_pdf - fin_donnees, 3),
            "total_s": round(time.perf_counter() - debut, 3),
        }
    except BaseException as exc:
        # Échec (ou limite de temps douce) : la ligne le dit et libère la place pour une
        # nouvelle demande. Un arrêt brutal du worker n'arrive pas jusqu'ici (reprise).
        if isinstance(exc, Exception):
            execution._la_mienne().update(
                etat=EtatGeneration.ECHEC,
                erreur=f"{exc.__class__.__name__} : {exc}"[:2000],
                actualisee_le=timezone.now(),
            )
            execution.effacer_fichiers()
        raise


@shared_task(
    name="bilans.generer",
    bind=True,
    base=TacheFiable,
    # La construction gère ses transactions (progression visible pendant le calcul) et son
    # idempotence (une génération terminée n'est jamais refaite) : pas de transaction autour.
    execution_en_transaction=False,
    autoretry_for=(),
    max_retries=0,
)
def generer(self, generation_id: int) -> dict:
    """Construit la génération de bilan ``generation_id`` (idempotente, reprise sans risque)."""
    if self.request.id:
        GenerationBilan.objects.filter(pk=generation_id, task_id="").update(task_id=self.request.id)
    return construire(generation_id)


def lire(champ_fichier) -> bytes:
    with champ_fichier.open("rb") as flux:
        return flux.read()
