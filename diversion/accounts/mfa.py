"""Multi-factor sign-in: a time-based one-time code (TOTP, RFC 6238) after the password.

django-otp keeps the devices and refuses a code already used (each device
remembers the last time step it accepted) and slows down guessing (throttling).
"""

import base64

from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from diversion.audit.services import audit_record


def mfa_required(user) -> bool:
    """Every signed-in staff member needs a second factor when the site requires it."""
    return bool(settings.DIVERSION_REQUIRE_MFA and user.is_authenticated)


def mfa_verified(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def mfa_enrolled(user) -> bool:
    return user_has_device(user, confirmed=True)


_PENDING = "mfa_pending_device"


@transaction.atomic
def totp_device_pending(request) -> TOTPDevice:
    """The unconfirmed device this session is setting up: its key stays the same across the
    session's reloads, and is new for each session that starts an enrolment. Starting one
    deletes every other unconfirmed device of the user, so a key shown to another session
    (someone who had the password first) can never be confirmed (attack 13, F2)."""
    user = request.user
    pending = TOTPDevice.objects.filter(user=user, confirmed=False)
    device = pending.filter(pk=request.session.get(_PENDING) or 0).first()
    if device is None:
        pending.delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        request.session[_PENDING] = device.pk
    return device


def totp_key_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an authenticator app."""
    raw = base64.b32encode(device.bin_key).decode()
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())


@transaction.atomic
def mfa_verify(*, request, code: str, ip: str | None = None) -> bool:
    """Check CODE against the user's confirmed devices; on success mark the session verified.

    A code is accepted once: replaying it (even within its 30 seconds) fails.
    """
    user = request.user
    device = None
    for candidate in TOTPDevice.objects.filter(user=user, confirmed=True):
        device = otp_verify_token(user, candidate.persistent_id, _clean(code))
        if device is not None:
            break
    if device is None:
        audit_record(actor=user, action="auth.mfa", obj=user, site=user.site, ip=ip,
                     outcome="denied")
        return False
    otp_login(request, device)
    # A second factor raises the session's privilege: give it a new key.
    request.session.cycle_key()
    audit_record(actor=user, action="auth.mfa", obj=user, site=user.site, ip=ip)
    return True


@transaction.atomic
def mfa_enrol(*, request, device: TOTPDevice, code: str, ip: str | None = None) -> bool:
    """Confirm a new device with its first code; on success the session is verified."""
    user = request.user
    if (device.user_id != user.pk or device.confirmed
            or request.session.get(_PENDING) != device.pk):
        return False  # only the session that was shown this key may confirm it
    device = TOTPDevice.objects.select_for_update().filter(pk=device.pk).first()
    if device is None or device.confirmed:
        return False  # another session started an enrolment since: its key, not this one
    if not device.verify_token(_clean(code)):
        audit_record(actor=user, action="auth.mfa_enrol", obj=user, site=user.site, ip=ip,
                     outcome="denied")
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    request.session.pop(_PENDING, None)
    otp_login(request, device)
    request.session.cycle_key()
    audit_record(actor=user, action="auth.mfa_enrol", obj=user, site=user.site, ip=ip)
    return True
