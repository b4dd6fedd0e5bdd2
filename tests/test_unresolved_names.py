"""An unknown never hides a grant (CONTRACT.md, Inputs): a function or role whose physical name
cannot be resolved is still the one its template defines, every grant attached to it by
`Ref`/`GetAtt` applies to it, and every command gives one answer for it.

AWS pages pinned here:
- https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
  (FunctionName: "If you don't specify a name, CloudFormation generates a unique physical ID";
  `Ref` returns the function's name, `Fn::GetAtt … Arn` its ARN — the function itself, whatever
  its name turns out to be)
- https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-permission.html
  (FunctionName: "the name of the Lambda function, version, or alias", or its ARN)
- https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html (AuthType NONE: "Lambda doesn't
  perform any authentication"; the resource-based policy must grant public access)
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
  (across accounts both the identity policy and the resource's policy must allow)
"""

from __future__ import annotations

import pytest

from tests.cli_helpers import run

STACK_ID_NAME = """!Sub ["hook-${Id}", {Id: !Select [2, !Split ["/", !Ref AWS::StackId]]}]"""
NAMES = {  # the ways real templates leave a function's name to deploy time
    "stack-id": f"      FunctionName: {STACK_ID_NAME}\n",
    "generated": "",
    "parameter": "      FunctionName: !Ref HookName\n",
    "import": "      FunctionName: !ImportValue shared-hook-name\n",
}


def sam_url(name: str, auth: str) -> str:
    """A SAM function with a function URL (AuthType `auth`), named as `name` says."""
    return f"""\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  HookName: {{Type: String}}
Resources:
  HookFunction:
    Type: AWS::Serverless::Function
    Properties:
{NAMES[name]}      Handler: index.handler
      Runtime: python3.12
      InlineCode: "def handler(e, c): pass"
      FunctionUrlConfig:
        AuthType: {auth}
"""


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_public_url_of_a_function_with_an_unresolved_name_is_public_everywhere(tmp_path, name):
    """Issue 11, item 2: who-can-invoke said nobody, check nothing, diff nothing added."""
    template = write(tmp_path, "new/template.yaml", sam_url(name, "NONE"))
    invokers = run("who-can-invoke", "HookFunction", template, "--format", "json")
    assert invokers.code == 0, invokers.err
    rows = {(p["principal"], tuple(p["actions"])): p["decision"] for p in invokers.json()["principals"]}
    assert rows[("*", ("lambda:InvokeFunctionUrl",))] == "allowed"  # AuthType NONE: lambda:FunctionUrlAuthType is known

    check = run("check", template, "--format", "json")
    assert check.code == 1
    public = [f for f in check.json()["findings"] if f["rule"] == "public-invoke"]
    assert [f["resource"] for f in public] == ["HookFunction"]

    old = write(tmp_path, "old/template.yaml", sam_url(name, "AWS_IAM"))
    diff = run("diff", str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json")
    assert diff.code == 1
    added = {(a["principal"], a["action"], a["decision"]) for a in diff.json()["added"]}
    assert ("*", "lambda:InvokeFunctionUrl", "allowed") in added
    assert run("diff", old, old, "--format", "json").json()["added"] == []


PERMISSION = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      Role: !GetAtt FnRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Invoker:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: invoke
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Fn.Arn}]
  PublicPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: "*"
"""


def test_every_command_gives_one_answer_for_a_permission_on_ref_of_a_generated_name(tmp_path):
    """Issue 11, item 3: who-can-invoke said allowed, can and check conditional on the
    generated name. The Permission names its function by `Ref`, so the match is certain."""
    empty = write(tmp_path, "old/template.yaml", PERMISSION.split("  PublicPermission:")[0])
    template = write(tmp_path, "new/template.yaml", PERMISSION)
    invokers = run("who-can-invoke", "Fn", template, "--format", "json").json()
    arn = invokers["function"]
    assert "${?generated name of Fn in" in arn
    by_principal = {p["principal"]: p for p in invokers["principals"]}
    assert by_principal["*"]["decision"] == "allowed" and by_principal["*"]["conditions"] == []
    invoker_arn = next(p for p in by_principal if ":role/" in p)
    assert by_principal[invoker_arn]["decision"] == "allowed"  # its GetAtt Arn is that function too

    for resource in ("Fn", f"{template}#Fn", arn):  # a logical ID, FILE#LogicalId, and the ARN as printed
        answer = run("can", "*", "lambda:InvokeFunction", resource, template, "--format", "json").json()
        assert (answer["resource"], answer["decision"], answer["conditions"]) == (arn, "allowed", [])
    answer = run("can", "Invoker", "lambda:InvokeFunction", "Fn", template, "--format", "json").json()
    assert (answer["decision"], answer["conditions"]) == ("allowed", [])

    findings = run("check", template, "--format", "json").json()["findings"]
    public = [f for f in findings if f["rule"] == "public-invoke"]
    assert len(public) == 1 and public[0]["message"].endswith(": allowed") and "unknown" not in public[0]["message"]

    added = run("diff", str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json").json()["added"]
    assert [(a["principal"], a["action"], a["decision"], a["conditions"]) for a in added] == \
        [("*", "lambda:InvokeFunction", "allowed", [])]
    assert run("who-can-invoke", "Fn", empty, "--format", "json").code == 0


def test_a_role_with_a_generated_name_keeps_its_trust_and_grants(tmp_path):
    """Roles too: a role without RoleName is the role its template defines."""
    template = write(tmp_path, "t.yaml", PERMISSION.replace(
        "Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]\n  Invoker",
        'Principal: {AWS: "*"}, Action: sts:AssumeRole}]\n  Invoker'))
    findings = run("check", template, "--format", "json").json()["findings"]
    trust = [f for f in findings if f["rule"] == "trust-any-principal"]
    assert [f["resource"] for f in trust] == ["FnRole"] and trust[0]["message"].endswith(": allowed")
    access = run("what-can-access", "Invoker", template, "--format", "json").json()["access"]
    assert [(a["resource"].rsplit(":", 1)[-1], a["decision"]) for a in access] == \
        [(f"${{?generated name of Fn in {template}}}", "allowed")]


CROSS_ACCOUNT = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  CrossAccountID: {Type: String}
Resources:
  MachineRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: machine-role
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: states.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: invoke
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: lambda:InvokeFunction
                Resource: !Sub "arn:aws:lambda:${AWS::Region}:${CrossAccountID}:function:x"
"""


