"""The organisation layers and account callers, end to end through the command line.

SCPS = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
KEYS = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
"""

from __future__ import annotations

import json

from tests.cli_helpers import run

MEMBER = "111122223333"
PARTNER = "444455556666"
MANAGEMENT = "999988887777"
FUNCTION = f"arn:aws:lambda:us-east-1:{MEMBER}:function:deploy-hook"


def write(tmp_path, name, document) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2))
    return str(path)


def get_policy(statements) -> dict:
    """`aws lambda get-policy` output for FUNCTION."""
    return {"Policy": json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": statements}),
            "RevisionId": "r1"}


def account_grant(condition: dict) -> dict:
    return {"Sid": "ci", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
            "Action": "lambda:InvokeFunction", "Resource": FUNCTION, "Condition": condition}


def test_account_caller_stays_in_who_can_invoke_conditional_on_its_principal_arn(tmp_path):
    # A function policy that names the account and narrows it with aws:PrincipalArn: the account's
    # principals matching the pattern may invoke, so the account is listed, conditional on it
    # (KEYS: aws:PrincipalArn is the ARN of whoever in the account makes the request).
    condition = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{PARTNER}:role/ci-*"}}
    path = write(tmp_path, "get-policy.json", get_policy([account_grant(condition)]))
    result = run("who-can-invoke", FUNCTION, path, "--format", "json")
    assert result.code == 0, result.err
    rows = {row["principal"]: row for row in result.json()["principals"]}
    row = rows[f"arn:aws:iam::{PARTNER}:root"]
    assert row["decision"] == "conditional"
    assert row["conditions"] == [{"operator": "ArnLike", "key": "aws:PrincipalArn",
                                  "values": [f"arn:aws:iam::{PARTNER}:role/ci-*"], "effect": "Allow"}]
    assert run("can", PARTNER, "lambda:InvokeFunction", FUNCTION, path, "--format", "json").json()["decision"] \
        == "conditional"


def test_account_caller_principal_arn_is_one_of_its_own_account(tmp_path):
    # The account's principals have ARNs of that account: a pattern of another account lets none
    # of them in, and one covering the whole account lets all of them in. (Its federated users
    # have `arn:aws:sts::ACCOUNT:federated-user/...` ARNs, so `arn:aws:iam::ACCOUNT:*` is not all.)
    other = get_policy([account_grant({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/*"}})])
    whole = get_policy([account_grant({"ArnLike": {"aws:PrincipalArn": f"arn:aws:*::{PARTNER}:*"}})])
    for document, expected in ((other, "denied"), (whole, "allowed")):
        path = write(tmp_path, f"{expected}.json", document)
        result = run("can", PARTNER, "lambda:InvokeFunction", FUNCTION, path, "--format", "json")
        assert result.json()["decision"] == expected, document


def _account(tmp_path, account: str) -> str:
    """An account snapshot with one admin role that may send to any queue."""
    role = {"Path": "/", "RoleName": "admin", "RoleId": "AROAEXAMPLE", "Arn": f"arn:aws:iam::{account}:role/admin",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "s3", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}}],
            "AttachedManagedPolicies": []}
    return write(tmp_path, f"auth-{account}.json", {"UserDetailList": [], "GroupDetailList": [],
                                                    "RoleDetailList": [role], "Policies": []})


def _deny_sqs_scp(tmp_path) -> str:
    content = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                                                      {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}
    return write(tmp_path, "scp.json", {"Policy": {"PolicySummary": {
        "Id": "p-deny-sqs", "Arn": f"arn:aws:organizations::{MANAGEMENT}:policy/o-example/service_control_policy/p-deny-sqs",
        "Name": "deny-sqs", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False}, "Content": json.dumps(content)}})


def test_management_account_option_exempts_it_from_scps(tmp_path):
    # SCPS: "You can't use SCPs to restrict ... Any action performed by the management account."
    paths = [_account(tmp_path, MANAGEMENT), _account(tmp_path, MEMBER), _deny_sqs_scp(tmp_path)]

    def decision(account, *extra):  # the account's admin sends to a queue of its own account
        principal, queue = f"arn:aws:iam::{account}:role/admin", f"arn:aws:sqs:us-east-1:{account}:jobs"
        result = run("can", principal, "sqs:SendMessage", queue, *paths, "--format", "json", *extra)
        assert result.code == 0, result.err
        return result.json()["decision"]
    assert decision(MANAGEMENT) == "denied"  # not told which account manages the organisation
    assert decision(MANAGEMENT, "--management-account", MANAGEMENT) == "allowed"
    assert decision(MEMBER, "--management-account", MANAGEMENT) == "denied"
    config = tmp_path / "c.toml"
    config.write_text(f'management_account = "{MANAGEMENT}"\n')
    assert decision(MANAGEMENT, "--config", str(config)) == "allowed"


def test_management_account_must_be_an_account_id(tmp_path):
    path = _account(tmp_path, MEMBER)
    result = run("can", MEMBER, "s3:GetObject", "*", path, "--management-account", "mgmt")
    assert result.code == 2 and "12-digit account ID" in result.err and "Traceback" not in result.err
    config = tmp_path / "c.toml"
    config.write_text("management_account = 999988887777\n")  # a number, not the ID's text
    result = run("can", MEMBER, "s3:GetObject", "*", path, "--config", str(config))
    assert result.code == 2 and result.err.startswith(f"permcheck: error: {config}") and "management_account" in result.err


def test_every_analysing_command_takes_the_management_account_option():
    for command in ("who-can-invoke", "what-can-access", "can", "check", "diff", "report", "graph"):
        result = run(command, "--help")
        assert "--management-account" in result.out, command


def test_a_key_not_in_the_inputs_may_be_aws_managed_so_an_rcp_deny_stays_open(tmp_path):
    # https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html: "Resource
    # control policies in your organization do not apply to AWS managed keys"; a key ARN alone does
    # not say whether it is one.
    role = json.loads(open(_account(tmp_path, MEMBER)).read().replace("sqs:SendMessage", "kms:Decrypt"))
    content = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "kms:*",
                                                      "Resource": "*"}]}
    paths = [write(tmp_path, "auth.json", role), write(tmp_path, "rcp.json", {"Policy": {"PolicySummary": {
        "Id": "p-kms", "Arn": f"arn:aws:organizations::{MANAGEMENT}:policy/o-example/resource_control_policy/p-kms",
        "Name": "kms-perimeter", "Type": "RESOURCE_CONTROL_POLICY", "AwsManaged": False},
        "Content": json.dumps(content)}})]
    key = f"arn:aws:kms:us-east-1:{MEMBER}:key/0f1e2d3c"
    result = run("can", f"arn:aws:iam::{MEMBER}:role/admin", "kms:Decrypt", key, *paths, "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["decision"] == "conditional"
    assert result.json()["conditions"] == [
        {"unknown": f"whether {key} is an AWS managed key (RCPs do not apply to those)"}]
