from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from diversion.people.duplicates import get_person_link_for_user, person_links_for_review
from diversion.people.merges import person_link_dismiss, person_merge, person_merge_undo
from diversion.people.models import PersonLink


@login_required
def duplicates(request):
    """Pairs of person records that may be one human, for a supervisor to confirm or not."""
    links = person_links_for_review(user=request.user).annotate(
        first_referrals=Count("first__referrals", distinct=True),
        second_referrals=Count("second__referrals", distinct=True))
    flagged = [x for x in links if x.status in (PersonLink.Status.FLAGGED,
                                                PersonLink.Status.UNDONE)]
    decided = [x for x in links if x.status in (PersonLink.Status.MERGED,
                                                PersonLink.Status.DISMISSED)][:50]
    return render(request, "people/duplicates.html", {"flagged": flagged, "decided": decided})


@login_required
@require_POST
def duplicate_decide(request, pk: int):
    link = get_person_link_for_user(request.user, pk)
    action = request.POST.get("action", "")
    version = request.POST.get("version", "")
    version = int(version) if version.isdigit() else -1
    try:
        if action == "merge":
            survivor_id = request.POST.get("survivor", "")
            survivor = {str(link.first_id): link.first,
                        str(link.second_id): link.second}.get(survivor_id)
            if survivor is None:
                raise ValidationError({"survivor": _("Choose the record to keep.")})
            person_merge(link=link, survivor=survivor, actor=request.user, version=version)
            messages.success(request, _("Merged. You can undo it from this page."))
        elif action == "dismiss":
            person_link_dismiss(link=link, actor=request.user, version=version)
            messages.success(request, _("Marked as two different people."))
        elif action == "undo":
            person_merge_undo(link=link, actor=request.user, version=version)
            messages.success(request, _("Merge undone."))
        else:
            raise ValidationError({"action": _("Choose merge, dismiss or undo.")})
    except ValidationError as exc:
        for errs in exc.message_dict.values():
            for msg in errs:
                messages.error(request, msg)
    return redirect("people:duplicates")
