from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from diversion import policy
from diversion.cases.selectors import get_case_for_user
from diversion.resources.models import Location, ServiceReferralStatus
from diversion.resources.selectors import (
    can_use_directory,
    get_service_for_user,
    get_service_referral_for_user,
    needs_for_site,
    service_referrals_for_case,
    services_search,
)
from diversion.resources.services import (
    TRANSITIONS,
    service_referral_create,
    service_referral_transition,
)

# Who may send a participant to a service: the people who carry cases.



class SearchForm(forms.Form):
    need = forms.CharField(required=False, label=gettext_lazy("Need"))
    q = forms.CharField(required=False, max_length=200, label=gettext_lazy("Words"))
    lat = forms.FloatField(required=False, min_value=-90, max_value=90,
                           label=gettext_lazy("Latitude"))
    lon = forms.FloatField(required=False, min_value=-180, max_value=180,
                           label=gettext_lazy("Longitude"))
    case = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lon" if data.get("lat") is not None else "lat",
                           _("Give both latitude and longitude, or neither."))
        return data


@login_required
def directory_search(request):
    if not can_use_directory(request.user):
        raise PermissionDenied
    form = SearchForm(request.GET or None)
    hits, case = [], None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d.get("case"):
            case = get_case_for_user(request.user, d["case"])
        hits = services_search(site=request.user.site, need=d.get("need") or "",
                               text=d.get("q") or "", lat=d.get("lat"), lon=d.get("lon"))
    elif not form.is_bound:
        hits = services_search(site=request.user.site)
    can_refer = case is not None and policy.can(request.user, "resource.refer")
    return render(request, "resources/search.html", {
        "form": form, "hits": hits, "needs": needs_for_site(site=request.user.site),
        "case": case, "can_refer": can_refer,
    })


class ReferForm(forms.Form):
    service = forms.IntegerField(widget=forms.HiddenInput)
    location = forms.IntegerField(required=False, label=gettext_lazy("Where"))


def _case_for_referring(request, case_id: int):
    case = get_case_for_user(request.user, case_id)
    if not policy.can(request.user, "resource.refer"):
        raise PermissionDenied
    return case


@login_required
def refer(request, case_id: int):
    """Refer a participant to a service, and follow the case's service referrals."""
    case = _case_for_referring(request, case_id)
    service = None
    service_id = request.POST.get("service") or request.GET.get("service")
    if service_id and str(service_id).isdigit():
        service = get_service_for_user(request.user, int(service_id))
    if request.method == "POST":
        form = ReferForm(request.POST)
        if form.is_valid() and service is not None:
            location = None
            if form.cleaned_data.get("location"):
                location = Location.objects.filter(
                    site_id=case.site_id, pk=form.cleaned_data["location"]).first()
                if location is None:
                    form.add_error("location", _("No such location."))
            if not form.errors:
                try:
                    service_referral_create(case=case, service=service, location=location,
                                            actor=request.user)
                except ValidationError as exc:
                    for field, errs in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errs)
                else:
                    messages.success(request, _("Referred. You will be reminded to follow up."))
                    return redirect("resources:refer", case_id=case.pk)
        elif service is None:
            form.add_error("service", _("Choose a service from the directory."))
    else:
        form = ReferForm(initial={"service": service.pk if service else None})
    places = []
    if service is not None:
        places = [sal.location for sal in service.service_at_locations.select_related(
            "location") if sal.location]
    referrals = list(service_referrals_for_case(case=case))
    for r in referrals:
        r.next_statuses = [ServiceReferralStatus(s) for s in
                           sorted(TRANSITIONS[ServiceReferralStatus(r.status)])]
    return render(request, "resources/refer.html", {
        "case": case, "service": service, "places": places, "form": form,
        "referrals": referrals, "status_form_errors": {},
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def referral_update(request, pk: int):
    referral = get_service_referral_for_user(request.user, pk)
    if not policy.can(request.user, "resource.refer"):
        raise PermissionDenied
    version = request.POST.get("version", "")
    try:
        service_referral_transition(
            referral=referral, status=request.POST.get("status", ""), actor=request.user,
            version=int(version) if version.isdigit() else -1,
            reason=request.POST.get("reason", "")[:200])
    except ValidationError as exc:
        for errs in exc.message_dict.values():
            for msg in errs:
                messages.error(request, msg)
    else:
        messages.success(request, _("Service referral updated."))
    return redirect("resources:refer", case_id=referral.case_id)
