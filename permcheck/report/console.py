"""Rich tables for people at a terminal: one row per answer, where it came from."""

from __future__ import annotations

import os

from rich.console import Console
from rich.table import Table
from rich.text import Text

STYLE = {"allowed": "bold green", "denied": "bold red", "conditional": "bold yellow"}


def _decision(value: str) -> Text:
    return Text(value, style=STYLE.get(value, ""))


def _conditions(conditions: list[dict]) -> str:
    lines = []
    for c in conditions:
        if "unknown" in c:
            lines.append(f"unknown: {c['unknown']}")
        else:
            prefix = "not " if c.get("effect") == "Deny" else ""
            lines.append(f"{prefix}{c['operator']} {c['key']} {', '.join(c['values'])}")
    return "\n".join(lines)


def _where(entries: list[dict]) -> str:
    out = []
    for b in entries:
        place = f"{b['file']}:{b['line']}" if b.get("line") else b["file"]
        name = b["policy"] + (f" ({b['sid']})" if b.get("sid") and b["sid"] != b["policy"] else "")
        if b.get("note") and b["policy"] in b["note"]:
            name = b["note"]
        elif b.get("note"):
            name += f" — {b['note']}"
        out.append(f"{place} {name}")
    return "\n".join(out)


def _notes(rows: list[dict]) -> list[str]:
    seen: list[str] = []
    for row in rows:
        seen += [n for n in row.get("notes", []) if n not in seen]
    return seen


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
