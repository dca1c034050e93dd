"""Ce que la Caf voit et fait sur la page d'un dossier.

Synthèse, éligibilité (évaluation figée et courante côte à côte quand elles diffèrent), liste
de contrôle de l'agent, pièces avec aperçu, notes internes, changements d'état. La page elle-même
est ``views.DossierDetailView`` ; ce module lui fournit le contexte de l'instruction et reçoit
les formulaires qu'elle affiche. Le périmètre vient toujours des ``visible_to``, les écritures
des formulaires (``forms_instruction``), les changements d'état de ``workflow.appliquer``.
"""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View

from audit.journal import consigner
from audit.models import Action
from clas_portal.fichiers import nom_affichable, reponse_telechargement, verifier_analyse
from comptes.models import Role
from comptes.permissions import RoleRequisMixin
from porteurs.models import PiecePermanente

from . import workflow
from .forms_instruction import (
    Conflit,
    NotePriveeForm,
    PointsControleForm,
    Reperes,
    TransitionForm,
    derniers_par_point,
)
from .models import Dossier, NotePrivee, PieceJustificative, PointControle
from .views import DossierDetailView, url_si_disponible

TOUS_LES_ROLES = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
# Ces décisions se prennent sur la page de décision (montants, motivation) : voir decision.py.
DECISIONS = ("accepter", "refuser", "classer_sans_suite")
# Le dépôt et le redépôt passent par le récapitulatif du porteur (accusé de dépôt).
TRANSITIONS_DU_PORTEUR = ("deposer", "redeposer")
# Types que le navigateur peut afficher lui-même ; tout autre fichier se télécharge.
TYPES_APERCU = ("application/pdf", "image/jpeg", "image/png")
TYPES_IMAGE = ("image/jpeg", "image/png")


def peut_cocher(utilisateur, dossier: Dossier) -> bool:
    """La liste de contrôle est le jugement de l'agent instructeur, tant que rien n'est décidé."""
    return utilisateur.est_agent and not dossier.est_decide


def peut_annoter(utilisateur) -> bool:
    """Agents et administrateur écrivent des notes ; le secrétariat les lit."""
    return utilisateur.est_agent or utilisateur.est_admin


# --- Points de contrôle et critères du référentiel -----------------------------------------------

# Le seul endroit qui dit quels critères (codes du catalogue, spec/regles.md) chaque point de
# contrôle concerne. Le jugement de l'agent s'affiche à côté de ces critères, sans jamais changer
# leur statut : celui-ci reste celui que calcule le moteur. « pieces » vaut pour tout le dossier.
CRITERES_PAR_POINT: dict[str, tuple[str, ...]] = {
    PointControle.Code.PARTICIPATION: ("CHARTE-GRATUITE",),
    PointControle.Code.SDSF: ("DIAGNOSTIC-SDSF",),
    # Les critères de collectif dont la règle dépend de ``rural`` : taille (5 enfants au moins),
    # encadrement (un seul intervenant sous 8 enfants), régularité (une séance de 2 heures).
    PointControle.Code.RURAL: ("COLLECTIF-TAILLE", "COLLECTIF-ENCADREMENT", "COLLECTIF-REGULARITE"),
    PointControle.Code.PIECES: (),
}
POINT_DU_CRITERE: dict[str, str] = {
    critere: point for point, criteres in CRITERES_PAR_POINT.items() for critere in criteres
}


def _libelle_point(libelle: str) -> str:
    return libelle[:1].upper() + libelle[1:]


def points_a_verifier(etat_points: dict) -> list[dict]:
    """Les points de contrôle non vérifiés (jamais cochés, ou décochés), dans l'ordre du modèle.

    ``etat_points`` : code → dernière ligne ``PointControle`` (``derniers_par_point``).
    """
    return [
        {"code": code, "libelle": _libelle_point(libelle)}
        for code, libelle in PointControle.Code.choices
        if not (etat_points.get(code) and etat_points[code].coche)
    ]


def points_a_verifier_du_dossier(dossier: Dossier, utilisateur) -> list[dict]:
    """Les points de contrôle non vérifiés du dossier, lus en une requête (page de décision)."""
    _, etat_points, _ = _points_controle(dossier, utilisateur)
    return points_a_verifier(etat_points)


def lignes_criteres(criteres, points_par_code: dict) -> list[dict]:
    """Chaque critère de l'évaluation avec le point de contrôle qui le concerne (ou ``None``).

    ``points_par_code`` : code du point → le point tel que la page l'affiche (libellé, dernière
    ligne) ; rien n'est relu en base.
    """
    return [
        {"critere": critere, "point": points_par_code.get(POINT_DU_CRITERE.get(critere["code"]))}
        for critere in criteres or ()
    ]


