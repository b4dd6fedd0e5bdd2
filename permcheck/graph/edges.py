"""Edges between principals and what they reach, each with a decided answer.

Pure edge computation (PMapper's split): `Edges` asks the evaluator, the graph builder
and the queries only arrange the answers. Candidate principals come from indexes —
principals whose identity policies mention the action, principals a resource policy
names — never from all pairs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import cached_property

from permcheck.graph.accounts import ask_open_account, outside_side
from permcheck.graph.index import Index
from permcheck.graph.invokers import IdentityInvokers
from permcheck.iam.patterns import PatternIndex
from permcheck.iam.answer import RANK
from permcheck.iam.decide import Answer, Decision
from permcheck.iam.match import any_match, negate
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.model.entities import Role, User
from permcheck.model.policy import Effect, Principal, PrincipalType, Statement
from permcheck.model.values import Sym, Unknown

INVOKE_ACTIONS = ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl")
WALKS_KEPT = 4  # walks kept per role, for as many sets of invokers (`Edges.chains_to`)


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
    _assumers: dict = field(default_factory=dict, repr=False)  # role → every may-assume edge into it
    _callers_of: dict = field(default_factory=dict, repr=False)  # role → the principals that may assume it
    _assume_asked: dict = field(default_factory=dict, repr=False)  # (principal, role) → its edge, or None
    _reverse: dict | None = field(default=None, repr=False)  # principal → the may-assume edges it has
    _chains: dict = field(default_factory=dict, repr=False)  # role → chains_to(role)
    _walks: dict = field(default_factory=dict, repr=False)  # role → its last walks avoiding some: (walk, whom it avoided, whom not)
    _into: dict = field(default_factory=dict, repr=False)  # role → (its principals never asked, the edges of those asked)
    _best: dict = field(default_factory=dict, repr=False)  # invokers → best_chains(invokers)
    row_cache: dict = field(default_factory=dict, repr=False)  # who-can-invoke rows of shared answers (query.py)
    _by_action: dict = field(default_factory=dict, repr=False)  # action → its identity Allow pairs
    _candidates: dict = field(default_factory=dict, repr=False)  # action → its candidate index

    # -- asking the evaluator -----------------------------------------------------------
    def ask(self, caller: Caller, action: str, resource: object) -> Answer:
        """The evaluator's answer on one request; a resource whose account is unresolved is
        decided for each account it may be (`accounts.ask_open_account`)."""
        target = self.index.target(resource, action)
        unknowns = self.index.open_account(target)
        if unknowns:
            return ask_open_account(self.index, self.evaluate, caller, action, target, unknowns)
        return self.evaluate(caller, action, target)

    def evaluate(self, caller: Caller, action: str, target: Target) -> Answer:
        request = Request(caller=caller, action=action, target=target, context=self.context, closed=self.closed)
        return self.index.evaluator.evaluate(request)

    def outside_side(self, caller: Caller, action: str, resource: object, answer: Answer) -> Answer | None:
        """`accounts.outside_side`: a denial that only the other account's unseen side decides."""
        return outside_side(self.index, self.evaluate, caller, action, resource, answer)

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
        return self.index.caller_if_any(str(principal.value))

    @cached_property
    def _entity_policies(self) -> list[tuple[Role | User, tuple]]:
        """Every role and user of the inputs with its identity policies (its groups' included)."""
        inv = self.index.inventory
        return [(entity, self.index.identity_policies(entity)) for entity in (*inv.roles.values(), *inv.users.values())]

    @cached_property
    def _policy_table(self) -> tuple[dict[int, tuple], dict[tuple, list]]:
        """Each identity policy of the inputs once (a managed policy is attached to many
        principals): id → (policy, the positions in `_entity_policies` of the principals that
        hold it); and its Allow statements by what they name as actions — (actions, NotAction?)
        → [(id(policy), place in the policy, statement)] — with a policy whose content is
        unknown or malformed under None (it may allow anything)."""
        holders: dict[int, tuple] = {}
        by_actions: dict[tuple | None, list] = {None: []}
        for position, (_, policies) in enumerate(self._entity_policies):
            for policy in policies:
                found = holders.get(id(policy))
                if found is not None:
                    if found[1][-1] != position:
                        found[1].append(position)
                    continue
                holders[id(policy)] = (policy, [position])
                for place, statement in enumerate(policy.statements):
                    if statement.effect is Effect.ALLOW:
                        by_actions.setdefault((statement.actions, statement.not_action), []).append(
                            (id(policy), place, statement))
                if policy.unknown is not None or policy.error:
                    by_actions[None].append((id(policy), len(policy.statements), None))
        return holders, by_actions

    @cached_property
    def _accounts_held(self) -> set[str | None]:
        """The accounts of the inputs' roles and users."""
        return {entity.account for entity, _ in self._entity_policies}

    def _allows_for(self, action: str) -> list[tuple[Role | User, Statement | None]]:
        """Every (principal, Allow statement) pair of the inputs' identity policies whose actions
        may match `action`, by principal in the inputs' order, then in policy and statement
        order, found once per action; None for a policy whose content is unknown or malformed
        (it may allow anything: the evaluator says how, or refuses). Each list of actions is
        matched once, and only the principals holding a policy that may allow it are visited."""
        if action not in self._by_action:
            holders, by_actions = self._policy_table
            read: dict[int, list] = {}  # id(policy) → [(place, statement)] that may allow the action
            for key, entries in by_actions.items():
                if key is None or _may_allow(*key, action):
                    for policy_id, place, statement in entries:
                        read.setdefault(policy_id, []).append((place, statement))
            visit: set[int] = set()
            for policy_id, statements in read.items():
                statements.sort(key=lambda entry: entry[0])
                visit.update(holders[policy_id][1])
            found = []
            for position in sorted(visit):
                entity, policies = self._entity_policies[position]
                found += [(entity, statement) for policy in policies for _, statement in read.get(id(policy), ())]
            self._by_action[action] = found
        return self._by_action[action]

    def _candidate_index(self, action: str) -> tuple[dict, dict, PatternIndex]:
        """For one action: principals whose Allows may match any resource, those naming exact
        resources (by resource), and those with patterns to try — so a query does not scan
        every statement of every principal."""
        if action not in self._candidates:
            anywhere, exact, patterns = [], {}, []
            for entity, statement in self._allows_for(action):
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
            self._candidates[action] = ({str(e.arn): e for e in anywhere}, exact,
                                        PatternIndex([(listed, excluded, entity) for entity, listed, excluded in patterns]))
        return self._candidates[action]

    def identity_candidates(self, action: str, resource: object) -> list[Role | User]:
        """Principals in the inputs whose identity policies may allow `action` on `resource`."""
        anywhere, exact, patterns = self._candidate_index(action)
        found: dict[str, Role | User] = dict(anywhere)
        for entity in exact.get(str(resource), ()):
            found[str(entity.arn)] = entity
        if isinstance(resource, Sym):  # an exact ARN may still equal a partly unknown one
            for key, entities in exact.items():
                if any_match((key,), resource) is not False:
                    found.update((str(e.arn), e) for e in entities)
        for entity in patterns.candidates(resource):
            found.setdefault(str(entity.arn), entity)
        return list(found.values())

    def identity_allows(self, action: str) -> list[tuple[Role | User, Statement | None]]:
        """(principal, Allow statement) pairs whose actions may match `action` (None: a policy
        whose content is unknown or malformed)."""
        return self._allows_for(action)

    @cached_property
    def invokers(self):
        """Identity invokers, answered once per shape and shared across functions (graph/invokers.py)."""
        return IdentityInvokers(self)

    # -- role assumption ----------------------------------------------------------------------
    @cached_property
    def assumers(self) -> dict[str, list[Edge]]:
        """Role ARN → the edges of principals that may assume it (allowed or conditional)."""
        return {arn: found for arn in self.index.inventory.roles if (found := self.assumers_of(arn))}

    def assumers_of(self, arn: str) -> list[Edge]:
        """The principals that may assume one role, computed when first asked: a query that
        follows chains from a few invokers does not pay for every role of a large account."""
        if arn not in self._assumers:
            self._assumers[arn] = [edge for caller in self._assume_callers(arn)
                                   if (edge := self._assume_edge(caller, arn)) is not None]
        return self._assumers[arn]

    @cached_property
    def anyone_reaches(self) -> frozenset[str]:
        """The roles anyone (`*`) reaches by assuming roles (graph/anyone_chains.py)."""
        from permcheck.graph.anyone_chains import roles_anyone_reaches
        return roles_anyone_reaches(self)

    def reachable_roles(self, start: str) -> list[tuple[str, tuple[str, ...], tuple[Edge, ...]]]:
        """(role ARN, via, the may-assume edges taken) for every role `start` reaches by assuming
        roles, breadth-first, each role once, however long the chain (AWS sets no limit on role
        chaining, only on a chained session's duration)."""
        if self._reverse is None:
            self._reverse = {}
            for target_edges in self.assumers.values():
                for edge in target_edges:
                    self._reverse.setdefault(edge.source, []).append(edge)
        return _walk(start, lambda role: [(edge.target, edge) for edge in self._reverse.get(role, [])])

    def chains_to(self, arn: str, avoiding: frozenset[str] = frozenset()) -> list[tuple[str, tuple[str, ...], tuple[Edge, ...]]]:
        """(principal, via, the may-assume edges taken) for every principal that reaches role
        `arn` by assuming roles: breadth-first, each principal once by a shortest chain, up to
        any number of hops. `via` runs from the first role assumed to `arn`, as do the edges.

        With `avoiding`, the walk neither lists nor passes through those principals, and their
        may-assume edges are never asked for (`best_chains` says why that changes nothing). Such
        a walk is kept with whether each principal it looked at was avoided: a later walk whose
        set agrees on all of them takes the same steps, so it is the same walk. Functions differ
        in a few invokers (a service their policy names), so a role's last few walks are kept."""
        if not avoiding:
            if arn not in self._chains:
                walked = _walk(arn, lambda role: [(edge.source, edge) for edge in self.assumers_of(role)])
                self._chains[arn] = _chains(arn, walked)
            return self._chains[arn]
        kept = self._walks.setdefault(arn, [])
        for walk, avoided, passed in kept:
            if avoided <= avoiding and passed.isdisjoint(avoiding):
                return walk
        unasked: list[frozenset[str]] = []
        looked: dict[str, bool] = {}
        out = _chains(arn, _walk(arn, lambda role: self._edges_into(role, avoiding, unasked, looked)))
        kept.insert(0, (out, frozenset().union(*unasked, (p for p, avoided in looked.items() if avoided)),
                        frozenset(p for p, avoided in looked.items() if not avoided)))
        del kept[WALKS_KEPT:]
        return out

    def best_chains(self, invokers: frozenset[str]) -> list[tuple[str, tuple[str, ...], tuple[Edge, ...]]]:
        """(principal, via, edges taken) for every principal outside `invokers` that reaches one
        of them by assuming roles, by a shortest chain (the first `via` in order among equals).
        Functions of one account mostly share their set of invokers: computed once per set.

        The walks avoid the invokers themselves: a chain that passes through an invoker X is
        longer than the principal's own chain to X, so it is never the shortest, and every
        principal whose shortest chain avoids the invokers is found by the same walk either way
        (the breadth-first order of the principals on such chains does not change). So the
        may-assume answers of the invokers — in a large account most principals that may assume
        a role trusting `*` are administrators that invoke directly — are never asked for.
        `tests/property/test_best_chains.py` checks this against the walks that pass through them."""
        if invokers not in self._best:
            best: dict[str, tuple] = {}
            walks = self._walks
            for role in invokers:
                kept = walks.get(role)  # `chains_to`'s first test, inline: most roles' last walk holds
                chains = kept[0][0] if kept and kept[0][1] <= invokers and kept[0][2].isdisjoint(invokers) \
                    else self.chains_to(role, invokers)
                for source, via, taken in chains:
                    known = best.get(source)
                    if known is None or (len(via), via) < (len(known[0]), known[0]):
                        best[source] = (via, taken)
            if len(self._best) > 1_000:
                self._best.clear()
            self._best[invokers] = [(source, via, taken) for source, (via, taken) in best.items()]
        return self._best[invokers]

    def _edges_into(self, arn: str, avoiding: frozenset[str], unasked: list[frozenset[str]],
                    looked: dict[str, bool]) -> list[tuple[str, Edge]]:
        """The may-assume edges into role `arn` from principals outside `avoiding`, in the order
        of `assumers_of`; a principal is asked about only when it is first outside a set. What
        the answer depended on is recorded: in `unasked`, the principals never asked (all in
        `avoiding`), in `looked`, those whose edge holds, and whether each was avoided (one
        whose edge is denied counts either way)."""
        into = self._into.get(arn)
        if into is None:
            into = self._into[arn] = (frozenset(caller.arn for caller in self._assume_callers(arn)), [])
        if not into[0] <= avoiding:  # ask those outside, once each; the edges stay in callers' order
            left = into[0] & avoiding
            into = self._into[arn] = (left, [edge for caller in self._assume_callers(arn) if caller.arn not in left
                                             and (edge := self._assume_edge(caller, arn)) is not None])
        unasked.append(into[0])
        out = []
        for edge in into[1]:
            avoided = looked[edge.source] = edge.source in avoiding
            if not avoided:
                out.append((edge.source, edge))
        return out

    def _assume_callers(self, arn: str) -> list[Caller]:
        """Every principal that may assume role `arn`, in a fixed order, before any is asked:
        those its trust policy names, and — where it names an account or anyone — the
        principals there whose own policies may allow sts:AssumeRole on it."""
        found = self._callers_of.get(arn)
        if found is not None:
            return found
        role = self.index.inventory.roles.get(arn)
        callers: dict[str, Caller] = {}
        everyone: list | None = None  # the principals whose own policies may allow it, in order
        if role is not None and role.trust is not None and not role.trust.error:
            for named in self.named_callers(role.trust.statements):
                if not isinstance(named, Caller):
                    continue
                callers[named.arn] = named
                if named.kind in (CallerKind.ROOT, CallerKind.ANYONE):
                    # a trust naming an account (or anyone) lets in the principals there whose
                    # own policies allow sts:AssumeRole on the role
                    if named.kind is CallerKind.ROOT and named.account not in self._accounts_held:
                        continue  # an account none of the inputs' principals is in
                    if everyone is None:
                        everyone = self.identity_candidates("sts:AssumeRole", arn)
                    for entity in everyone:
                        if named.kind is CallerKind.ANYONE or entity.account == named.account:
                            callers[str(entity.arn)] = self.index.caller_for_entity(entity)
        found = self._callers_of[arn] = [caller for caller in callers.values() if caller.arn != arn]
        return found

    def _assume_edge(self, caller: Caller, arn: str) -> Edge | None:
        """The may-assume edge from `caller` to role `arn`, asked once; None when denied."""
        key = (caller.arn, arn)
        if key not in self._assume_asked:
            answer = self._assume_answer(caller, arn)
            self._assume_asked[key] = Edge(caller.arn, arn, "sts:AssumeRole", answer) \
                if answer.decision is not Decision.DENIED else None
        return self._assume_asked[key]

    def _assume_answer(self, caller: Caller, role_arn: str) -> Answer:
        best = None
        for action in ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"):
            if caller.kind is not CallerKind.FEDERATED and action != "sts:AssumeRole":
                continue
            answer = self.ask(caller, action, role_arn)
            if best is None or _rank(answer) > _rank(best):
                best = answer
        return best


