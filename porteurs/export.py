"""Export, par un membre, des données de son organisation (RGPD, droit d'accès et portabilité).

Une archive ZIP : l'organisation et ses membres, le compte de la personne qui exporte, chaque
dossier au format d'échange ``clas-dossier/1`` avec ses échanges et son historique, les pièces
déposées (sous leur nom d'origine) et, tant qu'il n'a pas été purgé, le registre par enfant.
"""

import json
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from clas_portal.fichiers import nom_affichable


def _json(objet) -> bytes:
    def convertir(valeur):
        if isinstance(valeur, datetime | date):
            return valeur.isoformat()
        if isinstance(valeur, Decimal):
            return str(valeur)
        raise TypeError(type(valeur).__name__)

    return json.dumps(objet, ensure_ascii=False, indent=2, default=convertir).encode("utf-8")


LISEZMOI = """Export des données de l'organisation « {nom} » — Portail Clas
Exporté le {date} par {email}.

organisation.json   l'organisation, ses membres et les invitations en cours
mon-compte.json     les données de votre compte
dossiers/           chaque dossier au format d'échange clas-dossier/1 (même format que
                    l'import), avec ses échanges avec la Caf et son historique (*-suivi.json)
pieces/             les pièces déposées, sous leur nom d'origine
activite/           par collectif : séances, enfants (codes pseudonymes) et présences,
                    tant qu'ils n'ont pas été purgés après le bilan
"""


def _ajouter_fichier(archive, chemin_zip: str, champ_fichier, noms_pris: set[str]) -> str | None:
    nom = chemin_zip
    rang = 1
    while nom in noms_pris:
        base, _, ext = chemin_zip.rpartition(".")
        nom = f"{base}-{rang}.{ext}" if base else f"{chemin_zip}-{rang}"
        rang += 1
    try:
        with champ_fichier.open("rb") as flux:
            archive.writestr(nom, flux.read())
    except (FileNotFoundError, ValueError):
        return None
    noms_pris.add(nom)
    return nom


def construire_export(porteur, utilisateur):
    """Le ZIP dans un fichier temporaire (rembobiné), prêt à être servi."""
    from dossiers.exportation import dossier_vers_document
    from seances.models import Enfant, Presence, Seance

    sortie = tempfile.SpooledTemporaryFile(max_size=20 * 1024 * 1024)  # noqa: SIM115 (rendu ouvert)
    noms_pris: set[str] = set()
    with zipfile.ZipFile(sortie, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "LISEZMOI.txt",
            LISEZMOI.format(
                nom=porteur.raison_sociale,
                date=timezone.localtime().strftime("%d/%m/%Y à %H:%M"),
                email=utilisateur.email,
            ),
        )
        membres = [
            {
                "email": m.utilisateur.email,
                "prenom": m.utilisateur.prenom,
                "nom": m.utilisateur.nom,
                "qualite": m.get_qualite_display(),
                "depuis": m.depuis,
            }
            for m in porteur.membres.select_related("utilisateur").order_by("pk")
        ]
        invitations = [
            {"email": i.email, "envoyee_le": i.cree_le, "expire_le": i.expire_le}
            for i in porteur.invitations.valides().order_by("pk")
        ]
        archive.writestr(
            "organisation.json",
            _json(
                {
                    "raison_sociale": porteur.raison_sociale,
                    "siret": porteur.siret,
                    "forme": porteur.get_forme_display(),
                    "adresse": porteur.adresse,
                    "code_postal": porteur.code_postal,
                    "commune": porteur.commune,
                    "departement": porteur.departement_id,
                    "email": porteur.email,
                    "telephone": porteur.telephone,
                    "representant": {
                        "nom": porteur.representant_nom,
                        "qualite": porteur.representant_qualite,
                    },
                    "membres": membres,
                    "invitations_en_cours": invitations,
                }
            ),
        )
        archive.writestr(
            "mon-compte.json",
            _json(
                {
                    "email": utilisateur.email,
                    "prenom": utilisateur.prenom,
                    "nom": utilisateur.nom,
                    "telephone": utilisateur.telephone,
                    "role": utilisateur.get_role_display(),
                    "inscrit_le": utilisateur.date_joined,
                    "derniere_connexion": utilisateur.last_login,
                }
            ),
        )
        for piece in porteur.pieces.order_by("type", "pk"):
            _ajouter_fichier(
                archive,
                f"pieces/organisation/{nom_affichable(piece.nom_original)}",
                piece.fichier,
                noms_pris,
            )
        dossiers = porteur.dossiers.prefetch_related(
            "collectifs__creneaux", "intervenants", "pieces"
        ).order_by("annee", "pk")
        for dossier in dossiers:
            prefixe = f"{dossier.annee}-{dossier.annee + 1}-dossier-{dossier.pk}"
            archive.writestr(f"dossiers/{prefixe}.json", _json(dossier_vers_document(dossier)))
            suivi = {
                "etat": dossier.get_etat_display(),
                "messages": [
                    {
                        "date": m.cree_le,
                        "auteur": m.auteur.email if m.auteur else None,
                        "texte": m.texte,
                    }
                    for m in dossier.messages.select_related("auteur").order_by("cree_le", "pk")
                ],
                "historique": [
                    {
                        "date": e.cree_le,
                        "evenement": e.get_type_display(),
                        "etat_avant": e.etat_avant,
                        "etat_apres": e.etat_apres,
                        "commentaire": e.commentaire,
                    }
                    for e in dossier.evenements.order_by("cree_le", "pk")
                ],
            }
            archive.writestr(f"dossiers/{prefixe}-suivi.json", _json(suivi))
            for piece in dossier.pieces.all():
                _ajouter_fichier(
                    archive,
                    f"pieces/{prefixe}/{nom_affichable(piece.nom_original)}",
                    piece.fichier,
                    noms_pris,
                )
            for collectif in dossier.collectifs.all():
                seances = list(Seance.objects.filter(collectif=collectif).order_by("date", "pk"))
                if not seances and not Enfant.objects.filter(collectif=collectif).exists():
                    continue
                enfants = list(Enfant.objects.filter(collectif=collectif).order_by("code"))
                presences = Presence.objects.filter(seance__collectif=collectif).values_list(
                    "seance_id", "enfant__code", "present"
                )
                par_seance: dict[int, dict[str, bool]] = {}
                for seance_id, code, present in presences:
                    par_seance.setdefault(seance_id, {})[code] = present
                archive.writestr(
                    f"activite/{prefixe}-collectif-{collectif.pk}.json",
                    _json(
                        {
                            "collectif": collectif.nom,
                            "enfants": [
                                {
                                    "code": e.code,
                                    "classe": e.classe,
                                    "sexe": e.get_sexe_display(),
                                    "code_famille": e.code_famille,
                                }
                                for e in enfants
                            ],
                            "seances": [
                                {
                                    "date": s.date,
                                    "debut": s.debut.isoformat() if s.debut else None,
                                    "duree_minutes": s.duree_minutes,
                                    "statut": s.get_statut_display(),
                                    "presents": s.nombre_presents,
                                    "inscrits": s.nombre_inscrits,
                                    "presences": par_seance.get(s.pk, {}),
                                }
                                for s in seances
                            ],
                        }
                    ),
                )
    sortie.seek(0)
    return sortie
