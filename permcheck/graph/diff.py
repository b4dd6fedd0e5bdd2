"""`permcheck diff`: the access two versions of the inputs grant, compared fact by fact.

A *fact* is one request shape — (principal, action, resource), action and resource as the
patterns granted — with the evaluator's answer on it (fact_answers.py). Each side lists the
facts its queries find (access_facts.py): who may invoke each function, what each role and
user may do, who may assume each role, what resource policies grant principals the inputs do
not define, and the patterns of Deny statements, so that removing a Deny shows.

Every fact of either side is then answered on *both* sides — the side that did not list it is
asked the same request, following its own role chains — and the answers compared (this
module). So the comparison is semantic: a narrowed grant (`table/*` → `table/orders`) adds
nothing, because the old side allows `table/orders` too; a widened one (`table/orders` →
`table/*`) adds, because the old side does not allow the pattern (`covers`). Both sides are
read from one path (load/revisions.py), so unresolved values that name their file are equal on
both sides. Pure: no I/O.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

from permcheck.graph.access_facts import facts_of
from permcheck.graph.edges import Edges
from permcheck.graph.fact_answers import RANK, Facts, Key, Value, as_written, canonical, covers
from permcheck.iam.conditions import representatives
from permcheck.iam.answer import Decision, OnUnknown
from permcheck.iam.candidates import is_multivalued
from permcheck.model.policy import cited

__all__ = ["Change", "Changes", "compare", "covers", "diff"]  # covers: the pattern inclusion a widened grant is judged by

MAX_CONTEXTS = 512  # request contexts tried to decide whether one condition set is inside another


def _same_conditions(a: Value, b: Value) -> bool:
    return canonical(a.conditions) == canonical(b.conditions)


def _routes_within(inner: Value, outer: Value) -> bool:
    """Each way `inner` holds takes every request of some way `outer` holds, with the same
    conditions: it then holds only where that one does. (Conservative: else not within.)"""
    return all(any(set(o) <= set(i) for o in outer.routes) for i in inner.routes)


def _within(key: Key, action: str, resource: object, inner: Facts, outer: Facts,
            inner_value: Value, outer_value: Value) -> bool:
    """Is `inner`'s conditional access on a fact inside `outer`'s?

    Decided request context by request context when every condition is on a request key: the
    keys' representative values (the evaluator's own, exact per key) are tried on both sides.
    Otherwise (unknown values, policy variables) by the routes: see `_routes_within`.
    Equal lists from one statement on each side are one access: nothing to try.
    """
    if len(cited(inner_value.because)) <= 1 and len(cited(outer_value.because)) <= 1 \
            and _same_conditions(inner_value, outer_value):
        return True
    clauses: dict[str, list[tuple[str, tuple]]] = {}
    for c in inner_value.conditions + outer_value.conditions:
        if isinstance(c, OnUnknown) or c.operator == "PolicyVariable" or any("${" in v for v in c.values):
            return _routes_within(inner_value, outer_value)
        clauses.setdefault(c.key.lower(), []).append((c.operator, c.values))
    axes = []
    for k, cs in clauses.items():
        values, lost = representatives(k, cs, is_multivalued(k, any(op.startswith("For") for op, _ in cs)))
        if lost is not None:  # the values might miss a context where only `inner` allows
            return _routes_within(inner_value, outer_value)
        axes.append((k, values))
    count = 1
    for _, values in axes:
        count *= len(values)
    if not axes or count > MAX_CONTEXTS:
        return _routes_within(inner_value, outer_value)
    for combo in itertools.product(*(values for _, values in axes)):
        context = dict(inner.edges.context)
        for (k, _), value in zip(axes, combo):
            if value is None:
                context.pop(k, None)
            else:
                context[k] = value
        a = inner.ask(key, action, resource, outer.entities - inner.entities, context)
        b = outer.ask(key, action, resource, inner.entities - outer.entities, context)
        if a is None or b is None or Decision.CONDITIONAL in (a.decision, b.decision):
            return _routes_within(inner_value, outer_value)
        if a.decision is Decision.ALLOWED and b.decision is Decision.DENIED:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Change:
    """A fact whose answer differs between the sides: the wider side's answer (`value`), how it
    changed, and the other side's answer."""

    principal: str
    action: str
    resource: str
    value: Value
    change: str  # granted, widened, loosened (added); revoked, narrowed, tightened (removed)
    other: Value


@dataclass(frozen=True, slots=True)
class Changes:
    """`permcheck diff`: access added and removed; each side's text is shown with its `label`."""

    added: list[Change]
    removed: list[Change]
    old_label: Callable[[str], str]
    new_label: Callable[[str], str]


def compare(old: Facts, new: Facts) -> Changes:
    """Access added (new answers wider) and removed (old answers wider).

    Wider: a higher decision (denied < conditional < allowed), or — both conditional — a set of
    request contexts not inside the other side's.
    """
    spelled = {**old.spelled, **new.spelled}
    added, removed = [], []
    for key in sorted(spelled):
        action, resource = spelled[key]
        was = old.value(key, action, resource, new.entities - old.entities)
        now = new.value(key, action, resource, old.entities - new.entities)
        grow = RANK[now.decision] - RANK[was.decision]
        if grow > 0:
            added.append(Change(key[0], action, key[2], now, "granted" if was.decision is Decision.DENIED
                                else "widened", was))
        elif grow < 0:
            removed.append(Change(key[0], action, key[2], was, "revoked" if now.decision is Decision.DENIED
                                  else "narrowed", now))
        elif now.decision is Decision.CONDITIONAL:
            if not _within(key, action, resource, new, old, now, was):
                added.append(Change(key[0], action, key[2], now, "loosened", was))
            if not _within(key, action, resource, old, new, was, now):
                removed.append(Change(key[0], action, key[2], was, "tightened", now))
    return Changes(added, removed, old.label, new.label)


def diff(old: Edges, new: Edges, old_label: Callable[[str], str] = as_written,
         new_label: Callable[[str], str] = as_written) -> Changes:
    """`permcheck diff`: what `new` grants that `old` did not, and what it no longer grants."""
    return compare(facts_of(old, old_label), facts_of(new, new_label))
