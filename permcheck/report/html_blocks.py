"""The pieces of the report's page (report/html.py): a finding, a function's or role's table, a row,
a decision, the statements behind it. Every value from the inputs goes through `escape`."""

from __future__ import annotations

from html import escape

from permcheck.report.graph_svg import TONES
from permcheck.report.wording import NO_PRINCIPAL, condition_parts, hop_parts, place, statement_name

def _e(value: object) -> str:
    """Escaped text of any value: for element content and quoted attributes alike."""
    return escape(str(value))


def _finding(f: dict) -> str:
    where = place(f["file"], f["line"])
    title = f' — {escape(f["title"])}' if f["title"] else ""
    severity = _e(f["severity"])
    parts = [f'<article class="finding sev-{severity}{" suppressed" if f["suppressed"] else ""}" data-filter>',
             f'<p class="head"><span class="chip sev-{severity}">{severity}</span> '
             f'<b>{escape(f["rule"])}</b>{title}</p>',
             f'<p class="where"><code>{escape(f["resource"])}</code> at <code>{escape(where)}</code></p>',
             f'<p class="message">{escape(f["message"])}</p>']
    if f["suppressed"]:
        parts.append(f'<p class="reason">Suppressed by {escape(f["suppressed"]["by"])}: '
                     f'{escape(f["suppressed"]["reason"])}</p>')
    if f["fix"]:
        parts.append(f'<p class="fix"><b>Fix:</b> {escape(f["fix"])}</p>')
    if f["docs"]:
        links = " · ".join(f'<a href="{escape(url)}">{escape(url)}</a>' for url in f["docs"] if _is_doc_link(url))
        parts.append(f'<p class="docs">AWS documentation: {links}</p>')
    parts.append("</article>")
    return "".join(parts)


def _is_doc_link(url: str) -> bool:
    """Only plain https links: a rule file's `docs` could hold `javascript:` or worse."""
    return url.startswith("https://") and not any(c in url for c in "\"'<> ")


def _legend() -> str:
    def line(tone: str, text: str, dashed: bool = False) -> str:
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        return (f'<li><svg width="44" height="12" aria-hidden="true"><line x1="2" y1="6" x2="42" y2="6" '
                f'stroke="{TONES[tone]}" stroke-width="{3 if tone == "public" else 2}"{dash}/></svg>{text}</li>')
    return ('<ul class="legend">'
            + line("public", "public: anyone (<code>*</code>) may do it")
            + line("cross", "cross-account: the principal is of another account")
            + line("plain", "may invoke / may access")
            + line("plain", "only under conditions (see the tables)", dashed=True)
            + line("assume", "may assume the role")
            + line("exec", "function runs as its execution role")
            + '<li><span class="badge-sample">!</span> named by a finding</li>'
            "<li>Execution roles' trust of <code>lambda.amazonaws.com</code> is not drawn.</li></ul>")


def function_block(fn: dict, anchor: str, heading: str | None = None, cli_name: str | None = None) -> str:
    """One function: where it is, what it runs as, its who-can-invoke table and the paths that
    make it run (who-can-trigger)."""
    meta = [f'<code>{escape(fn["arn"])}</code>']
    if fn["file"]:
        meta.append(f'{escape(fn["logical_id"] or "")} at <code>{escape(place(fn["file"], fn["line"]))}</code>')
    if fn["role"]:
        meta.append(f'runs as <code>{escape(fn["role"])}</code>')
    meta += [f"function URL, AuthType <code>{escape(u)}</code>" for u in fn["urls"]]
    rows = [_row((_principal(r), _decision(r["decision"]), _list(r["actions"]), _conditions(r["conditions"]),
                  _because(r["because"])), r) for r in fn["invokers"]]
    return (f'<div class="subject" id="{anchor}"><h3>{escape(heading or fn["name"])}</h3><p class="meta">'
            + " · ".join(meta) + "</p>"
            + _table("invokers", ("principal", "decision", "actions", "conditions", "because"), rows,
                     "No principal in the inputs can invoke it.")
            + _omitted(fn, "who-can-invoke", cli_name or fn["arn"]) + _notes(fn["invokers"])
            + _triggers(fn, cli_name or fn["arn"]) + "</div>")


def _triggers(fn: dict, name: str) -> str:
    """Who can make the function run: each path, shortest first, hop by hop in words (the
    terminal's wording), each hop with the statements or wiring that decide it."""
    command = f"<code>permcheck who-can-trigger {escape(name)} PATH... --format json</code>"
    if fn.get("triggers") is None:  # not asked: past the page's budget (report/html_apps.py)
        return f'<p class="note">Who can make it run: {command} lists the paths.</p>'
    rows = [_row((_principal(r) if r["principal"] else escape(NO_PRINCIPAL), _decision(r["decision"]),
                  _path(r["path"]), _conditions(r["conditions"])), r) for r in fn["triggers"]]
    more = (f'<p class="note">{_e(fn["triggers_omitted"])} more paths are not shown: {command} lists them all.</p>'
            if fn.get("triggers_omitted") else "")
    return ('<h4>Who can make it run</h4><p class="meta">Besides invoking it (above): through event sources '
            "and other functions, shortest paths first.</p>"
            + _table("triggers", ("principal", "decision", "path", "conditions"), rows,
                     "No path through an event source or another function makes it run.")
            + more + _notes(fn["triggers"]))


