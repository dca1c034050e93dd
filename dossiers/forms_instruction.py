"""Formulaires de l'instruction par la Caf : points de contrôle, notes internes, transitions.

Pas de travail perdu (verrouillage optimiste) : chaque formulaire qui modifie le dossier côté
Caf porte la ``version`` que l'agent a chargée, et les repères des derniers événements et points
de contrôle qu'il avait sous les yeux. À l'enregistrement, la version est réservée par un
``UPDATE … WHERE version = v`` : zéro ligne, c'est qu'un autre a modifié le dossier entre-temps ;
rien n'est écrit et ``Conflit`` dit ce qui a changé depuis. Les notes internes, qui ne font
que s'ajouter, n'ont pas de conflit possible.
"""

from dataclasses import dataclass, field

from django import forms
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import workflow
from .models import Dossier, Evenement, NotePrivee, PointControle

MOTIF_MAX = 5000


@dataclass
class Reperes:
    """Ce que l'agent avait sous les yeux en ouvrant la page."""

    version: int
    evenement_vu: int = 0
    point_vu: int = 0

    def initial(self) -> dict:
        return {
            "version": self.version,
            "evenement_vu": self.evenement_vu,
            "point_vu": self.point_vu,
        }


@dataclass(eq=False)
class Conflit(Exception):
    """Le dossier a changé depuis le chargement de la page : rien n'a été enregistré."""

    version_chargee: int
    version_actuelle: int
    evenements: list = field(default_factory=list)
    points: list = field(default_factory=list)
    # Ce que l'agent voulait enregistrer, pour qu'il ne le perde pas (phrases en français).
    saisie: list = field(default_factory=list)

    def lignes(self) -> list[dict]:
        """Les événements et les coches, mêlés dans l'ordre où ils sont arrivés."""
        lignes = [
            {"le": e.cree_le, "auteur": e.auteur, "evenement": e, "point": None}
            for e in self.evenements
        ] + [{"le": p.le, "auteur": p.par, "evenement": None, "point": p} for p in self.points]
        return sorted(lignes, key=lambda ligne: ligne["le"])

    def __str__(self):
        return (
            f"Le dossier a été modifié depuis l'ouverture de la page (version "
            f"{self.version_chargee}, maintenant {self.version_actuelle}) : rien n'a été "
            "enregistré."
        )


def changements_depuis(dossier: Dossier, utilisateur, evenement_vu: int, point_vu: int):
    """Les événements et points de contrôle écrits après ceux que l'agent avait vus."""
    evenements = list(
        Evenement.objects.visible_to(utilisateur)
        .filter(dossier=dossier, pk__gt=evenement_vu)
        .select_related("auteur")
        .order_by("cree_le", "pk")
    )
    points = list(
        PointControle.objects.visible_to(utilisateur)
        .filter(dossier=dossier, pk__gt=point_vu)
        .select_related("par")
        .order_by("le", "pk")
    )
    return evenements, points


def derniers_par_point(lignes) -> dict:
    """Code → dernière ligne ``PointControle`` (les lignes sont dans l'ordre chronologique)."""
    return {ligne.code: ligne for ligne in lignes}


class VersionForm(forms.Form):
    """Base des formulaires verrouillés : version chargée et repères, en champs cachés."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    evenement_vu = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    point_vu = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(self, *args, dossier: Dossier, utilisateur, reperes: Reperes | None = None, **kw):
        if reperes is not None:
            kw["initial"] = {**reperes.initial(), **kw.get("initial", {})}
        super().__init__(*args, **kw)
        self.dossier = dossier
        self.utilisateur = utilisateur
        for nom in ("version", "evenement_vu", "point_vu"):
            self.fields[nom].error_messages["required"] = (
                "La version du dossier manque : rechargez la page puis recommencez."
            )
            self.fields[nom].error_messages["invalid"] = (
                "La version du dossier est illisible : rechargez la page puis recommencez."
            )

    def saisie_resumee(self) -> list[str]:
        """Ce que l'agent voulait enregistrer, rappelé dans le message de conflit."""
        return []

    def reserver_version(self, *, incrementer: bool) -> None:
        """Dans la transaction en cours : réserve la version chargée, ou lève ``Conflit``.

        L'``UPDATE … WHERE version = v`` verrouille la ligne jusqu'à la fin de la transaction
        (ligne sous PostgreSQL, base sous SQLite) : deux enregistrements simultanés ne peuvent
        pas partir de la même version. ``incrementer=False`` quand la suite de la transaction
        incrémente elle-même la version (``workflow.appliquer``).
        """
        version = self.cleaned_data["version"]
        nouvelle = F("version") + 1 if incrementer else F("version")
        reservees = Dossier.objects.filter(pk=self.dossier.pk, version=version).update(
            version=nouvelle, modifie_le=timezone.now()
        )
        if reservees == 1:
            if incrementer:
                self.dossier.version = version + 1
            return
        actuelle = Dossier.objects.filter(pk=self.dossier.pk).values_list("version", flat=True)
        evenements, points = changements_depuis(
            self.dossier,
            self.utilisateur,
            self.cleaned_data.get("evenement_vu") or 0,
            self.cleaned_data.get("point_vu") or 0,
        )
        raise Conflit(
            version_chargee=version,
            version_actuelle=actuelle.first() or version,
            evenements=evenements,
            points=points,
            saisie=self.saisie_resumee(),
        )


