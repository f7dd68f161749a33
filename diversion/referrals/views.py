from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from diversion.referrals.selectors import get_referral_for_user, referrals_visible_to


@login_required
def referral_list(request):
    referrals = referrals_visible_to(user=request.user).select_related("person")[:100]
    return render(request, "referrals/list.html", {"referrals": referrals})


@login_required
def referral_new(request):
    return render(request, "referrals/new.html", {})


@login_required
def referral_detail(request, pk: int):
    referral = get_referral_for_user(request.user, pk)
    return render(request, "referrals/detail.html", {"referral": referral})
