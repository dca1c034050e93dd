"""Page d'activité d'un dossier accepté et calendrier des séances de chaque collectif.

- La page d'activité (``seances:activite``) montre à tous ceux qui voient le dossier des
  agrégats par collectif (séances, semaines, taux de présence, bilan). Les membres de
  l'organisation porteuse ont les liens vers toutes les pages ; la Caf, le secrétariat et
  l'administration nationale n'ont que le lien vers le bilan de l'action — jamais vers les
  données par enfant.
- Le calendrier (voir, générer, ajouter, déplacer, annuler, rétablir) est réservé aux membres
  de l'organisation porteuse (les autres rôles : 403 ; hors de leur périmètre : 404), et aux
  collectifs des dossiers acceptés.

Les collectifs et séances sont lus par ``visible_to`` ; les écritures passent par les
formulaires de ``forms_calendrier`` ; les calculs (plan, semaines) sont dans ``calendrier``.
"""

from itertools import groupby

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View

from collectifs.models import Collectif
from comptes.models import Role
from comptes.permissions import RoleRequisMixin
from dossiers.models import Dossier, Etat
from dossiers.views import url_si_disponible
from dossiers.views_saisie import resume_erreurs
from eligibility.editions import CNAF_2019, EDITIONS, Edition
from eligibility.models import ParametresAnnee

from . import calendrier
from .forms_calendrier import (
    AjoutSeanceForm,
    AnnulationSeanceForm,
    DeplacementSeanceForm,
    GenerationForm,
    manques_pour_generer,
)
from .models import BilanAction, Presence, Seance
from .views_registre import cahier_verrouille

TOUS_LES_ROLES = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
CHAMPS_RESUME = (
    "collectif_id",
    "date",
    "statut",
    "duree_minutes",
    "appel_fait_le",
    "nombre_presents",
    "nombre_inscrits",
)


MESSAGE_CALENDRIER_VERROUILLE = (
    "Le bilan de l'action de ce collectif est soumis à la Caf : son calendrier des séances ne se "
    "modifie plus, pour que le bilan et le cahier de présence restent d'accord. Si la Caf demande "
    "une correction du bilan, il redevient modifiable."
)


def edition_de_l_annee(annee: int) -> Edition:
    """L'édition du référentiel fixée pour l'année scolaire (cnaf-2019 par défaut)."""
    code = ParametresAnnee.objects.filter(annee=annee).values_list("edition", flat=True).first()
    return EDITIONS.get(code, CNAF_2019)


def collectifs_du_porteur(user):
    """Les collectifs des dossiers acceptés dont ``user`` est membre de l'organisation."""
    return (
        Collectif.objects.visible_to(user)
        .filter(dossier__etat=Etat.ACCEPTE, dossier__porteur__membres__utilisateur=user)
        .select_related("dossier__porteur", "dossier__departement")
    )


def url_calendrier(collectif_id: int, seance_id: int | None = None) -> str:
    url = reverse("seances:calendrier", args=[collectif_id])
    return f"{url}#seance-{seance_id}" if seance_id else url


# --- Page d'activité du dossier ---------------------------------------------------------------


