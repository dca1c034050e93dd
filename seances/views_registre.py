"""Registre d'un collectif, réservé au porteur : enfants (pseudonymes), appel de chaque séance,
taux de présence, journaux (actions avec les parents, rencontres avec l'école).

Accès : rôle porteur seulement (agents, secrétariat, administration : 403 — ils ne voient que des
agrégats, dans le bilan) ; chaque objet est lu par son ``visible_to`` (un autre porteur : 404) ;
seulement pour un dossier accepté (sinon : 404 avec une explication).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View

from collectifs.models import Collectif, Intervenant
from comptes.models import Role
from comptes.permissions import RoleRequisMixin
from dossiers.models import Etat
from dossiers.views import url_si_disponible
from dossiers.views_saisie import resume_erreurs

from .forms_registre import (
    ActionParentsForm,
    AppelForm,
    EnfantForm,
    RencontreEcoleForm,
    bornes_annee_scolaire,
    nom_champ_enfant,
)
from .models import ActionParents, Enfant, Presence, RencontreEcole, Seance
from .registre import enfants_actifs, taux_par_enfant, totaux_appels

PAR_PAGE_JOURNAL = 20


MESSAGE_VERROUILLE = (
    "Le bilan de l'action de ce collectif est soumis à la Caf : le cahier de présence, les "
    "enfants et les journaux ne se modifient plus, pour que le bilan et le cahier restent "
    "d'accord. Si la Caf demande une correction du bilan, ils redeviennent modifiables."
)


def cahier_verrouille(collectif) -> bool:
    """Vrai quand le bilan de l'action du collectif est soumis (et pas renvoyé pour correction)."""
    from .models import BilanAction

    try:
        return collectif.bilan.statut == BilanAction.Statut.SOUMIS
    except BilanAction.DoesNotExist:
        return False


class DossierNonAccepte(Exception):
    def __init__(self, collectif):
        self.collectif = collectif


class RegistreMixin(RoleRequisMixin):
    """Le collectif de la page, atteint par ``visible_to`` ; porteur et dossier accepté exigés.

    Les sous-classes définissent ``charger_collectif()`` (et y lisent leur objet).
    """

    roles = (Role.PORTEUR,)
    onglet = ""
    # Page qui ne sert qu'à modifier (formulaire de modification, confirmation de suppression) :
    # quand le cahier est verrouillé, même son affichage renvoie à la liste.
    page_d_ecriture = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role in self.roles:
            try:
                collectif = self.charger_collectif()
            except DossierNonAccepte as refus:
                return render(
                    request,
                    "seances/registre/non_accepte.html",
                    {"collectif": refus.collectif, "dossier": refus.collectif.dossier},
                    status=404,
                )
            self.collectif = collectif
            self.verrouille = cahier_verrouille(collectif)
            if self.verrouille and (request.method == "POST" or self.page_d_ecriture):
                messages.error(request, MESSAGE_VERROUILLE)
                return redirect(self.url_si_verrouille())
        return super().dispatch(request, *args, **kwargs)

    def charger_collectif(self) -> Collectif:
        raise NotImplementedError

    def url_si_verrouille(self) -> str:
        """Où renvoyer une écriture refusée parce que le cahier est verrouillé."""
        return self.request.path

    @staticmethod
    def verifier_accepte(collectif) -> Collectif:
        if collectif.dossier.etat != Etat.ACCEPTE:
            raise DossierNonAccepte(collectif)
        return collectif

    def collectif_de_l_url(self) -> Collectif:
        return self.verifier_accepte(
            get_object_or_404(
                Collectif.objects.visible_to(self.request.user).select_related("dossier__porteur"),
                pk=self.kwargs["pk"],
            )
        )

    def contexte(self, **kwargs) -> dict:
        collectif = self.collectif
        dossier = collectif.dossier
        onglets = [
            ("enfants", "Enfants", reverse("seances:enfants", args=[collectif.pk])),
            ("presences", "Présences", reverse("seances:presences", args=[collectif.pk])),
            ("journal", "Parents et école", reverse("seances:journal", args=[collectif.pk])),
        ]
        url_calendrier = url_si_disponible("seances:calendrier", collectif.pk)
        if url_calendrier:
            onglets.insert(0, ("calendrier", "Calendrier", url_calendrier))
        url_bilan = url_si_disponible("seances:bilan", collectif.pk)
        if url_bilan:
            onglets.append(("bilan", "Bilan de l'action", url_bilan))
        return {
            "collectif": collectif,
            "dossier": dossier,
            "onglet": self.onglet,
            "onglets": onglets,
            "url_activite": url_si_disponible("seances:activite", dossier.pk),
            "url_calendrier": url_calendrier,
            "cahier_verrouille": self.verrouille,
            **kwargs,
        }


