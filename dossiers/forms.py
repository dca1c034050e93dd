"""Formulaires de la saisie d'un dossier par le porteur (une classe par étape ou par objet).

Conventions :
- les messages d'erreur nomment le champ (« « Nombre d'enfants » : la valeur maximale est 500. ») ;
- un booléen du dossier a trois valeurs, oui / non / non renseigné : absent n'est pas faux ;
- ``enregistrer_champs_valides`` et ``enregistrer_lignes_valides`` gardent ce qui est valide
  d'une saisie qui comporte des erreurs : rien de ce qui est juste n'est perdu.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.text import capfirst

from clas_portal.fichiers import valider_piece
from collectifs.models import ORDRE_CLASSES, Classe, Collectif, Creneau, Intervenant, Jour
from eligibility.editions import CNAF_2019
from porteurs.models import Porteur

from .models import (
    Campagne,
    CategorieDepense,
    Cofinanceur,
    Dossier,
    Etat,
    Evenement,
    LigneBudget,
    NiveauDiplome,
    PieceJustificative,
    TypePieceDossier,
)

# --- Briques communes ------------------------------------------------------------------------


class RadioOuiNon(forms.RadioSelect):
    """Trois boutons radio : oui, non, non renseigné (la valeur vide)."""

    VALEURS = {True: "true", False: "false", "True": "true", "False": "false"}

    def __init__(self, attrs=None, libelle_vide="non renseigné"):
        attrs = {"class": "form-check-input", **(attrs or {})}
        super().__init__(attrs, choices=(("true", "oui"), ("false", "non"), ("", libelle_vide)))

    def format_value(self, value):
        if isinstance(value, bool):
            return [self.VALEURS[value]]
        if value in ("true", "false"):
            return [value]
        return [self.VALEURS.get(value, "")]


class ChampOuiNon(forms.NullBooleanField):
    """Booléen à trois états : True, False ou None (« non renseigné »)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", RadioOuiNon())
        kwargs["required"] = False
        super().__init__(**kwargs)


def nommer_messages(champ: forms.Field) -> None:
    """Remplace les messages d'erreur génériques par des messages qui nomment le champ."""
    nom = f"« {capfirst(champ.label)} »" if champ.label else "Ce champ"
    messages = {
        "required": f"{nom} : ce champ est obligatoire.",
        "invalid_choice": f"{nom} : choisissez une valeur de la liste.",
        "invalid_list": f"{nom} : choisissez des valeurs de la liste.",
        "max_length": f"{nom} compte au plus %(limit_value)d caractères (%(show_value)d saisis).",
        "min_value": f"{nom} : la valeur minimale est %(limit_value)s.",
        "max_value": f"{nom} : la valeur maximale est %(limit_value)s.",
        "max_digits": f"{nom} : ce nombre est trop grand.",
        "max_whole_digits": f"{nom} : ce nombre est trop grand.",
        "max_decimal_places": f"{nom} : %(max)s décimales au plus.",
    }
    if isinstance(champ, forms.IntegerField):
        messages["invalid"] = f"{nom} : saisissez un nombre entier."
    if isinstance(champ, forms.DecimalField):
        messages["invalid"] = f"{nom} : saisissez un montant en euros (ex. : 1500 ou 1500,50)."
    elif isinstance(champ, forms.DateField):
        messages["invalid"] = f"{nom} : saisissez une date valide (jj/mm/aaaa)."
    elif isinstance(champ, forms.TimeField):
        messages["invalid"] = f"{nom} : saisissez une heure valide (hh:mm)."
    champ.error_messages.update(messages)


class MessagesNommesMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for champ in self.fields.values():
            nommer_messages(champ)


def _saisie_date(**kwargs) -> forms.DateField:
    return forms.DateField(
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), **kwargs
    )


def _montant(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        **kwargs,
    )


def _texte_long(label: str, help_text: str = "", lignes: int = 4, max_length: int = 4000):
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": lignes}),
    )


