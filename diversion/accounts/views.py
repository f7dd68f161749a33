from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from diversion.accounts.models import Role

# Where each role starts its day.
_HOME = {
    Role.OFFICER: "referrals:new",
    Role.CASE_MANAGER: "cases:mine",
    Role.SUPERVISOR: "cases:mine",
}


@login_required
def home(request):
    target = _HOME.get(request.user.role)
    if target:
        return redirect(target)
    return render(request, "accounts/home.html")
