"""Whether a statement's Action (or NotAction) element covers one action.

Asked for the same statements and actions over and over (every resource a query visits), so the
answer is cached — by the element's value, never by an object's id.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from permcheck.iam.match import any_match, negate
from permcheck.model.policy import Statement


def action_match(statement: Statement, action: str) -> Optional[bool]:
    """Action/NotAction against one action: True, False, or None when an unknown value decides."""
    return _covers(statement.actions, statement.not_action, action)


@lru_cache(maxsize=1 << 20)
def _covers(actions: tuple, not_action: bool, action: str) -> Optional[bool]:
    found = any_match(actions, action, ignore_case=True)
    return negate(found) if not_action else found
