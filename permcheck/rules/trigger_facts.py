"""Trigger-path facts: the ways into each function (graph/triggers.py) — who invokes it or fires one
of its sources — with who that is (anyone, another account) and what the function's role can do.

Only the first level: a longer path passes a function whose role fires the next source, and that
function is the door, with a way in of its own whose role can write (the next request is a write).
So a rule on these facts names the door once, instead of once per function behind it;
`who-can-trigger` shows the whole chain."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache, lru_cache

from permcheck.graph.edges import Edges
from permcheck.graph.outsiders import ACCOUNT, ANY_ACCOUNT, ANYONE, Outsiders
from permcheck.graph.rows import AskHop, RunHop, SourceHop, TriggerPath
from permcheck.graph.ways_in import WaysIn, first_source
from permcheck.iam.answer import Decision
from permcheck.iam.catalog import access_level, expand
from permcheck.model.arn import parse_arn
from permcheck.model.policy import ANYONE as ANYONE_PRINCIPAL, Effect, PrincipalType
from permcheck.rules import facts
from permcheck.rules.asking import TARGET_TYPES, holder_of
from permcheck.rules.wants import Want, may_flag

WRITE, PERMISSIONS = "Write", "Permissions management"
TELEMETRY = frozenset({"logs:createloggroup", "logs:createlogstream", "logs:putlogevents",
                       "xray:puttracesegments", "xray:puttelemetryrecords"})
"""What every function writes about itself (AWSLambdaBasicExecutionRole, tracing): not power."""


def trigger_paths(edges: Edges, outsiders: Outsiders, escalating: Callable[[], set[str]],
                  wants: Iterable[Want] = ((),)) -> list[facts.TriggerPath]:
    """The paths into every function of the inputs, each with its role's power — those some rule in
    force may flag (`wants`, rules/wants.py: its tests on the fields known before a fact is built;
    `escalating()`: the principals that can escalate, asked only when a fact is built).

    Who invokes a function (who-can-invoke, the bulk of the paths: every role whose policies allow
    the invoke) is asked only when a rule may flag such a path: one not through a source, by `*`
    (which only a policy naming `*` lets in, or a role chain: `assumes_roles`) or by anyone else.
    `public` is never true of a path by anyone but `*`. When only `*`'s direct invoke may be
    flagged (the built-in rules), only `*`'s rows are asked for (`WaysIn.invoked`): the other
    principals' paths would each be dropped, and `*`'s rows are the same without them."""
    zone, wants = outsiders.zone, list(wants)
    paths, out, powers = WaysIn(edges), [], {}
    escalating = cache(escalating)  # asked once, when the first fact is built
    for function in edges.index.inventory.functions.values():
        role = str(function.role) if function.role is not None else ""
        base = {"function": str(function.arn), "role": role}
        direct = {**base, "through_source": False, "sources": []}
        star = {**direct, "principal": "*", "principal_kind": "anyone", "principal_account": ""}
        anyone_only = not may_flag(wants, {**direct, "public": False}) \
            and not may_flag(wants, {**star, "assumes_roles": True})
        invoked = not anyone_only or (_names_anyone(function) and may_flag(wants, {**star, "assumes_roles": False}))
        sourced = may_flag(wants, {**base, "through_source": True})
        ways = (paths.invoked(function, anyone_only) if invoked else []) \
            + (paths.sources_into(function) if sourced else [])
        chosen: dict[tuple, TriggerPath] = {}  # one fact per principal, route and kind: the widest path
        for path in ways:
            key = (path.principal, _route(path), _assumes_roles(path))
            held = chosen.get(key)
            if held is None or (held.answer.decision is Decision.CONDITIONAL
                                and path.answer.decision is Decision.ALLOWED):
                chosen[key] = path
        for path in chosen.values():
            principal = path.principal or ""
            kind, account = _kind(principal)
            outside = account if account and account not in zone.accounts else ""
            source = first_source(path)
            first = source.trigger if source is not None else None
            known = {**base, "principal": principal, "principal_kind": kind, "principal_account": account,
                     "decision": path.answer.decision.value, "through_source": first is not None,
                     "assumes_roles": _assumes_roles(path),
                     "sources": [hop.trigger.source for hop in path.hops if isinstance(hop, SourceHop)]}
            public = False
            if principal == "*":
                if not may_flag(wants, known):
                    continue
                public, outside = _open_to(edges, outsiders, path)
            known.update(public=public, other_account=outside)
            if not may_flag(wants, known):
                continue
            if role not in powers:
                powers[role] = _power(edges, role, role in escalating())
            writes, manages, escalates, power = powers[role]
            holder, location = _where(path, first, function)
            out.append(facts.TriggerPath(
                function=known["function"], principal=principal, principal_kind=kind, principal_account=account,
                other_account=outside, public=public, decision=known["decision"],
                through_source=known["through_source"], assumes_roles=known["assumes_roles"],
                sources=known["sources"], path=describe(path, function), role=role, role_writes=writes,
                role_manages_permissions=manages, role_escalates=escalates, role_power=power, holder=holder,
                location=location))
    return out


def _names_anyone(function) -> bool:
    """May the function's policy name anyone (`*` of any kind, or NotPrincipal)? Only then does
    who-can-invoke list `*` as a direct invoker. A policy whose content is unknown may."""
    policy = function.policy
    return policy is not None and (policy.unknown is not None or any(
        s.not_principal or any(p.type is PrincipalType.ANYONE or str(p.value) == "*" for p in s.principals or ())
        for s in policy.statements))


def _open_to(edges: Edges, outsiders: Outsiders, path: TriggerPath) -> tuple[bool, str]:
    """Whether a path by `*` is open to anyone on the internet, and else the account outside the
    zone of trust it lets in: a source open by design (a route without authorization) is; a
    resource policy's `*` is judged by what it lets through (graph/outsiders.py), never by the
    principal's text — `*` restricted to the own organisation is neither."""
    if any(isinstance(hop, SourceHop) and hop.trigger.public for hop in path.hops[:2]):
        return True, ""
    hop = path.hops[0]
    if not isinstance(hop, AskHop):
        return False, ""
    statements = [s for s in hop.answer.because
                  if s.principals and any(p.type is PrincipalType.ANYONE for p in s.principals)]
    if not statements:
        return False, ""
    found = outsiders.let_in(ANYONE_PRINCIPAL, statements, _target_type(edges, hop.resource),
                             [(hop.action, hop.resource)])
    if any(o.kind in (ANYONE, ANY_ACCOUNT) for o in found):
        return True, ""
    return False, next((o.account for o in found if o.kind == ACCOUNT), "")


