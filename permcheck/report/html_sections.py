"""The sections of a monorepo's page (report/html_apps.py made its model): what to act on
first, then one collapsed `<details>` per application. `<details>` needs no script, so the
page stays complete (and its Content-Security-Policy unchanged) with scripts off.
"""

from __future__ import annotations

from html import escape

from permcheck.report import html_blocks as page
from permcheck.report.graph_svg import render_svg
from permcheck.report.wording import place

SEVERITIES = ("critical", "high", "medium", "low")
OPEN_SEVERITIES = ("critical", "high")


def body(model: dict) -> list[str]:
    """The sections after the header and errors."""
    return [_findings(model["findings"]), _entry_points(model["entry_points"]),
            _risky(model["roles"], model["risky_roles"]), _graphs(model),
            _applications(model)]


def nav() -> str:
    return ('<nav><a href="#findings">Findings</a> · <a href="#entry-points">Entry points</a> · '
            '<a href="#risky-roles">Riskiest roles</a> · <a href="#graph">Graphs</a> · '
            '<a href="#applications">Applications</a></nav>')


def deployments(labels: list[str]) -> str:
    if not labels:
        return ""
    items = "".join(f"<li>{escape(label)}</li>" for label in labels)
    return ('<p class="meta">Some templates cannot deploy side by side (they create the same physical name): '
            f"they were analysed as {len(labels)} deployments, each with the account snapshots.</p>"
            f'<ul class="meta">{items}</ul>')


def _findings(findings: list[dict]) -> str:
    out = ['<section id="findings"><h2>Findings</h2>']
    if not findings:
        out.append('<p class="none">No findings.</p>')
    active = [f for f in findings if not f["suppressed"]]
    groups = [(s, [f for f in active if f["severity"] == s]) for s in SEVERITIES]
    groups.append(("suppressed", [f for f in findings if f["suppressed"]]))
    for severity, group in groups:
        if not group:
            continue
        chip = f'<span class="chip {"muted" if severity == "suppressed" else "sev-" + severity}">{severity}</span>'
        articles = "\n".join(page._finding(f) for f in group)
        if severity in OPEN_SEVERITIES:
            out.append(f"<h3>{chip} {len(group)}</h3>\n{articles}")
        else:
            out.append(f"<details><summary><h3>{chip} {len(group)}</h3></summary>\n{articles}</details>")
    out.append("</section>")
    return "\n".join(out)


def _entry_points(entry: dict) -> str:
    out = ['<section id="entry-points"><h2>Entry points: public and cross-account invokers</h2>']
    rows = [page._row((f'<b>{escape(r["function"])}</b><div class="via">{escape(r["application"])} · '
                       f'<code>{escape(place(r["file"], r["line"]))}</code></div>',
                       page._principal(r), page._decision(r["decision"]), page._list(r["actions"]),
                       page._conditions(r["conditions"]), page._because(r["because"])), r)
            for r in entry["rows"]]
    out.append(page._table("invokers", ("function", "principal", "decision", "actions", "conditions", "because"),
                           rows, "No function is invocable by anyone or by another account."))
    if entry["omitted"]:
        out.append(f'<p class="note">{entry["omitted"]} more rows are not shown: '
                   "<code>permcheck check PATH... --format json</code> lists the findings they cause, and "
                   "<code>permcheck who-can-invoke FUNCTION PATH...</code> each function's.</p>")
    out.append("</section>")
    return "\n".join(out)


def _risky(roles: list[dict], chosen: list[int]) -> str:
    out = ['<section id="risky-roles"><h2>Riskiest execution roles</h2>',
           '<p class="meta">Roles of functions anyone or another account can invoke first, then those '
           "findings name, then those with grants on <code>*</code>.</p>"]
    if not chosen:
        out.append('<p class="none">No execution role stands out.</p>')
    out += [_role(roles[i], f"risky-{n}") for n, i in enumerate(chosen)]
    out.append("</section>")
    return "\n".join(out)


