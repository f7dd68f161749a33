from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from diversion.audit.services import audit_record
from diversion.consent import services
from diversion.consent.forms import AccountingForm, ConsentForm
from diversion.consent.models import NOTICE_2_32, Consent
from diversion.consent.selectors import disclosure_accounting, get_person_for_consent


def _add_errors(form, exc: ValidationError):
    for field, errors in exc.message_dict.items():
        target = {"expires_at": "expires_on", "recipients": "recipient_role"}.get(field, field)
        form.add_error(target if target in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
def person_consents(request, pk: int):
    """A participant's consents: record one, see which are in force, revoke."""
    person = get_person_for_consent(request.user, pk)
    form = ConsentForm(request.POST or None, site=person.site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_record(
                person=person, kind=data["kind"], categories=data["categories"],
                recipients=[(data["recipient_agency"], data["recipient_role"])],
                purpose=data["purpose"], signed_name=data["signed_name"],
                expires_at=form.expires_at(), expiry_event=data["expiry_event"],
                actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("consent:person", pk=person.pk)
    now = timezone.now()
    consents = list(person.consents.prefetch_related("recipients__agency").order_by("-signed_at"))
    for consent in consents:
        consent.is_in_force = consent.in_force(now)
    audit_record(actor=request.user, action="consent.view", obj=person, site=person.site_id)
    return render(request, "consent/person.html", {
        "person": person, "consents": consents, "form": form,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def consent_revoke(request, pk: int):
    consent = get_object_or_404(Consent, pk=pk)
    person = get_person_for_consent(request.user, consent.person_id)
    try:
        services.consent_revoke(consent=consent, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Consent revoked: nothing more is disclosed under it."))
    return redirect("consent:person", pk=person.pk)


@login_required
def accounting(request, pk: int):
    """The accounting of disclosures (§2.25) for a window of up to 3 years."""
    person = get_person_for_consent(request.user, pk)
    today = timezone.localdate()
    form = AccountingForm(request.GET or {"start": today - timedelta(days=365), "end": today})
    rows, status = [], 200
    if form.is_valid():
        tz = person.site.tz
        start = datetime.combine(form.cleaned_data["start"], time.min).replace(tzinfo=tz)
        end = datetime.combine(form.cleaned_data["end"] + timedelta(days=1),
                               time.min).replace(tzinfo=tz)
        try:
            rows = list(disclosure_accounting(person=person, start=start, end=end))
        except ValidationError as exc:
            form.add_error("end" if "to" in exc.message_dict else "start",
                           " ".join(exc.messages))
            status = 400
        else:
            audit_record(actor=request.user, action="consent.accounting", obj=person,
                         site=person.site_id, data={"rows": len(rows)})
    else:
        status = 400
    return render(request, "consent/accounting.html", {
        "person": person, "form": form, "rows": rows, "notice": NOTICE_2_32,
    }, status=status)
