"""A decision and the answer that carries it: the evaluator's result, as every layer above reads it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Union

from permcheck.iam.request import CallerKind, Request
from permcheck.model.policy import Statement


class Decision(str, Enum):
    ALLOWED = "allowed"
    DENIED = "denied"
    CONDITIONAL = "conditional"


RANK = {Decision.DENIED: 0, Decision.CONDITIONAL: 1, Decision.ALLOWED: 2}  # how much a decision lets through


@dataclass(frozen=True, slots=True)
class OnClause:
    """A condition clause a `conditional` answer depends on: it must hold (`effect` Allow) or must
    not (`effect` Deny, the clause of a Deny). `operator` PolicyVariable: a key a value refers to."""

    operator: str
    key: str
    values: tuple[str, ...]
    effect: str


@dataclass(frozen=True, slots=True)
class OnUnknown:
    """A value the inputs leave unresolved (or an answer that could not be exact): the answer
    depends on what it is."""

    reason: str


ConditionEntry = Union[OnClause, OnUnknown]


@dataclass(frozen=True)
class Answer:
    """A decision with the conditions it depends on and the statements that decided it."""

    decision: Decision
    conditions: tuple[ConditionEntry, ...] = ()
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