# --- Enfants ---------------------------------------------------------------------------------


class EnfantsView(RegistreMixin, View):
    """La liste des enfants du collectif, leurs effectifs et le formulaire d'ajout."""

    onglet = "enfants"
    template_name = "seances/registre/enfants.html"

    def charger_collectif(self):
        return self.collectif_de_l_url()

    def get(self, request, *args, **kwargs):
        return self.afficher(None if self.verrouille else EnfantForm(collectif=self.collectif))

    def post(self, request, *args, **kwargs):
        form = EnfantForm(request.POST, collectif=self.collectif)
        if form.is_valid():
            try:
                with transaction.atomic():
                    enfant = form.save()
            except IntegrityError:
                form.add_error(
                    "code", "« Code de l'enfant » : ce code est déjà utilisé dans ce collectif."
                )
            else:
                messages.success(request, f"L'enfant « {enfant.code} » est ajouté au collectif.")
                avertir_classe(request, form)
                return redirect("seances:enfants", self.collectif.pk)
        return self.afficher(form)

    def afficher(self, form):
        enfants = list(
            Enfant.objects.visible_to(self.request.user)
            .filter(collectif=self.collectif)
            .annotate(nb_presences=Count("presences"))
            .order_by("code", "pk")
        )
        classes = set(self.collectif.classes or [])
        for enfant in enfants:
            enfant.hors_classes = bool(classes) and enfant.classe not in classes
        effectifs = {
            "enfants": len(enfants),
            "filles": sum(1 for e in enfants if e.sexe == "F"),
            "garcons": sum(1 for e in enfants if e.sexe == "G"),
            "familles": len({e.code_famille for e in enfants}),
        }
        return render(
            self.request,
            self.template_name,
            self.contexte(
                enfants=enfants,
                effectifs=effectifs,
                form=form,
                erreurs=resume_erreurs(form) if form is not None and form.is_bound else [],
            ),
        )


def avertir_classe(request, form) -> None:
    if form.classe_hors_collectif:
        prevues = ", ".join(form.collectif.classes_triees())
        messages.warning(
            request,
            f"La classe {form.cleaned_data['classe']} n'est pas parmi celles prévues pour ce "
            f"collectif ({prevues}) : vérifiez qu'il ne s'agit pas d'une erreur.",
        )


class EnfantMixin(RegistreMixin):
    onglet = "enfants"
    page_d_ecriture = True

    def url_si_verrouille(self) -> str:
        return reverse("seances:enfants", args=[self.collectif.pk])

    def charger_collectif(self):
        self.enfant = get_object_or_404(
            Enfant.objects.visible_to(self.request.user).select_related(
                "collectif__dossier__porteur"
            ),
            pk=self.kwargs["pk"],
        )
        return self.verifier_accepte(self.enfant.collectif)


