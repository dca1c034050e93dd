"""Export, par un membre, des données de son organisation (RGPD, droit d'accès et portabilité).

Une archive ZIP : l'organisation et ses membres, le compte de la personne qui exporte, chaque
dossier au format d'échange ``clas-dossier/1`` avec ses échanges et son historique, les
intervenants des dossiers (CSV), les pièces déposées (sous leur nom d'origine), l'activité de
l'année (séances, actions avec les parents, rencontres avec l'école, bilans, purges) en CSV et,
tant qu'il n'a pas été purgé, le registre par enfant (codes pseudonymes seulement).

Les CSV visent Excel en français, comme les exports de la file d'attente
(``dossiers.exports``) : UTF-8 avec BOM, séparateur « ; », décimales à virgule, dates
JJ/MM/AAAA ; une cellule de texte n'est jamais interprétée comme une formule.

Le nombre de requêtes ne dépend pas du nombre de dossiers ni de collectifs : tout est lu par
organisation (préchargements), jamais par ligne.
"""

import csv
import io
import json
import tempfile
import zipfile
from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from clas_portal.fichiers import nom_affichable
from dossiers.exports import DEBUTS_DE_FORMULE


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
  intervenants.csv        les intervenants de chaque dossier (statut, fonction, niveau de
                          diplôme, collectifs animés)
pieces/             les pièces déposées, sous leur nom d'origine
activite/           l'activité de l'année de chaque collectif, en tableaux CSV (Excel :
                    séparateur « ; ») :
  seances.csv             les séances : horaires, statut, date et heure prévues à l'origine
                          si elles ont été déplacées, motif d'annulation, activité,
                          animateurs, nombres d'inscrits et de présents
  actions-parents.csv     le journal des actions menées avec les parents
  rencontres-ecole.csv    le journal des rencontres avec l'école
  bilans.csv              les bilans de l'action : chiffres, réponses au questionnaire,
                          demande de correction de la Caf
  purges.csv              les purges des données par enfant après le bilan
  *-collectif-*.json      par collectif : séances, enfants (codes pseudonymes) et
                          présences, tant qu'ils n'ont pas été purgés après le bilan
