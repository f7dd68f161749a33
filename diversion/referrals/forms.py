"""The officer's referral form: every field validated here, then turned into the screening
contract's input (``ReferralForm.screening_input``). "Don't know" is always ``None``."""

import re
import uuid
from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diversion.people.rules import date_of_birth_problem
from diversion.policy.people import (
    TooManyLookups,
    officer_person_matches,
    person_id_from_handle,
)
from diversion.referrals.models import Pathway
from diversion.referrals.services import PersonInput, rule_set_for

YES, NO, UNKNOWN = "yes", "no", "unknown"
TRI_STATE = [(YES, _("Yes")), (NO, _("No")), (UNKNOWN, _("Don't know"))]
NEW_PERSON = "new"
SUBSTANCE_ROWS = 3
# Names the engine has thresholds for, offered as suggestions; any other name may be typed.
COMMON_SUBSTANCES = ["heroin", "cocaine", "methamphetamine", "fentanyl"]
# Area ids a rule set file may not name nicely; the rule set's own names win.
AREA_LABELS = {"downtown": "Downtown", "old_town": "Old Town/Chinatown",
               "lloyd": "Lloyd District"}
# A phone's clock may run a little ahead of the server's.
FUTURE_SLACK = timedelta(minutes=10)


def area_label(area_id: str, names: dict | None = None) -> str:
    return (names or {}).get(area_id) or AREA_LABELS.get(area_id) \
        or area_id.replace("_", " ").title()


def site_pathways(*, site, at: datetime) -> tuple[str, ...]:
    """The pathways the site's rule set in force at AT screens (LEAD's two by default)."""

    try:
        return rule_set_for(site=site, occurred_at=at).pathways
    except ValidationError:
        return ("arrest", "social_contact")


def area_choices(*, site, at: datetime) -> list[tuple[str, str]]:
    """The areas of the rule set in force at AT for SITE, with readable labels."""

    try:
        rule_set = rule_set_for(site=site, occurred_at=at)
    except ValidationError:
        return []
    names = {}
    for area in getattr(getattr(rule_set, "areas", None), "areas", ()):
        if getattr(area, "name", None) and area.name != area.id:
            names[area.id] = area.name
    return [(a, area_label(a, names)) for a in rule_set.area_ids]


