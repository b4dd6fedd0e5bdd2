"""AWS CLI account snapshots → the inventory.

Three outputs are read (the contract's input table):
- `aws iam get-account-authorization-details`: roles, users, groups and the managed
  policies they attach (`snapshot_iam`);
- `aws lambda list-functions`: functions and their execution roles (`snapshot_lambda`);
- `aws lambda get-policy`: one function's resource policy (`snapshot_lambda`).

Snapshots describe what is deployed, so ARNs come from the files themselves; the
accounts they name decide where templates given alongside them deploy (`accounts_of`).
Policy documents are objects in what the AWS CLI writes, but the IAM API returns them
URL-encoded (RFC 3986) and some tools save that string as is: both are read.
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
"""

from __future__ import annotations

import gc
from urllib.parse import unquote

from permcheck.load.nodes import LineDict, line_of
from permcheck.load.policy_doc import parse_policy
from permcheck.model.arn import account_of
from permcheck.model.entities import Inventory
from permcheck.model.location import InputError, Location
from permcheck.model.policy import Policy, PolicyKind

IAM_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def accounts_of(file: str, kind: str, document: object) -> set[str]:
    """The accounts a snapshot file describes, from the ARNs of what it lists.

    Only the snapshot's own entities count (not the principals its policies name), and
    nothing here raises: a malformed file is reported by `load` with its line.
    """
    if not isinstance(document, dict):
        return set()
    arns: list[object] = []
    if kind == "authorization-details":
        for key in IAM_LISTS:
            entries = document.get(key)
            if isinstance(entries, list):
                arns += [e.get("Arn") for e in entries if isinstance(e, dict)]
    elif kind == "list-functions":
        entries = document.get("Functions")
        if isinstance(entries, list):
            arns += [e.get("FunctionArn") for e in entries if isinstance(e, dict)]
    elif kind == "get-policy":
        try:
            raw = json_document(document.get("Policy"))
        except ValueError:
            return set()
        arns += resources_of(raw)
    return {a for a in (account_of(arn) for arn in arns if isinstance(arn, str)) if a}


def load(file: str, kind: str, document: object, inventory: Inventory) -> None:
    """Read one snapshot file into `inventory`; malformed content is an InputError with its line."""
    if not isinstance(document, LineDict):
        raise InputError(Location(file, line_of(document, 1)), f"{kind} output must be a JSON object")
    # Tens of thousands of small acyclic models: the cyclic collector would rescan the whole
    # decoded snapshot again and again (it halves the load time of a large account to skip it).
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        _load(file, kind, document, inventory)
    finally:
        if gc_was_on:
            gc.enable()


def _load(file: str, kind: str, document: LineDict, inventory: Inventory) -> None:
    if kind == "authorization-details":
        from permcheck.load import snapshot_iam
        snapshot_iam.load(file, document, inventory)
    elif kind == "list-functions":
        from permcheck.load import snapshot_lambda
        snapshot_lambda.load_functions(file, document, inventory)
    elif kind == "get-policy":
        from permcheck.load import snapshot_lambda
        snapshot_lambda.load_policy(file, document, inventory)
    else:
        raise InputError(Location(file, line_of(document, 1)), f"{kind} is not an account snapshot")


# -- shared by the snapshot readers -----------------------------------------------------------

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
    from permcheck.load.nodes import plain

    if not isinstance(value, str):
        raise ValueError("not a string")
    text = value.strip()
    if not text.startswith("{") and "%" in text:  # `%7B%22Version%22...`: RFC 3986, so `+` stays `+`
        text = unquote(text).strip()
    if not text.startswith(("{", "[")):
        raise ValueError("Expecting value: a JSON policy document starts with '{'")
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