def _chains(arn: str, walked: list) -> list[tuple[str, tuple[str, ...], tuple[Edge, ...]]]:
    """A walk back from role `arn` as chains: (principal, via from its first role to `arn`, edges)."""
    return [(source, ((arn,) + path[:-1])[::-1], taken[::-1]) for source, path, taken in walked]


def _walk(start: str, step) -> list[tuple[str, tuple[str, ...], tuple[Edge, ...]]]:
    """Breadth-first from `start` along `step(node)` → [(next node, edge)]: every node reached,
    once, by a shortest path, with the path's nodes and edges. Each node is visited once, so the
    walk ends without a cap on its length (a cap would drop long chains without a word)."""
    out, seen, queue = [], {start}, deque([(start, (), ())])
    while queue:
        node, path, taken = queue.popleft()
        for following, edge in step(node):
            if following in seen:
                continue
            seen.add(following)
            out.append((following, path + (following,), taken + (edge,)))
            queue.append(out[-1])
    return out


def _may_allow(actions: tuple, not_action: bool, action: str) -> bool:
    """May a statement with these Action (or NotAction) patterns allow `action`?"""
    hit = any_match(actions, action, ignore_case=True)
    return (negate(hit) if not_action else hit) is not False


def _rank(answer: Answer) -> int:
    return RANK[answer.decision]
