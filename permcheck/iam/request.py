"""One request as AWS evaluates it: who asks, for what, on which resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Mapping, Optional

from permcheck.model.policy import Policy


class CallerKind(str, Enum):
    ROLE = "role"          # a session of an IAM role
    USER = "user"
    ROOT = "root"          # an account as a whole (its root user, or "someone in it")
    SERVICE = "service"    # an AWS service principal
    ANYONE = "anyone"      # `*`: any caller, signed or not
    FEDERATED = "federated"


@dataclass(frozen=True)
class Caller:
    """The principal making the request.

    `identity` holds the caller's identity-based policies (inline, managed, its groups');
    None means they are not in the inputs (an outside account's role): AWS's worst case
    for the resource owner is then assumed, that its own account allows the request.
    """

    kind: CallerKind
    arn: str                       # canonical: role/user/root ARN, service name, or "*"
    account: Optional[str] = None
    session_arn: Optional[str] = None
    identity: Optional[tuple[Policy, ...]] = None
    boundary: Optional[Policy] = None
    name: Optional[str] = None     # user name, for aws:username

    @cached_property
    def context(self) -> dict[str, tuple[str, ...]]:
        """`known_context()`, computed once per caller (treat it as read-only)."""
        return self.known_context()

    def known_context(self) -> dict[str, tuple[str, ...]]:
        """Global condition keys that the caller alone determines.

        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
        """
        ctx: dict[str, tuple[str, ...]] = {}
        if self.kind is CallerKind.SERVICE:
            ctx["aws:principalservicename"] = (self.arn,)
            ctx["aws:principalisawsservice"] = ("true",)
            return ctx
        if self.kind in (CallerKind.ANYONE, CallerKind.FEDERATED):
            return ctx
        ctx["aws:principalisawsservice"] = ("false",)
        if self.account:
            ctx["aws:principalaccount"] = (self.account,)
        if self.kind is CallerKind.ROOT:
            return ctx  # "the account, or someone in it": see `bounds`
        ctx["aws:principalarn"] = (self.arn,)
        ctx["aws:principaltype"] = ({CallerKind.ROLE: "AssumedRole", CallerKind.USER: "User"}[self.kind],)
        if self.kind is CallerKind.USER and self.name:
            ctx["aws:username"] = (self.name,)
        return ctx


    def root_user_context(self) -> dict[str, tuple[str, ...]]:
        """An account caller's principal keys when it is taken as its root user itself (a closed
        context asks about one concrete request, not about everyone in the account)."""
        if self.kind is not CallerKind.ROOT:
            return {}
        return {"aws:principalarn": (self.arn,), "aws:principaltype": ("Account",)}

    def bounds(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Keys the caller leaves open but bounds, as a condition every value satisfies.

        An account caller (ROOT) stands for whoever in that account makes the request, so a
        policy naming the account with `ArnLike aws:PrincipalArn ...:role/ci-*` lets some of
        them in: the principal's ARN is any ARN of the account, its type any type an account's
        principal has (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn,
        #condition-keys-principaltype); only `aws:PrincipalAccount` is fixed.
        """
        if self.kind is not CallerKind.ROOT or not self.account:
            return {}
        partition = self.arn.split(":")[1] if self.arn.startswith("arn:") else "aws"
        # ArnLike: field by field, so no wildcard reaches into the account field
        arns = (f"arn:{partition}:iam::{self.account}:*", f"arn:{partition}:sts::{self.account}:*")
        return {"aws:principalarn": ("ArnLike", arns),
                "aws:principaltype": ("StringEquals", ("Account", "User", "AssumedRole", "FederatedUser"))}


@dataclass(frozen=True)
class Target:
    """The resource side of a request.

    `policy_required`: AWS grants nothing on this resource without its own policy's
    consent (a KMS key policy, a role trust policy); IAM policies work only when that
    policy delegates to the account.
    """

    arn: object  # an ARN, or a Sym when the inputs leave part of it unresolved
    account: Optional[str]  # None: whichever account the caller is in (`*`, wildcard ARNs)
    policy: Optional[Policy] = None
    policy_required: bool = False
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    note: Optional[str] = None
    aws_managed_key: Optional[bool] = False  # a KMS key AWS manages; None: a key the inputs do not show


@dataclass(frozen=True)
class Request:
    caller: Caller
    action: str
    target: Target
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lower-cased keys
    closed: bool = False  # keys not given are absent rather than unknown
