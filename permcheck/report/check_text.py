"""`check` for people: findings grouped by severity, each with where, why and the fix."""

from __future__ import annotations

import os

from rich.console import Console
from rich.text import Text

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "bold yellow", "low": "cyan"}


def console_for_output() -> Console:
    console = Console(soft_wrap=False)
    if not console.is_terminal:  # piped: do not fold at 80 columns unless COLUMNS says so
        console = Console(soft_wrap=False, width=int(os.environ.get("COLUMNS") or 160))
    return console


def render_check(result, rules, console: Console | None = None) -> None:
    """Findings, highest severity first; suppressed ones listed last, with their reason."""
    console = console or console_for_output()
    fixes = {rule.id: " ".join(rule.spec.fix.split()) for rule in rules}
    active = [f for f in result.findings if f.suppressed is None]
    suppressed = [f for f in result.findings if f.suppressed is not None]
    for severity in ("critical", "high", "medium", "low"):
        group = [f for f in active if f.severity.value == severity]
        if not group:
            continue
        console.print(Text(f" {severity.upper()} ({len(group)}) ", style=SEVERITY_STYLE[severity]))
        for f in group:
            place = f"{f.file}:{f.line}" if f.line else f.file
            console.print(Text.assemble(("  ", ""), (f.rule, "bold"), f"  {f.resource}  ", (place, "dim")))
            _indented(console, f.message)
            if f.fix:
                _indented(console, f"suggested: {f.fix} (checked by the evaluator)", "bold green")
            if fixes.get(f.rule):
                _indented(console, f"fix: {fixes[f.rule]}", "green")
        console.print()
    if suppressed:
        console.print(Text(f" SUPPRESSED ({len(suppressed)}) ", style="dim reverse"))
        for f in suppressed:
            console.print(Text(f"  {f.rule}  {f.resource}  {f.file}:{f.line or ''} — {f.suppressed.reason} "
                               f"(by {f.suppressed.by})", style="dim"))
        console.print()
    for error in result.errors:
        console.print(Text(f"error: {error}", style="bold red"))
    counts = {s: sum(1 for f in active if f.severity.value == s) for s in ("critical", "high", "medium", "low")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    console.print(Text(f"{len(active)} finding(s): {summary}" + (f"; {len(suppressed)} suppressed" if suppressed else ""),
                       style="bold"))


def _indented(console: Console, text: str, style: str = "") -> None:
    """Text wrapped to the console, every line indented under its finding."""
    import textwrap
    for line in textwrap.wrap(text, width=max(console.width - 4, 40), break_on_hyphens=False):
        console.print(Text("    " + line, style=style))


def render_rules(rules, whole: bool, console: Console | None = None) -> None:
    """`permcheck rules`: a table of the rules; with an id, that rule's documentation."""
    console = console or console_for_output()
    if whole:
        from rich.markdown import Markdown

        from permcheck.rules.docs import rule_markdown
        console.print(Markdown(rule_markdown(rules[0])))
        return
    from rich.table import Table

    table = Table(title="Rules in force")
    for column in ("id", "severity", "description"):
        table.add_column(column)
    for rule in rules:
        severity = Text(rule.severity.value, style=SEVERITY_STYLE[rule.severity.value])
        title = rule.spec.title + ("" if rule.enabled else " (disabled)") + ("" if rule.builtin else " (custom)")
        table.add_row(rule.id, severity, title)
    console.print(table)
