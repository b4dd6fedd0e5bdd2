"""Who may make one request on a resource — put an object, publish, send a message, start an
execution: the callers its policy names, the principals whose own policies may allow it, and
who reaches those by assuming roles. The first hop of a who-can-trigger path.

A write names a pattern (`arn:aws:s3:::uploads/*`: any object fires the notification). A
principal allowed only part of it (`uploads/in/*`) can still fire it, so each Allow the inputs
hold inside the pattern is asked too, and the principal's widest answer kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from permcheck.graph.edges import Edges
from permcheck.graph.query import combine
from permcheck.iam.answer import RANK, Answer, Decision, OnUnknown
from permcheck.iam.match import match
from permcheck.iam.request import Caller, CallerKind
from permcheck.model.policy import Principal



@dataclass(frozen=True, slots=True)
class Writer:
    """A principal that may make the request (through the roles in `via`), and how."""

    principal: str
    caller: Caller | None  # None: a principal the inputs leave unresolved
    action: str
    resource: str
    answer: Answer
    via: tuple[str, ...] = ()


class Writers:
    """Who may make requests, asked once per (action, resource) and remembered."""

    def __init__(self, edges: Edges) -> None:
        self.edges = edges
        self._found: dict[tuple[str, str], dict[str, Writer]] = {}

    def of(self, action: str, resource: object) -> dict[str, Writer]:
        """Principal → the widest way it may make `action` on `resource` (or inside it)."""
        key = (action, str(resource))
        if key not in self._found:
            found: dict[str, Writer] = {}
            for place in self._places(action, resource):
                for writer in self._direct(action, place):
                    _keep(found, writer)
            for caller in self._inside(action, resource):
                # its own Allow names only part of the pattern, but the resource's policy may let it
                # write anywhere in it (`*` within the account): asked on the pattern too
                if caller.arn not in found or found[caller.arn].answer.decision is not Decision.ALLOWED:
                    answer = self.edges.ask(caller, action, resource)
                    if answer.decision is not Decision.DENIED:
                        _keep(found, Writer(caller.arn, caller, action, str(resource), answer))
            for writer in self._chained(found):
                _keep(found, writer)
            self._found[key] = found
        return self._found[key]

    def answer(self, caller: Caller, action: str, resource: object, ask=None) -> Writer | None:
        """One caller's widest way to make the request (or one inside it), asked (by `ask`, else
        `Edges.ask`) though no policy names it — a function's role where a policy lets anyone
        in (graph/triggers.py); None when it may not."""
        ask = ask or self.edges.ask
        best = None
        for place in self._places(action, resource):
            writer = Writer(caller.arn, caller, action, str(place), ask(caller, action, place))
            if best is None or RANK[writer.answer.decision] > RANK[best.answer.decision]:
                best = writer
        return best if best is not None and best.answer.decision is not Decision.DENIED else None

    def _places(self, action: str, resource: object) -> list[object]:
        """The resource, and every resource the inputs' Allows for the action name inside it."""
        out = [resource]
        if not isinstance(resource, str) or "*" not in resource:
            return out
        for _, statement in self.edges.identity_allows(action):
            for named in (statement.resources or ()) if statement is not None and not statement.not_resource else ():
                if named != resource and named not in out and isinstance(named, str) and match(resource, named):
                    out.append(named)
        target = self.edges.index.target(resource, action)
        for statement in target.policy.statements if target.policy else ():
            for named in statement.resources or ():
                if named != resource and named not in out and isinstance(named, str) and match(resource, named):
                    out.append(named)
        return out

    def _inside(self, action: str, resource: object) -> list[Caller]:
        """The callers whose identity Allows for the action name a resource inside the pattern."""
        if not isinstance(resource, str) or "*" not in resource:
            return []
        out: dict[str, Caller] = {}
        for entity, statement in self.edges.identity_allows(action):
            if statement is None or statement.not_resource or str(entity.arn) in out:
                continue
            if any(isinstance(named, str) and named != resource and match(resource, named)
                   for named in statement.resources or ()):
                out[str(entity.arn)] = self.edges.index.caller_for_entity(entity)
        return list(out.values())

    def _direct(self, action: str, resource: object) -> list[Writer]:
        edges = self.edges
        target = edges.index.target(resource, action)
        out: list[Writer] = []
        asked: set[str] = set()
        for named in edges.named_callers(target.policy.statements) if target.policy else ():
            if isinstance(named, Principal):  # unresolved: it may be anyone
                statements = tuple(s for s in target.policy.statements if s.principals and named in s.principals)
                answer = Answer(Decision.CONDITIONAL, (OnUnknown(f"principal {named.value}"),), statements)
                out.append(Writer(str(named.value), None, action, str(resource), answer))
                continue
            asked.add(named.arn)
            answer = edges.ask(named, action, resource)
            if answer.decision is not Decision.DENIED:
                out.append(Writer(named.session_arn or named.arn, named, action, str(resource), answer))
        # the principals whose own policies may allow it: answered once per shape, as for
        # who-can-invoke (graph/invokers.py)
        for caller, answer, _ in edges.invokers.answers(target.policy, action, resource, asked).all():
            if answer.decision is not Decision.DENIED:
                out.append(Writer(caller.arn, caller, action, str(resource), answer))
        return out

    def _chained(self, found: dict[str, Writer]) -> list[Writer]:
        """Principals that reach a writer role by assuming roles, each by a shortest chain."""
        roles = frozenset(w.principal for w in found.values() if w.caller is not None
                          and w.caller.kind is CallerKind.ROLE)
        out = []
        for source, via, taken in self.edges.best_chains(roles):
            if source in found:
                continue
            writer = found[via[-1]]
            answer = combine([edge.answer for edge in taken] + [writer.answer])
            if answer.decision is not Decision.DENIED:
                out.append(Writer(source, None, writer.action, writer.resource, answer, tuple(via)))
        return out


def _keep(found: dict[str, Writer], writer: Writer) -> None:
    held = found.get(writer.principal)
    if held is None or RANK[writer.answer.decision] > RANK[held.answer.decision]:
        found[writer.principal] = writer
