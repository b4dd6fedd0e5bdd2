"""The organisation layers: which SCPs and RCPs a request meets, with AWS's documented exceptions.

SCPs limit the principals of the organisation's accounts; RCPs limit the resources in them.
Neither is a blanket layer: AWS documents who and what each one does not reach, and a
layer applied where AWS does not apply it is a false `denied` — a grant the gate never sees.

- SCPs (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html,
  "Tasks and entities not restricted by SCPs"): you can't use SCPs to restrict "any action
  performed by the management account" nor "any action performed using permissions that are
  attached to a service-linked role".
- RCPs (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html):
  they apply only to the services listed in `RCP_SERVICES`; they "have no effect on resources in
  the management account"; they apply to principals "regardless of whether the principals belong
  to the same organizations or not" — AWS service principals included, which AWS's own
  confused-deputy RCPs rely on (https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html)
  — except that "RCPs do not apply to calls made by service-linked roles"; and they "do not
  impact" `kms:RetireGrant`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from permcheck.iam.request import Caller, CallerKind, Request
from permcheck.model.policy import Policy


@dataclass(frozen=True)
class Organisation:
    """SCPs limit principals, RCPs limit resources, of `accounts` — but not of the
    `management_account` (None: not given, so no account of the analysis is taken for it)."""

    scps: tuple[Policy, ...] = ()
    rcps: tuple[Policy, ...] = ()
    accounts: frozenset[str] = field(default_factory=frozenset)
    management_account: Optional[str] = None


RCP_SERVICES = frozenset({
    "appstream", "dsql", "clouddirectory", "cloudfront", "cloudsearch", "logs", "networkmonitor",
    "cognito-identity", "cognito-idp", "comprehend", "comprehendmedical", "firehose", "dynamodb", "dax",
    "autoscaling", "ecr", "ecr-public", "gamelift", "inspector-scan", "kendra", "kinesisvideo", "memorydb",
    "aoss", "personalize", "polly", "s3", "swf", "sqs", "textract", "timestream-influxdb", "transcribe",
    "translate", "workspaces", "appconfig", "autoscaling-plans", "budgets", "servicediscovery",
    "cloudtrail-data", "codeartifact", "codebuild", "codecommit", "codepipeline", "compute-optimizer",
    "cost-optimization-hub", "events", "fms", "fis", "health", "rolesanywhere", "kms", "opensearch",
    "pricing", "pca-connector-ad", "resource-groups", "secretsmanager", "sts", "signin", "support",
    "transfer", "notifications", "wafv2", "xray",
})
"""Service prefixes whose actions RCPs apply to: "List of AWS services that support RCPs" on
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html#rcp-supported-services
(the copy of 2026-09-26, read 2026-12-06; 64 prefixes). AWS adds services over time: refresh
this table from that page. Lambda, IAM and SNS are not on it, so an RCP never limits
`lambda:InvokeFunction`."""

RCP_EXEMPT_ACTIONS = frozenset({"kms:retiregrant"})
"""Actions the RCP page says RCPs "do not impact" (its last table)."""


def rcp_guard(request: Request, space) -> tuple:
    """What an RCP statement also needs on a KMS key the inputs do not show: that the key is not
    an AWS managed key, which AWS's evidence (the key ARN) leaves unknown. "Resource control
    policies in your organization do not apply to AWS managed keys"
    (https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html)."""
    if request.target.aws_managed_key is not None:
        return ()
    reason = f"whether {request.target.arn} is an AWS managed key (RCPs do not apply to those)"
    return ((space.atom(reason), False),)


def service_linked(caller: Caller) -> bool:
    """A session of a service-linked role: its ARN's path is `/aws-service-role/`
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html)."""
    return caller.kind is CallerKind.ROLE and ":role/aws-service-role/" in caller.arn


def scps_apply(request: Request, org: Organisation) -> bool:
    """Do the SCP inputs limit this caller? Principals (and the root user) of the analysed
    member accounts, except the management account and service-linked roles."""
    caller = request.caller
    return bool(org.scps) and caller.account in org.accounts and caller.account != org.management_account \
        and caller.kind in (CallerKind.ROLE, CallerKind.USER, CallerKind.ROOT) and not service_linked(caller)


def rcps_apply(request: Request, org: Organisation) -> bool:
    """Do the RCP inputs limit this request? A resource in an analysed member account (the
    caller's account for a request on no resource in particular), an action of a service that
    supports RCPs, any caller but a service-linked role, any resource but an AWS managed KMS key
    (for a key the inputs do not show, `rcp_guard` leaves that open)."""
    if not org.rcps or request.target.aws_managed_key:
        return False
    owner = request.target.account or request.caller.account
    action = request.action.lower()
    return owner in org.accounts and owner != org.management_account \
        and action.split(":", 1)[0] in RCP_SERVICES and action not in RCP_EXEMPT_ACTIONS \
        and not service_linked(request.caller)