class ActiviteView(RoleRequisMixin, View):
    """Les agrégats de l'année de chaque collectif d'un dossier accepté."""

    roles = TOUS_LES_ROLES
    template_name = "seances/activite.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        dossier = get_object_or_404(
            Dossier.objects.visible_to(user).select_related("porteur", "departement"),
            pk=kwargs["pk"],
        )
        contexte = {"dossier": dossier, "est_porteur": user.est_porteur}
        if dossier.etat != Etat.ACCEPTE:
            return render(request, self.template_name, {**contexte, "non_accepte": True})

        collectifs = list(
            Collectif.objects.visible_to(user)
            .filter(dossier=dossier)
            .select_related("bilan")
            .order_by("ordre", "pk")
        )
        seances = (
            Seance.objects.visible_to(user)
            .filter(collectif__dossier=dossier)
            .order_by("collectif_id", "date", "debut", "pk")
            .values("pk", "debut", *CHAMPS_RESUME)
        )
        par_collectif = {
            cle: list(groupe) for cle, groupe in groupby(seances, key=lambda s: s["collectif_id"])
        }
        edition = edition_de_l_annee(dossier.annee)
        lignes = []
        for collectif in collectifs:
            des_seances = par_collectif.get(collectif.pk, [])
            resume = calendrier.resumer(des_seances, calendrier.semaines_requises(edition))
            bilan = getattr(collectif, "bilan", None)
            lignes.append(
                {
                    "collectif": collectif,
                    "resume": resume,
                    "bilan": bilan,
                    "liens": self.liens(
                        collectif,
                        des_seances,
                        user.est_porteur,
                        verrouille=bilan is not None and bilan.statut == BilanAction.Statut.SOUMIS,
                    ),
                }
            )
        return render(
            request,
            self.template_name,
            {**contexte, "lignes": lignes, "semaines_requises": edition.semaines_min},
        )

    @staticmethod
    def liens(collectif, seances: list[dict], est_porteur: bool, verrouille: bool = False) -> dict:
        """Les pages du collectif : toutes pour le porteur, le bilan seul pour la Caf. Cahier
        verrouillé (bilan soumis) : pas de lien « Faire l'appel »."""
        liens = {"bilan": url_si_disponible("seances:bilan", collectif.pk)}
        if not est_porteur:
            return liens
        a_appeler = None if verrouille else _seance_a_appeler(seances)
        liens.update(
            calendrier=url_calendrier(collectif.pk),
            enfants=url_si_disponible("seances:enfants", collectif.pk),
            presences=url_si_disponible("seances:presences", collectif.pk),
            journal=url_si_disponible("seances:journal", collectif.pk),
            appel=url_si_disponible("seances:appel", a_appeler["pk"]) if a_appeler else None,
            appel_seance=a_appeler,
        )
        return liens


def _seance_a_appeler(seances: list[dict]) -> dict | None:
    """La séance dont faire l'appel : la dernière passée sans appel, sinon la prochaine."""
    aujourd_hui = timezone.localdate()
    candidates = [
        s for s in seances if s["statut"] != Seance.Statut.ANNULEE and s["appel_fait_le"] is None
    ]
    passees = [s for s in candidates if s["date"] <= aujourd_hui]
    if passees:
        return passees[-1]
    return candidates[0] if candidates else None


# --- Calendrier d'un collectif ----------------------------------------------------------------


class RefusSiVerrouilleMixin:
    """Les pages qui modifient le calendrier (générer, ajouter, déplacer, annuler, rétablir) :
    refusées, à l'affichage comme à l'envoi, quand le bilan du collectif est soumis (cahier
    verrouillé) ; retour au calendrier avec un message, rien n'est modifié."""

    def dispatch(self, request, *args, **kwargs):
        autorise = (
            request.user.is_authenticated
            and request.user.role in self.roles
            and request.method.lower() in self.http_method_names
        )
        if autorise and cahier_verrouille(self.collectif):
            messages.error(request, MESSAGE_CALENDRIER_VERROUILLE)
            return redirect(url_calendrier(self.collectif.pk))
        return super().dispatch(request, *args, **kwargs)


class CollectifPorteurMixin(RoleRequisMixin):
    """Le collectif de l'URL, d'un dossier accepté, dont l'utilisateur est membre du porteur."""

    roles = (Role.PORTEUR,)

    @cached_property
    def collectif(self) -> Collectif:
        return get_object_or_404(
            collectifs_du_porteur(self.request.user).prefetch_related("creneaux"),
            pk=self.kwargs["pk"],
        )

    def seances(self) -> list[Seance]:
        return list(
            Seance.objects.visible_to(self.request.user)
            .filter(collectif=self.collectif)
            .order_by("date", "debut", "pk")
        )


