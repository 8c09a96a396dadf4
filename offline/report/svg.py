"""The report's pictures, as inline SVG written here: boxes, curves and bars.

No drawing library: each picture is a few dozen elements laid out on a grid (the platform by
component in dependency order, the deploy as bars on a minute axis, costs as bars), which is
less code than feeding a layout engine, and keeps the page free of scripts it would have to
embed and of a system binary (Graphviz) ``plan.py`` would need. Every number is formatted with a
fixed precision and every list is sorted, so the same report gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from offline.report.model import Bar, Report, Unit

FONT = "font-family:system-ui,sans-serif"
TOP_COLOURS = ("#4e79a7", "#59a14f", "#9c755f", "#f28e2b", "#76b7b2", "#b07aa1", "#e15759",
               "#edc948", "#bab0ac", "#ff9da7")


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros (stable across platforms)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start",
          weight: str = "normal", fill: str = "#222", cls: str = "") -> str:
    extra = f' class="{cls}"' if cls else ""
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}"{extra}>{escape(text)}</text>')


def _svg(width: float, height: float, body: list[str], label: str, ident: str) -> str:
    return (f'<svg id="{ident}" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'aria-label="{escape(label)}" width="{_n(width)}" height="{_n(height)}" '
            f'viewBox="0 0 {_n(width)} {_n(height)}" style="{FONT}">'
            f'<title>{escape(label)}</title>' + "".join(body) + "</svg>")


# ---------------------------------------------------------------------------------------------
# The platform: a column per top-level component, a box per unit, aggregated edges

BOX_W, BOX_H, GAP, COL_GAP, HEAD = 205.0, 58.0, 12.0, 48.0, 40.0
KIND_ORDER = {"own": 0, "component": 1, "tenant": 2}


def unit_order(units: Sequence[Unit]) -> list[Unit]:
    return sorted(units, key=lambda u: (KIND_ORDER[u.kind], u.label))


def _usd(usd: float) -> str:
    return f"${usd:,.0f}/mo" if usd >= 10 else f"${usd:,.2f}/mo"


def _fit(label: str, room: float) -> str:
    """``label`` cut (with an ellipsis) to about ``room`` pixels of 13 px bold text."""
    most = max(int(room / 7.8), 4)
    return label if len(label) <= most else label[:most - 1] + "\u2026"


def _box(unit: Unit, x: float, y: float, colour: str) -> str:
    tenant = unit.kind == "tenant"
    fill = "#eef7ee" if tenant else "#ffffff"
    dash = ' stroke-dasharray="5 3"' if tenant else ""
    changed = unit.added or unit.changed or unit.deleted
    stroke, width = ("#d62728", 3) if changed else (colour, 1.5)
    types = ", ".join(f"{n} {t.rsplit(':', 1)[-1]}" for t, n in
                      sorted(unit.types.items(), key=lambda kv: (-kv[1], kv[0]))[:8])
    what = "the application's tenant" if tenant else "component"
    tip = (f"{unit.top} / {unit.label} ({what}): {unit.resources} resources ({types}); "
           f"${unit.monthly_usd:,.2f} a month; {unit.stateful} stateful, {unit.protected} "
           f"protected")
    parts = [f'<g class="unit" data-unit="{escape(unit.key)}" data-kind="{unit.kind}">'
             f'<title>{escape(tip)}</title>',
             f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(BOX_W)}" height="{_n(BOX_H)}" rx="6" '
             f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>',
             f'<rect x="{_n(x)}" y="{_n(y)}" width="6" height="{_n(BOX_H)}" fill="{colour}"/>',
             _text(x + 14, y + 18, _fit(unit.label, BOX_W - 22), weight="bold", size=13),
             _text(x + 14, y + 34, f"{unit.resources} resource{'' if unit.resources == 1 else 's'}"
                   + (f" \u00b7 {_usd(unit.monthly_usd)}" if unit.monthly_usd else ""),
                   size=11, fill="#555")]
    if unit.stateful:
        safe = unit.protected == unit.stateful
        parts.append(_text(x + 14, y + 50, f"\u26c1 {unit.stateful} stateful"
                           + (", all protected" if safe else
                              f", {unit.stateful - unit.protected} not protected"),
                           size=11, fill="#2c7a2c" if safe else "#d62728", cls="stateful"))
    if changed:
        badge = " ".join(s for s in (f"+{unit.added}" if unit.added else "",
                                     f"~{unit.changed}" if unit.changed else "",
                                     f"\u2212{unit.deleted}" if unit.deleted else "") if s)
        w = 12 + 7.5 * len(badge)
        parts.append(f'<rect x="{_n(x + BOX_W - w - 4)}" y="{_n(y - 8)}" width="{_n(w)}" '
                     f'height="15" rx="7" fill="#d62728"/>')
        parts.append(_text(x + BOX_W - 4 - w / 2, y + 3.5, badge, size=11, anchor="middle",
                           weight="bold", fill="#fff", cls="change"))
    parts.append("</g>")
    return "".join(parts)


def platform(report: Report) -> str:
    by_top: dict[str, list[Unit]] = {t: [] for t in report.tops}
    for unit in report.units.values():
        by_top[unit.top].append(unit)
    where: dict[str, tuple[float, float, int]] = {}   # unit -> (x, y, column)
    body: list[str] = []
    tallest = 0
    for col, top in enumerate(report.tops):
        x = 20 + col * (BOX_W + COL_GAP)
        units = unit_order(by_top[top])
        count = sum(u.resources for u in units)
        colour = TOP_COLOURS[col % len(TOP_COLOURS)]
        body.append(_text(x, 22, top, size=15, weight="bold", fill=colour))
        body.append(_text(x, 36, f"{count} resources", size=11, fill="#555"))
        for row, unit in enumerate(units):
            where[unit.key] = (x, HEAD + 6 + row * (BOX_H + GAP), col)
        tallest = max(tallest, len(units))
        boxes = [_box(u, *where[u.key][:2], colour) for u in units]
        body.extend(boxes)
    edges = []
    for (a, b), count in sorted(report.edges.items()):
        (xa, ya, ca), (xb, yb, cb) = where[a], where[b]   # a waits for b: b -> a
        width = 1 + math.log2(count)
        ya_mid, yb_mid = ya + BOX_H / 2, yb + BOX_H / 2
        if cb < ca:
            x1, x2 = xb + BOX_W, xa
            bend = (x2 - x1) / 2
            d = f"M{_n(x1)},{_n(yb_mid)} C{_n(x1 + bend)},{_n(yb_mid)} " \
                f"{_n(x2 - bend)},{_n(ya_mid)} {_n(x2)},{_n(ya_mid)}"
        elif cb > ca:
            x1, x2 = xb, xa + BOX_W
            bend = (x1 - x2) / 2 + 30
            d = f"M{_n(x1)},{_n(yb_mid)} C{_n(x1 - bend)},{_n(yb_mid - 40)} " \
                f"{_n(x2 + bend)},{_n(ya_mid - 40)} {_n(x2)},{_n(ya_mid)}"
        else:
            x1 = xa + BOX_W
            d = f"M{_n(x1)},{_n(yb_mid)} C{_n(x1 + 30)},{_n(yb_mid)} " \
                f"{_n(x1 + 30)},{_n(ya_mid)} {_n(x1)},{_n(ya_mid)}"
        edges.append(f'<path class="edge" data-from="{escape(b)}" data-to="{escape(a)}" d="{d}" '
                     f'fill="none" stroke="#7f7f7f" stroke-opacity="0.35" '
                     f'stroke-width="{_n(width)}" marker-end="url(#arrow)">'
                     f'<title>{escape(a)} waits for {escape(b)}: {count} '
                     f'dependenc{"y" if count == 1 else "ies"}</title></path>')
    width = 40 + len(report.tops) * (BOX_W + COL_GAP) - COL_GAP
    height = HEAD + 16 + tallest * (BOX_H + GAP)
    marker = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
              'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
              '<path d="M0,0 L10,5 L0,10 z" fill="#7f7f7f"/></marker></defs>')
    return _svg(width, height, [marker, *edges, *body],
                f"stack {report.stack}: {len(report.units)} components, "
                f"{len(report.edges)} aggregated dependencies", "platform-picture")


# ---------------------------------------------------------------------------------------------
# The first deploy: the critical path, and what runs beside it

LABEL_W, CHART_W, ROW_H = 330.0, 560.0, 20.0


def _step(total: float) -> float:
    for step in (1, 2, 5, 10, 15, 20, 30, 60):
        if total / step <= 12:
            return float(step)
    return 120.0


def timeline(report: Report) -> str:
    end = max([report.deploy_minutes, *(b.finish for b in report.critical + report.beside)],
              default=1.0) or 1.0
    scale = CHART_W / end
    rows: list[tuple[str, Bar | None]] = [("Critical path", None),
                                          *((b.label, b) for b in report.critical),
                                          ("Beside it, by component", None),
                                          *((b.label, b) for b in report.beside)]
    top = 30.0
    height = top + len(rows) * ROW_H + 30
    body = []
    step = _step(end)
    tick = 0.0
    while tick <= end + 1e-9:
        x = LABEL_W + tick * scale
        body.append(f'<line x1="{_n(x)}" y1="{_n(top - 6)}" x2="{_n(x)}" '
                    f'y2="{_n(height - 26)}" stroke="#ddd"/>')
        body.append(_text(x, height - 10, f"{tick:g} min", size=10, anchor="middle",
                          fill="#555"))
        tick += step
    for i, (label, bar) in enumerate(rows):
        y = top + i * ROW_H
        if bar is None:
            body.append(_text(10, y + 14, label, size=12, weight="bold"))
            continue
        short = label if len(label) <= 48 else label[:47] + "\u2026"
        body.append(_text(LABEL_W - 8, y + 14, short, size=11, anchor="end"))
        colour = "#d62728" if bar.critical else "#4e79a7"
        x, w = LABEL_W + bar.start * scale, max((bar.finish - bar.start) * scale, 2.0)
        body.append(f'<rect class="{"critical" if bar.critical else "beside"}" x="{_n(x)}" '
                    f'y="{_n(y + 3)}" width="{_n(w)}" height="{_n(ROW_H - 6)}" rx="2" '
                    f'fill="{colour}"><title>{escape(label)}: {bar.start:.1f} to '
                    f'{bar.finish:.1f} min ({escape(bar.detail)})</title></rect>')
    body.append(f'<line x1="{_n(LABEL_W + report.deploy_minutes * scale)}" y1="{_n(top - 10)}" '
                f'x2="{_n(LABEL_W + report.deploy_minutes * scale)}" y2="{_n(height - 26)}" '
                f'stroke="#d62728" stroke-dasharray="4 3"/>')
    body.append(_text(LABEL_W + report.deploy_minutes * scale, top - 14,
                      f"{report.deploy_minutes:.1f} min", size=11, anchor="end",
                      fill="#d62728", weight="bold"))
    return _svg(LABEL_W + CHART_W + 40, height, body,
                f"first deploy of {report.stack}: {report.deploy_minutes:.1f} minutes",
                "deploy-timeline")


# ---------------------------------------------------------------------------------------------
# Costs: horizontal bars

def bars(values: Mapping[str, float], *, ident: str, label: str, colour: str,
         scale_to: float | None = None) -> str:
    """One bar per entry, in the given order, with its monthly dollars."""
    bar_label, bar_w, row = 170.0, 330.0, 22.0
    most = scale_to or max(values.values(), default=0.0) or 1.0
    body = []
    for i, (name, usd) in enumerate(values.items()):
        y = 8 + i * row
        body.append(_text(bar_label - 8, y + 14, name, size=12, anchor="end"))
        w = max(usd / most * bar_w, 1.0)
        body.append(f'<rect class="bar" x="{_n(bar_label)}" y="{_n(y + 3)}" width="{_n(w)}" '
                    f'height="{_n(row - 6)}" rx="2" fill="{colour}"><title>{escape(name)}: '
                    f'${usd:,.2f} a month</title></rect>')
        body.append(_text(bar_label + w + 6, y + 14, f"${usd:,.2f}", size=11, fill="#333"))
    return _svg(bar_label + bar_w + 90, 16 + len(values) * row, body, label, ident)
