"""`permcheck diff`: the access two versions of the inputs grant, compared fact by fact.

A *fact* is one request shape — (principal, action, resource), action and resource as the
patterns granted — with the evaluator's answer on it. Each side lists the facts its queries find:
who may invoke each function (`who_can_invoke`, role chains included); what each role and
user may do (`what_can_access`: identity grants, resource policies naming it, what it reaches
by assuming roles); who may assume each role (trust); what resource policies grant principals
the inputs do not define (services, other accounts, `*`); and the patterns of Deny statements,
so that removing a Deny shows.

Every fact of either side is then answered on *both* sides — the side that did not list it is
asked the same request, following its own role chains — and the answers compared. So the
comparison is semantic: a narrowed grant (`table/*` → `table/orders`) adds nothing, because
the old side allows `table/orders` too; a widened one (`table/orders` → `table/*`) adds, because
the old side does not allow the pattern. Both sides are read from one path (load/revisions.py),
so unresolved values that name their file are equal on both sides. Pure: no I/O.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Optional

from permcheck.graph.edges import Edges
from permcheck.graph.query import MAX_CHAIN, answer_json, because, what_can_access, who_can_invoke
from permcheck.iam.conditions import candidate_contexts
from permcheck.iam.decide import Answer, Decision
from permcheck.iam.request import Caller, CallerKind
from permcheck.model.location import InputError, Location
from permcheck.model.policy import Effect, Statement
from permcheck.model.values import Sym, Unknown, concat

RANK = {Decision.DENIED: 0, Decision.CONDITIONAL: 1, Decision.ALLOWED: 2}
MAX_CONTEXTS = 512  # request contexts tried to decide whether one condition set is inside another
Key = tuple[str, str, str]  # principal, action lower-cased (actions are case-insensitive), resource text


Route = tuple[tuple[str, frozenset[str]], ...]  # hops that must all hold: (request, its conditions)


@dataclass(frozen=True)
class Value:
    """One side's answer on one fact: the decision, what it depends on, why, the roles of a chain.

    `routes` are the ways it holds (any one suffices), each a chain of conditional requests that
    must all hold: compared when conditions cannot be tried value by value.
    """

    decision: Decision
    conditions: tuple[dict, ...] = ()
    because: tuple[dict, ...] = ()
    via: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    routes: frozenset[Route] = frozenset()
    statements: tuple[Statement, ...] = ()  # the statements that decided, when the evaluator was asked


DENIED = Value(Decision.DENIED)


def _from_json(entry: dict, request: str) -> Value:
    decision, conditions = Decision(entry["decision"]), tuple(entry["conditions"])
    route = ((request, _canon(conditions)),) if decision is Decision.CONDITIONAL else ()
    return Value(decision, conditions, tuple(entry["because"]), tuple(entry.get("via") or ()),
                 tuple(entry.get("notes") or ()), frozenset() if decision is Decision.DENIED else frozenset({route}))


def _from_answer(answer: Answer, request: str) -> Value:
    return replace(_from_json(answer_json(answer), request), statements=answer.because)


def _canon(conditions: tuple[dict, ...]) -> frozenset[str]:
    return frozenset(json.dumps(c, sort_keys=True) for c in conditions)


def _union(a: tuple, b: tuple) -> tuple:
    return a + tuple(x for x in b if x not in a)


def _best(a: Optional[Value], b: Value) -> Value:
    """Two ways to the same access: the wider holds; two conditional ways are alternatives."""
    if a is None or RANK[b.decision] > RANK[a.decision]:
        return b
    if RANK[b.decision] == RANK[a.decision] == 1:
        return replace(a, conditions=_union(a.conditions, b.conditions), because=_union(a.because, b.because),
                       routes=a.routes | b.routes, statements=_union(a.statements, b.statements))
    return a


def _chain(hops: list[Value], via: tuple[str, ...]) -> Value:
    """A role chain holds when every hop does (as the queries' chains)."""
    if any(h.decision is Decision.DENIED for h in hops):
        return DENIED
    allowed = all(h.decision is Decision.ALLOWED for h in hops)
    conditions, because, statements = (), (), ()
    for hop in hops:
        conditions, because = _union(conditions, hop.conditions), _union(because, hop.because)
        statements = _union(statements, hop.statements)
    routes = frozenset(tuple(dict.fromkeys(step for route in combo for step in route))
                       for combo in itertools.product(*(hop.routes for hop in hops)))
    return Value(Decision.ALLOWED if allowed else Decision.CONDITIONAL, () if allowed else conditions, because, via,
                 routes=routes, statements=statements)


def _request(*parts: str) -> str:
    return " ".join(parts)


def _same(text: str) -> str:
    return text


@contextlib.contextmanager
def _named(label: Callable[[str], str]) -> Iterator[None]:
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
    _reverse: dict = field(default_factory=dict, repr=False)
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
        with _named(self.label):
            return self._ask(key, action, resource, other, context)

    def _ask(self, key: Key, action: str, resource: object, other: frozenset[str],
             context: Optional[dict]) -> Optional[Value]:
        edges = self.edges if context is None else self._variant(context)
        if key[1].startswith("sts:assumerole") and key[2] in other and key[2] not in self.entities:
            return DENIED  # a role this side does not define cannot be assumed here
        caller = self._caller(key[0], other)
        if caller is None:
            return DENIED if key[0] in other else None
        best = _from_answer(edges.ask(caller, action, resource), _request(*key))
        for role, hops, via in self._reachable(edges, caller.arn):
            final = _from_answer(edges.ask(role, action, resource), _request(role.arn, key[1], key[2]))
            best = _best(best, _chain(hops + [final], via))
        return best

    def _caller(self, principal: str, other: frozenset[str]) -> Optional[Caller]:
        index = self.edges.index
        inventory = index.inventory
        entity = inventory.roles.get(principal) or inventory.users.get(principal)
        if entity is not None:
            return index.caller_for_entity(entity)
        if principal in other or "${?" in principal:
            return None  # defined only on the other side, or a principal no one can name
        try:
            return index.caller(principal)
        except InputError:
            return None

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
        if id(edges) not in self._reverse:
            reverse: dict[str, list] = {}
            for target_edges in edges.assumers.values():
                for edge in target_edges:
                    reverse.setdefault(edge.source, []).append(edge)
            self._reverse[id(edges)] = (edges, reverse)
        reverse = self._reverse[id(edges)][1]
        out, seen, queue = [], {start}, deque([(start, (), [])])
        while queue:
            source, via, hops = queue.popleft()
            if len(via) >= MAX_CHAIN:
                continue
            for edge in reverse.get(source, []):
                if edge.target in seen:
                    continue
                seen.add(edge.target)
                chain = hops + [_from_answer(edge.answer, _request(edge.source, "sts:assumerole", edge.target))]
                role = edges.index.caller_for_entity(edges.index.inventory.roles[edge.target])
                out.append((role, chain, via + (edge.target,)))
                queue.append((edge.target, via + (edge.target,), chain))
        self._chains[marker] = (edges, out)  # the edges are kept: their id stays theirs
        return out


def facts_of(edges: Edges, label: Callable[[str], str] = _same) -> Facts:
    """The access one side's inputs grant, as facts (see the module's docstring)."""
    with _named(label):
        return _facts_of(edges, label)


def _facts_of(edges: Edges, label: Callable[[str], str]) -> Facts:
    inventory = edges.index.inventory
    facts = Facts(edges, frozenset(inventory.roles) | frozenset(inventory.users), label,
                  objects=_resource_values(edges))
    for function in inventory.functions.values():
        for entry in who_can_invoke(edges, function)["principals"]:
            qualifier = entry.get("qualifier")
            resource = concat([function.arn, f":{qualifier}"]) if qualifier else function.arn
            for action in entry["actions"]:
                request = _request(entry["principal"], action.lower(), str(resource), *entry.get("via", ()))
                facts.add(entry["principal"], action, resource, _from_json(entry, request))
    for arn, role in inventory.roles.items():
        for edge in edges.assumers_of(arn):
            facts.add(edge.source, edge.action, role.arn,
                      _from_answer(edge.answer, _request(edge.source, "sts:assumerole", arn)))
    denies: list[tuple[Statement, Optional[list[str]], object]] = []  # (Deny, principals or None: all, holder)
    callers = [edges.index.caller_for_entity(e) for e in (*inventory.roles.values(), *inventory.users.values())]
    for caller in callers + _outside_assumers(edges, facts):
        principal = caller.session_arn or caller.arn
        for entry in what_can_access(edges, caller)["access"]:
            for action in entry["actions"]:
                request = _request(principal, str(action).lower(), entry["resource"], *entry.get("via", ()))
                facts.add(principal, str(action), entry["resource"], _from_json(entry, request))
        denies += [(s, [principal], None) for p in caller.identity or () for s in p.statements
                   if s.effect is Effect.DENY or s.not_action or s.not_resource]
    denies += [(s, None, None) for p in (*inventory.scps, *inventory.rcps) for s in p.statements
               if s.effect is Effect.DENY]
    denies += _outside_grants(edges, facts)
    _deny_points(facts, denies)
    return facts


def _resource_values(edges: Edges) -> dict[str, object]:
    """Resource text → value as the inputs hold it, so that a request keeps its unknown parts."""
    inventory = edges.index.inventory
    out: dict[str, object] = {}
    holders = (*inventory.roles.values(), *inventory.users.values(), *inventory.groups.values(),
               *inventory.functions.values(), *inventory.resources.values())
    for holder in holders:
        out[str(holder.arn)] = holder.arn
        policies = list(getattr(holder, "policies", ())) + [getattr(holder, name, None)
                                                              for name in ("trust", "boundary", "policy")]
        for policy in filter(None, policies):
            for statement in policy.statements:
                out.update((str(r), r) for r in statement.resources or () if str(r) not in out)
    return out


def _outside_assumers(edges: Edges, facts: Facts) -> list[Caller]:
    """Principals the inputs do not define that may assume a role (other accounts, `*`): what
    they reach is theirs too. Services are left out: that `lambda.amazonaws.com` reaches what its
    execution roles may do is the roles' access, which is listed already."""
    out: dict[str, Caller] = {}
    for role_edges in edges.assumers.values():
        for edge in role_edges:
            if edge.source not in facts.entities and edge.source not in out:
                try:
                    out[edge.source] = edges.index.caller(edge.source)
                except InputError:
                    continue
    return [c for c in out.values() if c.kind is not CallerKind.SERVICE]


def _outside_grants(edges: Edges, facts: Facts) -> list[tuple[Statement, Optional[list[str]], object]]:
    """Resource-policy grants to principals the inputs do not define (services, other accounts,
    `*`, principals no one can resolve); returns the policies' Denies."""
    inventory = edges.index.inventory
    denies = []
    holders = [(h.arn, h.policy, False) for h in (*inventory.functions.values(), *inventory.resources.values())]
    holders += [(role.arn, role.trust, True) for role in inventory.roles.values()]  # its callers: assumers
    for holder, policy, trust in holders:
        for statement in policy.statements if policy else ():
            if statement.principals is None or (trust and statement.effect is Effect.DENY):
                continue
            if statement.effect is Effect.DENY:
                named = [None if isinstance(p.value, (Sym, Unknown)) else edges.caller_for_principal(p)
                         for p in statement.principals]
                everyone = statement.not_principal or any(c is None or c.arn == "*" for c in named)
                denies.append((statement, None if everyone else [c.arn for c in named], holder))
                continue
            unknown = [p for p in statement.principals if isinstance(p.value, (Sym, Unknown))]
            for principal in unknown:  # may be anyone: conditional on what it is
                entry = {"decision": "conditional", "conditions": [{"unknown": f"principal {principal.value}"}],
                         "because": because((statement,))}
                for action, resource in _patterns(statement, holder):
                    request = _request(str(principal.value), action.lower(), str(resource))
                    facts.add(str(principal.value), action, resource, _from_json(entry, request))
            if trust:
                continue
            callers = [Caller(kind=CallerKind.ANYONE, arn="*")] if statement.not_principal else \
                [c for c in edges.named_callers((statement,)) if isinstance(c, Caller)]
            for caller in callers:
                principal = caller.session_arn or caller.arn
                if caller.arn in facts.entities:
                    continue  # roles and users: in what-can-access
                for action, resource in _patterns(statement, holder):
                    answer = edges.ask(caller, action, facts.objects.get(str(resource), resource))
                    facts.add(principal, action, resource,
                              _from_answer(answer, _request(principal, action.lower(), str(resource))))
    return denies


def _patterns(statement: Statement, holder: object = None) -> list[tuple[str, object]]:
    """(action, resource) pairs a statement names; NotAction/NotResource as `*`, `*` as its holder."""
    actions = ["*"] if statement.not_action else [str(a) for a in statement.actions]
    resources = [] if statement.not_resource else [r for r in statement.resources or () if r != "*" or not holder]
    return [(a, r) for r in resources or [holder or "*"] for a in actions]


def _deny_points(facts: Facts, denies: list[tuple[Statement, Optional[list[str]], object]]) -> None:
    """Requests where a Deny or an exclusion (NotAction, NotResource) decides, to ask both sides:
    a Deny removed, or an exclusion widened, is access added.

    Each statement's own actions and resources, with the actions its principals are granted on
    the same service (a Deny on `s3:*` NotResource `bucket-*` leaves `s3:GetObject` on `bucket-*`).
    A Deny for everyone is asked for the principals granted anything on its services.
    """
    granted: dict[str, set[str]] = {}
    for key, value in facts.found.items():
        if value.decision is not Decision.DENIED:
            granted.setdefault(key[0], set()).add(facts.spelled[key][0])
    for statement, principals, holder in denies:
        listed = [str(a) for a in statement.actions]
        services = {a.split(":")[0].lower() for a in listed} | {"*"}
        resources = [r for r in statement.resources or () if r != "*" or not holder] or [holder or "*"]
        for principal in principals if principals is not None else sorted(granted):
            related = {a for a in granted.get(principal, ())
                       if statement.not_action or a.split(":")[0].lower() in services}
            if principals is None and not related:
                continue
            for action in sorted(set(listed) | related):
                for resource in resources:
                    facts.add(principal, action, resource)


def _is_pattern(key: Key) -> bool:
    return any(c in _UNKNOWN.sub("", key[1] + key[2]) for c in "*?")


_UNKNOWN = re.compile(r"\$\{\?[^}]*\}")  # how an unresolved part of a value is written


def _granted_as_pattern(value: Value, key: Key) -> bool:
    """Was a wildcard in the key matched by a wildcard? A request on the literal text
    `table/*` is allowed by a grant on `table/?`, which does not grant `table/*`: an Allow that
    decided must include the key's patterns (or exclude by NotAction/NotResource, not checked)."""
    allows = [s for s in value.statements if s.effect is Effect.ALLOW]
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


def _same_conditions(a: Value, b: Value) -> bool:
    return _canon(a.conditions) == _canon(b.conditions)


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
    if len(inner_value.because) <= 1 and len(outer_value.because) <= 1 and _same_conditions(inner_value, outer_value):
        return True
    clauses: dict[str, list[tuple[str, tuple]]] = {}
    for c in inner_value.conditions + outer_value.conditions:
        if "operator" not in c or c["operator"] == "PolicyVariable" or any("${" in v for v in c["values"]):
            return _routes_within(inner_value, outer_value)
        clauses.setdefault(c["key"].lower(), []).append((c["operator"], tuple(c["values"])))
    axes = [(k, candidate_contexts(k, cs, any(op.startswith("For") for op, _ in cs))) for k, cs in clauses.items()]
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


def _relabel(value, label: Callable[[str], str]):
    if isinstance(value, str):
        return label(value)
    if isinstance(value, dict):
        return {k: _relabel(v, label) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_relabel(v, label) for v in value]
    return value


def _entry(key: Key, action: str, value: Value, change: str) -> dict:
    out = {"principal": key[0], "action": action, "resource": key[2], "decision": value.decision.value,
           "change": change, "conditions": list(value.conditions), "because": list(value.because)}
    if value.via:
        out["via"] = list(value.via)
    if value.notes:
        out["notes"] = list(value.notes)
    return out


def _other(value: Value) -> dict:
    return {"decision": value.decision.value, "conditions": list(value.conditions)}


def compare(old: Facts, new: Facts) -> dict:
    """Access added (new answers wider) and removed (old answers wider), as the contract's JSON.

    Wider: a higher decision (denied < conditional < allowed), or — both conditional — a set of
    request contexts not inside the other side's. Each side's text is written with its `label`.
    """
    old_label, new_label = old.label, new.label
    spelled = {**old.spelled, **new.spelled}
    added, removed = [], []
    for key in sorted(spelled):
        action, resource = spelled[key]
        was = old.value(key, action, resource, new.entities - old.entities)
        now = new.value(key, action, resource, old.entities - new.entities)
        grow = RANK[now.decision] - RANK[was.decision]
        if grow > 0:
            added.append((key, action, now, "granted" if was.decision is Decision.DENIED else "widened", was))
        elif grow < 0:
            removed.append((key, action, was, "revoked" if now.decision is Decision.DENIED else "narrowed", now))
        elif now.decision is Decision.CONDITIONAL:
            if not _within(key, action, resource, new, old, now, was):
                added.append((key, action, now, "loosened", was))
            if not _within(key, action, resource, old, new, was, now):
                removed.append((key, action, was, "tightened", now))
    return {"added": [{**_relabel(_entry(*a[:4]), new_label), "was": _relabel(_other(a[4]), old_label)} for a in added],
            "removed": [{**_relabel(_entry(*r[:4]), old_label), "now": _relabel(_other(r[4]), new_label)}
                        for r in removed]}


def diff(old: Edges, new: Edges, old_label: Callable[[str], str] = _same,
         new_label: Callable[[str], str] = _same) -> dict:
    """`permcheck diff`: what `new` grants that `old` did not, and what it no longer grants."""
    return compare(facts_of(old, old_label), facts_of(new, new_label))
