"""Form widgets rendered through Jinja2 give the same HTML as through Django templates, errors
and accessibility attributes included; the admin's widgets still render."""

import re

import pytest
from django.forms.renderers import DjangoTemplates

from diversion.cases.forms import ContactForm, ExitForm
from diversion.lib.renderers import JinjaFirstRenderer
from diversion.referrals.forms import ReferralForm


def _html(form_class, data, renderer, **kwargs):
    form = form_class(data, renderer=renderer, **kwargs)
    form.is_valid()
    html = "".join(str(bound) + str(bound.errors) for bound in form)
    # The two template languages differ only in the white space around tags and in how they
    # write an escaped apostrophe (&#39; or &#x27;, the same character).
    html = html.replace("&#39;", "&#x27;")
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", html))


@pytest.mark.parametrize("form_class,data", [
    (ContactForm, {"kind": "phone", "duration_minutes": "-4", "note": "<b>x</b>"}),
    (ExitForm, {}),
    (ReferralForm, {"pathway": "arrest", "occurred_at": "not a date"}),
])
def test_widgets_render_the_same_through_jinja2(form_class, data, site):
    kwargs = {"site": site} if form_class is ReferralForm else {}
    fast = _html(form_class, data, JinjaFirstRenderer(), **kwargs)
    plain = _html(form_class, data, DjangoTemplates(), **kwargs)
    assert fast == plain
    assert 'aria-invalid="true"' in fast  # the bad field is marked for screen readers
    assert "<b>x</b>" not in fast


def test_the_admin_s_widgets_fall_back_to_django_templates(client, personas):
    client.force_login(personas["administrator"])
    assert client.get("/admin/sites/agency/add/").status_code == 200
