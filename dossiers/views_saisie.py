"""Saisie d'un dossier par le porteur : création, étapes, collectifs, pièces, éligibilité.

Chaque objet est lu par ``visible_to`` (un autre porteur reçoit 404) ; seules les personnes au
rôle porteur modifient, et seulement tant que ``dossier.est_modifiable`` (sinon : lecture
seule, 403 sur POST). Les écritures passent par ``Form.save()`` (``dossiers.forms``) ; les
étapes, leur complétude et les liens « à compléter » sont dans ``dossiers.saisie``.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import TemplateView

from clas_portal.fichiers import reponse_telechargement
from collectifs.models import Collectif, Creneau
from comptes.models import Role
from comptes.permissions import RoleRequisMixin
from eligibility.templatetags.referentiel import euros, libelle_verdict

from . import saisie
from .evaluation import evaluer_document
from .exportation import collectif_vers_document, dossier_vers_document
from .forms import (
    AxesForm,
    BudgetForm,
    CollectifForm,
    CoordinationForm,
    CreationDossierForm,
    PieceForm,
    ProjetForm,
    creneaux_formset,
    desactiver,
    enregistrer_champs_valides,
    enregistrer_lignes_valides,
    intervenants_formset,
    lignes_formsets,
)
from .models import ETATS_MODIFIABLES, Dossier, PieceJustificative

TOUS_LES_ROLES = (Role.PORTEUR, Role.AGENT, Role.SECRETARIAT, Role.ADMIN)
# Étapes dont le panneau d'éligibilité suit la saisie en cours (les collectifs ont le leur).
ETAPES_AVEC_APERCU = ("projet", "axes", "equipe")


def dossiers_pour_saisie(user):
    """Les dossiers visibles, avec tout ce qu'affichent les pages de saisie, en requêtes fixes."""
    return (
        Dossier.objects.visible_to(user)
        .select_related("porteur", "departement")
        .prefetch_related(
            Prefetch(
                "collectifs",
                queryset=Collectif.objects.select_related("bilan")
                .prefetch_related("creneaux")
                .order_by("ordre", "pk"),
            ),
            "intervenants",
            "lignes_budget",
            "pieces",
            "porteur__pieces",
        )
    )


def resume_erreurs(*elements) -> list[dict]:
    """Les erreurs de formulaires et de formsets pour le résumé en tête de page.

    ``elements`` : des formulaires, ou des paires (formset, « Créneau ») pour nommer les lignes.
    Chaque erreur : ``message`` et ``ancre`` (l'identifiant du champ, vide si aucun).
    """
    erreurs = []

    def du_formulaire(form, prefixe=""):
        for message in form.non_field_errors():
            erreurs.append({"message": f"{prefixe}{message}", "ancre": ""})
        for champ in form:
            for message in champ.errors:
                ancre = champ.id_for_label or (f"{champ.auto_id}_0" if champ.auto_id else "")
                erreurs.append({"message": f"{prefixe}{message}", "ancre": ancre})

    for element in elements:
        if isinstance(element, tuple):
            formset, nom_ligne = element
            for message in formset.non_form_errors():
                erreurs.append({"message": message, "ancre": ""})
            for i, form in enumerate(formset.forms, start=1):
                if formset.can_delete and formset._should_delete_form(form):
                    continue
                du_formulaire(form, f"{nom_ligne} {i} : ")
        else:
            du_formulaire(element)
    return erreurs


def evaluation_et_panneau(
    dossier, evaluation=None, *, collectifs=None, collectif_courant=None
) -> dict:
    """Le contexte du panneau d'éligibilité (``_eligibilite.html``).

    ``evaluation`` : celle du dossier enregistré par défaut ; ``collectifs`` : les collectifs
    évalués, dans l'ordre (par défaut ceux du dossier) ; ``collectif_courant`` : celui de la
    page, dont le détail est déplié.
    """
    if evaluation is None:
        evaluation = evaluer_document(dossier_vers_document(dossier, avec_decision=False))
    if collectifs is None:
        collectifs = list(dossier.collectifs.all())
    lignes = []
    for resultat in evaluation["collectifs"]:
        index = resultat["index"]
        objet = collectifs[index] if index < len(collectifs) else None
        courant = collectif_courant is not None and (
            (objet is not None and objet.pk == collectif_courant.pk and objet.pk is not None)
            or (collectif_courant.pk is None and index == len(evaluation["collectifs"]) - 1)
        )
        lignes.append(
            {"resultat": resultat, "objet": objet, "courant": courant, "prefixe": f"c{index}-"}
        )
    return {
        "evaluation": evaluation,
        "a_completer": saisie.liens_a_completer(dossier, evaluation, collectifs),
        "collectifs_evalues": lignes,
    }


