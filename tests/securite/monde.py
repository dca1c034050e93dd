"""Le « monde » du parcours des URL : deux organisations jumelles et les comptes de chaque rôle.

- l'organisation du Nord (« Association Nord Alpha », département 59), dont ``porteur`` est
  responsable : c'est sur SES objets que chaque URL est parcourue ;
- l'organisation de la Creuse (« Association Creuse Gamma », département 23), dont
  ``autre_porteur`` est responsable : ses objets servent aux accès croisés (un porteur sur les
  objets d'un autre, un agent du Nord sur ceux de la Creuse) ;
- un agent et un secrétariat dans chaque département, l'administration nationale.

Chaque organisation a tout ce qu'une URL peut désigner : dossiers brouillon, déposé et accepté
(évaluations figées au dépôt et à la décision), collectifs, pièces, pièces permanentes,
invitation, membre contributeur, séances (passée, prévue, annulée), enfant, journaux, bilan de
l'action soumis, campagne et génération de bilan de son département.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_celery_results.models import GroupResult, TaskResult
from django_otp.plugins.otp_totp.models import TOTPDevice

from bilans.models import EtatGeneration, GenerationBilan
from comptes.models import Utilisateur
from dossiers.evaluation import figer_evaluation
from dossiers.models import (
    Campagne,
    CategorieDepense,
    Dossier,
    Etat,
    Evaluation,
    Evenement,
    LigneBudget,
    Message,
    PieceJustificative,
)
from porteurs.models import Invitation, Membre, PiecePermanente, Porteur
from porteurs.services import creer_invitation
from seances.models import (
    ActionParents,
    BilanAction,
    Enfant,
    PurgeDonneesEnfants,
    RencontreEcole,
    Seance,
)
from tests.factories import (
    BilanActionFactory,
    CollectifFactory,
    CreneauFactory,
    DossierFactory,
    IntervenantFactory,
    MembreFactory,
    PorteurFactory,
    UtilisateurFactory,
    departement,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24

ANNEE = 2025  # l'année scolaire 2025-2026, terminée : toutes ses séances sont passées
ANNEE_CAMPAGNE = 2026

# Les rôles du parcours. Les objets parcourus sont ceux de l'organisation du Nord.
ANONYME = "anonyme"
PORTEUR = "porteur"  # responsable de l'organisation du Nord
AUTRE_PORTEUR = "autre_porteur"  # responsable de l'organisation de la Creuse
AGENT = "agent"  # agent Caf du Nord (59)
AGENT_CREUSE = "agent_creuse"  # agent Caf de la Creuse (23)
SECRETARIAT = "secretariat"  # secrétariat du comité du Nord
SECRETARIAT_CREUSE = "secretariat_creuse"
ADMIN = "admin"  # administration nationale (is_staff, is_superuser)

ROLES = (
    ANONYME,
    PORTEUR,
    AUTRE_PORTEUR,
    AGENT,
    AGENT_CREUSE,
    SECRETARIAT,
    SECRETARIAT_CREUSE,
    ADMIN,
)
CONNECTES = ROLES[1:]


@dataclass
class Organisation:
    """Une organisation porteuse et tout ce qui lui appartient."""

    porteur: Porteur
    responsable: Utilisateur
    contributeur: Membre
    invitation: Invitation
    piece_permanente: PiecePermanente
    # Brouillon : les pages de saisie.
    brouillon: Dossier
    collectif_brouillon: object
    piece_brouillon: PieceJustificative
    # Déposé : l'instruction (contrôle, notes, transitions, décision, assignation).
    depose: Dossier
    # Accepté : le suivi, l'accusé, la lettre, l'année du Clas.
    accepte: Dossier
    collectif: object  # sans bilan de l'action (le porteur le remplit)
    collectif_bilan_soumis: object  # bilan soumis (la Caf peut demander une correction)
    piece: PieceJustificative
    seance_passee: Seance
    seance_prevue: Seance
    seance_annulee: Seance
    enfant: Enfant
    action_parents: ActionParents
    rencontre_ecole: RencontreEcole
    campagne: Campagne
    generation: GenerationBilan

    @property
    def code_departement(self) -> str:
        return self.porteur.departement_id


@dataclass
class Monde:
    nord: Organisation
    creuse: Organisation
    utilisateurs: dict
    sessions: dict = field(default_factory=dict)
    # Liens reçus par courriel : confirmation d'inscription, nouveau mot de passe.
    inscription: dict = field(default_factory=dict)
    reinitialisation: dict = field(default_factory=dict)
    appareil_totp: TOTPDevice | None = None


def _piece_dossier(dossier, nom="budget.pdf") -> PieceJustificative:
    return PieceJustificative.objects.create(
        dossier=dossier,
        type="budget",
        fichier=SimpleUploadedFile(nom, PDF),
        nom_original=nom,
        type_mime="application/pdf",
        extension="pdf",
        taille=len(PDF),
    )


def _piece_permanente(porteur) -> PiecePermanente:
    return PiecePermanente.objects.create(
        porteur=porteur,
        type="rib",
        fichier=SimpleUploadedFile("rib.png", PNG),
        nom_original="rib.png",
        type_mime="image/png",
        extension="png",
        taille=len(PNG),
    )


def _collectif(dossier, code_postal: str, **extra):
    collectif = CollectifFactory(dossier=dossier, lieu_code_postal=code_postal, **extra)
    CreneauFactory(collectif=collectif)
    return collectif


def _deposer(dossier, auteur) -> None:
    """Ce que laisse un dépôt : l'évaluation figée, puis l'événement (l'accusé les relit)."""
    figer_evaluation(dossier, Evaluation.Motif.DEPOT)
    Evenement.objects.create(
        dossier=dossier,
        type=Evenement.Type.DEPOT,
        auteur=auteur,
        etat_avant=Etat.BROUILLON,
        etat_apres=Etat.DEPOSE,
    )


def construire_organisation(
    code: str, raison_sociale: str, code_postal: str, responsable, invite: str
) -> Organisation:
    dep = departement(code)
    porteur = PorteurFactory(
        raison_sociale=raison_sociale, departement=dep, code_postal=code_postal
    )
    MembreFactory(porteur=porteur, utilisateur=responsable)
    contributeur = MembreFactory(
        porteur=porteur,
        utilisateur__email=f"contributeur{code}@exemple.fr",
        qualite=Membre.Qualite.CONTRIBUTEUR,
    )
    invitation = creer_invitation(porteur, invite, responsable)
    commun = {"porteur": porteur, "annee": ANNEE, "complet": True}

    brouillon = DossierFactory(**commun)
    collectif_brouillon = _collectif(brouillon, code_postal)
    piece_brouillon = _piece_dossier(brouillon)

    depose = DossierFactory(depose=True, **commun)
    _collectif(depose, code_postal)
    _deposer(depose, responsable)

    accepte = DossierFactory(
        depose=True,
        etat=Etat.ACCEPTE,
        montant_accorde=Decimal("5000.00"),
        date_decision=datetime.date(2025, 10, 15),
        **commun,
    )
    collectif = _collectif(accepte, code_postal, montant_accorde=Decimal("2500.00"))
    collectif_bilan_soumis = _collectif(accepte, code_postal, montant_accorde=Decimal("2500.00"))
    BilanActionFactory(
        collectif=collectif_bilan_soumis,
        statut=BilanAction.Statut.SOUMIS,
        soumis_le=timezone.now(),
        soumis_par=responsable,
    )
    _deposer(accepte, responsable)
    figer_evaluation(accepte, Evaluation.Motif.DECISION)
    piece = _piece_dossier(accepte, "compte-rendu.pdf")

    def seance(jour: int, **extra) -> Seance:
        return Seance.objects.create(
            collectif=collectif,
            date=datetime.date(2025, 11, jour),
            debut=datetime.time(16, 45),
            duree_minutes=90,
            **extra,
        )

    generation = GenerationBilan.objects.create(
        departement=dep,
        annee=ANNEE,
        empreinte=code.rjust(64, "0"),
        etat=EtatGeneration.TERMINEE,
        progression=100,
        fichier_pdf=ContentFile(PDF, name="bilan.pdf"),
        fichier_json=ContentFile(b"{}", name="bilan.json"),
        terminee_le=timezone.now(),
    )
    campagne, _ = Campagne.objects.get_or_create(
        departement=dep,
        annee=ANNEE_CAMPAGNE,
        defaults={
            "ouverture": datetime.date(ANNEE_CAMPAGNE, 9, 1),
            "cloture": datetime.date(ANNEE_CAMPAGNE, 10, 31),
        },
    )
    return Organisation(
        porteur=porteur,
        responsable=responsable,
        contributeur=contributeur,
        invitation=invitation,
        piece_permanente=_piece_permanente(porteur),
        brouillon=brouillon,
        collectif_brouillon=collectif_brouillon,
        piece_brouillon=piece_brouillon,
        depose=depose,
        accepte=accepte,
        collectif=collectif,
        collectif_bilan_soumis=collectif_bilan_soumis,
        piece=piece,
        seance_passee=seance(4),
        seance_prevue=seance(18),
        seance_annulee=seance(25, statut=Seance.Statut.ANNULEE, motif_annulation="Grève"),
        enfant=Enfant.objects.create(
            collectif=collectif, code=f"E{code}-01", classe="CM1", sexe="F", code_famille="F1"
        ),
        action_parents=ActionParents.objects.create(
            collectif=collectif,
            type=ActionParents.Type.REUNION,
            date=datetime.date(2025, 10, 1),
            nombre_parents=3,
        ),
        rencontre_ecole=RencontreEcole.objects.create(
            collectif=collectif, date=datetime.date(2025, 10, 2), interlocuteurs="la directrice"
        ),
        campagne=campagne,
        generation=generation,
    )


def _lien_du_courriel(utilisateur) -> dict:
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(utilisateur.pk)),
        "token": default_token_generator.make_token(utilisateur),
    }


