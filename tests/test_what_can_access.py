"""`what-can-access` under a wildcard grant: which resources get a row of their own.

README ("Where the contract is silent"): the patterns are listed as granted; under a wildcard
grant, a resource in the inputs whose own policy changes the answer, or a part of it that the
principal's own Deny names, gets a row of its own. Only a resource policy that may name the
principal (it, its account, anyone) can change it; the others are not asked about (on an
account with hundreds of resource policies, asking each was most of the time).
"""

from __future__ import annotations

from tests.cli_helpers import run

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/reader"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Reader:
    Type: AWS::IAM::Role
    Properties:
      RoleName: reader
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: read-everything
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: s3:GetObject, Resource: "*"}
              - {Effect: Deny, Action: s3:GetObject, Resource: "arn:aws:s3:::audit-*/*",
                 Condition: {NotIpAddress: {aws:SourceIp: 10.0.0.0/8}}}
  TlsOnly:
    Type: AWS::S3::Bucket
    Properties: {BucketName: tls-only}
  TlsOnlyPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref TlsOnly
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Deny, Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
             Condition: {Bool: {aws:SecureTransport: "false"}}}
  Partner:
    Type: AWS::S3::Bucket
    Properties: {BucketName: partner-drop}
  PartnerPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Partner
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Deny, Principal: {AWS: "arn:aws:iam::210987654321:root"}, Action: "s3:*",
             Resource: ["arn:aws:s3:::partner-drop", "arn:aws:s3:::partner-drop/*"]}
"""


def test_only_resources_whose_policy_may_name_the_principal_get_a_row(tmp_path, monkeypatch):
    from permcheck.graph.edges import Edges
    asked_about: list[str] = []
    ask = Edges.ask
    monkeypatch.setattr(Edges, "ask", lambda self, caller, action, resource:
                        asked_about.append(str(resource)) or ask(self, caller, action, resource))
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    result = run("what-can-access", ROLE, str(tmp_path / "template.yaml"), "--format", "json")
    assert result.code == 0, result.err
    rows = {row["resource"]: row for row in result.json()["access"]}
    assert rows["*"]["decision"] == "allowed"
    # a Deny for anyone without TLS changes the answer there: its own row, conditional
    tls = rows["arn:aws:s3:::tls-only"]
    assert tls["decision"] == "conditional"
    assert tls["conditions"][0]["key"] == "aws:SecureTransport"
    # a policy naming only another account cannot change this role's answer: no row, and the
    # bucket is not even asked about
    assert not any("partner-drop" in resource for resource in rows)
    assert not any("partner-drop" in resource for resource in asked_about)
    assert "arn:aws:s3:::tls-only" in asked_about
    # the role's own conditional Deny on part of `*`: its own row
    audit = rows["arn:aws:s3:::audit-*/*"]
    assert audit["decision"] == "conditional"
    assert audit["conditions"][0]["key"] == "aws:SourceIp"
