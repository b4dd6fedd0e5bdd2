"""Edges between principals and what they reach, each with a decided answer.

Pure edge computation (PMapper's split): `Edges` asks the evaluator, the graph builder
and the queries only arrange the answers. Candidate principals come from indexes —
principals whose identity policies mention the action, principals a resource policy
names — never from all pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from permcheck.graph.index import Index
from permcheck.model.location import InputError
from permcheck.iam.decide import Answer, Decision, evaluate
from permcheck.iam.match import any_match, negate
from permcheck.iam.request import Caller, CallerKind, Request
from permcheck.model.entities import Role, User
from permcheck.model.policy import Effect, Principal, PrincipalType, Statement
from permcheck.model.values import Sym, Unknown

INVOKE_ACTIONS = ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl")


@dataclass(frozen=True)
class Edge:
    """`source` may do `action` on `target`: the evaluator's answer for that request."""

    source: str
    target: str
    action: str
    answer: Answer


@dataclass
class Edges:
    index: Index
    context: dict = field(default_factory=dict)
    closed: bool = False

    # -- asking the evaluator -----------------------------------------------------------
    def ask(self, caller: Caller, action: str, resource: str) -> Answer:
        request = Request(caller=caller, action=action, target=self.index.target(resource, action),
                          context=self.context, closed=self.closed)
        return evaluate(request, self.index.organisation)

    # -- who is named, who has identity allows -----------------------------------------------
    def named_callers(self, statements: tuple[Statement, ...]) -> list[Caller | Principal]:
        """The callers a resource policy names; an unresolvable principal is returned as is."""
        out: dict[str, Caller | Principal] = {}
        for statement in statements:
            if statement.effect is not Effect.ALLOW or statement.principals is None or statement.not_principal:
                continue
            for principal in statement.principals:
                if isinstance(principal.value, (Sym, Unknown)):
                    out[str(principal.value)] = principal
                    continue
                caller = self.caller_for_principal(principal)
                if caller is not None:
                    out[caller.session_arn or caller.arn] = caller
        return list(out.values())

    def caller_for_principal(self, principal: Principal) -> Caller | None:
        if principal.type is PrincipalType.ANYONE:
            return Caller(kind=CallerKind.ANYONE, arn="*")
        if principal.type is PrincipalType.SERVICE:
            return Caller(kind=CallerKind.SERVICE, arn=str(principal.value))
        if principal.type is not PrincipalType.AWS:
            return Caller(kind=CallerKind.FEDERATED, arn=str(principal.value))
        try:
            return self.index.caller(str(principal.value))
        except InputError:  # e.g. an IAM group or policy ARN as principal: it names no caller
            return None

    @cached_property
    def _identity_allows(self) -> dict[str, list[tuple[Role | User, Statement]]]:
        """Per action of interest: the (entity, Allow statement) pairs whose actions may match."""
        wanted = INVOKE_ACTIONS + ("sts:AssumeRole",)
        out: dict[str, list] = {a: [] for a in wanted}
        inv = self.index.inventory
        for entity in (*inv.roles.values(), *inv.users.values()):
            for policy in self.index.identity_policies(entity):
                for statement in policy.statements:
                    if statement.effect is not Effect.ALLOW:
                        continue
                    for action in wanted:
                        hit = any_match(statement.actions, action, ignore_case=True)
                        if (negate(hit) if statement.not_action else hit) is not False:
                            out[action].append((entity, statement))
                if policy.unknown is not None:
                    for action in wanted:
                        out[action].append((entity, None))
        return out

    def identity_candidates(self, action: str, resource: str) -> list[Role | User]:
        """Principals in the inputs whose identity policies may allow `action` on `resource`."""
        found: dict[str, Role | User] = {}
        for entity, statement in self._identity_allows.get(action, []):
            if statement is None or statement.resources is None:
                found[str(entity.arn)] = entity
                continue
            if any(isinstance(r, str) and "${" in r for r in statement.resources):
                found[str(entity.arn)] = entity
                continue
            hit = any_match(statement.resources, resource)
            if (negate(hit) if statement.not_resource else hit) is not False:
                found[str(entity.arn)] = entity
        return list(found.values())

    # -- role assumption ----------------------------------------------------------------------
    @cached_property
    def assumers(self) -> dict[str, list[Edge]]:
        """Role ARN → the edges of principals that may assume it (allowed or conditional)."""
        out: dict[str, list[Edge]] = {}
        for arn, role in self.index.inventory.roles.items():
            if role.trust is None or role.trust.error:
                continue
            callers: dict[str, Caller] = {}
            for named in self.named_callers(role.trust.statements):
                if not isinstance(named, Caller):
                    continue
                callers[named.arn] = named
                if named.kind in (CallerKind.ROOT, CallerKind.ANYONE):
                    # a trust naming an account (or anyone) lets in the principals there whose
                    # own policies allow sts:AssumeRole on the role
                    for entity in self.identity_candidates("sts:AssumeRole", arn):
                        if named.kind is CallerKind.ANYONE or entity.account == named.account:
                            callers[str(entity.arn)] = self.index.caller_for_entity(entity)
            for caller in callers.values():
                if caller.arn == arn:
                    continue
                answer = self._assume_answer(caller, arn)
                if answer.decision is not Decision.DENIED:
                    out.setdefault(arn, []).append(Edge(caller.arn, arn, "sts:AssumeRole", answer))
        return out

    def _assume_answer(self, caller: Caller, role_arn: str) -> Answer:
        best = None
        for action in ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"):
            if caller.kind is not CallerKind.FEDERATED and action != "sts:AssumeRole":
                continue
            answer = self.ask(caller, action, role_arn)
            if best is None or _rank(answer) > _rank(best):
                best = answer
        return best

    def assumable_by(self, caller_arn: str) -> list[Edge]:
        """The roles a principal may assume directly."""
        return [e for edges in self.assumers.values() for e in edges if e.source == caller_arn]


def _rank(answer: Answer) -> int:
    return {Decision.DENIED: 0, Decision.CONDITIONAL: 1, Decision.ALLOWED: 2}[answer.decision]
