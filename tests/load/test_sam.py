"""permcheck's SAM expander: what each SAM construct grants, where `because` points, and errors.

Expected values restate what the official transform (aws-sam-translator 1.110.0) writes; the
corpus test (tests/corpus/test_sam_corpus.py) checks the same against SAM's own outputs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.graph.query import who_can_invoke
from permcheck.report.answers_json import to_json
from permcheck.load.decode import read_file
from permcheck.load.inputs import Options, load_inventory
from permcheck.load.intrinsics import Deployment
from permcheck.load.sam.expand import expand_sam
from permcheck.model.location import InputError

HEAD = "Transform: AWS::Serverless-2016-10-31\n"
FN = """
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
"""


@pytest.fixture(autouse=True)
def _no_official_translator(monkeypatch):
    """Unit tests pin down permcheck's own expansion, whatever else is installed."""
    from permcheck.load.sam import official as sam_official
    monkeypatch.setattr(sam_official, "available", lambda: False)


def write(tmp_path, body: str, name: str = "template.yaml") -> Path:
    path = tmp_path / name
    if body.startswith("\n"):
        body = "Resources:" + body
    path.write_text(HEAD + body)
    return path


def load(tmp_path, body: str, **options):
    return load_inventory([str(write(tmp_path, body))], Options(**options))


def expand(tmp_path, body: str, **parameters):
    path = write(tmp_path, body)
    return expand_sam(str(path), read_file(str(path)), Deployment(), parameters)


def function(inventory, logical_id="Fn"):
    return next(f for f in inventory.functions.values() if f.logical_id == logical_id)


def statements(inventory, logical_id="Fn"):
    """Every resource-policy statement on the function or one of its aliases."""
    arn = str(function(inventory, logical_id).arn)
    return [s for f in inventory.functions.values() if f.policy for s in f.policy.statements
            if any(str(r) == arn or str(r).startswith(arn + ":") for r in s.resources)]


def conditions(statement) -> dict:
    return {(c.operator, c.key.lower()): [str(v) for v in c.values] for c in statement.conditions}


def role_of(inventory, logical_id="Fn"):
    return inventory.roles[str(function(inventory, logical_id).role)]


def role_statements(inventory, logical_id="Fn"):
    return [s for p in role_of(inventory, logical_id).policies for s in p.statements]