class PointsControleForm(VersionForm):
    """La liste de contrôle de l'agent : une case et un commentaire par point à juger.

    Chaque point qui change (coché, décoché, commentaire modifié) donne une ligne nouvelle de
    ``PointControle`` (qui, quand) ; les points inchangés n'écrivent rien.
    """

    def __init__(self, *args, lignes: list, **kwargs):
        """``lignes`` : toutes les lignes ``PointControle`` du dossier, des plus anciennes aux
        plus récentes ; la dernière de chaque point est son état actuel."""
        initial = kwargs.pop("initial", {})
        self.lignes = lignes
        self.etat_actuel = derniers_par_point(lignes)
        for code in PointControle.Code.values:
            dernier = self.etat_actuel.get(code)
            initial.setdefault(f"{code}_coche", bool(dernier and dernier.coche))
            initial.setdefault(f"{code}_commentaire", dernier.commentaire if dernier else "")
        super().__init__(*args, initial=initial, **kwargs)
        for code, libelle in PointControle.Code.choices:
            self.fields[f"{code}_coche"] = forms.BooleanField(
                label=libelle[:1].upper() + libelle[1:], required=False
            )
            self.fields[f"{code}_commentaire"] = forms.CharField(
                label=f"Commentaire ({libelle})",
                required=False,
                max_length=255,
                strip=True,
                error_messages={
                    "max_length": "Un commentaire compte au plus %(limit_value)d caractères "
                    "(il en compte %(show_value)d)."
                },
            )

    def changements(self) -> list[tuple[str, bool, str]]:
        """(code, coché, commentaire) des points que l'agent a modifiés.

        La comparaison se fait avec ce que l'agent avait sous les yeux (les lignes jusqu'à
        ``point_vu``), pas avec l'état actuel : une coche posée par un collègue entre-temps
        n'est pas prise pour une décoche de l'agent.
        """
        vu = self.cleaned_data.get("point_vu") or 0
        etat_vu = derniers_par_point(ligne for ligne in self.lignes if ligne.pk <= vu)
        resultat = []
        for code in PointControle.Code.values:
            coche = self.cleaned_data[f"{code}_coche"]
            commentaire = self.cleaned_data[f"{code}_commentaire"]
            dernier = etat_vu.get(code)
            avant = (dernier.coche, dernier.commentaire) if dernier else (False, "")
            if (coche, commentaire) != avant:
                resultat.append((code, coche, commentaire))
        return resultat

    def saisie_resumee(self) -> list[str]:
        libelles = dict(PointControle.Code.choices)
        return [
            f"{libelles[code]} : {'vérifié' if coche else 'non vérifié'}"
            + (f" — « {commentaire} »" if commentaire else "")
            for code, coche, commentaire in self.changements()
        ]

    def save(self) -> list[PointControle]:
        """Écrit une ligne par point modifié et incrémente la version ; ``Conflit`` sinon."""
        changements = self.changements()
        if not changements:
            return []
        with transaction.atomic():
            self.reserver_version(incrementer=True)
            return PointControle.objects.bulk_create(
                PointControle(
                    dossier=self.dossier,
                    code=code,
                    coche=coche,
                    commentaire=commentaire,
                    par=self.utilisateur,
                )
                for code, coche, commentaire in changements
            )


