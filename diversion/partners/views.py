from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from diversion import policy
from diversion.accounts.models import Role, User
from diversion.cases.models import Case
from diversion.consent.models import NOTICE_2_32
from diversion.partners.models import Meeting, OpsDecisionKind
from diversion.partners.selectors import (
    agenda_for,
    get_case_summary_for_user,
    get_meeting_for_user,
    get_readmission_for_user,
    get_referral_for_decision,
    meetings_visible_to,
    readmissions_for_da,
)
from diversion.partners.services import (
    meeting_create,
    ops_decision_record,
    readmission_da_decide,
)
from diversion.policy.partners import notes_visible_to


def _errors_to_form(form: forms.Form, exc: ValidationError) -> None:
    for field, errs in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errs)


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=gettext_lazy("Date"),
                              widget=forms.DateInput(attrs={"type": "date"}))
    attendees = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False,
                                               label=gettext_lazy("Attendees"),
                                               widget=forms.CheckboxSelectMultiple)
    guests = forms.CharField(required=False, max_length=300,
                             label=gettext_lazy("Other attendees (roles or agencies)"))

    def __init__(self, *args, site_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = User.objects.filter(
            site_id=site_id, is_active=True).exclude(role__in=["", Role.EVALUATOR]).order_by(
            "last_name", "first_name")


@login_required
def meeting_list(request):
    meetings = meetings_visible_to(user=request.user)[:100]
    can_decide = policy.can(request.user, "ops.decide")
    form = MeetingForm(request.POST or None, site_id=request.user.site_id)
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied
        if form.is_valid():
            try:
                meeting = meeting_create(site=request.user.site, actor=request.user,
                                         held_on=form.cleaned_data["held_on"],
                                         attendees=list(form.cleaned_data["attendees"]),
                                         guests=form.cleaned_data["guests"])
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                return redirect("partners:meeting", pk=meeting.pk)
    return render(request, "partners/meetings.html",
                  {"meetings": meetings, "form": form, "can_decide": can_decide},
                  status=400 if form.errors else 200)


@login_required
def meeting_detail(request, pk: int):
    meeting = get_meeting_for_user(request.user, pk)
    agenda = agenda_for(meeting=meeting,
                        social_contact=policy.can(request.user, "ops.social_contact"))
    # The team's free-text notes leave the team only under consent, logged here.
    shown = notes_visible_to(request.user, [
        (d.pk, d.referral.person_id if d.referral_id else d.case.person_id)
        for d in agenda.decisions if d.note], what=f"meeting #{meeting.pk}")
    return render(request, "partners/meeting.html", {
        "meeting": meeting, "agenda": agenda, "attendees": meeting.attendees.all(),
        "can_decide": policy.can(request.user, "ops.decide"), "notes_shown": shown,
        "notice": NOTICE_2_32,
    })


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(choices=OpsDecisionKind.choices, widget=forms.RadioSelect,
                             label=gettext_lazy("Decision"))
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(
        attrs={"rows": 3}), label=gettext_lazy("Note"))
    meeting = forms.ModelChoiceField(queryset=Meeting.objects.none(), required=False,
                                     label=gettext_lazy("At meeting"))

    def __init__(self, *args, site_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = Meeting.objects.filter(site_id=site_id)


def _decide(request, *, referral=None, case_summary=None):
    policy.require(request.user, "ops.decide")
    initial = {}
    if request.GET.get("meeting", "").isdigit():
        initial["meeting"] = int(request.GET["meeting"])
    form = DecisionForm(request.POST or None, site_id=request.user.site_id, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        case = (Case.objects.get(pk=case_summary.pk, site_id=request.user.site_id)
                if case_summary else None)
        try:
            decision = ops_decision_record(kind=d["kind"], note=d["note"], actor=request.user,
                                           referral=referral, case=case, meeting=d["meeting"])
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Decision recorded."))
            if decision.meeting_id:
                return redirect("partners:meeting", pk=decision.meeting_id)
            return redirect("partners:meetings")
    history = (referral.ops_decisions if referral else
               Case.objects.get(pk=case_summary.pk).ops_decisions).select_related(
        "decided_by", "screening_decision")
    screening = list(referral.decisions.order_by("id")) if referral else []
    return render(request, "partners/decide.html", {
        "form": form, "referral": referral, "case": case_summary, "history": history,
        "screening": screening,
    }, status=400 if form.errors else 200)


@login_required
def decide_referral(request, pk: int):
    referral = get_referral_for_decision(request.user, pk)
    return _decide(request, referral=referral)


@login_required
def decide_case(request, pk: int):
    summary = get_case_summary_for_user(request.user, pk)
    return _decide(request, case_summary=summary)


@login_required
def readmission_list(request):
    return render(request, "partners/readmissions.html",
                  {"readmissions": readmissions_for_da(user=request.user)[:200]})


class ReadmissionForm(forms.Form):
    agrees = forms.TypedChoiceField(
        choices=[("yes", gettext_lazy("I agree to readmission")),
                 ("no", gettext_lazy("I refuse readmission"))],
        coerce=lambda v: v == "yes", widget=forms.RadioSelect, label=gettext_lazy("Answer"))
    reason = forms.CharField(required=False, max_length=300,
                             label=gettext_lazy("Reason (required to refuse)"))
    version = forms.IntegerField(widget=forms.HiddenInput)


@login_required
def readmission_detail(request, pk: int):
    readmission = get_readmission_for_user(request.user, pk)
    is_da = policy.can(request.user, "readmission.da_decide")
    form = ReadmissionForm(request.POST or None, initial={"version": readmission.version})
    if request.method == "POST":
        if not is_da:
            raise PermissionDenied
        if form.is_valid():
            try:
                readmission_da_decide(readmission=readmission, actor=request.user,
                                      agrees=form.cleaned_data["agrees"],
                                      reason=form.cleaned_data["reason"],
                                      version=form.cleaned_data["version"])
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Your answer is recorded."))
                return redirect("partners:readmission", pk=readmission.pk)
    summary = None
    if readmission.case_id:
        summary = get_case_summary_for_user(request.user, readmission.case_id)
    person_id = (readmission.referral.person_id if readmission.referral_id
                 else readmission.case.person_id if readmission.case_id else None)
    note_shown = bool(readmission.recommendation.note) and bool(notes_visible_to(
        request.user, [(readmission.pk, person_id)],
        what=f"readmission request #{readmission.pk}"))
    return render(request, "partners/readmission.html", {
        "readmission": readmission, "form": form, "is_da": is_da, "case": summary,
        "note_shown": note_shown, "notice": NOTICE_2_32,
    }, status=400 if form.errors else 200)
