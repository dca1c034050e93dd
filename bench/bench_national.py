"""Banc d'essai à l'échelle nationale (script, pas un test) : peuplement, puis temps serveur.

Peuple une base neuve (celle de ``DATABASE_URL``, migrée par le lanceur ``bench/run.py`` ; les
101 départements viennent de la migration) par insertions groupées, dans une transaction :

- 3 000 porteurs et 4 000 dossiers, dont 500 dans le Nord (59) : dans chaque département, un
  dossier 2025-2026 par porteur, dans tous les états (brouillon, déposé, en instruction,
  complément demandé, proposé au comité, accepté, refusé, classé sans suite), et, pour un quart
  des porteurs, leur dossier 2024-2025 décidé ;
- 12 000 collectifs (3 par dossier) avec leurs créneaux, deux intervenants par dossier, le budget,
  les pièces du dossier et de l'organisation, l'historique, les messages, les évaluations figées
  (au dépôt et à la décision : quelques dizaines de résultats du moteur, calculés pour de vrai et
  réutilisés d'un dossier à l'autre, comme ``bench_bilan``), les bilans de l'action des
  collectifs acceptés ; un compte par porteur, des agents et un secrétariat par département, les
  campagnes 2024 et 2025.

Puis mesure, avec le client de test de Django (tout le chemin serveur : intergiciels, vue,
requêtes, gabarit ; ``DEBUG=0``), trois requêtes d'échauffement puis la médiane de N requêtes,
et le nombre de requêtes SQL d'un appel (``CaptureQueriesContext``) :

- la file d'attente d'un agent du 59 (``/dossiers/``, onglet par défaut « À instruire ») ;
- la même file pour l'administrateur national (``/dossiers/?onglet=tous``, toute la France) ;
- la liste des dossiers de l'administration Django filtrée sur le 59 (les mêmes 500 dossiers) ;
- la page d'un dossier du 59 en instruction (3 collectifs, pièces, messages, historique, points
  de contrôle, note interne), pour l'agent ;
- l'enregistrement de l'étape « projet » d'un brouillon par un membre de son organisation (POST,
  réponse 302 ; deux saisies alternées pour que chaque envoi écrive vraiment).

La dernière ligne est un JSON {"file_ms": …, "page_dossier_ms": …, "etape_ms": …, …}.

    DATABASE_URL=... .venv/bin/python bench/bench_national.py [--requetes 30] [--graine 2026]
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))
sys.path.insert(0, str(RACINE / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clas_portal.settings")
# Comme en service : sans le mode débogage (qui garde chaque requête SQL en mémoire).
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from bench_bilan import COMMUNES, bilan_genere  # noqa: E402
from bench_file import mesurer  # noqa: E402
from bench_import import siret  # noqa: E402
from bench_moteur import generer_dossier  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from collectifs.models import Collectif, Creneau, Intervenant  # noqa: E402
from comptes.models import Departement, Role, Utilisateur  # noqa: E402
from dossiers.evaluation import empreinte  # noqa: E402
from dossiers.exportation import AXES, dossier_vers_document  # noqa: E402
from dossiers.models import (  # noqa: E402
    Campagne,
    Dossier,
    Etat,
    Evaluation,
    Evenement,
    LigneBudget,
    Message,
    NotePrivee,
    PieceJustificative,
    PointControle,
)
from eligibility.editions import ParametresFinancement  # noqa: E402
from eligibility.moteur import dumps_evaluation, evaluer  # noqa: E402
from porteurs.models import Membre, PiecePermanente, Porteur  # noqa: E402
from seances.models import BilanAction  # noqa: E402

MOT_DE_PASSE = "banc-national-2026"
PORTEURS, DOSSIERS, DOSSIERS_59 = 3000, 4000, 500
BATCH = 2000
# Répartition des dossiers 2025-2026 entre les états (poids) ; ceux de 2024-2025 sont décidés.
ETATS_2025 = {
    Etat.BROUILLON: 6,
    Etat.DEPOSE: 30,
    Etat.EN_INSTRUCTION: 20,
    Etat.COMPLEMENT_DEMANDE: 8,
    Etat.PROPOSE_COMITE: 10,
    Etat.ACCEPTE: 18,
    Etat.REFUSE: 5,
    Etat.SANS_SUITE: 3,
}
ETATS_2024 = {Etat.ACCEPTE: 85, Etat.REFUSE: 10, Etat.SANS_SUITE: 5}
# Étapes du parcours franchies avant chaque état (pour l'historique du dossier).
PARCOURS = {
    Etat.BROUILLON: [],
    Etat.DEPOSE: [],
    Etat.EN_INSTRUCTION: [Etat.EN_INSTRUCTION],
    Etat.COMPLEMENT_DEMANDE: [Etat.EN_INSTRUCTION, Etat.COMPLEMENT_DEMANDE],
    Etat.PROPOSE_COMITE: [Etat.EN_INSTRUCTION, Etat.PROPOSE_COMITE],
    Etat.ACCEPTE: [Etat.EN_INSTRUCTION, Etat.PROPOSE_COMITE, Etat.ACCEPTE],
    Etat.REFUSE: [Etat.EN_INSTRUCTION, Etat.REFUSE],
    Etat.SANS_SUITE: [Etat.EN_INSTRUCTION, Etat.SANS_SUITE],
}
PROJET_A = {
    "intitule": "Clas du quartier de l'Alma",
    "renouvellement": "false",
    "diagnostic": "Difficultés de lecture repérées en CM1 par les enseignants du quartier.",
    "coherence_sdsf": "true",
    "reperage_concerte_ecole": "true",
    "aide_aux_devoirs_exclusive": "false",
    "action": "enregistrer",
}
PROJET_B = {**PROJET_A, "intitule": "Clas du quartier de l'Alma (renouvellement)"}
PDF_FACTICE = {"type_mime": "application/pdf", "extension": "pdf", "taille": 184_320}


def _tirer(rng: random.Random, poids: dict) -> str:
    return rng.choices(list(poids), weights=list(poids.values()))[0]


def _modeles(rng: random.Random) -> dict[int, list[tuple[dict, dict]]]:
    """Par année : des couples (document, résultat du moteur) réutilisés d'un dossier à l'autre."""
    financement = ParametresFinancement(Decimal("0.325"), Decimal("7886.00"))
    modeles = {}
    for annee, nombre in ((2025, 40), (2024, 12)):
        modeles[annee] = []
        for _ in range(nombre):
            document = generer_dossier(rng)
            document.update(annee_scolaire=f"{annee}-{annee + 1}")
            resultat = json.loads(dumps_evaluation(evaluer(document, financement)))
            modeles[annee].append((document, resultat))
    return modeles


def _decimal(valeur) -> Decimal | None:
    return None if valeur is None else Decimal(str(valeur))


def _champs_dossier(document: dict) -> dict:
    """Les champs du dossier lus dans un document ``clas-dossier/1`` (comme l'import)."""
    charte, coordinateur = document.get("charte") or {}, document.get("coordinateur") or {}
    actions = document.get("actions") or {}
    champs = {
        "reperage_concerte_ecole": document.get("reperage_concerte_ecole"),
        "aide_aux_devoirs_exclusive": document.get("aide_aux_devoirs_exclusive"),
        "diagnostic": document.get("diagnostic", ""),
        "coherence_sdsf": document.get("coherence_sdsf"),
        "charte_laicite_neutralite": charte.get("laicite_neutralite"),
        "charte_participation_familles_euros": _decimal(charte.get("participation_familles_euros")),
        "engagement_bilan": document.get("engagement_bilan"),
        "coordinateur_nom": "Camille Martin",
        "coordinateur_niveau_diplome": coordinateur.get("niveau_diplome", ""),
        "coordinateur_experience_animation_education": coordinateur.get(
            "experience_animation_education"
        ),
    }
    for axe, cles in AXES.items():
        for cle in cles:
            champs[f"{axe}_{cle}"] = (actions.get(axe) or {}).get(cle, "")
    return champs


def _collectif(dossier: Dossier, ordre: int, donnees: dict, rng: random.Random) -> Collectif:
    lieu = donnees.get("lieu") or {}
    date_debut, date_fin = donnees.get("date_debut"), donnees.get("date_fin")
    decalage = (dossier.annee - 2025) * 365  # les documents modèles sont datés 2025-2026
    return Collectif(
        dossier=dossier,
        ordre=ordre,
        nom=donnees.get("nom", ""),
        classes=list(donnees.get("classes") or []),
        nombre_enfants=donnees.get("nombre_enfants"),
        rural=donnees.get("rural"),
        lieu_nom=f"Maison de quartier {rng.randrange(1, 40)}",
        lieu_adresse=f"{rng.randrange(1, 120)} rue de l'École",
        lieu_code_postal=f"{rng.randint(10000, 95999)}",
        lieu_commune=rng.choice(COMMUNES),
        lieu_unique=lieu.get("lieu_unique"),
        lieu_accessible_parents=lieu.get("accessible_parents"),
        nombre_intervenants=donnees.get("intervenants"),
        semaines_fonctionnement=donnees.get("semaines_fonctionnement"),
        date_debut=(
            datetime.date.fromisoformat(date_debut) + datetime.timedelta(days=decalage)
            if date_debut
            else None
        ),
        date_fin=(
            datetime.date.fromisoformat(date_fin) + datetime.timedelta(days=decalage)
            if date_fin
            else None
        ),
        depenses_fonctionnement=_decimal(donnees.get("depenses_fonctionnement")),
        montant_accorde=(Decimal(rng.randint(600, 2500)) if dossier.etat == Etat.ACCEPTE else None),
    )


def _plan(departements: list[Departement]) -> list[tuple[Departement, int, int]]:
    """(département, porteurs, dossiers) : 500 dossiers dans le 59, le reste réparti ; un
    dossier 2025 par porteur, les dossiers en plus sont des 2024 des premiers porteurs."""
    autres = [d for d in departements if d.code != "59"]
    porteurs_59 = DOSSIERS_59 * 3 // 4
    porteurs, porteurs_reste = divmod(PORTEURS - porteurs_59, len(autres))
    dossiers, dossiers_reste = divmod(DOSSIERS - DOSSIERS_59, len(autres))
    nord = next(d for d in departements if d.code == "59")
    plan = [(nord, porteurs_59, DOSSIERS_59)]
    for j, dep in enumerate(autres):
        plan.append((dep, porteurs + (j < porteurs_reste), dossiers + (j < dossiers_reste)))
    return plan


def peupler(graine: int) -> dict:
    """Insère les données décrites en tête du module ; rend les comptes utiles aux mesures."""
    rng = random.Random(graine)
    modeles = _modeles(rng)
    maintenant = timezone.now()
    aujourdhui = timezone.localdate()
    mot_de_passe = make_password(MOT_DE_PASSE)  # un seul hachage (argon2) pour tous les comptes
    departements = list(Departement.objects.order_by("code"))
    plan = _plan(departements)

    Campagne.objects.bulk_create(
        [
            Campagne(
                departement=dep,
                annee=2025,
                ouverture=aujourdhui - datetime.timedelta(days=60),
                cloture=aujourdhui + datetime.timedelta(days=30),
            )
            for dep in departements
        ]
        + [
            Campagne(
                departement=dep,
                annee=2024,
                ouverture=aujourdhui - datetime.timedelta(days=425),
                cloture=aujourdhui - datetime.timedelta(days=335),
            )
            for dep in departements
        ]
    )
    personnel = []
    for dep in departements:
        agents = 4 if dep.code == "59" else 1
        personnel += [
            Utilisateur(
                email=f"agent{i}.{dep.code.lower()}@bench.clas",
                prenom=f"Agent{i}",
                nom=f"Caf {dep.code}",
                role=Role.AGENT,
                departement=dep,
                password=mot_de_passe,
            )
            for i in range(agents)
        ]
        personnel.append(
            Utilisateur(
                email=f"secretariat.{dep.code.lower()}@bench.clas",
                prenom="Secrétariat",
                nom=f"Comité {dep.code}",
                role=Role.SECRETARIAT,
                departement=dep,
                password=mot_de_passe,
            )
        )
    personnel.append(
        Utilisateur(
            email="admin@bench.clas",
            prenom="Administration",
            nom="nationale",
            role=Role.ADMIN,
            is_staff=True,
            is_superuser=True,
            password=mot_de_passe,
        )
    )
    personnel = Utilisateur.objects.bulk_create(personnel, batch_size=BATCH)
    agents_par_dep: dict[str, list[Utilisateur]] = {}
    for u in personnel:
        if u.role == Role.AGENT:
            agents_par_dep.setdefault(u.departement_id, []).append(u)

    # Porteurs, leurs comptes et leurs pièces permanentes.
    porteurs, departement_du_porteur = [], []
    numero = 0
    for dep, nb_porteurs, _ in plan:
        for _ in range(nb_porteurs):
            porteurs.append(
                Porteur(
                    raison_sociale=f"Association {rng.choice(COMMUNES)} {dep.code}-{numero}",
                    siret=siret(100_000 + numero),
                    forme=rng.choice(["association"] * 6 + ["commune", "centre_social"]),
                    adresse=f"{rng.randrange(1, 200)} rue de la République",
                    code_postal=f"{rng.randint(10000, 95999)}",
                    commune=rng.choice(COMMUNES),
                    departement=dep,
                    email=f"contact{numero}@asso.bench.clas",
                    representant_nom="Dominique Bernard",
                    representant_qualite="président·e",
                )
            )
            departement_du_porteur.append(dep)
            numero += 1
    porteurs = Porteur.objects.bulk_create(porteurs, batch_size=BATCH)
    comptes = Utilisateur.objects.bulk_create(
        (
            Utilisateur(
                email=f"porteur{i}@asso.bench.clas",
                prenom="Responsable",
                nom=f"Association {i}",
                role=Role.PORTEUR,
                password=mot_de_passe,
            )
            for i in range(len(porteurs))
        ),
        batch_size=BATCH,
    )
    Membre.objects.bulk_create(
        (Membre(porteur=p, utilisateur=u) for p, u in zip(porteurs, comptes, strict=True)),
        batch_size=BATCH,
    )
    PiecePermanente.objects.bulk_create(
        (
            PiecePermanente(
                porteur=p,
                type=t,
                fichier=f"pieces-permanentes/{p.pk % 100:02x}/{t}-{p.pk}.pdf",
                nom_original=f"{t}.pdf",
                deposee_par=u,
                **PDF_FACTICE,
            )
            for p, u in zip(porteurs, comptes, strict=True)
            for t in ("statuts", "rib", "assurance")
        ),
        batch_size=BATCH,
    )

    # Dossiers : un 2025 par porteur, et les 2024 des premiers porteurs du département.
    dossiers, choix = [], []
    debut_porteurs = 0
    for dep, nb_porteurs, nb_dossiers in plan:
        du_dep = porteurs[debut_porteurs : debut_porteurs + nb_porteurs]
        debut_porteurs += nb_porteurs
        agents = agents_par_dep[dep.code]
        annees = [(p, 2025) for p in du_dep] + [
            (p, 2024) for p in du_dep[: nb_dossiers - nb_porteurs]
        ]
        for porteur, annee in annees:
            etat = _tirer(rng, ETATS_2025 if annee == 2025 else ETATS_2024)
            m = rng.randrange(len(modeles[annee]))
            document = modeles[annee][m][0]
            decide = etat in (Etat.ACCEPTE, Etat.REFUSE, Etat.SANS_SUITE)
            depose_le = (
                None
                if etat == Etat.BROUILLON
                else maintenant - datetime.timedelta(days=365 * (2025 - annee) + rng.randint(3, 50))
            )
            dossiers.append(
                Dossier(
                    porteur=porteur,
                    departement=dep,
                    annee=annee,
                    etat=etat,
                    intitule=f"Accompagnement à la scolarité — {porteur.commune} ({annee})",
                    renouvellement=annee == 2025 and rng.random() < 0.4,
                    montant_demande=Decimal(rng.randint(2000, 20000)),
                    montant_accorde=(
                        Decimal(rng.randint(2000, 7700)) if etat == Etat.ACCEPTE else None
                    ),
                    date_decision=(depose_le + datetime.timedelta(days=20)).date()
                    if decide
                    else None,
                    motif_decision="Décision du comité départemental." if decide else "",
                    agent_referent=(
                        rng.choice(agents)
                        if etat != Etat.BROUILLON and rng.random() < 0.7
                        else None
                    ),
                    depose_le=depose_le,
                    **_champs_dossier(document),
                )
            )
            choix.append(m)
    dossiers = Dossier.objects.bulk_create(dossiers, batch_size=BATCH)

    collectifs, creneaux_par_collectif = [], []
    for d, m in zip(dossiers, choix, strict=True):
        for j, donnees in enumerate(modeles[d.annee][m][0]["collectifs"]):
            collectifs.append(_collectif(d, j, donnees, rng))
            creneaux_par_collectif.append(donnees.get("creneaux") or [])
    collectifs = Collectif.objects.bulk_create(collectifs, batch_size=BATCH)
    Creneau.objects.bulk_create(
        (
            Creneau(
                collectif=c,
                jour=cr["jour"],
                debut=datetime.time.fromisoformat(cr["debut"]) if cr.get("debut") else None,
                duree_minutes=cr["duree_minutes"],
            )
            for c, creneaux in zip(collectifs, creneaux_par_collectif, strict=True)
            for cr in creneaux
        ),
        batch_size=BATCH,
    )
    BilanAction.objects.bulk_create(
        (
            bilan_genere(
                c,
                rng,
                BilanAction.Origine.SAISIE,
                maintenant,
                objectifs_atteints="Les enfants ont gagné en autonomie dans leur travail.",
            )
            for c in collectifs
            if c.dossier.etat == Etat.ACCEPTE
        ),
        batch_size=BATCH,
    )
    intervenants = Intervenant.objects.bulk_create(
        (
            Intervenant(
                dossier=d,
                nom=f"Intervenant {k + 1} du dossier {d.pk}",
                statut="salarie" if k == 0 else "benevole",
                fonction="animatrice" if k == 0 else "bénévole",
                niveau_diplome=rng.choice(["bac", "bac+2", "bac+3"]),
            )
            for d in dossiers
            for k in range(2)
        ),
        batch_size=BATCH,
    )
    collectifs_du_dossier: dict[int, list[Collectif]] = {}
    for c in collectifs:
        collectifs_du_dossier.setdefault(c.dossier_id, []).append(c)
    Lien = Intervenant.collectifs.through
    Lien.objects.bulk_create(
        (
            Lien(intervenant_id=i.pk, collectif_id=c.pk)
            for i in intervenants
            for c in collectifs_du_dossier[i.dossier_id]
        ),
        batch_size=BATCH,
    )
    LigneBudget.objects.bulk_create(
        (
            LigneBudget(dossier=d, sens=sens, categorie=categorie, montant=montant)
            for d in dossiers
            for sens, categorie, montant in (
                ("depense", "personnel", Decimal(rng.randint(4000, 15000))),
                ("depense", "achats", Decimal(rng.randint(200, 1500))),
                ("recette", "commune", Decimal(rng.randint(1000, 5000))),
            )
        ),
        batch_size=BATCH,
    )

    # Ce qui suit le dépôt : pièces, évaluations figées, historique, messages.
    compte_de = {p.pk: u for p, u in zip(porteurs, comptes, strict=True)}
    deposes = [(d, m) for d, m in zip(dossiers, choix, strict=True) if d.etat != Etat.BROUILLON]
    PieceJustificative.objects.bulk_create(
        (
            PieceJustificative(
                dossier=d,
                type=t,
                fichier=f"pieces-dossiers/{d.pk % 100:02x}/{t}-{d.pk}.pdf",
                nom_original=f"{t}-{d.annee}.pdf",
                deposee_par=compte_de[d.porteur_id],
                **PDF_FACTICE,
            )
            for d, _ in deposes
            for t in ("budget", "projet")
        ),
        batch_size=BATCH,
    )
    evaluations = []
    for d, m in deposes:
        document, resultat = modeles[d.annee][m]
        motifs = [Evaluation.Motif.DEPOT]
        if d.etat in (Etat.ACCEPTE, Etat.REFUSE, Etat.SANS_SUITE):
            motifs.append(Evaluation.Motif.DECISION)
        total = resultat["montant_ps_total"]
        evaluations += [
            Evaluation(
                dossier=d,
                motif=motif,
                edition=resultat["edition"],
                parametres=resultat["parametres"],
                empreinte_entree=f"{d.pk:064d}",
                entree=document,
                resultat=resultat,
                verdict=resultat["verdict"],
                montant_ps_total=Decimal(total) if total is not None else None,
            )
            for motif in motifs
        ]
    Evaluation.objects.bulk_create(evaluations, batch_size=500)
    evenements = []
    for d in dossiers:
        auteur = compte_de[d.porteur_id]
        evenements.append(Evenement(dossier=d, type=Evenement.Type.CREATION, auteur=auteur))
        if d.etat == Etat.BROUILLON:
            continue
        evenements.append(
            Evenement(
                dossier=d,
                type=Evenement.Type.DEPOT,
                auteur=auteur,
                etat_avant=Etat.BROUILLON,
                etat_apres=Etat.DEPOSE,
            )
        )
        avant = Etat.DEPOSE
        for apres in PARCOURS[d.etat]:
            evenements.append(
                Evenement(
                    dossier=d,
                    type=Evenement.Type.TRANSITION,
                    auteur=d.agent_referent,
                    etat_avant=avant,
                    etat_apres=apres,
                    commentaire="Pièce manquante : budget signé."
                    if apres == Etat.COMPLEMENT_DEMANDE
                    else "",
                )
            )
            avant = apres
    Evenement.objects.bulk_create(evenements, batch_size=BATCH)
    Message.objects.bulk_create(
        (
            Message(dossier=d, auteur=auteur, texte=texte)
            for d, _ in deposes
            for auteur, texte in (
                (
                    d.agent_referent or agents_par_dep[d.departement_id][0],
                    "Bonjour, pouvez-vous préciser les horaires du collectif du mercredi ?",
                ),
                (compte_de[d.porteur_id], "Bonjour, le collectif se réunit de 14 h à 15 h 30."),
            )
        ),
        batch_size=BATCH,
    )
    # L'instruction en cours dans le 59 : points de contrôle et notes internes.
    en_instruction_59 = [
        d for d, _ in deposes if d.departement_id == "59" and d.etat == Etat.EN_INSTRUCTION
    ]
    agent = agents_par_dep["59"][0]
    PointControle.objects.bulk_create(
        PointControle(dossier=d, code=code, coche=True, par=agent)
        for d in en_instruction_59
        for code in ("sdsf", "pieces")
    )
    NotePrivee.objects.bulk_create(
        NotePrivee(dossier=d, auteur=agent, texte="Rappeler le porteur pour le budget.")
        for d in en_instruction_59
    )

    # Le dossier dont on mesure la page : en instruction dans le 59, suivi par l'agent mesuré ;
    # son évaluation figée correspond à ses données (cas courant : rien n'a changé depuis).
    page = en_instruction_59[0]
    Dossier.objects.filter(pk=page.pk).update(agent_referent=agent)
    page = Dossier.objects.get(pk=page.pk)
    Evaluation.objects.filter(dossier=page).update(
        empreinte_entree=empreinte(dossier_vers_document(page, avec_decision=False))
    )
    brouillon = next(d for d in dossiers if d.departement_id == "59" and d.etat == Etat.BROUILLON)
    return {
        "agent": agent,
        "admin": next(u for u in personnel if u.role == Role.ADMIN),
        "page": page,
        "brouillon": brouillon,
        "porteur": compte_de[brouillon.porteur_id],
        "porteurs": len(porteurs),
        "dossiers": len(dossiers),
        "dossiers_59": sum(1 for d in dossiers if d.departement_id == "59"),
        "collectifs": len(collectifs),
        "evaluations": len(evaluations),
        "etats_59": Counter(d.etat for d in dossiers if d.departement_id == "59"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requetes", type=int, default=30)
    parser.add_argument("--graine", type=int, default=2026)
    options = parser.parse_args()

    debut = time.perf_counter()
    with transaction.atomic():
        donnees = peupler(options.graine)
    peuplement = time.perf_counter() - debut
    base = connection.vendor
    if base == "postgresql":
        # Statistiques du planificateur à jour, comme l'autovacuum les aurait après un tel
        # chargement (SQLite n'en tient pas sans ANALYZE explicite : on le laisse tel quel).
        with connection.cursor() as curseur:
            curseur.execute("ANALYZE")

    agent, admin, porteur = Client(), Client(), Client()
    agent.force_login(donnees["agent"])
    admin.force_login(donnees["admin"])
    porteur.force_login(donnees["porteur"])
    n = options.requetes
    file = mesurer(agent, "/dossiers/", n)
    file_admin = mesurer(admin, "/dossiers/?onglet=tous", n)
    liste_admin = mesurer(admin, "/admin/dossiers/dossier/?departement__code__exact=59", n)
    page = mesurer(agent, f"/dossiers/{donnees['page'].pk}/", n)
    etape = mesurer(
        porteur,
        f"/dossiers/{donnees['brouillon'].pk}/saisie/projet/",
        n,
        donnees=[PROJET_A, PROJET_B],
        statut=302,
    )
    ecrit = Dossier.objects.get(pk=donnees["brouillon"].pk).intitule
    assert ecrit in (PROJET_A["intitule"], PROJET_B["intitule"]), ecrit

    etats = ", ".join(f"{e} {n}" for e, n in sorted(donnees["etats_59"].items()))
    print(
        f"{donnees['dossiers']} dossiers ({donnees['dossiers_59']} dans le 59 : {etats}), "
        f"{donnees['porteurs']} porteurs, {donnees['collectifs']} collectifs, "
        f"{donnees['evaluations']} évaluations figées sur {base}, peuplés en {peuplement:.1f} s ; "
        f"médianes sur {n} requêtes :"
    )
    for libelle, mesure in (
        ("file d'attente (agent 59)", file),
        ("file d'attente (admin, tous)", file_admin),
        ("administration Django (59)", liste_admin),
        ("page d'un dossier (agent)", page),
        ("étape « projet » (porteur)", etape),
    ):
        print(
            f"  {libelle:30} {mesure['mediane_ms']:7.1f} ms  (p90 {mesure['p90_ms']} ms, "
            f"{mesure['requetes_sql']} requêtes SQL)"
        )
    print(
        json.dumps(
            {
                "peuplement_s": round(peuplement, 1),
                "porteurs": donnees["porteurs"],
                "dossiers": donnees["dossiers"],
                "dossiers_59": donnees["dossiers_59"],
                "collectifs": donnees["collectifs"],
                "evaluations": donnees["evaluations"],
                "file_ms": file["mediane_ms"],
                "file_p90_ms": file["p90_ms"],
                "file_requetes": file["requetes_sql"],
                "file_admin_ms": file_admin["mediane_ms"],
                "file_admin_requetes": file_admin["requetes_sql"],
                "admin_ms": liste_admin["mediane_ms"],
                "admin_p90_ms": liste_admin["p90_ms"],
                "admin_requetes": liste_admin["requetes_sql"],
                "page_dossier_ms": page["mediane_ms"],
                "page_dossier_p90_ms": page["p90_ms"],
                "page_dossier_requetes": page["requetes_sql"],
                "etape_ms": etape["mediane_ms"],
                "etape_p90_ms": etape["p90_ms"],
                "etape_requetes": etape["requetes_sql"],
                "requetes_mesurees": n,
                "base": base,
            }
        )
    )


if __name__ == "__main__":
    main()
