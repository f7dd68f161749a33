"""The case workspace on a phone (issue 15), measured in Debian's chromium against a running
server with the demo data (`make run`, or `diversion demo` + `diversion run`):

    .venv/bin/python bench/bench_case_workspace.py http://127.0.0.1:8000

Signed in as the demo case manager, for each case on the caseload: the case overview's height
at 390×844 (target: two screens, 1,688 px), the bytes it brought over the wire (the one-time
vendor bundle under /static/vendor/ left out; target < 200 KB) and its largest contentful
paint (target < 1 s on loopback); then the same for each of the workspace's section pages
(the links in the overview's section navigation). Prints JSON lines (median and worst).
"""

from __future__ import annotations

import json
import statistics
import sys

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LCP = """() => new Promise(resolve => { let lcp = 0;
  new PerformanceObserver(l => { for (const e of l.getEntries()) lcp = e.startTime; })
    .observe({type: 'largest-contentful-paint', buffered: true});
  setTimeout(() => resolve(lcp), 100); })"""
WEIGHT = """() => { const nav = performance.getEntriesByType('navigation')[0];
  let bytes = nav.transferSize || nav.encodedBodySize;
  for (const r of performance.getEntriesByType('resource'))
    if (!r.name.includes('/static/vendor/')) bytes += r.transferSize || r.encodedBodySize || 0;
  return bytes; }"""


def measure(page, url: str) -> dict:
    page.goto(url)
    page.wait_for_load_state("load")
    return {"url": url, "height": page.evaluate("document.documentElement.scrollHeight"),
            "bytes": page.evaluate(WEIGHT), "lcp_ms": round(page.evaluate(LCP), 1)}


def main(base: str, username: str = "casemanager", password: str = "lead-demo-password") -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                      has_touch=True, device_scale_factor=1, base_url=base)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()
        page.goto("/cases/")
        cases = sorted({h for h in page.eval_on_selector_all(
            "main a[href^='/cases/']", "as => as.map(a => a.getAttribute('href'))")
            if h.rstrip("/").split("/")[-1].isdigit()})
        overview, sections = [], []
        for href in cases:
            # Once to warm the cache for the vendor bundle, then measured.
            page.goto(href)
            overview.append(measure(page, href))
            for link in page.eval_on_selector_all(
                    "nav.case-sections a", "as => as.map(a => a.getAttribute('href'))"):
                if link != href:
                    sections.append(measure(page, link))
        browser.close()
    for name, rows in (("overview", overview), ("sections", sections)):
        if not rows:
            continue
        for key, unit in (("height", "px"), ("bytes", "B"), ("lcp_ms", "ms")):
            values = [r[key] for r in rows]
            worst = max(rows, key=lambda r, k=key: r[k])
            print(json.dumps({"name": f"case_{name}_{key}", "median": statistics.median(values),
                              "max": worst[key], "worst": worst["url"], "unit": unit,
                              "n": len(values)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
