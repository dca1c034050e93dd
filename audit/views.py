"""Consultation du journal d'audit par l'administration nationale (lecture seule, filtrable)."""

import datetime

from django import forms
from django.utils import timezone
from django.views.generic import ListView

from comptes.models import Role
from comptes.permissions import RoleRequisMixin

from .models import Action, EvenementAudit


class FiltreJournalForm(forms.Form):
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "toutes")] + Action.choices
    )
    email = forms.CharField(label="Compte (courriel contient)", required=False, max_length=254)
    objet = forms.CharField(
        label="Objet (libellé ou identifiant contient)", required=False, max_length=100
    )
    ip = forms.GenericIPAddressField(label="Adresse IP", required=False)
    du = forms.DateField(label="Du", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    au = forms.DateField(label="Au", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for champ in self.fields.values():
            classe = "form-select" if isinstance(champ.widget, forms.Select) else "form-control"
            champ.widget.attrs["class"] = f"{classe} form-control-sm"

    def clean(self):
        donnees = super().clean()
        if donnees.get("du") and donnees.get("au") and donnees["du"] > donnees["au"]:
            self.add_error("au", "La date de fin précède la date de début.")
        return donnees


def _debut_du_jour(jour: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(jour, datetime.time.min))


class JournalView(RoleRequisMixin, ListView):
    roles = (Role.ADMIN,)
    template_name = "audit/journal.html"
    context_object_name = "evenements"
    paginate_by = 50

    def get_queryset(self):
        qs = EvenementAudit.objects.visible_to(self.request.user)
        self.filtre = FiltreJournalForm(self.request.GET or None)
        if self.filtre.is_bound and self.filtre.is_valid():
            f = self.filtre.cleaned_data
            if f["action"]:
                qs = qs.filter(action=f["action"])
            if f["email"]:
                qs = qs.filter(email__icontains=f["email"])
            if f["objet"]:
                qs = qs.filter(objet_libelle__icontains=f["objet"]) | qs.filter(objet_id=f["objet"])
            if f["ip"]:
                qs = qs.filter(ip=f["ip"])
            if f["du"]:
                qs = qs.filter(horodatage__gte=_debut_du_jour(f["du"]))
            if f["au"]:
                lendemain = f["au"] + datetime.timedelta(days=1)
                qs = qs.filter(horodatage__lt=_debut_du_jour(lendemain))
        return qs.order_by("-horodatage", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filtre"] = self.filtre
        return ctx
