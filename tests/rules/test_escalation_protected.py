"""privilege-escalation and what AWS protects: no path through roles or policies nobody can touch.

https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html (service-linked
roles are changed only by their service, and only it can assume them) and
https://repost.aws/knowledge-center/identity-center-aws-reserved-sso (AWS-reserved roles are
"only modifiable by AWS").
"""

from __future__ import annotations

import json

from tests.cli_helpers import run

ACCOUNT = "200611803367"
SSO_SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO"


def _role(arn: str, path: str, statements: list[dict]) -> dict:
    return {"Path": path, "RoleName": arn.rsplit("/", 1)[-1], "RoleId": "AROAEXAMPLE" + str(len(arn)), "Arn": arn,
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "sso.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
                                                                     "Statement": statements}}],
            "AttachedManagedPolicies": []}


def _escalations(tmp_path, roles: list[dict]) -> dict[str, str]:
    path = tmp_path / "auth.json"
    path.write_text(json.dumps({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles,
                                "Policies": []}))
    result = run("check", str(path), "--format", "json", "--fail-on", "critical")
    assert result.code == 0, result.err
    return {f["resource"]: f["message"] for f in result.json()["findings"] if f["rule"] == "privilege-escalation"}


RESERVED_CHANGES = [{"Effect": "Allow", "Action": ["iam:PutRolePolicy", "iam:AttachRolePolicy",
                                                   "iam:UpdateAssumeRolePolicy"],
                     "Resource": "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*"},
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]


def test_no_path_through_aws_reserved_roles_and_none_for_a_service_linked_role(tmp_path):
    ops = f"arn:aws:iam::{ACCOUNT}:role/ops"
    found = _escalations(tmp_path, [
        # Identity Center's own service-linked role (its policy, cut down): AWS acting, not a principal anyone can use
        _role(SSO_SLR, "/aws-service-role/sso.amazonaws.com/", RESERVED_CHANGES),
        # a principal of the account allowed the same changes: AWS refuses them
        _role(ops, "/", RESERVED_CHANGES),
        # the same on every role is a real path
        _role(f"arn:aws:iam::{ACCOUNT}:role/admin", "/", [
            {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "arn:aws:iam::*:role/*"}]),
    ])
    assert set(found) == {f"arn:aws:iam::{ACCOUNT}:role/admin"}, found
