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

import itertools
import json
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from permcheck.graph.edges import Edges
from permcheck.graph.query import MAX_CHAIN, answer_json, what_can_access, who_can_invoke
from permcheck.iam.conditions import candidate_contexts
from permcheck.iam.decide import Answer, Decision
from permcheck.iam.request import Caller
from permcheck.model.location import InputError
from permcheck.model.policy import Effect, Statement
from permcheck.model.values import concat

RANK = {Decision.DENIED: 0, Decision.CONDITIONAL: 1, Decision.ALLOWED: 2}
MAX_CONTEXTS = 512  # request contexts tried to decide whether one condition set is inside another
Key = tuple[str, str, str]  # principal, action lower-cased (actions are case-insensitive), resource text


@dataclass(frozen=True)
class Value:
    """One side's answer on one fact: the decision, what it depends on, why, the roles of a chain."""

    decision: Decision
    conditions: tuple[dict, ...] = ()
    because: tuple[dict, ...] = ()
    via: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


DENIED = Value(Decision.DENIED)


def _from_json(entry: dict) -> Value:
    return Value(Decision(entry["decision"]), tuple(entry["conditions"]), tuple(entry["because"]),
                 tuple(entry.get("via") or ()), tuple(entry.get("notes") or ()))


def _from_answer(answer: Answer, via: tuple[str, ...] = ()) -> Value:
    return _from_json({**answer_json(answer), "via": via})


def _union(a: tuple, b: tuple) -> tuple:
    return a + tuple(x for x in b if x not in a)


def _best(a: Optional[Value], b: Value) -> Value:
    """Two ways to the same access: the wider holds; two conditional ways depend on both's conditions."""
    if a is None or RANK[b.decision] > RANK[a.decision]:
        return b
    if RANK[b.decision] == RANK[a.decision] == 1:
        return replace(a, conditions=_union(a.conditions, b.conditions), because=_union(a.because, b.because))
    return a


def _chain(hops: list[Value], via: tuple[str, ...]) -> Value:
    """A role chain holds when every hop does (as the queries' chains)."""
    if any(h.decision is Decision.DENIED for h in hops):
        return DENIED
    allowed = all(h.decision is Decision.ALLOWED for h in hops)
    conditions, because = (), ()
    for hop in hops:
        conditions, because = _union(conditions, hop.conditions), _union(because, hop.because)
    return Value(Decision.ALLOWED if allowed else Decision.CONDITIONAL, () if allowed else conditions, because, via)


@dataclass
class Facts:
    """One side's access: the facts its queries found, and how to ask it about any other."""

    edges: Edges
    entities: frozenset[str]  # ARNs of the roles and users this side defines
    found: dict[Key, Value] = field(default_factory=dict)
    spelled: dict[Key, tuple[str, object]] = field(default_factory=dict)  # action as written, resource value
    objects: dict[str, object] = field(default_factory=dict)  # resource text → value (unknown parts kept)
    _asked: dict = field(default_factory=dict, repr=False)
    _variants: dict = field(default_factory=dict, repr=False)
    _by_principal: dict = field(default_factory=dict, repr=False)

    def add(self, principal: str, action: str, resource: object, value: Optional[Value] = None) -> None:
        """A fact (with this side's answer when a query gave it) or a request to ask both sides."""
        key = (principal, action.lower(), str(resource))
        self.spelled.setdefault(key, (action, self.objects.get(str(resource), resource)))
        if value is not None:
            self.found[key] = _best(self.found.get(key), value)

    def value(self, key: Key, action: str, resource: object, other: frozenset[str]) -> Value:
        """This side's answer on a fact: as found, else asked (`other`: what only the other side defines)."""
        if key in self.found:
            return self.found[key]
        if key not in self._asked:
            value = self.ask(key, action, resource, other) or DENIED
            if value.decision is not Decision.DENIED and _is_pattern(key) and not self._covered(key):
                value = DENIED  # a literal pattern matched by `?`: not evidence that the pattern is granted
            self._asked[key] = value
        return self._asked[key]

    def ask(self, key: Key, action: str, resource: object, other: frozenset[str],
            context: Optional[dict] = None) -> Optional[Value]:
        """The evaluator's answer here, over direct access and role chains; None: cannot be asked."""
        edges = self.edges if context is None else self._variant(context)
        if key[1].startswith("sts:assumerole") and key[2] in other and key[2] not in self.entities:
            return DENIED  # a role this side does not define cannot be assumed here
        caller = self._caller(key[0], other)
        if caller is None:
            return DENIED if key[0] in other else None
        best = _from_answer(edges.ask(caller, action, resource))
        for role, hops, via in self._reachable(edges, caller.arn):
            best = _best(best, _chain(hops + [_from_answer(edges.ask(role, action, resource))], via))
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
        reverse: dict[str, list] = {}
        for target_edges in edges.assumers.values():
            for edge in target_edges:
                reverse.setdefault(edge.source, []).append(edge)
        out, seen, queue = [], {start}, deque([(start, (), [])])
        while queue:
            source, via, hops = queue.popleft()
            if len(via) >= MAX_CHAIN:
                continue
            for edge in reverse.get(source, []):
                if edge.target in seen:
                    continue
                seen.add(edge.target)
                chain = hops + [_from_answer(edge.answer)]
                role = edges.index.caller_for_entity(edges.index.inventory.roles[edge.target])
                out.append((role, chain, via + (edge.target,)))
                queue.append((edge.target, via + (edge.target,), chain))
        return out

    def _covered(self, key: Key) -> bool:
        """A found, not denied fact of the same principal whose patterns include the key's."""
        if not self._by_principal:
            for (principal, action, resource), value in self.found.items():
                if value.decision is not Decision.DENIED:
                    self._by_principal.setdefault(principal, []).append((action, resource))
        return any(covers(action, key[1]) and covers(resource, key[2])
                   for action, resource in self._by_principal.get(key[0], ()))


