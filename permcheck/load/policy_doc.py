"""Turn a decoded policy document into a `Policy`, or a `Policy` that carries its error.

IAM rejects a malformed document at deploy time; permcheck keeps it, marked with
`error` and the line, so that `check` reports it as `invalid-policy` and a query
that depends on it refuses to answer (exit 2) instead of guessing.
Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
"""

from __future__ import annotations

import json
import re

from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.load.source_notes import sam_origin
from permcheck.model.location import Location
from permcheck.model.policy import (
    ANYONE, CLAUSE_FIELDS, POLICY_FIELDS, TEXT_TYPES, VERSIONS, Clause, Effect, Policy, PolicyKind, Statement, built,
    built_from, normalise_principal,
)
from permcheck.model.values import Sym, Unknown

STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                  "Principal", "NotPrincipal", "Condition"}
PRINCIPAL_KEYS = {"AWS", "Service", "Federated", "CanonicalUser"}
ACTION = re.compile(r"^(\*|[A-Za-z0-9\-]+:[A-Za-z0-9*?\-_]*)$")
# tuples, not sets: a member is found by identity, where a set would hash it in Python (Enum.__hash__)
NEEDS_RESOURCE = (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SCP, PolicyKind.RCP)
NEEDS_PRINCIPAL = (PolicyKind.RESOURCE, PolicyKind.TRUST, PolicyKind.RCP)
EFFECTS = {"Allow": Effect.ALLOW, "Deny": Effect.DENY}


