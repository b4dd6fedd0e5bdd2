"""Whether a statement's Action (or NotAction) element covers one action.

Asked for the same statements and actions over and over (every resource a query visits), so the
answer is cached per statement and action. The statement is kept in the cache beside its answer,
so the id in the key stays its own.
"""

from __future__ import annotations

from typing import Optional

from permcheck.iam.match import any_match, negate
from permcheck.model.policy import Statement

ACTION_MATCHES_CACHE: dict[tuple[int, str], tuple[Statement, Optional[bool]]] = {}


def action_match(statement: Statement, action: str) -> Optional[bool]:
    """Action/NotAction against one action, cached: the same statements meet the same actions
    for every resource a query visits. The statement is kept in the cache so its id stays its own."""
    key = (id(statement), action)
    hit = ACTION_MATCHES_CACHE.get(key)
    if hit is None:
        found = any_match(statement.actions, action, ignore_case=True)
        hit = (statement, negate(found) if statement.not_action else found)
        if len(ACTION_MATCHES_CACHE) > 1_000_000:
            ACTION_MATCHES_CACHE.clear()
        ACTION_MATCHES_CACHE[key] = hit
    return hit[1]