class CalendrierView(CollectifPorteurMixin, View):
    template_name = "seances/calendrier/calendrier.html"

    def get(self, request, *args, **kwargs):
        collectif = self.collectif
        seances = self.seances()
        edition = edition_de_l_annee(collectif.dossier.annee)
        resume = calendrier.resumer(seances, calendrier.semaines_requises(edition))
        plan = None
        manque = manques_pour_generer(collectif)
        if not manque:
            plan = calendrier.planifier(
                collectif.creneaux.all(),
                collectif.date_debut,
                collectif.date_fin,
                collectif.dossier.departement_id,
            )
        verrouille = cahier_verrouille(collectif)
        for seance in seances:
            # Cahier verrouillé : seulement la lecture des appels faits.
            appel_visible = seance.appel_fait_le if verrouille else not seance.est_annulee
            seance.url_appel = (
                url_si_disponible("seances:appel", seance.pk) if appel_visible else None
            )
            seance.modifiable = (
                not verrouille
                and seance.statut == Seance.Statut.PREVUE
                and seance.appel_fait_le is None
            )
            seance.supprimable = (
                not verrouille
                and seance.origine == Seance.Origine.AJOUTEE
                and seance.statut != Seance.Statut.REALISEE
                and seance.appel_fait_le is None
            )
        mois = [
            {"mois": groupe[0].date.replace(day=1), "seances": groupe}
            for groupe in (
                list(g) for _, g in groupby(seances, key=lambda s: (s.date.year, s.date.month))
            )
        ]
        contexte = {
            "collectif": collectif,
            "dossier": collectif.dossier,
            "mois": mois,
            "resume": resume,
            "plan": plan,
            "manque": manque,
            "a_des_seances": bool(seances),
            "url_activite": reverse("seances:activite", args=[collectif.dossier_id]),
            "url_enfants": url_si_disponible("seances:enfants", collectif.pk),
            "url_presences": url_si_disponible("seances:presences", collectif.pk),
            "cahier_verrouille": verrouille,
        }
        return render(request, self.template_name, contexte)


class GenererView(RefusSiVerrouilleMixin, CollectifPorteurMixin, View):
    """GET : ce que ferait la génération (et la confirmation s'il y a déjà des séances) ;
    POST : génère."""

    template_name = "seances/calendrier/generer.html"

    def formulaire(self, data=None) -> GenerationForm:
        return GenerationForm(data, collectif=self.collectif, existantes=self.seances())

    def afficher(self, form: GenerationForm):
        collectif = self.collectif
        contexte = {
            "collectif": collectif,
            "dossier": collectif.dossier,
            "form": form,
            "plan": form.plan,
            "regeneration": form.regeneration,
            "manque": manques_pour_generer(collectif),
            "erreurs": [
                {"message": m, "ancre": ""}
                for m in form.non_field_errors()
                if not form.has_error("__all__", "confirmation")
            ],
        }
        return render(self.request, self.template_name, contexte)

    def get(self, request, *args, **kwargs):
        return self.afficher(self.formulaire())

    def post(self, request, *args, **kwargs):
        form = self.formulaire(request.POST)
        if form.is_valid():
            regeneration = form.save()
            nouvelles = len(regeneration.nouvelles)
            s = "s" if nouvelles > 1 else ""
            texte = f"{nouvelles} séance{s} générée{s}"
            if regeneration.remplacees:
                texte += (
                    f" ; {len(regeneration.remplacees)} séance(s) prévue(s) remplacée(s), "
                    f"{len(regeneration.conservees)} conservée(s)"
                )
            messages.success(request, f"Calendrier de « {self.collectif} » : {texte}.")
            return redirect(url_calendrier(self.collectif.pk))
        if form.has_error("__all__", "incomplet"):
            messages.error(request, form.non_field_errors()[0])
            return redirect(url_calendrier(self.collectif.pk))
        return self.afficher(form)