class Malformed(Exception):
    """Raised inside this module for a document IAM would reject."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def parse_policy(document: object, *, name: str, kind: PolicyKind, location: Location,
                 source_note: str | None = None, holder: str | None = None) -> Policy:
    """A `Policy` from a decoded (and intrinsic-resolved) document; never raises for bad input."""
    if isinstance(document, (Unknown, Sym)):
        return Policy(name=name, kind=kind, location=location,
                      unknown=document if isinstance(document, Unknown) else Unknown(f"policy document {name}"))
    try:
        document = _from_json_string(document, location)
        statements = _statements(document, name, kind, location, source_note)
        origin = sam_origin(source_note)
        if holder is not None or origin["sam_resource"] is not None:
            statements = tuple(s.model_copy(update={"holder": holder, **origin}) for s in statements)
    except Malformed as bad:
        where = Location(location.file, bad.line if bad.line is not None else location.line)
        return Policy(name=name, kind=kind, location=location, error=bad.message, error_location=where,
                      holder=holder)
    except _UnknownContent as unknown:
        return Policy(name=name, kind=kind, location=location, unknown=unknown.value)
    if type(name) is str and type(kind) is PolicyKind and type(location) is Location:  # as validation keeps them
        return built(Policy, POLICY_FIELDS, name=name, kind=kind, location=location, statements=statements)
    return Policy(name=name, kind=kind, location=location, statements=statements)


def parse_alike(document: LineDict, *, name: str, kind: PolicyKind, location: Location, seen: dict) -> Policy:
    """`parse_policy` of a document of plain JSON values (a snapshot's), where many are written alike:
    a role's trust policy is most often one of a few (2,000 roles of gen_org's medium account trust
    in 258 ways). The first document of a content is parsed; one written alike takes its statements,
    each at its own line and with this policy's name, as parsing it would make them (`seen`: the
    contents met, held by the caller for one file). Content is the document's repr, which tells
    JSON values apart exactly (`1`, `1.0`, `true`, `"1"` each read differently). A document that
    does not parse cleanly is parsed again each time: its error names its own line."""
    key = (kind, repr(document))
    first = seen.get(key)
    if first is None or first.error is not None or first.unknown is not None or type(name) is not str \
            or type(kind) is not PolicyKind or type(location) is not Location \
            or not isinstance(document.get("Statement"), (LineDict, LineList)):
        policy = parse_policy(document, name=name, kind=kind, location=location)
        seen.setdefault(key, policy)
        return policy
    raw = document["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    lines = raw.item_lines if isinstance(raw, LineList) else []
    here = line_of(document, location.line)
    statements = tuple(
        built(Statement, s.__pydantic_fields_set__, **{**s.__dict__, "policy": name, "location": Location(
            location.file, line_of(item, lines[index] if index < len(lines) else here))})
        for index, (item, s) in enumerate(zip(items, first.statements)))
    return built(Policy, POLICY_FIELDS, name=name, kind=kind, location=location, statements=statements)


class _UnknownContent(Exception):
    def __init__(self, value: Unknown) -> None:
        super().__init__(value.reason)
        self.value = value


def _from_json_string(document: object, location: Location) -> object:
    """A policy given as a JSON string (CloudFormation allows it) is decoded in place."""
    if not isinstance(document, str):
        return document
    from permcheck.load.decode import decode
    from permcheck.model.location import InputError
    if not document.lstrip().startswith("{"):
        raise Malformed(location.line, "policy document is not valid JSON: a policy given as a string must be a JSON object")
    try:
        decoded = decode("policy.json", document.encode())  # IAM takes JSON only: never YAML
    except InputError as error:
        raise Malformed(location.line, f"policy document is not valid JSON: {error.message}") from None
    return _without_lines(decoded)


def _without_lines(value: object) -> object:
    """Lines inside an embedded JSON string count from the string: point at the string instead."""
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    return value


def _statements(document: object, name: str, kind: PolicyKind, location: Location,
                note: str | None) -> tuple[Statement, ...]:
    if not isinstance(document, dict):
        raise Malformed(location.line, "policy document must be a JSON object")
    here = line_of(document, location.line)
    unknown_keys = set(document) - {"Version", "Id", "Statement"}
    if unknown_keys:
        raise Malformed(here, f"unknown policy element {sorted(unknown_keys)[0]!r}")
    version = document.get("Version", "2008-10-17")
    if isinstance(version, Unknown):
        raise _UnknownContent(version)
    if version not in VERSIONS:
        raise Malformed(_key_line(document, "Version", here), f"Version must be 2012-10-17 or 2008-10-17, not {version!r}")
    if "Statement" not in document:
        raise Malformed(here, "policy has no Statement")
    raw = document["Statement"]
    if isinstance(raw, Unknown):
        raise _UnknownContent(raw)
    items = raw if isinstance(raw, list) else [raw]
    lines = raw.item_lines if isinstance(raw, LineList) else []
    out = []
    for index, item in enumerate(items):
        line = line_of(item, lines[index] if index < len(lines) else here)
        if isinstance(item, Unknown):
            raise _UnknownContent(item)
        out.append(_statement(item, str(version), name, kind, Location(location.file, line), note))
    return tuple(out)


def _key_line(mapping: object, key: str, default: int | None) -> int | None:
    return mapping.line_of(key) if isinstance(mapping, LineDict) else default


def _statement(raw: object, version: str, name: str, kind: PolicyKind, location: Location,
               note: str | None) -> Statement:
    line = location.line
    if not isinstance(raw, dict):
        raise Malformed(line, "statement must be a JSON object")
    if not STATEMENT_KEYS.issuperset(raw):  # (makes no set: the common case is a clean statement)
        bad = sorted(set(raw) - STATEMENT_KEYS)[0]
        raise Malformed(_key_line(raw, bad, line), f"unknown statement element {bad!r}")
    effect = raw.get("Effect")
    if isinstance(effect, Unknown):
        raise _UnknownContent(effect)
    if effect not in ("Allow", "Deny"):
        raise Malformed(_key_line(raw, "Effect", line), f"Effect must be Allow or Deny, not {effect!r}")
    actions, not_action = _exclusive(raw, "Action", "NotAction", line, required=True)
    for action in actions:
        if type(action) is str and action in _ACTIONS_SEEN:  # an action met before matched already
            continue
        if isinstance(action, str) and not ACTION.match(action):
            raise Malformed(_key_line(raw, "NotAction" if not_action else "Action", line),
                            f"action {action!r} is not of the form service:action")
        if type(action) is str and len(_ACTIONS_SEEN) < _MAX_ACTIONS_SEEN:
            _ACTIONS_SEEN.add(action)
    resources, not_resource = _exclusive(raw, "Resource", "NotResource", line, required=kind in NEEDS_RESOURCE)
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if has_principal and kind in (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SCP):
        raise Malformed(_key_line(raw, "Principal", line), "identity-based policies cannot have a Principal")
    principals, not_principal = None, False
    if has_principal or kind in NEEDS_PRINCIPAL:
        if not has_principal and kind is PolicyKind.RCP:
            principals = (ANYONE,)  # RCPs name "*" by rule; tolerate its omission
        else:
            principals, not_principal = _principals(raw, line, kind)
    sid = raw.get("Sid")
    condition = raw.get("Condition")
    fields = dict(
        effect=EFFECTS[effect], sid=None if sid is None else str(sid),
        actions=tuple(actions), not_action=not_action,
        resources=None if resources is None else tuple(resources), not_resource=not_resource,
        principals=principals, not_principal=not_principal,
        conditions=() if condition is None else _conditions(condition, (raw, "Condition", line)),
        version=version, policy=name, location=location, source_note=note,
    )
    if _checked(actions, resources or (), name, version, location, note):
        return built_from(Statement, _STATEMENT_FIELDS, fields)
    return Statement(**fields)


_STATEMENT_FIELDS = {"effect", "sid", "actions", "not_action", "resources", "not_resource", "principals",
                     "not_principal", "conditions", "version", "policy", "location", "source_note"}
# Actions that matched ACTION: a snapshot names a few hundred actions thousands of times, and a set
# finds one faster than the pattern matches it. Bounded, so that no input grows it without end.
_ACTIONS_SEEN: set[str] = set()
_MAX_ACTIONS_SEEN = 65_536


def _checked(actions: list, resources: list | tuple, name: object, version: object, location: object,
             note: object) -> bool:
    """Whether a statement's values are each exactly of its field's type, so that validation would
    return them unchanged and may be skipped (`model.policy.built`); the rest of its fields this
    module makes itself (an Effect, a str, booleans, Principals, Clauses). Else it validates."""
    return (type(name) is str and type(version) is str and type(location) is Location
            and (note is None or type(note) is str) and set(map(type, actions)) <= TEXT_TYPES
            and set(map(type, resources)) <= TEXT_TYPES)


def _texts(value: object, element: str, at: tuple) -> list:
    """The strings (or symbolic texts) of an element: one, or a list of them. `at` is (mapping,
    key, default line) of the element, its line looked up only for an error message."""
    if type(value) is str:  # the common case first: one plain string
        return [value]
    items = value if isinstance(value, list) else [value]
    if items and set(map(type, items)) == _PLAIN:  # a list of plain strings
        return list(items)
    out = []
    for item in items:
        if isinstance(item, (str, Sym, Unknown)):
            out.append(item)
        elif isinstance(item, int) and not isinstance(item, bool) and element in ("Principal", "NotPrincipal"):
            out.append(str(item))  # an unquoted account id
        elif isinstance(item, (bool, int, float)) and element == "Condition":
            out.append(json.dumps(item) if isinstance(item, bool) else str(item))
        else:
            raise Malformed(line_of(item, _line(at)), f"{element} values must be strings, not {type(item).__name__}")
    if not out and element != "Condition":
        raise Malformed(_line(at), f"{element} is empty")
    return out


_PLAIN = {str}


def _line(at: tuple) -> int | None:
    """The line of `key` in `mapping`, else `default` (a line, or another such triple): an `at` triple."""
    mapping, key, default = at
    return _key_line(mapping, key, _line(default) if isinstance(default, tuple) else default)


def _exclusive(raw: dict, key: str, not_key: str, line: int | None, *, required: bool):
    if key in raw and not_key in raw:
        raise Malformed(_key_line(raw, not_key, line), f"a statement cannot have both {key} and {not_key}")
    if key in raw:
        return _texts(raw[key], key, (raw, key, line)), False
    if not_key in raw:
        return _texts(raw[not_key], not_key, (raw, not_key, line)), True
    if required:
        raise Malformed(line, f"statement has neither {key} nor {not_key}")
    return None, False


def _principals(raw: dict, line: int | None, kind: PolicyKind):
    if "Principal" in raw and "NotPrincipal" in raw:
        raise Malformed(_key_line(raw, "NotPrincipal", line), "a statement cannot have both Principal and NotPrincipal")
    key = "Principal" if "Principal" in raw else "NotPrincipal"
    if key not in raw:
        raise Malformed(line, f"a {kind.value} policy statement needs a Principal")
    value = raw[key]
    if isinstance(value, Unknown):
        return (normalise_principal("AWS", value),), key == "NotPrincipal"
    if value == "*":
        return (ANYONE,), key == "NotPrincipal"
    where = _key_line(raw, key, line)
    if not isinstance(value, dict) or not value:
        raise Malformed(where, f"{key} must be \"*\" or an object of AWS/Service/Federated/CanonicalUser")
    out = []
    for ptype, entries in value.items():
        if ptype not in PRINCIPAL_KEYS:
            raise Malformed(_key_line(value, ptype, where), f"unknown principal type {ptype!r}")
        for entry in _texts(entries, key, (value, ptype, where)):
            if isinstance(entry, str) and ptype == "AWS" and "*" in entry and entry != "*":
                raise Malformed(_key_line(value, ptype, where),
                                f"wildcards are not allowed inside a principal ARN: {entry!r}")
            if isinstance(entry, str) and ptype == "AWS" and _bad_account(entry):
                raise Malformed(_key_line(value, ptype, where), f"invalid principal {entry!r}: an AWS account "
                                "id has 12 digits (IAM rejects the policy: Invalid principal in policy)")
            out.append(normalise_principal(ptype, entry))
    return tuple(dict.fromkeys(out)), key == "NotPrincipal"


def _bad_account(entry: str) -> bool:
    """An account id, or the account of a principal ARN, that is digits but not 12 of them."""
    text = entry.strip()
    account = text.split(":")[4] if text.startswith("arn:") and text.count(":") >= 5 else text
    return account.isdigit() and len(account) != 12


def _conditions(raw: object, at: tuple) -> tuple[Clause, ...]:
    """The clauses of a Condition element; `at` is where it is (see `_line`)."""
    if raw is None:
        return ()
    if isinstance(raw, Unknown):
        raise _UnknownContent(raw)
    if not isinstance(raw, dict):
        raise Malformed(_line(at), "Condition must be an object of operator → {key: values}")
    from permcheck.model.operators import parse_operator
    out = []
    for operator, block in raw.items():
        try:
            parse_operator(operator)
        except ValueError as error:
            raise Malformed(_line((raw, operator, at)), f"unknown condition operator {operator!r}: {error}") from None
        if not isinstance(block, dict) or not block:
            raise Malformed(_line((raw, operator, at)), f"condition operator {operator} must map keys to values")
        for key, values in block.items():
            values = _texts(values, "Condition", (block, key, (raw, operator, at)))
            if type(operator) is str and set(map(type, values)) <= TEXT_TYPES:  # as validation would keep them
                out.append(built(Clause, CLAUSE_FIELDS, operator=operator, key=str(key), values=tuple(values)))
            else:
                out.append(Clause(operator=operator, key=str(key), values=tuple(values)))
    return tuple(out)