class EnfantModifierView(EnfantMixin, View):
    template_name = "seances/registre/enfant_form.html"

    def get(self, request, *args, **kwargs):
        return self.afficher(EnfantForm(instance=self.enfant, collectif=self.collectif))

    def post(self, request, *args, **kwargs):
        form = EnfantForm(request.POST, instance=self.enfant, collectif=self.collectif)
        if form.is_valid():
            try:
                with transaction.atomic():
                    enfant = form.save()
            except IntegrityError:
                form.add_error(
                    "code", "« Code de l'enfant » : ce code est déjà utilisé dans ce collectif."
                )
            else:
                messages.success(request, f"L'enfant « {enfant.code} » est modifié.")
                avertir_classe(request, form)
                return redirect("seances:enfants", self.collectif.pk)
        return self.afficher(form)

    def afficher(self, form):
        return render(
            self.request,
            self.template_name,
            self.contexte(
                enfant=self.enfant,
                form=form,
                erreurs=resume_erreurs(form) if form.is_bound else [],
            ),
        )


class EnfantSupprimerView(EnfantMixin, View):
    """Supprimer un enfant saisi par erreur ; s'il figure déjà au cahier de présence, on le
    déclare plutôt « sorti du collectif » (les appels passés restent justes)."""

    template_name = "seances/registre/enfant_supprimer.html"

    def nombre_presences(self) -> int:
        return Presence.objects.filter(enfant=self.enfant).count()

    def get(self, request, *args, **kwargs):
        return self.afficher(self.nombre_presences())

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            nombre = self.nombre_presences()
            if nombre:
                messages.error(
                    request,
                    f"L'enfant « {self.enfant.code} » figure déjà au cahier de présence : "
                    "il ne peut pas être supprimé. Indiquez plutôt sa date de sortie du collectif.",
                )
                return self.afficher(nombre, status=409)
            code = self.enfant.code
            self.enfant.delete()
        messages.success(request, f"L'enfant « {code} » est supprimé du collectif.")
        return redirect("seances:enfants", self.collectif.pk)

    def afficher(self, nombre_presences: int, status: int = 200):
        return render(
            self.request,
            self.template_name,
            self.contexte(enfant=self.enfant, nombre_presences=nombre_presences),
            status=status,
        )


# --- Appel d'une séance ----------------------------------------------------------------------


def raison_refus_appel(seance) -> str | None:
    """Pourquoi l'appel de cette séance ne peut pas être fait (None s'il le peut)."""
    if seance.est_annulee:
        motif = f" (motif : {seance.motif_annulation})" if seance.motif_annulation else ""
        return f"Cette séance est annulée{motif} : il n'y a pas d'appel à faire."
    if seance.date > timezone.localdate():
        return (
            f"Cette séance est prévue le {seance.date:%d/%m/%Y} : l'appel se fait le jour de la "
            "séance ou après."
        )
    return None