class NotePriveeForm(forms.ModelForm):
    """Une note interne à la Caf ; les notes ne font que s'ajouter (pas de version)."""

    texte = forms.CharField(
        label="Nouvelle note interne",
        max_length=MOTIF_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Visible de la Caf et de l'administration nationale, jamais du porteur.",
        error_messages={
            "required": "Écrivez la note avant de l'enregistrer.",
            "max_length": "Une note compte au plus %(limit_value)d caractères "
            "(elle en compte %(show_value)d).",
        },
    )

    class Meta:
        model = NotePrivee
        fields = ["texte"]

    def save(self, *, dossier: Dossier, auteur) -> NotePrivee:
        self.instance.dossier = dossier
        self.instance.auteur = auteur
        return super().save()


# Ce que le champ « motif » demande, selon la transition (les autres n'en ont pas).
LIBELLES_MOTIF = {
    "demander_complement": (
        "Ce que le porteur doit compléter",
        "Ce texte est envoyé au porteur par courriel et s'affiche sur son dossier.",
    ),
    "rouvrir": (
        "Motif de la réouverture",
        "Le porteur le reçoit par courriel ; il reste dans l'historique du dossier.",
    ),
    "reprendre_instruction": (
        "Pourquoi l'instruction reprend",
        "Le porteur le reçoit par courriel ; il reste dans l'historique du dossier. Le dossier "
        "revient « en instruction » : vous pourrez le proposer de nouveau au comité.",
    ),
}

# La case à cocher des transitions à ``confirmation_obligatoire`` : (libellé, message d'erreur).
CONFIRMATIONS = {
    "proposer_comite": (
        "Je confirme que l'instruction est terminée et que le dossier est proposé au comité ; "
        "le porteur sera prévenu par courriel.",
        "Cochez la case de confirmation pour proposer le dossier au comité.",
    ),
}


class TransitionForm(VersionForm):
    """Un changement d'état décidé depuis la page du dossier (``workflow.appliquer``)."""

    motif = forms.CharField(
        required=False,
        max_length=MOTIF_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": "Le texte compte au plus %(limit_value)d caractères "
            "(il en compte %(show_value)d)."
        },
    )

    def __init__(self, *args, transition: workflow.Transition, **kwargs):
        kwargs.setdefault("prefix", transition.nom)
        super().__init__(*args, **kwargs)
        self.transition = transition
        libelle, aide = LIBELLES_MOTIF.get(
            transition.nom, ("Motif", "Le porteur le reçoit par courriel.")
        )
        champ = self.fields["motif"]
        champ.label, champ.help_text = libelle, aide
        if transition.motif_obligatoire:
            champ.required = True
            champ.error_messages["required"] = (
                f"« {transition.libelle} » demande un texte : écrivez-le avant de valider."
            )
        else:
            del self.fields["motif"]
        if transition.confirmation_obligatoire:
            libelle, message = CONFIRMATIONS.get(
                transition.nom,
                (
                    f"Je confirme : « {transition.libelle} ».",
                    f"Cochez la case de confirmation pour « {transition.libelle} ».",
                ),
            )
            self.fields["confirmation"] = forms.BooleanField(
                label=libelle, error_messages={"required": message}
            )

    @property
    def avec_motif(self) -> bool:
        return "motif" in self.fields

    @property
    def avec_confirmation(self) -> bool:
        return "confirmation" in self.fields

    @property
    def a_deplier(self) -> bool:
        """Un motif à écrire ou une case à cocher : le formulaire se déplie avant l'envoi."""
        return self.avec_motif or self.avec_confirmation

    def saisie_resumee(self) -> list[str]:
        motif = self.cleaned_data.get("motif", "")
        texte = f"« {self.transition.libelle} »"
        return [f"{texte}, avec le texte : « {motif} »" if motif else texte]

    def save(self) -> Evenement:
        """Réserve la version puis applique la transition (qui l'incrémente), en une transaction.

        Lève ``Conflit`` ou ``workflow.TransitionRefusee`` : dans les deux cas, rien n'a changé.
        """
        with transaction.atomic():
            self.reserver_version(incrementer=False)
            return workflow.appliquer(
                self.dossier,
                self.transition.nom,
                self.utilisateur,
                self.cleaned_data.get("motif", ""),
            )
