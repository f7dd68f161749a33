from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from diversion import policy
from diversion.notifications.models import Notification
from diversion.notifications.services import notification_mark_read


def get_notification_for_user(user, pk: int) -> Notification:
    """The access helper for notifications: only the recipient sees one."""
    note = Notification.objects.filter(recipient=user, pk=pk).first()
    if note is None:
        raise Http404("No such message.")
    return note


@login_required
@require_GET
def inbox(request):
    policy.require(request.user, "site.staff")
    notes = Notification.objects.filter(recipient=request.user)[:100]
    unread = Notification.objects.filter(recipient=request.user, read_at__isnull=True).count()
    return render(request, "notifications/inbox.html", {"notes": notes, "unread": unread})


@login_required
@require_POST
def notification_open(request, pk: int):
    note = get_notification_for_user(request.user, pk)
    notification_mark_read(notification=note)
    # Links are paths on this site; anything else is not followed.
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts=None) \
            and note.url.startswith("/"):
        return redirect(note.url)
    return redirect("notifications:inbox")