class AppelView(RegistreMixin, View):
    """Le cahier de présence d'une séance : un seul formulaire, un seul POST."""

    onglet = "presences"
    template_name = "seances/registre/appel.html"

    def charger_collectif(self):
        self.seance = get_object_or_404(
            Seance.objects.visible_to(self.request.user).select_related(
                "collectif__dossier__porteur"
            ),
            pk=self.kwargs["pk"],
        )
        return self.verifier_accepte(self.seance.collectif)

    @cached_property
    def enfants(self) -> list[Enfant]:
        return list(
            enfants_actifs(
                self.collectif, self.seance.date, Enfant.objects.visible_to(self.request.user)
            )
        )

    @cached_property
    def seances_du_collectif(self) -> list[Seance]:
        return list(
            Seance.objects.visible_to(self.request.user)
            .filter(collectif=self.collectif)
            .only("pk", "date", "debut", "statut", "appel_fait_le", "collectif_id")
            .order_by("date", "debut", "pk")
        )

    def intervenants_proposes(self, deja_notes: list[int]) -> list[Intervenant]:
        """Les intervenants du dossier qui animent ce collectif (tous, si aucun n'y est
        rattaché), et ceux déjà notés pour cette séance."""
        lien = Intervenant.collectifs.through.objects.filter(
            intervenant_id=OuterRef("pk"), collectif_id=self.collectif.pk
        )
        tous = list(
            Intervenant.objects.filter(dossier_id=self.collectif.dossier_id)
            .annotate(anime=Exists(lien))
            .order_by("nom", "pk")
        )
        du_collectif = [i for i in tous if i.anime or i.pk in deja_notes]
        return du_collectif if any(i.anime for i in tous) else tous

    def formulaire(self, data=None) -> AppelForm:
        seance = self.seance
        presences, animateurs = {}, []
        if seance.appel_fait_le:
            if data is None:  # préremplissage ; un POST apporte ses propres valeurs
                presences = dict(
                    Presence.objects.filter(seance=seance).values_list("enfant_id", "present")
                )
            animateurs = list(seance.animateurs.values_list("pk", flat=True))
        return AppelForm(
            data,
            seance=seance,
            enfants=self.enfants,
            intervenants=self.intervenants_proposes(animateurs),
            presences=presences,
            animateurs=animateurs,
        )

    def voisines(self) -> tuple[Seance | None, Seance | None]:
        """Séances non annulées précédant et suivant celle-ci."""
        liste = self.seances_du_collectif
        index = next(i for i, s in enumerate(liste) if s.pk == self.seance.pk)
        avant = [s for s in liste[:index] if not s.est_annulee]
        apres = [s for s in liste[index + 1 :] if not s.est_annulee]
        return (avant[-1] if avant else None), (apres[0] if apres else None)

    def url_apres_enregistrement(self) -> str:
        """L'appel suivant à faire (séance passée, non annulée, sans appel), sinon le calendrier."""
        aujourd_hui = timezone.localdate()
        liste = self.seances_du_collectif
        index = next(i for i, s in enumerate(liste) if s.pk == self.seance.pk)
        for seance in liste[index + 1 :]:
            if seance.est_annulee or seance.appel_fait_le:
                continue
            if seance.date > aujourd_hui:
                break
            return reverse("seances:appel", args=[seance.pk])
        return url_si_disponible("seances:calendrier", self.collectif.pk) or reverse(
            "seances:presences", args=[self.collectif.pk]
        )

    def get(self, request, *args, **kwargs):
        if self.verrouille:
            return self.afficher(None, None, lecture=self.appel_en_lecture())
        refus = raison_refus_appel(self.seance)
        form = None if refus or not self.enfants else self.formulaire()
        return self.afficher(form, refus)

    def appel_en_lecture(self) -> dict:
        """L'appel enregistré, à lire seulement (cahier verrouillé) : la présence notée de chaque
        enfant (aucune après l'effacement des données par enfant) et les animateurs."""
        seance = self.seance
        if not seance.appel_fait_le:
            return {"presences": [], "animateurs": []}
        presences = (
            Presence.objects.visible_to(self.request.user)
            .filter(seance=seance)
            .select_related("enfant")
            .order_by("enfant__code", "enfant__pk")
        )
        return {
            "presences": list(presences),
            "animateurs": list(seance.animateurs.order_by("nom", "pk")),
        }

    def post(self, request, *args, **kwargs):
        refus = raison_refus_appel(self.seance)
        if refus:
            messages.error(request, f"Appel non enregistré. {refus}")
            return self.afficher(None, refus, status=409)
        if not self.enfants:
            messages.error(request, "Appel non enregistré : aucun enfant n'est inscrit ce jour-là.")
            return self.afficher(None, None, status=409)
        form = self.formulaire(request.POST)
        if "tous_presents" in request.POST:
            return self.afficher(self.tous_presents(form))
        if not form.is_valid():
            return self.afficher(form)
        seance = form.save()
        messages.success(
            request,
            f"Appel du {seance.date:%d/%m/%Y} enregistré : {seance.nombre_presents} présent"
            f"{'s' if seance.nombre_presents > 1 else ''} sur {seance.nombre_inscrits}.",
        )
        return redirect(self.url_apres_enregistrement())

    def tous_presents(self, form: AppelForm) -> AppelForm:
        """Le formulaire non lié, gardant la saisie, « présent » coché pour les enfants sans
        réponse : rien n'est enregistré, l'animateur corrige les absents puis enregistre."""
        donnees = self.request.POST
        initial = {
            "activite": donnees.get("activite", ""),
            "activite_detail": donnees.get("activite_detail", ""),
            "animateurs": donnees.getlist("animateurs"),
        }
        for enfant in self.enfants:
            valeur = donnees.get(nom_champ_enfant(enfant))
            if valeur in ("present", "absent"):
                initial[nom_champ_enfant(enfant)] = valeur
        nouveau = AppelForm(
            initial=initial,
            seance=form.seance,
            enfants=form.enfants,
            intervenants=list(form.intervenants.values()),
        )
        nouveau.tous_presents()
        messages.info(
            self.request,
            "Les enfants sans réponse sont cochés « présent ». Rien n'est encore enregistré : "
            "corrigez les absents, puis enregistrez l'appel.",
        )
        return nouveau

    def afficher(self, form, refus=None, status=200, lecture=None):
        precedente, suivante = self.voisines()
        return render(
            self.request,
            self.template_name,
            self.contexte(
                seance=self.seance,
                enfants=self.enfants,
                form=form,
                refus=refus,
                lecture=lecture,
                erreurs=resume_erreurs(form) if form is not None and form.is_bound else [],
                precedente=precedente,
                suivante=suivante,
                url_retour=url_si_disponible("seances:calendrier", self.collectif.pk)
                or reverse("seances:presences", args=[self.collectif.pk]),
            ),
            status=status,
        )


