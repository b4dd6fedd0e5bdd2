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
