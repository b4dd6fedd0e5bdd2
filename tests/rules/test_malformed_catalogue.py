"""Every malformed-policy form IAM rejects is an `invalid-policy` finding at its line, never skipped.

The catalogue follows Parliament's MALFORMED family (https://github.com/duo-labs/parliament,
`MALFORMED`, `MALFORMED_JSON`, `UNKNOWN_PRINCIPAL`, `UNKNOWN_OPERATOR` …) and IAM Access
Analyzer's policy-grammar errors (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html):
each is a policy document IAM would refuse at deploy time.
"""

import json

import pytest

from tests.cli_helpers import run

GOOD = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}

IDENTITY = [  # (name, the policy document of a role's inline policy)
    ("not-an-object", ["Statement"]),
    ("json-string-not-json", "{not json"),
    ("unknown-policy-element", {"Version": "2012-10-17", "Statements": [GOOD]}),
    ("bad-version", {"Version": "2020-01-01", "Statement": [GOOD]}),
    ("no-statement", {"Version": "2012-10-17"}),
    ("statement-not-an-object", {"Version": "2012-10-17", "Statement": ["s3:GetObject"]}),
    ("unknown-statement-element", {"Version": "2012-10-17", "Statement": [{**GOOD, "Actions": "s3:*"}]}),
    ("effect-not-allow-or-deny", {"Version": "2012-10-17", "Statement": [{**GOOD, "Effect": "Permit"}]}),
    ("effect-wrong-case", {"Version": "2012-10-17", "Statement": [{**GOOD, "Effect": "allow"}]}),
    ("no-action", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}),
    ("action-and-notaction", {"Version": "2012-10-17", "Statement": [{**GOOD, "NotAction": "s3:PutObject"}]}),
    ("empty-action", {"Version": "2012-10-17", "Statement": [{**GOOD, "Action": []}]}),
    ("action-not-a-string", {"Version": "2012-10-17", "Statement": [{**GOOD, "Action": 42}]}),
    ("no-resource", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}),
    ("resource-and-notresource", {"Version": "2012-10-17", "Statement": [{**GOOD, "NotResource": "arn:aws:s3:::x"}]}),
    ("principal-in-identity-policy", {"Version": "2012-10-17", "Statement": [{**GOOD, "Principal": "*"}]}),
    ("condition-not-an-object", {"Version": "2012-10-17", "Statement": [{**GOOD, "Condition": "aws:SecureTransport"}]}),
    ("unknown-condition-operator", {"Version": "2012-10-17",
                                    "Statement": [{**GOOD, "Condition": {"StringEqualz": {"aws:username": "a"}}}]}),
    ("operator-without-keys", {"Version": "2012-10-17", "Statement": [{**GOOD, "Condition": {"StringEquals": "a"}}]}),
]

TRUST = [  # (name, a role's trust policy statement)
    ("no-principal", {"Effect": "Allow", "Action": "sts:AssumeRole"}),
    ("principal-and-notprincipal", {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"},
                                    "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}}),
    ("unknown-principal-type", {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Amazon": "x"}}),
    ("principal-not-an-object", {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": ["arn:aws:iam::1:root"]}),
    ("wildcard-inside-principal-arn", {"Effect": "Allow", "Action": "sts:AssumeRole",
                                       "Principal": {"AWS": "arn:aws:iam::111122223333:role/*"}}),
    ("account-id-not-12-digits", {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "1234557"}}),
]


def _template(policy=None, trust=None) -> str:
    role = {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust or {
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}}
    if policy is not None:
        role["Properties"]["Policies"] = [{"PolicyName": "p", "PolicyDocument": policy}]
    return json.dumps({"Resources": {"Role": role}}, indent=2)


@pytest.mark.parametrize("name,document", IDENTITY + [(n, None) for n, _ in TRUST],
                         ids=[n for n, _ in IDENTITY] + [f"trust-{n}" for n, _ in TRUST])
def test_malformed_policy_is_an_invalid_policy_finding(name, document, tmp_path):
    trust = dict(TRUST).get(name) if document is None else None
    path = tmp_path / "t.json"
    path.write_text(_template(document, trust))
    result = run("check", str(path), "--format", "json")
    assert result.code == 1, result.err  # invalid-policy is high: the default gate fails
    invalid = [f for f in result.json()["findings"] if f["rule"] == "invalid-policy"]
    assert len(invalid) == 1 and invalid[0]["resource"] == "Role" and invalid[0]["line"], result.out


def test_a_query_that_depends_on_a_malformed_policy_exits_2(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(_template({"Version": "2012-10-17", "Statement": [{**GOOD, "Effect": "Permit"}]}))
    result = run("what-can-access", "Role", str(path))
    assert result.code == 2 and "Effect must be Allow or Deny" in result.err


def test_check_keeps_other_findings_when_a_grant_depends_on_a_malformed_policy(tmp_path):
    """A queue policy names a role whose own policy is malformed: check still runs every rule."""
    path = tmp_path / "t.json"
    template = json.loads(_template({"Version": "2012-10-17", "Statement": [{**GOOD, "Effect": "Permit"}]}))
    template["Resources"]["Queue"] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}}
    template["Resources"]["QueuePolicy"] = {"Type": "AWS::SQS::QueuePolicy", "Properties": {
        "Queues": [{"Ref": "Queue"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "210987654321"}, "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}, {
            "Effect": "Allow", "Principal": {"AWS": {"Fn::GetAtt": ["Role", "Arn"]}}, "Action": "sqs:*",
            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}]}}}
    path.write_text(json.dumps(template))
    result = run("check", str(path), "--format", "json")
    assert result.code == 1 and result.json()["errors"] == []
    rules = {f["rule"] for f in result.json()["findings"]}
    assert {"invalid-policy", "cross-account-resource-policy", "service-wildcard-action"} <= rules
