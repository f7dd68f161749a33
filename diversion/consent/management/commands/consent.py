import json as jsonlib
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from diversion.consent.models import NOTICE_2_32
from diversion.consent.selectors import disclosure_accounting
from diversion.people.models import Person


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{name}: {value!r} is not a date (YYYY-MM-DD)", returncode=2)


class Command(BaseCommand):
    help = (
        "Consent records. `consent accounting PERSON_ID --from YYYY-MM-DD --to YYYY-MM-DD` "
        "lists every disclosure of the person's information in the window (both days "
        "included, site time; at most 3 years), as 42 CFR 2.25 requires on request."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        acc = sub.add_parser("accounting", help="The accounting of disclosures for a person.")
        acc.add_argument("person_id", type=int)
        acc.add_argument("--from", dest="start", required=True)
        acc.add_argument("--to", dest="end", required=True)
        acc.add_argument("--json", action="store_true", help="One JSON document.")

    def handle(self, *args, action, person_id, start, end, **opts):
        person = Person.objects.filter(pk=person_id).select_related("site").first()
        if person is None:
            raise CommandError(f"person_id: no person #{person_id}", returncode=2)
        tz = person.site.tz
        lo = datetime.combine(_day(start, "--from"), time.min).replace(tzinfo=tz)
        hi = datetime.combine(_day(end, "--to") + timedelta(days=1), time.min).replace(tzinfo=tz)
        try:
            rows = list(disclosure_accounting(person=person, start=lo, end=hi))
        except ValidationError as exc:
            field = next(iter(exc.message_dict))
            raise CommandError(f"--{field}: {' '.join(exc.messages)}", returncode=2)
        items = [{"at": d.at.astimezone(tz).isoformat(), "recipient": d.recipient_label,
                  "role": d.recipient_role,
                  "organisation": d.recipient_agency.name if d.recipient_agency else "",
                  "what": d.what, "category": d.category, "purpose": d.purpose,
                  "consent": d.consent_id} for d in rows]
        if opts.get("json"):
            self.stdout.write(jsonlib.dumps({"person_id": person.pk, "from": start, "to": end,
                                             "disclosures": items}, indent=2))
            return
        self.stdout.write(f"Disclosures of person #{person.pk}'s information, {start} to {end}: "
                          f"{len(items)}")
        for item in items:
            self.stdout.write(f"{item['at']}  {item['recipient']} ({item['role']}"
                              f"{', ' + item['organisation'] if item['organisation'] else ''})"
                              f"  {item['what']}  purpose: {item['purpose']}"
                              f"  consent #{item['consent']}")
        self.stdout.write("")
        self.stdout.write(NOTICE_2_32)
