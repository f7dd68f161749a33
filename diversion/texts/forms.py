from django import forms
from django.utils.translation import gettext_lazy as _

from diversion.cases.forms import LocalDateTimeField, SiteForm
from diversion.texts.models import AppointmentKind, Language
from diversion.texts.services import ONE_OFF_MAX


class ConsentForm(SiteForm):
    phone = forms.CharField(label=_("Mobile number"), max_length=30,
                            help_text=_("The participant's own phone, e.g. 503-555-0100."))
    language = forms.ChoiceField(label=_("Language of the texts"), choices=Language.choices)
    reminders = forms.BooleanField(label=_("Reminders of the deadline and of appointments"),
                                   required=False, initial=True)
    messages = forms.BooleanField(label=_("Texts from the case manager"), required=False,
                                  initial=True)


class SendForm(SiteForm):
    body = forms.CharField(
        label=_("Text"), max_length=ONE_OFF_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": ONE_OFF_MAX}),
        help_text=_("Anyone holding the phone may read it: never name the program, a drug, a "
                    "charge, a court or a diagnosis."))


class AppointmentForm(SiteForm):
    at = LocalDateTimeField(label=_("When"))
    kind = forms.ChoiceField(label=_("With"), choices=AppointmentKind.choices)
    service_referral = forms.ChoiceField(label=_("Service referral"), required=False)
    note = forms.CharField(label=_("Note for staff (never texted)"), max_length=200,
                           required=False)

    def __init__(self, *args, referrals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.referrals = {str(r.pk): r for r in referrals}
        self.fields["service_referral"].choices = [("", "—")] + [
            (str(r.pk), f"#{r.pk} {r.service}") for r in referrals]

    def referral(self):
        return self.referrals.get(self.cleaned_data.get("service_referral") or "")


class PlaceForm(SiteForm):
    case = forms.IntegerField(label=_("Case number"), min_value=1)