class DossierSaisieMixin(RoleRequisMixin):
    """Le dossier de l'URL, lu par ``visible_to`` avec ses relations préchargées."""

    roles = (Role.PORTEUR,)
    etape_courante = ""

    @cached_property
    def dossier(self) -> Dossier:
        return get_object_or_404(dossiers_pour_saisie(self.request.user), pk=self.kwargs["pk"])

    def recharger_dossier(self) -> None:
        self.__dict__.pop("dossier", None)

    def exiger_modifiable(self) -> None:
        if not self.dossier.est_modifiable:
            raise PermissionDenied(
                f"Ce dossier est « {self.dossier.get_etat_display()} » : il n'est plus modifiable."
            )

    def verrouiller_modifiable(self) -> None:
        """Dans une transaction : verrouille le dossier et revérifie qu'il est modifiable.

        Un dépôt fait entre la lecture de la page et son enregistrement (autre onglet) l'emporte :
        rien n'est écrit dans un dossier qui vient d'être déposé.
        """
        encore_modifiable = (
            Dossier.objects.select_for_update()
            .filter(pk=self.dossier.pk, etat__in=ETATS_MODIFIABLES)
            .exists()
        )
        if not encore_modifiable:
            raise PermissionDenied("Ce dossier vient d'être déposé : il n'est plus modifiable.")

    @property
    def lecture_seule(self) -> bool:
        return not self.dossier.est_modifiable

    def contexte_commun(self, collectif_courant=None) -> dict:
        dossier = self.dossier
        slug = self.etape_courante
        return {
            "dossier": dossier,
            "etape_courante": slug,
            "etape": saisie.etape(slug),
            "numero_etape": saisie.numero_etape(slug),
            "nombre_etapes": saisie.NOMBRE_ETAPES,
            "lecture_seule": self.lecture_seule,
            "cloture_passee": saisie.date_de_cloture_passee(dossier),
            "url_precedente": (
                saisie.url_etape(dossier, p) if (p := saisie.etape_precedente(slug)) else None
            ),
            "etape_suivante": (s := saisie.etape_suivante(slug)),
            "titre_suivante": saisie.titre_etape(s) if s else "",
            "url_suivante": saisie.url_etape(dossier, s) if s else None,
            "url_apercu": (
                reverse("dossiers:eligibilite_apercu", args=[dossier.pk, slug])
                if slug in ETAPES_AVEC_APERCU
                else None
            ),
            **evaluation_et_panneau(dossier, collectif_courant=collectif_courant),
        }


# --- Création --------------------------------------------------------------------------------


class NouveauDossierView(RoleRequisMixin, TemplateView):
    """Un porteur choisit son organisation et une campagne ouverte : un brouillon est créé."""

    roles = (Role.PORTEUR,)
    template_name = "dossiers/saisie/nouveau.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(form=CreationDossierForm(user=request.user))
        )

    def post(self, request, *args, **kwargs):
        form = CreationDossierForm(request.POST, user=request.user)
        if form.is_valid():
            dossier = form.save()
            messages.success(
                request,
                f"Votre dossier pour l'année scolaire {dossier.annee_scolaire} est créé. "
                "Chaque étape s'enregistre à part : vous pouvez vous arrêter à tout moment.",
            )
            return redirect("dossiers:saisie", pk=dossier.pk, etape=saisie.SLUGS[0])
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = ctx["form"]
        ctx["sans_organisation"] = not form.fields["porteur"].queryset.exists()
        ctx["sans_campagne"] = not form.fields["campagne"].queryset.exists()
        ctx["erreurs"] = resume_erreurs(form) if form.is_bound else []
        ctx["dossier_existant"] = getattr(form, "dossier_existant", None)
        return ctx


# --- Étapes ----------------------------------------------------------------------------------


