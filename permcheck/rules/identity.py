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

from permcheck.model.policy import Policy, Statement


def statement_key(statement: Statement) -> str:
    """The statement's policy and content, hashed; its values in any order."""
    s = statement
    content = (s.policy, s.sid or "", s.effect.value,
               s.not_principal, None if s.principals is None else sorted(f"{p.type.value} {p.value}"
                                                                            for p in s.principals),
               s.not_action, sorted(str(a) for a in s.actions),
               s.not_resource, None if s.resources is None else sorted(str(r) for r in s.resources),
               sorted((c.operator, c.key.lower(), sorted(str(v) for v in c.values)) for c in s.conditions))
    return hashlib.sha256(repr(content).encode()).hexdigest()[:16]


def statement_ids(policy: Policy) -> dict[int, str]:
    """id(statement) → its identity for each statement of `policy`: its key, and which copy it is."""
    copies: Counter = Counter()
    out = {}
    for statement in policy.statements:
        key = statement_key(statement)
        out[id(statement)] = f"{key}#{copies[key]}"
        copies[key] += 1
    return out
