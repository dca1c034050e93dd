"""Fichiers téléversés : contrôle par le contenu, taille bornée, noms aléatoires, stockage privé.

Les pièces vivent sous ``MEDIA_ROOT`` (jamais servi directement) ; une vue vérifie les droits
avant chaque téléchargement et répond en pièce jointe avec ``nosniff``.
"""

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

TAILLE_MAX_PIECE = 10 * 1024 * 1024

# Signature (octets de tête) → (type MIME, extension)
SIGNATURES = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
]
TYPES_ACCEPTES = "PDF, JPEG ou PNG"


def type_par_contenu(tete: bytes) -> tuple[str, str] | None:
    """Le type réel d'un fichier d'après ses premiers octets, ou None s'il n'est pas accepté."""
    for signature, mime, extension in SIGNATURES:
        if tete.startswith(signature):
            return mime, extension
    return None


def valider_piece(fichier) -> tuple[str, str]:
    """Vérifie taille et contenu d'un fichier téléversé ; renvoie (type MIME, extension)."""
    if fichier.size > TAILLE_MAX_PIECE:
        taille = fichier.size / (1024 * 1024)
        raise ValidationError(
            "Le fichier « %(nom)s » pèse %(taille)s Mo : 10 Mo au plus.",
            code="trop_gros",
            params={
                "nom": nom_affichable(fichier.name),
                "taille": f"{taille:.1f}".replace(".", ","),
            },
        )
    if fichier.size == 0:
        raise ValidationError(
            "Le fichier « %(nom)s » est vide.",
            code="vide",
            params={"nom": nom_affichable(fichier.name)},
        )
    fichier.seek(0)
    tete = fichier.read(16)
    fichier.seek(0)
    trouve = type_par_contenu(tete)
    if trouve is None:
        raise ValidationError(
            "Le fichier « %(nom)s » n'est pas un %(types)s (son contenu a été vérifié, pas "
            "seulement son nom).",
            code="type_refuse",
            params={"nom": nom_affichable(fichier.name), "types": TYPES_ACCEPTES},
        )
    fichier.clas_analyse = analyser_a_l_envoi(fichier)
    return trouve


class Analyse(models.TextChoices):
    NON_CONFIGUREE = "non_configuree", "non analysée (antivirus non configuré)"
    EN_ATTENTE = "en_attente", "en attente d'analyse antivirus"
    SAINE = "saine", "analysée : saine"
    INFECTEE = "infectee", "analysée : infectée"


def analyser_a_l_envoi(fichier) -> str:
    """Analyse antivirus au dépôt : un fichier infecté est refusé (rien n'est enregistré) ;
    antivirus injoignable → la pièce est acceptée « en attente » et réanalysée plus tard."""
    from . import antivirus

    if not antivirus.configure():
        return Analyse.NON_CONFIGUREE
    try:
        signature = antivirus.analyser(fichier)
    except antivirus.AntivirusIndisponible:
        return Analyse.EN_ATTENTE
    if signature is not None:
        raise ValidationError(
            "Le fichier « %(nom)s » contient un virus (%(signature)s) : il a été refusé. "
            "Analysez votre poste avant de déposer une autre version.",
            code="infecte",
            params={"nom": nom_affichable(fichier.name), "signature": signature},
        )
    return Analyse.SAINE


def verifier_analyse(objet) -> None:
    """Le personnel Caf ne télécharge une pièce qu'analysée saine (ou sans antivirus configuré) :
    une pièce en attente d'analyse ou infectée est refusée (403, consigné au journal d'audit)."""
    from django.core.exceptions import PermissionDenied

    from audit.journal import requete_courante

    analyse = getattr(objet, "analyse", None)
    if analyse in (None, Analyse.SAINE, Analyse.NON_CONFIGUREE):
        return
    requete = requete_courante()
    user = getattr(requete, "user", None)
    if user is not None and user.is_authenticated and user.est_porteur:
        return  # le porteur relit ce qu'il a lui-même déposé
    if analyse == Analyse.INFECTEE:
        raise PermissionDenied("Cette pièce a été détectée comme infectée : elle n'est pas servie.")
    raise PermissionDenied(
        "Cette pièce n'a pas encore été analysée par l'antivirus : réessayez dans quelques minutes."
    )


