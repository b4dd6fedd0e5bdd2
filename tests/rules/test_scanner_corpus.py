"""The built-in rules on the scanners' own test templates: cfn-nag, cfripper and checkov.

Each row is one corpus template (tests/data/corpus/<scanner>/, expectations restated in that
folder's EXPECTED.md), the scanner's rule or check and what its tests expect, the permcheck
rule that corresponds, and what `permcheck check --format json` must report on that
template: the rule fires on the resource (its logical id), or it does not. Rows were chosen
by reading EXPECTED.md file by file, every rule with a permcheck counterpart, passing
templates as well as failing ones.

Each row has a verdict:
- `AGREE`: permcheck reports what the scanner's tests expect.
- `DISAGREE`: permcheck deliberately answers otherwise; `why` says why (typically a scanner's
  false positive on a grant that a condition, a Deny or the resource it names already limits).
- `BEYOND`: the scanner's tests say nothing here (not applicable, not counted, or another
  rule); permcheck's own answer is pinned.
- `BUG`: permcheck is wrong. The row states the right answer and is `xfail(strict=True)`
  with the bug, so fixing it turns the row into a failure that asks to mark it `AGREE`.

`about` narrows a row to findings whose message contains it (`anyone`: the grant to `*`
of cross-account-resource-policy, which also reports grants to other accounts).
Every run uses an empty configuration file, so no `.permcheck.toml` or `pyproject.toml`
around the tests changes the answers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from tests.cli_helpers import Result, bug_signs, run

AGREE, DISAGREE, BEYOND, BUG = "agree", "disagree", "beyond", "bug"

CFN_NAG = "cfn-nag/spec/test_templates"
CFRIPPER = "cfripper/tests/test_templates"
CHECKOV = "checkov/tests/cloudformation"

FOLDERS = {"cfn-nag": CFN_NAG, "cfripper": CFRIPPER, "checkov": CHECKOV}
CONFIGS = {"empty": "", "trust-999999999999": 'trusted_accounts = ["999999999999"]\n'}


@dataclass(frozen=True)
class Case:
    """One row: `fires` is True, False, or "error" (a clean refusal, exit 2)."""

    scanner: str  # "cfn-nag", "cfripper", "checkov"
    file: str  # relative to the scanner's folder of test templates
    expects: str  # the scanner's rule/check id and what its tests expect
    rule: str | None  # the permcheck rule; None: any rule
    resource: str | None  # the logical id the finding names; None: any resource
    fires: bool | str
    verdict: str
    why: str = ""
    about: str = ""
    args: tuple[str, ...] = ()
    config: str = "empty"

    @property
    def path(self) -> str:
        return f"{FOLDERS[self.scanner]}/{self.file}"

    @property
    def id(self) -> str:
        outcome = "error" if self.fires == "error" else "fires" if self.fires else "silent"
        extra = "".join(f"[{a.split('=', 1)[-1]}]" for a in self.args if "=" in a)
        extra += f"[{self.config}]" if self.config != "empty" else ""
        return (f"{self.scanner}:{self.verdict}:{self.file}{extra}:{self.resource or '-'}:"
                f"{self.rule or 'any-rule'}:{outcome}")


def _rows(scanner: str, verdict: str):
    def make(file: str, expects: str, rule: str | None, resource: str | None, fires: bool | str = True,
             *, why: str = "", about: str = "", args: tuple[str, ...] = (), config: str = "empty") -> Case:
        assert verdict == AGREE or why, "a row that is not an agreement says why"
        return Case(scanner, file, expects, rule, resource, fires, verdict, why, about, args, config)
    return make


# -- why permcheck deliberately answers otherwise ---------------------------------------------
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
NOTRESOURCE_STAR = ("`NotResource: \"*\"` leaves no resource: the statement allows nothing (what-can-access "
                    "lists nothing for the role; the rules reported it as `on *` until this table found it)")
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html (trust policy)
TRUST_ACTIONS = ("in a trust policy the actions can only be sts: actions on this one role, for the principal "
                 "named (a service here): who may assume the role is judged by trust-any-principal and "
                 "cross-account-trust, not by the wildcard rules")
SERVICE_WILDCARD = ("`svc:*` is one service's wildcard: service-wildcard-action (medium) reports it; "
                    "wildcard-action is for `*` and NotAction")
ROOT_DELEGATES = ("the statement grants only an account root, which delegates to that account's IAM "
                  "policies: not a wildcard finding; the grant to another account is a "
                  "cross-account-resource-policy finding instead")
# https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html
SOURCE_RESTRICTS = ("`Principal: *` with aws:SourceAccount and aws:SourceArn: only the SNS topic of account "
                    "806199016981 can use the grant, so the function is not public")
# https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
URL_NEEDS_POLICY = ("AuthType NONE opens nothing by itself: Lambda also needs a resource policy that allows "
                    "lambda:InvokeFunctionUrl to `*`; the function is not in the inputs, so it has AWS's "
                    "default (no resource policy)")
OTHER_TOPIC = ("the statement's Resource is another topic (arn:aws:sns:eu-west-1:111111111111:fredfred), not the "
               "topic the policy is attached to: it grants nothing on it")
MADE_UP_TYPE = ("not an AWS resource type (AWS::Non::Existent, NotMapped…): CloudFormation cannot create it, "
                "and permcheck reads no policy from it")
NOT_AN_ACCOUNT = ("a 9-digit account id is no AWS account: the principal cannot be another account (IAM "
                  "rejects it; see the invalid-policy row)")
TRUSTED = ("permcheck's `trusted_accounts` puts the account inside the zone of trust; cfripper's "
           "`aws_principals` only names extra accounts and still fails it")
UNDEFINED_REF = "the template refers to a resource it does not define: CloudFormation rejects it (exit 2, file:line)"
SAME_TARGET = ("permcheck reports a grant once per resource and principal, under the first policy that makes it; "
               "the scanner reports each policy resource")
IDENTITY_PRINCIPAL = ("an identity policy with `Principal`: IAM rejects the document (MalformedPolicyDocument), "
                      "so permcheck reports invalid-policy; cfripper does not validate documents")

# -- permcheck bugs these rows found, now fixed (the rows agree) ----------------------------------
BUG_RESOURCE_STAR = (
    "fixed, was a permcheck bug in permcheck/rules/collect.py Facts._decide: a bucket/queue/topic/key/secret policy's grant is "
    "decided on the statement's Resource as written; `Resource: \"*\"` (the form key policies must use) is asked "
    "as the literal resource \"*\", which holds no policy, so a grant to `*` (or an Allow with NotPrincipal) is "
    "denied and silently dropped: the public grant is never reported")
BUG_UNATTACHED = (
    "fixed, was a permcheck bug in permcheck/load/cloudformation.py _attach/_managed_policies with "
    "permcheck/rules/collect.py Facts.placed: an AWS::IAM::Policy or AWS::IAM::ManagedPolicy attached to no "
    "principal of the template (none at all, or an existing role/user named by its name) is in no collection "
    "the rules see: none of its statements is checked, not even for invalid-policy")
BUG_BAD_PRINCIPAL = (
    "fixed, was a permcheck bug in permcheck/rules/collect.py Facts._decide (graph/edges.py caller_for_principal returns None): "
    "a principal whose account id is not 12 digits is dropped silently; IAM rejects such a policy "
    "(\"Invalid principal in policy\"), so it should be an invalid-policy finding")
BUG_POLICY_HOLDER = (
    "fixed, was a permcheck bug in permcheck/rules/collect.py Facts._policies: invalid-policy on a bucket policy names the "
    "bucket (S3Bucket2) instead of the AWS::S3::BucketPolicy holding the document (S3BucketPolicy2), unlike "
    "every other finding on a resource policy (a Metadata ignore on the policy resource misses it)")


# -- cfn-nag -----------------------------------------------------------------------------------
agree, disagree, beyond, bug = (_rows("cfn-nag", v) for v in (AGREE, DISAGREE, BEYOND, BUG))
ROLE, POLICY, MANAGED, PASSROLE = "json/iam_role", "json/iam_policy", "json/iam_managed_policy", \
    "yaml/iam_passrole_resource_wildcard"
LAMBDA_STAR = "json/lambda_permission/lambda_with_wildcard_principal_and_non_invoke_function_permission.json"
S3_WILD = "json/s3_bucket_policy/s3_bucket_with_wildcards.json"
SQS_WILD = "json/sqs_queue_policy/sqs_queue_with_wildcards.json"
SNS_STAR = "json/sns_topic_policy/sns_topic_with_wildcard_principal.json"
CFN_NAG_CASES = [
    # IAM roles
    disagree(f"{ROLE}/iam_role_with_wildcard_action.json", "F3 `*` action in a role policy: WildcardActionRole",
             "wildcard-action", "WildcardActionRole", False, why=NOTRESOURCE_STAR),
    disagree(f"{ROLE}/iam_role_with_wildcard_action_on_trust.json",
             "F2 `*` action in a trust policy: WildcardActionRole",
             "wildcard-action", "WildcardActionRole", False, why=TRUST_ACTIONS),
    agree(f"{ROLE}/iam_role_not_action.json", "W15 Allow+NotAction in a role policy: NotActionRole",
          "wildcard-action", "NotActionRole"),
    disagree(f"{ROLE}/iam_role_not_action_on_trust.json", "W14 Allow+NotAction in a trust policy: NotActionTrustRole",
             "wildcard-action", "NotActionTrustRole", False, why=TRUST_ACTIONS),
    agree(f"{ROLE}/iam_role_not_principal_on_trust.json",
          "F6 Allow+NotPrincipal in a trust policy: NotPrincipalTrustRole",
          "invalid-policy", "NotPrincipalTrustRole",
          why="flagged as malformed: the statement's `dAction` (an upstream typo) leaves it without Action"),
    disagree(f"{ROLE}/iam_role_not_principal_on_trust.json", "F6: NotPrincipalTrustRole",
             "trust-any-principal", "NotPrincipalTrustRole", False,
             why="the trust policy is malformed (invalid-policy): CloudFormation cannot create the role, and "
                 "permcheck does not evaluate the grants of a document IAM rejects"),
    disagree(f"{ROLE}/iam_role_not_resource.json", "W21 Allow+NotResource: RootRole",
             "not-resource-allow", "RootRole", False, why=NOTRESOURCE_STAR),
    disagree(f"{ROLE}/iam_role_not_resource.json", "W21 Allow+NotResource: RootRole2 (NotResource: [*])",
             "not-resource-allow", "RootRole2", False, why=NOTRESOURCE_STAR),
    agree(f"{ROLE}/iam_role_with_administratoraccess_policy.json", "W43 AdministratorAccess attached",
          "admin-managed-policy", "RoleWithAdministratorAccessPolicy"),
    agree(f"{ROLE}/iam_role_with_poweruseraccess_policy.json", "W44 PowerUserAccess attached",
          "admin-managed-policy", "RoleWithPowerUserAccessPolicy"),
    agree(f"{ROLE}/iam_role_with_iamfullaccess_policy.json", "W44 IAMFullAccess attached",
          "admin-managed-policy", "RoleWithIAMFullAccessPolicy"),
    agree(f"{ROLE}/iam_role_without_administratoraccess_policy.json", "W43/W44: nothing flagged",
          "admin-managed-policy", None, False),
    agree(f"{PASSROLE}/iam_role_passrole_resource_wildcard_fail.yml", "F38 PassRole on `*`: RoleFail1",
          "passrole-wildcard", "RoleFail1"),
    agree(f"{PASSROLE}/iam_role_passrole_resource_wildcard_fail.yml", "F38 PassRole on `*`: RoleFail2 (iam:PassR*)",
          "passrole-wildcard", "RoleFail2"),
    agree(f"{PASSROLE}/iam_role_passrole_resource_wildcard_pass.yml",
          "F38: nothing flagged (Deny; PassRole on s3 ARNs)",
          "passrole-wildcard", None, False),
    agree("yaml/iam_role/embedded_ref.yml", "W11 `*` resource via the Resource parameter (= *): HelperRole",
          "wildcard-resource-write", "HelperRole", args=("--parameter", "Resource=*")),
    beyond("yaml/iam_role/embedded_ref.yml", "(cfn_nag does not validate documents)", "invalid-policy", "HelperRole",
           why="the trust statement carries `Path: /` (an indentation slip), an element IAM rejects",
           args=("--parameter", "Resource=*")),
    # IAM policies
    agree(f"{POLICY}/iam_policy_with_wildcard_action.json", "F4 wildcard action (rds:*): WildcardActionPolicy",
          "service-wildcard-action", "WildcardActionPolicy"),
    disagree(f"{POLICY}/iam_policy_with_wildcard_action.json", "F4: WildcardActionPolicy",
             "wildcard-action", "WildcardActionPolicy", False, why=SERVICE_WILDCARD),
    agree(f"{POLICY}/iam_policy_with_wildcard_resource.json", "W12 `*` resource: WildcardResourcePolicy",
          "wildcard-resource-write", "WildcardResourcePolicy"),
    agree(f"{POLICY}/iam_policy_with_not_action.json", "W16 Allow+NotAction: NotActionPolicy",
          "wildcard-action", "NotActionPolicy"),
    agree(f"{POLICY}/iam_policy_with_not_resource.json", "W22 Allow+NotResource: NotResourcePolicy",
          "not-resource-allow", "NotResourcePolicy"),
    agree(f"{PASSROLE}/iam_inline_policy_passrole_resource_wildcard_fail.yml", "F39 PassRole on `*`: InlinePolicyFail",
          "passrole-wildcard", "InlinePolicyFail"),
    agree(f"{PASSROLE}/iam_inline_policy_passrole_resource_wildcard_pass.yml", "F39: nothing flagged",
          "passrole-wildcard", None, False),
    agree(f"{MANAGED}/iam_managed_policy_with_wildcard_action.json", "F5 wildcard action (rds:*): CreateTestDBPolicy3",
          "service-wildcard-action", "CreateTestDBPolicy3"),
    agree(f"{MANAGED}/iam_managed_policy_with_wildcard_resource.json", "W13 `*` resource: CreateTestDBPolicy4",
          "wildcard-resource-write", "CreateTestDBPolicy4"),
    agree(f"{MANAGED}/iam_managed_policy_with_not_action.json", "W17 Allow+NotAction: CreateTestDBPolicy",
          "wildcard-action", "CreateTestDBPolicy"),
    agree(f"{MANAGED}/iam_managed_policy_with_not_resource.json",
        "W23 Allow+NotResource: CreateTestDBPolicy2 (unattached)",
        "not-resource-allow", "CreateTestDBPolicy2", why=BUG_UNATTACHED),
    *(agree(f"{PASSROLE}/iam_managed_policy_passrole_resource_wildcard_fail.yml",
          f"F40 PassRole on `*`: ManagedPolicyFail{n} (unattached)", "passrole-wildcard", f"ManagedPolicyFail{n}",
          why=BUG_UNATTACHED) for n in range(1, 6)),
    agree(f"{PASSROLE}/iam_managed_policy_passrole_resource_wildcard_pass.yml", "F40: nothing flagged",
          "passrole-wildcard", None, False),
    beyond("json/iam_user/iam_user_with_inline_policy.json", "F10 inline policy on a user (no counterpart)",
           "invalid-policy", "userWithInline",
           why="the document has Effect/Action/Resource at its top and no Statement: IAM rejects it"),
    # Lambda
    disagree(LAMBDA_STAR, "F13 Lambda permission with Principal `*`: lambdaPermission", "public-invoke",
             "lambdaPermission", False, why=SOURCE_RESTRICTS),
    agree(LAMBDA_STAR, "F13: lambdaPermission2 (account 555555555555) not flagged", "public-invoke",
          "lambdaPermission2", False),
    agree(LAMBDA_STAR, "full scan: F3 on LambdaExecutionRole", "wildcard-action", "LambdaExecutionRole"),
    agree(LAMBDA_STAR, "full scan: F38 on LambdaExecutionRole", "passrole-wildcard", "LambdaExecutionRole"),
    agree(LAMBDA_STAR, "full scan: W11 on LambdaExecutionRole", "wildcard-resource-write", "LambdaExecutionRole"),
    beyond(LAMBDA_STAR, "(cfn_nag has no cross-account rule)", "cross-account-invoke", "lambdaPermission",
           why="the `*` grant lets a service acting for account 806199016981 in (its SNS topic), another "
               "account: judged by who gets in, not by the principal written"),
    beyond(LAMBDA_STAR, "(cfn_nag has no cross-account rule)", "cross-account-invoke", "lambdaPermission2", False,
           why="account 555555555555's principals never send aws:SourceAccount or aws:SourceArn (only a service "
               "acting for a resource does), so the grant lets nobody of that account in"),
    # FunctionWithExternalRole has neither CodeUri nor InlineCode: the SAM CLI packages the template's
    # folder (load/sam_function.py), so the template is read as deployed, and permcheck agrees with cfn-nag.
    agree("yaml/sam/serverless_rest_api_with_basepathmapping.yml", "full scan: F38 on the SAM-generated role",
          "passrole-wildcard", "FunctionWithInlineAdminPolicy"),
    agree("yaml/sam/serverless_rest_api_with_basepathmapping.yml", "full scan: F3 on the SAM-generated role",
          "wildcard-action", "FunctionWithInlineAdminPolicy"),
    agree("yaml/sam/metadata.yml", "full scan: 0 failures", None, None, False),
    agree("yaml/sam/globals.yml", "full scan: 0 failures", None, None, False),
    # S3 / SNS / SQS / KMS policies
    disagree(S3_WILD, "F15 `*` action: S3BucketPolicy (to account 156460612806)", "wildcard-action", "S3BucketPolicy",
             False, why=ROOT_DELEGATES),
    agree(S3_WILD, "F16 `*` principal: S3BucketPolicy not flagged", "cross-account-resource-policy", "S3BucketPolicy",
          False, about="anyone"),
    agree(S3_WILD, "F15 `*` action (s3:*): S3BucketPolicy2", "service-wildcard-action", "S3BucketPolicy2"),
    agree(S3_WILD, "F16 `*` principal: S3BucketPolicy2", "cross-account-resource-policy", "S3BucketPolicy2",
          about="anyone"),
    disagree("json/s3_bucket_policy/s3_bucket_policy_with_not_action.json",
             "W20 Allow+NotAction: S3BucketPolicyWithNotAction (to account 156460612806)", "wildcard-action",
             "S3BucketPolicyWithNotAction", False, why=ROOT_DELEGATES),
    beyond("json/s3_bucket_policy/s3_bucket_policy_with_not_action.json", "(W20 only)",
           "cross-account-resource-policy", "S3BucketPolicyWithNotAction",
           why="everything but s3:Put* goes to account 156460612806"),
    agree("json/s3_bucket_policy/s3_bucket_policy_with_not_principal.json", "F9 Allow+NotPrincipal: S3BucketPolicy",
          "cross-account-resource-policy", "S3BucketPolicy", about="anyone"),
    beyond("json/s3_bucket_policy/s3_bucket_policy_with_not_principal.json", "(F9 only)", "wildcard-action",
           "S3BucketPolicy",
           why="`*` to everyone but one account root: the root exemption does not hold for NotPrincipal (a rule "
               "bug found by this table, fixed in rules/wildcard-action.rule)"),
    agree(SNS_STAR, "F18 `*` principal: mysnspolicy0", "cross-account-resource-policy", "mysnspolicy0", about="anyone",
        why=BUG_RESOURCE_STAR),
    disagree(SNS_STAR, "F18 `*` principal: mysnspolicy1", "cross-account-resource-policy", "mysnspolicy1", False,
             about="anyone", why="mysnspolicy1 is a second policy on MySNSTopic: " + SAME_TARGET),
    disagree(SNS_STAR, "F18 `*` principal: mysnspolicy2", "cross-account-resource-policy", "mysnspolicy2", False,
             why=OTHER_TOPIC),
    disagree(SNS_STAR, "F18 `*` principal: mysnspolicy3", "cross-account-resource-policy", "mysnspolicy3", False,
             why=OTHER_TOPIC),
    agree("json/sns_topic_policy/sns_topic_with_not_action.json", "W19 Allow+NotAction: mysnspolicyA",
          "wildcard-action", "mysnspolicyA"),
    agree("json/sns_topic_policy/sns_topic_with_not_action.json", "W19 Allow+NotAction: mysnspolicyB",
          "wildcard-action", "mysnspolicyB"),
    agree("json/sns_topic_policy/sns_topic_with_not_principal.json", "F8 Allow+NotPrincipal: mysnspolicyA",
        "cross-account-resource-policy", "mysnspolicyA", about="anyone", why=BUG_RESOURCE_STAR),
    agree(SQS_WILD, "F20 `*` action (sqs:*): mysqspolicy1", "service-wildcard-action", "mysqspolicy1"),
    agree(SQS_WILD, "F20 `*` action (sqs:*): mysqspolicy1b", "service-wildcard-action", "mysqspolicy1b"),
    agree(SQS_WILD, "F20 `*` action: mysqspolicy1c", "wildcard-action", "mysqspolicy1c"),
    agree(SQS_WILD, "F20 `*` action: mysqspolicy1d", "wildcard-action", "mysqspolicy1d"),
    *(agree(SQS_WILD, f"F21 `*` principal: {name}", "cross-account-resource-policy", name, about="anyone",
          why=BUG_RESOURCE_STAR) for name in ("mysqspolicy2", "mysqspolicy2b")),
    disagree(SQS_WILD, "F21 `*` principal: mysqspolicy2c", "cross-account-resource-policy", "mysqspolicy2c", False,
             about="anyone", why="queue2c's QueueName is queue2b, as queue2b's: the same queue, so " + SAME_TARGET),
    agree("json/sqs_queue_policy/sqs_policy_with_not_action.json", "W18 Allow+NotAction: QueuePolicyWithNotAction",
          "wildcard-action", "QueuePolicyWithNotAction"),
    agree("json/sqs_queue_policy/sqs_policy_with_not_action.json", "W18 Allow+NotAction: QueuePolicyWithNotAction2",
          "wildcard-action", "QueuePolicyWithNotAction2"),
    agree("json/sqs_queue_policy/sqs_policy_with_not_principal.json",
        "F7 Allow+NotPrincipal: QueuePolicyWithNotPrincipal",
        "cross-account-resource-policy", "QueuePolicyWithNotPrincipal", about="anyone", why=BUG_RESOURCE_STAR),
    *(agree(f"{form}/kms/kms_key_with_{kind}.{form}".replace(".yaml", ".yml"),
          f"F76 `*` principal in a key policy: {key}",
          "cross-account-resource-policy", key, about="anyone", why=BUG_RESOURCE_STAR)
      for form in ("json", "yaml")
      for kind, key in (("wildcard_principal", "myKeyWildcardPrincipal"),
                        ("aws_wildcard_principal", "myKeyAwsWildcardPrincipal"),
                        ("aws_array_wildcard_principal", "myKeyAwsArrayWildcardPrincipal"))),
    agree("json/kms/kms_key_without_wildcard_principal.json", "F76: nothing flagged", "cross-account-resource-policy",
          None, False, about="anyone"),
    agree("yaml/kms/kms_key_without_wildcard_principal.yml", "F76: nothing flagged", "cross-account-resource-policy",
          None, False, about="anyone"),
]

# -- cfripper ----------------------------------------------------------------------------------
agree, disagree, beyond, bug = (_rows("cfripper", v) for v in (AGREE, DISAGREE, BEYOND, BUG))
XACCT, KMS_BASIC = "rules/CrossAccountTrustRule", "rules/CrossAccountTrustRule/kms_basic.yml"
WILDPOL, OVERPRIV = "rules/WildcardPoliciesRule", "rules/IAMRolesOverprivilegedRule"


def _principal(value: str) -> tuple[str, ...]:
    """kms_basic.yml takes its principal as a parameter; cfripper's 9-digit test accounts are
    written here as 12-digit ones (123456789 → 123456789012, the deploying account; 999999999
    → 999999999999)."""
    return ("--parameter", f"Principal={value}")


CFRIPPER_CASES = [
    # CrossAccountTrustRule and friends: cfripper's templates name 9-digit "accounts"
    agree(f"{XACCT}/iam_root_role_cross_account.json", "CrossAccountTrustRule FAIL RootRole (999999999 role)",
        "invalid-policy", "RootRole", why=BUG_BAD_PRINCIPAL),
    disagree(f"{XACCT}/iam_root_role_cross_account.json", "CrossAccountTrustRule FAIL RootRole",
             "cross-account-trust", "RootRole", False, why=NOT_AN_ACCOUNT),
    agree(f"{XACCT}/iam_root_role_cross_account_two_roles.json", "CrossAccountTrustRule FAIL RootRoleOne",
        "invalid-policy", "RootRoleOne", why=BUG_BAD_PRINCIPAL),
    agree(f"{XACCT}/iam_root_role_cross_account_two_roles.json", "CrossAccountTrustRule FAIL RootRoleTwo",
        "invalid-policy", "RootRoleTwo", why=BUG_BAD_PRINCIPAL),
    agree(f"{XACCT}/valid_with_service.json", "CrossAccountTrustRule PASS (lambda.amazonaws.com)",
          "cross-account-trust", None, False),
    agree(f"{XACCT}/valid_with_canonical_id.json", "S3 policy to a CanonicalUser: PASS",
          "cross-account-resource-policy", None, False),
    agree(f"{XACCT}/iam_role_to_jump_to_another_account.yaml",
          "PASS: permission to assume a role elsewhere is no cross-account trust", "cross-account-trust", None, False),
    agree(KMS_BASIC, "FAIL KMSKey: another account's root", "cross-account-resource-policy", "KMSKey",
          args=_principal("arn:aws:iam::999999999999:root")),
    *(agree(KMS_BASIC, f"FAIL KMSKey: {p}", "invalid-policy", "KMSKey", args=_principal(p),
            why="a wildcard inside a principal ARN: IAM rejects the key policy")
      for p in ("arn:aws:iam::*:root", "arn:aws:iam::*:*", "arn:aws:iam::*:root*", "arn:aws:iam::*:not-root*")),
    agree(KMS_BASIC, "FAIL KMSKey: `*`", "cross-account-resource-policy", "KMSKey", about="anyone",
        args=_principal("*"), why=BUG_RESOURCE_STAR),
    *(agree(KMS_BASIC, f"PASS: {p} (the deploying account)", "cross-account-resource-policy", "KMSKey", False,
            args=_principal(p))
      for p in ("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:not-root",
                "arn:aws:iam::123456789012:not-root*")),
    disagree(KMS_BASIC, "FAIL KMSKey even with aws_principals = [999999999]", "cross-account-resource-policy",
             "KMSKey", False, why=TRUSTED, args=_principal("arn:aws:iam::999999999999:root"),
             config="trust-999999999999"),
    *(disagree(f"{XACCT}/{name}", "FAIL TestDomain: another account's root", "cross-account-resource-policy", None,
               False, args=_principal("arn:aws:iam::999999999999:root"),
               why="OpenSearch/Elasticsearch domain policies are outside permcheck's model (the contract's "
                   "resource policies: S3, SQS, SNS, KMS, Secrets Manager)")
      for name in ("es_domain_basic.yml", "opensearch_domain_basic.yml")),
    agree(f"{XACCT}/valid_with_sts.yml", "PASS: same-account role and session", "cross-account-resource-policy",
          "KmsMasterKey", False),
    agree(f"{XACCT}/invalid_with_sts.yml", "FAIL KmsMasterKey (session of 999999999)", "invalid-policy", "KmsMasterKey",
        why=BUG_BAD_PRINCIPAL),
    agree(f"{XACCT}/kms_key_without_policy.yml", "PASS: no key policy", None, None, False),
    disagree(f"{XACCT}/generic_resource_with_cross_account_policy.json", "GenericCrossAccountTrustRule FAIL "
             "NonexistentResource", "cross-account-resource-policy", None, False, why=MADE_UP_TYPE),
    disagree(f"{XACCT}/invalid_generic_resources.json", "FAIL NonexistentResource, NonexistentResourceSecond",
             "cross-account-resource-policy", None, False, why=MADE_UP_TYPE),
    disagree(f"{XACCT}/generic_resources_with_mixed_cross_account_policy_and_no_policy.json",
             "FAIL NonexistentResourceTwo (upstream's YAML loader tolerates trailing commas)", None, None, "error",
             why="not JSON (a trailing comma): refused with file and line"),
    agree("rules/S3CrossAccountTrustRule/s3_bucket_cross_account.json", "FAIL S3BucketPolicyAccountAccess (987654321)",
        "invalid-policy", "S3BucketPolicyAccountAccess", why=BUG_BAD_PRINCIPAL),
    disagree("rules/S3CrossAccountTrustRule/s3_bucket_cross_account_and_normal.json",
             "FAIL S3BucketPolicyAccountAccess (666555444333:root)", "cross-account-resource-policy",
             "S3BucketPolicyAccountAccess", False,
             why="the Allow to 666555444333 is cancelled by the Deny that follows it (same principals, actions "
                 "and resources): a grant that a Deny cancels is not a grant"),
    agree("rules/S3CrossAccountTrustRule/s3_bucket_cross_account_from_aws_service.json",
          "PASS: 156460612806 is an AWS-owned (ELB) account", "cross-account-resource-policy",
          "S3BucketPolicyAccountAccess", False,
          why="for another reason: the statement names bucket `S3Bucket`, not the bucket `test` it is attached "
              "to, so it grants nothing there"),
    # wildcard principals: cfripper's templates put them in identity policies
    agree("rules/FullWildcardPrincipalRule/bad_template.json", "FullWildcardPrincipalRule FAIL PolicyA (`*`)",
        "invalid-policy", "PolicyA", why=BUG_UNATTACHED),
    agree("rules/FullWildcardPrincipalRule/good_template.json", "PASS (no Principal)", "invalid-policy", None, False),
    agree("rules/GenericWildcardPrincipalRule/bad_template.json", "GenericWildcardPrincipalRule FAIL PolicyA",
        "invalid-policy", "PolicyA", why=BUG_UNATTACHED),
    agree("rules/GenericWildcardPrincipalRule/good_template.json", "PASS (no Principal)", "invalid-policy", None, False),
    agree("rules/PartialWildcardPrincipalRule/bad_template.json", "PartialWildcardPrincipalRule FAIL PolicyA",
        "invalid-policy", "PolicyA", why=BUG_UNATTACHED),
    agree("rules/PartialWildcardPrincipalRule/good_template.json",
        "PartialWildcardPrincipalRule PASS (which permcheck must not: " + IDENTITY_PRINCIPAL + ")",
        "invalid-policy", "PolicyA", why=BUG_UNATTACHED),
    disagree("rules/PartialWildcardPrincipalRule/intra_account_root_access.yml",
             "FAIL AccLoadBalancerAccessLogBucketPolicy", None, None, "error", why=UNDEFINED_REF),
    agree("rules/KMSKeyWildcardPrincipalRule/kms_key_with_wildcard_resource.json",
        "KMSKeyWildcardPrincipalRule FAIL myKey",
        "cross-account-resource-policy", "myKey", about="anyone", why=BUG_RESOURCE_STAR),
    agree("rules/KMSKeyWildcardPrincipalRule/kms_key_with_wildcard_resource.json",
          "WildcardResourceRule PASS (`Resource: *` in a key policy means this key)", "wildcard-resource-write", None,
          False),
    agree("rules/KMSKeyWildcardPrincipalRule/kms_key_without_policy.yml", "PASS: no key policy", None, None, False),
    agree("rules/S3BucketPolicyPrincipalRule/bad_template.json", "FAIL S3BucketPolicy (principals 1234556, 1234557)",
        "invalid-policy", "S3BucketPolicy", why=BUG_BAD_PRINCIPAL),
    # wildcard actions and resources
    disagree("rules/IAMRoleWildcardActionOnPolicyRule/iam_role_with_wildcard_action.json",
             "FAIL WildcardActionRole (sts:* with NotResource *)", "service-wildcard-action", "WildcardActionRole",
             False, why=NOTRESOURCE_STAR),
    disagree("rules/IAMRoleWildcardActionOnPolicyRule/iam_role_with_wildcard_action_on_trust.json",
             "FAIL WildcardActionRole (`*` in the trust policy)", "wildcard-action", "WildcardActionRole", False,
             why=TRUST_ACTIONS),
    agree("rules/IAMRoleWildcardActionOnPolicyRule/iam_managed_policy_with_wildcard_action.json",
        "FAIL CreateTestDBPolicy3 (rds:*, unattached)", "service-wildcard-action", "CreateTestDBPolicy3",
        why=BUG_UNATTACHED),
    agree("rules/IAMRoleWildcardActionOnPolicyRule/iam_role_valid.json", "PASS (Allow + Deny, no Allow `*`)",
          "wildcard-action", "WildcardActionRole", False),
    disagree("rules/IAMRoleWildcardActionOnPolicyRule/iam_role_valid.json", "PASS", "invalid-policy",
             "WildcardActionRole", True, why=IDENTITY_PRINCIPAL),
    disagree(f"{WILDPOL}/s3_bucket_with_wildcards.json", "FAIL S3BucketPolicy (`*` to 156460612806)",
             "wildcard-action", "S3BucketPolicy", False, why=ROOT_DELEGATES),
    agree(f"{WILDPOL}/s3_bucket_with_wildcards.json", "FAIL S3BucketPolicy2 (s3:* to `*`)",
          "service-wildcard-action", "S3BucketPolicy2"),
    agree(f"{WILDPOL}/sqs_queue_with_wildcards.json", "FAIL mysqspolicy1 (sqs:*)", "service-wildcard-action",
          "mysqspolicy1"),
    agree(f"{WILDPOL}/sqs_queue_with_wildcards.json", "FAIL mysqspolicy1b (sqs:*)", "service-wildcard-action",
          "mysqspolicy1b"),
    agree(f"{WILDPOL}/sqs_queue_with_wildcards.json", "FAIL mysqspolicy1c (`*`)", "wildcard-action", "mysqspolicy1c"),
    agree(f"{WILDPOL}/sqs_queue_with_wildcards.json", "FAIL mysqspolicy1d (`*`)", "wildcard-action", "mysqspolicy1d"),
    agree(f"{WILDPOL}/sns_topic_with_wildcards.json", "FAIL mysnspolicy1 (sns:*)", "service-wildcard-action",
          "mysnspolicy1"),
    disagree(f"{WILDPOL}/generic_with_wildcards.json", "GenericResourceWildcardPolicyRule FAIL NotMapped4, 5, 7",
             None, None, False, why=MADE_UP_TYPE),
    disagree("rules/WildcardResourceRule/iam_user_with_wildcard_resource.json",
             "WildcardResourceRule FAIL userWithInline (s3:DeleteBucket on `*`)", "wildcard-resource-write",
             "userWithInline", False,
             why="the document's Version is 2018-12-13: IAM rejects it, so permcheck reports invalid-policy (next "
                 "row) and reads none of its grants"),
    beyond("rules/WildcardResourceRule/iam_user_with_wildcard_resource.json", "(cfripper does not validate)",
           "invalid-policy", "userWithInline", why="Version 2018-12-13 is not a policy language version"),
    disagree("rules/WildcardResourceRule/iam_policy_with_wildcard_resource_and_wildcard_action.json",
             "FAIL RolePolicy (`*` on `*`)", None, None, "error", why=UNDEFINED_REF + " (Roles: !Ref RootRole)"),
    disagree("rules/WildcardResourceRule/policy_with_string_policy_document.json",
             "FAIL GuardDutyResourcePolicy (logs:CreateLogStream on `*`)", "wildcard-resource-write", None, False,
             why="an AWS::Logs::ResourcePolicy: CloudWatch Logs resource policies are outside permcheck's model"),
    agree("rules/WildcardResourceRule/policy_with_invalid_string_policy_document.json",
          "valid=True (the unparsable document is skipped with a warning)", "invalid-policy", None, False,
          why="AWS::Something::Broken is no AWS resource type: there is no policy for permcheck to read"),
    # other IAM and resource-policy rules
    *(agree(f"{OVERPRIV}/{name}", f"IAMRolesOverprivilegedRule FAIL RootRole: {action} on `*`",
            "wildcard-resource-write", "RootRole")
      for name, action in (("invalid_role_inline_policy.json", "ec2:DeleteInternetGateway"),
                           ("invalid_role_inline_policy_fn_if.json", "ec2:DeleteVpc (policy inside Fn::If)"),
                           ("invalid_role_inline_policy_resource_as_array.json", "ec2:DeleteInternetGateway"))),
    *(agree(f"{OVERPRIV}/invalid_role_managed_policy.json",
            "IAMRolesOverprivilegedRule FAIL RootRole: AdministratorAccess", rule, "RootRole")
      for rule in ("admin-managed-policy", "privilege-escalation")),
    agree(f"{OVERPRIV}/valid_role_inline_policy.json", "IAMRolesOverprivilegedRule PASS", "wildcard-resource-write",
          "RootRole", False),
    agree(f"{OVERPRIV}/valid_role_managed_policy.json", "IAMRolesOverprivilegedRule PASS", "admin-managed-policy",
          "RootRole", False),
    beyond(f"{OVERPRIV}/valid_role_inline_policy.json", "(only IAMRolesOverprivilegedRule runs on it upstream)",
           "trust-any-principal", "RootRole",
           why="its trust policy lets `Principal: *` call sts:AssumeRole with no condition (cfripper's "
               "FullWildcardPrincipalRule would fail it too)"),
    disagree("rules/PrivilegeEscalationRule/valid_role_inline_policy.json",
             "PrivilegeEscalationRule FAIL PolicyA (iam:AddUserToGroup, iam:CreatePolicy)", "privilege-escalation",
             None, False,
             why="the actions are granted only on a Glue catalog ARN, which no IAM group or policy matches, to "
                 "`some_role`, a role outside the inputs: no escalation path completes"),
    disagree("rules/PrivilegeEscalationRule/privilege_escalation_role.yaml",
             "PrivilegeEscalationRule FAIL PrivilegeInjectorRole (iam:UpdateAssumeRolePolicy)", "privilege-escalation",
             "PrivilegeInjectorRole", False,
             why="the only role it may rewrite is arn:aws:iam::123456789:role/infra_access, not a role of this "
                 "account (IAM's API acts on the caller's own), and the path also needs sts:AssumeRole, which the "
                 "role lacks"),
    disagree("rules/PrivilegeEscalationRule/privilege_escalation_s3_bucket_policy.yaml", "PASS", None, None, "error",
             why=UNDEFINED_REF + " (Bucket: !Ref SomeS3Bucket)"),
    agree("rules/SNSTopicDangerousPolicyActionsRule/bad_template.yaml",
          "SNSTopicDangerousPolicyActionsRule FAIL mysnspolicyA (`*` incl. sns:AddPermission …)", "wildcard-action",
          "mysnspolicyA"),
    agree("rules/SNSTopicDangerousPolicyActionsRule/bad_template.yaml", "FAIL mysnspolicyA (to a user of 111111111111)",
          "cross-account-resource-policy", "mysnspolicyA"),
    agree("rules/SNSTopicPolicyNotPrincipalRule/bad_template.json", "FAIL mysnspolicyA (Allow + NotPrincipal)",
        "cross-account-resource-policy", "mysnspolicyA", about="anyone", why=BUG_RESOURCE_STAR),
    *(agree("rules/SQSDangerousPolicyActionsRule/sqs_policy.json", f"FAIL QueuePolicyPublic{n} (sqs:* incl. "
            "sqs:AddPermission …)", "service-wildcard-action", f"QueuePolicyPublic{n}") for n in range(1, 5)),
    agree("rules/SQSQueuePolicyPublicRule/sqs_policy_public.json", "SQSQueuePolicyPublicRule FAIL QueuePolicyPublic1",
        "cross-account-resource-policy", "QueuePolicyPublic1", about="anyone", why=BUG_RESOURCE_STAR),
    *(disagree("rules/SQSQueuePolicyPublicRule/sqs_policy_public.json",
               f"SQSQueuePolicyPublicRule FAIL QueuePolicyPublic{n}", "cross-account-resource-policy",
               f"QueuePolicyPublic{n}", False, about="anyone",
               why="the four policies are all on queue1: " + SAME_TARGET)
      for n in range(2, 5)),
    agree("rules/SQSQueuePolicyNotPrincipalRule/bad_template.json", "FAIL QueuePolicyWithNotPrincipal",
        "cross-account-resource-policy", "QueuePolicyWithNotPrincipal", about="anyone", why=BUG_RESOURCE_STAR),
    agree("rules/S3BucketPublicReadAclAndListStatementRule/s3_read_plus_list.json",
          "FAIL S3BucketPolicy (s3:List* to 156460612806)", "cross-account-resource-policy", "S3BucketPolicy"),
    agree("rules/S3BucketPublicReadAclAndListStatementRule/s3_read_plus_list.json",
          "FAIL S3BucketPolicy2 (s3:ListBucket, no Principal)", "invalid-policy", None,
          why="flagged as malformed: a bucket policy statement needs a Principal"),
    agree("rules/S3BucketPublicReadAclAndListStatementRule/s3_read_plus_list.json", "FAIL S3BucketPolicy2",
        "invalid-policy", "S3BucketPolicy2", why=BUG_POLICY_HOLDER),
    agree("rules/S3BucketPublicReadAclAndListStatementRule/s3_read_plus_list.json", "PASS S3BucketPolicy3 (a Deny)",
          "cross-account-resource-policy", "S3BucketPolicy3", False),
]

# -- checkov -----------------------------------------------------------------------------------
agree, disagree, beyond, bug = (_rows("checkov", v) for v in (AGREE, DISAGREE, BEYOND, BUG))
AWS = "checks/resource/aws"
PERMISSION, PUBLIC_ASSUME = f"{AWS}/example_LambdaServicePermission", f"{AWS}/example_IAMRoleAllowsPublicAssume"
FROM_ACCOUNT = f"{AWS}/example_IAMRoleAllowAssumeFromAccount/example_IAMRoleAllowAssumeFromAccount"
KMS_STAR = f"{AWS}/example_KMSKeyWildCardPrincipal/KMSKeyWildCardPrincipal"
SAGEMAKER = "graph/checks/resources/SageMakerIAMPolicyOverlyPermissiveToAllTraffic/template.yaml"
STAR_FILES = (("iam_group", "mygroup"), ("iam_policy", "NEWPolicy"), ("iam_role", "RootRole"), ("iam_user", "CFNUser"))
SPLAINING_PASS = ("NotPermissionsScoped", "NotPermissionsWildcard", "AdminDeny", "PermissionsScoped")
CHECKOV_CASES = [
    agree(f"{PERMISSION}/LambdaServicePermission_Fail.yml", "CKV_AWS_364 FAIL FunctionFailPermission (apigateway, "
          "no source)", "service-invoke-without-source", "FunctionFailPermission"),
    *(agree(f"{PERMISSION}/LambdaServicePermission_Pass.yml", f"CKV_AWS_364 PASS {name}",
            "service-invoke-without-source", name, False)
      for name in ("FunctionPassingArnPermission", "FunctionPassingAccountPermission", "ExampleS3ServicePermission",
                   "ExampleEventsServicePermission")),
    beyond(f"{PERMISSION}/LambdaServicePermission_Pass.yml", "CKV_AWS_364 UNKNOWN FunctionStringPrincipallPermission",
           "cross-account-invoke", "FunctionStringPrincipallPermission",
           why="not a service principal: account 901234567812 may invoke the function"),
    disagree(f"{AWS}/example_LambdaFunctionURLAuth/LambdaFunctionURLAuth_Fail.yml", "CKV_AWS_258 FAIL AuthTypeFail "
             "(AuthType NONE)", "public-invoke", None, False, why=URL_NEEDS_POLICY),
    agree(f"{AWS}/example_LambdaFunctionURLAuth/LambdaFunctionURLAuth_Pass.yml", "CKV_AWS_258 PASS AuthTypePass",
          "public-invoke", None, False),
    *(agree(f"{PUBLIC_ASSUME}/{file}", f"CKV_AWS_60 FAIL {name}", "trust-any-principal", name)
      for file, name in (("FAILED.yml", "AWSStarPrincipal"), ("FAILED.yml", "AWSStarPrincipalInList"),
                         ("FAILED-2.yml", "AWSStarPrincipal2"), ("FAILED-2.yml", "AWSStarPrincipalInList2"))),
    *(agree(f"{PUBLIC_ASSUME}/{file}", f"CKV_AWS_60 PASS {name}", "trust-any-principal", name, False)
      for file, name in (("PASSED.yml", "ServiceRole"), ("PASSED.yml", "DenyIgnore"),
                         ("PASSED-2.yml", "ServiceRole2"), ("PASSED-2.yml", "DenyIgnore2"))),
    agree(f"{FROM_ACCOUNT}-FAILED.yml", "CKV_AWS_61 FAIL ExecutionRole (123456789101:root)", "cross-account-trust",
          "ExecutionRole"),
    *(agree(f"{FROM_ACCOUNT}-{suffix}.yml", f"CKV_AWS_61 PASS {name}", "cross-account-trust", name, False)
      for suffix, name in (("PASSED", "ExecutionRole"), ("PASSED", "ClusterAccessRole"), ("PASSED-2", "Role"),
                           ("PASSED-2", "ServiceAutoScalingRole"), ("PASSED-2", "ScalingLambdaRole"))),
    *(agree(f"{AWS}/{folder}/{stem}.{outcome}.json", f"{check} {outcome.upper()} {name}", "wildcard-action", name,
            outcome == "fail")
      for folder, check in (("example_IAMStarActionPolicyDocument", "CKV_AWS_63"),
                            ("example_IAMAdminPolicyDocument", "CKV_AWS_62"))
      for stem, name in STAR_FILES for outcome in ("fail", "pass")),
    beyond(f"{AWS}/example_IAMStarActionPolicyDocument/iam_role.unknown.yaml", "CKV_AWS_63 not counted (unknown)",
           "wildcard-action", "RootRole", why="the policy is a Fn::Sub JSON string under Fn::If: permcheck reads it"),
    beyond(f"{AWS}/example_IAMAdminPolicyDocument/iam_role.unknown.yaml", "CKV_AWS_62 not counted (unknown)",
           "wildcard-action", "ExecRole", why="the policy is a Fn::Sub JSON string under Fn::If: permcheck reads it"),
    disagree(f"{AWS}/example_IAMStarActionPolicyDocument/cfn_bad_iam_pass.yaml", "CKV_AWS_63 PASS rIamPolicy", None,
             None, "error", why="Fn::If names condition cCondition, which the template does not define: "
                                "CloudFormation rejects it"),
    *(agree(f"{AWS}/{folder}/FAILED.yml", f"{check} FAIL {name} (attached to roles/users by name)", rule, name,
          why=BUG_UNATTACHED)
      for folder, check, names in (
          ("Cloudsplaining_IAMPermissionsManagement", "CKV_AWS_109", ("PermissionsWildcard0", "PermissionsWildcard1")),
          ("Cloudsplaining_ManagedPolicy", "CKV_AWS_109", ("PermissionsWildcard0", "PermissionsWildcard1")),
          ("Cloudsplaining_IAMWriteAccess", "CKV_AWS_111", ("WriteWildcard0", "WriteWildcard1")))
      for name, rule in ((names[0], "wildcard-resource-write"), (names[1], "wildcard-resource-write"),
                         ("AdminAllow", "wildcard-action"))),
    *(agree(f"{AWS}/{folder}/PASSED.yaml", f"{check} PASS {name}", "wildcard-resource-write", name, False)
      for folder, check, names in (
          ("Cloudsplaining_IAMPermissionsManagement", "CKV_AWS_109", SPLAINING_PASS),
          ("Cloudsplaining_ManagedPolicy", "CKV_AWS_109", SPLAINING_PASS),
          ("Cloudsplaining_IAMWriteAccess", "CKV_AWS_111",
           ("NotWriteScoped", "NotWriteWildcard", "AdminDeny", "WriteScoped")))
      for name in names),
    *(row for kind in ("IAMRole", "IAMUser", "IAMGroup") for row in (
        agree(f"{AWS}/Cloudsplaining_{kind}/FAILED.yml", "CKV_AWS_109 FAIL PolicyOnePassPolicyTwoFailAdmin (`*`)",
              "wildcard-action", "PolicyOnePassPolicyTwoFailAdmin"),
        agree(f"{AWS}/Cloudsplaining_{kind}/FAILED.yml",
              "CKV_AWS_109 FAIL PolicyOneFailPolicyTwoFailPermissionsWildcard",
              "wildcard-resource-write", "PolicyOneFailPolicyTwoFailPermissionsWildcard"),
        agree(f"{AWS}/Cloudsplaining_{kind}/PASSED.yaml", "CKV_AWS_109 PASS NotPermissionsScopedAndWildcard",
              "wildcard-resource-write", "NotPermissionsScopedAndWildcard", False),
        agree(f"{AWS}/Cloudsplaining_{kind}/PASSED.yaml", "CKV_AWS_109 PASS AdminDenyAndPermissionsScoped",
              "wildcard-resource-write", "AdminDenyAndPermissionsScoped", False))),
    *(agree(f"{KMS_STAR}-{file}.yaml", f"CKV_AWS_33 FAIL {name}", "cross-account-resource-policy", name, about="anyone",
          why=BUG_RESOURCE_STAR)
      for file, name in (("FAILED-Wildcard", "Wildcard"), ("FAILED-AWS-Wildcard", "AwsWildcard"),
                         ("FAILED-AWS-Wildcard", "AwsWildcardList"))),
    *(agree(f"{KMS_STAR}-PASSED.yaml", f"CKV_AWS_33 PASS {name}", "cross-account-resource-policy", name, False)
      for name in ("Root", "Deny")),
    disagree(SAGEMAKER, "CKV2_AWS_68 FAIL the notebook whose role's trust allows `*`", "wildcard-action",
             "aws_iam_role3", False, why=TRUST_ACTIONS),
    beyond(SAGEMAKER, "CKV2_AWS_68 reads only trust policies", "service-wildcard-action", "aws_iam_role2",
           why="sagemaker:* in its permissions policy (restricted by aws:SourceIp, still every action)"),
]

CASES = CFN_NAG_CASES + CFRIPPER_CASES + CHECKOV_CASES

#: The permcheck rules that have a counterpart in at least one scanner's tests.
COUNTERPARTS = {"wildcard-action", "service-wildcard-action", "wildcard-resource-write", "passrole-wildcard",
                "privilege-escalation", "admin-managed-policy", "not-resource-allow", "public-invoke",
                "service-invoke-without-source", "trust-any-principal", "cross-account-trust",
                "cross-account-resource-policy", "cross-account-invoke", "invalid-policy"}


def _param(case: Case):
    marks = [pytest.mark.xfail(strict=True, reason=case.why)] if case.verdict == BUG else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.fixture(scope="module")
def configs(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("configs")
    paths = {}
    for name, text in CONFIGS.items():
        paths[name] = folder / f"{name}.toml"
        paths[name].write_text(text, encoding="utf-8")
    return paths


_RUNS: dict[tuple, Result] = {}


def _check(path: str, args: tuple[str, ...], config) -> Result:
    """`permcheck check --format json` on one file, in-process; each file and options run once."""
    key = (path, args, str(config))
    if key not in _RUNS:
        _RUNS[key] = run("check", "--format", "json", "--config", str(config), *args, path)
    return _RUNS[key]


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_scanner_case(corpus, configs, case: Case):
    path = corpus / case.path
    assert path.is_file(), path
    result = _check(str(path), case.args, configs[case.config])
    context = f"{case.expects} — {case.why}" if case.why else case.expects
    if case.fires == "error":
        lines = result.err.strip().splitlines()
        assert result.code == 2 and len(lines) == 1, (context, result.err)
        assert lines[0].startswith(f"permcheck: error: {path}:") and not bug_signs(lines[0]), lines[0]
        return
    assert result.code in (0, 1) and "permcheck: error:" not in result.err, (context, result.err)
    document = result.json()
    assert document["errors"] == [], document["errors"]
    hits = [f for f in document["findings"]
            if case.rule in (None, f["rule"]) and case.resource in (None, f["resource"]) and case.about in f["message"]]
    if case.fires:
        assert hits, (context, [(f["rule"], f["resource"]) for f in document["findings"]])
    else:
        assert not hits, (context, [(f["rule"], f["resource"], f["message"]) for f in hits])


def test_rows_are_unique_and_cover_every_rule_with_a_counterpart():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert COUNTERPARTS <= {c.rule for c in CASES}, COUNTERPARTS - {c.rule for c in CASES}
    assert all(c.verdict in (AGREE, DISAGREE, BEYOND, BUG) for c in CASES)


def test_agreement_summary():
    """The table in numbers (shown with `pytest -s`); each scanner has dozens of rows."""
    counts = Counter((c.scanner, c.verdict) for c in CASES)
    for scanner in ("cfn-nag", "cfripper", "checkov"):
        row = {v: counts[(scanner, v)] for v in (AGREE, DISAGREE, BEYOND, BUG)}
        print(f"{scanner:9} {sum(row.values()):3} rows: " + ", ".join(f"{n} {v}" for v, n in row.items()))
        assert sum(row.values()) >= 40
