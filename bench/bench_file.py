"""Banc d'essai de la file d'attente des agents (script, pas un test).

Peuple une base neuve (celle de ``DATABASE_URL``, migrée par le lanceur ``bench/run.py``) de
500 dossiers déposés dans le Nord (59), de 3 collectifs chacun, avec deux évaluations figées par
dossier (au dépôt, puis plus tard : la file lit la dernière), répartis dans tous les états et
entre quatre agents. Puis mesure, avec le client de test de Django (tout le chemin serveur :
intergiciels, vue, requêtes, gabarit), la médiane du temps de réponse sur une trentaine de
requêtes :

- la file d'attente (``/dossiers/``, première page, onglet par défaut), pour un agent du 59 ;
- la liste des dossiers de l'administration Django (``/admin/dossiers/dossier/``), pour un
  superutilisateur, sur les mêmes dossiers.

La dernière ligne est un JSON : {"file_ms": …, "admin_ms": …, "file_requetes": …, …}.

``make bench`` mesure désormais ces pages à l'échelle nationale (``bench_national.py``, 4 000
dossiers dont les 500 du 59), avec la fonction ``mesurer`` de ce module ; ce script reste le banc
rapide de la seule file du 59.

    DATABASE_URL=... .venv/bin/python bench/bench_file.py [--dossiers 500] [--requetes 30]
"""

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
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

from bench_import import siret  # noqa: E402
from bench_moteur import generer_dossier  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from collectifs.models import Collectif  # noqa: E402
from comptes.models import Departement, Role, Utilisateur  # noqa: E402
from dossiers.models import Dossier, Etat, Evaluation  # noqa: E402
from eligibility.editions import ParametresFinancement  # noqa: E402
from eligibility.moteur import dumps_evaluation, evaluer  # noqa: E402
from porteurs.models import Porteur  # noqa: E402

ETATS = (
    [Etat.DEPOSE] * 8
    + [Etat.EN_INSTRUCTION] * 4
    + [Etat.COMPLEMENT_DEMANDE] * 2
    + [Etat.PROPOSE_COMITE] * 2
    + [Etat.ACCEPTE] * 2
    + [Etat.REFUSE, Etat.SANS_SUITE]
)
COMMUNES = ["Lille", "Roubaix", "Tourcoing", "Dunkerque", "Valenciennes", "Douai", "Maubeuge"]


def peupler(nombre: int, graine: int) -> dict:
    rng = random.Random(graine)
    nord = Departement.objects.get(code="59")
    agents = [
        Utilisateur.objects.create_user(
            f"agent{i}.59@bench.clas",
            "banc-file-2026",
            prenom=f"Agent{i}",
            nom="Banc",
            role=Role.AGENT,
            departement=nord,
        )
        for i in range(4)
    ]
    superuser = Utilisateur.objects.create_superuser("admin@bench.clas", "banc-file-2026")
    porteurs = Porteur.objects.bulk_create(
        Porteur(
            raison_sociale=f"Association du banc {i}",
            siret=siret(5000 + i),
            forme="association",
            code_postal="59000",
            commune=rng.choice(COMMUNES),
            departement=nord,
        )
        for i in range(150)
    )
    maintenant = timezone.now()
    dossiers = Dossier.objects.bulk_create(
        Dossier(
            porteur=porteurs[i % len(porteurs)],
            departement=nord,
            annee=2025,
            etat=rng.choice(ETATS),
            intitule=f"Accompagnement à la scolarité n° {i}",
            montant_demande=Decimal(rng.randint(2000, 20000)),
            agent_referent=rng.choice(agents) if rng.random() < 0.7 else None,
            depose_le=maintenant - datetime.timedelta(hours=rng.randint(1, 2000)),
        )
        for i in range(nombre)
    )
    Collectif.objects.bulk_create(
        Collectif(
            dossier=d,
            ordre=j,
            nom=f"Collectif {j + 1}",
            classes=["CM1", "CM2"],
            nombre_enfants=rng.randint(8, 12),
            depenses_fonctionnement=Decimal(rng.randint(2000, 9000)),
        )
        for d in dossiers
        for j in range(3)
    )
    financement = ParametresFinancement(Decimal("0.325"), Decimal("7886.00"))
    evaluations = []
    for d in dossiers:
        document = generer_dossier(rng)
        document.update(departement="59", annee_scolaire="2025-2026")
        for motif in (Evaluation.Motif.DEPOT, Evaluation.Motif.IMPORT):
            resultat = json.loads(dumps_evaluation(evaluer(document, financement)))
            total = resultat["montant_ps_total"]
            evaluations.append(
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
            )
    Evaluation.objects.bulk_create(evaluations, batch_size=200)
    return {"agent": agents[0], "superuser": superuser}