def desactiver(*formulaires) -> None:
    """Lecture seule : désactive tous les champs des formulaires et formsets donnés.

    Les formsets perdent leurs lignes vides : il n'y a rien à ajouter.
    """
    for element in formulaires:
        if hasattr(element, "forms"):
            element.extra = 0
        for formulaire in getattr(element, "forms", [element]):
            for champ in formulaire.fields.values():
                champ.disabled = True


# --- Garder ce qui est valide ----------------------------------------------------------------


def champs_valides(form: forms.ModelForm) -> list[str]:
    """Les champs du modèle, modifiés et sans erreur, d'un ModelForm déjà validé.

    Quand une erreur ne porte sur aucun champ, ou sur un champ d'un groupe lié
    (``form.champs_lies``, ex. les deux dates), tout le groupe est écarté.
    """
    exclus = set(form.errors)
    for groupe in getattr(form, "champs_lies", ()):
        if NON_FIELD_ERRORS in form.errors or exclus.intersection(groupe):
            exclus.update(groupe)
    noms = {f.name for f in form.instance._meta.concrete_fields}
    return [
        nom
        for nom in form.changed_data
        if nom in noms and nom not in exclus and nom in form.cleaned_data
    ]


def enregistrer_champs_valides(form: forms.ModelForm, *, creer: bool = False) -> list[str]:
    """Enregistre les champs valides d'un ModelForm, le plus souvent invalide ; renvoie leurs noms.

    L'objet modifié par ``is_valid()`` porte déjà les valeurs valides ; un objet nouveau n'est
    créé que si ``creer`` et si au moins un champ valide est rempli. Une contrainte de la base
    violée annule tout (rien n'est enregistré, la saisie reste affichée).
    """
    champs = champs_valides(form)
    instance = form.instance
    nouveau = instance.pk is None
    if not champs:
        return []
    try:
        with transaction.atomic():
            if instance.pk is None:
                if not creer:
                    return []
                instance.save()
            else:
                horodatages = [
                    f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)
                ]
                instance.save(update_fields=champs + horodatages)
    except IntegrityError:
        if nouveau:
            instance.pk = None
            instance._state.adding = True
        return []
    return champs


def enregistrer_lignes_valides(formset) -> tuple[QueryDict, int]:
    """Enregistre les lignes valides d'un formset de modèles invalide.

    Les lignes existantes valides sont mises à jour, celles cochées « supprimer » supprimées,
    les nouvelles lignes valides créées ; rien n'est enregistré si une règle portant sur
    l'ensemble des lignes est enfreinte. Renvoie ``(donnees, nombre)`` : les données POST
    réécrites pour reconstruire le formset (lignes enregistrées avec leur identifiant, puis
    lignes en erreur telles que saisies) et le nombre de lignes enregistrées ou supprimées.
    """
    if formset.non_form_errors():
        # Une règle sur l'ensemble des lignes n'est pas respectée (ex. deux créneaux
        # identiques) : aucune ligne n'est enregistrée, la saisie est réaffichée telle quelle.
        return formset.data, 0
    prefixe = formset.prefix
    pk = formset.model._meta.pk.name
    fk = getattr(formset, "fk", None)
    conservees = []  # (formulaire, identifiant ou None)
    nombre = 0
    for i, form in enumerate(formset.forms):
        initiale = i < formset.initial_form_count()
        if formset.can_delete and formset._should_delete_form(form):
            if initiale and form.instance.pk is not None:
                form.instance.delete()
                nombre += 1
            continue
        if not initiale and not form.has_changed():
            continue
        if form.is_valid():
            if form.has_changed():
                try:
                    with transaction.atomic():
                        if initiale:
                            formset.save_existing(form, form.instance)
                        else:
                            formset.save_new(form)
                except IntegrityError:
                    conservees.append((form, form.instance.pk if initiale else None))
                    continue
                nombre += 1
            conservees.append((form, form.instance.pk))
        else:
            conservees.append((form, form.instance.pk if initiale else None))

    donnees = formset.data.copy()
    for cle in list(donnees):
        if cle.startswith(f"{prefixe}-") and not cle.startswith(f"{prefixe}-__"):
            del donnees[cle]
    # Les lignes enregistrées (avec un identifiant) d'abord : le formset les reprend comme
    # lignes initiales ; puis les lignes nouvelles en erreur.
    conservees.sort(key=lambda paire: paire[1] is None)
    for j, (form, identifiant) in enumerate(conservees):
        ancien = f"{form.prefix}-"
        for cle in formset.data:
            if cle.startswith(ancien):
                donnees.setlist(f"{prefixe}-{j}-{cle[len(ancien) :]}", formset.data.getlist(cle))
        donnees[f"{prefixe}-{j}-{pk}"] = "" if identifiant is None else str(identifiant)
        if fk is not None and formset.instance.pk is not None:
            donnees[f"{prefixe}-{j}-{fk.name}"] = str(formset.instance.pk)
    initiales = sum(1 for _form, identifiant in conservees if identifiant is not None)
    donnees[f"{prefixe}-TOTAL_FORMS"] = str(len(conservees) + 1)  # et une ligne vide
    donnees[f"{prefixe}-INITIAL_FORMS"] = str(initiales)
    return donnees, nombre


