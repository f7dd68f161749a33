"""Small SVG charts drawn on the server (no JavaScript, no external host, no inline style:
presentation attributes only, so the Content-Security-Policy holds). Every chart has a <title>
and a <desc>, and the page shows the same numbers as a table beside it."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

W, H = 640, 280
PAD_L, PAD_R, PAD_T, PAD_B = 64, 16, 16, 52
COLOURS = ["#1b6ca8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0f766e", "#4b5563"]


def _frame(title: str, desc: str, body: list[str]) -> str:
    # every text that reaches the markup passes through escape(); numbers are formatted here
    return mark_safe(  # noqa: S308
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + "".join(body) + "</svg>")


def _empty(title: str, message: str) -> str:
    """A chart with nothing to draw says so where the chart would be, not only to screen readers."""
    return _frame(title, message, [f'<text x="{W / 2:.0f}" y="{H / 2:.0f}" font-size="14" '
                                   f'text-anchor="middle" class="empty">{escape(message)}</text>'])


def _axes(y_ticks: list[tuple[float, str]], x_labels: list[tuple[float, str]], *,
          x_title: str = "", y_title: str = "") -> list[str]:
    """Both axes, their ticks, and their titles (what is measured, in what unit)."""
    mid_y = (PAD_T + H - PAD_B) / 2
    out = [f'<text x="{(PAD_L + W - PAD_R) / 2:.1f}" y="{H - 6}" font-size="12" '
           f'text-anchor="middle" class="axis-title">{escape(x_title)}</text>',
           f'<text x="14" y="{mid_y:.1f}" font-size="12" text-anchor="middle" '
           f'class="axis-title" transform="rotate(-90 14 {mid_y:.1f})">{escape(y_title)}</text>',
           f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" '
           'stroke="#555"/>',
           f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{H - PAD_B}" stroke="#555"/>']
    for y, label in y_ticks:
        out.append(f'<line x1="{PAD_L - 4}" y1="{y:.1f}" x2="{W - PAD_R}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" font-size="11" '
                   f'text-anchor="end">{escape(label)}</text>')
    for x, label in x_labels:
        out.append(f'<text x="{x:.1f}" y="{H - PAD_B + 16}" font-size="11" '
                   f'text-anchor="middle">{escape(label)}</text>')
    return out


def line_chart(title: str, series: dict[str, list[tuple[str, float]]], *,
               y_max: float | None = None, step: bool = False, percent: bool = False,
               x_title: str = "", y_title: str = "") -> str:
    """Lines over shared x labels (months); ``step`` draws survival curves."""
    labels: list[str] = []
    for points in series.values():
        for x, _v in points:
            if x not in labels:
                labels.append(x)
    if not labels:
        return _empty(title, _("No data yet."))
    top = y_max or max((v for pts in series.values() for _, v in pts), default=1) or 1
    pos = {x: PAD_L + (W - PAD_L - PAD_R) * (i / max(len(labels) - 1, 1))
           for i, x in enumerate(labels)}

    def y_of(v):
        return H - PAD_B - (H - PAD_T - PAD_B) * (v / top)

    ticks = [(y_of(top * k / 4), f"{top * k / 4:.0%}" if percent else f"{top * k / 4:.0f}")
             for k in range(5)]
    every = max(1, math.ceil(len(labels) / 8))
    body = _axes(ticks, [(pos[x], x) for i, x in enumerate(labels) if i % every == 0],
                 x_title=x_title, y_title=y_title)
    desc = []
    for n, (name, points) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        coords = []
        for i, (x, v) in enumerate(points):
            if step and i:
                coords.append(f"{pos[x]:.1f},{y_of(points[i - 1][1]):.1f}")
            coords.append(f"{pos[x]:.1f},{y_of(v):.1f}")
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                    f'points="{" ".join(coords)}"/>')
        body.append(f'<text x="{W - PAD_R - 4}" y="{PAD_T + 14 + 14 * n}" font-size="12" '
                    f'text-anchor="end" fill="{colour}">{escape(name)}</text>')
        desc.append(f"{name}: " + ", ".join(f"{x} {v:.2f}" for x, v in points))
    return _frame(title, "; ".join(desc), body)


def rri_chart(title: str, rows: list[tuple[str, float | None, list | None]]) -> str:
    """Dots with 95% whiskers on a log scale around parity (1.0)."""
    shown = [(label, r, ci) for label, r, ci in rows if r]
    if not shown:
        return _empty(title, _("No RRI can be shown (counts too small or suppressed)."))
    lo = min([r for _, r, _ in shown] + [c[0] for _, _, c in shown if c] + [0.5])
    hi = max([r for _, r, _ in shown] + [c[1] for _, _, c in shown if c] + [2.0])
    llo, lhi = math.log(lo), math.log(hi)
    left, right = 220, W - PAD_R

    def x_of(v):
        return left + (right - left) * (math.log(v) - llo) / (lhi - llo)

    height = PAD_T + 22 * len(shown) + PAD_B
    parity = _("1.0 = parity")
    axis = _("Relative Rate Index (log scale): the dot, and its interval (95%)")
    body = [f'<line x1="{x_of(1):.1f}" y1="{PAD_T}" x2="{x_of(1):.1f}" y2="{height - PAD_B}" '
            'stroke="#555" stroke-dasharray="4 3"/>',
            f'<text x="{x_of(1):.1f}" y="{height - PAD_B + 16}" font-size="11" '
            f'text-anchor="middle">{escape(parity)}</text>',
            f'<text x="{(left + right) / 2:.1f}" y="{height - 6}" font-size="12" '
            f'text-anchor="middle" class="axis-title">'
            f'{escape(axis)}</text>']
    for tick in (0.25, 0.5, 2, 4):
        if lo <= tick <= hi:
            body.append(f'<text x="{x_of(tick):.1f}" y="{height - PAD_B + 16}" font-size="11" '
                        f'text-anchor="middle">{tick:g}</text>')
    desc = []
    for i, (label, r, ci) in enumerate(shown):
        y = PAD_T + 11 + 22 * i
        body.append(f'<text x="{left - 8}" y="{y + 4}" font-size="12" '
                    f'text-anchor="end">{escape(label)}</text>')
        if ci:
            body.append(f'<line x1="{x_of(ci[0]):.1f}" y1="{y}" x2="{x_of(ci[1]):.1f}" '
                        f'y2="{y}" stroke="#1b6ca8" stroke-width="2"/>')
        body.append(f'<circle cx="{x_of(r):.1f}" cy="{y}" r="4" fill="#c2410c"/>')
        desc.append(f"{label}: {r:.2f}" + (f" ({ci[0]:.2f} to {ci[1]:.2f})" if ci else ""))
    svg = _frame(title, "; ".join(desc), body)
    resized = svg.replace(f'viewBox="0 0 {W} {H}"', f'viewBox="0 0 {W} {height}"', 1)
    return mark_safe(resized)  # noqa: S308 (built by _frame, which escapes every text)
