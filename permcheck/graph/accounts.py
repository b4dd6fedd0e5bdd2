"""Requests on a resource whose account the inputs leave open or do not show.

AWS decides a request within one account differently from one across accounts: within one
account an identity-policy Allow or a resource-policy Allow is enough, across accounts both
sides must allow
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
So the resource's account is part of every answer, and the contract ("Inputs") settles the two
ways the inputs can fall short:

- **The account is an unresolved value** (`arn:aws:lambda:${AWS::Region}:${CrossAccountID}:
  function:x`, the parameter without a value). An unknown never hides a grant and is never a
  match or a miss: the request is decided for every account it may be — the caller's own, each
  analysed account, and one outside the inputs. When they agree, that is the answer; otherwise
  it is `conditional`, with an unknown entry for the account first (`ask_open_account`).
- **The account is resolved, another one, and the resource is not in the inputs.** What the
  inputs do not show is AWS's default: the resource has no resource policy, so a request
  across accounts is denied. The caller's own grant is still a fact a reviewer must see, so
  `outside_side` gives the answer that names it, with a note that the other account's side was
  not analysed (AWS allows the request only if that account's policy grants it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from permcheck.graph.index import Index
from permcheck.iam.answer import Answer, Decision, OnUnknown
from permcheck.iam.request import Caller, CallerKind, Target
from permcheck.model.location import Location
from permcheck.model.policy import Effect, Policy, PolicyKind, Principal, PrincipalType, Statement
from permcheck.model.values import Unknown

Evaluate = Callable[[Caller, str, Target], Answer]
"""`Edges.evaluate`: one request on a target, decided by the evaluator."""

UNANALYSED = "the other account's side"  # the synthetic policy below: never shown as a reason


def ask_open_account(index: Index, evaluate: Evaluate, caller: Caller, action: str, target: Target,
                     unknowns: tuple[Unknown, ...]) -> Answer:
    """The answer on a target whose account is unresolved: one answer if every account it may
    be gives the same, else `conditional` on the unknown (and on the conditions of the accounts
    where it holds)."""
    inventory = index.inventory
    accounts = [caller.account] if caller.account else []
    accounts += [inventory.default_account, *sorted(inventory.accounts)]
    accounts.append(_outside(set(accounts)))
    answers = [evaluate(caller, action, replace(target, account=account)) for account in dict.fromkeys(accounts)]
    first = answers[0]
    notes = tuple(dict.fromkeys(note for answer in answers for note in answer.notes))
    if all(a.decision is first.decision and a.conditions == first.conditions for a in answers):
        return replace(first, notes=notes)
    holding = [a for a in answers if a.decision is not Decision.DENIED]
    conditions = [OnUnknown(f"{unknown.reason}, the account of {target.arn}") for unknown in dict.fromkeys(unknowns)]
    conditions += [c for a in holding for c in a.conditions]
    conditions = [c for i, c in enumerate(conditions) if c not in conditions[:i]]
    because = tuple(dict.fromkeys(s for a in holding for s in a.because))
    return Answer(Decision.CONDITIONAL, tuple(conditions), because, notes)


def outside_side(index: Index, evaluate: Evaluate, caller: Caller, action: str, resource: object,
                 answer: Answer) -> Answer | None:
    """For a request denied only because the resource is in another account that the inputs do
    not show (so AWS's default, no resource policy, denies it): the same `denied`, naming the
    caller's grants that ask for it and saying that side was not analysed. None otherwise."""
    if answer.decision is not Decision.DENIED or caller.kind not in (CallerKind.ROLE, CallerKind.USER, CallerKind.ROOT):
        return None
    target = index.target(resource, action)
    if target.policy is not None or target.note is None or target.account in (None, caller.account) \
            or index.open_account(target):
        return None
    granted = evaluate(caller, action, replace(target, policy=_grants_caller(caller), note=None))
    if granted.decision is Decision.DENIED:
        return None
    because = tuple(s for s in granted.because if s.policy != UNANALYSED)
    note = (f"{target.arn} is in account {target.account}, whose policies are not in the inputs: AWS's default "
            "assumed (no resource policy), which denies this cross-account request; it is allowed only if that "
            "account's resource policy grants it")
    notes = tuple(n for n in answer.notes if n != target.note) + (note,)
    return Answer(Decision.DENIED, (), because, notes)


def _grants_caller(caller: Caller) -> Policy:
    """A resource policy that grants the caller everything: the other side at its widest."""
    location = Location(UNANALYSED)
    statement = Statement(effect=Effect.ALLOW, actions=("*",), resources=("*",), location=location,
                          principals=(Principal(type=PrincipalType.AWS, value=caller.arn),), policy=UNANALYSED)
    return Policy(name=UNANALYSED, kind=PolicyKind.RESOURCE, location=location, statements=(statement,))


def _outside(taken: set) -> str:
    """An account id that is none of `taken`: stands for "an account outside the inputs"."""
    return next(f"{n:012d}" for n in range(len(taken) + 1) if f"{n:012d}" not in taken)
