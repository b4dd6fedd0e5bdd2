"""The catalog of IAM actions AWS defines, with their access levels.

Rules need to know which actions exist (`unknown-action`), which of them write or
manage permissions and can be scoped to a resource (`wildcard-resource-write`) and what
a pattern such as `s3:Get*` stands for. The catalog is data/iam_actions.json (see data/IAM_ACTIONS.md), generated
from AWS's Service Authorization Reference by tools/update_action_catalog.py. It is
read on first use and cached, and this module imports only the standard library, so
runs that never ask pay nothing.

Access levels are AWS's: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html
Actions match case-insensitively, `*` any run of characters, `?` exactly one:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
An action with no resource type in the Service Authorization Reference takes only `*`
("Resource types" column: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "iam_actions.json"

LIST, READ, WRITE = "List", "Read", "Write"
PERMISSIONS_MANAGEMENT, TAGGING = "Permissions management", "Tagging"
LEVELS = frozenset({LIST, READ, WRITE, PERMISSIONS_MANAGEMENT, TAGGING})

# One service's index: lowercase action name -> (name as AWS spells it, access level).
ServiceIndex = dict[str, tuple[str, str]]


@cache
def _document() -> dict:
    """The data file, read once."""
    return json.loads(DATA.read_bytes())


@cache
def _catalog() -> dict[str, dict[str, list[str]]]:
    """Service prefix -> access level -> action names, as the data file holds them."""
    return _document()["services"]


@cache
def _no_resource(prefix: str) -> frozenset[str]:
    """Lowercase names of one service's actions that take no resource (only `*`)."""
    return frozenset(name.lower() for name in _document()["no_resource"].get(prefix, ()))


@cache
def _service(prefix: str) -> ServiceIndex:
    """The index of one service (by lowercase prefix); empty for a prefix AWS lacks."""
    index: ServiceIndex = {}
    for level, names in _catalog().get(prefix, {}).items():
        for name in names:
            index[name.lower()] = (name, level)
    return index


def _wildcard(pattern: str) -> re.Pattern[str]:
    """The regex of a lowercase IAM wildcard pattern: the evaluator's, linear on hostile input."""
    from permcheck.iam.match import compile_wildcard
    return compile_wildcard(pattern, False)


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def services() -> frozenset[str]:
    """Every service prefix AWS defines actions for (`s3`, `lambda`, …)."""
    return frozenset(_catalog())


def access_level(action: str) -> str | None:
    """The access level of one action (`s3:GetObject` → "Read"); None if AWS has no such action.

    A pattern is not an action: `s3:Get*` gives None here (see `access_levels`).
    """
    prefix, _, name = action.lower().partition(":")
    entry = _service(prefix).get(name)
    return entry[1] if entry else None


@lru_cache(maxsize=4096)
def _expand(pattern: str) -> tuple[tuple[str, str], ...]:
    """(full name, level) of every action a lowercase pattern matches, sorted by name."""
    prefix, colon, name = pattern.partition(":")
    if not _has_wildcard(pattern):
        entry = _service(prefix).get(name) if colon else None
        return ((f"{prefix}:{entry[0]}", entry[1]),) if entry else ()
    if not _has_wildcard(prefix) and colon:
        # The usual case, `s3:Get*`: only that service is scanned.
        regex = _wildcard(name)
        found = [(f"{prefix}:{n}", lvl) for low, (n, lvl) in _service(prefix).items()
                 if regex.fullmatch(low)]
    else:
        # A wildcard in the prefix (`*`, `*:Get*`, `s3*`): the pattern is matched
        # against whole `service:action` names, as the evaluator does.
        regex = _wildcard(pattern)
        found = [(f"{svc}:{n}", lvl) for svc in _catalog()
                 for low, (n, lvl) in _service(svc).items() if regex.fullmatch(f"{svc}:{low}")]
    return tuple(sorted(found, key=lambda pair: pair[0].lower()))


def expand(pattern: str) -> tuple[str, ...]:
    """The actions an action pattern matches, as AWS spells them (`s3:get*` → `s3:GetObject`, …).

    Case-insensitive, with IAM's `*` and `?`; empty when nothing AWS defines matches.
    """
    return tuple(name for name, _ in _expand(pattern.lower()))


def is_known(pattern: str) -> bool:
    """Does the action or pattern match at least one action AWS defines? (`*` does.)

    An unknown service prefix, a misspelt action and a pattern that matches nothing
    (`s3:Gte*`) are all unknown: in a policy they grant nothing.
    """
    return pattern == "*" or bool(_expand(pattern.lower()))


def access_levels(pattern: str) -> frozenset[str]:
    """The access levels of the actions a pattern matches (every level for `*`).

    `dynamodb:*` includes "Write"; a pattern that matches nothing gives the empty set.
    """
    if pattern == "*":
        return LEVELS
    prefix, colon, name = pattern.lower().partition(":")
    if colon and name == "*" and not _has_wildcard(prefix):
        return frozenset(_catalog().get(prefix, {}))  # a whole service: its levels
    return frozenset(level for _, level in _expand(pattern.lower()))


def takes_resource(action: str) -> bool | None:
    """Can a statement scope this action to a resource? None if AWS has no such action.

    False for an action with no resource type in the Service Authorization Reference
    (`logs:CreateLogDelivery`, `xray:PutTraceSegments`): a policy can only grant it on `*`.
    """
    prefix, _, name = action.lower().partition(":")
    if name not in _service(prefix):
        return None
    return name not in _no_resource(prefix)


def scoped_access_levels(pattern: str) -> frozenset[str]:
    """The access levels of the actions a pattern matches that can be scoped to a resource.

    `logs:*` includes "Write" (`logs:PutLogEvents` takes a log stream); `xray:PutTrace*`
    gives the empty set (`xray:PutTraceSegments` takes only `*`).
    """
    if pattern == "*":
        return LEVELS
    return frozenset(level for name, level in _expand(pattern.lower()) if takes_resource(name))
