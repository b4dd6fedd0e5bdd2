"""Plain identity invokers, answered from their Allows without a full evaluation.

Plainly: only Allows, with no condition, unknown or policy variable, no boundary, and no
organisation policy in the inputs — what `iam.fast_path` answers. For a function of their
account whose own policy does not name them (nor their account, nor anyone), the answer is
read off their Allows' resources. In a large account thousands of roles invoke every
function this way (an Allow of `lambda:*` on `*`), so they are indexed once: callers whose
Allows all name `*` get one answer for every function; the Allows of the others are
bucketed by resource pattern (`PatternIndex`), so a function meets only those that can name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from permcheck.graph.index import Index
from permcheck.iam.patterns import PatternIndex
from permcheck.iam.decide import Answer, Decision
from permcheck.iam.request import Caller
from permcheck.model.entities import Function
from permcheck.model.policy import PrincipalType, Statement

INVOKE = "lambda:InvokeFunction"


@dataclass
class _Group:
    """The plain invokers of one account."""

    uniform: list[tuple[Caller, Answer]]  # every Allow names `*`: the same answer everywhere
    varied: list[tuple[Caller, tuple[Statement, ...], frozenset[int], Answer]]  # (caller, allows, ids of
    # its `*` Allows, the answer when no other Allow names the resource)
    index: PatternIndex  # the varied callers' other Allows → (position in `varied`, statement)


class PlainInvokers:
    def __init__(self, index: Index) -> None:
        self.index = index
        self._answers: dict[tuple, Answer] = {}
        self._json: dict[int, dict] = {}  # by id of an Answer held in _answers

    @cached_property
    def _groups(self) -> dict[str, _Group]:
        from permcheck.iam.fast_path import identity_allows
        inv = self.index.inventory
        out: dict[str, _Group] = {}
        if inv.scps or inv.rcps:
            return out
        pending: dict[str, list] = {}
        for entity in (*inv.roles.values(), *inv.users.values()):
            caller = self.index.caller_for_entity(entity)
            if caller.boundary is not None:
                continue
            allows = identity_allows(caller, INVOKE)
            if allows:
                pending.setdefault(caller.account, []).append((caller, allows))
        for account, callers in pending.items():
            uniform, varied, entries = [], [], []
            for caller, allows in callers:
                star = frozenset(id(s) for s in allows if not s.not_resource and "*" in s.resources)
                if len(star) == len({id(s) for s in allows}):
                    uniform.append((caller, self._answer(caller, tuple(dict.fromkeys(allows)))))
                    continue
                entries += [(s.resources, s.not_resource, (len(varied), s)) for s in allows if id(s) not in star]
                only_star = tuple(dict.fromkeys(s for s in allows if id(s) in star))
                varied.append((caller, allows, star, self._answer(caller, only_star)))
            out[account] = _Group(uniform, varied, PatternIndex(entries))
        return out

    def answers(self, function: Function, targets: list[tuple[object, str | None]]
                ) -> list[tuple[Caller, list[tuple[str | None, Answer]]]]:
        """(caller, [(qualifier, answer) per target]) for the plain invokers `function`'s own
        policy cannot name; callers whose answer cannot be read off their Allows are left out."""
        group = self._groups.get(function.account)
        if group is None or not self._policy_names_no_plain_caller(function):
            return []
        names, accounts = self._named(function)
        out: dict[str, tuple[Caller, list]] = {}
        undecided: set[str] = set()
        for resource, qualifier in targets:
            for caller, answer in self._decided(group, resource):
                if caller.arn in names or caller.account in accounts:
                    continue
                if answer is None:
                    undecided.add(caller.arn)
                    continue
                out.setdefault(caller.arn, (caller, []))[1].append((qualifier, answer))
        return [entry for arn, entry in out.items() if arn not in undecided]

    def _decided(self, group: _Group, resource: object) -> list[tuple[Caller, Answer | None]]:
        """(caller, its answer on `resource`, None when one cannot tell) for every caller."""
        from permcheck.iam.fast_path import covering
        out = list(group.uniform)
        if not isinstance(resource, str):
            for caller, allows, _, _ in group.varied:
                hits = covering(allows, resource)
                out.append((caller, None if hits is None else self._answer(caller, hits)))
            return out
        matched: dict[int, set[int]] = {}
        for position, statement in group.index.candidates(resource):
            matched.setdefault(position, set()).add(id(statement))
        for position, (caller, allows, star, only_star) in enumerate(group.varied):
            chosen = matched.get(position)
            if chosen is None:
                out.append((caller, only_star))
            else:
                hits = tuple(dict.fromkeys(s for s in allows if id(s) in star or id(s) in chosen))
                out.append((caller, self._answer(caller, hits)))
        return out

    def _answer(self, caller: Caller, hits: tuple[Statement, ...]) -> Answer:
        """One Answer object per (caller, hits): shared by every function it answers for."""
        key = (caller.arn, tuple(id(s) for s in hits))
        if key not in self._answers:
            self._answers[key] = Answer(Decision.ALLOWED if hits else Decision.DENIED, (), hits)
        return self._answers[key]

    def entry(self, answer: Answer, build) -> dict:
        """`build(answer)` (its JSON), computed once per shared Answer; treat it as read-only."""
        key = id(answer)
        if key not in self._json:
            self._json[key] = build(answer)
        return self._json[key]

    @staticmethod
    def _policy_names_no_plain_caller(function: Function) -> bool:
        """False when the function's policy could name anyone (`*`, NotPrincipal, an unknown)."""
        policy = function.policy
        if policy is not None and (policy.unknown is not None or policy.error):
            return False
        for statement in policy.statements if policy else ():
            if statement.not_principal:
                return False
            for principal in statement.principals or ():
                if principal.type is PrincipalType.ANYONE or not isinstance(principal.value, str):
                    return False
        return True

    @staticmethod
    def _named(function: Function) -> tuple[set[str], set[str]]:
        names, accounts = set(), set()
        for statement in function.policy.statements if function.policy else ():
            for principal in statement.principals or ():
                names.add(principal.value)
                if principal.value.endswith(":root"):
                    accounts.add(principal.value.split(":")[4])
        return names, accounts
