from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from diversion.cases.selectors import cases_visible_to, get_case_for_user


@login_required
def case_list_mine(request):
    cases = cases_visible_to(user=request.user).select_related("person")[:200]
    return render(request, "cases/list.html", {"cases": cases})


@login_required
def case_detail(request, pk: int):
    case = get_case_for_user(request.user, pk)
    return render(request, "cases/detail.html", {"case": case})
