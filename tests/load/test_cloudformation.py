"""The CloudFormation loader: what each resource type contributes to the model.

AWS::Lambda::Permission: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-permission.html
AWS::Lambda::ResourcePolicy: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-resourcepolicy.html
"""

from __future__ import annotations


import pytest

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.graph.query import who_can_invoke
from permcheck.report.answers_json import to_json
from permcheck.load.inputs import Options, load_inventory
from permcheck.model.location import InputError

ROLE = """
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn, Runtime: python3.12, Handler: i.h, Code: {ZipFile: x}}
"""


def load(tmp_path, *bodies: str, **options):
    paths = []
    for i, body in enumerate(bodies):
        path = tmp_path / f"t{i}.yaml"
        path.write_text("Resources:" + body)
        paths.append(str(path))
    return load_inventory(paths, Options(**options))


def invokers(inventory, function_id="Fn") -> dict[str, str]:
    edges = Edges(Index(inventory))
    answer = to_json(who_can_invoke(edges, edges.index.function(function_id)))
    return {e["principal"]: e["decision"] for e in answer["principals"]}


def test_generated_names_of_two_templates_stay_apart(tmp_path):
    permission = ROLE + """
  Perm:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: sns.amazonaws.com}
"""
    inventory = load(tmp_path, permission, ROLE)
    assert len(inventory.functions) == 2 and len(inventory.roles) == 2
    with_policy = [f for f in inventory.functions.values() if f.policy]
    assert len(with_policy) == 1 and "t0.yaml" in str(with_policy[0].arn)


@pytest.mark.parametrize("name", ["my-fn", "arn:aws:lambda:us-east-1:123456789012:function:my-fn",
                                  "123456789012:function:my-fn", "!Ref Fn", "!GetAtt Fn.Arn"])
def test_permission_function_name_forms(tmp_path, name):
    body = ROLE.replace("Properties: {Role", "Properties: {FunctionName: my-fn, Role") + f"""
  Perm:
    Type: AWS::Lambda::Permission
    Properties: {{FunctionName: {name}, Action: lambda:InvokeFunction, Principal: "210987654321"}}
"""
    assert invokers(load(tmp_path, body)) == {"arn:aws:iam::210987654321:root": "allowed"}


def test_permission_with_a_qualifier_grants_the_alias_only(tmp_path):
    body = ROLE.replace("Properties: {Role", "Properties: {FunctionName: my-fn, Role") + """
  Perm:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: "my-fn:live", Action: lambda:InvokeFunction, Principal: "210987654321"}
"""
    edges = Edges(Index(load(tmp_path, body)))
    entries = to_json(who_can_invoke(edges, edges.index.function("Fn")))["principals"]
    assert [(e["principal"], e.get("qualifier")) for e in entries] == [("arn:aws:iam::210987654321:root", "live")]


def test_resource_policy_resource_replaces_permissions(tmp_path):
    body = ROLE.replace("Properties: {Role", "Properties: {FunctionName: my-fn, Role") + """
  Perm:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: "210987654321"}
  Whole:
    Type: AWS::Lambda::ResourcePolicy
    Properties:
      ResourceArn: !GetAtt Fn.Arn
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: sqs.amazonaws.com}, Action: lambda:InvokeFunction,
                     Resource: "*"}]
"""
    assert invokers(load(tmp_path, body)) == {"sqs.amazonaws.com": "allowed"}


def test_resource_with_a_false_condition_is_not_created(tmp_path):
    body = ROLE + """
  Perm:
    Type: AWS::Lambda::Permission
    Condition: Never
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: "*"}
"""
    path = tmp_path / "t.yaml"
    path.write_text("Conditions:\n  Never: !Equals [a, b]\nResources:" + body)
    assert invokers(load_inventory([str(path)], Options())) == {}


def test_policy_attached_by_iam_policy_resource(tmp_path):
    body = ROLE + """
  Caller:
    Type: AWS::IAM::Role
    Properties:
      RoleName: caller
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
  Grant:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: invoke
      Roles: [!Ref Caller]
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Fn.Arn}]
"""
    # ec2.amazonaws.com reaches the function by assuming the caller role (a chain, `via`)
    assert invokers(load(tmp_path, body)) == {"arn:aws:iam::123456789012:role/caller": "allowed",
                                              "ec2.amazonaws.com": "allowed"}


def test_unknown_customer_managed_policy_makes_the_answer_conditional(tmp_path):
    body = ROLE + """
  Caller:
    Type: AWS::IAM::Role
    Properties:
      RoleName: caller
      ManagedPolicyArns: [arn:aws:iam::123456789012:policy/not-here]
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]
"""
    assert invokers(load(tmp_path, body)) == {"arn:aws:iam::123456789012:role/caller": "conditional",
                                              "ec2.amazonaws.com": "conditional"}


def test_unsupported_permission_property_is_an_error(tmp_path):
    body = ROLE + """
  Perm:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: "*", Frobnicate: yes}
"""
    with pytest.raises(InputError, match="unsupported property 'Frobnicate'"):
        load(tmp_path, body)


def test_stack_name_is_unknown_unless_given(tmp_path):
    body = ROLE.replace("Properties: {Role", "Properties: {FunctionName: !Sub '${AWS::StackName}-fn', Role")
    assert "${?stack name of" in next(iter(load(tmp_path, body).functions))
    given = load(tmp_path, body, parameters={"AWS::StackName": "prod"})
    assert next(iter(given.functions)) == "arn:aws:lambda:us-east-1:123456789012:function:prod-fn"


def test_permission_on_an_alias_by_ref_lands_on_the_function(tmp_path):
    body = ROLE + """
  Live:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Fn, FunctionVersion: "1", Name: live}
  Perm:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Live, Action: lambda:InvokeFunction, Principal: "210987654321"}
"""
    inventory = load(tmp_path, body)
    assert len(inventory.functions) == 1
    edges = Edges(Index(inventory))
    entries = to_json(who_can_invoke(edges, edges.index.function("Fn")))["principals"]
    assert [(e["principal"], e.get("qualifier")) for e in entries] == [("arn:aws:iam::210987654321:root", "live")]


@pytest.mark.parametrize("bad,message", [
    ("Policies: true", "Policies must be a list"),
    ("ManagedPolicyArns: yes", "ManagedPolicyArns must be a list"),
])
def test_wrong_shapes_are_input_errors(tmp_path, bad, message):
    body = ROLE.replace("      AssumeRolePolicyDocument:", f"      {bad}\n      AssumeRolePolicyDocument:", 1)
    with pytest.raises(InputError, match=message):
        load(tmp_path, body)


def test_serverless_resource_without_the_transform_is_refused(tmp_path):
    body = """
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: i.h, Runtime: python3.12, InlineCode: x, FunctionUrlConfig: {AuthType: NONE}}
"""
    with pytest.raises(InputError, match="no Transform"):
        load(tmp_path, body)
