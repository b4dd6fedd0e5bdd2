"""The queries' answers as typed rows: what who-can-invoke, what-can-access, can and
who-can-trigger found, for report/ to render (as the contract's JSON, a table or a page) and
diff to compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from permcheck.iam.answer import Answer
from permcheck.model.triggers import Trigger


@dataclass(frozen=True, slots=True)
class Invoker:
    """A principal that may invoke a function (a qualifier of it, when set): the actions with
    one answer, and the roles it assumes on the way (`via`, empty when it invokes directly)."""

    principal: str
    actions: tuple[str, ...]
    answer: Answer
    qualifier: str | None = None
    via: tuple[str, ...] = ()

    def order(self) -> tuple:
        """Output order: direct invokers, then chains; by principal, then qualifier."""
        return bool(self.via), self.principal, self.qualifier or ""


@dataclass(frozen=True, slots=True)
class Invokers:
    """who-can-invoke: every principal allowed or conditional to invoke the function."""

    function: str
    principals: list[Invoker]


@dataclass(frozen=True, slots=True)
class Access:
    """Actions a principal may do on a resource with one answer, through the roles in `via`."""

    resource: str
    actions: tuple[str, ...]
    answer: Answer
    via: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reach:
    """what-can-access: what a principal may access, directly and by assuming roles."""

    principal: str
    access: list[Access]


@dataclass(frozen=True, slots=True)
class Verdict:
    """can: one request's answer."""

    principal: str
    action: str
    resource: str
    answer: Answer


@dataclass(frozen=True, slots=True)
class AskHop:
    """A request on the way: a principal's write to a source, a service's or role's invoke of
    the function, or a poll source read by the function's role. `principal` is shown when the
    hop's caller is not the path's (a service, the function's role)."""

    action: str
    resource: str
    answer: Answer
    principal: str | None = None
    via: tuple[str, ...] = ()  # roles the path's principal assumes to make the request
    actions: tuple[str, ...] = ()  # all the actions the hop needs, when more than one (a poll's reads)


@dataclass(frozen=True, slots=True)
class SourceHop:
    """The wiring: the event source that runs the function (model/triggers.py)."""

    trigger: Trigger


@dataclass(frozen=True, slots=True)
class RunHop:
    """A function runs, as its execution role: what follows is that role's request."""

    function: str
    role: str


Hop = Union[AskHop, SourceHop, RunHop]


@dataclass(frozen=True, slots=True)
class TriggerPath:
    """One way a principal (None: AWS itself, or who the source's own users are) makes the
    function run: every hop must hold, so `answer` is theirs joined."""

    principal: str | None
    hops: tuple[Hop, ...]
    answer: Answer


@dataclass(frozen=True, slots=True)
class Triggered:
    """who-can-trigger: every way to make the function run, shortest paths first."""

    function: str
    triggers: list[TriggerPath]
