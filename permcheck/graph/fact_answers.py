"""One side of a diff: its answer on a fact, and how to ask it about any request.

A *fact* is one request shape — (principal, action, resource), action and resource as the
patterns granted — with the evaluator's answer on it, a `Value`. `Facts` holds one side's facts
(access_facts.py lists them) and answers any other request as that side's queries would:
directly and by the role chains it defines, with condition keys fixed when diff.py tries
request contexts. A module of its own because listing (access_facts.py) and comparing (diff.py)
both ask a side, and must ask it the same way; the rules answers follow (the wider way holds,
a chain holds when every hop does, a pattern is granted only by a pattern) live here once.
Pure: no I/O.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Optional

from permcheck.graph.edges import Edges
from permcheck.iam.answer import RANK, Answer, ConditionEntry, Decision
from permcheck.iam.request import Caller
from permcheck.model.location import InputError, Location
from permcheck.model.policy import Effect, Statement

Key = tuple[str, str, str]  # principal, action lower-cased (actions are case-insensitive), resource text
Route = tuple[tuple[str, frozenset[ConditionEntry]], ...]  # hops that must all hold: (request, its conditions)


@dataclass(frozen=True)
class Value:
    """One side's answer on one fact: the decision, what it depends on, why, the roles of a chain.

    `routes` are the ways it holds (any one suffices), each a chain of conditional requests that
    must all hold: compared when conditions cannot be tried value by value.
    """

    decision: Decision
    conditions: tuple[ConditionEntry, ...] = ()
    because: tuple[Statement, ...] = ()  # the statements that decided
    via: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    routes: frozenset[Route] = frozenset()


DENIED = Value(Decision.DENIED)


def from_answer(answer: Answer, request: str, via: tuple[str, ...] = ()) -> Value:
    """An answer (the evaluator's, or a query's through the roles `via`) as a Value; `request`
    names it in the Value's route."""
    decision = answer.decision
    route = ((request, canonical(answer.conditions)),) if decision is Decision.CONDITIONAL else ()
    return Value(decision, answer.conditions, answer.because, via, answer.notes,
                 frozenset() if decision is Decision.DENIED else frozenset({route}))


def canonical(conditions: tuple[ConditionEntry, ...]) -> frozenset[ConditionEntry]:
    """Conditions as a set: equal however they were listed."""
    return frozenset(conditions)


def _union(a: tuple, b: tuple) -> tuple:
    return a + tuple(x for x in b if x not in a)


def _best(a: Optional[Value], b: Value) -> Value:
    """Two ways to the same access: the wider holds; two conditional ways are alternatives."""
    if a is None or RANK[b.decision] > RANK[a.decision]:
        return b
    if RANK[b.decision] == RANK[a.decision] == 1:
        return replace(a, conditions=_union(a.conditions, b.conditions), because=_union(a.because, b.because),
                       routes=a.routes | b.routes)
    return a


def _chain(hops: list[Value], via: tuple[str, ...]) -> Value:
    """A role chain holds when every hop does (as the queries' chains)."""
    if any(h.decision is Decision.DENIED for h in hops):
        return DENIED
    allowed = all(h.decision is Decision.ALLOWED for h in hops)
    conditions, because = (), ()
    for hop in hops:
        conditions, because = _union(conditions, hop.conditions), _union(because, hop.because)
    routes = frozenset(tuple(dict.fromkeys(step for route in combo for step in route))
                       for combo in itertools.product(*(hop.routes for hop in hops)))
    return Value(Decision.ALLOWED if allowed else Decision.CONDITIONAL, () if allowed else conditions, because, via,
                 routes=routes)


def request_text(*parts: str) -> str:
    """A request (principal, action, resource, roles of a chain) as one text: a step of a route."""
    return " ".join(parts)


def as_written(text: str) -> str:
    """The label of a side whose text the user knows as it is (no file names to translate)."""
    return text


@contextlib.contextmanager
def labelled_errors(label: Callable[[str], str]) -> Iterator[None]:
    """An input error met while answering names its file as the user knows it."""
    try:
        yield
    except InputError as error:
        where = error.location and Location(label(error.location.file), error.location.line)
        raise InputError(where, label(error.message)) from None



