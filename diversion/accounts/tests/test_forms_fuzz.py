"""hypothesis over every HTML form: each form URL is posted random values in its fields
(text, numbers, dates, blanks, control characters) as a role allowed to use it. No answer
may be a 5xx; an answer that refuses the input (4xx, or the form shown again with its
errors) must have changed nothing."""

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.accounts.tests.test_mass_assignment import (
    body_for,
    endpoints,
    rows,
)
from diversion.accounts.tests.test_mass_assignment import world as world  # noqa: PLC0414

EXAMPLES = 8


def changes(snapshot: dict) -> dict:
    """The rows a form may change: the disclosure log is written by showing a page again
    (the prosecutor's holds list logs each hold it shows), not by the form."""
    return {k: v for k, v in snapshot.items() if k != "consent.Disclosure"}
VALUE = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-2**63, max_value=2**64).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["", " ", "0", "-1", "yes", "on", "9" * 30, "2027-02-30T25:61",
                     "\x00", "../../etc/passwd", "None", "null"]),
)


def test_random_form_input_never_fails_and_a_refusal_changes_nothing(world, personas, site,
                                                                   capsys):
    records, _injected = world
    tally = {"requests": 0, "5xx": [], "changed": [], "refused": 0}
    forms = [e for e in endpoints(records) if not e[0].startswith("api:")]
    for name, url, role in forms:
        fields = sorted(body_for(name, records, site, personas))
        client = Client()
        client.force_login(personas[role])

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(values=st.fixed_dictionaries(dict.fromkeys(fields, VALUE)))
        def probe(values):
            clean = dict(values)
            before = changes(rows())
            response = client.post(url, clean)  # noqa: B023 (run before the loop moves on)
            tally["requests"] += 1
            if response.status_code >= 500:
                tally["5xx"].append(f"{url} {clean!r}: {response.status_code}")  # noqa: B023
                return
            refused = response.status_code >= 400 or \
                b'aria-invalid="true"' in response.content
            if refused:
                tally["refused"] += 1
                if changes(rows()) != before:
                    tally["changed"].append(f"{url} {clean!r}: refused, changed")  # noqa: B023

        probe()
    with capsys.disabled():
        print(f"\nforms fuzz: {len(forms)} forms, {tally['requests']} requests, "
              f"{tally['refused']} refused, {len(tally['5xx'])} answered 5xx, "
              f"{len(tally['changed'])} refusals that changed something")
    assert not tally["5xx"], "\n".join(tally["5xx"][:20])
    assert not tally["changed"], "\n".join(tally["changed"][:20])
    assert len(forms) >= 20
