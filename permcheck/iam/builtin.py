"""AWS's built-in protections: requests AWS decides before, and regardless of, any policy.

Some resources belong to AWS even though they sit in (or are named from) the customer's
account, and no policy can let anyone change them; one action needs no permission at all.
A policy that "allows" such a request grants nothing, so the evaluator answers these first —
queries and the `privilege-escalation` rule then never count a path through them.

Each entry names the AWS page it follows:

- AWS managed policies (`arn:aws:iam::aws:policy/...`): "You cannot change the permissions
  defined in AWS managed policies" and "AWS managed policies cannot be edited"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-edit.html). They live
  in the `aws` account: no one else can create, version, delete or tag them there.
- Service-linked roles (path `/aws-service-role/`): "service-linked roles are protected AWS
  resources. Only the service that depends on the service-linked role can modify or delete the
  role" (`UnmodifiableEntityException`, https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html;
  https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html). Their
  description may still be edited (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-service-linked-role.html),
  and they are deleted through `iam:DeleteServiceLinkedRole`, so neither is listed.
  `iam:PassRole` is not a protection: EC2 Auto Scaling documents passing a non-default
  service-linked role (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-api-permissions.html);
  what protects such a pass is that only the linked service can assume the role
  (`protected_role_pattern`, used by the escalation rule).
- AWS-reserved roles (path `/aws-reserved/`, IAM Identity Center's `AWSReservedSSO_*`):
  "Cannot perform the operation on the protected role ... this role is only modifiable by AWS"
  (https://repost.aws/knowledge-center/identity-center-aws-reserved-sso).
- AWS managed KMS key aliases (`alias/aws/...`): "The alias/aws/ prefix is reserved for AWS
  managed key"; "You cannot manage aliases for AWS managed keys"
  (https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html).
- `sts:GetCallerIdentity`: "No permissions are required to perform this operation. If an
  administrator attaches a policy to your identity that explicitly denies access to the
  sts:GetCallerIdentity action, you can still perform this operation"
  (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html). The request
  must still be signed: an anonymous caller cannot make it.
"""

from __future__ import annotations

import re
from typing import Optional

from permcheck.iam.org import service_linked
from permcheck.iam.request import CallerKind, Request

_MANAGED_POLICY = re.compile(r"arn:[^:]+:iam::aws:policy/")
_SERVICE_LINKED = re.compile(r"arn:[^:]+:iam::[^:]*:role/aws-service-role/")
_RESERVED = re.compile(r"arn:[^:]+:iam::[^:]*:role/aws-reserved/")
_AWS_ALIAS = re.compile(r"arn:[^:]+:kms:[^:]*:[^:]*:alias/aws/")

_ROLE_CHANGES = frozenset({
    "iam:updateassumerolepolicy", "iam:putrolepolicy", "iam:deleterolepolicy", "iam:attachrolepolicy",
    "iam:detachrolepolicy", "iam:putrolepermissionsboundary", "iam:deleterolepermissionsboundary",
    "iam:deleterole",
})

PROTECTIONS: tuple[tuple[re.Pattern, frozenset, str], ...] = (
    (_MANAGED_POLICY, frozenset({
        "iam:createpolicy", "iam:createpolicyversion", "iam:deletepolicy", "iam:deletepolicyversion",
        "iam:setdefaultpolicyversion", "iam:tagpolicy", "iam:untagpolicy"}),
     "AWS managed policies cannot be created, changed, deleted or tagged by anyone "
     "(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies)"),
    (_SERVICE_LINKED, _ROLE_CHANGES,
     "a service-linked role can be changed only by the service it is linked to "
     "(https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html)"),
    (_RESERVED, _ROLE_CHANGES,
     "an AWS-reserved role (/aws-reserved/) is only modifiable by AWS "
     "(https://repost.aws/knowledge-center/identity-center-aws-reserved-sso)"),
    (_AWS_ALIAS, frozenset({"kms:createalias", "kms:updatealias", "kms:deletealias"}),
     "aliases under alias/aws/ belong to AWS managed keys and cannot be created, updated or deleted "
     "(https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html)"),
)

_ROLE_PATTERNS = (_SERVICE_LINKED, _RESERVED)
"""The protected roles are changed by AWS through a service-linked role, so a caller that is one is
not refused here: IAM Identity Center's own service-linked role is granted exactly these changes
on `/aws-reserved/sso.amazonaws.com/*` (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSSSOServiceRolePolicy.html)."""

GET_CALLER_IDENTITY = "sts:getcalleridentity"
_IDENTITY_NOTE = ("sts:GetCallerIdentity needs no permission and cannot be denied "
                  "(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)")


def protection(request: Request) -> Optional[tuple[bool, str]]:
    """(allowed, why) when AWS decides this request itself, whatever the policies say; else None.

    A resource pattern (`arn:aws:iam::*:role/aws-service-role/*`) is protected when everything
    it stands for is: the protected path is literal, before any wildcard. `*` or an unresolved
    ARN is not protected (the policies decide, as for any other resource).
    """
    action = request.action.lower()
    if action == GET_CALLER_IDENTITY:
        if request.caller.kind is CallerKind.ANYONE:
            return False, _IDENTITY_NOTE + ": but the request must be signed"
        return True, _IDENTITY_NOTE
    resource = request.target.arn
    if not isinstance(resource, str):
        return None
    for pattern, actions, why in PROTECTIONS:
        if action not in actions:
            continue
        if pattern in _ROLE_PATTERNS and service_linked(request.caller):
            continue  # AWS itself, acting through a service-linked role (see _ROLE_PATTERNS)
        if _literal_prefix(pattern, resource):
            return False, f"AWS's built-in protection: {why}"
    return None


def may_protect(action: str) -> bool:
    """Can `protection` decide any request for `action`? Only for the actions it names: for any
    other it is None whatever the caller and the resource, so a caller asking about many resources
    (every function of an account) need not ask it for each."""
    action = action.lower()
    return action == GET_CALLER_IDENTITY or any(action in actions for _, actions, _ in PROTECTIONS)


def _literal_prefix(pattern: re.Pattern, resource: str) -> bool:
    """The protected prefix of `pattern` is literal in `resource`. The regexes fix the service
    and the resource part literally; a wildcard left in the partition, region or account
    cannot reach past its field in a real ARN (none of those, nor a role path, holds a colon)."""
    return pattern.match(resource) is not None


def protected_role_pattern(pattern: object) -> bool:
    """Does a Resource pattern name only service-linked or AWS-reserved roles? Such a role
    trusts only its linked service (or Identity Center's SAML provider), and nobody can change
    that trust: passing it to Lambda, EC2 or CloudFormation cannot escalate
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html:
    "only the linked service can assume a service-linked role")."""
    return isinstance(pattern, str) and any(
        _literal_prefix(p, pattern) for p in (_SERVICE_LINKED, _RESERVED))
