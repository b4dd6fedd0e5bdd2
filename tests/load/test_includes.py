"""Local files a template includes, read as `sam package` and CloudFormation deploy them (load/includes.py).

AWS pages pinned:
- AWS::Include (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-aws-include.html):
  the file's contents are inserted where the transform stands, anywhere in the template; a snippet
  cannot use AWS::Include itself;
- macro evaluation order (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-macros.html):
  embedded transforms run before the Transform section, so SAM sees an included OpenAPI body inline;
- `sam package` (aws-sam-cli samcli/lib/package/artifact_exporter.py, include_transform_export_handler):
  a local Location relative to the template's folder is uploaded, a missing one fails, an S3 URI is
  left as it is (its content is then not in the inputs: unknown, never an error, never nothing).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from permcheck.load import includes
from permcheck.load.inputs import Options, load_inventory
from permcheck.model.location import InputError
from tests.cli_helpers import run

SAM = "Transform: AWS::Serverless-2016-10-31\n"
TRUST = "{Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}"
POLICY_JSON = '{"Version": "2012-10-17",\n "Statement": [\n  {"Effect": "Allow",\n   "Action": "s3:GetObject",\n' \
              '   "Resource": "arn:aws:s3:::reports/*"}]}\n'
SWAGGER = 'swagger: "2.0"\ninfo: {title: orders}\npaths:\n  /orders:\n    get: {}\n'
REST_API = SAM + """Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters:
            Location: {location}
      Auth:
        Authorizers:
          Lambda:
            FunctionArn: !GetAtt Authorizer.Arn
        DefaultAuthorizer: Lambda
      Cors: "'*'"
  Authorizer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.handler
      Runtime: python3.12
"""


@pytest.fixture(autouse=True)
def _own_expansion(monkeypatch):
    from permcheck.load.sam import official as sam_official
    monkeypatch.setattr(sam_official, "available", lambda: False)


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder / next(iter(files))


def role_template(location: str, extra: str = "") -> str:
    return f"""Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {TRUST}
      Policies:
        - PolicyName: included
          PolicyDocument:
            Fn::Transform:
              Name: AWS::Include
              Parameters:
                Location: {location}
{extra}"""


def access(template: Path) -> list[dict]:
    result = run("what-can-access", "Role", str(template), "--format", "json")
    assert result.code == 0, result.err
    return result.json()["access"]


def test_an_included_openapi_body_beside_auth_and_cors_is_read_as_sam_sees_it(tmp_path):
    template = write(tmp_path, {"template.yaml": REST_API.format(location="./api/swagger.yaml"),
                                "api/swagger.yaml": SWAGGER})
    inventory = load_inventory([str(template)], Options())
    authorizer = next(f for f in inventory.functions.values() if f.logical_id == "Authorizer")
    (statement,) = authorizer.policy.statements
    assert [str(p.value) for p in statement.principals] == ["apigateway.amazonaws.com"]


def test_included_statements_carry_their_own_file_and_line(tmp_path):
    template = write(tmp_path, {"template.yaml": role_template("policies/read.json"), "policies/read.json": POLICY_JSON})
    (row,) = access(template)
    assert row["resource"] == "arn:aws:s3:::reports/*" and row["decision"] == "allowed"
    assert [(b["file"], b["line"]) for b in row["because"]] == [(str(tmp_path / "policies" / "read.json"), 3)]


def test_an_include_beside_other_keys_adds_its_keys(tmp_path):
    template = write(tmp_path, {"template.yaml": """Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {TRUST}
      Fn::Transform:
        Name: AWS::Include
        Parameters:
          Location: policies.yaml
""".replace("{TRUST}", TRUST), "policies.yaml": """Policies:
  - PolicyName: from-snippet
    PolicyDocument:
      Statement:
        - Effect: Allow
          Action: sqs:SendMessage
          Resource: arn:aws:sqs:us-east-1:123456789012:jobs
"""})
    (row,) = access(template)
    assert row["actions"] == ["sqs:SendMessage"]
    assert [(b["file"], b["line"]) for b in row["because"]] == [(str(tmp_path / "policies.yaml"), 5)]


def test_an_s3_include_in_a_value_makes_what_depends_on_it_unknown(tmp_path):
    template = write(tmp_path, {"template.yaml": role_template("s3://shared-bucket/policy.json")})
    (row,) = access(template)
    assert row["decision"] == "conditional"
    assert row["conditions"] == [{"unknown": "content of included: the content of s3://shared-bucket/policy.json "
                                             "(AWS::Include: not a local file, so not in the inputs)"}]


def test_an_s3_include_of_resources_makes_every_principal_and_function_unknown(tmp_path):
    template = write(tmp_path, {"template.yaml": role_template("read.json", """  Fn::Transform:
    Name: AWS::Include
    Parameters:
      Location: s3://shared-bucket/more-resources.yaml
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
      Code: {ZipFile: x}