def _path(hops: list[dict]) -> str:
    """A path's hops, one a line: `wording.hop_parts` styled, then where each is decided (a
    request's notes are the path's, shown once under the table; a source's are its own)."""
    items = []
    for hop in hops:
        words = "".join(_styled(kind, text) for kind, text in hop_parts(hop))
        where = _because(hop.get("because", ()))
        notes = "".join(f"<br>note: {escape(n)}" for n in hop.get("notes", ()) if "source" in hop)
        items.append(f"<li>{words}" + (f'<div class="via">{where}{notes}</div>' if where or notes else "") + "</li>")
    return f'<ol class="path">{"".join(items)}</ol>'


def _styled(kind: str, text: str) -> str:
    if kind == "name":
        return f"<code>{escape(text)}</code>"
    if kind == "decision":
        return _decision(text)
    if kind == "invocation":
        return f'<span class="tag how">{escape(text)}</span>'
    return escape(text)


def role_block(role: dict, anchor: str, heading: str | None = None) -> str:
    """One execution role: where it is defined, which functions run as it, and what it may access."""
    meta = [f'<code>{escape(role["arn"])}</code>', "execution role of " + ", ".join(
        f"<b>{escape(name)}</b>" for name in role["functions"])]
    if role["file"]:
        meta.append(f'defined at <code>{escape(place(role["file"], role["line"]))}</code>')
    if not role["in_inputs"]:
        body = '<p class="none">This role is not in the inputs: its policies were not analysed.</p>'
    else:
        rows = [_row((_resource(r), _list(r["actions"]), _decision(r["decision"]), _conditions(r["conditions"]),
                      _because(r["because"])), r) for r in role["access"]]
        body = _table("access", ("resource", "actions", "decision", "conditions", "because"), rows,
                      "It can access nothing in the inputs.") + _omitted(role, "what-can-access", role["arn"]) \
            + _notes(role["access"])
    return (f'<div class="subject" id="{anchor}"><h3>{escape(heading or role["name"])}</h3><p class="meta">'
            + " · ".join(meta) + "</p>" + body + "</div>")


def _table(kind: str, columns: tuple[str, ...], rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="none">{escape(empty)}</p>'
    head = "".join(f"<th>{c}</th>" for c in columns)
    return f'<table class="{kind}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _row(cells: tuple[str, ...], row: dict) -> str:
    tone = " public" if row.get("public") else " cross" if row.get("cross_account") else ""
    return f'<tr class="{_e(row["decision"])}{tone}" data-filter>' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _principal(row: dict) -> str:
    out = f'<code>{escape(row["principal"])}</code>'
    if row.get("public"):
        out += ' <span class="tag public">public</span>'
    elif row.get("cross_account"):
        out += ' <span class="tag cross">cross-account</span>'
    if row.get("via"):
        out += '<div class="via">via ' + " → ".join(f"<code>{escape(v)}</code>" for v in row["via"]) + "</div>"
    if row.get("qualifier"):
        out += f'<div class="via">qualifier <code>{escape(row["qualifier"])}</code></div>'
    return out


def _resource(row: dict) -> str:
    out = f'<code>{escape(row["resource"])}</code>'
    if row.get("via"):
        out += '<div class="via">via ' + " → ".join(f"<code>{escape(v)}</code>" for v in row["via"]) + "</div>"
    return out


def _decision(value: str) -> str:
    return f'<span class="decision {escape(value)}">{escape(value)}</span>'


def _list(items: list[str]) -> str:
    return "<br>".join(f"<code>{escape(str(i))}</code>" for i in items)


def _conditions(conditions: list[dict]) -> str:
    lines = []
    for c in conditions:
        parts = condition_parts(c)
        if isinstance(parts, str):
            lines.append(escape(parts))
        else:
            negated, operator, key, values = parts
            lines.append(f'{"<b>not</b> " if negated else ""}<code>{escape(operator)}</code> '
                         f'<code>{escape(key)}</code> {", ".join(escape(v) for v in values)}')
    return "<br>".join(lines)


def _because(entries: list[dict]) -> str:
    return "<br>".join(f'<code>{escape(place(b["file"], b.get("line")))}</code> {escape(statement_name(b))}'
                       for b in entries)


def _omitted(subject: dict, command: str, name: str) -> str:
    if not subject.get("omitted"):
        return ""
    return (f'<p class="note">{_e(subject["omitted"])} more rows are not shown: '
            f"<code>permcheck {command} {escape(name)} PATH... --format json</code> lists them all.</p>")


def _notes(rows: list[dict]) -> str:
    seen: list[str] = []
    for row in rows:
        seen += [n for n in row.get("notes", ()) if n not in seen]
    return "".join(f'<p class="note">note: {escape(n)}</p>' for n in seen)


