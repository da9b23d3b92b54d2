"""How staff log in to the admin: a password, a one-time code for accounts with an
authenticator app (required of superusers when ADMIN_REQUIRE_2FA is on), lockout after
repeated failures (django-axes, see settings), and the page that sets the app up.

- ``StaffLoginForm``: the admin's login form; asks for the code when the account has a
  confirmed TOTP device (django-otp), and counts a wrong code as a failed login, so axes
  locks out code guessing exactly as it locks out password guessing.
- ``TwoFactorRequiredMiddleware``: with ADMIN_REQUIRE_2FA, a superuser whose session is not
  verified by a code sees only the set-up page (and can log out).
- ``two_factor_setup``: shows a QR code (SVG made on the server by segno) for the app, and
  confirms the device with a first code.
- ``client_ip``: the address axes counts failures by; behind the TLS proxy, the address the
  proxy saw (the last X-Forwarded-For entry), never one a client wrote itself.
"""

from __future__ import annotations

import logging
from base64 import b32encode
from collections.abc import Callable

import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

logger = logging.getLogger(__name__)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


class StaffLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    # django-otp has no Korean catalogue: its messages, in ours.
    otp_error_messages = dict(
        OTPAuthenticationFormMixin.otp_error_messages,
        token_required=gettext_lazy("Enter the code from your authenticator app."),
        invalid_token=gettext_lazy("That code is not right. Enter the code the app shows now."),
        n_failed_attempts=gettext_lazy(
            "Too many wrong codes: wait a little, then enter the code the app shows."),
        verification_not_allowed=gettext_lazy(
            "Too many wrong codes: wait a little, then enter the code the app shows."),
    )
    otp_token = forms.CharField(
        label=gettext_lazy("Code from the authenticator app"),
        required=False,
        max_length=8,
        help_text=gettext_lazy("Only for accounts with two-step login set up."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()  # the password (axes counts its failures)
        user = self.get_user()
        if user is not None and confirmed_device(user) is not None:
            try:
                self.clean_otp(user)
            except forms.ValidationError:
                # A wrong or missing code is a failed login: axes counts it and locks out.
                user_login_failed.send(
                    sender=type(self), request=self.request,
                    credentials={"username": self.cleaned_data.get("username")},
                )
                raise
        return cleaned

    def _chosen_device(self, user) -> TOTPDevice | None:
        return confirmed_device(user)


def two_factor_required(user) -> bool:
    return bool(settings.ADMIN_REQUIRE_2FA and user.is_authenticated and user.is_superuser)


class TwoFactorRequiredMiddleware:
    """After django_otp's OTPMiddleware (which sets ``user.is_verified``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_root = reverse("admin:index")
        if request.path.startswith(admin_root) and two_factor_required(request.user) \
                and not request.user.is_verified():
            allowed = {reverse("two-factor-setup"), reverse("admin:logout"),
                       reverse("admin:login"), reverse("admin:jsi18n")}
            if request.path not in allowed:
                return redirect("two-factor-setup")
        return self.get_response(request)


class ConfirmForm(forms.Form):
    token = forms.CharField(label=gettext_lazy("Code from the authenticator app"),
                            max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                          "inputmode": "numeric"}))


@staff_member_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: scan, enter the first code, done."""
    # The admin's own context: its header, user links and theme, like every admin page.
    page = {**admin.site.each_context(request), "title": _("Two-step login")}
    if confirmed_device(request.user) is not None:
        return render(request, "admin/two_factor_setup.html", {
            **page, "enabled": True,
            "required": two_factor_required(request.user),
        })
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"})
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)  # this session is verified from now on
            logger.info("two-step login set up for staff account %s", request.user.pk)
            messages.success(request, _("Two-step login is on for your account."))
            return HttpResponseRedirect(reverse("admin:index"))
        form.add_error("token", _("That code is not right. Check the phone's clock and "
                                  "enter the code shown now."))
    qr = segno.make(device.config_url, error="m")
    return render(request, "admin/two_factor_setup.html", {
        **page,
        "enabled": False,
        "required": two_factor_required(request.user),
        # Made here from the device's own URL: markup we wrote, not input.
        "qr_svg": mark_safe(qr.svg_inline(scale=5, dark="#000", light="#fff")),  # noqa: S308
        "secret": _base32_key(device),
        "form": form,
    })


def _base32_key(device: TOTPDevice) -> str:
    """The key as apps accept it typed in, for a phone that cannot scan."""
    return b32encode(device.bin_key).decode("ascii")


def client_ip(request: HttpRequest) -> str | None:
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")
