"""Walk every page a role can reach and say what a person would trip over.

Signed in as one user, the walker starts at the home page and follows the links it finds
(same origin, GET only, bounded: a few pages of each URL shape), at 1280×800 and at 390×844,
and records for each page:

- sideways scrolling: the document is wider than the window;
- value codes shown as text: a snake_case token (``emergency_shelter``), a Python boolean or
  ``None``, or a text that is exactly a known choice code whose label differs
  (``downtown`` for "Downtown"), alone or after a colon ("Area: downtown");
- axe-core's serious and critical violations (WCAG 2.1 A and AA);
- with Spanish chosen, interface text left in English: the page's visible texts in English and
  in Spanish are compared, and what is the same in both is interface text left untranslated
  unless it is data (inside an element marked ``translate="no"``: names, notes, place names,
  what people typed), has no letters, or is the same word in both languages.

``diversion/tests_browser/test_walk.py`` runs it for the seven roles; ``python -m
diversion.tests_browser.walker URL`` runs it against a server with the demo data.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
AXE_URL = "/static/vendor/axe-core/axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Never followed: they change state or leave the pages people read (downloads are skipped by
# their content type; the admin is Django's own and the API documents are for programs).
SKIP = re.compile(r"^/(accounts/logout|i18n/|admin/|api/|hsds/|static/|sw\.js|favicon)"
                  r"|\.(csv|pdf|json|geojson|zip)$")
# How many pages of one URL shape (ids replaced) are visited; the first page of a shape with
# a query string counts as a shape of its own.
PER_SHAPE = 1

# The visible text of the page, one entry per text node, without what is marked as data.
TEXTS_JS = """(skipData) => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        if (['SCRIPT', 'STYLE', 'TEMPLATE', 'DATALIST', 'NOSCRIPT'].includes(el.tagName)) continue;
        const text = node.textContent.replace(/\\s+/g, ' ').trim();
        if (!text) continue;
        const visible = el.tagName === 'OPTION' || el.getClientRects().length > 0;
        if (!visible || el.closest('[hidden],[aria-hidden=true]')) continue;
        if (skipData && el.closest('[translate=no]')) continue;
        // A passage marked as another language (a legal text quoted in the words the law
        // prescribes) is not interface text of this page's language.
        const lang = el.closest('[lang]');
        if (skipData && lang && lang !== document.documentElement
            && lang.lang.slice(0, 2) !== document.documentElement.lang.slice(0, 2)) continue;
        out.push(text);
    }
    for (const el of document.querySelectorAll(
            'input[type=submit], input[type=button], [aria-label], [title], [placeholder]')) {
        if (el.closest('[hidden]') || (skipData && el.closest('[translate=no]'))) continue;
        const t = (el.getAttribute('aria-label') || el.title || el.placeholder
                   || el.value || '').trim();
        if (t) out.push(t);
    }
    return out;
}"""
LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'))
    .filter(a => !a.hasAttribute('download'))
    .map(a => a.href)"""
WIDTH_JS = """() => ({scroll: document.documentElement.scrollWidth,
                     client: document.documentElement.clientWidth})"""
AXE_JS = """async (tags) => {
    const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                       resultTypes: ['violations']});
    return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""

SNAKE = re.compile(r"(?<![\w./@:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-])"
                   r"(?!\.(?:csv|pdf|json|xlsx|txt|toml|geojson|py|md)\b)")
# Python's booleans anywhere; its None only where a value belongs ("Area: None"): "None" is
# also an English word ("None yet.", the label of a choice).
PYTHON_WORDS = re.compile(r"\b(True|False)\b|(?<=: )None\b")
# Texts with no word in them (numbers, dates, ids, punctuation) are the same in any language.
NO_WORDS = re.compile(r"[^A-Za-zÀ-ÿ]*|[A-Za-z]?\d[\d\W]*|#\d+[\w-]*")
# A rule set's id, version and start: an identifier ("multnomah-lead-2017 (v1, 2017-02-27)").
RULE_SET = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*-\d{4}(?: \(v\w+, \d{4}-\d{2}-\d{2}\))?")
# The same in English and Spanish: language names, the program's name, abbreviations, words
# Spanish takes unchanged.
SAME = {"English", "Español", "LEAD®", "LEAD", "No", "PCS", "CSV", "PDF", "ID", "Total", "RRI",
        "OK", "PDT", "PST", "API", "HSDS", "Email", "SMS", "Global", "Normal", "Local",
        "General", "Social", "Extra", "Hotel", "Motel", "%", "N", "n", "p", "IC 95 %", "OR",
        "Jasmin", "GeoJSON", "JSON", "OSM", "XLSX", "Legal", "Plan"}


def choice_codes() -> set[str]:
    """Every stored choice value whose label reads differently (``old_town`` → "Old Town"):
    the models' choices, the program areas, the rule sets' verdicts and pathways, the
    assessment's answers."""
    from django.apps import apps

    codes: set[str] = set()

    def add(pairs):
        for value, label in pairs:
            if isinstance(label, (list, tuple)):  # grouped choices
                add(label)
            elif isinstance(value, str) and value and value != str(label):
                codes.add(value)

    for model in apps.get_models():
        if not model.__module__.startswith("diversion."):
            continue
        for f in model._meta.get_fields():
            if getattr(f, "choices", None):
                add(f.choices)
    try:
        from diversion.lib import labels
    except ImportError:
        return codes
    for choice_set in labels.CHOICE_SETS.values():
        add(choice_set.items())
    return codes


