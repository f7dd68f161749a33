import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from diversion import policy
from diversion.accounts.middleware import nul_allowed
from diversion.accounts.models import Role
from diversion.cases.selectors import cases_visible_to, get_case_for_user
from diversion.texts import services
from diversion.texts.forms import AppointmentForm, ConsentForm, PlaceForm, SendForm
from diversion.texts.models import Direction, MessageStatus, TextConsent, TextMessage
from diversion.texts.providers import provider_get

log = logging.getLogger(__name__)


def _case(request, pk):
    """The case, for those who work it: its case manager, supervisors and administrators
    (texts are the case's working record, not part of the summary others see)."""
    case = get_case_for_user(request.user, pk)
    if not policy.can(request.user, "text.write"):
        raise Http404("No such case.")
    return case


def _page(request, case, status=200, **forms):
    tz = case.site.tz
    referrals = list(case.service_referrals.select_related("service").filter(
        ended_at__isnull=True))
    consent = TextConsent.objects.filter(person_id=case.person_id,
                                         revoked_at__isnull=True).first()
    texts = list(case.texts.select_related("sent_by")[:100])
    can_write = case.is_open and (request.user.role != Role.CASE_MANAGER
                                  or case.case_manager_id == request.user.pk)
    ctx = {
        "case": case, "tz": tz, "consent": consent, "texts": texts, "can_write": can_write,
        "gateway": provider_get() is not None,
        "unread": sum(1 for t in texts if t.direction == Direction.IN and t.read_at is None),
        "appointments": case.appointments.filter(cancelled_at__isnull=True,
                                                 at__gte=timezone.now()),
        "consent_form": ConsentForm(initial={"language": consent.language if consent else "en"}),
        "send_form": SendForm(),
        "appointment_form": AppointmentForm(tz=tz, referrals=referrals),
        "quiet_hours": settings.DIVERSION_SMS_QUIET_HOURS,
    }
    ctx.update(forms)
    return render(request, "texts/case.html", ctx, status=status)


@login_required
def case_texts(request, pk: int):
    case = _case(request, pk)
    response = _page(request, case)
    if case.case_manager_id == request.user.pk:
        services.texts_mark_read(case=case, actor=request.user)
    return response


