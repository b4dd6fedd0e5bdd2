"""AWS's built-in protections: AWS decides these requests itself, whatever the policies say.

Each test names the AWS page it pins (see also `permcheck/iam/builtin.py`).
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.iam.caches import Caches
from permcheck.iam import fast_path
from permcheck.iam.builtin import protected_role_pattern
from permcheck.iam.decide import Decision, Organisation, evaluate, evaluate_fully
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.model.policy import PolicyKind
from tests.iam.helpers import ACCOUNT, allow, decide, deny, policy, role

ADMIN = policy(allow("*", "*"))
SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"
SSO = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"
APP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
MANAGED = "arn:aws:iam::aws:policy/AdministratorAccess"


def admin_can(action, resource):
    return decide(role(ADMIN), action, resource)


def test_aws_managed_policies_cannot_be_changed_by_anyone():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies:
    # "You cannot change the permissions defined in AWS managed policies."
    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy",
                   "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:CreatePolicy"):
        answer = admin_can(action, MANAGED)
        assert answer.decision is Decision.DENIED, action
        assert answer.because == () and "AWS managed policies" in answer.notes[0], action
    # A customer managed policy is the customer's to change; reading an AWS one is fine.
    assert admin_can("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/mine").decision is Decision.ALLOWED
    assert admin_can("iam:GetPolicyVersion", MANAGED).decision is Decision.ALLOWED


def test_service_linked_roles_cannot_be_changed():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html and the IAM API's
    # UnmodifiableEntityException: "service-linked roles are protected AWS resources. Only the service
    # that depends on the service-linked role can modify or delete the role".
    for action in ("iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy",
                   "iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole",
                   "iam:PutRolePermissionsBoundary"):
        answer = admin_can(action, SLR)
        assert answer.decision is Decision.DENIED and "service-linked" in answer.notes[0], action
        assert admin_can(action, APP_ROLE).decision is Decision.ALLOWED, action
    # Documented as allowed: editing the description
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-service-linked-role.html) and
    # passing a non-default service-linked role to its service
    # (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-api-permissions.html).
    assert admin_can("iam:UpdateRoleDescription", SLR).decision is Decision.ALLOWED
    assert admin_can("iam:PassRole", SLR).decision is Decision.ALLOWED
    assert admin_can("iam:DeleteServiceLinkedRole", SLR).decision is Decision.ALLOWED


def test_aws_reserved_roles_cannot_be_changed():
    # https://repost.aws/knowledge-center/identity-center-aws-reserved-sso: "Cannot perform the
    # operation on the protected role 'AWSReservedSSO_...' - this role is only modifiable by AWS".
    for action in ("iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRole"):
        answer = admin_can(action, SSO)
        assert answer.decision is Decision.DENIED and "/aws-reserved/" in answer.notes[0], action


def test_aws_changes_protected_roles_through_its_service_linked_role():
    # AWS modifies them itself: Identity Center's service-linked role is granted these very changes
    # on /aws-reserved/sso.amazonaws.com/* by AWSSSOServiceRolePolicy
    # (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSSSOServiceRolePolicy.html).
    sso_service = role(policy(allow(["iam:PutRolePolicy", "iam:AttachRolePolicy"],
                                    "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*")),
                       arn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO")
    assert decide(sso_service, "iam:PutRolePolicy", SSO).decision is Decision.ALLOWED
    # An AWS managed policy stays out of reach even so: it is not in the account.
    assert decide(role(ADMIN, arn=sso_service.arn), "iam:CreatePolicyVersion", MANAGED).decision is Decision.DENIED


def test_a_pattern_is_protected_only_when_all_it_names_is():
    # A request on a pattern stands for every resource it covers (the escalation rule asks so).
    assert admin_can("iam:PutRolePolicy", "arn:aws:iam::*:role/aws-service-role/*").decision is Decision.DENIED
    assert admin_can("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/*").decision is Decision.DENIED
    for wider in ("*", "arn:aws:iam::*:role/*", "arn:aws:iam::*:role/aws-service-role*", "arn:aws:iam::*:policy/*"):
        action = "iam:CreatePolicyVersion" if "policy" in wider else "iam:PutRolePolicy"
        assert admin_can(action, wider).decision is Decision.ALLOWED, wider
    assert protected_role_pattern(SLR) and protected_role_pattern("arn:aws:iam::*:role/aws-reserved/*")
    assert not protected_role_pattern("arn:aws:iam::*:role/*") and not protected_role_pattern("*")


def test_aws_managed_key_aliases_cannot_be_created_updated_or_deleted():
    # https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html: "The alias/aws/ prefix is
    # reserved for AWS managed key"; "You cannot manage aliases for AWS managed keys".
    aws_alias = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/s3"
    for action in ("kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"):
        answer = admin_can(action, aws_alias)
        assert answer.decision is Decision.DENIED and "alias/aws/" in answer.notes[0], action
        assert admin_can(action, f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/orders").decision is Decision.ALLOWED


def test_get_caller_identity_needs_no_permission_and_cannot_be_denied():
    # https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html: "No permissions
    # are required ... If an administrator attaches a policy to your identity that explicitly denies
    # access to the sts:GetCallerIdentity action, you can still perform this operation."
    denied_everything = role(policy(deny("*", "*")))
    answer = decide(denied_everything, "sts:GetCallerIdentity", "*")
    assert answer.decision is Decision.ALLOWED and "GetCallerIdentity" in answer.notes[0]
    assert decide(role(), "sts:GetCallerIdentity", "*").decision is Decision.ALLOWED
    # The request must still be signed.
    anyone = Caller(kind=CallerKind.ANYONE, arn="*")
    assert decide(anyone, "sts:GetCallerIdentity", "*").decision is Decision.DENIED


def test_protection_wins_over_organisation_layers_and_boundaries():
    scp = policy(deny("*", "*"), kind=PolicyKind.SCP)
    org = Organisation(scps=(scp,), accounts=frozenset({ACCOUNT}))
    assert decide(role(ADMIN), "sts:GetCallerIdentity", "*", org=org).decision is Decision.ALLOWED
    assert decide(role(ADMIN), "iam:PutRolePolicy", SLR, org=org).decision is Decision.DENIED


PROTECTED = [("iam:CreatePolicyVersion", MANAGED), ("iam:UpdateAssumeRolePolicy", SLR), ("iam:PutRolePolicy", SSO),
             ("kms:DeleteAlias", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/lambda"), ("sts:GetCallerIdentity", "*")]
statements = st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Deny"]),
    "Action": st.sampled_from(["*", "iam:*", "kms:*", "sts:*", "iam:Put*"]),
    "Resource": st.sampled_from(["*", SLR, MANAGED, "arn:aws:iam::*:role/*"]),
}, optional={"Condition": st.just({"StringEquals": {"aws:SourceAccount": ACCOUNT}})})


@settings(max_examples=200, deadline=None)
@given(request=st.sampled_from(PROTECTED), identity=st.lists(statements, max_size=3),
       resource=st.lists(statements.map(lambda s: {**s, "Principal": "*"}), max_size=2))
def test_policies_never_change_a_protected_answer(request, identity, resource):
    action, arn = request
    caller = role(policy(*identity)) if identity else role()
    target = Target(arn=arn, account=ACCOUNT,
                    policy=policy(*resource, kind=PolicyKind.RESOURCE) if resource else None)
    asked = Request(caller=caller, action=action, target=target)
    expected = Decision.ALLOWED if action == "sts:GetCallerIdentity" else Decision.DENIED
    assert evaluate(asked).decision is expected
    assert evaluate_fully(asked).decision is expected
    quick = fast_path.answer(asked, Organisation(), Caches())
    assert quick is None or quick == evaluate_fully(asked)


ACTIONS = st.sampled_from(["iam:PutRolePolicy", "IAM:putrolepolicy", "iam:DeleteRole", "iam:CreatePolicyVersion",
                           "kms:CreateAlias", "sts:GetCallerIdentity", "lambda:UpdateFunctionCode",
                           "lambda:AddPermission", "s3:GetObject", "iam:PassRole"])
ARNS = st.sampled_from([SLR, SSO, APP_ROLE, MANAGED, "*", "arn:aws:kms:us-east-1:123456789012:alias/aws/s3",
                        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"])


@given(ACTIONS, ARNS, st.sampled_from([APP_ROLE, SLR]), st.booleans())
def test_an_action_protection_never_names_is_never_protected(action, arn, caller_arn, anonymous):
    """`builtin.may_protect` (asked once for many resources, rules/escalation_reach.py): when it
    says no, `protection` is None for every caller and resource; the protections are those the
    tests above pin to AWS's pages."""
    from permcheck.iam.builtin import may_protect, protection
    caller = Caller(kind=CallerKind.ANYONE, arn="*") if anonymous else role(ADMIN, arn=caller_arn)
    found = protection(Request(caller=caller, action=action, target=Target(arn=arn, account=ACCOUNT)))
    if not may_protect(action):
        assert found is None
    assert may_protect("iam:PutRolePolicy") and may_protect("sts:GetCallerIdentity")
    assert not may_protect("lambda:UpdateFunctionCode")
