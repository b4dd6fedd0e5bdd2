"""Rich tables for people at a terminal: one row per answer, where it came from."""

from __future__ import annotations

import os

from rich.console import Console
from rich.table import Table
from rich.text import Text

from permcheck.report.wording import NO_PRINCIPAL, condition_parts, hop_parts, place, statement_name

STYLE = {"allowed": "bold green", "denied": "bold red", "conditional": "bold yellow"}


def _decision(value: str) -> Text:
    return Text(value, style=STYLE.get(value, ""))


def _conditions(conditions: list[dict]) -> str:
    lines = []
    for c in conditions:
        parts = condition_parts(c)
        if isinstance(parts, str):
            lines.append(parts)
        else:
            negated, operator, key, values = parts
            lines.append(f"{'not ' if negated else ''}{operator} {key} {', '.join(values)}")
    return "\n".join(lines)


def _where(entries: list[dict]) -> str:
    return "\n".join(f"{place(b['file'], b.get('line'))} {statement_name(b)}" for b in entries)


def _notes(rows: list[dict]) -> list[str]:
    seen: list[str] = []
    for row in rows:
        seen += [n for n in row.get("notes", []) if n not in seen]
    return seen


def _hop(hop: dict) -> str:
    """One hop of a path, on one line (then where it is written)."""
    line = "".join(text for _, text in hop_parts(hop))
    where = _where(hop.get("because", []))
    return line + (f"\n    {where}" if where else "")


def render(result: dict, command: str, console: Console | None = None) -> None:
    if console is None:
        console = Console(soft_wrap=False)
        if not console.is_terminal:
            # piped or redirected: do not fold at 80 columns unless COLUMNS says so
            console = Console(soft_wrap=False, width=int(os.environ.get("COLUMNS") or 160))
    if command == "who-can-invoke":
        table = Table(title=f"Who can invoke {result['function']}", show_lines=True)
        for column in ("principal", "decision", "actions", "conditions", "where"):
            table.add_column(column, overflow="fold")
        for row in result["principals"]:
            principal = row["principal"] + (f"\n  via {' → '.join(row['via'])}" if row.get("via") else "") + \
                (f"\n  (qualifier {row['qualifier']})" if row.get("qualifier") else "")
            table.add_row(principal, _decision(row["decision"]), "\n".join(row["actions"]),
                          _conditions(row["conditions"]), _where(row["because"]))
        rows = result["principals"]
        empty = "No principal in the inputs can invoke it."
    elif command == "who-can-trigger":
        table = Table(title=f"Who can make {result['function']} run", show_lines=True, expand=True)
        for column, ratio in (("principal", 2), ("decision", None), ("path", 6), ("conditions", 2)):
            table.add_column(column, overflow="fold", ratio=ratio, no_wrap=ratio is None)
        for row in result["triggers"]:
            table.add_row(row["principal"] or NO_PRINCIPAL, _decision(row["decision"]),
                          "\n".join(_hop(hop) for hop in row["path"]), _conditions(row["conditions"]))
        rows = result["triggers"]
        empty = "No principal in the inputs can make it run."
    elif command == "what-can-access":
        table = Table(title=f"What {result['principal']} can access", show_lines=True)
        for column in ("resource", "actions", "decision", "conditions", "where"):
            table.add_column(column, overflow="fold")
        for row in result["access"]:
            resource = row["resource"] + (f"\n  via {' → '.join(row['via'])}" if row.get("via") else "")
            table.add_row(resource, "\n".join(row["actions"]), _decision(row["decision"]),
                          _conditions(row["conditions"]), _where(row["because"]))
        rows = result["access"]
        empty = "It can access nothing in the inputs."
    else:
        console.print(Text.assemble(f"{result['principal']} → {result['action']} on {result['resource']}: ",
                                    _decision(result["decision"])))
        if result["conditions"]:
            console.print("when:\n" + _conditions(result["conditions"]))
        if result["because"]:
            console.print("because:\n" + _where(result["because"]))
        for note in result.get("notes", []):
            console.print(f"note: {note}", style="dim")
        return
    if rows:
        console.print(table)
    else:
        console.print(empty)
    for note in _notes(rows):
        console.print(f"note: {note}", style="dim")


# -- permcheck diff -----------------------------------------------------------------------------
def render_diff(result: dict, console: Console | None = None) -> None:
    """`permcheck diff` for a reviewer: access added by NEW, then access removed, one row per
    principal, resource and change (actions of one change together), each with where it comes from."""
    if console is None:
        console = Console(soft_wrap=False)
        if not console.is_terminal:
            console = Console(soft_wrap=False, width=int(os.environ.get("COLUMNS") or 160))
    old, new = result.get("old", "OLD"), result.get("new", "NEW")
    for part, other, title in (("added", "was", f"Access added by {new} (compared with {old})"),
                               ("removed", "now", f"Access removed by {new} (compared with {old})")):
        rows = result[part]
        if not rows:
            console.print(f"No access {part}.", style="bold green" if part == "added" else "")
            continue
        table = Table(title=title, show_lines=True)
        for column in ("principal", "actions", "resource", "decision", "conditions", "where"):
            table.add_column(column, overflow="fold")
        for entry, actions in _diff_groups(rows):
            before, after = (entry[other], entry) if part == "added" else (entry, entry[other])
            principal = entry["principal"] + (f"\n  via {' → '.join(entry['via'])}" if entry.get("via") else "")
            decision = Text.assemble(_decision(before["decision"]), " → ", _decision(after["decision"]),
                                     f"\n({entry['change']})")
            conditions = _conditions(list(entry["conditions"]))
            if entry["change"] in ("loosened", "tightened"):
                conditions = "was:\n" + _conditions(list(before["conditions"])) + \
                    "\nnow:\n" + _conditions(list(after["conditions"]))
            table.add_row(principal, "\n".join(actions), entry["resource"], decision, conditions,
                          _where(list(entry["because"])))
        console.print(table)
        for note in _notes(rows):
            console.print(f"note: {note}", style="dim")
    added, removed = len(result["added"]), len(result["removed"])
    console.print(f"{added} added, {removed} removed: {new} compared with {old}.",
                  style="bold red" if added else "bold green")


def _diff_groups(rows: list[dict]) -> list[tuple[dict, list[str]]]:
    """Rows that differ only in their action, as one row with the actions listed."""
    groups: dict[tuple, tuple[dict, list[str]]] = {}
    for row in rows:
        frozen = tuple((k, _hashable(v)) for k, v in row.items() if k not in ("action", "notes"))
        groups.setdefault(frozen, (row, []))[1].append(row["action"])
    return list(groups.values())


def _hashable(value):
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value