@dataclass
class Facts:
    """One side's access: the facts its queries found, and how to ask it about any other."""

    edges: Edges
    entities: frozenset[str]  # ARNs of the roles and users this side defines
    label: Callable[[str], str]  # text of this side → as the user knows it (file names)
    found: dict[Key, Value] = field(default_factory=dict)
    spelled: dict[Key, tuple[str, object]] = field(default_factory=dict)  # action as written, resource value
    objects: dict[str, object] = field(default_factory=dict)  # resource text → value (unknown parts kept)
    _asked: dict = field(default_factory=dict, repr=False)
    _variants: dict = field(default_factory=dict, repr=False)
    _chains: dict = field(default_factory=dict, repr=False)

    def add(self, principal: str, action: str, resource: object, value: Optional[Value] = None) -> None:
        """A fact (with this side's answer when a query gave it) or a request to ask both sides."""
        key = (principal, action.lower(), str(resource))
        self.spelled.setdefault(key, (action, self.objects.get(str(resource), resource)))
        if value is not None:
            self.found[key] = _best(self.found.get(key), value)

    def value(self, key: Key, action: str, resource: object, other: frozenset[str]) -> Value:
        """This side's answer on a fact: as found, or asked when that may be wider (a query lists a
        principal by one route; the same request may hold by another). `other`: the roles and
        users only the other side defines."""
        if key not in self._asked:
            found = self.found.get(key)
            value = found
            if found is None or found.decision is not Decision.ALLOWED:
                asked = self.ask(key, action, resource, other) or DENIED
                if asked.decision is not Decision.DENIED and _is_pattern(key) and not _granted_as_pattern(asked, key):
                    asked = DENIED  # the key's `*` was matched by a `?`: the pattern is not granted
                value = found if found is not None and RANK[found.decision] > RANK[asked.decision] else asked
            self._asked[key] = value
        return self._asked[key]

    def ask(self, key: Key, action: str, resource: object, other: frozenset[str],
            context: Optional[dict] = None) -> Optional[Value]:
        """The evaluator's answer here, over direct access and role chains; None: cannot be asked."""
        with labelled_errors(self.label):
            return self._ask(key, action, resource, other, context)

    def _ask(self, key: Key, action: str, resource: object, other: frozenset[str],
             context: Optional[dict]) -> Optional[Value]:
        edges = self.edges if context is None else self._variant(context)
        if key[1].startswith("sts:assumerole") and key[2] in other and key[2] not in self.entities:
            return DENIED  # a role this side does not define cannot be assumed here
        caller = self._caller(key[0], other)
        if caller is None:
            return DENIED if key[0] in other else None
        best = from_answer(edges.ask(caller, action, resource), request_text(*key))
        for role, hops, via in self._reachable(edges, caller.arn):
            final = from_answer(edges.ask(role, action, resource), request_text(role.arn, key[1], key[2]))
            best = _best(best, _chain(hops + [final], via))
        return best

    def _caller(self, principal: str, other: frozenset[str]) -> Optional[Caller]:
        index = self.edges.index
        inventory = index.inventory
        entity = inventory.roles.get(principal) or inventory.users.get(principal)
        if entity is not None:
            return index.caller_for_entity(entity)
        if principal in other:
            return None  # defined only on the other side
        return index.caller_if_any(principal)

    def _variant(self, context: dict) -> Edges:
        """These inputs with every condition key fixed (absent unless given)."""
        marker = tuple(sorted(context.items()))
        if marker not in self._variants:
            self._variants[marker] = Edges(self.edges.index, context=context, closed=True)
        return self._variants[marker]

    def _reachable(self, edges: Edges, start: str) -> list[tuple[Caller, list[Value], tuple[str, ...]]]:
        """Roles `start` reaches by assuming roles, with each chain's hops (as what_can_access follows them)."""
        marker = (id(edges), start)
        if marker in self._chains:
            return self._chains[marker][1]
        out = []
        for arn, via, taken in edges.reachable_roles(start):
            chain = [from_answer(e.answer, request_text(e.source, "sts:assumerole", e.target)) for e in taken]
            out.append((edges.index.caller_for_entity(edges.index.inventory.roles[arn]), chain, via))
        self._chains[marker] = (edges, out)  # the edges are kept: their id stays theirs
        return out


def _is_pattern(key: Key) -> bool:
    return any(c in _UNKNOWN.sub("", key[1] + key[2]) for c in "*?")


_UNKNOWN = re.compile(r"\$\{\?[^}]*\}")  # how an unresolved part of a value is written


def _granted_as_pattern(value: Value, key: Key) -> bool:
    """Was a wildcard in the key matched by a wildcard? A request on the literal text
    `table/*` is allowed by a grant on `table/?`, which does not grant `table/*`: an Allow that
    decided must include the key's patterns (or exclude by NotAction/NotResource, not checked)."""
    allows = [s for s in value.because if s.effect is Effect.ALLOW]
    return not allows or any(
        (s.not_action or any(covers(str(a), key[1]) for a in s.actions)) and
        (s.not_resource or s.resources is None or any(covers(str(r), key[2]) for r in s.resources))
        for s in allows)


def covers(general: str, specific: str) -> bool:
    """Does IAM pattern `general` match every string `specific` matches?

    Sound (a `?` or a letter of `general` never stands for a wildcard of `specific`), and
    exact but for contrived pairs, which it answers no: a diff then reports access as added.
    Case is ignored, as for actions; resource patterns differing only in case are rare.
    """
    general, specific = general.lower(), specific.lower()
    if general == "*" or general == specific:
        return True
    reach = [True] + [False] * len(specific)  # reach[j]: the pattern read so far yields specific[:j]
    for g in general:
        step = [False] * (len(specific) + 1)
        if g == "*":
            for j in range(len(specific) + 1):
                step[j] = reach[j] or (j > 0 and step[j - 1])
        else:
            for j, s in enumerate(specific):
                step[j + 1] = reach[j] and s != "*" and (g == "?" or (g == s and s != "?"))
        reach = step
    return reach[-1]
