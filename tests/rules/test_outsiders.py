"""The grant rules judge a grant by who outside the zone of trust it lets in, never by the condition
keys it names (contract, "Built-in rule ids": "A grant is judged by what it lets through").

Each case is one resource policy — a role's trust, a function's policy (a `get-policy` snapshot, which
holds any condition), a queue's or a bucket's — and which rules must fire on it. The AWS pages:
- operators, negated operators and `…IfExists` on an absent key:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- which global keys a request carries, and for whom (principal, source, network keys):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- the confused deputy and source keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
- S3 access-point delegation: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html
"""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import run

OWN, OTHER, ORG = "123456789012", "210987654321", "o-a1b2c3d4e5"
GRANT_RULES = ("public-invoke", "trust-any-principal", "cross-account-trust", "cross-account-invoke",
               "cross-account-resource-policy", "service-invoke-without-source")


def trust(*statements: dict) -> dict:
    """A template with one role whose trust policy holds the statements."""
    return {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "target", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}}}}


def queue(*statements: dict) -> dict:
    """A template with one queue and its queue policy."""
    return {"Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}},
        "QueuePolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "Queue"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}}}}


def bucket(*statements: dict) -> dict:
    """A template with one bucket and its bucket policy."""
    return {"Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "uploads-bucket"}},
        "BucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Bucket"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}}}}


def function(*statements: dict) -> dict:
    """`aws lambda get-policy` of one function: the statements with its ARN as their Resource."""
    arn = f"arn:aws:lambda:us-east-1:{OWN}:function:target"
    policy = {"Version": "2012-10-17", "Id": "default",
              "Statement": [{"Sid": f"s{i}", "Resource": arn, **s} for i, s in enumerate(statements)]}
    return {"Policy": json.dumps(policy), "RevisionId": "0"}


def allow(principal: object, action: str, condition: dict | None = None, resource: str | None = None) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if resource is not None:
        statement["Resource"] = resource
    if condition:
        statement["Condition"] = condition
    return statement


ANY = {"AWS": "*"}
ASSUME = "sts:AssumeRole"
INVOKE = "lambda:InvokeFunction"
SEND = "sqs:SendMessage"
QUEUE = f"arn:aws:sqs:us-east-1:{OWN}:jobs"