# --- Évaluation figée et courante ---------------------------------------------------------------


def _criteres_indexes(resultat: dict) -> dict:
    """(index du collectif ou None, code) → (critère, nom du collectif), dans l'ordre."""
    index = {}
    for critere in resultat.get("criteres") or ():
        index[(None, critere["code"])] = (critere, "")
    for collectif in resultat.get("collectifs") or ():
        for critere in collectif.get("criteres") or ():
            index[(collectif["index"], critere["code"])] = (critere, collectif.get("nom") or "")
    return index


def criteres_changes(figee: dict, courante: dict) -> list[dict]:
    """Les critères dont le statut diffère entre deux évaluations ``clas-evaluation/1``.

    Un critère présent d'un seul côté (collectif ajouté ou retiré) compte comme changé.
    """
    avant, apres = _criteres_indexes(figee), _criteres_indexes(courante)
    lignes = []
    for cle in [*apres, *(c for c in avant if c not in apres)]:
        ancien, nouveau = avant.get(cle), apres.get(cle)
        statut_avant = ancien[0]["statut"] if ancien else None
        statut_apres = nouveau[0]["statut"] if nouveau else None
        if statut_avant == statut_apres:
            continue
        critere, nom = nouveau or ancien
        lignes.append(
            {
                "code": cle[1],
                "collectif": None if cle[0] is None else cle[0] + 1,
                "nom_collectif": nom,
                "avant": statut_avant,
                "apres": statut_apres,
                "message": critere["message"],
                "reference": critere.get("reference", ""),
            }
        )
    return lignes


# --- Contexte de la page pour la Caf ------------------------------------------------------------


def _points_controle(dossier: Dossier, utilisateur):
    """État courant (dernière ligne par point) et historique (du plus récent au plus ancien)."""
    lignes = list(
        PointControle.objects.visible_to(utilisateur)
        .filter(dossier=dossier)
        .select_related("par")
        .order_by("le", "pk")
    )
    historique = {code: [] for code in PointControle.Code.values}
    for ligne in lignes:
        historique.setdefault(ligne.code, []).insert(0, ligne)
    return lignes, derniers_par_point(lignes), historique


def _formulaires_transition(dossier, utilisateur, reperes, formulaires) -> list[TransitionForm]:
    """Un formulaire par transition possible ici (ni décision, ni dépôt du porteur).

    Un formulaire lié en erreur est réaffiché tel quel ; après un conflit, le texte que l'agent
    avait écrit est repris dans un formulaire neuf (version à jour) : il relit les changements,
    puis valide de nouveau s'il le veut.
    """
    lie = formulaires.get("transition_form")
    nom_conserve, motif_conserve = formulaires.get("motif_conserve") or ("", "")
    resultat = []
    for transition in workflow.transitions_possibles(dossier, utilisateur):
        if transition.nom in DECISIONS or transition.nom in TRANSITIONS_DU_PORTEUR:
            continue
        if lie is not None and lie.transition.nom == transition.nom:
            resultat.append(lie)
            continue
        initial = {"motif": motif_conserve} if transition.nom == nom_conserve else {}
        resultat.append(
            TransitionForm(
                dossier=dossier,
                utilisateur=utilisateur,
                reperes=reperes,
                transition=transition,
                initial=initial,
            )
        )
    return resultat


