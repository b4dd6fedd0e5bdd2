"""The fields snapshot readers share: lists of entries with their lines, string fields, and policy
documents given as strings (JSON, or URL-encoded JSON)."""

from __future__ import annotations

from urllib.parse import unquote

from permcheck.load.nodes import LineDict, line_of
from permcheck.load.policy_doc import parse_policy
from permcheck.model.location import InputError, Location
from permcheck.model.policy import Policy, PolicyKind

def entries(file: str, document: LineDict, key: str) -> list[tuple[LineDict, int | None]]:
    """The objects of list `key` with their lines (a missing list is an empty one)."""
    value = document.get(key)
    if value is None:
        return []
    where = document.line_of(key)
    if not isinstance(value, list):
        raise InputError(Location(file, where), f"{key} must be a list")
    lines = getattr(value, "item_lines", [])
    out = []
    for index, item in enumerate(value):
        line = lines[index] if index < len(lines) else where
        if not isinstance(item, LineDict):
            raise InputError(Location(file, line), f"{key} entries must be objects")
        out.append((item, item.line if item.line is not None else line))
    return out


def text_field(file: str, entry: LineDict, key: str, what: str, *, required: bool = True) -> str | None:
    """A string field of a snapshot entry; a missing required one is an InputError."""
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InputError(Location(file, entry.line_of(key)), f"{what} has no {key}" if value is None
                         else f"{what}: {key} must be a non-empty string")
    return value


def json_document(value: object) -> object:
    """A policy document given as a string: JSON, or URL-encoded JSON (the IAM API's form).

    Raises ValueError when it is neither. Decoded by `decode` as files are, so the same limits
    hold (duplicate keys as IAM rejects them, NaN, depth, lone surrogates, statements); the
    lines inside the string are dropped: errors point at the string.
    """
    from permcheck.load.decode import decode
    from permcheck.load.decode_json_fast import plain_json
    from permcheck.load.nodes import plain

    if not isinstance(value, str):
        raise ValueError("not a string")
    text = value.strip()
    if not text.startswith("{") and "%" in text:  # `%7B%22Version%22...`: RFC 3986, so `+` stays `+`
        text = unquote(text).strip()
    if not text.startswith(("{", "[")):
        raise ValueError("Expecting value: a JSON policy document starts with '{'")
    quick = plain_json(text)
    if quick is not None:
        return quick
    try:
        return plain(decode("policy.json", text.encode("utf-8", "surrogatepass")))
    except InputError as error:
        raise ValueError(error.message) from None


def document_policy(file: str, holder: LineDict, key: str, name: str, kind: PolicyKind) -> Policy:
    """The policy held in `holder[key]`: an object (statements keep their lines) or a string
    (JSON or URL-encoded JSON: its statements point at the string's line)."""
    raw = holder.get(key)
    line = holder.line_of(key)
    if isinstance(raw, str):
        try:
            raw = json_document(raw)
        except ValueError as error:
            raise InputError(Location(file, line), f"{key} of {name} is neither a JSON policy document "
                                                   f"nor URL-encoded JSON: {error}") from None
        return parse_policy(raw, name=name, kind=kind, location=Location(file, line))
    return parse_policy(raw, name=name, kind=kind, location=Location(file, line_of(raw, line)))


def resources_of(document: object) -> list[str]:
    """Every string in the `Resource` elements of a decoded policy document."""
    if not isinstance(document, dict):
        return []
    statements = document.get("Statement")
    out: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, dict):
            value = statement.get("Resource")
            out += [r for r in (value if isinstance(value, list) else [value]) if isinstance(r, str)]
    return out