@login_required
@require_POST
def consent_record(request, pk: int):
    case = _case(request, pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _page(request, case, status=400, consent_form=form)
    d = form.cleaned_data
    try:
        services.text_consent_record(case=case, actor=request.user, phone=d["phone"],
                                     language=d["language"], reminders=d["reminders"],
                                     messages=d["messages"])
    except ValidationError as exc:
        form.add_service_error(exc)
        return _page(request, case, status=400, consent_form=form)
    messages.success(request, _("Consent to texts recorded."))
    return redirect("texts:case", pk=case.pk)


@login_required
@require_POST
def consent_revoke(request, pk: int):
    case = _case(request, pk)
    services.text_consent_revoke(case=case, actor=request.user)
    messages.success(request, _("Consent withdrawn: no more texts will be sent."))
    return redirect("texts:case", pk=case.pk)


@login_required
@require_POST
def send(request, pk: int):
    case = _case(request, pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _page(request, case, status=400, send_form=form)
    try:
        services.text_one_off_send(case=case, actor=request.user, body=form.cleaned_data["body"])
    except ValidationError as exc:
        form.add_service_error(exc)
        return _page(request, case, status=400, send_form=form)
    messages.success(request, _("Text queued; it is also recorded as a contact."))
    return redirect("texts:case", pk=case.pk)


@login_required
@require_POST
def appointment_add(request, pk: int):
    case = _case(request, pk)
    referrals = list(case.service_referrals.select_related("service").filter(
        ended_at__isnull=True))
    form = AppointmentForm(request.POST, tz=case.site.tz, referrals=referrals)
    if not form.is_valid():
        return _page(request, case, status=400, appointment_form=form)
    d = form.cleaned_data
    try:
        services.appointment_schedule(case=case, actor=request.user, at=d["at"], kind=d["kind"],
                                      service_referral=form.referral(), note=d["note"])
    except ValidationError as exc:
        form.add_service_error(exc)
        return _page(request, case, status=400, appointment_form=form)
    messages.success(request, _("Appointment saved."))
    return redirect("texts:case", pk=case.pk)


@login_required
@require_POST
def appointment_cancel(request, pk: int, appt_pk: int):
    case = _case(request, pk)
    appointment = get_object_or_404(case.appointments, pk=appt_pk)
    services.appointment_cancel(appointment=appointment, actor=request.user)
    messages.success(request, _("Appointment cancelled."))
    return redirect("texts:case", pk=case.pk)


@login_required
def supervisor(request):
    """The supervisors' daily list: texts that failed in the last day, and replies that
    could not be placed on one case for sure."""
    policy.require(request.user, "text.supervise")
    since = timezone.now() - timedelta(days=1)
    site = request.user.site_id
    failed = (TextMessage.objects.filter(site_id=site, status=MessageStatus.FAILED,
                                         failed_at__gte=since).order_by("-failed_at"))
    unplaced = TextMessage.objects.filter(site_id=site, direction=Direction.IN,
                                          case__isnull=True).order_by("-created_at")[:100]
    return render(request, "texts/supervisor.html", {
        "failed": failed, "unplaced": unplaced, "place_form": PlaceForm(),
        "tz": request.user.site.tz})


@login_required
@require_POST
def reply_place(request, msg_pk: int):
    policy.require(request.user, "text.supervise")
    message = get_object_or_404(TextMessage, pk=msg_pk, site_id=request.user.site_id)
    form = PlaceForm(request.POST)
    case = None
    if form.is_valid():
        case = cases_visible_to(user=request.user).filter(pk=form.cleaned_data["case"]).first()
    if case is None:
        messages.error(request, _("No such case."))
        return redirect("texts:supervisor")
    try:
        services.text_reply_place(message=message, case=case, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("texts:supervisor")
    messages.success(request, _("Reply placed on the case; its case manager is told."))
    return redirect("texts:supervisor")


# --- the gateway's callbacks -----------------------------------------------------------------

def _check_token(token: str) -> None:
    expected = settings.DIVERSION_SMS_CALLBACK_TOKEN
    if not expected or not secrets.compare_digest(token.encode(), expected.encode()):
        raise Http404


def _ack() -> HttpResponse:
    # Jasmin retries a callback until the body is exactly this.
    return HttpResponse("ACK/Jasmin", content_type="text/plain")


@nul_allowed("coding", "content")
@csrf_exempt
@require_POST
def gateway_receipt(request, token: str, msg_pk: int):
    """Jasmin's delivery receipt for text MSG_PK (level 1: the carrier; level 2: the phone)."""
    _check_token(token)
    p = request.POST
    services.text_receipt_record(message_id=msg_pk, level=p.get("level", ""),
                                 status=p.get("message_status", ""), provider_id=p.get("id", ""),
                                 error=p.get("err", ""))
    return _ack()


def _incoming_text(p) -> str:
    """The words of an incoming text: Jasmin sends the raw bytes as hex in 'binary' with the
    data coding (8: UCS-2), and a best-effort 'content'."""
    raw = p.get("binary", "")
    coding = p.get("coding", "")
    if not raw:  # a gateway that sends only 'content' (a STOP read as empty would be lost)
        return p.get("content", "")
    try:
        data = bytes.fromhex(raw)
    except ValueError:
        return p.get("content", "")
    if coding in ("8", "\x08"):
        return data.decode("utf-16-be", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@nul_allowed("coding", "content")
@csrf_exempt
@require_POST
def gateway_incoming(request, token: str):
    """A text from a phone, routed to us by Jasmin's MO route."""
    _check_token(token)
    p = request.POST
    sender = p.get("from", "")
    if not sender:
        return HttpResponse("missing from", status=400, content_type="text/plain")
    services.text_inbound_receive(sender=sender, body=_incoming_text(p),
                                  provider_id=p.get("id", "")[:80])
    return _ack()