class EtapeView(DossierSaisieMixin, View):
    """Une étape de saisie : des formulaires affichés, validés et enregistrés ensemble.

    Si l'un d'eux est invalide, la page est réaffichée avec tout ce qui a été saisi et un
    résumé des erreurs ; ce qui est valide est enregistré quand même.
    """

    template_name = ""

    def formulaires(self, data=None, files=None) -> dict:
        raise NotImplementedError

    def enregistrer(self, formulaires: dict) -> None:
        for formulaire in formulaires.values():
            formulaire.save()

    def enregistrer_partiel(self, formulaires: dict) -> tuple[dict, bool]:
        """Enregistre ce qui est valide ; renvoie les formulaires à réafficher."""
        garde = False
        for nom, formulaire in list(formulaires.items()):
            if hasattr(formulaire, "forms"):
                donnees, nombre = enregistrer_lignes_valides(formulaire)
                garde = garde or nombre > 0
                reconstruit = self.reconstruire_formset(nom, donnees)
                reconstruit.is_valid()
                formulaires[nom] = reconstruit
            elif formulaire.is_valid():
                if formulaire.has_changed():
                    formulaire.save()
                    garde = True
            else:
                garde = bool(enregistrer_champs_valides(formulaire)) or garde
        return formulaires, garde

    def reconstruire_formset(self, nom: str, donnees):
        return self.formulaires(donnees)[nom]

    def erreurs(self, formulaires: dict) -> list[dict]:
        return resume_erreurs(*formulaires.values())

    def message_succes(self) -> None:
        messages.success(
            self.request, f"Étape « {saisie.etape(self.etape_courante).titre} » enregistrée."
        )

    def url_apres(self, action: str) -> str:
        if action == "continuer":
            suivante = saisie.etape_suivante(self.etape_courante)
            url = saisie.url_etape(self.dossier, suivante) if suivante else None
            if url:
                return url
        return saisie.url_etape(self.dossier, self.etape_courante)

    def contexte(self, formulaires: dict, **kwargs) -> dict:
        return {**self.contexte_commun(), **formulaires, **kwargs}

    def afficher(self, formulaires: dict, **kwargs):
        return render(self.request, self.template_name, self.contexte(formulaires, **kwargs))

    def get(self, request, *args, **kwargs):
        formulaires = self.formulaires()
        if self.lecture_seule:
            desactiver(*formulaires.values())
        return self.afficher(formulaires)

    def post(self, request, *args, **kwargs):
        self.exiger_modifiable()
        formulaires = self.formulaires(request.POST, request.FILES)
        # Tous validés (pas de court-circuit) : chaque erreur de chaque formulaire s'affiche.
        resultats = [f.is_valid() for f in formulaires.values()]
        valides = all(resultats)
        with transaction.atomic():
            self.verrouiller_modifiable()
            if valides:
                self.enregistrer(formulaires)
            else:
                formulaires, garde = self.enregistrer_partiel(formulaires)
        if valides:
            self.message_succes()
            return redirect(self.url_apres(request.POST.get("action", "")))
        erreurs = self.erreurs(formulaires)
        self.recharger_dossier()
        return self.afficher(formulaires, erreurs=erreurs, partie_enregistree=garde)


class ProjetView(EtapeView):
    etape_courante = "projet"
    template_name = "dossiers/saisie/projet.html"

    def formulaires(self, data=None, files=None):
        return {"form": ProjetForm(data, instance=self.dossier)}


class AxesView(EtapeView):
    etape_courante = "axes"
    template_name = "dossiers/saisie/axes.html"

    def formulaires(self, data=None, files=None):
        return {"form": AxesForm(data, instance=self.dossier)}


class EquipeView(EtapeView):
    etape_courante = "equipe"
    template_name = "dossiers/saisie/equipe.html"

    def formulaires(self, data=None, files=None):
        collectifs = list(self.dossier.collectifs.all())
        return {
            "form": CoordinationForm(data, instance=self.dossier),
            "intervenants": intervenants_formset(self.dossier, collectifs, data),
        }

    def erreurs(self, formulaires):
        return resume_erreurs(formulaires["form"], (formulaires["intervenants"], "Intervenant"))


