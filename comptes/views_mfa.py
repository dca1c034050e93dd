"""Second facteur TOTP (application d'authentification) : configuration puis vérification.

Le secret n'est montré qu'à la configuration, sous forme de QR code (SVG fait sur le serveur) et
en clair (base 32) pour une saisie manuelle. L'appareil n'est confirmé qu'après un premier code
juste. django-otp limite les essais (attente croissante après chaque code faux).
"""

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.journal import consigner
from audit.models import Action

NOM_APPAREIL = "Application d'authentification"


class CodeForm(forms.Form):
    code = forms.RegexField(
        label="Code à 6 chiffres affiché par l'application",
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={
            "invalid": "Saisissez les 6 chiffres affichés par l'application, sans lettre.",
            "required": "Saisissez le code à 6 chiffres affiché par l'application.",
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def code_net(self) -> str:
        return self.cleaned_data["code"].replace(" ", "").strip()


def _suite(request) -> str:
    suite = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(suite, {request.get_host()}, request.is_secure()):
        return suite
    return "/"


def _verifier(appareil: TOTPDevice, code: str) -> tuple[bool, str]:
    autorise, _details = appareil.verify_is_allowed()
    if not autorise:
        return False, "Trop d'essais : patientez quelques secondes avant de saisir un nouveau code."
    if appareil.verify_token(code):
        return True, ""
    return (
        False,
        "Ce code n'est pas le bon (ou il a expiré) : saisissez le code affiché maintenant.",
    )


class ConfigurerView(LoginRequiredMixin, View):
    template_name = "comptes/mfa_configurer.html"

    def appareil(self, request) -> TOTPDevice:
        appareil = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if appareil is None:
            appareil = TOTPDevice.objects.create(
                user=request.user, name=NOM_APPAREIL, confirmed=False
            )
        return appareil

    def afficher(self, request, form, appareil, status=200):
        qr = segno.make(appareil.config_url, error="m")
        secret = base64.b32encode(appareil.bin_key).decode()
        contexte = {
            "form": form,
            "qr_data_uri": qr.svg_data_uri(scale=5, dark="#000", light="#fff"),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _suite(request),
        }
        return render(request, self.template_name, contexte, status=status)

    def get(self, request):
        if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            return redirect("mfa_verifier")
        return self.afficher(request, CodeForm(), self.appareil(request))

    def post(self, request):
        if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            return redirect("mfa_verifier")
        appareil = self.appareil(request)
        form = CodeForm(request.POST)
        if form.is_valid():
            juste, erreur = _verifier(appareil, form.code_net())
            if juste:
                appareil.confirmed = True
                appareil.save(update_fields=["confirmed"])
                otp_login(request, appareil)
                consigner(Action.CONNEXION, details={"second_facteur": "configuré"})
                messages.success(request, "Le second facteur est configuré.")
                return redirect(_suite(request))
            form.add_error("code", erreur)
        return self.afficher(request, form, appareil, status=400)


class VerifierView(LoginRequiredMixin, View):
    template_name = "comptes/mfa_verifier.html"

    def get(self, request):
        if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            return redirect("mfa_configurer")
        return render(request, self.template_name, {"form": CodeForm(), "next": _suite(request)})

    def post(self, request):
        appareils = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
        if not appareils:
            return redirect("mfa_configurer")
        form = CodeForm(request.POST)
        if form.is_valid():
            erreur = ""
            for appareil in appareils:
                juste, erreur = _verifier(appareil, form.code_net())
                if juste:
                    otp_login(request, appareil)
                    consigner(Action.CONNEXION, details={"second_facteur": "vérifié"})
                    return redirect(_suite(request))
            consigner(Action.ECHEC_CONNEXION, details={"second_facteur": "code faux"})
            form.add_error("code", erreur)
        contexte = {"form": form, "next": _suite(request)}
        return render(request, self.template_name, contexte, status=400)
