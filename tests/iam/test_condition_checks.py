"""The condition checks behind `condition-type-mismatch` and `set-operator-on-single-valued-key`.

AA = https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
  ("Type mismatch", "ForAllValues with single valued key")
OPS = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
MULTI = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
GLOBAL = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

import pytest

from permcheck.iam.condition_checks import set_operator_problem, type_problems
from permcheck.iam.conditions import readable
from tests.cli_helpers import run


@pytest.mark.parametrize("operator, key, value, what", [
    # OPS: each operator family reads one syntax; a value outside it matches nothing
    ("Bool", "aws:SecureTransport", "flase", "not true or false"),
    ("Null", "aws:TokenIssueTime", "yes", "not true or false"),
    ("NumericLessThan", "aws:MultiFactorAuthAge", "ten", "not a number"),
    ("DateGreaterThan", "aws:CurrentTime", "tomorrow", "not a date"),
    ("IpAddress", "aws:SourceIp", "10.0.0.300", "not an IP address"),
    ("ArnLike", "aws:SourceArn", "my-bucket", "not an ARN"),
    ("BinaryEquals", "example:blob", "!!not base64!!", "not base64"),  # no AWS key is Binary-typed
])
def test_a_value_the_operator_cannot_read_is_reported(operator, key, value, what):
    [problem] = type_problems(operator, key, [value])
    assert what in problem and f'"{value}"' in problem and "matches no request" in problem
    assert not readable(operator, value)


def test_a_negated_operator_with_an_unreadable_value_holds_for_every_request():
    [problem] = type_problems("NotIpAddress", "aws:SourceIp", ["10.0.0.300"])
    assert "holds for every request that has the key" in problem


@pytest.mark.parametrize("operator, key, values", [
    ("Bool", "aws:SecureTransport", ["false", "TRUE"]),           # OPS: Bool is case-insensitive
    ("NumericLessThan", "aws:MultiFactorAuthAge", ["3600", "2.5"]),
    ("DateGreaterThan", "aws:CurrentTime", ["2024-01-01T00:00:00Z", "2030-06-01", "1700000000"]),
    ("NumericLessThan", "aws:EpochTime", ["1700000000"]),        # GLOBAL: Date, Numeric
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "2001:db8::/32", "192.168.1.1"]),
    ("ArnLike", "aws:SourceArn", ["arn:aws:s3:::*", "arn:aws:sns:*:123456789012:t"]),
    ("ArnLike", "aws:SourceArn", ["${aws:PrincipalArn}"]),        # a variable is read once filled in
    ("StringLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/ci-*"]),  # String operators read any key
    ("StringEquals", "aws:MultiFactorAuthAge", ["3600"]),
    # an ARN operator on a String key that holds an ARN, as AWS's CloudWatch Logs guide writes it
    ("ArnLike", "kms:EncryptionContext:aws:logs:arn", ["arn:aws:logs:us-east-1:123456789012:log-group:*"]),
    ("DateGreaterThan", "example:custom", ["2024-01-01"]),        # a key AWS does not document: its type is unknown
])
def test_near_misses_are_not_reported(operator, key, values):
    assert type_problems(operator, key, values) == []


@pytest.mark.parametrize("operator, key, family, kind", [
    ("DateLessThan", "aws:SourceAccount", "Date", "String"),      # GLOBAL: aws:SourceAccount is a String
    ("NumericEquals", "aws:SourceVpce", "Numeric", "String"),
    ("IpAddress", "aws:SourceVpce", "IPAddress", "String"),
    ("Bool", "aws:PrincipalOrgID", "Bool", "String"),
    ("ArnEquals", "aws:MultiFactorAuthPresent", "ARN", "Bool"),
    ("DateGreaterThan", "aws:MultiFactorAuthAge", "Date", "Numeric"),
    ("ForAnyValue:IpAddress", "aws:CalledVia", "IPAddress", "String (multivalued)"),
])
def test_a_typed_operator_on_a_key_of_another_type_is_reported(operator, key, family, kind):
    assert type_problems(operator, key, []) == [f"{operator} compares {family} values, but {key} is {kind}"]


# -- set operators on single-valued keys (MULTI; AA "ForAllValues with single valued key") --

def test_for_all_values_on_an_allow_widens_it_to_requests_without_the_key():
    problem, widens = set_operator_problem("ForAllValues:StringEquals", "aws:PrincipalOrgID", ["o-1"], "Allow")
    assert widens and "also applies to requests without aws:PrincipalOrgID" in problem


def test_for_any_value_with_a_negated_operator_on_a_deny_narrows_it():
    problem, widens = set_operator_problem("ForAnyValue:StringNotEquals", "aws:PrincipalOrgID", ["o-1"], "Deny")
    assert widens and "does not apply to requests without aws:PrincipalOrgID" in problem


@pytest.mark.parametrize("operator, effect", [
    ("ForAnyValue:StringEquals", "Allow"),      # absent: false, as StringEquals
    ("ForAllValues:StringNotEquals", "Allow"),  # absent: true, as StringNotEquals
    ("ForAllValues:StringEquals", "Deny"),      # a Deny that applies more often is not wider access
    ("ForAnyValue:StringEqualsIfExists", "Deny"),
])
def test_set_operators_that_change_nothing_are_reported_without_widening(operator, effect):
    problem, widens = set_operator_problem(operator, "aws:SourceVpce", ["vpce-1"], effect)
    assert not widens and "AWS advises against" in problem


@pytest.mark.parametrize("key", ["aws:TagKeys", "aws:PrincipalOrgPaths", "cognito-identity.amazonaws.com:amr",
                                 "example:custom"])
def test_multivalued_and_unknown_keys_are_not_reported(key):
    # MULTI: multivalued keys require a set operator; Cognito's guide calls amr "the multivalued
    # amr claim" (https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html)
    assert set_operator_problem("ForAllValues:StringLike", key, ["a*"], "Allow") is None
    assert set_operator_problem("StringEquals", "aws:PrincipalOrgID", ["o-1"], "Allow") is None


TRUST = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
            Condition: {"OPERATOR": {aws:SourceAccount: "123456789012"}}
"""


@pytest.mark.parametrize("operator, severity", [("ForAllValues:StringEquals", "medium"),
                                                ("ForAnyValue:StringEquals", "low")])
def test_severity_is_medium_only_when_the_set_operator_widens(tmp_path, operator, severity):
    template = tmp_path / "template.yaml"
    template.write_text(TRUST.replace("OPERATOR", operator))
    result = run("check", str(template), "--format", "json", "--fail-on", "critical")
    found = [f for f in result.json()["findings"] if f["rule"] == "set-operator-on-single-valued-key"]
    assert [(f["severity"], f["resource"], f["line"]) for f in found] == [(severity, "Role", 9)]
    assert "aws:SourceAccount" in found[0]["message"]