class AjouterView(RefusSiVerrouilleMixin, CollectifPorteurMixin, View):
    template_name = "seances/calendrier/seance_form.html"

    def afficher(self, form, status=200):
        contexte = {
            "collectif": self.collectif,
            "dossier": self.collectif.dossier,
            "form": form,
            "titre": f"Ajouter une séance à « {self.collectif} »",
            "bouton": "Ajouter la séance",
            "erreurs": resume_erreurs(form) if form.is_bound else [],
        }
        return render(self.request, self.template_name, contexte, status=status)

    def get(self, request, *args, **kwargs):
        return self.afficher(AjoutSeanceForm(collectif=self.collectif))

    def post(self, request, *args, **kwargs):
        form = AjoutSeanceForm(request.POST, collectif=self.collectif)
        if form.is_valid():
            seance = form.save()
            messages.success(request, f"{seance} ajoutée au calendrier.")
            return redirect(url_calendrier(self.collectif.pk, seance.pk))
        return self.afficher(form)


class SeancePorteurMixin(RoleRequisMixin):
    """La séance de l'URL, d'un collectif d'un dossier accepté dont l'utilisateur est membre."""

    roles = (Role.PORTEUR,)

    @cached_property
    def seance(self) -> Seance:
        user = self.request.user
        return get_object_or_404(
            Seance.objects.visible_to(user)
            .filter(
                collectif__dossier__etat=Etat.ACCEPTE,
                collectif__dossier__porteur__membres__utilisateur=user,
            )
            .select_related("collectif__dossier__porteur", "collectif__dossier__departement")
            .prefetch_related("collectif__creneaux"),
            pk=self.kwargs["pk"],
        )

    @property
    def collectif(self) -> Collectif:
        return self.seance.collectif

    def refuser_si_fige(self, action: str):
        """Une séance réalisée, dont l'appel est fait, ne se déplace ni ne s'annule."""
        seance = self.seance
        if seance.appel_fait_le is not None or seance.statut == Seance.Statut.REALISEE:
            messages.error(
                self.request,
                f"{seance} : l'appel est déjà enregistré, elle ne peut plus être {action}.",
            )
            return redirect(url_calendrier(seance.collectif_id, seance.pk))
        if seance.est_annulee:
            messages.error(
                self.request,
                f"{seance} est annulée : rétablissez-la d'abord si elle a finalement lieu.",
            )
            return redirect(url_calendrier(seance.collectif_id, seance.pk))
        return None


class DeplacerView(RefusSiVerrouilleMixin, SeancePorteurMixin, View):
    template_name = "seances/calendrier/seance_form.html"

    def afficher(self, form):
        seance = self.seance
        contexte = {
            "collectif": self.collectif,
            "dossier": self.collectif.dossier,
            "seance": seance,
            "form": form,
            "titre": f"Déplacer la séance du {seance.date:%d/%m/%Y}",
            "bouton": "Déplacer la séance",
            "erreurs": resume_erreurs(form) if form.is_bound else [],
        }
        return render(self.request, self.template_name, contexte)

    def get(self, request, *args, **kwargs):
        if refus := self.refuser_si_fige("déplacée"):
            return refus
        return self.afficher(DeplacementSeanceForm(instance=self.seance, collectif=self.collectif))

    def post(self, request, *args, **kwargs):
        if refus := self.refuser_si_fige("déplacée"):
            return refus
        ancienne = str(self.seance)
        form = DeplacementSeanceForm(request.POST, instance=self.seance, collectif=self.collectif)
        if form.is_valid():
            seance = form.save()
            messages.success(request, f"{ancienne} déplacée au {seance.date:%d/%m/%Y}.")
            return redirect(url_calendrier(seance.collectif_id, seance.pk))
        return self.afficher(form)


