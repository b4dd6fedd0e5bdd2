"""The access one side of a diff grants, listed as facts by its queries.

Each side lists: who may invoke each function (`who_can_invoke`, role chains included); what
each role and user may do (`what_can_access`: identity grants, resource policies naming it,
what it reaches by assuming roles); who may assume each role (trust); what resource policies
grant principals the inputs do not define (services, other accounts, `*`); and the requests
where a Deny or an exclusion decides, so that removing a Deny shows. A module of its own
because listing walks one side's inventory and queries, while comparing (diff.py) asks every
fact of either side on both (fact_answers.py). Pure: no I/O.
"""

from __future__ import annotations

from typing import Callable, Optional

from permcheck.graph.edges import Edges
from permcheck.graph.fact_answers import Facts, as_written, from_answer, labelled_errors, request_text
from permcheck.graph.query import what_can_access, who_can_invoke
from permcheck.iam.answer import Answer, Decision, OnUnknown
from permcheck.iam.request import Caller, CallerKind
from permcheck.model.policy import Effect, Statement
from permcheck.model.values import Sym, Unknown, concat


def facts_of(edges: Edges, label: Callable[[str], str] = as_written) -> Facts:
    """The access one side's inputs grant, as facts (see the module's docstring)."""
    with labelled_errors(label):
        return _facts_of(edges, label)


def _facts_of(edges: Edges, label: Callable[[str], str]) -> Facts:
    inventory = edges.index.inventory
    facts = Facts(edges, frozenset(inventory.roles) | frozenset(inventory.users), label,
                  objects=_resource_values(edges))
    for function in inventory.functions.values():
        for row in who_can_invoke(edges, function).principals:
            resource = concat([function.arn, f":{row.qualifier}"]) if row.qualifier else function.arn
            for action in row.actions:
                request = request_text(row.principal, action.lower(), str(resource), *row.via)
                facts.add(row.principal, action, resource, from_answer(row.answer, request, row.via))
    for arn, role in inventory.roles.items():
        for edge in edges.assumers_of(arn):
            facts.add(edge.source, edge.action, role.arn,
                      from_answer(edge.answer, request_text(edge.source, "sts:assumerole", arn)))
    denies: list[tuple[Statement, Optional[list[str]], object]] = []  # (Deny, principals or None: all, holder)
    callers = [edges.index.caller_for_entity(e) for e in (*inventory.roles.values(), *inventory.users.values())]
    for caller in callers + _outside_assumers(edges, facts):
        principal = caller.session_arn or caller.arn
        for row in what_can_access(edges, caller).access:
            for action in row.actions:
                request = request_text(principal, str(action).lower(), row.resource, *row.via)
                facts.add(principal, str(action), row.resource, from_answer(row.answer, request, row.via))
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
                caller = edges.index.caller_if_any(edge.source)
                if caller is not None:
                    out[edge.source] = caller
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
                answer = Answer(Decision.CONDITIONAL, (OnUnknown(f"principal {principal.value}"),), (statement,))
                for action, resource in _patterns(statement, holder):
                    request = request_text(str(principal.value), action.lower(), str(resource))
                    facts.add(str(principal.value), action, resource, from_answer(answer, request))
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
                              from_answer(answer, request_text(principal, action.lower(), str(resource))))
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