def facts_of(edges: Edges) -> Facts:
    """The access one side's inputs grant, as facts (see the module's docstring)."""
    inventory = edges.index.inventory
    facts = Facts(edges, frozenset(inventory.roles) | frozenset(inventory.users), objects=_resource_values(edges))
    for function in inventory.functions.values():
        for entry in who_can_invoke(edges, function)["principals"]:
            qualifier = entry.get("qualifier")
            resource = concat([function.arn, f":{qualifier}"]) if qualifier else function.arn
            for action in entry["actions"]:
                facts.add(entry["principal"], action, resource, _from_json(entry))
    for arn, role in inventory.roles.items():
        for edge in edges.assumers_of(arn):
            facts.add(edge.source, edge.action, role.arn, _from_answer(edge.answer))
    denies: list[tuple[Statement, Optional[list[str]], object]] = []  # (Deny, principals or None: all, holder)
    for entity in (*inventory.roles.values(), *inventory.users.values()):
        caller = edges.index.caller_for_entity(entity)
        for entry in what_can_access(edges, caller)["access"]:
            for action in entry["actions"]:
                facts.add(caller.arn, str(action), entry["resource"], _from_json(entry))
        denies += [(s, [caller.arn], None) for p in caller.identity or () for s in p.statements
                   if s.effect is Effect.DENY]
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


def _outside_grants(edges: Edges, facts: Facts) -> list[tuple[Statement, Optional[list[str]], object]]:
    """Facts of resource-policy grants to principals the inputs do not define; the policies' Denies."""
    inventory = edges.index.inventory
    denies = []
    for holder in (*inventory.functions.values(), *inventory.resources.values()):
        for statement in holder.policy.statements if holder.policy else ():
            if statement.principals is None:
                continue
            if statement.effect is Effect.DENY:
                named = [edges.caller_for_principal(p) for p in statement.principals]
                everyone = statement.not_principal or any(c is None or c.arn == "*" for c in named)
                denies.append((statement, None if everyone else [c.arn for c in named], holder.arn))
                continue
            for caller in edges.named_callers((statement,)):
                if not isinstance(caller, Caller) or caller.arn in facts.entities:
                    continue  # an unresolved principal shows in who-can-invoke; roles and users in what-can-access
                for action, resource in _patterns(statement, holder.arn):
                    facts.add(caller.session_arn or caller.arn, action, resource,
                              _from_answer(edges.ask(caller, action, facts.objects.get(resource, resource))))
    return denies


def _patterns(statement: Statement, holder: object = None) -> list[tuple[str, object]]:
    """(action, resource) pairs a statement names; NotAction/NotResource as `*`, `*` as its holder."""
    actions = ["*"] if statement.not_action else [str(a) for a in statement.actions]
    resources = [] if statement.not_resource else [r for r in statement.resources or () if r != "*" or not holder]
    return [(a, r) for r in resources or [holder or "*"] for a in actions]


