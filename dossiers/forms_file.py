"""Formulaires de la file d'attente : assignation d'un dossier (ou d'une sélection) à un agent.

L'assignation n'est pas un changement d'état, mais le modèle ``Evenement`` n'a pas de type
propre pour elle (et les modèles ne changent pas dans ce lot) : elle s'écrit dans l'historique
comme un événement « changement d'état » dont l'état avant et l'état après sont identiques,
avec le commentaire « Dossier confié à X par Y ». L'historique reste ainsi la seule trace de qui
a suivi le dossier ; un affichage peut reconnaître une assignation à ``etat_avant == etat_apres``.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from comptes.models import Role, Utilisateur

from .filtres import libelle_agent
from .models import Dossier, Etat, Evenement


def agents_assignables(departement_ids):
    """Les agents Caf actifs des départements donnés : les seuls à qui l'on confie un dossier."""
    return (
        Utilisateur.objects.filter(
            role=Role.AGENT, is_active=True, departement_id__in=departement_ids
        )
        .select_related("departement")
        .order_by("departement_id", "nom", "prenom", "pk")
    )


def peut_assigner(user) -> bool:
    """Agents du département (le périmètre fait le reste) et administrateur national."""
    return user.is_authenticated and (user.est_agent or user.est_admin)


def commentaire_assignation(agent, par, ancien=None) -> str:
    texte = f"Dossier confié à {agent} par {par}"
    if ancien is not None:
        texte += f" (auparavant suivi par {ancien})"
    return texte + "."


def confier(dossier: Dossier, agent: Utilisateur, par: Utilisateur) -> Evenement | None:
    """Confie ``dossier`` à ``agent`` et l'écrit dans l'historique ; None s'il l'était déjà.

    Le dossier est relu verrouillé ; la version est incrémentée comme pour toute modification
    par la Caf (un formulaire resté ouvert ailleurs verra qu'il a changé).
    """
    with transaction.atomic():
        verrouille = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("agent_referent")
            .get(pk=dossier.pk)
        )
        if verrouille.agent_referent_id == agent.pk:
            return None
        ancien = verrouille.agent_referent
        Dossier.objects.filter(pk=verrouille.pk).update(
            agent_referent=agent, version=F("version") + 1
        )
        evenement = Evenement.objects.create(
            dossier=verrouille,
            type=Evenement.Type.TRANSITION,
            auteur=par,
            etat_avant=verrouille.etat,
            etat_apres=verrouille.etat,
            commentaire=commentaire_assignation(agent, par, ancien),
        )
    dossier.agent_referent = agent
    dossier.version = verrouille.version + 1
    return evenement


class ChoixAgentField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return libelle_agent(obj)


class AssignationForm(forms.Form):
    """Confier un dossier à un agent actif de son département, ou à soi-même."""

    agent = ChoixAgentField(
        label="Agent référent",
        queryset=Utilisateur.objects.none(),
        required=False,
        empty_label="Choisissez un agent",
        help_text="un agent Caf actif du département du dossier",
    )
    moi = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, dossier: Dossier, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.user = user
        self.fields["agent"].queryset = agents_assignables([dossier.departement_id])
        self.fields["agent"].error_messages["invalid_choice"] = (
            f"Choisissez un agent Caf actif du département {dossier.departement} : "
            "l'agent indiqué n'en fait pas partie."
        )
        if dossier.agent_referent_id:
            self.fields["agent"].initial = dossier.agent_referent_id

    def clean(self):
        donnees = super().clean()
        if self.dossier.etat == Etat.BROUILLON:
            raise ValidationError(
                "Ce dossier est un brouillon : il ne peut être confié à un agent qu'une fois déposé."
            )
        if donnees.get("moi"):
            if not (
                self.user.est_agent and self.user.departement_id == self.dossier.departement_id
            ):
                raise ValidationError(
                    "Vous ne pouvez pas vous confier ce dossier : il faut être agent Caf de son "
                    "département."
                )
            donnees["cible"] = self.user
        elif donnees.get("agent"):
            donnees["cible"] = donnees["agent"]
        elif not self.has_error("agent"):
            self.add_error("agent", "Choisissez l'agent à qui confier le dossier.")
        return donnees

    def save(self) -> Evenement | None:
        return confier(self.dossier, self.cleaned_data["cible"], self.user)


class AssignationLotForm(forms.Form):
    """Confier plusieurs dossiers cochés dans la file à un même agent (ou à soi-même).

    Préfixe « lot » : ses champs ne se confondent pas avec ceux des filtres sur la même page.
    """

    prefix = "lot"

    dossiers = forms.ModelMultipleChoiceField(
        label="Dossiers",
        queryset=Dossier.objects.none(),
        error_messages={
            "required": "Cochez au moins un dossier dans la liste.",
            "invalid_choice": "Un des dossiers cochés n'est pas dans votre périmètre.",
            "invalid_pk_value": "Un des dossiers cochés n'existe pas.",
        },
    )
    agent = ChoixAgentField(
        label="Confier les dossiers cochés à",
        queryset=Utilisateur.objects.none(),
        required=False,
        empty_label="Choisissez un agent",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    moi = forms.BooleanField(required=False)

    def __init__(self, *args, user, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if agents is not None:
            # Formulaire affiché dans la file : les choix déjà lus par la vue suffisent (aucune
            # requête de plus) ; les querysets ne servent qu'à valider un envoi.
            self.fields["agent"].choices = [("", "Choisissez un agent")] + [
                (a.pk, libelle_agent(a, avec_departement=user.est_admin))
                for a in agents
                if a.is_active
            ]
            return
        self.fields["dossiers"].queryset = Dossier.objects.visible_to(user).exclude(
            etat=Etat.BROUILLON
        )
        departements = Dossier.objects.visible_to(user).order_by().values_list("departement_id")
        self.fields["agent"].queryset = agents_assignables(departements)
        perimetre = (
            "d'un département de votre périmètre" if user.est_admin else "de votre département"
        )
        self.fields["agent"].error_messages["invalid_choice"] = (
            f"Choisissez un agent Caf actif {perimetre} : l'agent indiqué n'en fait pas partie."
        )

    def clean(self):
        donnees = super().clean()
        if donnees.get("moi"):
            if not self.user.est_agent:
                raise ValidationError("Seul un agent Caf peut se confier des dossiers.")
            cible = self.user
        else:
            cible = donnees.get("agent")
            if cible is None:
                if not self.has_error("agent"):
                    self.add_error("agent", "Choisissez l'agent à qui confier les dossiers.")
                return donnees
        dossiers = donnees.get("dossiers")
        if dossiers is not None:
            autres = [d for d in dossiers if d.departement_id != cible.departement_id]
            if autres:
                raise ValidationError(
                    f"{len(autres)} dossier{'s' if len(autres) > 1 else ''} coché"
                    f"{'s' if len(autres) > 1 else ''} n'appartien"
                    f"{'nent' if len(autres) > 1 else 't'} pas au département de {cible} "
                    f"({cible.departement_id}) : un dossier ne se confie qu'à un agent de son "
                    "département."
                )
        donnees["cible"] = cible
        return donnees

    def save(self) -> int:
        """Confie chaque dossier coché ; rend le nombre de dossiers dont l'agent a changé."""
        cible = self.cleaned_data["cible"]
        return sum(
            1 for d in self.cleaned_data["dossiers"] if confier(d, cible, self.user) is not None
        )
