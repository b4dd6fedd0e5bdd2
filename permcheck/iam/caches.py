"""What one model's evaluations remember, so the evaluator decides each shape of request once.

Each entry is keyed by the ids of the statements, policies or callers it was made from and keeps
those objects beside it, so an id in a key stays its own; the caches belong to one `Evaluator`
(one model) and go with it, never outliving the values they were made from.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from permcheck.model.policy import Statement

LIMIT = 200_000  # entries per cache; past it the cache starts again (memory stays bounded)


@dataclass
class Caches:
    answers: dict = field(default_factory=dict)  # decide's signature → (answer, the statements it keys on)
    policy_index: dict = field(default_factory=dict)  # (id(policy), action) → (policy, always, PatternIndex)
    plain_allows: dict = field(default_factory=dict)  # (id(caller), action) → (caller, plain Allows or None)
    policy_allows: dict = field(default_factory=dict)  # (id(policy), action) → (policy, its plain Allows or None)
    shapes: dict = field(default_factory=dict)  # id(statement) → (statement, its shape's number or None)
    shape_numbers: dict = field(default_factory=dict)  # a statement's content → its number
    _numbers: itertools.count = field(default_factory=itertools.count, repr=False)  # never reused

    @staticmethod
    def put(cache: dict, key, value) -> None:
        """Remember one entry, starting the cache again when it is full."""
        if len(cache) >= LIMIT:
            cache.clear()
        cache[key] = value

    def shape(self, statement: Statement) -> int | None:
        """A number shared by the statements whose content the evaluation reads is the same —
        what they allow or deny, to whom, on what, under which conditions, in which policy
        language version — whatever their place (file, line, policy name, sid). Ten thousand
        roles trusting `lambda.amazonaws.com` in the same words have one trust statement shape.
        None for a statement holding an unresolved value (`Sym`, `Unknown`): an unknown belongs
        to its template, so two such statements are never taken as one.

        Numbers come from a counter that never starts again, so a number never stands for two
        contents, even after a cache is emptied."""
        found = self.shapes.get(id(statement))
        if found is not None and found[0] is statement:
            return found[1]
        content = _content(statement)
        number = None
        if content is not None:
            number = self.shape_numbers.get(content)
            if number is None:
                number = next(self._numbers)
                self.put(self.shape_numbers, content, number)
        self.put(self.shapes, id(statement), (statement, number))  # the statement keeps its id its own
        return number


def _content(s: Statement) -> tuple | None:
    """Every field of a statement that the evaluation reads (iam/grants.py, iam/decide.py,
    iam/candidates.py, iam/principals.py); None when a value is not a plain string."""
    texts = [*s.actions, *(s.resources or ()), *(p.value for p in s.principals or ()),
             *(v for c in s.conditions for v in c.values)]
    if not all(isinstance(t, str) for t in texts):
        return None
    return (s.effect, s.actions, s.not_action, s.resources, s.not_resource,
            tuple((p.type, p.value) for p in s.principals) if s.principals is not None else None,
            s.not_principal, tuple((c.operator, c.key, c.values) for c in s.conditions), s.version)
