"""`permcheck report`: the model (report/html_model.py) as one self-contained HTML page.

Self-contained means readable offline and forever: inline CSS, the picture as inline SVG,
no fonts, scripts or styles from anywhere else. A Content-Security-Policy with the hashes
of the page's own style and script enforces it in the browser: nothing else may load or
run, so even a value that escaped escaping could not execute. Every value from the inputs
— templates are untrusted — goes through `html.escape`. The small script only adds a
filter box; without it the page is complete.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from permcheck.report import html_sections
from permcheck.report.graph_svg import render_svg
from permcheck.report.html_assets import CSS, SCRIPT
from permcheck.report.html_blocks import _e, _finding, _legend, function_block, role_block

SEVERITIES = ("critical", "high", "medium", "low")


def render_html(model: dict) -> str:
    """The whole page for `model` (see html_build.build_model)."""
    about = model["about"]
    inputs = ", ".join(about.get("inputs", ())) or "the inputs"
    if "applications" in model:  # many applications: what to act on, then one section each
        sections = html_sections.body(model)
    else:
        sections = [_findings(model["findings"]), _graph(model["graph"]), _functions(model["functions"]),
                    _roles(model["roles"])]
    body = "\n".join((
        _header(model, inputs), _errors(model["errors"]), *sections,
        f'<footer>Generated offline by permcheck {escape(str(about.get("version", "")))}. '
        "Decisions follow AWS's policy evaluation logic; see the "
        '<a href="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html">'
        "IAM documentation</a>.</footer>"))
    csp = (f"default-src 'none'; style-src '{_sha(CSS)}'; script-src '{_sha(SCRIPT)}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="referrer" content="no-referrer">\n'
            f"<title>permcheck report: {escape(inputs)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n")


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _header(model: dict, inputs: str) -> str:
    about, summary = model["about"], model["summary"]
    chips = "".join(f'<span class="chip {"muted" if not summary[s] else "sev-" + s}">{_e(summary[s])} {s}</span>'
                    for s in SEVERITIES)
    if summary["suppressed"]:
        chips += f'<span class="chip muted">{_e(summary["suppressed"])} suppressed</span>'
    facts = (f'{summary["functions"]} function(s), {summary["execution_roles"]} execution role(s); '
             f'{summary["public_functions"]} invocable by anyone; '
             f'{summary["cross_account_invokers"]} cross-account invoker(s)')
    return (f'<header><h1>permcheck report</h1><p class="meta">{escape(inputs)} — analysed as deployed into '
            f'account <code>{escape(str(about["account"]))}</code>, region <code>{escape(str(about["region"]))}'
            f'</code></p><p class="chips">{chips}</p><p class="meta">{escape(facts)}</p>'
            + _scaled_header(model) +
            '<p id="filter-wrap" hidden><label>Filter rows <input id="filter" type="search" '
            'placeholder="principal, resource, action, rule…"></label> <span id="filter-count"></span></p></header>')


def _scaled_header(model: dict) -> str:
    """The navigation, and for a monorepo its applications and deployments."""
    if "applications" not in model:
        return ('<nav><a href="#findings">Findings</a> · <a href="#graph">Graph</a> · '
                '<a href="#who-can-invoke">Who can invoke</a> · '
                '<a href="#roles">What execution roles can access</a></nav>')

    return (f'<p class="meta">{len(model["applications"])} applications</p>'
            + html_sections.deployments(model["deployments"]) + html_sections.nav())


def _errors(errors: list[str]) -> str:
    if not errors:
        return ""
    items = "".join(f"<li>{escape(e)}</li>" for e in errors)
    return ('<section class="errors"><h2>Errors</h2><p>Rules that failed: their findings are missing.</p>'
            f"<ul>{items}</ul></section>")


def _findings(findings: list[dict]) -> str:
    active = [f for f in findings if not f["suppressed"]]
    out = ['<section id="findings"><h2>Findings</h2>']
    if not findings:
        out.append('<p class="none">No findings.</p>')
    for severity in SEVERITIES:
        group = [f for f in active if f["severity"] == severity]
        if group:
            out.append(f'<h3><span class="chip sev-{severity}">{severity}</span> {len(group)}</h3>')
            out += [_finding(f) for f in group]
    suppressed = [f for f in findings if f["suppressed"]]
    if suppressed:
        out.append(f'<h3><span class="chip muted">suppressed</span> {len(suppressed)}</h3>')
        out += [_finding(f) for f in suppressed]
    out.append("</section>")
    return "\n".join(out)


def _graph(graph: dict) -> str:
    total = graph["total"]
    out = ['<section id="graph"><h2>Graph</h2>',
           f'<p>{total["nodes"]} nodes, {total["edges"]} edges: who may invoke each function, the role it runs as, '
           "and what that role may access. Hover a box or a line for its full name and actions.</p>"]
    if graph["note"]:
        out.append(f'<p class="note">{escape(graph["note"])}</p>')
    svg = render_svg(graph)
    out.append(f'<div class="picture">{svg}</div>' if svg else '<p class="none">Nothing to draw.</p>')
    out.append(_legend())
    out.append("</section>")
    return "\n".join(out)


def _functions(functions: list[dict]) -> str:
    out = [f'<section id="who-can-invoke"><h2>Who can invoke each function ({len(functions)})</h2>']
    if not functions:
        out.append('<p class="none">No function in the inputs.</p>')
    out += [function_block(fn, f"fn-{i}") for i, fn in enumerate(functions)]
    out.append("</section>")
    return "\n".join(out)


def _roles(roles: list[dict]) -> str:
    out = [f'<section id="roles"><h2>What each execution role can access ({len(roles)})</h2>']
    if not roles:
        out.append('<p class="none">No function in the inputs names an execution role.</p>')
    out += [role_block(role, f"role-{i}") for i, role in enumerate(roles)]
    out.append("</section>")
    return "\n".join(out)