def contexte_instruction(dossier: Dossier, utilisateur, contexte: dict, formulaires: dict) -> dict:
    """Ce que la page du dossier montre en plus au personnel Caf et à l'administrateur.

    ``contexte`` : celui que la page a déjà (événements, évaluations) ; ``formulaires`` : les
    formulaires liés renvoyés par une action en erreur (``controle_form``, ``note_form``,
    ``transition_form``), ``conflit`` et ``motif_conserve`` après un conflit.
    """
    lignes, etat_points, historique = _points_controle(dossier, utilisateur)
    # La version est lue avec le dossier, avant les événements et les coches : un changement
    # glissé entre ces lectures fera refuser l'envoi (version dépassée) ; seule sa mention dans
    # la liste « ce qui a changé » pourrait alors manquer.
    reperes = Reperes(
        version=dossier.version,
        evenement_vu=max((e.pk for e in contexte["evenements"]), default=0),
        point_vu=max((p.pk for p in lignes), default=0),
    )

    controle_form = None
    if peut_cocher(utilisateur, dossier):
        controle_form = formulaires.get("controle_form") or PointsControleForm(
            dossier=dossier,
            utilisateur=utilisateur,
            reperes=reperes,
            lignes=lignes,
            prefix="controle",
        )
    points = []
    for code, libelle in PointControle.Code.choices:
        point = {
            "code": code,
            "libelle": libelle,
            "dernier": etat_points.get(code),
            "historique": historique[code],
        }
        if controle_form is not None:
            point["case"] = controle_form[f"{code}_coche"]
            point["commentaire"] = controle_form[f"{code}_commentaire"]
        points.append(point)

    par_code = {point["code"]: point for point in points}
    evaluation = contexte["evaluation"]
    criteres_collectifs = [
        {"collectif": collectif, "lignes": lignes_criteres(collectif.get("criteres"), par_code)}
        for collectif in evaluation.get("collectifs") or ()
    ]

    figee = contexte.get("evaluation_figee")
    comparaison = None
    if figee is not None and figee.empreinte_entree != contexte["empreinte_courante"]:
        comparaison = {
            "figee": figee.resultat,
            "courante": contexte["evaluation"],
            "criteres": criteres_changes(figee.resultat, contexte["evaluation"]),
        }

    possibles = workflow.transitions_possibles(dossier, utilisateur)
    decision_possible = any(t.nom in DECISIONS for t in possibles)
    return {
        "instruction": True,
        "reperes": reperes,
        "comparaison": comparaison,
        "points": points,
        "points_a_verifier": points_a_verifier(etat_points),
        "criteres_dossier": lignes_criteres(evaluation.get("criteres"), par_code),
        "criteres_collectifs": criteres_collectifs,
        "controle_form": controle_form,
        "notes": list(
            NotePrivee.objects.visible_to(utilisateur)
            .filter(dossier=dossier)
            .select_related("auteur")
            .order_by("-cree_le", "-pk")
        ),
        "note_form": (
            formulaires.get("note_form") or NotePriveeForm(prefix="note")
            if peut_annoter(utilisateur)
            else None
        ),
        "pieces_dossier": list(
            PieceJustificative.objects.visible_to(utilisateur)
            .filter(dossier=dossier)
            .order_by("type", "-deposee_le", "pk")
        ),
        "pieces_permanentes": list(
            PiecePermanente.objects.visible_to(utilisateur)
            .filter(porteur_id=dossier.porteur_id)
            .order_by("type", "-deposee_le", "pk")
        ),
        "types_image": TYPES_IMAGE,
        "types_apercu": TYPES_APERCU,
        "transition_forms": _formulaires_transition(dossier, utilisateur, reperes, formulaires),
        "url_decision": (
            url_si_disponible("dossiers:decision", dossier.pk) if decision_possible else None
        ),
        "url_assigner": (
            url_si_disponible("dossiers:assigner", dossier.pk)
            if utilisateur.est_agent or utilisateur.est_admin
            else None
        ),
        "conflit": formulaires.get("conflit"),
    }


# --- Actions (POST) -----------------------------------------------------------------------------


class ActionDossierView(DossierDetailView):
    """Base des actions de la Caf sur la page du dossier, en POST seulement.

    En cas d'erreur, la page du dossier est réaffichée, relue en base (l'état a pu changer),
    avec le formulaire en erreur, le conflit ou le refus ; sinon, redirection vers la page.
    """

    http_method_names = ["post"]
    roles = TOUS_LES_ROLES
    ancre = ""
    # Liste de contrôle et notes n'existent pas pour un porteur : 404, comme hors périmètre.
    reserve_caf = True

    def dispatch(self, request, *args, **kwargs):
        if self.reserve_caf and request.user.is_authenticated and request.user.est_porteur:
            raise Http404("Page réservée à la Caf.")
        return super().dispatch(request, *args, **kwargs)

    def afficher(self, status: int, **formulaires):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data(**formulaires), status=status)

    def retour(self):
        return redirect(reverse("dossiers:detail", args=[self.object.pk]) + self.ancre)


class PointsControleView(ActionDossierView):
    """Enregistre la liste de contrôle de l'agent (une ligne par point modifié)."""

    ancre = "#controle"

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not peut_cocher(request.user, self.object):
            raison = (
                "La liste de contrôle est figée : le dossier est décidé."
                if self.object.est_decide
                else "Seul un agent instructeur de la Caf coche la liste de contrôle."
            )
            return self.afficher(403, erreur_action=raison)
        lignes, _, _ = _points_controle(self.object, request.user)
        form = PointsControleForm(
            request.POST,
            dossier=self.object,
            utilisateur=request.user,
            lignes=lignes,
            prefix="controle",
        )
        if not form.is_valid():
            return self.afficher(400, controle_form=form)
        try:
            lignes = form.save()
        except Conflit as conflit:
            return self.afficher(409, conflit=conflit)
        if lignes:
            messages.success(request, "La liste de contrôle est enregistrée.")
        else:
            messages.info(request, "Rien n'a changé dans la liste de contrôle.")
        return self.retour()


