"""Importing a 211-sized service directory (issue 18): `hsds_import` of BENCH_HSDS_SERVICES
(10,000) generated services against a bare load of the same rows into the same tables.

The directory is generated once per run (seeded Faker): 2,000 organizations, each service
with its organization, a phone, a schedule, a language, an attribute carrying one of 60
taxonomy terms, and a service-at-location with a location (address, phone, coordinates),
written as one HSDS JSON page (`{"contents": [...]}`, each service fully nested, valid
against the official compiled schema).

    import  `hsds_import` of the file into an empty directory: read, validate every service
            against the official schema (jsonschema), split into the six kinds, store each
            whole with its searchable columns and derived phones, addresses and categories
    bare    the same model rows (the same columns, records included where the code keeps
            them), built in Python from the generated data before the clock starts, then
            bulk_create'd into the same tables: what storing alone costs

Each run starts from an empty directory in a freshly migrated SQLite database under
var/bench/. BENCH_HSDS_RUNS (3) runs each; the figure is the median, with the ratio
import / bare. Run with an older checkout on PYTHONPATH to measure the code before a change
(the script uses only what both have: `hsds_import` and the models).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(os.environ.get("BENCH_HSDS_REPO", Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(REPO))
SERVICES = int(os.environ.get("BENCH_HSDS_SERVICES", "10000"))
RUNS = int(os.environ.get("BENCH_HSDS_RUNS", "3"))
VAR = Path(__file__).resolve().parents[1] / "var" / "bench"
VAR.mkdir(parents=True, exist_ok=True)
DB = VAR / f"hsds_import_{os.getpid()}.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diversion.settings")


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(n: int) -> list[dict]:
    from faker import Faker

    fake = Faker("en_US")
    Faker.seed(211)
    rng = random.Random(211)
    terms = [{"id": _id(rng), "code": f"need-{i}", "name": fake.unique.word().title(),
              "description": fake.sentence()} for i in range(60)]
    orgs = [{"id": _id(rng), "name": fake.company(), "description": fake.catch_phrase(),
             "email": fake.company_email(), "website": f"https://{fake.domain_name()}"}
            for _ in range(max(1, n // 5))]
    services = []
    for i in range(n):
        org = orgs[i % len(orgs)]
        sid, lid = _id(rng), _id(rng)
        location = {
            "id": lid, "location_type": "physical", "name": f"{fake.street_name()} site",
            "latitude": round(45.4 + rng.random() * 0.2, 5),
            "longitude": round(-122.8 + rng.random() * 0.3, 5),
            "addresses": [{"id": _id(rng), "address_1": fake.street_address(),
                           "city": "Portland", "region": "Multnomah", "state_province": "OR",
                           "postal_code": fake.zipcode(), "country": "US",
                           "address_type": "physical"}],
            "phones": [{"id": _id(rng), "number": fake.phone_number(), "type": "voice"}],
        }
        services.append({
            "id": sid, "name": f"{fake.bs().title()} ({i})", "status": "active",
            "description": fake.paragraph(), "email": fake.email(),
            "application_process": "Walk in.", "eligibility_description": "Adults",
            "organization": org,
            "phones": [{"id": _id(rng), "number": fake.phone_number(), "extension": 12,
                        "type": "voice"}],
            "schedules": [{"id": _id(rng), "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR",
                           "opens_at": "09:00", "closes_at": "17:00"}],
            "languages": [{"id": _id(rng), "name": "Spanish", "code": "es"}],
            "attributes": [{"id": _id(rng), "taxonomy_term": rng.choice(terms),
                            "link_type": "service_category", "link_entity": "service",
                            "value": "yes"}],
            "service_at_locations": [{"id": _id(rng), "location": location}],
        })
    return services


def bare_rows(site, services):
    """Model instances of the same rows, with the columns the code's models have."""
    from diversion.resources import models as m

    has_record = any(f.name == "record" for f in m.Service._meta.get_fields())
    rec = (lambda r: {"record": r}) if has_record else (lambda r: {})
    orgs, terms, out = {}, {}, {k: [] for k in ("org", "term", "service", "location",
                                                "sal", "address", "phone", "attribute")}
    for s in services:
        o = s["organization"]
        if o["id"] not in orgs:
            orgs[o["id"]] = m.Organization(site=site, hsds_id=o["id"], name=o["name"],
                                           description=o["description"], email=o["email"],
                                           website=o["website"], **rec(o))
        for a in s["attributes"]:
            t = a["taxonomy_term"]
            if t["id"] not in terms:
                terms[t["id"]] = m.TaxonomyTerm(site=site, hsds_id=t["id"], code=t["code"],
                                                name=t["name"], description=t["description"],
                                                **rec(t))
    for s in services:
        svc = m.Service(site=site, hsds_id=s["id"], organization=orgs[s["organization"]["id"]],
                        name=s["name"], description=s["description"], email=s["email"],
                        status="active", application_process=s["application_process"],
                        eligibility_description=s["eligibility_description"], **rec(s))
        out["service"].append(svc)
        for p in s["phones"]:
            out["phone"].append(m.Phone(site=site, hsds_id=p["id"], service=svc,
                                        number=p["number"], extension="12", type="voice"))
        for a in s["attributes"]:
            out["attribute"].append(m.ServiceAttribute(
                site=site, hsds_id=a["id"], service=svc,
                taxonomy_term=terms[a["taxonomy_term"]["id"]]))
        for sal in s["service_at_locations"]:
            lo = sal["location"]
            loc = m.Location(site=site, hsds_id=lo["id"], name=lo["name"],
                             latitude=lo["latitude"], longitude=lo["longitude"], **rec(lo))
            out["location"].append(loc)
            out["sal"].append(m.ServiceAtLocation(site=site, hsds_id=sal["id"], service=svc,
                                                  location=loc, **rec({"id": sal["id"]})))
            for a in lo["addresses"]:
                out["address"].append(m.Address(
                    site=site, hsds_id=a["id"], location=loc, address_1=a["address_1"],
                    city=a["city"], region=a["region"], state_province=a["state_province"],
                    postal_code=a["postal_code"], country="US"))
            for p in lo["phones"]:
                out["phone"].append(m.Phone(site=site, hsds_id=p["id"], location=loc,
                                            number=p["number"], type="voice"))
    out["org"], out["term"] = list(orgs.values()), list(terms.values())
    return out


