"""Django forms of the cases app; the assessment form definitions live beside them as data
(definitions.py and the *.toml files)."""

import uuid
from datetime import datetime

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from diversion.cases.models import ContactKind, Employment, ExitReason, GoalStatus, Housing

_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TRI = [("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))]


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read as wall-clock time in the site's zone (set by the form)."""

    widget = _LOCAL
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

    def __init__(self, *args, tz=None, **kwargs):
        self.tz = tz
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        for fmt in self.input_formats:
            try:
                naive = datetime.strptime(str(value).strip(), fmt)
            except ValueError:
                continue
            return naive.replace(tzinfo=self.tz)
        raise forms.ValidationError(_("Give a date and time."), code="invalid")


class SiteForm(forms.Form):
    def __init__(self, *args, tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, LocalDateTimeField):
                field.tz = tz

    def add_service_error(self, exc) -> None:
        """Attach a service's ValidationError to the named fields (or the form)."""
        for field, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
            name = field.split(".")[-1]
            self.add_error(name if name in self.fields else None, messages)


class ContactForm(SiteForm):
    at = LocalDateTimeField(label=_("When"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    place = forms.CharField(label=_("Where"), max_length=200, required=False)
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=1440,
                                          required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}),
                           required=False)
    housing = forms.ChoiceField(label=_("Housing this month"), required=False,
                                choices=[("", _("Not asked"))] + Housing.choices)
    employment = forms.ChoiceField(label=_("Employment this month"), required=False,
                                   choices=[("", _("Not asked"))] + Employment.choices)
    income_or_benefits = forms.ChoiceField(label=_("Income or benefits this month"),
                                           choices=_TRI, required=False)
    overdose_events = forms.IntegerField(label=_("Overdoses this month so far"), min_value=0,
                                         max_value=100, required=False)
    er_visits = forms.IntegerField(label=_("Emergency-room visits this month so far"),
                                   min_value=0, max_value=100, required=False)
    # A fresh key per form shown: a double tap or a resend records one contact.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())

    def monthly_status(self) -> dict:
        d = self.cleaned_data
        out = {k: d[k] for k in ("housing", "employment", "overdose_events", "er_visits")
               if d.get(k) not in (None, "")}
        if d.get("income_or_benefits"):
            out["income_or_benefits"] = d["income_or_benefits"] == "yes"
        return out


DEFLECTION_STEP_LABELS = {
    "screening": _("Screening"),
    "service_referral": _("Service referral"),
    "first_service_attended": _("First service attended"),
}


class DeflectionStepForm(SiteForm):
    step = forms.ChoiceField(choices=list(DEFLECTION_STEP_LABELS.items()),
                             widget=forms.HiddenInput)
    at = LocalDateTimeField(label=_("When"))


class ExitForm(SiteForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=ExitReason.choices)
    note = forms.CharField(label=_("Note (needed for 'other')"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class GoalForm(SiteForm):
    text = forms.CharField(label=_("Goal, in the participant's own words"),
                           widget=forms.Textarea(attrs={"rows": 2}))
    target_date = forms.DateField(label=_("Target date"), required=False, widget=_DATE)
    first_step = forms.CharField(label=_("First step"), max_length=500, required=False)


class GoalUpdateForm(SiteForm):
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    target_date = forms.DateField(label=_("Target date"), required=False, widget=_DATE)
    version = forms.IntegerField(widget=forms.HiddenInput)


class StepForm(SiteForm):
    text = forms.CharField(label=_("Step"), max_length=500)
    target_date = forms.DateField(label=_("Target date"), required=False, widget=_DATE)


class PlanReviewForm(SiteForm):
    note = forms.CharField(label=_("Review note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ReassignForm(SiteForm):
    case_manager = forms.ModelChoiceField(label=_("New case manager"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    override_reason = forms.CharField(
        label=_("Reason to go over the caseload maximum (only if needed)"), max_length=300,
        required=False)

    def __init__(self, *args, case_managers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers


class CaseloadReassignForm(ReassignForm):
    from_user = forms.ModelChoiceField(label=_("Caseload of"), queryset=None)

    def __init__(self, *args, case_managers=None, **kwargs):
        super().__init__(*args, case_managers=case_managers, **kwargs)
        self.fields["from_user"].queryset = case_managers
        self.order_fields(["from_user", "case_manager", "reason", "override_reason"])


class ShiftForm(SiteForm):
    case_manager = forms.ModelChoiceField(label=_("Case manager"), queryset=None)
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))

    def __init__(self, *args, case_managers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers


class HoldDecisionForm(SiteForm):
    to_status = forms.ChoiceField(label=_("Decision"), choices=[
        ("declined", _("Decline prosecution")), ("referred", _("Refer for prosecution"))])
    reason = forms.CharField(label=_("Reason"), max_length=500)


def assessment_fields(definition, answers: dict) -> list[dict]:
    """The form definition as template rows, with the saved answers filled in."""
    rows = []
    for domain in definition.domains:
        saved = answers.get(domain.id, {})
        # The form files are written in English; their Spanish is in the catalogue
        # (diversion/cases/forms/strings.py lists every label for makemessages).
        rows.append({
            "id": domain.id, "label": gettext(domain.label),
            "own_words": saved.get("own_words", ""),
            "questions": [{"id": q.id, "label": gettext(q.label), "type": q.type,
                           "choices": q.choices,
                           "name": f"{domain.id}__{q.id}", "value": saved.get(q.id, "")}
                          for q in domain.questions],
        })
    return rows


def assessment_answers_from_post(definition, post) -> dict:
    """The POSTed fields `<domain>__<question>` and `<domain>__own_words` as answers."""
    answers = {}
    for domain in definition.domains:
        values = {}
        own = post.get(f"{domain.id}__own_words", "").strip()
        if own:
            values["own_words"] = own
        for q in domain.questions:
            raw = post.get(f"{domain.id}__{q.id}", "")
            if isinstance(raw, str):
                raw = raw.strip()
            if raw != "":
                values[q.id] = raw
        answers[domain.id] = values or None
    return answers
