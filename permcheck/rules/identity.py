"""Which statement a finding is about, in terms that survive reformatting and reordering.

A finding's fingerprint (rules/findings.py) includes the statement it is about, so two
statements of one resource never share a fingerprint: a baseline entry or a code-scanning
alert for one must not also accept the other. A statement is known by its policy's name and
its content (Sid, effect, principals, actions, resources, conditions), never by its line or
its place in the list; copies of one statement in one policy are told apart by which copy
they are (the first, the second …), which no reordering changes.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from permcheck.model.policy import Effect, Policy, PrincipalType, Statement


def statement_key(statement: Statement) -> str:
    """The statement's policy and content, hashed; its values in any order. (Enum values are
    read through a table and absent parts skip their sorting: every statement of the inputs
    is hashed once per `check`, and the text hashed is the same either way.)"""
    s = statement
    principals, resources, conditions = s.principals, s.resources, s.conditions
    content = (s.policy, s.sid or "", _EFFECTS[s.effect],
               s.not_principal, None if principals is None else sorted([f"{_TYPES[p.type]} {p.value}"
                                                                         for p in principals]),
               s.not_action, sorted(map(str, s.actions)),
               s.not_resource, None if resources is None else sorted(map(str, resources)),
               sorted([(c.operator, c.key.lower(), sorted(map(str, c.values))) for c in conditions])
               if conditions else [])
    return hashlib.sha256(repr(content).encode()).hexdigest()[:16]


_EFFECTS = {effect: effect.value for effect in Effect}
_TYPES = {kind: kind.value for kind in PrincipalType}


def statement_ids(policy: Policy) -> dict[int, str]:
    """id(statement) → its identity for each statement of `policy`: its key, and which copy it is."""
    copies: Counter = Counter()
    out = {}
    for statement in policy.statements:
        key = statement_key(statement)
        out[id(statement)] = f"{key}#{copies[key]}"
        copies[key] += 1
    return out