def mesurer(
    client: Client,
    url: str,
    requetes: int,
    *,
    donnees: list[dict] | None = None,
    statut: int = 200,
    echauffement: int = 3,
) -> dict:
    """Temps serveur d'une URL : ``echauffement`` requêtes (gabarits compilés, connexions
    ouvertes), une requête dont on compte les requêtes SQL, puis la médiane et le 90e centile de
    ``requetes`` requêtes. GET, ou POST si ``donnees`` : des formulaires envoyés à tour de rôle
    (deux saisies alternées : chaque envoi modifie vraiment l'objet). Chaque réponse doit avoir
    le code ``statut``."""

    def envoyer(i: int):
        reponse = (
            client.get(url) if donnees is None else client.post(url, donnees[i % len(donnees)])
        )
        assert reponse.status_code == statut, f"{url} : {reponse.status_code} au lieu de {statut}"
        return reponse

    for i in range(echauffement):
        envoyer(i)
    with CaptureQueriesContext(connection) as capture:
        envoyer(echauffement)
    requetes_sql = len(capture)  # à lire tout de suite : la requête suivante vide le journal
    durees = []
    for i in range(requetes):
        debut = time.perf_counter()
        envoyer(echauffement + 1 + i)
        durees.append((time.perf_counter() - debut) * 1000)
    return {
        "mediane_ms": round(statistics.median(durees), 1),
        "p90_ms": round(statistics.quantiles(durees, n=10)[-1], 1),
        "requetes_sql": requetes_sql,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--requetes", type=int, default=30)
    parser.add_argument("--graine", type=int, default=2026)
    options = parser.parse_args()

    debut = time.perf_counter()
    comptes = peupler(options.dossiers, options.graine)
    peuplement = time.perf_counter() - debut

    agent, admin = Client(), Client()
    agent.force_login(comptes["agent"])
    admin.force_login(comptes["superuser"])
    file = mesurer(agent, "/dossiers/", options.requetes)
    file_admin = mesurer(admin, "/dossiers/?onglet=tous", options.requetes)
    liste_admin = mesurer(admin, "/admin/dossiers/dossier/", options.requetes)

    base = connection.vendor
    print(
        f"{Dossier.objects.count()} dossiers ({Collectif.objects.count()} collectifs, "
        f"{Evaluation.objects.count()} évaluations figées) sur {base}, peuplés en "
        f"{peuplement:.1f} s ; médianes sur {options.requetes} requêtes :"
    )
    print(
        f"  file d'attente (agent 59)      {file['mediane_ms']:7.1f} ms  "
        f"(p90 {file['p90_ms']} ms, {file['requetes_sql']} requêtes SQL)"
    )
    print(
        f"  file d'attente (admin, tous)   {file_admin['mediane_ms']:7.1f} ms  "
        f"(p90 {file_admin['p90_ms']} ms, {file_admin['requetes_sql']} requêtes SQL)"
    )
    print(
        f"  liste de l'administration      {liste_admin['mediane_ms']:7.1f} ms  "
        f"(p90 {liste_admin['p90_ms']} ms, {liste_admin['requetes_sql']} requêtes SQL)"
    )
    print(
        json.dumps(
            {
                "file_ms": file["mediane_ms"],
                "file_requetes": file["requetes_sql"],
                "file_admin_ms": file_admin["mediane_ms"],
                "file_admin_requetes": file_admin["requetes_sql"],
                "admin_ms": liste_admin["mediane_ms"],
                "admin_requetes": liste_admin["requetes_sql"],
                "dossiers": options.dossiers,
                "base": base,
            }
        )
    )


if __name__ == "__main__":
    main()