def bare_load(rows) -> None:
    from django.db import transaction

    with transaction.atomic():
        for key in ("org", "term", "service", "attribute", "location", "sal", "address",
                    "phone"):
            objs = rows[key]
            for obj in objs:  # foreign keys to the rows just created
                for field in obj._meta.concrete_fields:
                    if field.is_relation and field.name != "site":
                        related = getattr(obj, field.name, None)
                        if related is not None:
                            setattr(obj, field.attname, related.pk)
            type(objs[0]).objects.bulk_create(objs, batch_size=1000)


def clear(site) -> None:
    from diversion.resources import models as m

    for model in (m.Phone, m.Address, m.ServiceAttribute, m.ServiceAtLocation, m.Service,
                  m.Location, m.TaxonomyTerm, m.Organization):
        model.objects.filter(site=site).delete()
    for name in ("Taxonomy", "LooseRow"):
        if hasattr(m, name):
            getattr(m, name).objects.filter(site=site).delete()


def main() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from diversion.resources.services import hsds_import
    from diversion.sites.selectors import site_default

    site = site_default()
    services = generate(SERVICES)
    path = VAR / f"hsds_{SERVICES}.json"
    path.write_text(json.dumps({"total_items": len(services), "total_pages": 1,
                                "page_number": 1, "size": len(services), "first_page": True,
                                "last_page": True, "empty": False, "contents": services}))
    imports, bares = [], []
    for _ in range(RUNS):
        clear(site)
        start = time.perf_counter()
        hsds_import(site=site, path=path, actor=None)
        imports.append(time.perf_counter() - start)
        clear(site)
        rows = bare_rows(site, services)
        start = time.perf_counter()
        bare_load(rows)
        bares.append(time.perf_counter() - start)
    imp, bare = statistics.median(imports), statistics.median(bares)
    label = os.environ.get("BENCH_HSDS_LABEL", "")
    suffix = f" ({label})" if label else ""
    print(json.dumps({"name": f"hsds import {SERVICES} services{suffix}", "median": round(imp, 2),
                      "unit": "s", "baseline": round(bare, 2), "ratio": round(imp / bare, 2),
                      "runs": RUNS, "services_per_s": round(SERVICES / imp)}))
    DB.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