def construire_monde() -> Monde:
    dep23 = departement("23")
    utilisateurs = {
        PORTEUR: UtilisateurFactory(email="porteur@nord-alpha.fr"),
        AUTRE_PORTEUR: UtilisateurFactory(email="porteur@creuse-gamma.fr"),
        AGENT: UtilisateurFactory(agent=True, email="agent59@caf.fr"),
        AGENT_CREUSE: UtilisateurFactory(agent=True, departement=dep23, email="agent23@caf.fr"),
        SECRETARIAT: UtilisateurFactory(secretariat=True, email="secretariat59@caf.fr"),
        SECRETARIAT_CREUSE: UtilisateurFactory(
            secretariat=True, departement=dep23, email="secretariat23@caf.fr"
        ),
        ADMIN: UtilisateurFactory(admin=True, email="admin@cnaf.fr"),
    }
    nord = construire_organisation(
        "59",
        "Association Nord Alpha",
        "59100",
        utilisateurs[PORTEUR],
        # L'invitation du Nord attend le responsable de la Creuse : le lien n'ouvre la page
        # « rejoindre » qu'à lui (et la création de compte à un visiteur non connecté).
        invite=utilisateurs[AUTRE_PORTEUR].email,
    )
    creuse = construire_organisation(
        "23",
        "Association Creuse Gamma",
        "23000",
        utilisateurs[AUTRE_PORTEUR],
        invite="invite@creuse-gamma.fr",
    )
    monde = Monde(nord=nord, creuse=creuse, utilisateurs=utilisateurs)
    # Une session par rôle, ouverte une fois : chaque test ne fait que présenter son cookie.
    for role, utilisateur in utilisateurs.items():
        client = Client()
        client.force_login(utilisateur)
        monde.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Les jetons dépendent de la dernière connexion : calculés après les connexions.
    en_attente = UtilisateurFactory(email="en-attente@exemple.fr", is_active=False)
    monde.inscription = _lien_du_courriel(en_attente)
    monde.reinitialisation = _lien_du_courriel(Utilisateur.objects.get(pk=nord.responsable.pk))
    monde.appareil_totp = peupler_l_administration(nord)
    return monde