class BudgetView(EtapeView):
    etape_courante = "budget"
    template_name = "dossiers/saisie/budget.html"

    def formulaires(self, data=None, files=None):
        depenses, recettes = lignes_formsets(self.dossier, data)
        return {
            "form": BudgetForm(data, instance=self.dossier),
            "depenses": depenses,
            "recettes": recettes,
        }

    def erreurs(self, formulaires):
        return resume_erreurs(
            (formulaires["depenses"], "Dépense"),
            (formulaires["recettes"], "Recette"),
            formulaires["form"],
        )

    def message_succes(self):
        self.recharger_dossier()
        bilan = saisie.bilan_budget(self.dossier)
        if bilan.est_renseigne and not bilan.est_equilibre:
            messages.warning(
                self.request,
                "Budget enregistré, mais il n'est pas équilibré : l'écart est indiqué ci-dessous.",
            )
        else:
            super().message_succes()

    def contexte(self, formulaires, **kwargs):
        ctx = super().contexte(formulaires, **kwargs)
        bilan = saisie.bilan_budget(self.dossier)
        ctx["bilan"] = bilan
        ctx["tableaux"] = [
            (
                formulaires["depenses"],
                "Dépenses prévues",
                "dépense",
                "depenses",
                bilan.total_depenses,
                "Toutes les dépenses de l'action Clas pour l'année, par catégorie.",
            ),
            (
                formulaires["recettes"],
                "Recettes (hors Caf Clas)",
                "recette",
                "recettes",
                bilan.total_recettes,
                "Les autres financements, par cofinanceur ; la prestation de service Clas "
                "demandée à la Caf se saisit plus bas.",
            ),
        ]
        ctx["desequilibre"] = (
            texte_desequilibre(bilan) if bilan.est_renseigne and not bilan.est_equilibre else ""
        )
        return ctx


def texte_desequilibre(bilan: saisie.BilanBudget) -> str:
    sens = "dépassent" if bilan.ecart > 0 else "sont inférieures à"
    texte = (
        f"Le budget n'est pas équilibré : les dépenses ({euros(bilan.total_depenses)}) {sens} "
        f"les recettes et le montant demandé ({euros(bilan.ressources)}) de "
        f"{euros(bilan.ecart_absolu)}."
    )
    if bilan.montant_equilibrant is not None:
        texte += (
            f" Pour l'équilibrer, le montant demandé serait de {euros(bilan.montant_equilibrant)}."
        )
    return texte


class CollectifsView(EtapeView):
    """La liste des collectifs : chacun se modifie sur sa propre page."""

    etape_courante = "collectifs"
    template_name = "dossiers/saisie/collectifs.html"

    def formulaires(self, data=None, files=None):
        return {}

    def post(self, request, *args, **kwargs):
        self.exiger_modifiable()
        return redirect(self.url_apres(request.POST.get("action", "")))

    def contexte(self, formulaires, **kwargs):
        ctx = super().contexte(formulaires, **kwargs)
        for ligne in ctx["collectifs_evalues"]:
            ligne["resume"] = saisie.resume_collectif(ligne["objet"])
        return ctx


class PiecesView(EtapeView):
    etape_courante = "pieces"
    template_name = "dossiers/saisie/pieces.html"

    def formulaires(self, data=None, files=None):
        return {"form": PieceForm(data, files, dossier=self.dossier, user=self.request.user)}

    def enregistrer_partiel(self, formulaires):
        return formulaires, False

    def message_succes(self):
        piece = self.piece_deposee
        messages.success(
            self.request, f"Pièce « {piece.nom_original} » déposée ({piece.get_type_display()})."
        )

    def enregistrer(self, formulaires):
        self.piece_deposee = formulaires["form"].save()

    def url_apres(self, action):
        return saisie.url_etape(self.dossier, self.etape_courante)

    def contexte(self, formulaires, **kwargs):
        ctx = super().contexte(formulaires, **kwargs)
        ctx["manquantes"] = saisie.pieces_manquantes(self.dossier)
        ctx["url_organisation"] = saisie.url_organisation(self.dossier.porteur_id)
        ctx["pieces"] = list(self.dossier.pieces.all())
        ctx["conseil_erreur"] = "Choisissez un fichier conforme, puis déposez-le à nouveau."
        return ctx


VUES_ETAPES = {
    "projet": ProjetView,
    "axes": AxesView,
    "collectifs": CollectifsView,
    "equipe": EquipeView,
    "budget": BudgetView,
    "pieces": PiecesView,
}


def vue_etape(request, pk, etape):
    """``/dossiers/<pk>/saisie/<etape>/`` : la vue de l'étape demandée (404 si inconnue)."""
    vue = VUES_ETAPES.get(etape)
    if vue is None:
        raise Http404("Cette étape n'existe pas.")
    return vue.as_view()(request, pk=pk, etape=etape)