@dataclass
class Finding:
    role: str
    url: str
    kind: str  # "scroll", "code", "axe", "english"
    detail: str
    viewport: str = ""


@dataclass
class Walk:
    findings: list[Finding] = field(default_factory=list)
    pages: dict[str, list[str]] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)

    def summary(self) -> dict[str, int]:
        return {kind: self.count(kind) for kind in ("scroll", "code", "axe", "english")} | {
            "pages": sum(len(v) for v in self.pages.values())}

    def report(self, kinds=("scroll", "code", "axe", "english")) -> str:
        lines = []
        for f in self.findings:
            if f.kind in kinds:
                lines.append(f"{f.role:<13} {f.kind:<7} {f.viewport:<7} {f.url}  {f.detail}")
        return "\n".join(lines)


def shape(path: str) -> str:
    """The page's URL with its ids replaced: /cases/12/ and /cases/13/ are one shape."""
    parts = urlsplit(path)
    generic = re.sub(r"/\d+(?=/|$)", "/N", parts.path)
    generic = re.sub(r"/[0-9a-f-]{32,36}(?=/|$)", "/U", generic)
    keys = sorted({kv.split("=")[0] for kv in parts.query.split("&") if kv})
    return generic + ("?" + "&".join(keys) if keys else "")


def codes_in(texts: list[str], known: set[str]) -> list[str]:
    found = []
    for text in texts:
        if text.startswith(("http://", "https://", "/")) or "@" in text:
            continue
        for m in SNAKE.finditer(text):
            found.append(m.group(0))
        found += [m.group(0) for m in PYTHON_WORDS.finditer(text)]
        tail = text.rsplit(": ", 1)[-1].strip(" .")
        for candidate in {text.strip(" .:"), tail}:
            if candidate in known and "_" not in candidate:
                found.append(candidate)
    return found


def sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_load_state()
    if "/accounts/login" in page.url:
        raise AssertionError(f"{username} could not sign in")


def crawl(page, *, base: str, max_pages: int = 40) -> list[str]:
    """The role's pages: breadth first from the home page, a few pages of each shape."""
    origin = urlsplit(base).netloc
    seen_shapes: dict[str, int] = defaultdict(int)
    queue, pages, queued = ["/"], [], {"/"}
    while queue and len(pages) < max_pages:
        path = queue.pop(0)
        try:
            response = page.goto(path)
        except PlaywrightError as exc:  # a download (a CSV, a PDF) is not a page
            if "Download is starting" in str(exc):
                continue
            raise
        if response is None or response.status >= 400:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        here = urlsplit(page.url)
        final = here.path + (f"?{here.query}" if here.query else "")
        if final in pages or (final != path and final in queued):
            continue
        pages.append(final)
        for href in page.evaluate(LINKS_JS):
            parts = urlsplit(urljoin(page.url, href))
            if parts.netloc != origin or SKIP.search(parts.path):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in queued:
                continue
            key = shape(target)
            if seen_shapes[key] >= PER_SHAPE:
                continue
            seen_shapes[key] += 1
            queued.add(target)
            queue.append(target)
    return pages


def check_page(page, *, role: str, path: str, known: set[str], walk: Walk, axe: bool) -> None:
    """The current page at both sizes: sideways scrolling, codes, axe (at the phone size)."""
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        width = page.evaluate(WIDTH_JS)
        if width["scroll"] > width["client"] + 1:
            walk.findings.append(Finding(role, path, "scroll",
                                         f"{width['scroll']} px wide in {width['client']}", name))
        for code in sorted(set(codes_in(page.evaluate(TEXTS_JS, False), known))):
            if name == "phone" and any(f.kind == "code" and f.url == path and f.detail == code
                                       for f in walk.findings):
                continue
            walk.findings.append(Finding(role, path, "code", code, name))
    if axe:
        page.add_script_tag(url=AXE_URL)
        for v in page.evaluate(AXE_JS, WCAG_AA):
            walk.findings.append(Finding(role, path, "axe",
                                         f"{v['impact']} {v['id']}: {v['nodes']}", "phone"))