def line_of_text(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def event(kind: str, props: str) -> str:
    return FN + f"""      Events:
        Ev:
          Type: {kind}
          Properties:
{props}"""


# -- push events: the permission and its conditions -------------------------------------------------
PUSH = {
    "S3": ("""            Bucket: !Ref Bucket
            Events: s3:ObjectCreated:*
  Bucket:
    Type: AWS::S3::Bucket
""", "s3.amazonaws.com", {("StringEquals", "aws:sourceaccount"): ["123456789012"]}),
    "SNS": ("""            Topic: arn:aws:sns:us-east-1:123456789012:topic
""", "sns.amazonaws.com", {("ArnLike", "aws:sourcearn"): ["arn:aws:sns:us-east-1:123456789012:topic"]}),
    "Api": ("""            Path: /orders/{id}
            Method: get
""", "apigateway.amazonaws.com",
            {("ArnLike", "aws:sourcearn"): [
                "arn:aws:execute-api:us-east-1:123456789012:${?generated REST API id of ServerlessRestApi}/*/GET/orders/*"]}),
    "HttpApi": ("""            Path: /orders
            Method: post
""", "apigateway.amazonaws.com",
                {("ArnLike", "aws:sourcearn"): [
                    "arn:aws:execute-api:us-east-1:123456789012:${?generated API id of ServerlessHttpApi}/*/POST/orders"]}),
    "Schedule": ("""            Schedule: rate(1 minute)
            Name: nightly
""", "events.amazonaws.com", {("ArnLike", "aws:sourcearn"): ["arn:aws:events:us-east-1:123456789012:rule/nightly"]}),
    "EventBridgeRule": ("""            Pattern: {source: [aws.ec2]}
            RuleName: ec2-rule
""", "events.amazonaws.com", {("ArnLike", "aws:sourcearn"): ["arn:aws:events:us-east-1:123456789012:rule/ec2-rule"]}),
    "CloudWatchEvent": ("""            Pattern: {source: [aws.ec2]}
            RuleName: cwe-rule
""", "events.amazonaws.com", {("ArnLike", "aws:sourcearn"): ["arn:aws:events:us-east-1:123456789012:rule/cwe-rule"]}),
    "CloudWatchLogs": ("""            LogGroupName: app-logs
            FilterPattern: ERROR
""", "logs.amazonaws.com",
                       {("ArnLike", "aws:sourcearn"): ["arn:aws:logs:us-east-1:123456789012:log-group:app-logs:*"]}),
    "IoTRule": ("""            Sql: SELECT * FROM 'topic'
""", "iot.amazonaws.com", {("ArnLike", "aws:sourcearn"): [
        "arn:aws:iot:us-east-1:123456789012:rule/${?Ref to AWS::IoT::TopicRule FnEv}"],
        ("StringEquals", "aws:sourceaccount"): ["123456789012"]}),
    "AlexaSkill": ("""            SkillId: amzn1.ask.skill.12345
""", "alexa-appkit.amazon.com", {("StringEquals", "lambda:eventsourcetoken"): ["amzn1.ask.skill.12345"]}),
    "Cognito": ("""            UserPool: !Ref Pool
            Trigger: PreSignUp
  Pool:
    Type: AWS::Cognito::UserPool
""", "cognito-idp.amazonaws.com", {("ArnLike", "aws:sourcearn"): ["${?Fn::GetAtt Pool.Arn (AWS::Cognito::UserPool)}"]}),
}


@pytest.mark.parametrize("kind", sorted(PUSH))
def test_push_event_permission(tmp_path, kind):
    props, principal, expected = PUSH[kind]
    inventory = load(tmp_path, event(kind, props))
    found = statements(inventory)
    assert len(found) == 1, found
    statement = found[0]
    assert [str(p.value) for p in statement.principals] == [principal]
    assert statement.actions == ("lambda:InvokeFunction",)
    got = {k: [v.replace(f" in {tmp_path}/template.yaml", "") for v in vs] for k, vs in conditions(statement).items()}
    assert got == expected
    assert statement.source_note == f"created by SAM: Fn.Events.Ev ({kind})"


def test_notes_name_the_sam_resource(tmp_path):
    """A statement SAM created carries the SAM resource and event as fields (`sam_resource`, `sam_event`),
    read from its note."""
    from permcheck.load.source_notes import sam_event, sam_logical_id
    inventory = load(tmp_path, event("SNS", "            Topic: arn:aws:sns:us-east-1:123456789012:topic\n"))
    assert statements(inventory)[0].sam_resource == "Fn"
    assert statements(inventory)[0].sam_event == "Ev"
    assert all(s.sam_event is None for s in role_statements(inventory))  # the role is the function's, no event's
    assert sam_logical_id(statements(inventory)[0].source_note) == "Fn"
    assert all(s.sam_resource in ("Fn", None) for s in role_statements(inventory))  # managed: "in X, attached here"
    assert sam_logical_id("created by SAM (official transform): Api.Events.X") == "Api"
    assert sam_event("created by SAM (official transform): Api.Events.X") == "X"
    assert sam_event("created by SAM: Fn.DeploymentPreference") is None
    assert sam_logical_id("hand-written") is None


def test_because_points_at_the_events_entry(tmp_path):
    path = write(tmp_path, event("SNS", "            Topic: arn:aws:sns:us-east-1:123456789012:topic\n"))
    inventory = load_inventory([str(path)], Options())
    edges = Edges(Index(inventory))
    answer = to_json(who_can_invoke(edges, edges.index.function("Fn")))
    sns = next(e for e in answer["principals"] if e["principal"] == "sns.amazonaws.com")
    assert sns["because"] == [{"file": str(path), "line": line_of_text(path, "Ev:"), "policy": "FnEvPermission",
                               "sid": "FnEvPermission", "note": "created by SAM: Fn.Events.Ev (SNS)"}]


def test_sns_to_sqs_subscription_grants_no_invoke_but_polls(tmp_path):
    inventory = load(tmp_path, event("SNS", "            Topic: arn:aws:sns:us-east-1:123456789012:t\n"
                                            "            SqsSubscription: true\n"))
    assert statements(inventory) == []
    assert any(p.name == "AWSLambdaSQSQueueExecutionRole" for p in role_of(inventory).policies)
    queue = next(r for r in inventory.resources.values() if r.logical_id == "FnEvQueue")
    assert queue.policy is not None and queue.policy.statements[0].conditions[0].values == (
        "arn:aws:sns:us-east-1:123456789012:t",)


def test_api_permission_names_every_stage_of_an_explicit_api(tmp_path):
    inventory = load(tmp_path, event("Api", "            Path: /a/\n            Method: any\n"
                                            "            RestApiId: !Ref MyApi\n") + """
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
""")
    (statement,) = statements(inventory)
    assert [str(v) for v in statement.conditions[0].values] == [
        f"arn:aws:execute-api:us-east-1:123456789012:${{?generated REST API id of MyApi in {tmp_path}/template.yaml}}"
        "/*/*/a"]


# -- poll-based sources: the execution role --------------------------------------------------------
@pytest.mark.parametrize("kind,props,managed", [
    ("SQS", "            Queue: arn:aws:sqs:us-east-1:123456789012:q\n", "AWSLambdaSQSQueueExecutionRole"),
    ("Kinesis", "            Stream: arn:aws:kinesis:us-east-1:123456789012:stream/s\n"
                "            StartingPosition: LATEST\n", "AWSLambdaKinesisExecutionRole"),
    ("DynamoDB", "            Stream: arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x\n"
                 "            StartingPosition: LATEST\n", "AWSLambdaDynamoDBExecutionRole"),
    ("MSK", "            Stream: arn:aws:kafka:us-east-1:123456789012:cluster/c/x\n"
            "            StartingPosition: LATEST\n            Topics: [t]\n", "AWSLambdaMSKExecutionRole"),
])
def test_poll_event_adds_the_managed_policy_at_the_events_line(tmp_path, kind, props, managed):
    path = write(tmp_path, event(kind, props))
    inventory = load_inventory([str(path)], Options())
    policy = next(p for p in role_of(inventory).policies if p.name == managed)
    assert policy.statements and {s.location.line for s in policy.statements} == {line_of_text(path, "Ev:")}
    assert statements(inventory) == []


def test_mq_and_documentdb_add_inline_statements(tmp_path):
    inventory = load(tmp_path, event("MQ", """            Broker: arn:aws:mq:us-east-1:123456789012:broker:b
            Queues: [q]
            SourceAccessConfigurations:
              - Type: BASIC_AUTH
                URI: arn:aws:secretsmanager:us-east-1:123456789012:secret:s
"""))
    actions = {a for s in role_statements(inventory) for a in s.actions}
    assert {"secretsmanager:GetSecretValue", "mq:DescribeBroker"} <= actions


def test_self_managed_kafka_without_auth_is_sams_error(tmp_path):
    with pytest.raises(InputError, match="No SourceAccessConfigurations"):
        load(tmp_path, event("SelfManagedKafka", "            KafkaBootstrapServers: [b:9092]\n"
                                                 "            Topics: [t]\n"))


# -- Policies -----------------------------------------------------------------------------------------
def test_policies_inline_managed_and_templates(tmp_path):
    path = write(tmp_path, FN + """      Policies:
        - Statement:
            - Effect: Allow
              Action: s3:GetObject
              Resource: arn:aws:s3:::bucket/*
        - AmazonDynamoDBReadOnlyAccess
        - DynamoDBCrudPolicy:
            TableName: !Ref Table
        - SQSSendMessagePolicy:
            QueueName: orders
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders-table
""")
    inventory = load_inventory([str(path)], Options())
    role = role_of(inventory)
    by_name = {p.name: p for p in role.policies}
    assert "AmazonDynamoDBReadOnlyAccess" in by_name and by_name["AmazonDynamoDBReadOnlyAccess"].unknown is None
    crud = by_name["FnRolePolicy2"].statements[0]
    assert "dynamodb:PutItem" in crud.actions
    assert crud.resources == ("arn:aws:dynamodb:us-east-1:123456789012:table/orders-table",
                              "arn:aws:dynamodb:us-east-1:123456789012:table/orders-table/index/*")
    assert crud.location.line == line_of_text(path, "- DynamoDBCrudPolicy")
    assert by_name["FnRolePolicy3"].statements[0].resources == ("arn:aws:sqs:us-east-1:123456789012:orders",)
    assert by_name["FnRolePolicy0"].statements[0].location.line == line_of_text(path, "- Effect: Allow")
    basic = by_name["AWSLambdaBasicExecutionRole"]
    assert basic.statements and basic.statements[0].location.line == line_of_text(path, "  Fn:")


def test_policy_template_parameter_stays_an_intrinsic_for_the_resolver(tmp_path):
    body = """Parameters:
  TableParam:
    Type: String
    Default: default-table
Resources:""" + FN + """      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref TableParam
"""
    expanded = expand(tmp_path, body)
    document = expanded["Resources"]["FnRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert document["Statement"][0]["Resource"][0]["Fn::Sub"][1]["tableName"] == {"Ref": "TableParam"}
    inventory = load_inventory([str(tmp_path / "template.yaml")], Options(parameters={"TableParam": "given"}))
    assert "arn:aws:dynamodb:us-east-1:123456789012:table/given" in role_statements(inventory)[0].resources


def test_managed_policy_name_resolves_with_sams_map_and_partition(tmp_path):
    inventory = load(tmp_path, FN + "      Policies: AWSLambdaRole\n", region="cn-north-1")
    assert "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaRole" in {p.arn for p in role_of(inventory).policies}


def test_missing_template_parameter_is_sams_error(tmp_path):
    with pytest.raises(InputError, match="Following required parameters of template 'DynamoDBCrudPolicy'"):
        load(tmp_path, FN + "      Policies:\n        - DynamoDBCrudPolicy: {}\n")


def test_unknown_policy_template_fails_closed(tmp_path):
    with pytest.raises(InputError, match=r"does not define policy template NoSuchThingPolicy.*permcheck\[sam\]") as error:
        load(tmp_path, FN + "      Policies:\n        - NoSuchThingPolicy:\n            Name: x\n")
    assert error.value.location.line == 10


# -- role, boundary, Globals -------------------------------------------------------------------------
def test_role_override_generates_no_role(tmp_path):
    inventory = load(tmp_path, FN + "      Role: arn:aws:iam::123456789012:role/given\n")
    assert str(function(inventory).role) == "arn:aws:iam::123456789012:role/given"
    assert not inventory.roles


def test_permissions_boundary_and_path(tmp_path):
    inventory = load(tmp_path, FN + "      PermissionsBoundary: arn:aws:iam::123456789012:policy/boundary\n"
                                    "      RolePath: /app/\n")
    role = role_of(inventory)
    assert role.boundary is not None and role.boundary.arn == "arn:aws:iam::123456789012:policy/boundary"
    assert "role/app/" in str(role.arn)


def test_globals_merge_and_tracing(tmp_path):
    body = """Globals:
  Function:
    Tracing: Active
    PermissionsBoundary: arn:aws:iam::123456789012:policy/b
Resources:""" + FN
    inventory = load(tmp_path, body)
    role = role_of(inventory)
    assert {"AWSXrayWriteOnlyAccess", "AWSLambdaBasicExecutionRole"} <= {p.name for p in role.policies}
    assert role.boundary is not None


def test_globals_with_an_unsupported_property_is_sams_error(tmp_path):
    with pytest.raises(InputError, match="'Policies' is not a supported property of 'Function'"):
        load(tmp_path, "Globals:\n  Function:\n    Policies: [AWSLambdaRole]\nResources:" + FN)


def test_dead_letter_queue_and_destinations(tmp_path):
    inventory = load(tmp_path, FN + """      DeadLetterQueue:
        Type: SQS
        TargetArn: arn:aws:sqs:us-east-1:123456789012:dlq
      EventInvokeConfig:
        DestinationConfig:
          OnFailure:
            Type: SNS
""")
    found = {(a, str(r)) for s in role_statements(inventory) for a in s.actions for r in s.resources}
    assert ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:dlq") in found
    assert any(a == "sns:publish" and "FnEventInvokeConfigOnFailureTopic" in r for a, r in found)


# -- function URL and alias --------------------------------------------------------------------------
def test_function_url_auth_none_is_public(tmp_path):
    path = write(tmp_path, FN + "      FunctionUrlConfig:\n        AuthType: NONE\n")
    inventory = load_inventory([str(path)], Options())
    found = {s.actions[0]: s for s in statements(inventory)}
    url = found["lambda:InvokeFunctionUrl"]
    assert [str(p.value) for p in url.principals] == ["*"]
    assert conditions(url) == {("StringEquals", "lambda:functionurlauthtype"): ["NONE"]}
    assert conditions(found["lambda:InvokeFunction"]) == {("Bool", "lambda:invokedviafunctionurl"): ["true"]}
    assert url.location.line == line_of_text(path, "FunctionUrlConfig:")
    assert url.source_note == "created by SAM: Fn.FunctionUrlConfig (AuthType NONE)"
    assert function(inventory).urls[0].auth_type == "NONE"
    edges = Edges(Index(inventory))
    answer = to_json(who_can_invoke(edges, edges.index.function("Fn")))
    anyone = [e for e in answer["principals"] if e["principal"] == "*" and "lambda:InvokeFunctionUrl" in e["actions"]]
    assert anyone and anyone[0]["decision"] == "allowed"


def test_function_url_aws_iam_grants_nothing(tmp_path):
    inventory = load(tmp_path, FN + "      FunctionUrlConfig:\n        AuthType: AWS_IAM\n")
    assert statements(inventory) == [] and function(inventory).urls[0].auth_type == "AWS_IAM"


def test_auto_publish_alias_permissions_target_the_alias(tmp_path):
    body = event("SNS", "            Topic: arn:aws:sns:us-east-1:123456789012:topic\n") \
        .replace("      Runtime: python3.12\n", "      Runtime: python3.12\n      AutoPublishAlias: live\n")
    expanded = expand(tmp_path, body)
    resources = expanded["Resources"]
    assert resources["FnAliaslive"]["Type"] == "AWS::Lambda::Alias"
    assert resources["FnEvPermission"]["Properties"]["FunctionName"] == {"Ref": "FnAliaslive"}
    inventory = load_inventory([str(tmp_path / "template.yaml")], Options())
    (statement,) = statements(inventory)
    assert str(statement.resources[0]).endswith(":live")


def test_auto_publish_alias_from_a_parameter(tmp_path):
    body = "Parameters:\n  Alias:\n    Type: String\n    Default: blue\nResources:" + FN + \
        "      AutoPublishAlias: !Ref Alias\n"
    assert "FnAliasgreen" in expand(tmp_path, body, Alias="green")["Resources"]


# -- other SAM resources ----------------------------------------------------------------------------
def test_lambda_authorizer_permission(tmp_path):
    inventory = load(tmp_path, FN + """
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        Authorizers:
          Token:
            FunctionArn: !GetAtt Fn.Arn
""")
    (statement,) = statements(inventory)
    assert str(statement.conditions[0].values[0]).endswith("/authorizers/*")
    assert statement.source_note == "created by SAM: MyApi.Auth.Authorizers.Token (Lambda authorizer)"


def test_connector_grants_the_source_role(tmp_path):
    inventory = load(tmp_path, FN + """
  Table:
    Type: AWS::Serverless::SimpleTable
  Conn:
    Type: AWS::Serverless::Connector
    Properties:
      Source: {Id: Fn}
      Destination: {Id: Table}
      Permissions: [Read]
""")
    actions = {a for s in role_statements(inventory) for a in s.actions}
    assert "dynamodb:GetItem" in actions and "dynamodb:PutItem" not in actions


def test_embedded_connector_lambda_permission(tmp_path):
    inventory = load(tmp_path, FN + """
  Topic:
    Type: AWS::SNS::Topic
    Connectors:
      ToFn:
        Properties:
          Destination: {Id: Fn}
          Permissions: [Write]
""")
    (statement,) = statements(inventory)
    assert [str(p.value) for p in statement.principals] == ["sns.amazonaws.com"]


def test_state_machine_role_may_invoke_the_function(tmp_path):
    (tmp_path / "statemachine.asl.json").write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}')
    inventory = load(tmp_path, FN + """
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine.asl.json
      Policies:
        - LambdaInvokePolicy:
            FunctionName: !Ref Fn
""")
    edges = Edges(Index(inventory))
    answer = to_json(who_can_invoke(edges, edges.index.function("Fn")))
    assert any("MachineRole" in e["principal"] for e in answer["principals"])


def test_schedule_v2_role(tmp_path):
    inventory = load(tmp_path, event("ScheduleV2", "            ScheduleExpression: rate(1 hour)\n"))
    role = next(r for r in inventory.roles.values() if r.logical_id == "FnEvRole")
    assert role.trust.statements[0].principals[0].value == "scheduler.amazonaws.com"
    assert role.policies[0].statements[0].actions == ("lambda:InvokeFunction",)


# -- errors --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body,message", [
    ("Resources: {}\n", "'Resources' section is required"),
    ("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n"
     "      Runtime: python3.12\n", "Runtime and Handler needs to be present"),
    ("Resources:" + FN + "      Colour: blue\n",
     r"does not define property Colour of AWS::Serverless::Function \(Fn\).*pip install \"permcheck\[sam\]\""),
    ("Resources:" + FN + "      AutoPublishAlias: not*valid\n", "must contain only alphanumeric"),
    ("Resources:" + FN + "      FunctionUrlConfig: {Cors: {}}\n", "AuthType is required"),
    ("Resources:" + event("S3", "            Bucket: some-bucket\n            Events: s3:ObjectCreated:*\n"),
     "S3 events must reference an S3 bucket in the same template"),
    ("Resources:" + event("Api", "            Path: /x\n"), "Property 'Method' is required"),
])
def test_templates_sam_rejects_are_clean_errors(tmp_path, body, message):
    with pytest.raises(InputError, match=message) as error:
        load(tmp_path, body)
    assert error.value.location.file.endswith("template.yaml") and error.value.location.line


