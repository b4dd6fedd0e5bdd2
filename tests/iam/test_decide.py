"""The evaluation logic, each case pinned to the AWS page that documents it.

EVAL = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
CROSS = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
"""

from permcheck.iam.decide import Decision, Organisation
from permcheck.iam.answer import OnClause, OnUnknown
from permcheck.model.policy import PolicyKind
from tests.iam.helpers import ACCOUNT, BUCKET, OTHER, ROLE, allow, decide, deny, policy, role

RES = PolicyKind.RESOURCE


def resource_policy(*statements):
    return policy(*statements, kind=RES, name="bucket policy")


def test_identity_allow_in_same_account_is_enough():  # EVAL: identity-based policies
    answer = decide(role(policy(allow())))
    assert answer.decision is Decision.ALLOWED
    assert [s.location.file for s in answer.because] == ["test.json"]


def test_no_allow_is_implicit_deny():  # EVAL: "By default, all requests are implicitly denied"
    assert decide(role(policy(allow("s3:PutObject")))).decision is Decision.DENIED


def test_explicit_deny_overrides_allow():  # EVAL: "An explicit deny in any policy overrides any allows"
    answer = decide(role(policy(allow("s3:*"), deny("s3:GetObject"))))
    assert answer.decision is Decision.DENIED
    assert answer.because[0].effect.value == "Deny"


def test_actions_match_case_insensitively_resources_case_sensitively():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    assert decide(role(policy(allow("S3:getobject", BUCKET)))).decision is Decision.ALLOWED
    assert decide(role(policy(allow("s3:GetObject", BUCKET.upper())))).decision is Decision.DENIED


def test_wildcards_in_action_and_resource():
    assert decide(role(policy(allow("s3:Get*", "arn:aws:s3:::data-*/*")))).decision is Decision.ALLOWED
    assert decide(role(policy(allow("s3:Get?bject", "arn:aws:s3:::data-bucket/report.cs?")))).decision is Decision.ALLOWED
    assert decide(role(policy(allow("s3:Put*", "*")))).decision is Decision.DENIED


def test_not_action_and_not_resource():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
    not_action = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert decide(role(policy(not_action))).decision is Decision.ALLOWED
    assert decide(role(policy(not_action)), action="iam:CreateUser").decision is Decision.DENIED
    not_resource = {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}
    assert decide(role(policy(not_resource))).decision is Decision.ALLOWED
    assert decide(role(policy(not_resource)), resource="arn:aws:s3:::secret/x").decision is Decision.DENIED


def test_resource_policy_naming_the_role_is_enough_in_same_account():
    # EVAL, "Evaluating identity-based policies with resource-based policies": either suffices in one account
    rp = resource_policy(allow(Principal={"AWS": ROLE}))
    assert decide(role(), resource_policy=rp).decision is Decision.ALLOWED