def peupler_l_administration(nord: Organisation) -> TOTPDevice:
    """Au moins un objet pour chaque modèle de l'administration que le monde ne crée pas déjà :
    ses pages de modification, de suppression et d'historique s'ouvrent sur un objet réel."""
    Group.objects.create(name="Parcours des URL")
    TaskResult.objects.create(task_id="parcours-des-url", content_type="application/json")
    GroupResult.objects.create(group_id="parcours-des-url", content_type="application/json")
    LigneBudget.objects.create(
        dossier=nord.accepte,
        sens=LigneBudget.Sens.DEPENSE,
        categorie=CategorieDepense.PERSONNEL,
        montant=Decimal("1000.00"),
    )
    Message.objects.create(dossier=nord.accepte, auteur=nord.responsable, texte="Bonjour.")
    IntervenantFactory(dossier=nord.accepte)
    PurgeDonneesEnfants.objects.create(
        collectif=nord.collectif_bilan_soumis, enfants_supprimes=0, presences_supprimees=0
    )
    tentative = {"user_agent": "test", "http_accept": "*/*", "path_info": "/connexion/"}
    AccessAttempt.objects.create(
        username="inconnu@exemple.fr",
        ip_address="192.0.2.1",
        get_data="",
        post_data="",
        failures_since_start=1,
        **tentative,
    )
    AccessLog.objects.create(username="inconnu@exemple.fr", ip_address="192.0.2.1", **tentative)
    AccessFailureLog.objects.create(
        username="inconnu@exemple.fr", ip_address="192.0.2.1", **tentative
    )
    # Un appareil TOTP (celui d'un contributeur) pour les pages de l'administration d'otp_totp.
    return TOTPDevice.objects.create(
        user=nord.contributeur.utilisateur, name="téléphone", confirmed=True
    )