class TriStateField(forms.ChoiceField):
    """Yes / no / don't know, as True / False / None."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", UNKNOWN)
        super().__init__(choices=TRI_STATE, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return {YES: True, NO: False}.get(value)


class EnumField(forms.ChoiceField):
    """One of the contract's values, or "don't know" (None)."""

    def __init__(self, *, choices, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", UNKNOWN)
        super().__init__(choices=[*choices, (UNKNOWN, _("Don't know"))], **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return None if value in ("", UNKNOWN) else value


class SiteDateTimeField(forms.DateTimeField):
    """A datetime-local value, read as a wall-clock time in the site's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                                            "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(**kwargs)
        self.tz = None

    def to_python(self, value):
        if self.tz is None:
            return super().to_python(value)
        with timezone.override(self.tz):
            return super().to_python(value)


class ReferralForm(forms.Form):
    """One referral as the officer types it on the street."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    pathway = forms.ChoiceField(
        label=_("Pathway"), choices=Pathway.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Choose arrest or social contact.")},
    )
    occurred_at = SiteDateTimeField(
        label=_("Date and time of the arrest or contact"),
        error_messages={"required": _("Give the date and time."),
                        "invalid": _("Enter a date and time, e.g. 2027-01-12 21:15.")},
    )
    # Filled by referral.js from the phone's location; range-checked here.
    lat = forms.FloatField(required=False, min_value=-90, max_value=90,
                           widget=forms.HiddenInput, label=_("Latitude"))
    lon = forms.FloatField(required=False, min_value=-180, max_value=180,
                           widget=forms.HiddenInput, label=_("Longitude"))
    area = forms.ChoiceField(label=_("Or pick the area"), required=False)

    given_name = forms.CharField(label=_("Given name"), max_length=100,
                                 error_messages={"required": _("Give the person's given name.")})
    family_name = forms.CharField(label=_("Family name"), max_length=100,
                                  error_messages={"required": _("Give the person's family name.")})
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
    )
    person_match = forms.CharField(required=False, label=_("Is this someone already known?"))

    offense = forms.ChoiceField(
        label=_("Offense"), required=False,
        choices=[("", _("Don't know")), ("PCS", _("PCS: possession of a controlled substance")),
                 ("other", _("Another offense"))],
    )
    offense_code = forms.CharField(label=_("Other offense code"), required=False, max_length=40)
    substantial_quantity = TriStateField(label=_("Substantial quantity (SQ)?"))
    commercial_drug_offense = TriStateField(label=_("Commercial drug offense (CDO)?"))
    no_substances = forms.BooleanField(label=_("No drugs were found"), required=False)

    high_risk_of_drug_arrest = TriStateField(label=_("High risk of a future drug arrest?"))
    active_extraditable_warrant = TriStateField(label=_("Active extraditable warrant?"))
    no_contact_order_with_participant = TriStateField(
        label=_("No-contact, restraining or other court order with a current participant?"))
    lead_status = EnumField(
        label=_("In the program before?"), widget=forms.RadioSelect,
        choices=[("never", _("Never")), ("current", _("Current participant")),
                 ("former", _("Former participant"))],
    )
    ops_team_recommends_readmission = TriStateField(
        label=_("Former participant: Operations Team recommends readmission?"))
    da_agrees_to_readmission = TriStateField(
        label=_("Former participant: DA agrees to readmission?"))
    specialty_court = EnumField(
        label=_("Specialty court"), widget=forms.RadioSelect,
        choices=[("none", _("None")),
                 ("eligible_pending_case", _("Pending case eligible for a specialty court")),
                 ("engaged", _("Engaged in a specialty court"))],
    )
    supervision = EnumField(
        label=_("Supervision"),
        choices=[("none", _("None")), ("post_prison", _("Post-prison supervision")),
                 ("parole", _("Parole")), ("formal_probation", _("Formal probation")),
                 ("bench_probation", _("Bench probation"))],
    )
    supervision_for_person_offense = TriStateField(label=_("Supervision for a person offense?"))
    ops_team_denial = TriStateField(label=_("Operations Team has denied this person?"))
    other_offenses = TriStateField(
        label=_("Committing any other crime at the stop (trespass, a warrant, failure to "
                "appear…)?"))
    last_failed_deflection_on = forms.DateField(
        label=_("Date of a deflection that failed in the last 30 days, if you know of one "
                "(the program's records are checked too)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
    )
    exceptional_circumstances = forms.CharField(
        label=_("Exceptional circumstances (leave empty if none)"), required=False,
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, site, now=None, user=None, ip=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        # The officer: known people are looked up for them (and counted against them).
        self.user, self.ip = user, ip
        self.rate_limited = False
        self.looked_up = False  # the look-up of known people ran (and was counted)
        self.now = now or timezone.now()
        self.fields["occurred_at"].tz = site.tz
        self.pathways = site_pathways(site=site, at=self.now)
        self.fields["pathway"].choices = [c for c in Pathway.choices if c[0] in self.pathways]
        if len(self.pathways) == 1:
            self.initial.setdefault("pathway", self.pathways[0])
        self.fields["area"].choices = [("", _("Not picked"))] + area_choices(site=site,
                                                                             at=self.now)
        for i in range(1, SUBSTANCE_ROWS + 1):
            self.fields[f"substance_{i}"] = forms.CharField(
                label=_("Substance %(n)s") % {"n": i}, required=False, max_length=60,
                widget=forms.TextInput(attrs={"list": "substance-names",
                                              "autocomplete": "off"}))
            self.fields[f"grams_{i}"] = forms.DecimalField(
                label=_("Grams"), required=False, min_value=0, max_digits=9,
                decimal_places=3, localize=False,
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0",
                                                "inputmode": "decimal"}),
                error_messages={"invalid": _("Enter the weight in grams as a number."),
                                "min_value": _("Grams cannot be negative.")},
            )
        self.matches = []
        if not self.is_bound:
            # A new key per rendering: a double tap sends it twice and makes one referral.
            self.initial.setdefault("idempotency_key", uuid.uuid4())
            self.initial.setdefault("occurred_at", self.now.astimezone(site.tz).replace(
                second=0, microsecond=0, tzinfo=None))

    # -- field rules ----------------------------------------------------------------------

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > self.now + FUTURE_SLACK:
            raise ValidationError(_("This time is in the future: check the date and time."))
        return value

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value is None:
            return None
        problem = date_of_birth_problem(value, site=self.site, now=self.now)
        if problem:
            raise ValidationError(problem)
        return value

    def clean_offense_code(self):
        code = self.cleaned_data["offense_code"].strip()
        if code and not re.fullmatch(r"[\w .()/-]+", code):
            raise ValidationError(_("Use letters, digits and . ( ) / - only."))
        return code

    def clean(self):
        data = super().clean()
        if data.get("lat") is None and data.get("lon") is not None \
                and "lat" not in self.errors:
            self.add_error("lat", _("The location is incomplete: tap Use my location again."))
        if data.get("lon") is None and data.get("lat") is not None \
                and "lon" not in self.errors:
            self.add_error("lon", _("The location is incomplete: tap Use my location again."))
        filled = []
        for i in range(1, SUBSTANCE_ROWS + 1):
            name = (data.get(f"substance_{i}") or "").strip()
            grams = data.get(f"grams_{i}")
            if grams is not None and not name and f"grams_{i}" not in self.errors:
                self.add_error(f"substance_{i}", _("Name the substance these grams are of."))
            if name or grams is not None:
                filled.append(i)
        if data.get("no_substances") and filled:
            self.add_error("no_substances", _("Drugs are listed below: untick this or clear "
                                              "the list."))
        self._substance_rows = filled
        self._clean_person(data)
        return data

    def _clean_person(self, data):
        given, family = data.get("given_name"), data.get("family_name")
        if not given or not family or "date_of_birth" in self.errors:
            return
        data["person_id"] = None
        if self.user is None:
            return
        # Found, not enumerated (diversion.policy.people): the full name and date of birth,
        # answered with handles, audited and rate-limited.
        try:
            self.matches = officer_person_matches(user=self.user, given_name=given,
                                                  family_name=family,
                                                  date_of_birth=data.get("date_of_birth"),
                                                  ip=self.ip)
            self.looked_up = True
        except TooManyLookups:
            self.rate_limited = True
            self.add_error("person_match", _("Too many look-ups of known people: wait a few "
                                             "minutes and try again."))
            return
        choice = data.get("person_match") or ""
        if choice == NEW_PERSON or (not choice and not self.matches):
            return
        if not choice:
            self.add_error("person_match", _("Someone with this name is already known: say "
                                             "whether it is the same person."))
            return
        chosen = person_id_from_handle(user=self.user, handle=choice)
        if chosen is None or chosen not in {m.person_id for m in self.matches}:
            self.add_error("person_match", _("That person no longer matches the name and date "
                                             "of birth typed: choose again."))
            return
        data["person_id"] = chosen

    # -- output -----------------------------------------------------------------------------

    def screening_input(self) -> dict:
        """The screening contract's input for the cleaned form."""
        d = self.cleaned_data
        location = None
        if d.get("lat") is not None and d.get("lon") is not None:
            location = {"lat": d["lat"], "lon": d["lon"]}
            if d.get("area"):
                location["area"] = d["area"]
        elif d.get("area"):
            location = {"area": d["area"]}
        offense = {"PCS": "PCS", "other": d.get("offense_code") or "other"}.get(d.get("offense"))
        if d.get("no_substances"):
            substances = []
        elif self._substance_rows:
            substances = []
            for i in self._substance_rows:
                grams = d.get(f"grams_{i}")
                substances.append({"substance": (d.get(f"substance_{i}") or "").strip() or None,
                                   "grams": float(grams) if grams is not None else None})
        else:
            substances = None
        if d["pathway"] == "deflection":
            failed_on = d.get("last_failed_deflection_on")
            return {
                "pathway": "deflection",
                "occurred_at": d["occurred_at"].astimezone(self.site.tz).isoformat(),
                "location": location,
                "substances": substances,
                "other_offenses": d.get("other_offenses"),
                "last_failed_deflection_on": failed_on.isoformat() if failed_on else None,
            }
        data = {
            "pathway": d["pathway"],
            "occurred_at": d["occurred_at"].astimezone(self.site.tz).isoformat(),
            "location": location,
            "charge": {"offense": offense,
                       "substantial_quantity": d.get("substantial_quantity"),
                       "commercial_drug_offense": d.get("commercial_drug_offense")},
            "substances": substances,
            "exceptional_circumstances": (d.get("exceptional_circumstances") or "").strip()
            or None,
        }
        for key in ("high_risk_of_drug_arrest", "active_extraditable_warrant",
                    "no_contact_order_with_participant", "lead_status",
                    "ops_team_recommends_readmission", "da_agrees_to_readmission",
                    "specialty_court", "supervision", "supervision_for_person_offense",
                    "ops_team_denial"):
            data[key] = d.get(key)
        return data

    def person_input(self) -> PersonInput:
        d = self.cleaned_data
        return PersonInput(given_name=d["given_name"].strip(), family_name=d["family_name"]
                           .strip(), date_of_birth=d.get("date_of_birth"))

    @property
    def person_id(self) -> int | None:
        return self.cleaned_data.get("person_id")

    def describe_errors(self) -> None:
        """Tie each field's error message to its input for screen readers."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_error"
        if "person_match" in self.errors:
            # The match is chosen from what the name fields say: the error is theirs too.
            for name in ("given_name", "family_name", "date_of_birth"):
                attrs = self.fields[name].widget.attrs
                attrs["aria-describedby"] = " ".join(
                    filter(None, [attrs.get("aria-describedby"), "id_person_match_error"]))

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the errors of ``referral_submit`` (engine field paths) on the form's fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for path, errors in error.message_dict.items():
            field = self.field_for_path(path)
            for message in errors:
                self.add_error(field, message)

    def field_for_path(self, path: str) -> str | None:
        direct = {
            "location": "area", "location.lat": "lat", "location.lon": "lon",
            "location.area": "area", "charge": "offense", "charge.offense": "offense",
            "charge.substantial_quantity": "substantial_quantity",
            "charge.commercial_drug_offense": "commercial_drug_offense",
            "substances": "no_substances", "person": "given_name", "person.id": "person_match",
            "rule_set": "occurred_at", "site": None, "idempotency_key": "idempotency_key",
        }
        if path in direct:
            return direct[path]
        m = re.fullmatch(r"substances\[(\d+)\](?:\.(substance|grams))?", path)
        if m:
            index = int(m.group(1))
            rows = getattr(self, "_substance_rows", [])
            if index < len(rows):
                return f"{'substance' if m.group(2) != 'grams' else 'grams'}_{rows[index]}"
            return "no_substances"
        if path in self.fields:
            return path
        return None

