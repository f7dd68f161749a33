from django.http import Http404

from diversion.accounts.models import Role
from diversion.cases.models import Case


def cases_visible_to(*, user):
    qs = Case.objects.filter(site_id=user.site_id)
    if user.role in (Role.SUPERVISOR, Role.ADMINISTRATOR, Role.OPS_TEAM):
        return qs
    if user.role == Role.CASE_MANAGER:
        return qs.filter(case_manager=user)
    return qs.none()


def get_case_for_user(user, pk: int) -> Case:
    """The access helper for cases: 404 unless USER may see it."""
    case = cases_visible_to(user=user).select_related("person", "case_manager").filter(
        pk=pk).first()
    if case is None:
        raise Http404("No such case.")
    return case
