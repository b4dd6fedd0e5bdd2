"""Whether a Principal or NotPrincipal element names the caller, and how.

How a resource policy names the caller decides what else AWS needs: a grant to the account
needs the account's identity policies too; a grant to a role ARN is still limited by the
role's permissions boundary; a grant to a user, a session or anyone is not.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

from enum import Enum
from typing import Optional

from permcheck.iam.actions import action_match
from permcheck.iam.request import Caller, CallerKind
from permcheck.model.arn import parse_arn
from permcheck.model.policy import Policy, PrincipalType, Statement
from permcheck.model.values import Sym, Unknown


class Grant(str, Enum):
    """How a resource-policy statement names the caller, which decides what else is needed."""

    ANY = "any"                # "*": anyone
    DIRECT = "direct"          # the user, the session, the service itself
    DIRECT_ROLE = "role"       # the role ARN: still limited by the role's boundary
    ACCOUNT = "account"        # the whole account: its identity policies must allow too


_RANK = {Grant.ANY: 3, Grant.DIRECT: 3, Grant.DIRECT_ROLE: 2, Grant.ACCOUNT: 1}


def principal_match(statement: Statement, caller: Caller) -> tuple[Optional[bool], Optional[Grant]]:
    """Does a Principal element name the caller, and how (the strongest way wins)?

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    """
    best: Optional[Grant] = None
    unknown = False
    for principal in statement.principals or ():
        if principal.type is PrincipalType.ANYONE:
            grant: Optional[Grant] = Grant.ANY
        elif isinstance(principal.value, (Sym, Unknown)):
            unknown = True
            continue
        else:
            grant = _names(principal.type, principal.value, caller)
        if grant is not None and (best is None or _RANK[grant] > _RANK[best]):
            best = grant
    if best is not None:
        return True, best
    return (None, Grant.DIRECT) if unknown else (False, None)


def _names(ptype: PrincipalType, value: str, caller: Caller) -> Optional[Grant]:
    if ptype is PrincipalType.SERVICE:
        return Grant.DIRECT if caller.kind is CallerKind.SERVICE and value.lower() == caller.arn.lower() else None
    if ptype is not PrincipalType.AWS:
        return Grant.DIRECT if value == caller.arn else None
    if caller.kind not in (CallerKind.ROLE, CallerKind.USER, CallerKind.ROOT):
        return None
    arn = parse_arn(value)
    if arn is None:
        return None
    if arn.service == "iam" and arn.resource == "root":
        return Grant.ACCOUNT if caller.account == arn.account else None
    if caller.kind is CallerKind.ROLE and value == caller.arn:
        return Grant.DIRECT_ROLE
    if value == caller.arn or (caller.session_arn is not None and value == caller.session_arn):
        return Grant.DIRECT
    return None


def not_principal_exempts(statement: Statement, caller: Caller) -> Optional[bool]:
    """Is the caller among the exceptions of a NotPrincipal element?

    AWS may check the caller's account, then its role or user, then the role session: the
    caller is safely exempt only when each of them is listed. A caller whose own role or user
    is not listed is not an exception. When the caller is listed but not all of its chain,
    AWS "might" deny (NotPrincipal page): that is left open, never guessed. A role or user with
    a permissions boundary is never an exception. (A caller whose identity side is not in the
    inputs is taken to have no boundary: the worst case for the resource owner.)
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    """
    if caller.kind in (CallerKind.ROLE, CallerKind.USER) and caller.boundary is not None:
        # "The NotPrincipal element with a Deny effect will always deny any IAM principal that
        # has a permissions boundary policy attached, regardless of the values specified in the
        # NotPrincipal element" (NotPrincipal page, and
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
        return False
    listed = {str(p.value) for p in statement.principals or ()}
    if "*" in listed or any(not isinstance(p.value, str) for p in statement.principals or ()):
        return True if "*" in listed else None
    if caller.kind in (CallerKind.SERVICE, CallerKind.ANYONE, CallerKind.FEDERATED):
        return caller.arn in listed
    partition = caller.arn.split(":")[1] if caller.arn.startswith("arn:") else "aws"
    chain = [f"arn:{partition}:iam::{caller.account}:root"]
    if caller.kind in (CallerKind.ROLE, CallerKind.USER):
        chain.append(caller.arn)
    if caller.kind is CallerKind.ROLE:
        chain.append(caller.session_arn)  # None: a session whose name the inputs do not know
    hits = [identity in listed for identity in chain]
    if all(hits):
        return True
    if not any(hits[1:]) and len(chain) > 1:
        return False  # the caller itself is not an exception: the Deny applies (the page's intent)
    return None if any(hits) else False


def named_principals(policy: Policy, action: str | None = None) -> tuple[set[str], set[str], bool]:
    """Whom a resource policy's statements (those that may match `action`, when given) name:
    principal values, accounts (a root ARN or an account id), and whether they may name anyone
    (`*`, NotPrincipal, an unknown principal, or a policy whose content is unknown or invalid).
    A caller in none of these is not named, so the policy cannot apply to it."""
    names: set[str] = set()
    accounts: set[str] = set()
    if policy.unknown is not None or policy.error:
        return names, accounts, True
    anyone = False
    for statement in policy.statements:
        if action is not None and action_match(statement, action) is False:
            continue
        anyone |= statement.not_principal
        for principal in statement.principals or ():
            if principal.type is PrincipalType.ANYONE or not isinstance(principal.value, str):
                anyone = True
                continue
            names.add(principal.value)
            if principal.value.endswith(":root"):
                accounts.add(principal.value.split(":")[4])
            elif principal.value.isdigit():
                accounts.add(principal.value)
    return names, accounts, anyone


def may_name(named: tuple[set[str], set[str], bool], caller: Caller) -> bool:
    """Whether a caller is among `named_principals` (names compared as `principal_match` does:
    service names without case)."""
    names, accounts, anyone = named
    return anyone or caller.account in accounts or caller.arn in names or caller.session_arn in names or (
        caller.kind is CallerKind.SERVICE and caller.arn.lower() in {n.lower() for n in names})