# --- Collectifs ------------------------------------------------------------------------------


class CollectifMixin(DossierSaisieMixin):
    etape_courante = "collectifs"

    def get_collectif(self) -> Collectif:
        return get_object_or_404(
            Collectif.objects.visible_to(self.request.user).filter(dossier_id=self.dossier.pk),
            pk=self.kwargs["collectif_pk"],
        )


class CollectifFormView(CollectifMixin, EtapeView):
    """Ajout (sans ``collectif_pk``) ou modification d'un collectif et de ses créneaux."""

    template_name = "dossiers/saisie/collectif_form.html"

    @cached_property
    def collectif(self) -> Collectif:
        if "collectif_pk" in self.kwargs:
            return self.get_collectif()
        ordres = [c.ordre for c in self.dossier.collectifs.all()]
        return Collectif(dossier=self.dossier, ordre=max(ordres, default=-1) + 1)

    def get(self, request, *args, **kwargs):
        if self.lecture_seule and "collectif_pk" not in self.kwargs:
            raise PermissionDenied("Ce dossier n'est plus modifiable : aucun collectif à ajouter.")
        return super().get(request, *args, **kwargs)

    def formulaires(self, data=None, files=None):
        return {
            "form": CollectifForm(data, instance=self.collectif),
            "creneaux": creneaux_formset(self.collectif, data),
        }

    def enregistrer_partiel(self, formulaires):
        # Un nouveau collectif est créé avec ses champs valides, s'il en a : ses créneaux
        # valides peuvent alors être enregistrés eux aussi.
        garde = bool(enregistrer_champs_valides(formulaires["form"], creer=True))
        formset = formulaires["creneaux"]
        if self.collectif.pk is not None:
            formset.instance = self.collectif
            donnees, nombre = enregistrer_lignes_valides(formset)
            garde = garde or nombre > 0
            formset = creneaux_formset(self.collectif, donnees)
            formset.is_valid()
            formulaires["creneaux"] = formset
        return formulaires, garde

    def erreurs(self, formulaires):
        return resume_erreurs(formulaires["form"], (formulaires["creneaux"], "Créneau"))

    def message_succes(self):
        messages.success(self.request, f"Collectif « {self.collectif} » enregistré.")

    def url_apres(self, action):
        if action == "continuer":
            return saisie.url_etape(self.dossier, "collectifs")
        return reverse("dossiers:collectif_modifier", args=[self.dossier.pk, self.collectif.pk])

    def contexte(self, formulaires, **kwargs):
        ctx = {
            **self.contexte_commun(collectif_courant=self.collectif),
            **formulaires,
            **kwargs,
        }
        ctx["collectif"] = self.collectif
        ctx["tranches_classes"] = TRANCHES_CLASSES
        ctx["suggestion"] = suggestion_pour(
            self.dossier, formulaires["form"], formulaires["creneaux"]
        )
        ctx["debut_recommande"] = debut_recommande_de(self.dossier)
        ctx["fin_recommandee"] = fin_recommandee_de(self.dossier)
        if self.collectif.pk is not None:
            ctx["action"] = reverse(
                "dossiers:collectif_modifier", args=[self.dossier.pk, self.collectif.pk]
            )
            ctx["url_apercu"] = reverse(
                "dossiers:eligibilite_apercu_collectif", args=[self.dossier.pk, self.collectif.pk]
            )
        else:
            ctx["action"] = reverse("dossiers:collectif_nouveau", args=[self.dossier.pk])
            ctx["url_apercu"] = reverse(
                "dossiers:eligibilite_apercu_nouveau_collectif", args=[self.dossier.pk]
            )
        return ctx


# Les 15 cases des classes, par cycle (tranches de la liste ``Classe``).
TRANCHES_CLASSES = (
    ("Maternelle", "0:3"),
    ("Élémentaire", "3:8"),
    ("Collège", "8:12"),
    ("Lycée", "12:15"),
)


def debut_recommande_de(dossier):
    from eligibility.calendrier import debut_recommande

    return debut_recommande(dossier.annee, dossier.departement.zone)


def fin_recommandee_de(dossier):
    from datetime import date

    from eligibility.editions import CNAF_2019

    mois, jour = CNAF_2019.fin_recommandee
    return date(dossier.annee + 1, mois, jour)