"""), "read.json": POLICY_JSON})
    reason = (f"the content of s3://shared-bucket/more-resources.yaml, included by AWS::Include at {template}:13 "
              "(not a local file, so not in the inputs)")
    rows = access(template)
    assert {"unknown": f"content of AWS::Include content: {reason}"} in rows[0]["conditions"]
    answer = run("who-can-invoke", "Fn", str(template), "--format", "json").json()
    name = answer["function"].rsplit(":", 1)[1]
    unknown = {"unknown": f"content of resource policy of {name}: {reason}"}
    assert answer["principals"]
    for principal in answer["principals"]:  # the role (directly), lambda.amazonaws.com (through it)
        assert principal["decision"] == "conditional" and unknown in principal["conditions"], principal
        assert (str(template), 13) in {(b["file"], b["line"]) for b in principal["because"]}


def test_an_s3_openapi_body_beside_auth_is_read_not_refused(tmp_path):
    template = write(tmp_path, {"template.yaml": REST_API.format(location="s3://shared-bucket/swagger.yaml")})
    inventory = load_inventory([str(template)], Options())
    assert any(f.logical_id == "Authorizer" for f in inventory.functions.values())


def test_a_missing_local_file_is_an_error_at_its_line(tmp_path):
    template = write(tmp_path, {"template.yaml": role_template("missing.json")})
    with pytest.raises(InputError, match=r"AWS::Include Location 'missing.json': no such file") as error:
        load_inventory([str(template)], Options())
    assert (error.value.location.file, error.value.location.line) == (str(template), 12)


def test_an_included_file_that_includes_again_is_refused(tmp_path):
    template = write(tmp_path, {"template.yaml": role_template("a.yaml"),
                                "a.yaml": "Statement:\n  Fn::Transform:\n    Name: AWS::Include\n"
                                          "    Parameters: {Location: template.yaml}\n"})
    with pytest.raises(InputError, match="does not process nested includes") as error:
        load_inventory([str(template)], Options())
    assert error.value.location.line == 2


@pytest.mark.parametrize("location", ["../outside.json", "/etc/hostname", "link/outside.json"])
def test_a_path_that_leaves_the_template_folder_is_refused(tmp_path, location):
    (tmp_path / "outside.json").write_text(POLICY_JSON)
    inner = tmp_path / "app"
    inner.mkdir()
    os.symlink(tmp_path, inner / "link")
    template = write(inner, {"template.yaml": role_template(location)})
    with pytest.raises(InputError, match="absolute path|leaves the template's folder") as error:
        load_inventory([str(template)], Options())
    assert error.value.location.line == 12


def test_a_key_on_both_sides_is_refused(tmp_path):
    template = write(tmp_path, {"template.yaml": """Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {TRUST}
      Fn::Transform: {Name: AWS::Include, Parameters: {Location: trust.yaml}}
""".replace("{TRUST}", TRUST), "trust.yaml": f"AssumeRolePolicyDocument: {TRUST}\n"})
    with pytest.raises(InputError, match="'AssumeRolePolicyDocument' is both in the template"):
        load_inventory([str(template)], Options())


def test_included_bytes_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(includes, "MAX_INCLUDED_BYTES", 50)
    template = write(tmp_path, {"template.yaml": role_template("read.json"), "read.json": POLICY_JSON})
    with pytest.raises(InputError, match="more than 50 bytes"):
        load_inventory([str(template)], Options())


def test_a_directory_walk_reads_an_included_policy_once(tmp_path):
    write(tmp_path, {"template.yaml": role_template("read.json"),
                     "read.json": POLICY_JSON.replace("s3:GetObject", "s3:*").replace('"arn:aws:s3:::reports/*"', '"*"')})
    result = run("check", str(tmp_path), "--format", "json")
    findings = [(f["rule"], f["resource"], Path(f["file"]).name) for f in result.json()["findings"]]
    assert findings == [("service-wildcard-action", "Role", "read.json"), ("wildcard-resource-write", "Role", "read.json")]


def test_a_local_definition_uri_must_exist(tmp_path):
    body = SAM + """Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionUri: openapi/api.yaml
"""
    template = write(tmp_path, {"template.yaml": body})
    with pytest.raises(InputError, match="DefinitionUri 'openapi/api.yaml': no such file") as error:
        load_inventory([str(template)], Options())
    assert error.value.location.line == 6
    write(tmp_path, {"openapi/api.yaml": "openapi: 3.0.1\ninfo: {title: x}\npaths: {}\n"})
    load_inventory([str(template)], Options())


STATEMENTS = st.lists(st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Deny"]),
    "Action": st.sampled_from(["s3:GetObject", "s3:*", "sqs:SendMessage", "*"]),
    "Resource": st.sampled_from(["*", "arn:aws:s3:::reports/*", "arn:aws:sqs:us-east-1:123456789012:jobs"])}),
    min_size=1, max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(statements=STATEMENTS)
def test_an_included_policy_decides_as_the_same_policy_written_inline(tmp_path_factory, statements):
    """Invariant: inlining is all AWS::Include does; only the places in `because` differ."""
    folder = tmp_path_factory.mktemp("inc")
    document = {"Version": "2012-10-17", "Statement": statements}
    included = write(folder, {"included.yaml": role_template("policy.json"), "policy.json": json.dumps(document)})
    inline = write(folder, {"inline.yaml": role_template("x").replace(
        "            Fn::Transform:\n              Name: AWS::Include\n              Parameters:\n"
        "                Location: x\n", "            " + json.dumps(document) + "\n")})

    def answers(path):
        return sorted((r["resource"], tuple(r["actions"]), r["decision"], json.dumps(r["conditions"]))
                      for r in access(path))
    assert answers(included) == answers(inline)