class ChampsDuDossierMixin:
    """ModelForm sur ``Dossier`` : n'écrit que ses propres champs.

    Un ``save()`` complet réécrirait toutes les colonnes du dossier telles qu'elles ont été
    lues, état compris : un dépôt fait entre-temps dans un autre onglet serait annulé.
    """

    def save(self, commit=True):
        dossier = self.instance
        if not commit or dossier.pk is None:
            return super().save(commit=commit)
        champs = [nom for nom in self._meta.fields if nom in self.cleaned_data]
        dossier.save(update_fields=[*champs, "modifie_le"])
        return dossier


# --- Création d'un dossier -------------------------------------------------------------------


class ChoixCampagne(forms.ModelChoiceField):
    def label_from_instance(self, campagne):
        return (
            f"{campagne.departement} — année scolaire {campagne.annee_scolaire} "
            f"(dépôts jusqu'au {campagne.cloture:%d/%m/%Y})"
        )


class CreationDossierForm(MessagesNommesMixin, forms.Form):
    """Choix de l'organisation et de la campagne ouverte ; ``save`` crée le brouillon."""

    porteur = forms.ModelChoiceField(
        label="Organisation porteuse",
        queryset=Porteur.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    campagne = ChoixCampagne(
        label="Campagne de dépôt",
        queryset=Campagne.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        help_text="Le dossier est déposé auprès de la Caf de ce département, pour cette année.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        porteurs = Porteur.objects.visible_to(user).order_by("raison_sociale")
        campagnes = Campagne.objects.ouvertes().select_related("departement")
        self.fields["porteur"].queryset = porteurs
        self.fields["campagne"].queryset = campagnes.order_by("-annee", "departement_id")
        # Un seul choix : déjà coché. Sinon, la campagne du département de l'organisation.
        liste_porteurs = list(porteurs)
        liste_campagnes = list(campagnes)
        if len(liste_porteurs) == 1:
            self.initial.setdefault("porteur", liste_porteurs[0].pk)
        if len(liste_campagnes) == 1:
            self.initial.setdefault("campagne", liste_campagnes[0].pk)
        elif len(liste_porteurs) == 1:
            du_departement = [
                c for c in liste_campagnes if c.departement_id == liste_porteurs[0].departement_id
            ]
            if len(du_departement) == 1:
                self.initial.setdefault("campagne", du_departement[0].pk)

    def clean(self):
        donnees = super().clean()
        porteur, campagne = donnees.get("porteur"), donnees.get("campagne")
        if porteur and campagne:
            existant = (
                Dossier.objects.visible_to(self.user)
                .filter(porteur=porteur, departement=campagne.departement_id, annee=campagne.annee)
                .exclude(etat__in=[Etat.REFUSE, Etat.SANS_SUITE])
                .first()
            )
            if existant is not None:
                self.dossier_existant = existant
                raise ValidationError(
                    "%(porteur)s a déjà un dossier pour la campagne %(annee)s de ce département "
                    "(%(titre)s) : reprenez-le plutôt que d'en créer un second.",
                    code="doublon",
                    params={
                        "porteur": porteur.raison_sociale,
                        "annee": campagne.annee_scolaire,
                        "titre": existant.intitule or f"dossier n° {existant.pk}",
                    },
                )
        return donnees

    @transaction.atomic
    def save(self) -> Dossier:
        campagne = self.cleaned_data["campagne"]
        dossier = Dossier.objects.create(
            porteur=self.cleaned_data["porteur"],
            departement_id=campagne.departement_id,
            annee=campagne.annee,
            etat=Etat.BROUILLON,
        )
        Evenement.objects.create(
            dossier=dossier,
            type=Evenement.Type.CREATION,
            auteur=self.user,
            etat_apres=Etat.BROUILLON,
            commentaire=(
                f"Brouillon créé pour la campagne {campagne.annee_scolaire} "
                f"({campagne.departement})."
            ),
        )
        return dossier


# --- Étape « projet » ------------------------------------------------------------------------


class ProjetForm(ChampsDuDossierMixin, MessagesNommesMixin, forms.ModelForm):
    intitule = forms.CharField(
        label="Intitulé du projet",
        max_length=200,
        help_text="Le nom sous lequel la Caf connaîtra le projet, ex. : « Clas du quartier "
        "de l'Alma ».",
    )
    renouvellement = ChampOuiNon(
        label="Ce projet renouvelle-t-il une action Clas déjà financée par la Caf ?"
    )
    diagnostic = _texte_long(
        "Diagnostic des besoins",
        "Sur quels constats repose le projet ? Qui les partage (écoles, services sociaux, "
        "familles) ? Quels enfants, quels besoins ?",
        lignes=6,
        max_length=10000,
    )
    coherence_sdsf = ChampOuiNon(
        label="Le projet est-il cohérent avec le volet parentalité du schéma départemental "
        "des services aux familles (Sdsf) ?"
    )
    reperage_concerte_ecole = ChampOuiNon(
        label="Le besoin des enfants a-t-il été repéré en concertation avec les "
        "établissements scolaires ?"
    )
    aide_aux_devoirs_exclusive = ChampOuiNon(
        label="L'action se limite-t-elle à l'aide aux devoirs ?",
        help_text="Une action exclusivement consacrée à l'aide aux devoirs n'est pas éligible "
        "au Clas.",
    )

    class Meta:
        model = Dossier
        fields = [
            "intitule",
            "renouvellement",
            "diagnostic",
            "coherence_sdsf",
            "reperage_concerte_ecole",
            "aide_aux_devoirs_exclusive",
        ]


# --- Étape « axes » --------------------------------------------------------------------------


class AxesForm(ChampsDuDossierMixin, MessagesNommesMixin, forms.ModelForm):
    """Les 14 objectifs opérationnels, libellés par le texte du référentiel."""

    class Meta:
        model = Dossier
        fields = [f"{axe.cle}_{o.cle}" for axe in CNAF_2019.axes for o in axe.objectifs]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for axe in CNAF_2019.axes:
            for objectif in axe.objectifs:
                nom = f"{axe.cle}_{objectif.cle}"
                self.fields[nom] = _texte_long(objectif.libelle, lignes=3)
                nommer_messages(self.fields[nom])

    def groupes(self):
        """(axe, [champs liés]) pour afficher un groupe de champs par axe."""
        return [
            (axe, [self[f"{axe.cle}_{o.cle}"] for o in axe.objectifs]) for axe in CNAF_2019.axes
        ]


# --- Étape « équipe » ------------------------------------------------------------------------


class CoordinationForm(ChampsDuDossierMixin, MessagesNommesMixin, forms.ModelForm):
    coordinateur_nom = forms.CharField(
        label="Nom du coordinateur ou de la coordinatrice", max_length=160, required=False
    )
    coordinateur_niveau_diplome = forms.ChoiceField(
        label="Niveau de diplôme",
        choices=[("", "non renseigné")] + NiveauDiplome.choices,
        required=False,
        help_text="Le référentiel demande un bac + 2 au minimum.",
    )
    coordinateur_experience_animation_education = ChampOuiNon(
        label="A-t-il ou elle une expérience en animation ou en éducation ?"
    )

    class Meta:
        model = Dossier
        fields = [
            "coordinateur_nom",
            "coordinateur_niveau_diplome",
            "coordinateur_experience_animation_education",
        ]


class IntervenantForm(MessagesNommesMixin, forms.ModelForm):
    nom = forms.CharField(label="Nom", max_length=160)
    statut = forms.ChoiceField(
        label="Statut",
        choices=[("", "—")] + Intervenant.Statut.choices,
    )
    niveau_diplome = forms.ChoiceField(
        label="Niveau de diplôme",
        choices=[("", "non renseigné")] + NiveauDiplome.choices,
        required=False,
    )
    diplome_justifie_le = _saisie_date(
        label="Diplôme justifié le",
        required=False,
        help_text="Date à laquelle vous avez vu le justificatif (il n'est pas conservé).",
    )
    collectifs_animes = forms.MultipleChoiceField(
        label="Collectifs animés",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Intervenant
        fields = ["nom", "statut", "fonction", "niveau_diplome", "diplome_justifie_le"]

    def __init__(self, *args, dossier, collectifs, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.dossier = dossier
        self.fields["collectifs_animes"].choices = [(str(c.pk), str(c)) for c in collectifs]
        if self.instance.pk is not None:
            # Préchargés par la vue : aucune requête par intervenant.
            self.initial["collectifs_animes"] = [str(c.pk) for c in self.instance.collectifs.all()]

    def clean_diplome_justifie_le(self):
        from django.utils import timezone

        jour = self.cleaned_data.get("diplome_justifie_le")
        if jour and jour > timezone.localdate():
            raise ValidationError(
                "« Diplôme justifié le » : la date (%(jour)s) est dans le futur.",
                code="futur",
                params={"jour": jour.strftime("%d/%m/%Y")},
            )
        return jour

    def save(self, commit=True):
        intervenant = super().save(commit=commit)
        if commit:
            intervenant.collectifs.set([int(pk) for pk in self.cleaned_data["collectifs_animes"]])
        return intervenant


class BaseIntervenantFormSet(forms.BaseModelFormSet):
    def __init__(self, *args, dossier, collectifs, **kwargs):
        self.dossier = dossier
        kwargs.setdefault("form_kwargs", {}).update(dossier=dossier, collectifs=collectifs)
        super().__init__(*args, **kwargs)

    def save_new(self, form, commit=True):
        form.instance.dossier = self.dossier
        return super().save_new(form, commit=commit)


IntervenantFormSet = forms.modelformset_factory(
    Intervenant,
    form=IntervenantForm,
    formset=BaseIntervenantFormSet,
    extra=1,
    can_delete=True,
    max_num=200,
    validate_max=True,
)


def intervenants_formset(dossier, collectifs, data=None):
    return IntervenantFormSet(
        data,
        prefix="intervenants",
        queryset=Intervenant.objects.filter(dossier=dossier)
        .prefetch_related("collectifs")
        .order_by("nom", "pk"),
        dossier=dossier,
        collectifs=collectifs,
    )


# --- Étape « budget » ------------------------------------------------------------------------


class BudgetForm(ChampsDuDossierMixin, MessagesNommesMixin, forms.ModelForm):
    montant_demande = _montant(
        "Montant demandé à la Caf (€)",
        required=False,
        help_text="La prestation de service Clas demandée pour l'année.",
    )

    class Meta:
        model = Dossier
        fields = ["montant_demande"]


class LigneBudgetForm(MessagesNommesMixin, forms.ModelForm):
    sens = ""
    choix: list = []
    libelle_categorie = ""

    montant = _montant("Montant (€)")

    class Meta:
        model = LigneBudget
        fields = ["categorie", "libelle", "montant"]

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.dossier = dossier
        self.instance.sens = self.sens
        self.fields["categorie"] = forms.ChoiceField(
            label=self.libelle_categorie, choices=[("", "—")] + self.choix
        )
        self.fields["libelle"].label = "Précision"
        self.fields["libelle"].required = False
        for champ in self.fields.values():
            nommer_messages(champ)


class DepenseForm(LigneBudgetForm):
    sens = LigneBudget.Sens.DEPENSE
    choix = CategorieDepense.choices
    libelle_categorie = "Catégorie de dépense"


class RecetteForm(LigneBudgetForm):
    sens = LigneBudget.Sens.RECETTE
    choix = Cofinanceur.choices
    libelle_categorie = "Cofinanceur"


class BaseLigneBudgetFormSet(forms.BaseModelFormSet):
    def __init__(self, *args, dossier, **kwargs):
        self.dossier = dossier
        kwargs.setdefault("form_kwargs", {}).update(dossier=dossier)
        super().__init__(*args, **kwargs)


def _lignes_formset(form):
    return forms.modelformset_factory(
        LigneBudget,
        form=form,
        formset=BaseLigneBudgetFormSet,
        extra=1,
        can_delete=True,
        max_num=100,
        validate_max=True,
    )


DepenseFormSet = _lignes_formset(DepenseForm)
RecetteFormSet = _lignes_formset(RecetteForm)


def lignes_formsets(dossier, data=None):
    """Les deux formsets du budget : dépenses puis recettes."""
    lignes = LigneBudget.objects.filter(dossier=dossier).order_by("pk")
    return (
        DepenseFormSet(
            data,
            prefix="depenses",
            queryset=lignes.filter(sens=LigneBudget.Sens.DEPENSE),
            dossier=dossier,
        ),
        RecetteFormSet(
            data,
            prefix="recettes",
            queryset=lignes.filter(sens=LigneBudget.Sens.RECETTE),
            dossier=dossier,
        ),
    )


# --- Collectifs ------------------------------------------------------------------------------


class CollectifForm(MessagesNommesMixin, forms.ModelForm):
    champs_lies = (("date_debut", "date_fin"),)

    nom = forms.CharField(
        label="Nom du collectif",
        max_length=120,
        help_text="Pour le reconnaître dans le dossier, ex. : « CM1-CM2 du mardi et jeudi ».",
    )
    classes = forms.MultipleChoiceField(
        label="Classes des enfants",
        choices=Classe.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text="Le Clas s'adresse aux enfants du CP au lycée.",
    )
    nombre_enfants = forms.IntegerField(
        label="Nombre d'enfants", required=False, min_value=1, max_value=500
    )
    rural = ChampOuiNon(label="Le collectif est-il en milieu rural ?")
    lieu_nom = forms.CharField(label="Nom du lieu", max_length=160, required=False)
    lieu_adresse = forms.CharField(label="Adresse", max_length=255, required=False)
    lieu_code_postal = forms.CharField(
        label="Code postal",
        max_length=5,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    lieu_commune = forms.CharField(label="Commune", max_length=120, required=False)
    lieu_unique = ChampOuiNon(label="Le collectif se réunit-il toute l'année dans ce même lieu ?")
    lieu_accessible_parents = ChampOuiNon(label="Le lieu est-il accessible aux parents ?")
    nombre_intervenants = forms.IntegerField(
        label="Nombre d'intervenants à chaque séance",
        required=False,
        min_value=0,
        max_value=100,
        help_text="Deux au moins (un seul pour un collectif rural de moins de 8 enfants).",
    )
    date_debut = _saisie_date(label="Date de début", required=False)
    date_fin = _saisie_date(label="Date de fin", required=False)
    semaines_fonctionnement = forms.IntegerField(
        label="Semaines de fonctionnement",
        required=False,
        min_value=1,
        max_value=53,
        help_text="Le référentiel demande 30 semaines au moins.",
    )
    depenses_fonctionnement = _montant(
        "Dépenses de fonctionnement du collectif (€)",
        required=False,
        help_text="La prestation de service est calculée sur ce montant, dans la limite du "
        "prix plafond.",
    )

    class Meta:
        model = Collectif
        fields = [
            "nom",
            "classes",
            "nombre_enfants",
            "rural",
            "lieu_nom",
            "lieu_adresse",
            "lieu_code_postal",
            "lieu_commune",
            "lieu_unique",
            "lieu_accessible_parents",
            "nombre_intervenants",
            "date_debut",
            "date_fin",
            "semaines_fonctionnement",
            "depenses_fonctionnement",
        ]

    def clean_classes(self):
        return sorted(self.cleaned_data["classes"], key=ORDRE_CLASSES.__getitem__)

    def clean_lieu_code_postal(self):
        code = (self.cleaned_data.get("lieu_code_postal") or "").replace(" ", "")
        if code and (len(code) != 5 or not code.isdigit()):
            raise ValidationError(
                "« Code postal » : 5 chiffres attendus (« %(code)s » saisi).",
                code="code_postal",
                params={"code": code},
            )
        return code

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("date_debut"), donnees.get("date_fin")
        if debut and fin and fin < debut:
            self.add_error(
                "date_fin",
                ValidationError(
                    "« Date de fin » (%(fin)s) : elle précède la date de début (%(debut)s).",
                    code="dates_ordre",
                    params={"fin": fin.strftime("%d/%m/%Y"), "debut": debut.strftime("%d/%m/%Y")},
                ),
            )
        return donnees


class CreneauForm(MessagesNommesMixin, forms.ModelForm):
    jour = forms.ChoiceField(label="Jour", choices=[("", "— jour —")] + Jour.choices)
    debut = forms.TimeField(
        label="Heure de début",
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    duree_minutes = forms.IntegerField(
        label="Durée (minutes)", min_value=1, max_value=600, widget=forms.NumberInput()
    )

    class Meta:
        model = Creneau
        fields = ["jour", "debut", "duree_minutes"]


class BaseCreneauFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        vus = set()
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form) or form.errors:
                continue
            cle = (form.cleaned_data.get("jour"), form.cleaned_data.get("debut"))
            if cle in vus and cle[1] is not None:
                raise ValidationError(
                    "« Créneaux » : deux créneaux ont le même jour et la même heure de début.",
                    code="creneau_double",
                )
            vus.add(cle)


CreneauFormSet = forms.inlineformset_factory(
    Collectif,
    Creneau,
    form=CreneauForm,
    formset=BaseCreneauFormSet,
    extra=1,
    can_delete=True,
    max_num=14,
    validate_max=True,
)


def creneaux_formset(collectif, data=None):
    # Un nouveau collectif a souvent deux créneaux : deux lignes vides d'emblée.
    extra = 2 if collectif.pk is None else 1
    formset = CreneauFormSet(data, instance=collectif, prefix="creneaux")
    formset.extra = extra
    return formset


# --- Pièces ----------------------------------------------------------------------------------


class PieceForm(MessagesNommesMixin, forms.ModelForm):
    type = forms.ChoiceField(
        label="Type de pièce", choices=[("", "— choisir —")] + TypePieceDossier.choices
    )
    fichier = forms.FileField(
        label="Fichier",
        help_text="PDF, JPEG ou PNG, 10 Mo au plus. Le contenu du fichier est vérifié.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    class Meta:
        model = PieceJustificative
        fields = ["type", "fichier"]

    def __init__(self, *args, dossier, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.user = user

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        self.type_mime, self.extension = valider_piece(fichier)
        return fichier

    def save(self, commit=True):
        piece = super().save(commit=False)
        piece.dossier = self.dossier
        piece.attacher(self.cleaned_data["fichier"], self.type_mime, self.extension, self.user)
        if not commit:
            return piece
        try:
            with transaction.atomic():
                piece.save()
                Evenement.objects.create(
                    dossier=self.dossier,
                    type=Evenement.Type.PIECE,
                    auteur=self.user,
                    commentaire=f"{piece.get_type_display().capitalize()} : {piece.nom_original}",
                )
        except Exception:
            # Le fichier a pu être écrit avant l'échec de la base : pas d'orphelin sur le disque.
            if piece.fichier and piece.fichier._committed and piece.fichier.name:
                piece.fichier.storage.delete(piece.fichier.name)
            raise
        return piece
