"""The functions another role's escalation path can reach, grouped by what a caller's answer depends on.

`lambda:UpdateFunctionCode` and `lambda:AddPermission` escalate when a caller may use them on a
function run by another role (rules/escalation.py). A caller's answer on a function depends,
beside the caller and the action, on the evaluator's target class (`decide.target_class`), on
which of the caller's and the organisation's statements for the action match the function's ARN,
and on AWS's built-in protection of the request; the evaluator remembers an answer under the same
key (`decide._signature`), so two functions that agree on these get one decision, and one of them
is asked for both. A function whose own policy may speak to the action, or whose account is
unresolved, is asked alone; so is every function for a caller one of whose statements for the
action has a policy variable in its Resource (the answer then depends on the ARN itself).

With ten thousand functions and twenty thousand callers, the search runs over classes, not pairs:
the functions are numbered in inventory order and a set of them is an integer's bits.
- Each Resource pattern is matched once against the functions (`pattern`: the functions whose ARN
  starts with its literal start, found by bisection, tried one by one), as sets: matched, and
  matched or not depending on an unknown value.
- The part of the class no caller changes is made once per action (`_targets`) and kind of caller
  (`_fixed_part`), as sets of functions; a list of statements splits each set by which of the
  statements match (`_split`, once per list of Resource elements: the callers of one managed
  policy share it).
- For the functions a caller's Allows reach (`reach`), each class keeps its first function and its
  first function run by a role other than the first's (`entries`): a caller that runs the first
  asks the second, as asking each function in order and skipping its own would.
"""

from __future__ import annotations

from bisect import bisect_left

from permcheck.graph.edges import Edges
from permcheck.iam.actions import action_match
from permcheck.iam.builtin import may_protect, protection
from permcheck.iam.decide import target_class
from permcheck.iam.match import match, wildcard_match
from permcheck.iam.org import service_linked
from permcheck.iam.request import Caller, Request
from permcheck.model.policy import Statement
from permcheck.model.values import Sym, Unknown


