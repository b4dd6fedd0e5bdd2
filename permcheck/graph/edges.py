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
    _assumers: dict = field(default_factory=dict, repr=False)
    _plain_answers: dict = field(default_factory=dict, repr=False)

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

    @cached_property
    def _candidate_index(self) -> dict[str, tuple[list, dict, list]]:
        """Per action: principals whose Allows may match any resource, those naming exact
        resources (by resource), and those with patterns to try — so a query does not scan
        every statement of every principal."""
        out: dict[str, tuple[list, dict, list]] = {}
        for action, pairs in self._identity_allows.items():
            anywhere, exact, patterns = [], {}, []
            for entity, statement in pairs:
                resources = statement.resources if statement is not None else None
                if resources is None or (not statement.not_resource and "*" in resources) or any(
                        isinstance(r, str) and "${" in r for r in resources):
                    anywhere.append(entity)
                    continue
                if statement.not_resource:
                    patterns.append((entity, resources, True))
                    continue
                for resource in resources:
                    if isinstance(resource, str) and "*" not in resource and "?" not in resource:
                        exact.setdefault(resource, []).append(entity)
                    else:
                        patterns.append((entity, (resource,), False))
            out[action] = (anywhere, exact, patterns)
        return out

    def identity_candidates(self, action: str, resource: object) -> list[Role | User]:
        """Principals in the inputs whose identity policies may allow `action` on `resource`."""
        anywhere, exact, patterns = self._candidate_index.get(action, ([], {}, []))
        found: dict[str, Role | User] = {str(e.arn): e for e in anywhere}
        for entity in exact.get(str(resource), ()):
            found[str(entity.arn)] = entity
        if isinstance(resource, Sym):  # an exact ARN may still equal a partly unknown one
            for key, entities in exact.items():
                if any_match((key,), resource) is not False:
                    found.update((str(e.arn), e) for e in entities)
        for entity, listed, excluded in patterns:
            if str(entity.arn) in found:
                continue
            hit = any_match(listed, resource)
            if (negate(hit) if excluded else hit) is not False:
                found[str(entity.arn)] = entity
        return list(found.values())

    @cached_property
    def _plain(self) -> dict[str, list[tuple[Caller, tuple[Statement, ...]]]]:
        """Account → principals whose identity policies plainly allow lambda:InvokeFunction.

        Plainly: only Allows, with no condition, unknown or policy variable, no boundary, and no
        organisation policy in the inputs — what `fast_path` answers. For a function of their
        account whose own policy does not name them (nor their account, nor anyone), the answer
        is read off their Allows' resources, without a full evaluation per function.
        """
        from permcheck.iam.fast_path import identity_allows
        inv = self.index.inventory
        out: dict[str, list[tuple[Caller, tuple[Statement, ...]]]] = {}
        if inv.scps or inv.rcps:
            return out
        for entity in (*inv.roles.values(), *inv.users.values()):
            caller = self.index.caller_for_entity(entity)
            if caller.boundary is not None:
                continue
            allows = identity_allows(caller, INVOKE_ACTIONS[0])
            if allows:
                out.setdefault(caller.account, []).append((caller, allows))
        return out

    def plain_invokers(self, function) -> list[tuple[Caller, tuple[Statement, ...]]]:
        """The plain invokers of `function`'s account that its own policy cannot name."""
        policy = function.policy
        if policy is not None and (policy.unknown is not None or policy.error):
            return []
        names, accounts = set(), set()
        for statement in policy.statements if policy else ():
            if statement.not_principal:
                return []
            for principal in statement.principals or ():
                if principal.type is PrincipalType.ANYONE or not isinstance(principal.value, str):
                    return []
                names.add(principal.value)
                if principal.value.endswith(":root"):
                    accounts.add(principal.value.split(":")[4])
        return [(c, allows) for c, allows in self._plain.get(function.account, [])
                if c.arn not in names and c.account not in accounts]

    def plain_answer(self, caller: Caller, allows: tuple[Statement, ...], resource: object) -> Answer | None:
        """`fast_path`'s answer for a plain invoker on one function ARN; None when undecidable."""
        from permcheck.iam.fast_path import covering
        hits = covering(allows, resource)
        if hits is None:
            return None
        key = (caller.arn, tuple(id(s) for s in hits))
        if key not in self._plain_answers:
            self._plain_answers[key] = Answer(Decision.ALLOWED if hits else Decision.DENIED, (), hits)
        return self._plain_answers[key]

    # -- role assumption ----------------------------------------------------------------------
    @cached_property
    def assumers(self) -> dict[str, list[Edge]]:
        """Role ARN → the edges of principals that may assume it (allowed or conditional)."""
        return {arn: found for arn in self.index.inventory.roles if (found := self.assumers_of(arn))}

    def assumers_of(self, arn: str) -> list[Edge]:
        """The principals that may assume one role, computed when first asked: a query that
        follows chains from a few invokers does not pay for every role of a large account."""
        if arn not in self._assumers:
            self._assumers[arn] = self._assume_edges(arn)
        return self._assumers[arn]

    def _assume_edges(self, arn: str) -> list[Edge]:
        role = self.index.inventory.roles.get(arn)
        if role is None or role.trust is None or role.trust.error:
            return []
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
        out = []
        for caller in callers.values():
            if caller.arn == arn:
                continue
            answer = self._assume_answer(caller, arn)
            if answer.decision is not Decision.DENIED:
                out.append(Edge(caller.arn, arn, "sts:AssumeRole", answer))
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



def _rank(answer: Answer) -> int:
    return {Decision.DENIED: 0, Decision.CONDITIONAL: 1, Decision.ALLOWED: 2}[answer.decision]
