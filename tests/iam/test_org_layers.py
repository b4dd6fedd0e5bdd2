"""The organisation layers' documented exceptions, each pinned to the AWS page it follows.

SCPS = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
RCPS = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
"""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.iam.caches import Caches
from permcheck.iam import fast_path
from permcheck.iam.decide import Decision, Organisation, evaluate_fully
from permcheck.iam.org import RCP_SERVICES
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.model.policy import PolicyKind
from tests.iam.helpers import ACCOUNT, BUCKET, OTHER, ROLE, allow, decide, deny, policy, role

MANAGEMENT = "999988887777"
SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"


def rcp(*statements):
    return policy(*statements, kind=PolicyKind.RCP, name="rcp")


def scp(*statements):
    return policy(*statements, kind=PolicyKind.SCP, name="scp")


def resource_policy(*statements):
    return policy(*statements, kind=PolicyKind.RESOURCE, name="resource policy")


DENY_ALL_RCP = rcp({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"})


def org(*, scps=(), rcps=(), accounts=(ACCOUNT,), management=None):
    return Organisation(scps=tuple(scps), rcps=tuple(rcps), accounts=frozenset(accounts), management_account=management)


def service(name="cloudtrail.amazonaws.com"):
    return Caller(kind=CallerKind.SERVICE, arn=name)


# -- 1. RCPs apply to AWS service principals ------------------------------------------------------

def test_rcp_applies_to_a_service_principal():
    # RCPS, "RCP effects on permissions": RCPs affect principals "regardless of whether the
    # principals belong to the same organizations or not"; AWS's confused-deputy RCPs (KMS RCP
    # page, https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html)
    # are written for service principals.
    bucket = resource_policy(allow("s3:PutObject", Principal={"Service": "cloudtrail.amazonaws.com"}))
    assert decide(service(), "s3:PutObject", resource_policy=bucket).decision is Decision.ALLOWED
    denied = decide(service(), "s3:PutObject", resource_policy=bucket, org=org(rcps=(DENY_ALL_RCP,)))
    assert denied.decision is Decision.DENIED
    assert [s.policy for s in denied.because] == ["rcp"]


def test_confused_deputy_rcp_makes_a_service_conditional_on_its_source_account():
    # The KMS RCP page's "RCPEnforceConfusedDeputyProtection" pattern, on S3.
    perimeter = rcp({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                     "Condition": {"StringNotEqualsIfExists": {"aws:SourceAccount": ACCOUNT},
                                   "Bool": {"aws:PrincipalIsAWSService": "true"}}})
    bucket = resource_policy(allow("s3:PutObject", Principal={"Service": "cloudtrail.amazonaws.com"}))
    answer = decide(service(), "s3:PutObject", resource_policy=bucket, org=org(rcps=(perimeter,)))
    assert answer.decision is Decision.CONDITIONAL
    assert {c.key for c in answer.conditions} == {"aws:SourceAccount"}
    mine = decide(service(), "s3:PutObject", resource_policy=bucket, org=org(rcps=(perimeter,)),
                  context={"aws:sourceaccount": (ACCOUNT,)})
    assert mine.decision is Decision.ALLOWED
    theirs = decide(service(), "s3:PutObject", resource_policy=bucket, org=org(rcps=(perimeter,)),
                    context={"aws:sourceaccount": (OTHER,)})
    assert theirs.decision is Decision.DENIED


def test_rcp_does_not_apply_to_a_service_linked_role():
    # RCPS: "RCPs do not apply to calls made by service-linked roles".
    caller = role(policy(allow("s3:*")), arn=SLR)
    assert decide(caller, "s3:GetObject", org=org(rcps=(DENY_ALL_RCP,))).decision is Decision.ALLOWED
    assert decide(role(policy(allow("s3:*"))), "s3:GetObject", org=org(rcps=(DENY_ALL_RCP,))).decision \
        is Decision.DENIED


# -- 2. RCPs apply only to the services that support them ------------------------------------------

def test_rcp_does_not_limit_a_service_that_does_not_support_rcps():
    # RCPS, "List of AWS services that support RCPs": Lambda is not on it.
    deny_invoke = rcp({"Effect": "Deny", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*"})
    caller = role(policy(allow("lambda:InvokeFunction")))
    assert decide(caller, "lambda:InvokeFunction", FUNCTION, org=org(rcps=(deny_invoke,))).decision \
        is Decision.ALLOWED
    assert decide(caller, "lambda:InvokeFunction", FUNCTION, org=org(rcps=(DENY_ALL_RCP,))).decision \
        is Decision.ALLOWED
    # SQS is on it: the same deny-everything RCP denies there.
    sender = role(policy(allow("sqs:SendMessage")))
    assert decide(sender, "sqs:SendMessage", QUEUE, org=org(rcps=(DENY_ALL_RCP,))).decision is Decision.DENIED


def test_rcp_service_table_holds_the_documented_services():
    # The five services of the launch and some added since, by the page of 2026-09-26.
    assert {"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss", "logs", "cognito-idp", "dynamodb"} \
        <= RCP_SERVICES
    assert not {"lambda", "iam", "sns", "states"} & RCP_SERVICES


def test_rcp_does_not_impact_kms_retire_grant():
    # RCPS, the table at the end: "RCPs do not impact the kms:RetireGrant permission".
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1"
    key_policy = resource_policy(allow("kms:*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    caller = role(policy(allow("kms:*")))
    assert decide(caller, "kms:RetireGrant", key, key_policy, required=True, org=org(rcps=(DENY_ALL_RCP,))) \
        .decision is Decision.ALLOWED
    assert decide(caller, "kms:Decrypt", key, key_policy, required=True, org=org(rcps=(DENY_ALL_RCP,))) \
        .decision is Decision.DENIED


def test_rcps_do_not_apply_to_aws_managed_keys():
    # KMS RCP page (https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html):
    # "Resource control policies in your organization do not apply to AWS managed keys." A key
    # the inputs do not show may be one: that stays open, never guessed.
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1"
    key_policy = resource_policy(allow("kms:*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    caller = role(policy(allow("kms:*")))
    layers = org(rcps=(DENY_ALL_RCP,))

    def ask(managed):
        target = Target(arn=key, account=ACCOUNT, policy=key_policy, policy_required=True, aws_managed_key=managed)
        return evaluate_fully(Request(caller=caller, action="kms:Decrypt", target=target), layers)
    assert ask(False).decision is Decision.DENIED  # a customer managed key (one the inputs define)
    assert ask(True).decision is Decision.ALLOWED
    unknown = ask(None)
    assert unknown.decision is Decision.CONDITIONAL
    assert [c.reason for c in unknown.conditions] == [f"whether {key} is an AWS managed key (RCPs do not apply to those)"]


# -- 3. the management account ---------------------------------------------------------------------

def test_scps_do_not_apply_to_the_management_account():
    # SCPS: "You can't use SCPs to restrict ... Any action performed by the management account."
    deny_s3 = scp(allow("*"), deny("s3:*"))
    manager = role(policy(allow("s3:*")), arn=f"arn:aws:iam::{MANAGEMENT}:role/admin", account=MANAGEMENT)
    both = (ACCOUNT, MANAGEMENT)
    assert decide(manager, account=MANAGEMENT, org=org(scps=(deny_s3,), accounts=both)).decision \
        is Decision.DENIED  # not told which account manages the organisation
    assert decide(manager, account=MANAGEMENT, org=org(scps=(deny_s3,), accounts=both, management=MANAGEMENT)) \
        .decision is Decision.ALLOWED
    member = role(policy(allow("s3:*")))
    assert decide(member, org=org(scps=(deny_s3,), accounts=both, management=MANAGEMENT)).decision \
        is Decision.DENIED


def test_rcps_do_not_apply_to_resources_in_the_management_account():
    # RCPS: "They have no effect on resources in the management account."
    bucket = resource_policy(allow(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    caller = role(policy(allow()))
    both = (ACCOUNT, MANAGEMENT)
    assert decide(caller, account=MANAGEMENT, resource_policy=bucket,
                  org=org(rcps=(DENY_ALL_RCP,), accounts=both)).decision is Decision.DENIED
    assert decide(caller, account=MANAGEMENT, resource_policy=bucket,
                  org=org(rcps=(DENY_ALL_RCP,), accounts=both, management=MANAGEMENT)).decision is Decision.ALLOWED
    # A principal of the management account on a member account's resource: the RCP applies.
    manager = role(policy(allow()), arn=f"arn:aws:iam::{MANAGEMENT}:role/admin", account=MANAGEMENT)
    assert decide(manager, account=ACCOUNT, resource_policy=resource_policy(allow(Principal="*")),
                  org=org(rcps=(DENY_ALL_RCP,), accounts=both, management=MANAGEMENT)).decision is Decision.DENIED


# -- 4. SCPs and service-linked roles --------------------------------------------------------------

def test_scps_do_not_restrict_service_linked_roles():
    # SCPS: "You can't use SCPs to restrict ... Any action performed using permissions that are
    # attached to a service-linked role."
    only_ec2 = scp(allow("ec2:*"))
    assert decide(role(policy(allow("s3:*")), arn=SLR), org=org(scps=(only_ec2,))).decision is Decision.ALLOWED
    assert decide(role(policy(allow("s3:*"))), org=org(scps=(only_ec2,))).decision is Decision.DENIED


# -- 5. NotPrincipal and permissions boundaries ----------------------------------------------------

def test_not_principal_deny_always_denies_a_caller_with_a_permissions_boundary():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html and
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html: "The NotPrincipal
    # element with a Deny effect will always deny any IAM principal that has a permissions boundary
    # policy attached, regardless of the values specified in the NotPrincipal element."
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"
    listed = resource_policy(allow(Principal="*"), {
        "Effect": "Deny", "NotPrincipal": {"AWS": [session, ROLE, f"arn:aws:iam::{ACCOUNT}:root"]},
        "Action": "s3:*", "Resource": "*"})
    plain = replace(role(policy(allow())), session_arn=session)
    assert decide(plain, resource_policy=listed).decision is Decision.ALLOWED
    bounded = replace(plain, boundary=policy(allow("s3:*"), kind=PolicyKind.BOUNDARY))
    answer = decide(bounded, resource_policy=listed)
    assert answer.decision is Decision.DENIED
    assert any(s.effect.value == "Deny" for s in answer.because)


# -- the fast path stays the full evaluation -------------------------------------------------------

CALLERS = {"role": role, "slr": lambda *p: role(*p, arn=SLR),
           "manager": lambda *p: role(*p, arn=f"arn:aws:iam::{MANAGEMENT}:role/m", account=MANAGEMENT)}


@settings(max_examples=200, deadline=None)
@given(caller=st.sampled_from(sorted(CALLERS)),
       action=st.sampled_from(["s3:GetObject", "lambda:InvokeFunction", "kms:RetireGrant", "sqs:SendMessage"]),
       rcps=st.booleans(), scps=st.booleans(), management=st.sampled_from([None, MANAGEMENT, ACCOUNT]),
       account=st.sampled_from([ACCOUNT, MANAGEMENT]))
def test_fast_path_agrees_with_full_evaluation_under_organisation_layers(caller, action, rcps, scps, management,
                                                                         account):
    request = Request(caller=CALLERS[caller](policy(allow(action, "*"))), action=action,
                      target=Target(arn=BUCKET, account=account))
    layers = org(scps=(scp(deny("*")),) if scps else (), rcps=(DENY_ALL_RCP,) if rcps else (),
                 accounts=(ACCOUNT, MANAGEMENT), management=management)
    quick = fast_path.answer(request, layers, Caches())
    if quick is not None:
        assert quick == evaluate_fully(request, layers)