def _jours_des_creneaux(formset) -> list[str]:
    """Les jours des créneaux tels qu'ils sont saisis (lignes non supprimées)."""
    jours = []
    for form in formset.forms:
        if formset.is_bound:
            if formset.can_delete and form.data.get(form.add_prefix("DELETE")):
                continue
            jour = form.data.get(form.add_prefix("jour"), "")
        else:
            jour = form.instance.jour if form.instance.pk else ""
        if jour:
            jours.append(jour)
    return jours


def suggestion_pour(dossier, form, formset) -> saisie.SuggestionSemaines:
    """La suggestion de semaines d'après les dates et les jours saisis (valides ou enregistrés)."""
    if form.is_bound:
        donnees = getattr(form, "cleaned_data", {})
        debut = donnees.get("date_debut", form.instance.date_debut)
        fin = donnees.get("date_fin", form.instance.date_fin)
    else:
        debut, fin = form.instance.date_debut, form.instance.date_fin
    return saisie.suggestion_semaines(
        debut,
        fin,
        _jours_des_creneaux(formset),
        dossier.departement.zone,
        dossier.departement_id,
    )


class CollectifCopierView(CollectifMixin, View):
    """POST : copie le collectif et ses créneaux (« (copie) » ajouté au nom)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.exiger_modifiable()
        with transaction.atomic():
            self.verrouiller_modifiable()
            copie = saisie.copier_collectif(self.get_collectif())
        messages.success(
            request,
            f"Collectif copié : « {copie} ». Vérifiez ce qui le distingue de l'original "
            "(créneaux, classes, lieu…).",
        )
        return redirect("dossiers:collectif_modifier", pk=self.dossier.pk, collectif_pk=copie.pk)


class CollectifSupprimerView(CollectifMixin, TemplateView):
    template_name = "dossiers/saisie/collectif_supprimer.html"

    def get(self, request, *args, **kwargs):
        if self.lecture_seule:
            raise PermissionDenied("Ce dossier n'est plus modifiable.")
        collectif = self.get_collectif()
        return self.render_to_response(
            {
                **self.contexte_commun(),
                "collectif": collectif,
                "creneaux": list(collectif.creneaux.all()),
            }
        )

    def post(self, request, *args, **kwargs):
        self.exiger_modifiable()
        collectif = self.get_collectif()
        nom = str(collectif)
        with transaction.atomic():
            self.verrouiller_modifiable()
            collectif.delete()
        messages.success(request, f"Collectif « {nom} » supprimé.")
        return redirect("dossiers:saisie", pk=self.dossier.pk, etape="collectifs")


# --- Pièces ----------------------------------------------------------------------------------


class PieceTelechargerView(RoleRequisMixin, View):
    """Téléchargement d'une pièce du dossier, pour qui peut voir le dossier."""

    roles = TOUS_LES_ROLES

    def get(self, request, pk, piece_pk):
        piece = get_object_or_404(
            PieceJustificative.objects.visible_to(request.user).filter(dossier_id=pk),
            pk=piece_pk,
        )
        return reponse_telechargement(
            piece.fichier, piece.nom_original, piece.type_mime, objet=piece
        )


class PieceSupprimerView(DossierSaisieMixin, TemplateView):
    etape_courante = "pieces"
    template_name = "dossiers/saisie/piece_supprimer.html"

    def get_piece(self) -> PieceJustificative:
        return get_object_or_404(
            PieceJustificative.objects.visible_to(self.request.user).filter(
                dossier_id=self.dossier.pk
            ),
            pk=self.kwargs["piece_pk"],
        )

    def get(self, request, *args, **kwargs):
        if self.lecture_seule:
            raise PermissionDenied("Ce dossier n'est plus modifiable.")
        return self.render_to_response({**self.contexte_commun(), "piece": self.get_piece()})

    def post(self, request, *args, **kwargs):
        self.exiger_modifiable()
        piece = self.get_piece()
        fichier, nom = piece.fichier, piece.nom_original
        with transaction.atomic():
            self.verrouiller_modifiable()
            piece.delete()
            transaction.on_commit(lambda: fichier.storage.delete(fichier.name))
        messages.success(request, f"Pièce « {nom} » supprimée.")
        return redirect("dossiers:saisie", pk=self.dossier.pk, etape="pieces")


# --- Éligibilité -----------------------------------------------------------------------------


