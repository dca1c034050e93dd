"""Le formulaire de décision : montants par collectif (acceptation) ou motivation (refus,
classement sans suite). Il est construit pour UNE décision, choisie à l'étape précédente."""

from decimal import Decimal

from django import forms

from . import decision as service
from .models import Dossier

ESPACES = (" ", "\xa0", "\u202f", "€")


class MontantField(forms.DecimalField):
    """Un montant en euros, saisi à la française : « 1 625,50 », « 1625.5 », « 1 625,50 € »."""

    def to_python(self, value):
        if isinstance(value, str):
            for caractere in ESPACES:
                value = value.replace(caractere, "")
        return super().to_python(value)


def _montant_field(ligne: service.LigneMontant) -> MontantField:
    nom = ligne.nom
    return MontantField(
        label=f"Montant accordé à « {nom} » (€)",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        localize=True,
        error_messages={
            "required": f"Indiquez le montant accordé à « {nom} » (0,00 si rien ne lui est accordé).",
            "invalid": f"Le montant accordé à « {nom} » doit être un montant en euros, par exemple 1 625,00.",
            "min_value": f"Le montant accordé à « {nom} » ne peut pas être négatif.",
            "max_decimal_places": (
                f"Le montant accordé à « {nom} » a au plus deux chiffres après la virgule "
                "(les centimes)."
            ),
            "max_digits": f"Le montant accordé à « {nom} » est trop élevé.",
            "max_whole_digits": f"Le montant accordé à « {nom} » est trop élevé.",
        },
        widget=forms.TextInput(
            attrs={
                "inputmode": "decimal",
                "autocomplete": "off",
                "class": "form-control text-end montant",
            }
        ),
    )