def _target_type(edges: Edges, resource: str) -> str:
    index = edges.index
    if index.function_at(resource) is not None:
        return "function"
    held = index.inventory.resources.get(resource) or index.inventory.resources.get(resource.split("/", 1)[0])
    return TARGET_TYPES.get(held.type, "other") if held is not None else "other"


def _assumes_roles(path: TriggerPath) -> bool:
    """Does the path begin by assuming roles? A direct invoke and a chain are different doors even on
    one route: an allowed chain must not hide a conditional direct invoke that a rule flags."""
    return isinstance(path.hops[0], AskHop) and bool(path.hops[0].via)


def _route(path: TriggerPath) -> tuple:
    """The sources and functions a path passes: two paths that pass the same are one door."""
    return tuple(str(hop.trigger.resource) if isinstance(hop, SourceHop) else hop.function
                 for hop in path.hops if isinstance(hop, (SourceHop, RunHop)))


def _where(path: TriggerPath, first, function) -> tuple[str, object]:
    """Where a finding about the path points: the wiring of its first source, else the statement
    that lets its principal invoke, else the function."""
    if first is not None and first.location is not None:
        return first.logical_id or function.logical_id or str(function.arn), first.location
    statements = [s for hop in path.hops if isinstance(hop, AskHop) for s in hop.answer.because]
    fallback = function.logical_id or str(function.arn)
    if statements:
        return holder_of(statements[0], fallback), statements[0].location
    return fallback, function.location


def _power(edges: Edges, role: str, escalates: bool) -> tuple[bool, bool, bool, str]:
    """Whether the role may write (beyond its own logs and traces), manage permissions, escalate.

    Each Allow of its identity policies that names such actions is asked of the evaluator for one
    of them on one of its resources (Denies, boundaries and SCPs apply): a role whose Allow
    survives can. A few requests per role, where listing all it can access costs hundreds."""
    entity = edges.index.inventory.roles.get(role)
    found = {WRITE: False, PERMISSIONS: False}
    if entity is not None:
        caller = edges.index.caller_for_entity(entity)
        for policy in edges.index.identity_policies(entity):
            for statement in policy.statements:
                if statement.effect is not Effect.ALLOW or all(found.values()):
                    continue
                patterns = ("*",) if statement.not_action else statement.actions
                resource = (statement.resources or ("*",))[0] if not statement.not_resource else "*"
                for level in (WRITE, PERMISSIONS):
                    found[level] = found[level] or any(
                        edges.ask(caller, action, resource).decision is not Decision.DENIED
                        for action in _some_actions(patterns, level))
    writes, manages = found[WRITE], found[PERMISSIONS]
    power = ", ".join(word for word, held in (("write", writes), ("manage permissions", manages),
                                               ("escalate", escalates)) if held)
    return writes, manages, escalates, power


@lru_cache(maxsize=4096)
def _some_actions(patterns: tuple, level: str) -> list[str]:
    """A few actions the patterns grant at `level` (not the function's own telemetry): the first,
    middle and last of each pattern's, so that one Deny of a service does not hide the rest."""
    out: list[str] = []
    for pattern in patterns:
        found = [a for a in expand(str(pattern)) if a.lower() not in TELEMETRY and access_level(a) == level]
        out += [a for a in dict.fromkeys(found[i] for i in (0, len(found) // 2, -1)) if a not in out] if found else []
    return out


@lru_cache(maxsize=65536)
def _kind(principal: str) -> tuple[str, str]:
    """The principal's kind and account."""
    if not principal:
        return "none", ""
    if principal == "*":
        return "anyone", ""
    if principal.endswith(".amazonaws.com"):
        return "service", ""
    parsed = parse_arn(principal)
    if parsed is None:
        return "unknown", ""
    head = parsed.resource.split("/", 1)[0]
    kind = "account" if parsed.resource == "root" else \
        {"role": "role", "user": "user", "assumed-role": "session"}.get(head, "unknown")
    return kind, parsed.account


def describe(path: TriggerPath, function) -> str:
    """A path in words, for a finding's message."""
    words = [path.principal or "AWS"]
    for hop in path.hops:
        if isinstance(hop, RunHop):
            words.append(f"runs {hop.function.rsplit(':', 1)[-1]}")
        elif isinstance(hop, SourceHop):
            words.append(f"{hop.trigger.source} {hop.trigger.event or ''} on {hop.trigger.resource}".replace("  ", " "))
        elif hop.principal is None:
            words.append(f"{hop.action} on {hop.resource}")
    words.append(f"runs {function.name}")
    return " → ".join(w for w in words if w)