def test_a_grant_to_an_unresolved_account_is_conditional_on_it(tmp_path):
    """Issue 11, item 4, first half: it was `allowed`, as if the account were the role's own."""
    template = write(tmp_path, "t.yaml", CROSS_ACCOUNT)
    access = run("what-can-access", "MachineRole", template, "--format", "json").json()["access"]
    assert len(access) == 1
    row = access[0]
    assert row["resource"] == f"arn:aws:lambda:us-east-1:${{?parameter CrossAccountID in {template}}}:function:x"
    assert row["decision"] == "conditional"
    assert [c["unknown"] for c in row["conditions"]] == \
        [f"parameter CrossAccountID in {template}, the account of {row['resource']}"]
    assert [b["line"] for b in row["because"]] == [17]
    answer = run("can", "MachineRole", "lambda:InvokeFunction", row["resource"], template, "--format", "json").json()
    assert (answer["decision"], answer["conditions"]) == ("conditional", row["conditions"])


def test_a_grant_to_another_account_is_listed_with_aws_default_and_a_note(tmp_path):
    """Issue 11, item 4, second half: with the parameter given, the row disappeared. The other
    account's function is not in the inputs: AWS's default is no resource policy, so the
    cross-account request is denied — and the grant is still shown, saying so."""
    template = write(tmp_path, "t.yaml", CROSS_ACCOUNT)
    other = ("--parameter", "CrossAccountID=999999999999")
    access = run("what-can-access", "MachineRole", template, *other, "--format", "json").json()["access"]
    function = "arn:aws:lambda:us-east-1:999999999999:function:x"
    assert [(a["resource"], a["actions"], a["decision"]) for a in access] == \
        [(function, ["lambda:InvokeFunction"], "denied")]
    assert [b["line"] for b in access[0]["because"]] == [17]
    assert any("999999999999" in n and "not in the inputs" in n and "denies" in n for n in access[0]["notes"])
    answer = run("can", "MachineRole", "lambda:InvokeFunction", function, template, *other, "--format", "json").json()
    assert (answer["decision"], answer["notes"]) == ("denied", access[0]["notes"])

    graph = run("graph", template, *other, "--format", "json").json()
    assert [e for e in graph["edges"] if e["target"] == function] == []  # a picture of access: no may-access edge

    own = run("what-can-access", "MachineRole", template, "--parameter", "CrossAccountID=123456789012",
              "--format", "json").json()["access"]
    assert [(a["resource"], a["decision"]) for a in own] == \
        [("arn:aws:lambda:us-east-1:123456789012:function:x", "allowed")]  # within one account: the role's Allow suffices


def test_the_other_accounts_side_when_it_is_in_the_inputs_decides(tmp_path):
    """When the other account's function is in the inputs, its policy decides: no note."""
    template = write(tmp_path, "t.yaml", CROSS_ACCOUNT)
    policy = write(tmp_path, "policy.json", """{"Policy": "{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Sid\\":\\"s\\",\
\\"Effect\\":\\"Allow\\",\\"Principal\\":{\\"AWS\\":\\"arn:aws:iam::123456789012:role/machine-role\\"},\
\\"Action\\":\\"lambda:InvokeFunction\\",\\"Resource\\":\\"arn:aws:lambda:us-east-1:999999999999:function:x\\"}]}"}""")
    access = run("what-can-access", "MachineRole", template, policy, "--parameter", "CrossAccountID=999999999999",
                  "--account", "123456789012", "--format", "json").json()["access"]
    assert [(a["resource"], a["decision"], a.get("notes")) for a in access] == \
        [("arn:aws:lambda:us-east-1:999999999999:function:x", "allowed", None)]


@pytest.mark.parametrize("name", ["stack-id", "parameter"])
def test_two_templates_naming_functions_alike_define_two_functions(tmp_path, name):
    """A parameter's value and a stack's id are chosen per stack: two templates that build a
    name the same way from them define two functions (not one function created twice), even
    with the stack name given. Each is named by FILE#LogicalId."""
    for side in ("a", "b"):
        write(tmp_path, f"apps/{side}.yaml", sam_url(name, "NONE" if side == "a" else "AWS_IAM"))
    for side, public in (("a", True), ("b", False)):
        result = run("who-can-invoke", f"{tmp_path}/apps/{side}.yaml#HookFunction", str(tmp_path / "apps"),
                     "--parameter", "AWS::StackName=app", "--format", "json")
        assert result.code == 0, result.err
        assert f"apps/{side}.yaml" in result.json()["function"]
        assert any(p["principal"] == "*" for p in result.json()["principals"]) is public