class DecisionForm(forms.Form):
    """Décision ``decision`` sur ``dossier`` ; ``save()`` l'enregistre (voir ``decision.decider``)."""

    decision = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": "Le formulaire est incomplet : rechargez la page."},
    )

    def __init__(
        self,
        data=None,
        *,
        dossier: Dossier,
        user,
        decision: str,
        evaluation: dict,
        lignes: list[service.LigneMontant],
    ):
        self.dossier = dossier
        self.user = user
        self.decision = decision
        self.evaluation = evaluation
        self.lignes = lignes
        initial = {"decision": decision, "version": dossier.version}
        super().__init__(data, initial=initial)
        if decision == service.ACCEPTER:
            for ligne in lignes:
                nom = self.nom_champ(ligne)
                self.fields[nom] = _montant_field(ligne)
                self.initial[nom] = ligne.montant_propose
            self.fields["justification_depassement"] = forms.CharField(
                label="Justification du dépassement",
                required=False,
                help_text=(
                    "Obligatoire si un montant dépasse la PS calculée de son collectif, ou si "
                    "la PS n'est pas calculable. Reste interne à la Caf."
                ),
                widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
            )
            self.fields["note"] = forms.CharField(
                label="Observations (facultatif)",
                required=False,
                max_length=2000,
                help_text="Figurent dans la lettre de décision et le courriel au porteur.",
                widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
            )
            self.initial["justification_depassement"] = dossier.justification_depassement
        else:
            action = "refuser le dossier" if decision == service.REFUSER else "classer sans suite"
            self.fields["motivation"] = forms.CharField(
                label="Motivation de la décision",
                help_text=(
                    "Proposée à partir des critères non conformes du référentiel et de leurs "
                    "messages : relisez-la et complétez-la. Elle figure dans la lettre de "
                    "décision et le courriel au porteur."
                ),
                error_messages={
                    "required": f"Écrivez la motivation : elle est obligatoire pour {action}."
                },
                widget=forms.Textarea(attrs={"rows": 10, "class": "form-control"}),
            )
            self.initial["motivation"] = service.motivation_proposee(evaluation, lignes)
            if not self.initial["motivation"]:
                self.fields["motivation"].help_text = (
                    "Aucun critère du référentiel n'est non conforme : écrivez le motif de la "
                    "décision. Il figure dans la lettre de décision et le courriel au porteur."
                )

        self.fields["confirmation"] = forms.BooleanField(
            label=self.libelle_confirmation(),
            error_messages={"required": self.message_confirmation_manquante()},
            widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        )

    def designation_dossier(self) -> str:
        """« dossier « Coup de pouce Roubaix » (Association X, 2025-2026) »."""
        dossier = self.dossier
        porteur = dossier.porteur.raison_sociale
        if dossier.intitule and dossier.intitule != porteur:
            return f"dossier « {dossier.intitule} » ({porteur}, {dossier.annee_scolaire})"
        return f"dossier « {porteur} » ({dossier.annee_scolaire})"

    def libelle_confirmation(self) -> str:
        """La phrase que l'agent coche : la décision, le dossier et, pour une acceptation, le
        montant total (celui affiché au-dessus, voir ``total_confirme``)."""
        from eligibility.templatetags.referentiel import euros

        dossier = self.designation_dossier()
        if self.decision == service.ACCEPTER:
            total = self.total_accorde()
            if total is None:
                return self.modele_libelle_acceptation().replace(
                    "pour un montant total de {total}", "pour le montant total indiqué ci-dessus"
                )
            return self.modele_libelle_acceptation().replace("{total}", euros(total))
        nature = "le refus" if self.decision == service.REFUSER else "le classement sans suite"
        return (
            f"Je confirme {nature} du {dossier} ; le porteur sera prévenu par courriel et "
            "recevra la lettre de décision."
        )

    def modele_libelle_acceptation(self) -> str:
        """Le libellé de la case d'une acceptation, « {total} » à remplacer par le montant (le
        script de la page le tient à jour pendant la saisie des montants)."""
        return (
            f"Je confirme l'acceptation du {self.designation_dossier()} pour un montant total "
            "de {total} ; le porteur sera prévenu par courriel et recevra la lettre de décision."
        )

    def message_confirmation_manquante(self) -> str:
        action = {
            service.ACCEPTER: "accepter le dossier",
            service.REFUSER: "refuser le dossier",
            service.CLASSER_SANS_SUITE: "classer le dossier sans suite",
        }[self.decision]
        return (
            f"Cochez la case de confirmation pour {action} : la décision est définitive et le "
            "porteur en est prévenu par courriel."
        )

    def total_confirme(self) -> str:
        """Le total que nomme la case de confirmation, renvoyé en champ caché : si l'agent
        modifie un montant, la case cochée ne confirme plus ce total (voir ``clean``)."""
        total = self.total_accorde()
        return "" if total is None else str(total)

    @staticmethod
    def nom_champ(ligne: service.LigneMontant) -> str:
        return f"montant_{ligne.collectif.pk}"

    def full_clean(self):
        super().full_clean()
        # Le total nommé par la case est celui des montants saisis, connus une fois nettoyés.
        # (le champ lié, déjà créé par le nettoyage, a copié l'ancien libellé).
        libelle = self.libelle_confirmation()
        self.fields["confirmation"].label = libelle
        self["confirmation"].label = libelle
        for nom in self.errors:
            if nom in self.fields:
                widget = self.fields[nom].widget
                classes = widget.attrs.get("class", "")
                if "is-invalid" not in classes:
                    widget.attrs["class"] = f"{classes} is-invalid".strip()

    def clean_decision(self):
        if self.cleaned_data["decision"] != self.decision:
            raise forms.ValidationError("Le formulaire ne correspond pas à cette décision.")
        return self.decision

    def montants(self) -> dict[int, Decimal]:
        """Les montants saisis et valides, par collectif (``pk``)."""
        resultat = {}
        for ligne in self.lignes:
            valeur = getattr(self, "cleaned_data", {}).get(self.nom_champ(ligne))
            if valeur is not None:
                resultat[ligne.collectif.pk] = valeur.quantize(service.CENT)
        return resultat

    def clean(self):
        donnees = super().clean()
        if self.decision == service.ACCEPTER:
            a_justifier = service.depassements(self.lignes, self.montants())
            if a_justifier and not (donnees.get("justification_depassement") or "").strip():
                self.add_error(
                    "justification_depassement", service.message_depassement(a_justifier)
                )
            if donnees.get("confirmation"):
                self.verifier_total_confirme()
        return donnees

    def verifier_total_confirme(self) -> None:
        """La case cochée confirmait le total affiché à l'agent ; s'il a changé un montant
        depuis, il confirme de nouveau, en voyant le nouveau total."""
        from eligibility.templatetags.referentiel import euros

        total = self.total_accorde()
        if total is None:
            return  # un montant est en erreur : le formulaire est réaffiché de toute façon
        affiche = (self.data.get("total_confirme") or "").strip()
        try:
            identique = affiche != "" and Decimal(affiche) == total
        except ArithmeticError:
            identique = False
        if identique:
            return
        self.data = self.data.copy()
        self.data.pop(self.add_prefix("confirmation"), None)  # la case est à recocher
        self.add_error(
            "confirmation",
            f"Le montant total accordé est maintenant de {euros(total)} : vérifiez-le, puis "
            "cochez de nouveau la case de confirmation.",
        )

    def rangees(self) -> list[dict]:
        """Pour le tableau des montants : chaque collectif, sa PS et son champ."""
        return [
            {"ligne": ligne, "champ": self[self.nom_champ(ligne)]}
            for ligne in self.lignes
            if self.nom_champ(ligne) in self.fields
        ]

    def total_ps(self) -> Decimal | None:
        """La PS calculée du dossier (None : au moins un collectif retenu sans PS calculable)."""
        total = self.evaluation.get("montant_ps_total")
        return Decimal(total) if total is not None else None

    def total_accorde(self) -> Decimal | None:
        """Le total des montants affichés (saisis, ou proposés avant saisie) ; None si l'un est
        inconnu ou invalide."""
        total = Decimal("0.00")
        for ligne in self.lignes:
            nom = self.nom_champ(ligne)
            if self.is_bound:
                valeur = getattr(self, "cleaned_data", {}).get(nom)
            else:
                valeur = ligne.montant_propose
            if valeur is None:
                return None
            total += valeur
        return total.quantize(service.CENT)

    def save(self):
        """Enregistre la décision ; voir ``decision.decider`` pour les exceptions possibles."""
        donnees = self.cleaned_data
        if self.decision == service.ACCEPTER:
            return service.decider(
                self.dossier,
                self.user,
                self.decision,
                version=donnees["version"],
                montants=self.montants(),
                motif=donnees.get("note", ""),
                justification=donnees.get("justification_depassement", ""),
            )
        return service.decider(
            self.dossier,
            self.user,
            self.decision,
            version=donnees["version"],
            motif=donnees["motivation"],
        )