class AnnulerView(RefusSiVerrouilleMixin, SeancePorteurMixin, View):
    """Confirmation de l'annulation, avec un motif obligatoire."""

    template_name = "seances/calendrier/annuler.html"

    def afficher(self, form):
        contexte = {
            "collectif": self.collectif,
            "dossier": self.collectif.dossier,
            "seance": self.seance,
            "form": form,
            "erreurs": resume_erreurs(form) if form.is_bound else [],
        }
        return render(self.request, self.template_name, contexte)

    def get(self, request, *args, **kwargs):
        if refus := self.refuser_si_fige("annulée"):
            return refus
        return self.afficher(AnnulationSeanceForm(instance=self.seance))

    def post(self, request, *args, **kwargs):
        if refus := self.refuser_si_fige("annulée"):
            return refus
        form = AnnulationSeanceForm(request.POST, instance=self.seance)
        if form.is_valid():
            seance = form.save()
            messages.success(request, f"{seance} annulée ({seance.motif_annulation}).")
            return redirect(url_calendrier(seance.collectif_id, seance.pk))
        return self.afficher(form)


def raison_refus_suppression(seance) -> str | None:
    """Pourquoi cette séance ne peut pas être supprimée (None si elle le peut) : seules les
    séances ajoutées par le porteur, sans appel enregistré, se suppriment."""
    if seance.origine != Seance.Origine.AJOUTEE:
        return (
            f"{seance} a été générée par le calendrier : elle ne peut pas être supprimée. "
            "Annulez-la avec un motif si elle n'a pas lieu."
        )
    if (
        seance.appel_fait_le is not None
        or seance.statut == Seance.Statut.REALISEE
        or Presence.objects.filter(seance=seance).exists()
    ):
        return (
            f"{seance} : l'appel est déjà enregistré, elle ne peut pas être supprimée "
            "(le cahier de présence et le bilan en dépendent)."
        )
    return None


class SupprimerView(RefusSiVerrouilleMixin, SeancePorteurMixin, View):
    """Supprimer une séance ajoutée par erreur : confirmation (GET), puis suppression (POST).
    Refusé pour une séance générée par le calendrier ou dont l'appel est fait."""

    template_name = "seances/calendrier/supprimer.html"

    def refus(self):
        raison = raison_refus_suppression(self.seance)
        if raison is None:
            return None
        messages.error(self.request, raison)
        return redirect(url_calendrier(self.seance.collectif_id, self.seance.pk))

    def get(self, request, *args, **kwargs):
        if refus := self.refus():
            return refus
        contexte = {
            "collectif": self.collectif,
            "dossier": self.collectif.dossier,
            "seance": self.seance,
        }
        return render(request, self.template_name, contexte)

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            # Relue verrouillée : un appel enregistré entre-temps empêche la suppression.
            self.seance = get_object_or_404(
                Seance.objects.select_for_update().select_related("collectif__dossier"),
                pk=self.seance.pk,
            )
            if refus := self.refus():
                return refus
            libelle = str(self.seance)
            collectif_id = self.seance.collectif_id
            self.seance.delete()
        messages.success(request, f"{libelle} supprimée du calendrier.")
        return redirect(url_calendrier(collectif_id))


class RetablirView(RefusSiVerrouilleMixin, SeancePorteurMixin, View):
    """Rétablit une séance annulée (POST seulement), si son jour et son heure sont libres."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        seance = self.seance
        retour = redirect(url_calendrier(seance.collectif_id, seance.pk))
        if not seance.est_annulee:
            messages.info(request, f"{seance} n'est pas annulée : rien à rétablir.")
            return retour
        occupee = (
            Seance.objects.filter(collectif_id=seance.collectif_id, date=seance.date)
            .filter(debut=seance.debut)
            .exclude(statut=Seance.Statut.ANNULEE)
            .exclude(pk=seance.pk)
            .exists()
        )
        if occupee:
            messages.error(
                request,
                f"{seance} ne peut pas être rétablie : une autre séance a lieu ce jour-là à la "
                "même heure.",
            )
            return retour
        seance.statut = Seance.Statut.PREVUE
        seance.motif_annulation = ""
        seance.save(update_fields=["statut", "motif_annulation", "modifiee_le"])
        messages.success(request, f"{seance} rétablie.")
        return retour
