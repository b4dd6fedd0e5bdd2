"""Identity invokers: the principals whose own policies may let them invoke a function.

In a large account thousands of roles may invoke every function (AdministratorAccess,
`lambda:*` on `*`), and each one's answer is the same for every function of the account:
the evaluator's answer depends on the statements that can apply, the caller, and the
target's account and context — not on the function's ARN (`Evaluator.sharing_key`).
A statement whose Resource holds `*` applies to every function; any other Resource, or a
NotResource, is *specific*. So each caller's statements for the action (identity, Allow and
Deny, and its permissions boundary) are split once, the specific ones indexed by resource
pattern. For one function a caller's answer is keyed by the specific statements that match
it (usually none) and the function's class (account, context, note): each key is decided
once by the evaluator, then shared. The answers of an account's wide callers form a *block*
per class, built once; a function takes the block but the principals it treats apart.

The same holds for any resource whose policy is given (`answers(policy, …)`): who-can-trigger asks
who may write to an event source the same way (graph/writers.py).

The evaluator decides directly (`Edges.ask`, nothing shared) when the key could miss
something: a caller the function's own policy names, every caller when that policy may name
anyone and may deny, an organisation policy with a specific Resource matching the function,
a Resource with a policy variable, a function ARN with an unknown part. A policy that names
anyone but only allows (a public function) leaves a caller's `allowed` answer as it is: within
one account the evaluator names the caller's own grant first (`decide._decide`).
`tests/property/test_shared_answers.py` checks that sharing changes no answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from permcheck.iam.decide import Answer, Decision
from permcheck.iam.actions import action_match
from permcheck.iam.match import any_match, negate
from permcheck.iam.patterns import PatternIndex
from permcheck.iam.principals import may_name, named_principals
from permcheck.graph.index import Index
from permcheck.iam.request import Caller
from permcheck.model.policy import Effect, Policy, Statement



class Asker(Protocol):
    """What sharing answers needs of `Edges`: the index, the evaluator, and the identity-policy
    candidates for an action (named here, so this module does not import the one that uses it)."""

    index: Index

    def ask(self, caller: Caller, action: str, resource: object) -> Answer: ...

    def identity_candidates(self, action: str, resource: object) -> list: ...

    def identity_allows(self, action: str) -> list: ...

MAX_SHARED = 500_000  # answers kept; past it the memo starts again (memory stays bounded)


@dataclass
class _ActionIndex:
    """Every caller whose identity policies may allow one action, split as above."""

    callers: list[Caller] = field(default_factory=list)
    slot_of: dict[str, int] = field(default_factory=dict)  # caller ARN → its slot
    wide: dict[str | None, list[int]] = field(default_factory=dict)  # account → slots with a wide Allow
    wide_slots: set[int] = field(default_factory=set)
    specific: PatternIndex = field(default_factory=lambda: PatternIndex([]))  # → (slot, statement, exact)
    allows: set[int] = field(default_factory=set)  # ids of specific Allow statements
    unshared: list[int] = field(default_factory=list)  # slots always decided directly
    org: PatternIndex = field(default_factory=lambda: PatternIndex([]))  # specific SCP/RCP statements


@dataclass(frozen=True)
class _At:
    """What the answers on one target depend on (see `IdentityInvokers.answers`)."""

    action: str
    resource: str
    account: str | None
    names: set[str]  # principals the function's policy names
    accounts: set[str]  # accounts it names
    anyone: bool  # it may name anyone (and only allows: otherwise nothing is shared)
    cls: tuple  # the function's class: account, policy or not, context keys, note
    matched: dict[int, tuple]  # slot → its specific statements that match, with their hits


@dataclass
class Block:
    """Answers shared by every function of one class (see `IdentityInvokers._block`)."""

    order: list[int]  # the slots answered, in the account's order
    answers: list[tuple[Caller, Answer]]  # theirs, in that order
    pending: list[int]
    derived: dict = field(default_factory=dict)  # what a query builds from the answers, once

    @cached_property
    def slots(self) -> set[int]:
        return set(self.order)


@dataclass
class Invokers:
    """One target's identity invokers: the block's answers but the `excluded` principals,
    and `extra` (caller, answer, shared) decided for this target alone."""

    block: Block | None
    excluded: set[str]
    extra: list[tuple[Caller, Answer, bool]]

    def all(self) -> list[tuple[Caller, Answer, bool]]:
        shared = [(caller, answer, True) for caller, answer in self.block.answers
                  if caller.arn not in self.excluded] if self.block else []
        return shared + self.extra


class IdentityInvokers:
    def __init__(self, edges: Asker) -> None:
        self.edges = edges
        self._indexes: dict[str, _ActionIndex] = {}
        self._answers: dict[tuple, Answer] = {}
        self._blocks: dict[tuple, Block] = {}
        self._read: dict[tuple, tuple] = {}  # (id(policy), action) → (policy, what `_read_policy` found)

    def answers(self, policy: Policy | None, action: str, resource: object, skip: set[str]) -> "Invokers":
        """Every caller in the inputs whose identity policies may allow `action` on `resource`
        (whose resource policy is `policy`: a function's, or that of a source who-can-trigger
        asks who may write to), but those in `skip`, with its answer."""
        index = self._index(action)
        names, accounts, anyone = _named(policy, action)
        if not isinstance(resource, str) or index.org.candidates(resource) or \
                (anyone and not _adds_only(policy, action)):
            return Invokers(None, set(), self._asked(action, resource, skip))
        target = self.edges.index.target(resource, action)
        matched: dict[int, list] = {}
        for slot, statement, exact in index.specific.candidates(resource):
            matched.setdefault(slot, []).append((id(statement), True if exact else _hit(statement, resource)))
        at = _At(action, resource, target.account, names, accounts, anyone,
                 (self.edges.index.evaluator.sharing_key(target), target.policy is None),
                 {slot: tuple(sorted(hits)) for slot, hits in matched.items()})
        # decided apart: callers whose specific statements match, and another account's callers
        # (they need the function's policy to name them, or anyone)
        apart = {slot: None for slot, hits in matched.items()
                 if slot in index.wide_slots or any(statement in index.allows for statement, _ in hits)}
        others = set(index.wide) - {at.account} if anyone else accounts - {at.account}
        apart.update((slot, None) for account in others for slot in index.wide.get(account, ()))
        block, excluded = None, set(skip) | names
        if at.account is None or at.account in accounts:  # every caller of the account apart
            apart.update((slot, None) for slot in (index.wide.get(at.account, ()) if at.account else
                                                   [s for group in index.wide.values() for s in group]))
        else:
            block = self._block(index, at)
            apart.update((slot, None) for slot in block.pending)
            apart.update((index.slot_of[name], None) for name in names if index.slot_of.get(name) in block.slots)
            excluded |= {index.callers[slot].arn for slot in apart if slot in block.slots}
            if anyone:  # see `_decide_apart`: only the block's `allowed` answers stand as they are
                for slot, (caller, answer) in zip(block.order, block.answers):
                    if answer.decision is not Decision.ALLOWED:
                        excluded.add(caller.arn)
                        apart[slot] = None
        extra = [self._decide_apart(index.callers[slot], slot, at) for slot in apart
                 if index.callers[slot].arn not in skip]
        extra += [(index.callers[slot], self.edges.ask(index.callers[slot], action, resource), False)
                  for slot in index.unshared if index.callers[slot].arn not in skip]
        return Invokers(block, excluded, extra)

    def _decide_apart(self, caller: Caller, slot: int, at: "_At") -> tuple[Caller, Answer, bool]:
        """(caller, answer, shared) for a caller outside the block (or when there is none)."""
        if may_name((at.names, at.accounts, False), caller):  # the policy's statements naming it apply
            return caller, self.edges.ask(caller, at.action, at.resource), False
        key = (at.action, slot, at.cls, at.matched.get(slot, ()))
        answer = self._answers.get(key)
        if at.anyone:
            # The policy only adds Allows: a caller of the account whose own grants already
            # allow keeps that answer (the evaluator names the caller's grants first).
            if answer is None or answer.decision is not Decision.ALLOWED or caller.account != at.account:
                return caller, self.edges.ask(caller, at.action, at.resource), False
        elif answer is None:
            answer = self._remember(key, self.edges.ask(caller, at.action, at.resource))
        return caller, answer, True

    def _block(self, index: "_ActionIndex", at: "_At") -> "Block":
        """The shared answers of the account's wide callers for functions of class `at.cls`:
        each caller's answer where none of its specific statements match. A caller whose answer
        is not known yet (its statements matched every function asked so far) is `pending`. The
        function at hand is asked only when its policy cannot name anyone, and only about
        callers it does not treat apart."""
        key = (at.action, at.cls, at.account)
        block = self._blocks.get(key)

        def askable(slot: int) -> bool:
            return not at.anyone and slot not in at.matched and index.callers[slot].arn not in at.names
        if block is not None and not any(askable(slot) for slot in block.pending):
            return block
        order, answers, pending = [], [], []
        for slot in index.wide.get(at.account, ()):
            caller = index.callers[slot]
            answer = self._answers.get((at.action, slot, at.cls, ()))
            if answer is None and askable(slot):
                answer = self._remember((at.action, slot, at.cls, ()), self.edges.ask(caller, at.action, at.resource))
            if answer is None:
                pending.append(slot)
            else:
                order.append(slot)
                answers.append((caller, answer))
        block = self._blocks[key] = Block(order, answers, pending)
        return block

    def _remember(self, key: tuple, answer: Answer) -> Answer:
        if len(self._answers) > MAX_SHARED:
            self._answers.clear()
            self._blocks.clear()
        self._answers[key] = answer
        return answer

    def _asked(self, action: str, resource: object,
               skip: set[str]) -> list[tuple[Caller, Answer, bool]]:
        """Every candidate decided directly: the identity-policy candidates of `Edges`."""
        out = []
        for entity in self.edges.identity_candidates(action, resource):
            caller = self.edges.index.caller_for_entity(entity)
            if caller.arn not in skip:
                out.append((caller, self.edges.ask(caller, action, resource), False))
        return out

    def _index(self, action: str) -> _ActionIndex:
        if action not in self._indexes:
            self._indexes[action] = self._build(action)
        return self._indexes[action]

    def _build(self, action: str) -> _ActionIndex:
        edges = self.edges
        out = _ActionIndex()
        specific: list[tuple[tuple, bool, tuple]] = []
        seen: set[str] = set()
        for entity, _ in edges.identity_allows(action):  # (principal, statement) pairs, by principal
            if str(entity.arn) in seen:
                continue
            seen.add(str(entity.arn))
            caller = edges.index.caller_for_entity(entity)
            slot = out.slot_of[caller.arn] = len(out.callers)
            out.callers.append(caller)
            split = _split(caller, action, self._read)
            if split is None:
                out.unshared.append(slot)
                continue
            wide, statements = split
            if wide:
                out.wide.setdefault(caller.account, []).append(slot)
                out.wide_slots.add(slot)
            for statement, grants in statements:
                exact = not statement.not_resource and all(isinstance(r, str) for r in statement.resources)
                specific.append((statement.resources, statement.not_resource, (slot, statement, exact)))
                if grants:
                    out.allows.add(id(statement))
        out.specific = PatternIndex(specific)
        org = edges.index.organisation
        out.org = PatternIndex([(_patterns(s), s.not_resource, s) for policy in (*org.scps, *org.rcps)
                                for s in policy.statements if action_match(s, action) is not False
                                and not (not s.not_resource and s.resources and "*" in s.resources)])
        return out


def _patterns(statement: Statement) -> tuple:
    """An organisation statement's Resource as index patterns: `*` (always a candidate) when
    it has no Resource or one with a policy variable."""
    resources = statement.resources
    if resources is None or any(isinstance(r, str) and "${" in r for r in resources):
        return ("*",)
    return resources


def _split(caller: Caller, action: str, memo: dict) -> tuple[bool, list[tuple[Statement, bool]]] | None:
    """(has a wide identity Allow, its specific statements with whether each is an identity
    Allow) for `action`; None when it cannot be shared. Each policy is read once per action
    (`_read_policy`, remembered in `memo`): a managed policy is held by many callers."""
    wide, specific = False, []
    for policy in (*(caller.identity or ()), *((caller.boundary,) if caller.boundary else ())):
        found = memo.get((id(policy), action))
        if found is None or found[0] is not policy:
            found = memo[(id(policy), action)] = (policy, _read_policy(policy, action))
        read = found[1]
        if read is None:
            return None
        identity = policy is not caller.boundary
        if read == "unknown":
            wide = wide or identity  # may allow anything, anywhere
            continue
        wide_allow, statements = read
        wide = wide or (wide_allow and identity)
        specific += [(statement, allow and identity) for statement, allow in statements]
    return wide, specific


def _read_policy(policy: Policy, action: str) -> tuple[bool, list[tuple[Statement, bool]]] | str | None:
    """One policy's part in `_split`: None when no answer it takes part in can be shared (it is
    malformed: the evaluator refuses it each time; or a Resource holds a policy variable: the
    answer depends on the resource's own ARN), "unknown" when its content is unknown, else
    (has a wide Allow, its specific statements with whether each is an Allow)."""
    if policy.error:
        return None
    if policy.unknown is not None:
        return "unknown"
    wide, specific = False, []
    for statement in policy.statements:
        if action_match(statement, action) is False:
            continue
        resources = statement.resources
        if resources is None or any(isinstance(r, str) and "${" in r for r in resources):
            return None
        if not statement.not_resource and "*" in resources:
            wide = wide or statement.effect is Effect.ALLOW
        else:
            specific.append((statement, statement.effect is Effect.ALLOW))
    return wide, specific


def _hit(statement: Statement, resource: str) -> object:
    hit = any_match(statement.resources, resource)
    return negate(hit) if statement.not_resource else hit


def _adds_only(policy: Policy | None, action: str) -> bool:
    """Whether the resource policy can only add Allows for `action` (no Deny may apply)."""
    if policy is None:
        return True
    if policy.unknown is not None or policy.error:
        return False
    return all(s.effect is Effect.ALLOW for s in policy.statements if action_match(s, action) is not False)


def _named(policy: Policy | None, action: str) -> tuple[set[str], set[str], bool]:
    """Whom the resource policy may name for `action` (`principals.named_principals`)."""
    if policy is None:
        return set(), set(), False
    return named_principals(policy, action)