def test_when_both_sides_allow_in_one_account_the_callers_own_grant_is_named():
    # EVAL: within one account either side suffices, so either is a true reason. permcheck names
    # the identity Allow, whether or not a resource policy also allows (here: to anyone), so a
    # principal's reason does not change with each function's policy (README, "How permcheck decides").
    rp = resource_policy(allow(Principal="*"), allow(Principal="*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}}))
    answer = decide(role(policy(allow())), resource_policy=rp)
    assert answer.decision is Decision.ALLOWED
    assert [s.policy for s in answer.because] == ["p"]
    assert [s.policy for s in decide(role(), resource_policy=rp).because] == ["bucket policy"]


def test_resource_policy_naming_only_the_account_needs_identity_side():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
    for principal in (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"):
        rp = resource_policy(allow(Principal={"AWS": principal}))
        assert decide(role(), resource_policy=rp).decision is Decision.DENIED
        assert decide(role(policy(allow())), resource_policy=rp).decision is Decision.ALLOWED


def test_cross_account_needs_both_sides():  # CROSS
    rp = resource_policy(allow(Principal={"AWS": ROLE}))
    assert decide(role(), resource_policy=rp, account=OTHER).decision is Decision.DENIED
    assert decide(role(policy(allow())), account=OTHER).decision is Decision.DENIED
    assert decide(role(policy(allow())), resource_policy=rp, account=OTHER).decision is Decision.ALLOWED


def test_outside_principal_is_assumed_allowed_by_its_own_account():
    # The resource owner's worst case (contract); the note says the identity side was not analysed.
    outsider = role(arn=f"arn:aws:iam::{OTHER}:role/partner", account=OTHER, known=False)
    rp = resource_policy(allow(Principal={"AWS": f"arn:aws:iam::{OTHER}:role/partner"}))
    answer = decide(outsider, resource_policy=rp)
    assert answer.decision is Decision.ALLOWED
    assert "not analysed" in answer.notes[0]


def test_boundary_limits_identity_allows():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    boundary = policy(allow("dynamodb:*"), kind=PolicyKind.BOUNDARY)
    assert decide(role(policy(allow()), boundary=boundary)).decision is Decision.DENIED
    wide = policy(allow("s3:*"), kind=PolicyKind.BOUNDARY)
    assert decide(role(policy(allow()), boundary=wide)).decision is Decision.ALLOWED


def test_boundary_limits_role_arn_grants_but_not_session_grants():
    # EVAL, "Resource-based policies and implicit denies": a role ARN grant is limited by the
    # boundary; a grant to the role session ARN is not.
    boundary = policy(allow("dynamodb:*"), kind=PolicyKind.BOUNDARY)
    by_role = resource_policy(allow(Principal={"AWS": ROLE}))
    assert decide(role(boundary=boundary), resource_policy=by_role).decision is Decision.DENIED
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"
    by_session = resource_policy(allow(Principal={"AWS": session}))
    caller = role(boundary=boundary)
    from dataclasses import replace
    assert decide(replace(caller, session_arn=session), resource_policy=by_session).decision is Decision.ALLOWED


def test_scp_must_allow_and_its_deny_wins():
    # https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
    org = Organisation(scps=(policy(allow("dynamodb:*"), kind=PolicyKind.SCP),), accounts=frozenset({ACCOUNT}))
    assert decide(role(policy(allow())), org=org).decision is Decision.DENIED
    full = Organisation(scps=(policy(allow("*"), kind=PolicyKind.SCP),), accounts=frozenset({ACCOUNT}))
    assert decide(role(policy(allow())), org=full).decision is Decision.ALLOWED
    denying = Organisation(scps=(policy(allow("*"), deny("s3:*"), kind=PolicyKind.SCP),), accounts=frozenset({ACCOUNT}))
    assert decide(role(policy(allow())), org=denying).decision is Decision.DENIED


def test_scp_files_act_as_one_level_allow_in_any_deny_in_any():
    # A deny-list SCP beside FullAWSAccess: the usual set-up (SCP evaluation page, "deny list").
    full = policy(allow("*"), kind=PolicyKind.SCP)
    deny_s3 = policy(deny("s3:*"), kind=PolicyKind.SCP)
    org = Organisation(scps=(full, deny_s3), accounts=frozenset({ACCOUNT}))
    assert decide(role(policy(allow("ec2:*"))), action="ec2:DescribeInstances", resource="*", org=org).decision \
        is Decision.ALLOWED
    assert decide(role(policy(allow())), org=org).decision is Decision.DENIED
    only_deny = Organisation(scps=(deny_s3,), accounts=frozenset({ACCOUNT}))
    assert decide(role(policy(allow("ec2:*"))), action="ec2:DescribeInstances", resource="*", org=only_deny).decision \
        is Decision.DENIED


def test_rcp_denies_limit_the_resource():
    # https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
    rcp = policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}, kind=PolicyKind.RCP)
    org = Organisation(rcps=(rcp,), accounts=frozenset({ACCOUNT}))
    assert decide(role(policy(allow())), org=org).decision is Decision.DENIED


def test_kms_key_policy_must_delegate_to_the_account():
    # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
    key = "arn:aws:kms:us-east-1:111111111111:key/1234"
    admin_only = resource_policy(allow("kms:*", Principal={"AWS": "arn:aws:iam::111111111111:role/admin"}))
    assert decide(role(policy(allow("kms:Decrypt"))), "kms:Decrypt", key, admin_only, required=True).decision \
        is Decision.DENIED
    delegating = resource_policy(allow("kms:*", Principal={"AWS": "arn:aws:iam::111111111111:root"}))
    assert decide(role(policy(allow("kms:Decrypt"))), "kms:Decrypt", key, delegating, required=True).decision \
        is Decision.ALLOWED


def test_conditional_allow_lists_its_condition_and_resolves_with_context():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
    conditioned = allow(Condition={"StringEquals": {"aws:SourceAccount": OTHER}})
    answer = decide(role(policy(conditioned)))
    assert answer.decision is Decision.CONDITIONAL
    assert answer.conditions[0].key == "aws:SourceAccount"
    assert decide(role(policy(conditioned)), context={"aws:sourceaccount": (OTHER,)}).decision is Decision.ALLOWED
    assert decide(role(policy(conditioned)), context={"aws:sourceaccount": (ACCOUNT,)}).decision is Decision.DENIED
    assert decide(role(policy(conditioned)), closed=True).decision is Decision.DENIED


def test_conditional_allow_with_unconditional_deny_is_denied():
    conditioned = allow(Condition={"StringEquals": {"aws:SourceAccount": OTHER}})
    assert decide(role(policy(conditioned, deny()))).decision is Decision.DENIED


def test_allows_whose_conditions_cover_every_case_are_allowed():
    # StringNotEquals also holds when the key is absent (condition operators page), so these
    # two allows between them hold for every request.
    a = allow(Condition={"StringEquals": {"aws:SourceAccount": OTHER}})
    b = allow(Condition={"StringNotEquals": {"aws:SourceAccount": OTHER}})
    assert decide(role(policy(a, b))).decision is Decision.ALLOWED


def test_deny_with_condition_makes_allow_conditional():
    no_tls = deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    answer = decide(role(policy(allow(), no_tls)))
    assert answer.decision is Decision.CONDITIONAL
    assert answer.conditions == (OnClause("Bool", "aws:SecureTransport", ("false",), "Deny"),)


def test_not_principal_deny_exempts_only_a_fully_listed_caller():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    # AWS may check the account, then the role, then the session: list all three to be exempt;
    # listing some of them "might" still deny, which stays open.
    from dataclasses import replace
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"
    caller = replace(role(), session_arn=session)

    def with_exceptions(*listed):
        return resource_policy(allow(Principal="*"), {"Effect": "Deny", "NotPrincipal": {"AWS": list(listed)},
                                                      "Action": "s3:*", "Resource": "*"})
    full = with_exceptions(session, ROLE, f"arn:aws:iam::{ACCOUNT}:root")
    assert decide(caller, resource_policy=full).decision is Decision.ALLOWED
    partial = decide(caller, resource_policy=with_exceptions(ROLE))
    assert partial.decision is Decision.CONDITIONAL and "NotPrincipal" in partial.conditions[0].reason
    other = role(arn=f"arn:aws:iam::{ACCOUNT}:role/other")
    assert decide(other, resource_policy=full).decision is Decision.DENIED  # same account, not listed: denied


def test_unknown_policy_content_makes_the_answer_depend_on_it():
    from permcheck.load.managed import unknown_policy
    mystery = unknown_policy("arn:aws:iam::111111111111:policy/mystery", PolicyKind.IDENTITY, "not in the inputs")
    answer = decide(role(mystery))
    assert answer.decision is Decision.CONDITIONAL
    assert any(isinstance(c, OnUnknown) and "mystery" in c.reason for c in answer.conditions)
    # an explicit deny elsewhere decides regardless of the unknown
    assert decide(role(mystery, policy(deny()))).decision is Decision.DENIED


def test_unresolved_resource_pattern_is_unknown_not_a_match_or_miss():
    from permcheck.load.policy_doc import parse_policy
    from permcheck.model.location import Location
    from permcheck.model.values import Sym, Unknown
    pattern = Sym(("arn:aws:s3:::", Unknown("parameter BucketName"), "/*"))
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": pattern}]}
    p = parse_policy(doc, name="p", kind=PolicyKind.IDENTITY, location=Location("t.yaml", 1))
    answer = decide(role(p))
    assert answer.decision is Decision.CONDITIONAL
    assert answer.conditions == (OnUnknown("parameter BucketName"),)
    # a value the known parts already rule out is a plain miss
    assert decide(role(p), resource="arn:aws:sqs:us-east-1:111111111111:q").decision is Decision.DENIED


def test_service_principal_needs_only_the_resource_policy():
    from permcheck.iam.request import Caller, CallerKind
    sns = Caller(kind=CallerKind.SERVICE, arn="sns.amazonaws.com")
    rp = resource_policy(allow("sqs:SendMessage", Principal={"Service": "sns.amazonaws.com"}))
    assert decide(sns, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:q", rp).decision is Decision.ALLOWED
    assert decide(sns, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:q").decision is Decision.DENIED


def test_policy_variable_in_resource_is_filled_from_the_request():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    from permcheck.iam.request import Caller, CallerKind
    own = allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")
    alice = Caller(kind=CallerKind.USER, arn=f"arn:aws:iam::{ACCOUNT}:user/alice", account=ACCOUNT,
                   identity=(policy(own),), name="alice")
    assert decide(alice, resource="arn:aws:s3:::home/alice/notes.txt").decision is Decision.ALLOWED
    assert decide(alice, resource="arn:aws:s3:::home/bob/notes.txt").decision is Decision.DENIED


def test_policy_variable_of_an_unknown_key_makes_the_answer_conditional():
    team = allow("s3:GetObject", "arn:aws:s3:::teams/${aws:PrincipalTag/team}/*")
    answer = decide(role(policy(team)), resource="arn:aws:s3:::teams/blue/plan.txt")
    assert answer.decision is Decision.CONDITIONAL
    assert decide(role(policy(team)), resource="arn:aws:s3:::teams/blue/plan.txt",
                  context={"aws:principaltag/team": ("blue",)}).decision is Decision.ALLOWED


def test_variables_are_literal_in_version_2008_policies():
    from permcheck.load.policy_doc import parse_policy
    from permcheck.model.location import Location
    doc = {"Version": "2008-10-17", "Statement": [allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")]}
    old = parse_policy(doc, name="p", kind=PolicyKind.IDENTITY, location=Location("t.json", 1))
    assert decide(role(old), resource="arn:aws:s3:::home/${aws:username}/x").decision is Decision.ALLOWED


def test_variable_compared_with_a_key_the_request_gives():
    # Found by the soundness property: `StringEqualsIgnoreCase aws:SourceAccount ${aws:PrincipalAccount}`
    # with aws:SourceAccount given is allowed exactly when the principal account equals it.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    from permcheck.iam.request import Caller, CallerKind
    sns = Caller(kind=CallerKind.SERVICE, arn="sns.amazonaws.com")
    rp = resource_policy(allow("sqs:SendMessage", Principal={"Service": "sns.amazonaws.com"},
                               Condition={"StringEqualsIgnoreCase": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}))
    queue = "arn:aws:sqs:us-east-1:222222222222:q"
    given = {"aws:sourceaccount": (OTHER,)}
    assert decide(sns, "sqs:SendMessage", queue, rp, context=given).decision is Decision.CONDITIONAL
    both = {**given, "aws:principalaccount": (OTHER,)}
    assert decide(sns, "sqs:SendMessage", queue, rp, context=both).decision is Decision.ALLOWED