class FunctionIndex:
    """The functions of the inputs another role's path can reach (a known ARN and a role), in
    inventory order, with the look-ups above; one per run of the escalation facts."""

    def __init__(self, edges: Edges) -> None:
        self.edges = edges
        self.all = [(str(f.arn), str(f.role)) for f in edges.index.inventory.functions.values()
                    if f.role is not None and not isinstance(f.arn, (Sym, Unknown))]
        self.everything = (1 << len(self.all)) - 1
        self.runs: dict[str, int] = {}  # role → the functions it runs
        for position, (_, role) in enumerate(self.all):
            self.runs[role] = self.runs.get(role, 0) | 1 << position
        self._sorted = sorted((arn, position) for position, (arn, _) in enumerate(self.all))
        self._arns = [arn for arn, _ in self._sorted]
        self._patterns: dict[object, tuple[int, int]] = {}
        self._reach: dict[tuple, int] = {}
        self._fixed: dict[tuple, tuple[dict, int]] = {}
        self._by_action: dict[str, tuple[list, int]] = {}
        self._classes: dict[tuple, tuple[list[int], int]] = {}
        self._entries: dict[tuple, list[tuple[int, int | None]]] = {}

    # -- sets of functions ------------------------------------------------------------------
    def pattern(self, pattern: object) -> tuple[int, int]:
        """(the functions a Resource pattern matches, those it may match: an unknown part decides),
        as `iam.match.match` of the pattern against each function's ARN."""
        found = self._patterns.get(pattern)
        if found is None:
            found = self._patterns[pattern] = self._pattern(pattern)
        return found

    def _pattern(self, pattern: object) -> tuple[int, int]:
        if not isinstance(pattern, str):  # a Sym or Unknown pattern: each ARN, the three-valued way
            hits = maybe = 0
            for position, (arn, _) in enumerate(self.all):
                hit = match(pattern, arn)
                if hit:
                    hits |= 1 << position
                elif hit is None:
                    maybe |= 1 << position
            return hits, maybe
        if pattern == "*":
            return self.everything, 0
        start = pattern.split("*", 1)[0].split("?", 1)[0]  # an ARN it matches starts with this text
        hits = 0
        for index in range(bisect_left(self._arns, start), len(self._arns)):
            arn, position = self._sorted[index]
            if not arn.startswith(start):
                break
            if wildcard_match(pattern, arn):
                hits |= 1 << position
        return hits, 0

    def reach(self, patterns: list[object]) -> int:
        """The functions a pattern of `patterns` (an Allow's Resource elements) matches; a pattern
        with an unknown part reaches none here (the evaluator answers for it elsewhere)."""
        key = tuple(p for p in patterns if isinstance(p, str))
        if key not in self._reach:
            found = 0
            for pattern in key:
                found |= self.pattern(pattern)[0]
            self._reach[key] = found
        return self._reach[key]

    def role_of(self, position: int) -> str:
        return self.all[position][1]

    # -- classes ------------------------------------------------------------------------------
    def _fixed_part(self, caller: Caller, action: str) -> tuple[dict, int]:
        """The part of the answer class no caller changes, per action and kind of caller: (target
        class and built-in protection → the functions that have them, the functions asked alone).
        Protection reads of the caller only its kind and whether it is service-linked
        (`iam/builtin.protection`)."""
        key = (action, caller.kind, service_linked(caller))
        if key not in self._fixed:
            edges, groups, guards = self.edges, {}, may_protect(action)
            targets, alone = self._targets(action)
            for position, target in targets:
                guarded = protection(Request(caller=caller, action=action, target=target, context=edges.context,
                                             closed=edges.closed)) if guards else None
                cls = (target_class(target), guarded)
                groups[cls] = groups.get(cls, 0) | 1 << position
            self._fixed[key] = (groups, alone)
        return self._fixed[key]

    def _targets(self, action: str) -> tuple[list, int]:
        """(each function's position and the request's target for the action, but those asked alone;
        the functions asked alone: its account is unresolved, or its own policy may speak to the
        action), once per action."""
        if action not in self._by_action:
            index, targets, alone = self.edges.index, [], 0
            for position, (arn, _) in enumerate(self.all):
                target = index.target(arn, action)
                policy = target.policy
                if index.open_account(target) or (policy is not None and (
                        policy.error or policy.unknown is not None
                        or any(action_match(s, action) is not False for s in policy.statements))):
                    alone |= 1 << position
                else:
                    targets.append((position, target))
            self._by_action[action] = (targets, alone)
        return self._by_action[action]

    def _split(self, caller: Caller, action: str, statements: tuple[Statement, ...]) -> tuple[list[int], int]:
        """(the classes, as sets of functions; the functions asked alone) for a caller whose
        statements for the action are `statements`: the fixed part split by which statements'
        Resource elements match (three-valued; NotResource negates)."""
        resources = tuple((s.resources, s.not_resource) for s in statements if s.resources is not None)
        key = (action, caller.kind, service_linked(caller), resources)
        if key not in self._classes:
            groups, alone = self._fixed_part(caller, action)
            classes = list(groups.values())
            for listed, excluded in resources:
                hits = maybe = 0
                for pattern in listed:  # any_match: matched by one, else maybe by one, else not
                    found, unsure = self.pattern(pattern)
                    hits |= found
                    maybe |= unsure
                maybe &= ~hits
                if excluded:
                    hits = self.everything & ~(hits | maybe)
                misses = self.everything & ~(hits | maybe)
                classes = [part for cls in classes for part in (cls & hits, cls & maybe, cls & misses) if part]
            self._classes[key] = (classes, alone)
        return self._classes[key]

    def entries(self, caller: Caller, action: str, statements: tuple[Statement, ...] | None,
                reached: int) -> list[tuple[int, int | None]]:
        """The functions of `reached` worth asking, in inventory order: (the first of a class, its
        first run by another role than the first's, or None), and (a function asked alone, None).
        `statements`: the caller's and the organisation's statements for the action
        (`escalation._statements_for`), None when each function is asked alone."""
        if statements is None:
            classes, alone = _EACH_ALONE, self.everything
        else:
            classes, alone = self._split(caller, action, statements)
        key = (id(classes), reached)
        found = self._entries.get(key)
        if found is None or found[0] is not classes:
            out = []
            for cls in classes:
                here = cls & reached
                if here:
                    first = _lowest(here)
                    others = here & ~self.runs[self.role_of(first)]
                    out.append((first, _lowest(others) if others else None))
            rest = alone & reached
            while rest:
                position = _lowest(rest)
                out.append((position, None))
                rest &= rest - 1
            out.sort()
            found = self._entries[key] = (classes, out)  # the classes kept, so their id stays theirs
        return found[1]


_EACH_ALONE: list[int] = []  # the classes of a caller whose functions are each asked alone (one list, one id)


def _lowest(bits: int) -> int:
    """The position of the lowest set bit: the first function, in inventory order, of a set."""
    return (bits & -bits).bit_length() - 1