# --- Taux de présence ------------------------------------------------------------------------


class PresencesView(RegistreMixin, View):
    """Taux de présence par enfant et du collectif ; les séances et leur appel."""

    onglet = "presences"
    template_name = "seances/registre/presences.html"

    def charger_collectif(self):
        return self.collectif_de_l_url()

    def get(self, request, *args, **kwargs):
        seances = list(
            Seance.objects.visible_to(request.user)
            .filter(collectif=self.collectif)
            .order_by("date", "debut", "pk")
        )
        for seance in seances:
            seance.appel_possible = raison_refus_appel(seance) is None
        a_faire = [s for s in seances if s.appel_possible and not s.appel_fait_le]
        return render(
            request,
            self.template_name,
            self.contexte(
                par_enfant=taux_par_enfant(
                    self.collectif, Enfant.objects.visible_to(self.request.user)
                ),
                totaux=totaux_appels(self.collectif),
                seances=seances,
                appels_a_faire=a_faire,
            ),
        )


# --- Journaux --------------------------------------------------------------------------------


class JournalView(RegistreMixin, View):
    """Actions avec les parents et rencontres avec l'école : listes, totaux, ajout."""

    onglet = "journal"
    template_name = "seances/registre/journal.html"

    def charger_collectif(self):
        return self.collectif_de_l_url()

    def get(self, request, *args, **kwargs):
        if self.verrouille:
            return self.afficher(None, None)
        return self.afficher(
            ActionParentsForm(prefix="action", collectif=self.collectif),
            RencontreEcoleForm(prefix="rencontre", collectif=self.collectif),
        )

    def post(self, request, *args, **kwargs):
        quoi = request.POST.get("formulaire")
        action = ActionParentsForm(prefix="action", collectif=self.collectif)
        rencontre = RencontreEcoleForm(prefix="rencontre", collectif=self.collectif)
        if quoi == "action":
            form = action = ActionParentsForm(
                request.POST, prefix="action", collectif=self.collectif
            )
        elif quoi == "rencontre":
            form = rencontre = RencontreEcoleForm(
                request.POST, prefix="rencontre", collectif=self.collectif
            )
        else:
            messages.error(request, "Formulaire inconnu : rien n'est enregistré.")
            return self.afficher(action, rencontre, status=400)
        if form.is_valid():
            objet = form.save()
            messages.success(request, f"Enregistré : {objet}.")
            return redirect("seances:journal", self.collectif.pk)
        return self.afficher(action, rencontre, erreurs=resume_erreurs(form))

    def afficher(self, action_form, rencontre_form, erreurs=(), status=200):
        utilisateur = self.request.user
        actions = (
            ActionParents.objects.visible_to(utilisateur)
            .filter(collectif=self.collectif)
            .order_by("-date", "-pk")
        )
        rencontres = (
            RencontreEcole.objects.visible_to(utilisateur)
            .filter(collectif=self.collectif)
            .order_by("-date", "-pk")
        )
        page_actions = Paginator(actions, PAR_PAGE_JOURNAL).get_page(
            self.request.GET.get("page_actions")
        )
        page_rencontres = Paginator(rencontres, PAR_PAGE_JOURNAL).get_page(
            self.request.GET.get("page_rencontres")
        )
        debut, fin = bornes_annee_scolaire(self.collectif.dossier)
        return render(
            self.request,
            self.template_name,
            self.contexte(
                action_form=action_form,
                rencontre_form=rencontre_form,
                erreurs=list(erreurs),
                page_actions=page_actions,
                page_rencontres=page_rencontres,
                total_parents=actions.aggregate(n=Sum("nombre_parents"))["n"] or 0,
                debut_annee=debut,
                fin_annee=fin,
            ),
            status=status,
        )


