"""The de-identified evaluator extract, prepared by the worker, downloaded by who asked.

`extract_request` records the request and queues `prepare_task`; `diversion worker` builds the
CSV (diversion/reports/selectors.evaluator_extract: no names, months not dates, study ids,
rare combinations blanked), gzip-compresses it into the ExportFile row, and the user downloads
it from the Extract page. Each download is audited (the release); `diversion tick` deletes
extracts older than DIVERSION_EXPORT_KEEP_HOURS.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from diversion.audit.services import audit_record
from diversion.reports.exports import neutralise
from diversion.reports.models import ExportFile
from diversion.reports.selectors import evaluator_extract

log = logging.getLogger(__name__)

# A request not ready after this long (a worker stopped, say) no longer blocks a new one.
PENDING_FOR = timedelta(minutes=30)
CHUNK = 64 * 1024


def is_pending(export: ExportFile, *, now) -> bool:
    return (export.ready_at is None and export.failed_at is None
            and now - export.requested_at < PENDING_FOR)


def extract_request(*, site, user) -> ExportFile:
    """Queue an extract for USER, or return the one of theirs already being prepared.

    A user has at most one extract being prepared (a partial unique constraint), so requests
    that arrive together make one file: the first inserts, the others find it."""
    now = timezone.now()
    # One not ready after PENDING_FOR (a worker stopped, say) is given up, so it no longer
    # blocks a new one; the page shows it as not prepared.
    ExportFile.objects.filter(requested_by=user, ready_at__isnull=True, failed_at__isnull=True,
                              requested_at__lte=now - PENDING_FOR).update(failed_at=now)
    export = _pending_of(user)
    if export is not None:
        return export
    try:
        with transaction.atomic():
            export = ExportFile.objects.create(site=site, requested_by=user)
            audit_record(actor=user, action="extract.request", obj=export, site=site)
    except IntegrityError:
        export = _pending_of(user)
        if export is None:  # it was prepared in the moment between: that is the file
            return ExportFile.objects.filter(requested_by=user).latest("requested_at")
        return export
    prepare_task.enqueue(export_id=export.pk)
    export.refresh_from_db()  # with the immediate backend it is ready already
    return export


def _pending_of(user) -> ExportFile | None:
    return ExportFile.objects.filter(requested_by=user, ready_at__isnull=True,
                                     failed_at__isnull=True).first()


@task()
def prepare_task(*, export_id: int) -> None:
    export = ExportFile.objects.select_related("site").filter(pk=export_id).first()
    if export is None or export.ready_at is not None:
        return
    try:
        prepare(export)
    except Exception as exc:
        # The kind only: a message could quote a record (`diversion report extract` shows all).
        log.error("extract %s of site %s failed: %s", export_id, export.site_id,
                  type(exc).__name__)
        ExportFile.objects.filter(pk=export_id).update(failed_at=timezone.now())
        raise


def prepare(export: ExportFile) -> ExportFile:
    data = evaluator_extract(export.site)
    frame = data["rows"]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(list(frame.columns))
    # Text cells pass through the same formula neutraliser as every other export.
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
    export.content = gzip.compress(text.getvalue().encode(), compresslevel=6)
    export.rows = len(frame)
    export.ready_at = timezone.now()
    export.save(update_fields=["content", "rows", "ready_at"])
    return export


def extract_download(*, export: ExportFile, actor):
    """The CSV of a ready extract as chunks to stream; the release is audited now."""
    audit_record(actor=actor, action="extract.export", obj=export, site=export.site,
                 data={"rows": export.rows})
    stream = gzip.GzipFile(fileobj=io.BytesIO(bytes(export.content)))
    return iter(lambda: stream.read(CHUNK), b"")


def purge_old(*, now) -> int:
    keep = timedelta(hours=settings.DIVERSION_EXPORT_KEEP_HOURS)
    deleted, _ = ExportFile.objects.filter(requested_at__lt=now - keep).delete()
    return deleted