def test_unknown_event_type_fails_closed(tmp_path):
    with pytest.raises(InputError, match=r"does not define event type Carrier \(Fn.Events.Ev\).*permcheck\[sam\]"):
        load(tmp_path, event("Carrier", "            Pigeon: yes\n"))


def test_unknown_sam_resource_type_fails_closed(tmp_path):
    with pytest.raises(InputError, match="resource type AWS::Serverless::Teleporter"):
        load(tmp_path, "Resources:\n  T:\n    Type: AWS::Serverless::Teleporter\n")


def test_the_cli_reports_a_sam_error_as_one_line(tmp_path):
    from tests.cli_helpers import run
    path = write(tmp_path, "Resources:" + FN + "      Colour: blue\n")
    result = run("who-can-invoke", "Fn", str(path))
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err.startswith(f"permcheck: error: {path}:{line_of_text(path, 'Colour')}: SAM 1.110.0, whose "
                                 "expansion permcheck knows, does not define property Colour")
    assert len(result.err.splitlines()) == 1


def test_the_expansion_never_changes_the_template(tmp_path):
    path = write(tmp_path, "Globals:\n  Function:\n    Timeout: 3\nResources:" + event(
        "Api", "            Path: /x\n            Method: get\n"))
    document = read_file(str(path))
    before = repr(document)
    expand_sam(str(path), document, Deployment(), {})
    assert repr(document) == before


