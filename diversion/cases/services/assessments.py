"""Assessments (psychosocial and the others), versioned forms, and what completing one causes."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from diversion.audit.services import audit_record
from diversion.cases.forms.definitions import form_current, form_get
from diversion.cases.models import (
    Assessment,
    AssessmentKind,
    Case,
    CaseStatus,
    HoldStatus,
    ProsecutionHold,
)
from diversion.cases.services.common import (
    _aware,
    _check_version,
    _lock_case,
    _past,
    _prosecutors,
    _require_writer,
    _set_status,
)
from diversion.cases.services.hold import _hold_resolve
from diversion.notifications.services import notify


@transaction.atomic
def assessment_save(*, case: Case, actor, kind: str, answers: dict | None,
                    completed_at=None, assessment_id: int | None = None,
                    version: int | None = None) -> Assessment:
    """Save a draft of the urgent-needs or psychosocial form, or complete it.

    Answers are merged into the draft domain by domain (a domain given as null is cleared).
    With COMPLETED_AT the assessment is completed; a completed psychosocial assessment moves
    the case to `assessed` and, if the prosecution hold is still held and the completion is
    before its deadline, ends the hold `declined`. A late assessment is recorded all the same;
    a hold already `referred` changes only by a decision of the prosecutor.
    """
    if kind not in AssessmentKind.values:
        raise ValidationError({"kind": "Give urgent_needs or psychosocial."})
    if completed_at is not None:
        completed_at = _aware(completed_at, "completed_at")
    case = _lock_case(case)
    _require_writer(case, actor)
    if assessment_id is not None:
        assessment = (Assessment.objects.select_for_update()
                      .filter(case=case, kind=kind, pk=assessment_id).first())
        if assessment is None:
            raise ValidationError({"assessment": "No such assessment on this case."})
    else:
        assessment = (Assessment.objects.select_for_update()
                      .filter(case=case, kind=kind, completed_at__isnull=True).first())
    if assessment is not None and assessment.completed_at is not None:
        raise ValidationError({"completed_at": (
            "This assessment was already completed; nothing was changed. Start a new one to "
            "reassess.")})
    if assessment is None:
        if not case.is_open:
            raise ValidationError({"case": "This case has exited."})
        form = form_current(kind, site_slug=case.site.slug)
        assessment = Assessment(site_id=case.site_id, case=case, kind=kind, form_id=form.id,
                                form_version=form.version, answers={}, created_by=actor)
    else:
        _check_version(assessment, version)
        form = form_get(assessment.form_id, assessment.form_version)
        assessment.version += 1
    cleaned = form.clean_answers(answers)
    merged = dict(assessment.answers or {})
    for did in (answers or {}):
        if did in cleaned:
            merged[did] = cleaned[did]
        else:
            merged.pop(did, None)
    assessment.answers = merged
    if completed_at is not None:
        assessment.completed_at = _past(completed_at, "completed_at",
                                        not_before=case.referral.occurred_at,
                                        not_before_label="the referral")
        assessment.completed_by = actor
    assessment.full_clean(exclude=["created_by", "completed_by"])
    assessment.save()
    audit_record(actor=actor, action="assessment.complete" if completed_at else "assessment.save",
                 obj=assessment, site=case.site_id,
                 data={"case": case.pk, "kind": kind, "form": assessment.form_id,
                       "form_version": assessment.form_version})
    if completed_at is not None and kind == AssessmentKind.PSYCHOSOCIAL:
        _psychosocial_completed(case=case, assessment=assessment, actor=actor)
    return assessment


def _psychosocial_completed(*, case: Case, assessment: Assessment, actor) -> None:
    done = assessment.completed_at
    if case.assessment_completed_at is None or done < case.assessment_completed_at:
        case.assessment_completed_at = done
        case.save(update_fields=["assessment_completed_at", "updated_at"])
    if case.status in (CaseStatus.REFERRED, CaseStatus.ENGAGED):
        _set_status(case, CaseStatus.ASSESSED, actor=actor, data={"assessment": assessment.pk})
    hold = ProsecutionHold.objects.select_for_update().filter(case=case).first()
    if hold is None:
        return
    if hold.status == HoldStatus.HELD and done < hold.due_at:
        _hold_resolve(hold=hold, case=case, to=HoldStatus.DECLINED, by="assessment",
                      actor=actor)
    elif hold.status == HoldStatus.REFERRED:
        for da in _prosecutors(case.site_id):
            notify(recipient=da, kind="hold.late_assessment",
                   subject=_("Hold #%(hold)s: the assessment was completed after the "
                             "deadline"),
                   body=_("The case was referred for prosecution when the deadline passed. "
                          "The psychosocial assessment has since been completed. The hold "
                          "changes only if you record a decision."), params={"hold": hold.pk},
                   url=reverse("cases:holds"), dedupe_key=f"hold-late-assessment:{hold.pk}")
