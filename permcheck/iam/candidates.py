"""The request values to try for each condition key a decision still depends on.

The evaluator decides a request over every combination of these values; they are chosen so that
every possible request behaves like one of them (`conditions.representatives` per key, the values a
policy variable ties to another key, the values a Resource pattern with a variable needs), and say
when they may miss a case (`lost`), which the evaluator then reports as lost exactness.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from permcheck.iam import condition_keys
from permcheck.iam import conditions as cond
from permcheck.iam import variables
from permcheck.iam.grants import Live


def open_keys(lives: list[Live], fixed: dict, closed: bool) -> list[str]:
    """Condition keys (lower-cased) the decision depends on that the request does not fix."""
    if closed:
        return []
    keys: set[str] = set()
    for live in lives:
        for clause in live.clauses:
            keys.add(clause.key.lower())
            for value in clause.values:
                keys.update(k.lower() for k in variables.find_variables(str(value), version=live.statement.version))
        if live.dynamic_resources:
            for pattern in live.statement.resources:
                keys.update(k.lower() for k in variables.find_variables(str(pattern), version=live.statement.version))
    return sorted(k for k in keys if k not in fixed)


def placeholder(key: str) -> str:
    """The value tried for an open key that a policy variable refers to (`${key}`)."""
    return f"permcheck-value-of-{key}"


def candidates(key: str, lives: list[Live], resource: str, fixed: dict, open_set: set[str],
               bound: tuple[str, tuple[str, ...]] | None = None, lost: Optional[list[str]] = None) -> list:
    """Representative values of `key` (None: absent) for the statements that mention it.

    A condition value with a policy variable is compared with that variable's value: it is
    filled from the request where known, else with the placeholder the variable's own key
    also takes, so "equal to ${aws:PrincipalTag/team}" is tried both ways. When the values
    may miss a combination of the conditions' truths, the reason is appended to `lost`.

    `bound` (operator, values): a condition every real value of the key satisfies (the caller's
    `bounds`). It joins the clauses the representatives are chosen for, so each class of values
    is split by it, and the representatives outside it are dropped: what is left is exact for
    the values the caller can have.
    """
    fill = {**{k: (placeholder(k),) for k in open_set}, **fixed}
    clauses, set_operator, referenced = [], False, False
    for live in lives:
        for clause in live.clauses:
            texts = tuple(str(v) for v in clause.values)
            if clause.key.lower() == key:
                if live.statement.version == "2012-10-17":
                    texts = tuple(variables.substitute(t, fill, version=live.statement.version) or t for t in texts)
                clauses.append((clause.operator, texts))
                set_operator |= clause.operator.startswith(("ForAnyValue:", "ForAllValues:"))
            referenced |= any(key in (k.lower() for k in variables.find_variables(t, version=live.statement.version))
                              for t in texts)
    if bound is not None:
        clauses.append(bound)
    values, why = _candidate_contexts(key, tuple(clauses), is_multivalued(key, set_operator))
    found = list(values)
    if why is not None and lost is not None:
        lost.append(why)
    extras = _variable_values(key, lives, resource) + ([placeholder(key)] if referenced else [])
    extras += _values_matching_fixed(key, lives, fixed) if referenced else []
    for extra in extras:
        if (extra,) not in found:
            found.append((extra,))
    if bound is not None:
        return [c for c in found if c is not None and cond.clause_holds(bound[0], key, bound[1], {key: c})]
    if None not in found:
        found.append(None)
    return found


def referred_keys(key: str, lives: list[Live]) -> set[str]:
    """The keys (lower-cased) whose `${…}` the values of `key`'s clauses refer to."""
    out: set[str] = set()
    for live in lives:
        for clause in live.clauses:
            if clause.key.lower() == key:
                for value in clause.values:
                    out.update(k.lower() for k in variables.find_variables(str(value), version=live.statement.version))
    return out


def is_multivalued(key: str, set_operator: bool) -> bool:
    """May a request carry several values of `key`? As AWS documents the key: an `ArrayOf…`
    type in the condition-key catalog. A multivalued key is tried with sets of values (and
    an empty set); a single-valued one only with one value or none, whatever operators the
    policies use on it ("Single-valued condition context keys have at most one value in the
    request context": reference_policies_condition-single-vs-multi-valued-context-keys.html).
    A key the catalog does not know (a newer key, a misspelling) is taken as multivalued when
    a clause uses `ForAnyValue:`/`ForAllValues:` on it, as its author evidently expects."""
    documented = condition_keys.multivalued(key)
    return set_operator if documented is None else documented


def _values_matching_fixed(key: str, lives: list[Live], fixed: dict) -> list[str]:
    """Values of `${key}` that make a condition on a key the request fixes hold.

    `StringEquals aws:SourceAccount ${aws:PrincipalAccount}` with the source account given:
    the principal account equal to it must be tried.
    """
    out = []
    for live in lives:
        for clause in live.clauses:
            for value in fixed.get(clause.key.lower(), ()):
                for text in (str(v) for v in clause.values):
                    if "${" not in text:
                        continue
                    for flags in (0, re.IGNORECASE):
                        hit = re.compile(_capture(text, key).pattern, re.DOTALL | flags).fullmatch(value)
                        if hit is not None and hit.group("value") is not None:
                            out.append(hit.group("value"))
    return out


@lru_cache(maxsize=8192)
def _candidate_contexts(key: str, clauses: tuple, multivalued: bool) -> tuple[tuple, Optional[str]]:
    """`conditions.representatives`, cached: the same conditions recur across principals."""
    values, lost = cond.representatives(key, list(clauses), multivalued)
    return tuple(values), lost


def _variable_values(key: str, lives: list[Live], resource: str) -> list[str]:
    """Values of `${key}` that make a Resource pattern match this resource, and one that does not."""
    out = ["permcheck-other-value"]
    for live in lives:
        if not live.dynamic_resources:
            continue
        for pattern in live.statement.resources:
            if isinstance(pattern, str):
                match = _capture(pattern, key).fullmatch(resource)
                if match is not None and match.group("value") is not None:
                    out.append(match.group("value"))
    return out


def _capture(pattern: str, key: str) -> "re.Pattern[str]":
    """A regex for a Resource pattern in which `${key}` is captured and other variables are free."""
    body, captured = [], False
    for index, piece in enumerate(re.split(r"(\$\{[^{}]*\})", pattern)):
        if index % 2 == 1:
            name = piece[2:-1].split(",")[0].strip().lower()
            if name in ("*", "?", "$"):
                body.append(re.escape(name))
            elif name == key and not captured:
                body.append("(?P<value>.*?)")
                captured = True
            else:
                body.append(".*?")
        else:
            body.append("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in piece))
    if not captured:
        body.append("(?P<value>)?")
    return re.compile("".join(body), re.DOTALL)


def linked(key: str, alone: dict, lives: list, resource, fixed: dict, keys: list[str], bound, lost: list) -> list:
    """`key`'s values, with those it needs beside each value of a key its conditions refer to.

    `StringNotLike aws:SourceArn ${aws:PrincipalAccount}` compares two open keys: for each value
    the referred key takes, `key` must be tried with the values that decide the clause for it
    (equal, or not), or the combination where both hold one value is never tried."""
    values = list(alone[key])
    for other in referred_keys(key, lives) & set(keys) - {key}:
        for value in alone[other]:
            if value:
                given = {**fixed, other: value}
                for found in candidates(key, lives, resource, given, set(keys) - {other}, bound, lost):
                    if found not in values:
                        values.append(found)
    return values