# -- the data and the fallback -----------------------------------------------------------------------
def test_the_normal_path_does_not_import_the_translator(tmp_path):
    path = write(tmp_path, FN + "      Policies: [AWSLambdaRole, {S3ReadPolicy: {BucketName: b}}]\n")
    code = ("import sys; from permcheck.load.inputs import load_inventory, Options; "
            f"load_inventory([{str(path)!r}], Options()); print('samtranslator' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_vendored_sam_data_is_attributed():
    data = Path(__file__).resolve().parents[2] / "permcheck" / "data" / "sam"
    for name in ("policy_templates.json", "aws_managed_policies.json", "connector_profiles.json", "LICENSE",
                 "NOTICE", "ATTRIBUTION.md"):
        assert (data / name).is_file(), name
    assert "1.110.0" in (data / "ATTRIBUTION.md").read_text()
    assert "Apache License" in (data / "LICENSE").read_text()


def test_official_translator_fallback_for_what_permcheck_does_not_know(tmp_path, monkeypatch):
    # aws-sam-translator is in the `test` extra (pyproject.toml), so CI always runs this
    pytest.importorskip("samtranslator", reason="aws-sam-translator is not installed (pip install -e '.[test]')")
    from permcheck.load.sam import official as sam_official
    from permcheck.load.sam import schema as sam_schema
    monkeypatch.setattr(sam_official, "available", lambda: True)  # undo this module's autouse fixture
    monkeypatch.delitem(sam_schema.FUNCTION_EVENTS, "SQS")  # as if permcheck did not know SQS events
    path = write(tmp_path, event("SQS", "            Queue: arn:aws:sqs:us-east-1:123456789012:q\n"))
    inventory = load_inventory([str(path)], Options())
    assert "AWSLambdaSQSQueueExecutionRole" in {p.name for p in role_of(inventory).policies}
    assert function(inventory).location.line == line_of_text(path, "  Fn:")


def test_a_property_permcheck_does_not_know_goes_to_the_official_translator(tmp_path, monkeypatch):
    """A property a newer SAM defines is read by the official translator; a typo is its error."""
    pytest.importorskip("samtranslator", reason="aws-sam-translator is not installed (pip install -e '.[test]')")
    from permcheck.load.sam import official as sam_official
    from permcheck.load.sam import schema as sam_schema
    monkeypatch.setattr(sam_official, "available", lambda: True)
    schema = dict(sam_schema.RESOURCES["AWS::Serverless::Function"])
    del schema["Description"]  # as if SAM 1.110.0 had not defined it
    monkeypatch.setitem(sam_schema.RESOURCES, "AWS::Serverless::Function", schema)
    path = write(tmp_path, "Resources:" + FN + "      Description: newer\n"
                 "      Policies: [{S3ReadPolicy: {BucketName: reports}}]\n")
    inventory = load_inventory([str(path)], Options())
    assert any("arn:aws:s3:::reports/*" in map(str, s.resources) for s in role_statements(inventory))
    assert function(inventory).location.line == line_of_text(path, "  Fn:")
    typo = write(tmp_path, "Resources:" + FN + "      Colour: blue\n", "typo.yaml")
    with pytest.raises(InputError, match="SAM transform error: .*property Colour not defined"):
        load_inventory([str(typo)], Options())
