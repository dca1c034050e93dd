"""Documents PDF des dossiers (WeasyPrint) : l'accusé de dépôt.

L'accusé est rendu uniquement à partir de données figées — l'évaluation enregistrée au dépôt
(ses ``entree`` et ``resultat``) et l'événement de dépôt (date, commentaire) — jamais du
dossier tel qu'il est aujourd'hui : le télécharger plus tard donne le même contenu, même si le
dossier a changé depuis. Il n'est donc pas stocké : on le refait à la demande.
"""

from django.template.loader import render_to_string
from django.utils import timezone

from comptes.models import Departement
from eligibility.criteres import format_date

from .models import Etat, Evaluation, Evenement, libelle_annee

GABARIT_ACCUSE = "dossiers/pdf/accuse_depot.html"
FEUILLE_ACCUSE = "dossiers/pdf/accuse.css"

# Statuts qui n'appellent aucune remarque sur l'accusé.
STATUTS_SANS_REMARQUE = ("conforme", "sans_objet")


def _aucune_ressource_externe(url: str, *args, **kwargs):
    """Un PDF ne va chercher ni image ni feuille de style au dehors (ni réseau, ni disque)."""
    raise ValueError(f"Ressource externe refusée dans un PDF : {url}")


def rendre_pdf(gabarit: str, contexte: dict, feuille: str) -> bytes:
    """Rend le gabarit HTML ``gabarit`` avec la feuille de style ``feuille`` en PDF."""
    from weasyprint import CSS, HTML

    html = render_to_string(gabarit, contexte)
    css = CSS(string=render_to_string(feuille), url_fetcher=_aucune_ressource_externe)
    return HTML(string=html, url_fetcher=_aucune_ressource_externe).write_pdf(stylesheets=[css])


def _remarques(criteres: list[dict]) -> list[dict]:
    return [c for c in criteres if c["statut"] not in STATUTS_SANS_REMARQUE]


def contexte_accuse(dossier_pk: int, evenement: Evenement, evaluation: Evaluation) -> dict:
    """Le contenu de l'accusé, tiré de l'évaluation figée et de l'événement de dépôt."""
    entree, resultat = evaluation.entree, evaluation.resultat
    departement = Departement.objects.filter(code=entree.get("departement")).first()
    collectifs = []
    for index, donnees in enumerate(entree.get("collectifs") or []):
        evalue = resultat["collectifs"][index] if index < len(resultat["collectifs"]) else {}
        collectifs.append(
            {
                "numero": index + 1,
                "nom": donnees.get("nom") or f"Collectif {index + 1}",
                "classes": ", ".join(donnees.get("classes") or []),
                "nombre_enfants": donnees.get("nombre_enfants"),
                "rural": donnees.get("rural"),
                "verdict": evalue.get("verdict"),
                "montant_ps": evalue.get("montant_ps"),
                "remarques": _remarques(evalue.get("criteres") or []),
            }
        )
    depose_le = timezone.localtime(evenement.cree_le)
    annee = entree.get("annee_scolaire") or libelle_annee(int(resultat["annee_scolaire"][:4]))
    return {
        "numero": dossier_pk,
        "porteur": entree.get("porteur") or {},
        "departement": departement,
        "code_departement": entree.get("departement", ""),
        "annee_scolaire": annee,
        "depose_le": depose_le,
        "date_depot": format_date(depose_le.date()),
        "heure_depot": f"{depose_le:%H} h {depose_le:%M}",
        "redepot": evenement.etat_avant == Etat.COMPLEMENT_DEMANDE,
        "commentaire": evenement.commentaire,
        "collectifs": collectifs,
        "resultat": resultat,
        "remarques": _remarques(resultat.get("criteres") or []),
        "empreinte": evaluation.empreinte_entree,
        "edition": evaluation.edition,
    }


def accuse_de_depot(dossier_pk: int, evenement: Evenement, evaluation: Evaluation) -> bytes:
    """L'accusé de dépôt, en PDF."""
    return rendre_pdf(
        GABARIT_ACCUSE, contexte_accuse(dossier_pk, evenement, evaluation), FEUILLE_ACCUSE
    )


def nom_fichier_accuse(dossier_pk: int, annee_scolaire: str) -> str:
    return f"accuse-de-depot-dossier-{dossier_pk}-{annee_scolaire}.pdf"
