from datetime import datetime, time

from django import forms
from django.utils.translation import gettext_lazy as _

from diversion.accounts.models import SITE_ROLE_CHOICES
from diversion.consent.models import Category, ConsentKind
from diversion.sites.models import Agency


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ConsentKind.choices,
                             initial=ConsentKind.GENERAL)
    categories = forms.MultipleChoiceField(label=_("Information that may be disclosed"),
                                           choices=Category.choices,
                                           widget=forms.CheckboxSelectMultiple)
    recipient_agency = forms.ModelChoiceField(
        label=_("Receiving organisation"), queryset=Agency.objects.none(), required=False,
        empty_label=_("The program's own partners (e.g. the Operations Team)"))
    recipient_role = forms.ChoiceField(label=_("Receiving role"), choices=SITE_ROLE_CHOICES)
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    expiry_event = forms.CharField(label=_("Or expires on this event"), max_length=200,
                                   required=False)
    signed_name = forms.CharField(label=_("Participant's typed name (signature)"),
                                  max_length=200)
    attested = forms.BooleanField(
        label=_("I watched the participant read (or hear) this consent and type their name."))

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        self.fields["recipient_agency"].queryset = Agency.objects.filter(site=site)

    def expires_at(self):
        day = self.cleaned_data.get("expires_on")
        if not day:
            return None
        # The end of that day in the site's time zone.
        return datetime.combine(day, time(23, 59, 59)).replace(tzinfo=self.site.tz)


class AccountingForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