def _deny_points(facts: Facts, denies: list[tuple[Statement, Optional[list[str]], object]]) -> None:
    """Requests a Deny refuses, to ask both sides: a Deny removed is access added.

    A Deny for everyone is asked for the principals with access to the same service.
    """
    services: dict[str, set[str]] = {}
    for principal, action, _ in facts.found:
        services.setdefault(principal, set()).add(action.split(":")[0])
    for statement, principals, holder in denies:
        pairs = _patterns(statement, holder)
        wanted = {a.split(":")[0].lower() for a, _ in pairs}
        for principal in principals if principals is not None else sorted(services):
            if principals is None and not ("*" in wanted or services[principal] & (wanted | {"*"})):
                continue
            for action, resource in pairs:
                facts.add(principal, action, resource)


def _is_pattern(key: Key) -> bool:
    return any(c in key[1] or c in key[2] for c in "*?")


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
    canon = lambda v: {json.dumps(c, sort_keys=True) for c in v.conditions}  # noqa: E731
    return canon(a) == canon(b)


def _within(key: Key, action: str, resource: object, inner: Facts, outer: Facts,
            inner_value: Value, outer_value: Value) -> bool:
    """Is `inner`'s conditional access on a fact inside `outer`'s?

    Decided request context by request context when every condition is on a request key: the
    keys' representative values (the evaluator's own, exact per key) are tried on both sides.
    Otherwise (unknown values, policy variables) only equal condition lists count as inside.
    """
    clauses: dict[str, list[tuple[str, tuple]]] = {}
    for c in inner_value.conditions + outer_value.conditions:
        if "operator" not in c or c["operator"] == "PolicyVariable" or any("${" in v for v in c["values"]):
            return _same_conditions(inner_value, outer_value)
        clauses.setdefault(c["key"].lower(), []).append((c["operator"], tuple(c["values"])))
    axes = [(k, candidate_contexts(k, cs, any(op.startswith("For") for op, _ in cs))) for k, cs in clauses.items()]
    count = 1
    for _, values in axes:
        count *= len(values)
    if not axes or count > MAX_CONTEXTS:
        return _same_conditions(inner_value, outer_value)
    for combo in itertools.product(*(values for _, values in axes)):
        context = dict(inner.edges.context)
        for (k, _), value in zip(axes, combo):
            context.pop(k, None) if value is None else context.__setitem__(k, value)
        a = inner.ask(key, action, resource, outer.entities, context)
        b = outer.ask(key, action, resource, inner.entities, context)
        if a is None or b is None or Decision.CONDITIONAL in (a.decision, b.decision):
            return _same_conditions(inner_value, outer_value)
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


def _entry(key: Key, action: str, value: Value, change: str, other: Value, other_name: str) -> dict:
    out = {"principal": key[0], "action": action, "resource": key[2], "decision": value.decision.value,
           "change": change, "conditions": list(value.conditions), "because": list(value.because)}
    if value.via:
        out["via"] = list(value.via)
    if value.notes:
        out["notes"] = list(value.notes)
    out[other_name] = {"decision": other.decision.value, "conditions": list(other.conditions)}
    return out


def _same(text: str) -> str:
    return text


def compare(old: Facts, new: Facts, old_label: Callable[[str], str] = _same,
            new_label: Callable[[str], str] = _same) -> dict:
    """Access added (new answers wider) and removed (old answers wider), as the contract's JSON.

    Wider: a higher decision (denied < conditional < allowed), or — both conditional — a set of
    request contexts not inside the other side's. `*_label` rewrite the text of each side's entries.
    """
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
    return {"added": [{**_relabel(_entry(*a[:-1], {}, "was"), new_label), "was": _relabel(_other(a[-1]), old_label)}
                      for a in added],
            "removed": [{**_relabel(_entry(*r[:-1], {}, "now"), old_label), "now": _relabel(_other(r[-1]), new_label)}
                        for r in removed]}


def _other(value: Value) -> dict:
    return {"decision": value.decision.value, "conditions": list(value.conditions)}


def diff(old: Edges, new: Edges, old_label: Callable[[str], str] = _same,
         new_label: Callable[[str], str] = _same) -> dict:
    """`permcheck diff`: what `new` grants that `old` did not, and what it no longer grants."""
    return compare(facts_of(old), facts_of(new), old_label, new_label)
