"""Attack 13, finding F4: a NUL character in an API text field was a 500.

`POST /api/v1/cases/7/contacts {"kind": "phone", "note": "\\u0000"}` (or in `place`, or
`idempotency_key` "a\\u0000b") and `POST /api/v1/cases/7/assessments` with an answer
"\\u0000" answered 500 (psycopg DataError), and PostgreSQL wrote the failing statement, with
the other answers, to its log (F8). Now: 400 naming the field, nothing stored.
"""

import pytest

from diversion.api.testing import ApiClient
from diversion.cases.models import Assessment, Contact


@pytest.mark.parametrize("body, field", [
    ({"kind": "phone", "note": "\u0000"}, "note"),
    ({"kind": "phone", "place": "at\u0000home"}, "place"),
    ({"kind": "phone", "idempotency_key": "a\u0000b"}, "idempotency_key"),
])
def test_a_nul_in_a_contact_is_refused_naming_the_field(make_case, case_manager, body, field):
    case = make_case()
    before = Contact.objects.count()
    response = ApiClient(case_manager).post(f"/api/v1/cases/{case.pk}/contacts", body)
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == field
    assert Contact.objects.count() == before


def test_a_nul_in_an_assessment_answer_is_refused(make_case, case_manager):
    case = make_case()
    before = Assessment.objects.count()
    response = ApiClient(case_manager).post(f"/api/v1/cases/{case.pk}/assessments", {
        "kind": "psychosocial", "answers": {"housing": "\u0000"}})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "answers.housing"
    assert Assessment.objects.count() == before
