"""The queries' answers as typed rows: what who-can-invoke, what-can-access and can found,
for report/ to render (as the contract's JSON, a table or a page) and diff to compare."""

from __future__ import annotations

from dataclasses import dataclass

from permcheck.iam.answer import Answer


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