class EntreeJournalMixin(RegistreMixin):
    """Une entrée d'un journal (action avec les parents, rencontre avec l'école), lue par son
    ``visible_to`` ; page d'écriture : refusée quand le cahier est verrouillé."""

    onglet = "journal"
    modele = None
    page_d_ecriture = True

    def url_si_verrouille(self) -> str:
        return reverse("seances:journal", args=[self.collectif.pk])

    def charger_collectif(self):
        self.entree = get_object_or_404(
            self.modele.objects.visible_to(self.request.user).select_related(
                "collectif__dossier__porteur"
            ),
            pk=self.kwargs["pk"],
        )
        return self.verifier_accepte(self.entree.collectif)


class EntreeJournalModifierView(EntreeJournalMixin, View):
    """Modifier une entrée d'un journal : le formulaire de l'ajout, prérempli."""

    template_name = "seances/registre/journal_form.html"
    formulaire = None
    titre = ""

    def get(self, request, *args, **kwargs):
        return self.afficher(self.formulaire(instance=self.entree, collectif=self.collectif))

    def post(self, request, *args, **kwargs):
        form = self.formulaire(request.POST, instance=self.entree, collectif=self.collectif)
        if form.is_valid():
            with transaction.atomic():
                objet = form.save()
            messages.success(request, f"Modifié : {objet}.")
            return redirect("seances:journal", self.collectif.pk)
        return self.afficher(form)

    def afficher(self, form):
        return render(
            self.request,
            self.template_name,
            self.contexte(
                entree=self.entree,
                form=form,
                titre=self.titre.format(date=self.entree.date),
                erreurs=resume_erreurs(form) if form.is_bound else [],
            ),
        )


class ActionParentsModifierView(EntreeJournalModifierView):
    modele = ActionParents
    formulaire = ActionParentsForm
    titre = "Modifier l'action avec les parents du {date:%d/%m/%Y}"


class RencontreEcoleModifierView(EntreeJournalModifierView):
    modele = RencontreEcole
    formulaire = RencontreEcoleForm
    titre = "Modifier la rencontre avec l'école du {date:%d/%m/%Y}"


class EntreeJournalSupprimerView(EntreeJournalMixin, View):
    """Confirmation, puis suppression d'une entrée d'un journal."""

    template_name = "seances/registre/journal_supprimer.html"

    def get(self, request, *args, **kwargs):
        return render(
            request,
            self.template_name,
            self.contexte(entree=self.entree, nature=self.modele._meta.verbose_name),
        )

    def post(self, request, *args, **kwargs):
        libelle = str(self.entree)
        self.entree.delete()
        messages.success(request, f"Supprimé : {libelle}.")
        return redirect("seances:journal", self.collectif.pk)


class ActionParentsSupprimerView(EntreeJournalSupprimerView):
    modele = ActionParents


class RencontreEcoleSupprimerView(EntreeJournalSupprimerView):
    modele = RencontreEcole
