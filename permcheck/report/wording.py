"""How an answer's condition entries and `because` entries read, in words: one wording for the
terminal (console.py) and the page (html_blocks.py), each of which only styles the parts."""

from __future__ import annotations


def condition_parts(entry: dict) -> tuple[bool, str, str, list[str]] | str:
    """A condition entry as the contract writes it → (negated, operator, key, values), or, for an
    unknown, the text "unknown: …"."""
    if "unknown" in entry:
        return f"unknown: {entry['unknown']}"
    return (entry.get("effect") == "Deny", str(entry.get("operator", "")), str(entry.get("key", "")),
            [str(v) for v in entry.get("values", ())])


def place(file: str | None, line: int | None) -> str:
    return f"{file}:{line}" if file and line else file or ""


def statement_name(entry: dict) -> str:
    """A `because` entry's statement: its policy and sid; a note that names the policy (SAM's
    "created by SAM: …") stands for both, any other note follows."""
    name = str(entry.get("policy") or "")
    if entry.get("sid") and entry["sid"] != name:
        name += f" ({entry['sid']})"
    note = entry.get("note")
    if note and entry.get("policy") and entry["policy"] in note:
        return note
    return f"{name} — {note}" if note else name


NO_PRINCIPAL = "(AWS, or the source's own users)"  # a who-can-trigger path whose principal is null


def hop_parts(hop: dict) -> list[tuple[str, str]]:
    """One hop of a who-can-trigger path (the contract's JSON) as (kind, text) parts, kinds
    "text", "name" (a principal, an action, an ARN, an event), "decision" and "invocation" (sync,
    async, poll): the terminal and the page say a path alike and only style it apart."""
    if "runs_as" in hop:
        return [("text", "→ runs "), ("name", hop["function"]), ("text", " as "), ("name", hop["runs_as"])]
    if "source" in hop:
        event = [("name", hop["event"]), ("text", " ")] if hop.get("event") else []
        authorization = [("text", ", authorization "), ("name", hop["authorization"])] if hop.get("authorization") else []
        return [("text", "→ "), ("name", hop["source"]), ("text", " "), *event, ("text", "on "),
                ("name", hop["resource"]), ("text", " ("), ("invocation", hop["invocation"]), *authorization,
                ("text", ")")]
    parts = [("name", hop["principal"]), ("text", ": ")] if hop.get("principal") else []
    parts += [("name", hop["action"]), ("text", " on "), ("name", hop["resource"])]
    for n, role in enumerate(hop.get("via", ())):
        parts += [("text", " via " if n == 0 else " → "), ("name", role)]
    return parts + [("text", ": "), ("decision", hop["decision"])]
