"""Finding fingerprints include the statement: two statements of one resource never share one.

A fingerprint is what a baseline accepts and what code scanning tracks an alert by
(rules/findings.py). It must ignore lines and `./` prefixes and survive reordering
(tests/test_sarif.py and tests/test_baseline.py pin that on the example app), and it must tell
apart the statements of one policy: otherwise accepting one statement's finding also accepts
another's, and a newly added copy of an accepted statement fails nothing.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.rules.identity import statement_ids
from tests.cli_helpers import run
from tests.iam.helpers import policy

BUCKET_POLICY = """\
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: data-bucket
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
{statements}
"""


def _partner(account: str, team: str) -> str:
    """A statement letting another account read the bucket, on a condition of its own."""
    return (f'          - Effect: Allow\n'
            f'            Principal: {{AWS: "arn:aws:iam::{account}:root"}}\n'
            f'            Action: s3:GetObject\n'
            f'            Resource: arn:aws:s3:::data-bucket/*\n'
            f'            Condition: {{StringEquals: {{"aws:PrincipalTag/team": "{team}"}}}}\n')


PARTNER_A, PARTNER_B = _partner("111111111111", "a"), _partner("222222222222", "b")


ROLE = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: worker
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: everything
          PolicyDocument:
            Statement:
{statements}
"""
ADMIN = """\
              - Effect: Allow
                Action: "*"
                Resource: "*"
"""


def _findings(tmp_path, name: str, text: str, path: str | None = None) -> list[dict]:
    (tmp_path / name).write_text(text)
    result = run("check", path or name, "--format", "json", "--fail-on", "critical", cwd=tmp_path)
    assert result.code == 0, result
    return json.loads(result.out)["findings"]


def _prints(findings: list[dict], rule: str) -> list[str]:
    return [f["fingerprint"] for f in findings if f["rule"] == rule]


def test_two_statements_granting_two_partners_are_two_findings_with_two_fingerprints(tmp_path):
    findings = _findings(tmp_path, "t.yaml", BUCKET_POLICY.replace("{statements}", PARTNER_A + PARTNER_B))
    grants = [f for f in findings if f["rule"] == "cross-account-resource-policy"]
    assert sorted(f["line"] for f in grants) == [13, 18]
    assert len(set(_prints(grants, "cross-account-resource-policy"))) == 2

    # reordered, spread over other lines, named with `./`: the same two fingerprints
    moved = BUCKET_POLICY.replace("{statements}", PARTNER_B + PARTNER_A).replace("\n", "\n\n")
    again = _findings(tmp_path, "t.yaml", moved, path="./t.yaml")
    assert {f["line"] for f in again} != {f["line"] for f in findings}
    assert set(_prints(again, "cross-account-resource-policy")) == set(_prints(grants, "cross-account-resource-policy"))


def test_two_copies_of_one_statement_are_two_fingerprints(tmp_path):
    """Before fingerprints included the statement, the copies' findings differed only in their lines."""
    findings = _findings(tmp_path, "t.yaml", ROLE.replace("{statements}", ADMIN + ADMIN))
    prints = _prints(findings, "wildcard-action")
    assert len(prints) == 2 and len(set(prints)) == 2
    # accepting the policy with one copy does not accept the copy added later
    one = _findings(tmp_path, "t.yaml", ROLE.replace("{statements}", ADMIN))
    assert set(_prints(one, "wildcard-action")) < set(prints)


STATEMENTS = st.lists(st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Deny"]),
    "Action": st.sampled_from(["s3:GetObject", "s3:*", "*"]),
    "Resource": st.sampled_from(["*", "arn:aws:s3:::b/*"]),
}), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(STATEMENTS, st.randoms())
def test_statement_ids_are_unique_and_survive_reordering(statements, random):
    """Every statement of a policy has its own id (copies included); reordered, the same ids."""
    ids = list(statement_ids(policy(*statements)).values())
    assert len(set(ids)) == len(ids) == len(statements)
    shuffled = list(statements)
    random.shuffle(shuffled)
    assert sorted(statement_ids(policy(*shuffled)).values()) == sorted(ids)


def test_each_statement_fact_names_its_own_statement():
    """A statement fact's `statement`, hashed only when a finding asks for it, is its statement's
    id in its policy (`identity.statement_ids`), copies included."""
    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.model.entities import Inventory, Role
    from permcheck.model.location import Location
    from permcheck.rules.collect import Facts

    admin = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    inline = policy(admin, admin, {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, name="inline")
    arn = "arn:aws:iam::123456789012:role/app"
    role = Role(arn=arn, name="app", account="123456789012", location=Location("t.json", 1), policies=(inline,))
    facts = Facts(Edges(Index(Inventory(roles={arn: role}, default_account="123456789012"))))
    made = [s for s in facts.subject("statements") if s.policy == "inline"]
    assert [s.statement for s in made] == list(statement_ids(inline).values())
    assert len(set(s.statement for s in made)) == 3
