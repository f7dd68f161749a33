"""The labels of the assessment form files (*.toml), listed so that makemessages puts them in
the catalogue: the files are written in English and shown through gettext
(forms.assessment_fields). A site that adds a form adds its labels here too."""

from django.utils.translation import gettext_noop

LABELS = [
    gettext_noop('Housing'),
    gettext_noop('Where are you staying now?'),
    gettext_noop('What would help with housing?'),
    gettext_noop('Physical health'),
    gettext_noop('Health concerns right now'),
    gettext_noop('Has a doctor or clinic'),
    gettext_noop('Mental health'),
    gettext_noop('What is hard right now'),
    gettext_noop('Sees someone for mental health'),
    gettext_noop('Substance use'),
    gettext_noop('What the participant wants, if anything, about their use'),
    gettext_noop('Has naloxone'),
    gettext_noop('Legal'),
    gettext_noop('Other open cases, warrants, court dates'),
    gettext_noop('Income and benefits'),
    gettext_noop('Income or benefits now'),
    gettext_noop('Wants help applying for benefits'),
    gettext_noop('Employment and education'),
    gettext_noop('Work or school now'),
    gettext_noop('Family and social'),
    gettext_noop('People who support the participant'),
    gettext_noop('Safety'),
    gettext_noop('Feels safe where they stay'),
    gettext_noop('Safety concerns'),
    gettext_noop('Strengths'),
    gettext_noop('What the participant is good at, proud of, cares about'),
    gettext_noop('Shelter tonight'),
    gettext_noop('Needed'),
    gettext_noop('What was done'),
    gettext_noop('Food'),
    gettext_noop('Medical care'),
    gettext_noop('Medication'),
    gettext_noop('Identity documents'),
    gettext_noop('Phone'),
    gettext_noop('Clothing'),
    gettext_noop('Benefits'),
]