def nom_affichable(nom: str) -> str:
    """Le nom d'origine réduit à son dernier composant, sans chemin (« ../../x.pdf » → « x.pdf »)."""
    nom = (nom or "").replace("\\", "/")
    dernier = PurePosixPath(nom).name
    propre = "".join(c for c in dernier if c.isprintable() and c not in '<>:"|?*')
    return propre[:120] or "fichier"


EXTENSIONS_EQUIVALENTES = {"pdf": {"pdf"}, "jpg": {"jpg", "jpeg"}, "png": {"png"}}


def nom_d_origine(nom: str, extension: str) -> str:
    """Le nom d'origine sans chemin ; son extension suit le contenu réel du fichier."""
    nom = nom_affichable(nom)
    chemin = PurePosixPath(nom)
    if chemin.suffix.lower().lstrip(".") not in EXTENSIONS_EQUIVALENTES[extension]:
        nom = f"{chemin.stem or 'fichier'}.{extension}"
    return nom[:120]


def chemin_aleatoire(prefixe: str, extension: str) -> str:
    """Nom de stockage aléatoire : rien du nom d'origine n'atteint le disque."""
    return f"{prefixe}/{secrets.token_hex(2)}/{secrets.token_urlsafe(24)}.{extension}"


def reponse_telechargement(
    champ_fichier, nom: str, type_mime: str, *, objet=None, action: str = "telechargement_piece"
):
    """Réponse de téléchargement d'une pièce : en pièce jointe, type fixé, ``nosniff``.

    Appelée seulement après la vérification des droits (``visible_to``) par la vue. Chaque
    téléchargement est consigné au journal d'audit (``objet`` : la pièce ou le bilan).
    """
    from django.http import FileResponse, Http404

    from audit.journal import consigner

    verifier_analyse(objet)
    try:
        flux = champ_fichier.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("Ce fichier n'est plus disponible.") from exc
    consigner(action, objet=objet, details={"fichier": nom_affichable(nom)})
    reponse = FileResponse(
        flux, as_attachment=True, filename=nom_affichable(nom), content_type=type_mime
    )
    reponse["X-Content-Type-Options"] = "nosniff"
    reponse["Cache-Control"] = "private, no-store"
    return reponse


def chemin_piece(instance, _nom: str) -> str:
    """``upload_to`` des pièces : dossier propre au modèle, nom aléatoire, extension vérifiée."""
    return chemin_aleatoire(instance.DOSSIER_STOCKAGE, instance.extension)


class PieceTeleversee(models.Model):
    """Ce que toute pièce téléversée garde : le fichier (nom aléatoire), son nom d'origine,
    son type réel, sa taille, qui l'a déposée et quand."""

    DOSSIER_STOCKAGE = "pieces"

    fichier = models.FileField("fichier", upload_to=chemin_piece, max_length=200)
    nom_original = models.CharField("nom du fichier d'origine", max_length=120)
    type_mime = models.CharField("type de contenu", max_length=40)
    extension = models.CharField("extension", max_length=4)
    taille = models.PositiveIntegerField("taille (octets)")
    deposee_le = models.DateTimeField("déposée le", auto_now_add=True)
    deposee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="déposée par",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    analyse = models.CharField(
        "analyse antivirus",
        max_length=16,
        choices=Analyse.choices,
        default=Analyse.NON_CONFIGUREE,
    )
    analyse_le = models.DateTimeField("analysée le", null=True, blank=True)

    class Meta:
        abstract = True

    def attacher(self, fichier, type_mime: str, extension: str, par) -> None:
        """Rattache un fichier déjà contrôlé (``valider_piece``) ; l'extension d'abord, car le
        chemin de stockage en dépend."""
        self.extension = extension
        self.type_mime = type_mime
        self.nom_original = nom_d_origine(fichier.name, extension)
        self.taille = fichier.size
        self.deposee_par = par
        self.fichier = fichier
        self.analyse = getattr(fichier, "clas_analyse", Analyse.NON_CONFIGUREE)
        if self.analyse in (Analyse.SAINE, Analyse.INFECTEE):
            from django.utils import timezone

            self.analyse_le = timezone.now()