# Records whose texts are what people typed or imported (names, notes, places): data, the
# same in any language. Notifications are not among them: the program writes those.
DATA_MODELS = {"people.Person", "people.Alias", "accounts.User", "sites.Site", "sites.Agency",
               "cases.Contact", "cases.Goal", "cases.GoalStep", "cases.PlanReview",
               "cases.OnCallShift", "partners.Meeting", "partners.OpsDecision",
               "partners.Readmission", "resources.Organization", "resources.Service",
               "resources.Location", "resources.Address", "resources.Phone",
               "resources.TaxonomyTerm", "resources.ServiceReferral",
               "texts.TextMessage", "texts.Appointment", "referrals.Referral",
               "referrals.Decision", "consent.Consent", "consent.ConsentRecipient",
               "cases.Assessment",
               # A notification is written once, in the language its recipient had chosen
               # then (notifications.services.notify); older ones stay as they were written.
               "notifications.Notification"}


def data_texts() -> set[str]:
    """Every text stored in the records people fill in, and the names they go by."""
    from django.apps import apps
    from django.db import models

    texts: set[str] = set()
    for label in DATA_MODELS:
        model = apps.get_model(label)
        fields = [f.name for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField)) and not f.choices]
        for row in model.objects.values_list(*fields)[:3000]:
            texts.update(v.strip() for v in row if isinstance(v, str) and len(v.strip()) > 1)
        if label == "accounts.User":
            texts.update(u.display_name for u in model.objects.all())
        if label == "people.Person":
            for p in model.objects.all()[:3000]:
                texts.add(p.full_name)
        if label == "cases.Assessment":
            for answers in model.objects.values_list("answers", flat=True):
                for domain in (answers or {}).values():
                    texts.update(v.strip() for v in (domain or {}).values()
                                 if isinstance(v, str) and len(v.strip()) > 1)
    from diversion.lib import labels

    texts.update(str(v) for v in labels.CHOICE_SETS["area"].values())
    return texts


def english_left(english: list[str], spanish: list[str], data: set[str]) -> list[str]:
    """Interface texts the same in both languages: what is left in English."""
    left = []
    long_data = sorted((d for d in data if len(d) > 3), key=len, reverse=True)
    for text in sorted(set(english) & set(spanish)):
        if (text in SAME or text.rstrip(":") in SAME or text in data
                or NO_WORDS.fullmatch(text) or RULE_SET.fullmatch(text)):
            continue
        rest = text
        for d in long_data:
            if d in rest:
                rest = rest.replace(d, " ")
        if rest != text and not re.search(r"[A-Za-zÀ-ÿ]{2,}", rest):
            continue
        left.append(text)
    return left


def walk_role(browser, *, base: str, role: str, username: str, password: str, walk: Walk,
              max_pages: int = 40, axe: bool = True, spanish: bool = True) -> None:
    known = choice_codes()
    data = data_texts() if spanish else set()
    context = browser.new_context(base_url=base, viewport=DESKTOP, locale="en-US",
                                  service_workers="block")
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, username, password)
        # English first, whatever the account remembers.
        context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
        pages = crawl(page, base=base, max_pages=max_pages)
        walk.pages[role] = pages
        english = {}
        for path in pages:
            page.set_viewport_size(DESKTOP)
            page.goto(path)
            check_page(page, role=role, path=path, known=known, walk=walk, axe=axe)
            if spanish:
                english[path] = page.evaluate(TEXTS_JS, True)
        if not spanish:
            return
        context.add_cookies([{"name": "django_language", "value": "es", "url": base}])
        page.set_viewport_size(DESKTOP)
        for path in pages:
            page.goto(path)
            if page.locator("html").get_attribute("lang") != "es":
                walk.findings.append(Finding(role, path, "english", "<html lang> is not es"))
                continue
            for text in english_left(english[path], page.evaluate(TEXTS_JS, True), data):
                walk.findings.append(Finding(role, path, "english", text))
            for code in sorted(set(codes_in(page.evaluate(TEXTS_JS, False), known))):
                walk.findings.append(Finding(role, path, "code", code, "es"))
    finally:
        context.close()


def main() -> None:  # pragma: no cover - a tool for people
    import argparse
    import os
    import time

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diversion.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    django.setup()
    from playwright.sync_api import sync_playwright

    from diversion.platform.management.commands.demo import DEMO_PASSWORD, DEMO_USERS
    from diversion.tests_browser.conftest import CHROMIUM, CHROMIUM_ARGS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--roles", nargs="*", help="demo usernames (all seven by default)")
    parser.add_argument("--max-pages", type=int, default=40)
    parser.add_argument("--no-axe", action="store_true")
    parser.add_argument("--no-spanish", action="store_true")
    args = parser.parse_args()
    walk = Walk()
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for username, _role in DEMO_USERS:
            if args.roles and username not in args.roles:
                continue
            walk_role(browser, base=args.base, role=username, username=username,
                      password=DEMO_PASSWORD, walk=walk, max_pages=args.max_pages,
                      axe=not args.no_axe, spanish=not args.no_spanish)
        browser.close()
    for role, pages in walk.pages.items():
        print(f"{role}: {len(pages)} pages: {' '.join(pages)}")
    print(walk.report())
    print(walk.summary(), f"{time.monotonic() - started:.1f} s")


if __name__ == "__main__":  # pragma: no cover
    main()
