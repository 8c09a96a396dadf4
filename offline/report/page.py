"""The plan report's page: one self-contained HTML file (no network, no CDN) per stack.

Sections, each ``<section id=...>``: ``platform`` (components and tenants, stateful resources
marked), ``deploy`` (the first deploy as a timeline), ``cost`` (monthly, by kind and by
application), ``checks`` (the policy pack, and what the offline plan cannot check), ``data``
(the resources that hold data), ``change`` (against an earlier plan: what is added, changed,
deleted, and the data at risk) and ``destroy`` (``plan.py --destroy``'s report, when the plan
has one). The summary's totals carry ``data-total`` attributes.
"""

from __future__ import annotations

from html import escape

from offline.report.model import Report
from offline.report.svg import bars, platform, timeline

SECTIONS = ("platform", "deploy", "cost", "checks", "data", "change", "destroy")

STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1640px;padding:16px 24px;
color:#222;background:#fafafa}
h1{font-size:24px;margin:4px 0 12px}h2{font-size:19px;margin:0 0 8px}
section{background:#fff;border:1px solid #ddd;border-radius:8px;padding:14px 18px;margin:14px 0}
.totals{display:flex;flex-wrap:wrap;gap:10px;margin:0;padding:0}
.totals div{background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px 14px}
.totals dt{font-size:12px;color:#666}.totals dd{margin:0;font-size:20px;font-weight:bold}
.scroll{overflow-x:auto}.row{display:flex;flex-wrap:wrap;gap:28px}
#platform-picture{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px 3px 0;text-align:left;
vertical-align:top}th{color:#555;font-weight:600}
.note{color:#555;font-size:13px}.bad{color:#d62728;font-weight:bold}.good{color:#2c7a2c}
.unchecked{color:#b35c00;font-weight:bold}details{margin:6px 0;font-size:13px}
details li{margin:2px 0}.risk{background:#fde8e8;border:2px solid #d62728;border-radius:6px;
padding:8px 12px}svg .unit{cursor:pointer}svg .edge.lit{stroke:#d62728;stroke-opacity:.9}
"""

# Pointing at a box lights its edges: the picture's one interaction.
SCRIPT = """
(function () {
  var svg = document.getElementById("platform-picture");
  if (!svg) { return; }
  svg.querySelectorAll(".unit").forEach(function (box) {
    var key = box.getAttribute("data-unit");
    function light(on) {
      svg.querySelectorAll(".edge").forEach(function (edge) {
        if (edge.getAttribute("data-from") === key || edge.getAttribute("data-to") === key) {
          edge.classList.toggle("lit", on);
        }
      });
    }
    box.addEventListener("mouseenter", function () { light(true); });
    box.addEventListener("mouseleave", function () { light(false); });
  });
  document.documentElement.setAttribute("data-ready", "yes");
})();
"""


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _list(items: list[str], summary: str, limit: int = 2000) -> str:
    shown = "".join(f"<li>{escape(i)}</li>" for i in items[:limit])
    more = f"<li>… and {len(items) - limit} more</li>" if len(items) > limit else ""
    return f"<details><summary>{escape(summary)}</summary><ul>{shown}{more}</ul></details>"


def _totals(r: Report) -> str:
    unprotected = sum(not s["protected"] for s in r.stateful)
    unchecked = sum(n for _, n, _ in r.unchecked)
    cells = [("resources", "resources", str(r.total_resources)),
             ("tenants", "applications (tenants)", str(len(r.tenants))),
             ("monthly_usd", "estimated monthly cost", _usd(r.monthly_usd)),
             ("deploy_minutes", "first deploy", f"{r.deploy_minutes:.1f} min"),
             ("stateful", "stateful resources", f"{len(r.stateful)} ({unprotected} unprotected)"),
             ("unchecked", "unchecked offline", str(unchecked))]
    if r.against:
        cells.append(("change", "change", f"+{len(r.added)} ~{len(r.changed)} "
                                          f"\u2212{len(r.deleted)}"))
    body = "".join(f'<div><dt>{escape(label)}</dt><dd data-total="{key}">{escape(value)}</dd>'
                   f"</div>" for key, label, value in cells)
    return f'<dl class="totals">{body}</dl>'


def _platform(r: Report) -> str:
    return ('<section id="platform"><h2>The platform</h2>'
            '<p class="note">A column per top-level component, in dependency order; a box per '
            'component inside it, each application\'s tenant a dashed green box. Arrows run '
            'from what is needed to what needs it (resources\' dependencies and providers, '
            'counted per pair of boxes; thicker: more). \u26c1 marks the boxes holding '
            'stateful resources (green: all protected; red: some are not). Point at a box to '
            'light its arrows.' + (' Red boxes change in this pull request (+ added, ~ changed, '
                         '\u2212 deleted).' if r.against else "") + '</p>'
            f'<div class="scroll">{platform(r)}</div></section>')


def _deploy(r: Report) -> str:
    return ('<section id="deploy"><h2>The first deploy</h2>'
            f'<p>Estimated <b>{r.deploy_minutes:.1f} min</b> for a first <code>pulumi up</code> '
            f'(floor {r.floor_minutes:.1f} min: only the dependencies a deploy truly needs). '
            'Red: the critical path, the chain that sets the time. Blue: each component\'s '
            'resources from the first start to the last finish, running beside it.</p>'
            f'<div class="scroll">{timeline(r)}</div>'
            + _list(r.deploy_assumptions, f"assumptions ({len(r.deploy_assumptions)})")
            + "</section>")


def _cost(r: Report) -> str:
    apps_total = sum(r.cost_by_application.values())
    shared_total = sum(r.cost_shared.values())
    most = max([*r.cost_by_application.values(), *r.cost_shared.values(), 1.0])
    return ('<section id="cost"><h2>The monthly cost</h2>'
            f'<p>Estimated <b>{_usd(r.monthly_usd)}</b> a month (us-east-1 on-demand list '
            f'prices of {escape(r.prices_date)}, 730 h/month).</p><div class="row"><div>'
            '<h3>By kind</h3>'
            + bars(r.cost_by_kind, ident="cost-by-kind", label="monthly cost by kind",
                       colour="#4e79a7")
            + '</div><div><h3>By application: its own, and its share of the shared stores'
            '</h3>'
            f'<p class="note">{_usd(apps_total)} for the applications: the resources in each '
            'tenant, and each shared store split by consuming services.</p>'
            + bars(r.cost_by_application, ident="cost-by-application",
                       label="monthly cost of each application", colour="#59a14f",
                       scale_to=most)
            + '<h3>Shared platform, by component</h3>'
            f'<p class="note">{_usd(shared_total)} not split: shared by every '
            'application.</p>'
            + bars(r.cost_shared, ident="cost-shared", label="shared platform cost",
                       colour="#9c755f", scale_to=most)
            + "</div></div>"
            + _list(r.cost_assumptions, f"assumptions ({len(r.cost_assumptions)})")
            + "</section>")


def _checks(r: Report) -> str:
    rows = "".join(f'<tr><td><code>{escape(name)}</code></td><td class="unchecked">unchecked'
                   f'</td><td>{escape(text)}</td></tr>' for name, text in r.policies)
    unchecked = "".join(f"<li><b>{escape(kind)}</b>: {n}"
                        + _list(reasons, "which, and why") + "</li>"
                        for kind, n, reasons in r.unchecked)
    total = sum(n for _, n, _ in r.unchecked)
    return ('<section id="checks"><h2>Checks</h2>'
            f'<h3>Policy pack: not run in this report</h3><p class="unchecked">The '
            f'{len(r.policies)} policies below are not run here; run '
            '<code>pulumi preview --policy-pack policies</code> (the pull request\'s preview '
            'job does). None is reported as passing.</p>'
            f'<table><tr><th>policy</th><th>here</th><th>what it checks</th></tr>{rows}</table>'
            f'<h3>Unchecked offline ({total})</h3><p class="note">What the offline plan cannot '
            'check, and why: never reported as passing.</p>'
            f"<ul>{unchecked}</ul></section>")


def _data(r: Report) -> str:
    rows = "".join(
        f'<tr><td>{escape(s["top"])} / {escape(s["unit"])}</td><td>{escape(s["name"])}</td>'
        f'<td><code>{escape(s["type"])}</code></td>'
        + ('<td class="good">protected</td>' if s["protected"] else
           '<td class="bad">NOT protected</td>') + "</tr>" for s in r.stateful)
    kept = sum(s["protected"] for s in r.stateful)
    return ('<section id="data"><h2>Data</h2>'
            f'<p>{len(r.stateful)} stateful resources (losing or replacing them loses data), '
            f'{kept} protected: <code>pulumi destroy</code> and replacements stop at them.</p>'
            '<details open><summary>the stateful resources</summary><table><tr><th>component'
            '</th><th>name</th><th>type</th><th></th></tr>' + rows + "</table></details>"
            "</section>")


def _change(r: Report) -> str:
    if not r.against:
        return ('<section id="change"><h2>The change</h2><p class="note">No earlier plan given '
                '(<code>plan.py STACK --html FILE --against OLD.json</code> compares with one): '
                'nothing compared.</p></section>')
    if r.at_risk:
        risk = ('<div class="risk"><b class="bad">DATA AT RISK</b>: this change replaces or '
                f'deletes {len(r.at_risk)} stateful resources<ul>'
                + "".join(f'<li><code>{escape(x["type"])}</code> {escape(x["name"])}: '
                          f'{escape(x["change"])}</li>' for x in r.at_risk) + "</ul></div>")
    else:
        risk = '<p class="good">No stateful resource is replaced or deleted.</p>'
    short = [u.rsplit("::", 1)[-1] for u in r.added]
    empty = ('<p class="note">The earlier plan has no resources (the base branch could not '
             'plan this stack): everything is new.</p>' if r.added and not r.changed
             and not r.deleted and len(r.added) == r.total_resources else "")
    return ('<section id="change"><h2>The change</h2>' + empty +
            f'<p>Against the earlier plan: <b>{len(r.added)}</b> added, <b>{len(r.changed)}</b> '
            f'changed, <b>{len(r.deleted)}</b> deleted (boxes outlined red in the picture).</p>'
            + risk
            + _list(short, f"added ({len(r.added)})")
            + _list([u.rsplit("::", 1)[-1] for u in r.changed], f"changed ({len(r.changed)})")
            + _list([u.rsplit("::", 1)[-1] for u in r.deleted], f"deleted ({len(r.deleted)})")
            + '<p class="note">Offline, a replacement is known only for stateful resources (by '
              'the inputs that replace them, offline/stateful.py); any other change may update '
              'in place or replace, as the provider decides at preview.</p>'
            + _upgrade(r) + '</section>')


def _upgrade(r: Report) -> str:
    """A cluster.version step (offline/upgrade.py), in the order it runs."""
    u = r.upgrade
    if u is None:
        return ('<p class="note">No cluster upgrade: the cluster version is the same in both '
                'plans.</p>')
    problems = [str(p) for p in u.get("problems") or ()]
    steps = "".join(
        f'<li><b>{escape(str(s.get("step", "")))}</b>'
        + ("<ul>" + "".join(f"<li>{escape(str(c))}</li>" for c in s.get("changes") or ())
           + "".join(f'<li class="bad">REPLACES {escape(str(x))}</li>'
                     for x in s.get("replaces") or ()) + "</ul>"
           if s.get("changes") or s.get("replaces") else ": nothing changes")
        + "</li>" for s in u.get("steps") or ())
    found = ('<div class="risk"><b class="bad">UPGRADE PROBLEMS</b><ul>'
             + "".join(f"<li>{escape(p)}</li>" for p in problems) + "</ul></div>"
             if problems else '<p class="good">Every step updates in place.</p>')
    return (f'<h3>Cluster upgrade {escape(str(u.get("from")))} &rarr; '
            f'{escape(str(u.get("to")))}, in the order it runs</h3><ol>{steps}</ol>' + found)


def _destroy(r: Report) -> str:
    d = r.destroy
    if d is None:
        return ('<section id="destroy"><h2>Destroy</h2><p class="note">Not in this plan: '
                '<code>plan.py STACK --destroy --html FILE</code> adds what '
                '<code>pulumi destroy</code> would delete, in which order, and what it leaves '
                'behind.</p></section>')
    order = [str(u).rsplit("::", 1)[-1] for u in d.get("order") or ()]
    problems = [str(p.get("problem", p)) if isinstance(p, dict) else str(p)
                for p in d.get("problems") or ()]
    left = [x for x in d.get("leftBehind") or () if isinstance(x, dict)]
    stops = d.get("stopsAt") or ()
    found = ('<div class="risk"><b class="bad">ORDER PROBLEMS</b><ul>'
             + "".join(f"<li>{escape(p)}</li>" for p in problems) + "</ul></div>"
             if problems else '<p class="good">No ordering problem.</p>')
    rows = "".join(f'<tr><td>{escape(str(x.get("what", "")))}</td>'
                   f'<td><code>{escape(str(x.get("remove", "")))}</code></td></tr>'
                   for x in left)
    return ('<section id="destroy"><h2>Destroy</h2>'
            f'<p><code>pulumi destroy</code> deletes <b>{len(order)}</b> resources in '
            f'dependency order, with <b>{len(problems)}</b> ordering problems'
            + (f'; it stops at the <b>{len(stops)}</b> protected resources (what needs them '
               'goes first; they and what they need stay)' if stops else "") + '.</p>'
            + found
            + f'<h3>Left behind on purpose ({len(left)})</h3>'
            '<details><summary>each, with the command that removes it</summary><table><tr>'
            f'<th>what</th><th>to remove it</th></tr>{rows}</table></details>'
            + _list(order, f"the deletion order ({len(order)})") + "</section>")


def render(r: Report) -> str:
    tenants = ", ".join(sorted(r.tenants.values())) or "none"
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8"><title>shipyard plan: '
            f"{escape(r.stack)}</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{STYLE}</style></head><body>"
            f"<h1>Offline plan of stack <code>{escape(r.stack)}</code></h1>"
            f'<p class="note">Project {escape(r.project)}; applications: '
            f"{escape(tenants)}. Written by <code>plan.py {escape(r.stack)} --html</code> from "
            "the program run under mocks: no cloud, no credentials.</p>"
            + _totals(r) + _platform(r) + _deploy(r) + _cost(r) + _checks(r) + _data(r)
            + _change(r) + _destroy(r)
            + f"<script>{SCRIPT}</script></body></html>\n")