"""


def _cellule(valeur) -> str:
    """Une valeur en texte de cellule CSV (Excel en français), jamais une formule."""
    if valeur is None or valeur == "":
        return ""
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, datetime):
        return timezone.localtime(valeur).strftime("%d/%m/%Y %H:%M")
    if isinstance(valeur, date):
        return valeur.strftime("%d/%m/%Y")
    if isinstance(valeur, time):
        return valeur.strftime("%H:%M")
    if isinstance(valeur, Decimal):
        return str(valeur).replace(".", ",")
    if isinstance(valeur, int):
        return str(valeur)
    texte = str(valeur)
    if texte.startswith(DEBUTS_DE_FORMULE):
        texte = "'" + texte
    return texte


def _csv(colonnes, objets) -> bytes:
    """Le CSV (UTF-8 avec BOM, « ; ») : une ligne d'en-têtes, puis une ligne par objet.

    ``colonnes`` : des couples (en-tête, fonction qui lit la valeur dans l'objet).
    """
    tampon = io.StringIO()
    tampon.write("\ufeff")
    ecrivain = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
    ecrivain.writerow([libelle for libelle, _valeur in colonnes])
    for objet in objets:
        ecrivain.writerow([_cellule(valeur(objet)) for _libelle, valeur in colonnes])
    return tampon.getvalue().encode("utf-8")


# Le dossier et le collectif de chaque ligne (l'objet porte ``collectif``, préchargé).
COLONNES_COLLECTIF = (
    ("Année scolaire", lambda o: o.collectif.dossier.annee_scolaire),
    ("Dossier", lambda o: o.collectif.dossier_id),
    ("Référence du dossier", lambda o: o.collectif.dossier.reference),
    ("N° du collectif", lambda o: o.collectif_id),
    ("Collectif", lambda o: str(o.collectif)),
)

COLONNES_INTERVENANTS = (
    ("Année scolaire", lambda i: i.dossier.annee_scolaire),
    ("Dossier", lambda i: i.dossier_id),
    ("Référence du dossier", lambda i: i.dossier.reference),
    ("Nom", lambda i: i.nom),
    ("Statut", lambda i: i.get_statut_display()),
    ("Fonction", lambda i: i.fonction),
    ("Niveau de diplôme", lambda i: i.get_niveau_diplome_display()),
    ("Diplôme justifié le", lambda i: i.diplome_justifie_le),
    ("Collectifs animés", lambda i: ", ".join(str(c) for c in i.collectifs.all())),
)

COLONNES_SEANCES = (
    *COLONNES_COLLECTIF,
    ("Date", lambda s: s.date),
    ("Heure de début", lambda s: s.debut),
    ("Durée (minutes)", lambda s: s.duree_minutes),
    ("Statut", lambda s: s.get_statut_display()),
    ("Origine", lambda s: s.get_origine_display()),
    ("Date prévue à l'origine", lambda s: s.date_prevue),
    ("Heure prévue à l'origine", lambda s: s.debut_prevu),
    ("Motif de l'annulation", lambda s: s.motif_annulation),
    ("Activité", lambda s: s.get_activite_display()),
    ("Précisions sur l'activité", lambda s: s.activite_detail),
    ("Animateurs présents", lambda s: ", ".join(a.nom for a in s.animateurs.all())),
    ("Enfants inscrits lors de l'appel", lambda s: s.nombre_inscrits),
    ("Enfants présents", lambda s: s.nombre_presents),
    ("Appel enregistré le", lambda s: s.appel_fait_le),
)

COLONNES_ACTIONS_PARENTS = (
    *COLONNES_COLLECTIF,
    ("Date", lambda a: a.date),
    ("Type d'action", lambda a: a.get_type_display()),
    ("Nombre de parents présents", lambda a: a.nombre_parents),
    ("Commentaire", lambda a: a.commentaire),
    ("Enregistrée le", lambda a: a.cree_le),
)

COLONNES_RENCONTRES_ECOLE = (
    *COLONNES_COLLECTIF,
    ("Date", lambda r: r.date),
    ("Avec qui", lambda r: r.interlocuteurs),
    ("Objet de la rencontre", lambda r: r.objet),
    ("Enregistrée le", lambda r: r.cree_le),
)

COLONNES_BILANS = (
    *COLONNES_COLLECTIF,
    ("Statut", lambda b: b.get_statut_display()),
    ("Origine", lambda b: b.get_origine_display()),
    ("Enfants inscrits", lambda b: b.enfants_inscrits),
    ("Filles", lambda b: b.filles),
    ("Garçons", lambda b: b.garcons),
    ("Familles", lambda b: b.familles),
    ("Séances réalisées", lambda b: b.seances_realisees),
    ("Heures réalisées", lambda b: b.heures_realisees),
    ("Taux de présence (entre 0 et 1)", lambda b: b.taux_presence),
    ("Intervenants salariés", lambda b: b.intervenants_salaries),
    ("Intervenants bénévoles", lambda b: b.intervenants_benevoles),
    ("Actions avec les parents", lambda b: b.actions_parents),
    ("Rencontres avec l'école", lambda b: b.rencontres_ecole),
    ("Objectifs atteints", lambda b: b.objectifs_atteints),
    ("Difficultés rencontrées", lambda b: b.difficultes),
    ("Perspectives pour l'année suivante", lambda b: b.perspectives),
    ("Soumis le", lambda b: b.soumis_le),
    ("Soumis par", lambda b: b.soumis_par.email if b.soumis_par else ""),
    ("Correction demandée par la Caf", lambda b: b.correction_demandee),
    ("Correction demandée le", lambda b: b.correction_demandee_le),
    ("Saisi le", lambda b: b.saisi_le),
)

COLONNES_PURGES = (
    *COLONNES_COLLECTIF,
    ("Purgé le", lambda p: p.purge_le),
    ("Bilan soumis le", lambda p: p.bilan_soumis_le),
    ("Enfants supprimés", lambda p: p.enfants_supprimes),
    ("Présences supprimées", lambda p: p.presences_supprimees),
)


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


def _a_un_bilan(collectif) -> bool:
    from seances.models import BilanAction

    try:
        collectif.bilan  # noqa: B018 (préchargé)
    except BilanAction.DoesNotExist:
        return False
    return True


def construire_export(porteur, utilisateur):
    """Le ZIP dans un fichier temporaire (rembobiné), prêt à être servi."""
    from collectifs.models import Collectif, Intervenant
    from dossiers.exportation import dossier_vers_document
    from dossiers.models import Evenement, Message
    from seances.models import (
        ActionParents,
        Enfant,
        Presence,
        PurgeDonneesEnfants,
        RencontreEcole,
        Seance,
    )

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
        dossiers = list(
            porteur.dossiers.select_related("porteur", "departement")
            .prefetch_related(
                Prefetch(
                    "collectifs",
                    queryset=Collectif.objects.select_related("bilan__soumis_par")
                    .prefetch_related("creneaux")
                    .order_by("ordre", "pk"),
                ),
                Prefetch(
                    "intervenants",
                    queryset=Intervenant.objects.prefetch_related(
                        Prefetch("collectifs", queryset=Collectif.objects.order_by("ordre", "pk"))
                    ).order_by("nom", "pk"),
                ),
                "pieces",
                Prefetch(
                    "messages",
                    queryset=Message.objects.select_related("auteur").order_by("cree_le", "pk"),
                ),
                Prefetch("evenements", queryset=Evenement.objects.order_by("cree_le", "pk")),
            )
            .order_by("annee", "pk")
        )
        # L'activité : lue une fois pour toute l'organisation (même périmètre que les dossiers),
        # puis rangée par collectif.
        du_porteur = {"collectif__dossier__porteur": porteur}
        ordre_collectif = (
            "collectif__dossier__annee",
            "collectif__dossier_id",
            "collectif__ordre",
            "collectif_id",
        )
        seances = list(
            Seance.objects.filter(**du_porteur)
            .select_related("collectif__dossier")
            .prefetch_related("animateurs")
            .order_by(*ordre_collectif, "date", "debut", "pk")
        )
        seances_par_collectif = defaultdict(list)
        for seance in seances:
            seances_par_collectif[seance.collectif_id].append(seance)
        enfants_par_collectif = defaultdict(list)
        for enfant in Enfant.objects.filter(**du_porteur).order_by("code"):
            enfants_par_collectif[enfant.collectif_id].append(enfant)
        par_seance: dict[int, dict[str, bool]] = defaultdict(dict)
        presences = Presence.objects.filter(seance__collectif__dossier__porteur=porteur)
        for seance_id, code, present in presences.values_list(
            "seance_id", "enfant__code", "present"
        ):
            par_seance[seance_id][code] = present

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
                    for m in dossier.messages.all()
                ],
                "historique": [
                    {
                        "date": e.cree_le,
                        "evenement": e.get_type_display(),
                        "etat_avant": e.etat_avant,
                        "etat_apres": e.etat_apres,
                        "commentaire": e.commentaire,
                    }
                    for e in dossier.evenements.all()
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
                seances_du_collectif = seances_par_collectif[collectif.pk]
                enfants = enfants_par_collectif[collectif.pk]
                if not seances_du_collectif and not enfants:
                    continue
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
                                for s in seances_du_collectif
                            ],
                        }
                    ),
                )

        archive.writestr(
            "dossiers/intervenants.csv",
            _csv(
                COLONNES_INTERVENANTS,
                [i for dossier in dossiers for i in dossier.intervenants.all()],
            ),
        )
        # Les tableaux de l'activité : aucune donnée par enfant (seulement des agrégats).
        archive.writestr("activite/seances.csv", _csv(COLONNES_SEANCES, seances))
        archive.writestr(
            "activite/actions-parents.csv",
            _csv(
                COLONNES_ACTIONS_PARENTS,
                ActionParents.objects.filter(**du_porteur)
                .select_related("collectif__dossier")
                .order_by(*ordre_collectif, "date", "pk"),
            ),
        )
        archive.writestr(
            "activite/rencontres-ecole.csv",
            _csv(
                COLONNES_RENCONTRES_ECOLE,
                RencontreEcole.objects.filter(**du_porteur)
                .select_related("collectif__dossier")
                .order_by(*ordre_collectif, "date", "pk"),
            ),
        )
        bilans = [
            collectif.bilan
            for dossier in dossiers
            for collectif in dossier.collectifs.all()
            if _a_un_bilan(collectif)
        ]
        archive.writestr("activite/bilans.csv", _csv(COLONNES_BILANS, bilans))
        archive.writestr(
            "activite/purges.csv",
            _csv(
                COLONNES_PURGES,
                PurgeDonneesEnfants.objects.filter(**du_porteur)
                .select_related("collectif__dossier")
                .order_by(*ordre_collectif, "purge_le", "pk"),
            ),
        )
    sortie.seek(0)
    return sortie
