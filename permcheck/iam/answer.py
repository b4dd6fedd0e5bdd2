"""A decision and the answer that carries it: the evaluator's result, as every layer above reads it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from permcheck.iam.request import CallerKind, Request
from permcheck.model.policy import Statement


class Decision(str, Enum):
    ALLOWED = "allowed"
    DENIED = "denied"
    CONDITIONAL = "conditional"


@dataclass(frozen=True)
class Answer:
    """A decision with the conditions it depends on and the statements that decided it."""

    decision: Decision
    conditions: tuple[dict, ...] = ()
    because: tuple[Statement, ...] = ()
    notes: tuple[str, ...] = ()


def answer_notes(request: Request) -> tuple[str, ...]:
    """What AWS's defaults were assumed for: an identity side or a resource the inputs do not show."""
    caller, notes = request.caller, []
    if caller.kind in (CallerKind.ROLE, CallerKind.USER, CallerKind.ROOT) and caller.identity is None:
        notes.append(f"identity side of {caller.arn} not analysed (not in the inputs): assumed to allow")
    if request.target.note:
        notes.append(request.target.note)
    return tuple(notes)