class NotePriveeView(ActionDossierView):
    """Ajoute une note interne (jamais visible du porteur)."""

    ancre = "#notes"

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not peut_annoter(request.user):
            return self.afficher(
                403, erreur_action="Le secrétariat du comité lit les notes internes sans en écrire."
            )
        form = NotePriveeForm(request.POST, prefix="note")
        if not form.is_valid():
            return self.afficher(400, note_form=form)
        form.save(dossier=self.object, auteur=request.user)
        messages.success(request, "La note interne est enregistrée.")
        return self.retour()


class TransitionView(ActionDossierView):
    """Applique un changement d'état demandé depuis la page (instruire, demander un complément,
    proposer au comité, rouvrir). Les décisions et le dépôt ont leurs propres pages."""

    # Un porteur qui poste ici reçoit le refus de workflow, en français (aucune donnée Caf).
    reserve_caf = False

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        nom = kwargs["nom"]
        if nom in DECISIONS:
            return self.afficher(
                400,
                erreur_action=(
                    "Accepter, refuser ou classer sans suite se décide sur la page de décision, "
                    "avec les montants et la motivation : rien n'a été modifié."
                ),
            )
        if nom in TRANSITIONS_DU_PORTEUR:
            return self.afficher(
                400,
                erreur_action=(
                    "Le dépôt du dossier se fait par le porteur, depuis son récapitulatif : "
                    "rien n'a été modifié."
                ),
            )
        transition = workflow.PAR_NOM.get(nom)
        if transition is None:
            return self.afficher(400, erreur_action=f"L'action « {nom} » n'existe pas.")
        form = TransitionForm(
            request.POST, dossier=self.object, utilisateur=request.user, transition=transition
        )
        if not form.is_valid():
            return self.afficher(400, transition_form=form)
        try:
            form.save()
        except Conflit as conflit:
            return self.afficher(
                409, conflit=conflit, motif_conserve=(nom, form.cleaned_data.get("motif", ""))
            )
        except workflow.TransitionRefusee as refus:
            return self.afficher(403, erreur_action=f"{refus} Rien n'a été modifié.")
        messages.success(
            request,
            f"« {transition.libelle} » : fait. Le dossier est maintenant « "
            f"{self.object.get_etat_display()} » ; le porteur est prévenu par courriel.",
        )
        return self.retour()


# --- Aperçu des pièces --------------------------------------------------------------------------


def reponse_apercu(champ_fichier, nom: str, type_mime: str, *, objet=None):
    """La pièce affichée par le navigateur (``inline``), isolée : ``nosniff`` et ``sandbox``.

    Appelée seulement après la vérification des droits (``visible_to``) par la vue. La
    politique ``sandbox`` fait du document une origine opaque, sans script ni formulaire : un
    fichier piégé ne peut rien faire au nom de l'agent. Un type que le navigateur n'affiche pas
    lui-même est proposé au téléchargement.
    """
    if type_mime not in TYPES_APERCU:
        return reponse_telechargement(champ_fichier, nom, type_mime, objet=objet)
    verifier_analyse(objet)
    try:
        flux = champ_fichier.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("Ce fichier n'est plus disponible.") from exc
    consigner(Action.TELECHARGEMENT_PIECE, objet=objet, details={"fichier": nom_affichable(nom)})
    reponse = FileResponse(
        flux, as_attachment=False, filename=nom_affichable(nom), content_type=type_mime
    )
    reponse["X-Content-Type-Options"] = "nosniff"
    reponse["Content-Security-Policy"] = "sandbox"
    reponse["Cache-Control"] = "private, no-store"
    return reponse


class PieceApercuView(RoleRequisMixin, View):
    """Aperçu d'une pièce du dossier, pour qui peut voir le dossier (404 sinon)."""

    roles = TOUS_LES_ROLES

    def get(self, request, pk, piece_pk):
        piece = get_object_or_404(
            PieceJustificative.objects.visible_to(request.user).filter(dossier_id=pk),
            pk=piece_pk,
        )
        return reponse_apercu(piece.fichier, piece.nom_original, piece.type_mime, objet=piece)


class PiecePermanenteApercuView(RoleRequisMixin, View):
    """Aperçu d'une pièce permanente de l'organisation du dossier (404 hors périmètre)."""

    roles = TOUS_LES_ROLES

    def get(self, request, pk, piece_pk):
        dossier = get_object_or_404(
            Dossier.objects.visible_to(request.user).only("pk", "porteur_id"), pk=pk
        )
        piece = get_object_or_404(
            PiecePermanente.objects.visible_to(request.user).filter(porteur_id=dossier.porteur_id),
            pk=piece_pk,
        )
        return reponse_apercu(piece.fichier, piece.nom_original, piece.type_mime, objet=piece)
