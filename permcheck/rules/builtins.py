"""The functions and constants a rule may use, with their types.

Functions ask the questions rules need beyond a fact's attributes: which access levels
an action has (from the IAM action catalog), whether an action exists, whether a grant's
actions include one. Constants come from the configuration (the zone of trust).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from permcheck.iam.match import wildcard_match
from permcheck.rules.facts import Condition

STR, BOOL = str, bool
STRS = list[str]
CONDITIONS = list[Condition]


@dataclass(frozen=True)
class Builtin:
    params: tuple
    returns: object
    run: Callable
    doc: str


def _access_levels(action: str) -> list[str]:
    from permcheck.iam.catalog import access_levels
    return sorted(access_levels(action))


def _known_action(action: str) -> bool:
    from permcheck.iam.catalog import is_known
    return is_known(action)


def _grants_action(patterns: list[str], action: str) -> bool:
    return any(wildcard_match(p, action, ignore_case=True) for p in patterns)


def _write_actions(patterns: list[str]) -> list[str]:
    """The patterns that reach a Write or Permissions management action."""
    return list(_write_of(tuple(patterns)))


def _scoped_write_actions(patterns: list[str]) -> list[str]:
    """The patterns that reach a Write or Permissions management action that can be scoped to
    a resource: one that takes only `*` (`logs:CreateLogDelivery`) leaves nothing to name."""
    return list(_scoped_write_of(tuple(patterns)))


def _unknown_actions(patterns: list[str]) -> list[str]:
    """Patterns no AWS service defines — except those SAM's own policy templates write
    (`sqs:DeleteMessageBatch` in SQSPollerPolicy): AWS's text, not the author's, in every app
    that uses the template."""
    return list(_unknown_of(tuple(patterns)))


# The three above, once per list of patterns: rules call them for each of ten thousand
# statements, which repeat a few hundred Action lists (`logs:CreateLogStream`,
# `logs:PutLogEvents` in most roles). Each call gets a list of its own.
@lru_cache(maxsize=16384)
def _write_of(patterns: tuple[str, ...]) -> tuple[str, ...]:
    from permcheck.iam.catalog import access_levels
    return tuple(p for p in patterns if access_levels(p) & {"Write", "Permissions management"})


@lru_cache(maxsize=16384)
def _scoped_write_of(patterns: tuple[str, ...]) -> tuple[str, ...]:
    from permcheck.iam.catalog import scoped_access_levels
    return tuple(p for p in patterns if scoped_access_levels(p) & {"Write", "Permissions management"})


@lru_cache(maxsize=16384)
def _unknown_of(patterns: tuple[str, ...]) -> tuple[str, ...]:
    from permcheck.iam.catalog import is_known
    unknown = [p for p in patterns if not is_known(p)]
    return tuple(p for p in unknown if p.lower() not in _sam_template_actions()) if unknown else ()


@lru_cache(maxsize=1)
def _sam_template_actions() -> frozenset[str]:
    from permcheck.model.sam_data import policy_templates
    out = set()
    for template in policy_templates().values():
        for statement in template["Definition"].get("Statement", []):
            actions = statement.get("Action", [])
            out.update(a.lower() for a in ([actions] if isinstance(actions, str) else actions))
    return frozenset(out)


def _condition_type_problems(conditions: list[Condition]) -> list[str]:
    """Values and operators of the wrong type for their key (iam/condition_checks.py)."""
    if not conditions:
        return []  # most statements: no conditions, nothing to check
    return [p for c in conditions if not c.unknown
            for p in _type_problems(c.operator, c.written or c.key, tuple(c.values))]


def _set_operator_findings(conditions: list[Condition], effect: str) -> list[tuple[str, bool]]:
    if not conditions:
        return []
    found = (_set_operator_problem(c.operator, c.written or c.key, tuple(c.values), effect)
             for c in conditions if not c.unknown)
    return [f for f in found if f is not None]


# Each clause's problems once: roles repeat the same clauses (`aws:SourceAccount` in every
# trust policy of an account).
@lru_cache(maxsize=16384)
def _type_problems(operator: str, key: str, values: tuple[str, ...]) -> tuple[str, ...]:
    from permcheck.iam.condition_checks import type_problems
    return tuple(type_problems(operator, key, list(values)))


@lru_cache(maxsize=16384)
def _set_operator_problem(operator: str, key: str, values: tuple[str, ...], effect: str) -> tuple[str, bool] | None:
    from permcheck.iam.condition_checks import set_operator_problem
    return set_operator_problem(operator, key, list(values), effect)


def _service(action: str) -> str:
    return action.split(":", 1)[0].lower() if ":" in action else action


FUNCTIONS = {
    "access_levels": Builtin((STR,), STRS, _access_levels,
                             "access levels of the actions a pattern matches (List, Read, Write, "
                             "Permissions management, Tagging)"),
    "known_action": Builtin((STR,), BOOL, _known_action, "does the pattern match an action AWS defines?"),
    "grants_action": Builtin((STRS, STR), BOOL, _grants_action,
                             "does any pattern of the list match the action (IAM wildcards, any case)?"),
    "write_actions": Builtin((STRS,), STRS, _write_actions,
                             "the patterns of the list that reach a Write or Permissions management action"),
    "scoped_write_actions": Builtin((STRS,), STRS, _scoped_write_actions,
                                    "the patterns of the list that reach a Write or Permissions management "
                                    "action that can be scoped to a resource (not one that takes only `*`)"),
    "unknown_actions": Builtin((STRS,), STRS, _unknown_actions,
                               "the patterns of the list that match no action AWS defines"),
    "condition_type_problems": Builtin((CONDITIONS,), STRS, _condition_type_problems,
                                       "the conditions' values and operators of the wrong type for their key"),
    "set_operator_problems": Builtin((CONDITIONS, STR), STRS,
                                     lambda cs, effect: [text for text, _ in _set_operator_findings(cs, effect)],
                                     "ForAnyValue:/ForAllValues: on single-valued keys, in a statement of that effect"),
    "widening_set_operators": Builtin((CONDITIONS, STR), STRS,
                                      lambda cs, effect: [text for text, wide in _set_operator_findings(cs, effect) if wide],
                                      "those of set_operator_problems that widen the statement's reach"),
    "ends_with": Builtin((STR, STR), BOOL, str.endswith, "does the text end with the suffix?"),
    "starts_with": Builtin((STR, STR), BOOL, str.startswith, "does the text start with the prefix?"),
    "lower": Builtin((STR,), STR, str.lower, "the text in lower case"),
    "service": Builtin((STR,), STR, _service, "the service prefix of an action (`s3` of `s3:GetObject`)"),
    "join": Builtin((STRS,), STR, ", ".join, "the items joined with commas"),
    "count": Builtin((list,), int, len, "how many items a list holds"),
}

CONSTANTS = {
    "trusted_accounts": STRS,  # the deploying account and the configured trusted accounts
    "org_id": STR,  # the configured organisation id, "" when none
}
