"""Role chains of any length: AWS limits a chained session's duration (one hour), not the number of
hops (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html, "Role
chaining"), so who-can-invoke follows a chain to its end; a cap would drop a caller without a word."""

import json

from tests.cli_helpers import run

HOPS = 8


def _template() -> dict:
    resources = {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": "target", "Role": "arn:aws:iam::123456789012:role/exec", "Runtime": "python3.12",
        "Handler": "index.handler", "Code": {"ZipFile": "def handler(e, c): pass"}}}}
    for i in range(HOPS + 1):
        trusted = {"Service": "ec2.amazonaws.com"} if i == 0 else {"AWS": f"arn:aws:iam::123456789012:role/hop{i - 1}"}
        allowed = ("sts:AssumeRole", f"arn:aws:iam::123456789012:role/hop{i + 1}") if i < HOPS else \
            ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:target")
        resources[f"Hop{i}"] = {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": f"hop{i}",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": trusted, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "next", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": allowed[0], "Resource": allowed[1]}]}}]}}
    return {"Resources": resources}


def test_a_chain_longer_than_five_hops_is_followed_to_its_end(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps(_template()))
    result = run("who-can-invoke", "Fn", str(path), "--format", "json")
    assert result.code == 0, result.err
    entries = {e["principal"]: e for e in result.json()["principals"]}
    first = entries["arn:aws:iam::123456789012:role/hop0"]
    assert first["decision"] == "allowed"
    assert first["via"] == [f"arn:aws:iam::123456789012:role/hop{i}" for i in range(1, HOPS + 1)]