CASES = [
    # -- a role anyone may assume, or not ---------------------------------------------------------
    ("negated account key lets every other account in", trust(allow(ANY, ASSUME, {
        "StringNotEquals": {"aws:PrincipalAccount": "999999999999"}})), {"trust-any-principal"}),
    ("ArnNotLike on the principal ARN restricts nothing", trust(allow(ANY, ASSUME, {
        "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::999999999999:role/*"}})), {"trust-any-principal"}),
    ("a wildcard organisation is any organisation", trust(allow(ANY, ASSUME, {
        "StringLike": {"aws:PrincipalOrgID": "o-*"}})), {"trust-any-principal"}),
    ("…IfExists on a key outsiders do not send holds for them", trust(allow(ANY, ASSUME, {
        "StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}})), {"trust-any-principal"}),
    ("a key that says nothing about the caller restricts nothing", trust(allow(ANY, ASSUME, {
        "Bool": {"aws:SecureTransport": "true"}})), {"trust-any-principal"}),
    ("the caller's own tags are the caller's to choose", trust(allow(ANY, ASSUME, {
        "StringEquals": {"aws:PrincipalTag/team": "platform"}})), {"trust-any-principal"}),
    ("an address range of the whole internet", trust(allow(ANY, ASSUME, {
        "IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})), {"trust-any-principal"}),
    ("Null false on the organisation: any organisation", trust(allow(ANY, ASSUME, {
        "Null": {"aws:PrincipalOrgID": "false"}})), {"trust-any-principal"}),
    ("the own account only", trust(allow(ANY, ASSUME, {
        "StringEquals": {"aws:PrincipalAccount": OWN}})), set()),
    ("the organisation the policy names", trust(allow(ANY, ASSUME, {
        "StringEquals": {"aws:PrincipalOrgID": ORG}})), set()),
    ("a network of the owner's", trust(allow(ANY, ASSUME, {
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})), set()),
    ("a Deny fence keeps every other account out", trust(
        allow(ANY, ASSUME),
        {"Effect": "Deny", "Principal": ANY, "Action": ASSUME,
         "Condition": {"StringNotEquals": {"aws:PrincipalAccount": OWN}}}), set()),
    ("`*` narrowed to one other account is that account's grant", trust(allow(ANY, ASSUME, {
        "StringEquals": {"aws:PrincipalAccount": OTHER}})), {"cross-account-trust"}),
    ("a named other account", trust(allow({"AWS": OTHER}, ASSUME)), {"cross-account-trust"}),
    ("a named other account restricted to the own organisation", trust(allow({"AWS": OTHER}, ASSUME, {
        "StringEquals": {"aws:PrincipalOrgID": ORG}})), set()),
    ("a service of AWS for the own account", trust(allow({"Service": "lambda.amazonaws.com"}, ASSUME)), set()),
    # -- a function's policy -------------------------------------------------------------------------
    ("anyone may invoke", function(allow("*", INVOKE)), {"public-invoke"}),
    ("anyone of the own account", function(allow("*", INVOKE, {
        "StringEquals": {"AWS:SourceAccount": OWN}})), set()),
    ("a service for every bucket of S3", function(allow({"Service": "s3.amazonaws.com"}, INVOKE, {
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::*"}})), {"service-invoke-without-source"}),
    ("a service for one bucket", function(allow({"Service": "s3.amazonaws.com"}, INVOKE, {
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads-bucket"}})), set()),
    ("a service with SourceArn …IfExists: outsiders need not send it", function(
        allow({"Service": "sns.amazonaws.com"}, INVOKE, {
            "ArnEqualsIfExists": {"AWS:SourceArn": f"arn:aws:sns:us-east-1:{OWN}:topic"}})),
     {"service-invoke-without-source"}),
    ("a service for a resource of the own account", function(allow({"Service": "sns.amazonaws.com"}, INVOKE, {
        "ArnLike": {"AWS:SourceArn": f"arn:aws:sns:us-east-1:{OWN}:topic"}})), set()),
    ("a service with a negated source", function(allow({"Service": "events.amazonaws.com"}, INVOKE, {
        "StringNotEquals": {"AWS:SourceAccount": "999999999999"}})), {"service-invoke-without-source"}),
    ("a service for another account's resource", function(allow({"Service": "sns.amazonaws.com"}, INVOKE, {
        "StringEquals": {"AWS:SourceAccount": OTHER}})), {"cross-account-invoke"}),
    ("`*` for another account's topic: that account's grant", function(allow("*", INVOKE, {
        "StringEquals": {"AWS:SourceAccount": OTHER}})), {"cross-account-invoke"}),
    ("a named other account", function(allow({"AWS": f"arn:aws:iam::{OTHER}:root"}, INVOKE)), {"cross-account-invoke"}),
    # -- a queue's and a bucket's policy ----------------------------------------------------------------
    ("any topic of any account may send", queue(allow("*", SEND, {
        "ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}, QUEUE)), {"cross-account-resource-policy"}),
    ("only the own topic may send", queue(allow("*", SEND, {
        "ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{OWN}:topic"}}, QUEUE)), set()),
    ("only through the own VPC endpoint", queue(allow("*", SEND, {
        "StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, QUEUE)), set()),
    ("anything but one VPC endpoint", queue(allow("*", SEND, {
        "StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, QUEUE)), {"cross-account-resource-policy"}),
    ("access points of the own account (S3's delegation)", bucket(allow(ANY, "*", {
        "StringEquals": {"s3:DataAccessPointAccount": OWN}},
        ["arn:aws:s3:::uploads-bucket", "arn:aws:s3:::uploads-bucket/*"])), set()),
    ("access points of any account", bucket(allow(ANY, "s3:GetObject", {
        "StringLike": {"s3:DataAccessPointAccount": "*"}}, "arn:aws:s3:::uploads-bucket/*")),
     {"cross-account-resource-policy"}),
]


def _fired(tmp_path, document: dict, config: str = "") -> set[str]:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    (tmp_path / "permcheck.toml").write_text(config)
    result = run("check", str(path), "--format", "json", "--config", str(tmp_path / "permcheck.toml"))
    assert result.code in (0, 1), result.err
    assert result.json()["errors"] == []
    return {f["rule"] for f in result.json()["findings"] if f["rule"] in GRANT_RULES}


@pytest.mark.parametrize("what,document,expected", CASES, ids=[c[0] for c in CASES])
def test_grant_rules_judge_what_the_grant_lets_through(tmp_path, what, document, expected):
    assert _fired(tmp_path, document) == expected


def test_the_configured_organisation_is_the_only_own_one(tmp_path):
    """With `org_id` configured, an organisation the policy names that is not it is outside."""
    document = trust(allow(ANY, ASSUME, {"StringEquals": {"aws:PrincipalOrgID": ORG}}))
    assert _fired(tmp_path, document, f'org_id = "{ORG}"\n') == set()
    assert _fired(tmp_path, document, 'org_id = "o-zzzzzzzzzz"\n') == {"trust-any-principal"}


def test_a_trusted_account_is_inside(tmp_path):
    document = trust(allow({"AWS": OTHER}, ASSUME))
    assert _fired(tmp_path, document, f'trusted_accounts = ["{OTHER}"]\n') == set()


def test_the_message_says_which_outsider_and_on_what(tmp_path):
    document = trust(allow(ANY, ASSUME, {"StringNotEquals": {"aws:PrincipalAccount": "999999999999"},
                                        "Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    (finding,) = run("check", str(path), "--format", "json").json()["findings"]
    assert finding["rule"] == "trust-any-principal"
    assert "a principal of account 000000000000 (any other account)" in finding["message"]
    assert "conditional on Bool aws:MultiFactorAuthPresent true" in finding["message"]


FN_TEMPLATE = """Parameters:
  Source: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: target, Role: arn:aws:iam::123456789012:role/r, Runtime: python3.12,
                 Handler: index.handler, Code: {ZipFile: "def handler(e, c): pass"}}
  Pool:
    Type: AWS::Cognito::UserPool
  Permission:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, %s}
"""


@pytest.mark.parametrize("what,permission,expected", [
    ("a topic given as a parameter may be another account's: that account's grant, on the unknown",
     "Principal: sns.amazonaws.com, SourceArn: !Ref Source", {"cross-account-invoke"}),
    ("an account given as a parameter, likewise",
     "Principal: s3.amazonaws.com, SourceAccount: !Ref Source", {"cross-account-invoke"}),
    ("an Alexa skill id given as a parameter is the deployer's own skill",
     "Principal: alexa-appkit.amazon.com, EventSourceToken: !Ref Source", set()),
    ("the ARN of the template's own user pool is its own (a generated id)",
     "Principal: cognito-idp.amazonaws.com, SourceArn: !GetAtt Pool.Arn", set()),
])
def test_an_unresolved_source_names_one_caller(tmp_path, what, permission, expected):
    """An unresolved value names one caller the deployer chose — never "any account", and never
    nothing: when it may name another account, the grant is that account's, conditional on it
    (contract, Inputs: "A grant to an account that is an unresolved value is conditional")."""
    path = tmp_path / "t.yaml"
    path.write_text(FN_TEMPLATE % permission)
    findings = [f for f in run("check", str(path), "--format", "json").json()["findings"] if f["rule"] in GRANT_RULES]
    assert {f["rule"] for f in findings} == expected
    for finding in findings:
        assert "the account of ${?parameter Source" in finding["message"]
        assert ": conditional on " in finding["message"] and "unknown: parameter Source" in finding["message"]
