"""who-can-trigger: who can make a function run, by which path.

A function runs when someone invokes it or when an event source wired to it fires: its ways in
(graph/ways_in.py). A principal on a way in may itself be a function's execution role: whoever
can make that function run can make this one run through it. Paths are followed backwards from
the function, breadth-first, each function once per way in, so chains of any length end and
shortest paths come first. The roles a conditional `*` stands for are followed too (a chain
through a role no policy names must not hide behind `*`), but listed nowhere: `*` is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from permcheck.graph.edges import Edges
from permcheck.graph.query import combine
from permcheck.graph.rows import Access, Invokers, RunHop, SourceHop, Triggered, TriggerPath
from permcheck.graph.ways_in import WaysIn, rank, way_of
from permcheck.iam.answer import Answer, Decision
from permcheck.model.entities import Function


JOINED_LIMIT = 500_000  # joined answers kept at most; past it the memo starts again


class TriggerPaths:
    """The paths into each function of one model, found once and shared by every query."""

    def __init__(self, edges: Edges) -> None:
        self.edges = edges
        self.ways = WaysIn(edges)
        self._first: dict[str, tuple[dict[str, TriggerPath], frozenset, frozenset, tuple]] = {}
        self._sets: dict[frozenset, frozenset] = {}  # each set of principals, one object
        self._new: dict[tuple[int, int], tuple[str, ...]] = {}
        self._grouped: dict[int, list[tuple[tuple, str, str]]] = {}
        self._joined: dict[tuple[int, int], tuple[Answer, Answer, Answer]] = {}
        self._runs_as: dict[str, list[tuple[str, Function]]] = {}  # role → (ARN, function) running as it
        for function in edges.index.inventory.functions.values():
            if function.role is not None:
                self._runs_as.setdefault(str(function.role), []).append((str(function.arn), function))

    def ways_into(self, function: Function) -> list[TriggerPath]:
        """The ways into `function`, one level deep (`WaysIn.ways_into`)."""
        return self.ways.ways_into(function)

    def invokers(self, function: Function) -> Invokers:
        """who-can-invoke for `function`, asked once (`WaysIn.invokers`)."""
        return self.ways.invokers(function)

    def who_can_trigger(self, function: Function, reveal: str | None = None) -> Triggered:
        """Every way into `function`: the ways in, then, for each, whoever reaches the principal on
        it by making a function that runs as that principal run — breadth-first, each function
        once per way in, so chains of any length end. A principal is listed once per way in, by
        its shortest path; paths come shortest first. `reveal` is listed even where `*` stands
        for it (a question about that principal: `through_triggers`)."""
        start = str(function.arn)
        out: list[TriggerPath] = []
        by_way: dict[tuple, list[TriggerPath]] = {}
        for path in self.ways_into(function):
            by_way.setdefault(way_of(path), []).append(path)
        unlisted: dict[tuple, list[TriggerPath]] = {}  # roles `*` stands for: followed, not listed
        for path in self.ways.opened(function):
            unlisted.setdefault(way_of(path), []).append(path)
        for way, paths in by_way.items():
            out += paths
            others = unlisted.get(way, [])
            out += [path for path in others if path.principal == reveal]
            listed = {path.principal for path in (*paths, *others)}  # not listed again through a chain
            followed = set(listed)
            queue = deque(_Reach(path.principal, path=path) for path in (*paths, *others))
            expanded, covered, anchors = {start}, set(), {}
            runs_as, firsts = self._runs_as, self._first
            while queue:
                reach = queue.popleft()
                for arn, runner in runs_as.get(reach.principal or "", ()):
                    if arn in expanded:
                        continue
                    expanded.add(arn)
                    into, shown, hidden, sets = firsts.get(arn) or self._principals_into(runner)
                    if sets in covered:  # a function with the same callers was followed already
                        continue
                    covered.add(sets)
                    for principal in self._new_in(shown, anchors.get(False)):
                        if principal in listed:
                            continue
                        # every way in and every path kept is not denied, so neither is the two joined
                        step = _Reach(principal, into[principal], arn, reach)
                        listed.add(principal)
                        out.append(step.whole(self._join))
                        if principal not in followed:
                            followed.add(principal)
                            queue.append(step)
                    if len(shown) > len(anchors.get(False, ())):
                        anchors[False] = shown
                    if reveal in hidden and reveal not in listed:
                        listed.add(reveal)
                        out.append(_Reach(reveal, into[reveal], arn, reach).whole(self._join))
                    if hidden:
                        fresh = {p for p in self._new_in(hidden, anchors.get(True)) if p not in followed}
                        if fresh:
                            followed |= fresh
                            for principal in self._leads(hidden, fresh, expanded, covered):
                                queue.append(_Reach(principal, into[principal], arn, reach))
                        if len(hidden) > len(anchors.get(True, ())):
                            anchors[True] = hidden
        out.sort(key=lambda path: len(path.hops))
        return Triggered(start, out)

    def _join(self, first: Answer, rest: Answer) -> Answer:
        """Two answers joined as a chain (`combine`), once per pair: a walk's paths share their
        parents, and the ways in share who-can-invoke's answers. The pair is kept with the result,
        so the ids that key it stay theirs."""
        key = (id(first), id(rest))
        held = self._joined.get(key)
        if held is None:
            if len(self._joined) > JOINED_LIMIT:
                self._joined.clear()
            held = self._joined[key] = (first, rest, combine([first, rest]))
        return held[2]

    def _leads(self, hidden: frozenset, fresh: set[str], expanded: set[str], covered: set) -> list[str]:
        """Of the roles `*` stands for that a walk now follows (`fresh`, of `hidden`), those it
        must go on from: one whose function has callers the walk has not met yet, for each such
        set of callers. Another role whose function has the same callers would add no one (a
        block of thousands of roles is as many functions, but few sets of callers)."""
        leads, sets_seen = [], set()
        for sets, arn, principal in self._groups(hidden):
            if sets in covered or sets in sets_seen or principal not in fresh or arn in expanded:
                continue
            sets_seen.add(sets)
            if not leads or leads[-1] != principal:
                leads.append(principal)
        return leads

    def _groups(self, block: frozenset) -> list[tuple[tuple, str, str]]:
        """(callers' sets, function, role) for each function a role of `block` runs, by role."""
        if id(block) not in self._grouped:
            out = []
            for principal in sorted(block):
                for arn, runner in self._runs_as.get(principal, ()):
                    out.append(((self._first.get(arn) or self._principals_into(runner))[3], arn, principal))
            self._grouped[id(block)] = out
        return self._grouped[id(block)]

    def _new_in(self, block: frozenset, anchor: frozenset | None) -> tuple[str, ...]:
        """`block`'s principals, sorted (the same answer every run), less those of `anchor`: a
        block a walk has gone through in full, every principal of which it has listed or
        followed already. Functions of one account share most of their principals, so each
        walk goes through those once, not once per function."""
        key = (id(block), id(anchor))
        if key not in self._new:
            self._new[key] = tuple(sorted(block - anchor if anchor is not None else block))
        return self._new[key]

    def _principals_into(self, function: Function) -> tuple[dict[str, TriggerPath], frozenset, frozenset, tuple]:
        """Each principal's widest way into `function` (a listed way before a way `*` stands
        for); the listed principals, and those `*` stands for (followed, not listed) — each set
        one object for every function with the same, so a walk follows such functions once —
        and the two sets' identity."""
        key = str(function.arn)
        if key not in self._first:
            first: dict[str, TriggerPath] = {}
            for path in self.ways_into(function):  # the widest, then the shortest
                held = first.get(path.principal) if path.principal is not None else None
                if path.principal is not None and (held is None or rank(path.answer) > rank(held.answer)):
                    first[path.principal] = path
            hidden = set()
            for path in self.ways.opened(function):
                held = first.get(path.principal)
                if held is None or (path.principal in hidden and rank(path.answer) > rank(held.answer)):
                    first[path.principal] = path
                    hidden.add(path.principal)
            shown = self._sets.setdefault(frozenset(first.keys() - hidden), frozenset(first.keys() - hidden))
            hidden = self._sets.setdefault(frozenset(hidden), frozenset(hidden))
            self._first[key] = (first, shown, hidden, (id(shown), id(hidden)))
        return self._first[key]

class _Reach:
    """A principal reached on a walk: its way into the function `runner`, then the path of
    `parent` (who `runner` runs as). The whole path is made only when it is listed (a role `*`
    stands for is followed, never listed: most are never made)."""

    __slots__ = ("principal", "first", "runner", "parent", "path")

    def __init__(self, principal: str | None, first: TriggerPath | None = None, runner: str = "",
                 parent: _Reach | None = None, path: TriggerPath | None = None) -> None:
        self.principal, self.first, self.runner, self.parent, self.path = principal, first, runner, parent, path

    def whole(self, join: Callable[[Answer, Answer], Answer]) -> TriggerPath:
        """The path, made (with `join` for the answers) up to the nearest one made, without recursion."""
        pending, reach = [], self
        while reach.path is None:
            pending.append(reach)
            reach = reach.parent
        for step in reversed(pending):
            above = step.parent.path
            step.path = TriggerPath(step.principal, step.first.hops + (RunHop(step.runner, above.principal),)
                                    + above.hops, join(step.first.answer, above.answer))
        return self.path


def who_can_trigger(edges: Edges, function: Function) -> Triggered:
    """`TriggerPaths.who_can_trigger` for one function (a query over many functions keeps one
    `TriggerPaths`, which remembers the ways into each)."""
    return TriggerPaths(edges).who_can_trigger(function)


def through_triggers(edges: Edges, principal: str) -> list[Access]:
    """What `principal` reaches by making functions run that act as other roles: each such
    function's role's access, `via` the sources fired and the functions run on the way (the
    widest path into each function), each row holding only when the path holds too."""
    from permcheck.graph.query import what_can_access

    paths, out = TriggerPaths(edges), []
    inventory = edges.index.inventory
    for function in inventory.functions.values():
        role = inventory.roles.get(str(function.role)) if function.role is not None else None
        if role is None or str(role.arn) == principal:
            continue
        mine = [p for p in paths.who_can_trigger(function, reveal=principal).triggers if p.principal == principal]
        if not mine:
            continue
        best = max(mine, key=lambda p: (rank(p.answer), -len(p.hops)))
        via = tuple(str(hop.trigger.resource) if isinstance(hop, SourceHop) else hop.function
                    for hop in best.hops if isinstance(hop, (SourceHop, RunHop))) + (str(function.arn), str(role.arn))
        for row in what_can_access(edges, edges.index.caller_for_entity(role)).access:
            if row.via:
                continue  # what the role reaches by assuming others: asked of it directly
            answer = combine([best.answer, row.answer])
            if answer.decision is not Decision.DENIED:
                out.append(Access(row.resource, row.actions, answer, via))
    return out
