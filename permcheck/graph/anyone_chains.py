"""The roles that anyone (`*`) reaches by assuming roles: a chain that starts with a trust policy
naming `*` (anyone may call sts:AssumeRole on that role, then on the roles it may assume).

who-can-invoke lists such a chain under `*` with the roles in `via`. A caller that wants only
`*`'s direct rows (graph/query.py `anyone_invokers`) must know whether a chain from `*` could end
at one of a function's invokers; it asks these few roles instead of listing every invoker.

The walk goes forward from `*`, the way `Edges.reachable_roles` goes from a principal, but asks
only the roles a trust policy could let the next one in: each trust is read once for whom it names
(a role or user, an account, anyone), and a role is asked about a role whose trust names it, its
account or anyone — the only principals `Edges` lets assume a role (a role's trust policy names in
its Principal who may assume it, `*` for everyone:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
The may-assume answers are `Edges`' own, asked and kept there."""

from __future__ import annotations

from collections import deque
from typing import Protocol

from permcheck.graph.index import Index
from permcheck.iam.request import Caller, CallerKind
from permcheck.model.policy import PrincipalType


class Assumes(Protocol):
    """What the walk needs of `Edges` (named here: `Edges` imports this module)."""

    index: Index

    def named_callers(self, statements: tuple) -> list: ...

    def _assume_callers(self, arn: str) -> list[Caller]: ...

    def _assume_edge(self, caller: Caller, arn: str) -> object: ...


def roles_anyone_reaches(edges: Assumes) -> frozenset[str]:
    """Every role `*` may assume, or reach by assuming roles from one it may assume (allowed or
    conditional at each step)."""
    by_name: dict[str, list[str]] = {}  # a role's or user's ARN → roles whose trust names it
    by_account: dict[str | None, list[str]] = {}  # account → roles whose trust names it
    anyone: list[str] = []
    for arn, role in edges.index.inventory.roles.items():
        if role.trust is None or role.trust.error or not _names_principals(role.trust.statements):
            continue
        for named in edges.named_callers(role.trust.statements):
            if not isinstance(named, Caller):
                continue
            if named.kind is CallerKind.ANYONE:
                anyone.append(arn)
            elif named.kind is CallerKind.ROOT:
                by_account.setdefault(named.account, []).append(arn)
            else:
                by_name.setdefault(named.arn, []).append(arn)
    reached: set[str] = set()
    queue = deque(["*"])
    while queue:
        source = queue.popleft()
        account = None if source == "*" else edges.index.inventory.roles[source].account
        near = anyone if source == "*" else by_name.get(source, []) + by_account.get(account, []) + anyone
        for target in dict.fromkeys(near):
            if target in reached or target == source:
                continue
            caller = next((c for c in edges._assume_callers(target) if c.arn == source), None)
            if caller is not None and edges._assume_edge(caller, target) is not None:
                reached.add(target)
                queue.append(target)
    return frozenset(reached)


def _names_principals(statements: tuple) -> bool:
    """Does a trust name an AWS principal (a role, a user, an account) or anyone? Only those can
    be a step of a chain from `*`: most trusts name a service alone (`lambda.amazonaws.com`), and
    a service or federated caller is never a role the walk stands on."""
    return any(p.type in _CHAIN_TYPES for s in statements for p in s.principals or ())


_CHAIN_TYPES = (PrincipalType.AWS, PrincipalType.ANYONE)