def annonce(evaluation: dict) -> str:
    """La phrase lue par les lecteurs d'écran quand le panneau change."""
    return (
        f"Éligibilité mise à jour : {libelle_verdict(evaluation['verdict'])}, PS estimée "
        f"{euros(evaluation['montant_ps_total'])}."
    )


class EligibiliteView(DossierSaisieMixin, TemplateView):
    """Le panneau d'éligibilité du dossier tel qu'il est enregistré (partiel si htmx)."""

    roles = TOUS_LES_ROLES

    def get(self, request, *args, **kwargs):
        panneau = evaluation_et_panneau(self.dossier)
        etape = request.GET.get("etape", "")
        ctx = {"dossier": self.dossier, "etape_courante": etape, **panneau}
        if request.htmx:
            ctx["annonce"] = annonce(panneau["evaluation"])
            return self.response_class(request, "dossiers/saisie/_eligibilite.html", ctx)
        ctx["url_retour"] = (
            saisie.url_etape(self.dossier, etape) if etape in saisie.SLUGS else None
        ) or reverse("dossiers:detail", args=[self.dossier.pk])
        return self.response_class(request, "dossiers/saisie/eligibilite.html", ctx)


class ApercuView(DossierSaisieMixin, View):
    """POST htmx : le panneau évalué avec la saisie en cours appliquée en mémoire.

    Rien n'est enregistré : les formulaires ne servent qu'à lire et convertir les valeurs ;
    une valeur invalide garde la valeur enregistrée.
    """

    http_method_names = ["post"]
    FORMULAIRES = {"projet": ProjetForm, "axes": AxesForm, "equipe": CoordinationForm}

    @property
    def etape_apercu(self) -> str:
        return self.kwargs.get("etape", "collectifs")

    def post(self, request, *args, **kwargs):
        self.exiger_modifiable()
        classe = self.FORMULAIRES.get(self.kwargs["etape"])
        if classe is None:
            raise Http404("Pas d'aperçu pour cette étape.")
        form = classe(request.POST, instance=self.dossier)
        form.is_valid()  # applique à l'objet en mémoire les seules valeurs valides
        panneau = evaluation_et_panneau(self.dossier)
        return self.repondre(panneau)

    def repondre(self, panneau, extra: str = ""):
        html = render_to_string(
            "dossiers/saisie/_eligibilite.html",
            {
                "dossier": self.dossier,
                "annonce": annonce(panneau["evaluation"]),
                "apercu": True,
                "etape_courante": self.etape_apercu,
                **panneau,
            },
            request=self.request,
        )
        return HttpResponse(html + extra)


class ApercuCollectifView(ApercuView):
    """L'aperçu pendant la saisie d'un collectif (nouveau ou existant) et de ses créneaux."""

    def post(self, request, *args, **kwargs):
        self.exiger_modifiable()
        collectifs = list(self.dossier.collectifs.all())
        if "collectif_pk" in self.kwargs:
            collectif = next((c for c in collectifs if c.pk == self.kwargs["collectif_pk"]), None)
            if collectif is None:
                raise Http404("Ce collectif n'existe pas.")
        else:
            collectif = Collectif(dossier=self.dossier, ordre=len(collectifs))
            collectifs.append(collectif)
        form = CollectifForm(request.POST, instance=collectif)
        form.is_valid()
        formset = creneaux_formset(collectif if collectif.pk else Collectif(), request.POST)
        formset.is_valid()
        creneaux = [
            Creneau(
                jour=f.cleaned_data["jour"],
                debut=f.cleaned_data.get("debut"),
                duree_minutes=f.cleaned_data["duree_minutes"],
            )
            for f in formset.forms
            if f.has_changed()
            and not f.errors
            and not (formset.can_delete and formset._should_delete_form(f))
        ]
        documents = [
            collectif_vers_document(c, creneaux=creneaux, bilan=None)
            if c is collectif
            else collectif_vers_document(c)
            for c in collectifs
        ]
        document = dossier_vers_document(self.dossier, avec_decision=False)
        document["collectifs"] = documents
        evaluation = evaluer_document(document)
        panneau = evaluation_et_panneau(
            self.dossier, evaluation, collectifs=collectifs, collectif_courant=collectif
        )
        suggestion = suggestion_pour(self.dossier, form, formset)
        extra = render_to_string(
            "dossiers/saisie/_suggestion_semaines.html",
            {"suggestion": suggestion, "oob": True},
            request=request,
        )
        return self.repondre(panneau, extra)