def _graphs(model: dict) -> str:
    out = ['<section id="graph"><h2>Graphs, one application at a time</h2>',
           "<p>Who may invoke each function of the application, the role it runs as, and what that role "
           "may access. Open one; hover a box or a line for its full name and actions.</p>"]
    for n, entry in enumerate(model["graphs"]):
        graph = entry["graph"]
        svg = render_svg(graph)
        note = f'<p class="note">{escape(graph["note"])}</p>' if graph["note"] else ""
        out.append(f'<details{" open" if n == 0 else ""}><summary>{escape(entry["application"])} — '
                   f'{graph["total"]["nodes"]} nodes, {graph["total"]["edges"]} edges</summary>{note}'
                   + (f'<div class="picture">{svg}</div>' if svg else '<p class="none">Nothing to draw.</p>')
                   + "</details>")
    if model["graphs_omitted"]:
        out.append(f'<p class="note">{len(model["graphs_omitted"])} more applications are not drawn: '
                   "<code>permcheck graph FOLDER --format dot</code> draws one.</p>")
    out.append(page._legend())
    out.append("</section>")
    return "\n".join(out)


def _applications(model: dict) -> str:
    out = [f'<section id="applications"><h2>Applications ({len(model["applications"])})</h2>']
    for n, entry in enumerate(model["applications"]):
        facts = [f'{len(entry["functions"])} function(s)']
        facts += [f"{count} {severity}" for severity in SEVERITIES if (count := entry["findings"].get(severity))]
        if entry["public"]:
            facts.append(f'{entry["public"]} public')
        if entry["cross_account"]:
            facts.append(f'{entry["cross_account"]} cross-account invoker(s)')
        functions = [model["functions"][i] for i in entry["functions"]]
        roles = [model["roles"][i] for i in entry["roles"]]
        parts = [_function(fn, f"app-{n}-fn-{k}") for k, fn in enumerate(functions) if "compact" not in fn]
        parts += [_role(role, f"app-{n}-role-{k}") for k, role in enumerate(roles) if "compact" not in role]
        parts.append(_compact([fn for fn in functions if "compact" in fn], "function", "who may invoke it",
                              "permcheck who-can-invoke FILE#LogicalId PATH..."))
        parts.append(_compact([role for role in roles if "compact" in role], "execution role",
                              "what it may access", "permcheck what-can-access ROLE PATH..."))
        out.append(f'<details class="application"><summary><b>{escape(entry["label"])}</b> — '
                   f'{escape(", ".join(facts))}</summary>' + "".join(parts) + "</details>")
    out.append("</section>")
    return "\n".join(out)


def _function(fn: dict, anchor: str) -> str:
    return page.function_block(fn, anchor, _shown(fn), _name(fn))


def _role(role: dict, anchor: str) -> str:
    return page.role_block(role, anchor, _shown(role))


def _compact(subjects: list[dict], what: str, column: str, command: str) -> str:
    """Functions or roles past the row budget: one line each, their answers in numbers."""
    if not subjects:
        return ""
    rows = "".join(f'<tr data-filter><td><b>{escape(_shown(s, where=False))}</b></td>'
                   f'<td><code>{escape(place(s["file"], s["line"]))}</code></td>'
                   f'<td>{_said(s["total"], s["compact"])}</td></tr>' for s in subjects)
    return (f'<table class="compact"><thead><tr><th>{what}</th><th>defined at</th><th>{column}'
            f'</th></tr></thead><tbody>{rows}</tbody></table><p class="note"><code>{command}</code> lists them.</p>')


def _said(total: int, counts: dict) -> str:
    if "statements" in counts:  # access not asked (past the page's budget): the policies in numbers
        return f'{counts["statements"]} Allow statement(s), {counts["broad"]} on * or a wildcard action'
    said = [f'{counts["allowed"]} allowed', f'{counts["conditional"]} conditional']
    said += [f'{counts[k]} {k.replace("_", "-")}' for k in ("public", "cross_account") if counts[k]]
    return f'{total} ({escape(", ".join(said))})'


def _shown(subject: dict, where: bool = True) -> str:
    """A heading: the name, or the logical id when the name is one CloudFormation generates."""
    if "${?" in subject["name"] and subject.get("logical_id") and subject.get("file"):
        return f'{subject["logical_id"]} (generated name' + (f'; {subject["file"]})' if where else ")")
    return subject["name"]


def _name(fn: dict) -> str:
    """How the CLI names one function: FILE#LogicalId when a template defines it."""
    return f'{fn["file"]}#{fn["logical_id"]}' if fn["file"] and fn["logical_id"] else fn["arn"]
