"""Event sources wired to functions in CloudFormation templates → `Inventory.triggers` (load/cfn_triggers*.py).

Each test takes a template of the shape applications deploy — from tests/data/corpus/real-sam, the
CloudFormation the official SAM transform writes (tests/data/corpus/sam-translator/…/output), or a
minimal one where neither holds the source — and names the AWS page that says how that service
invokes Lambda and with which permission.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from permcheck.load.inputs import Options, load_inventory
from permcheck.model.triggers import Invocation
from tests.conftest import CORPUS

REAL_SAM = CORPUS / "real-sam"
SAM_OUTPUT = CORPUS / "sam-translator" / "tests" / "translator" / "output"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def triggers(path: Path, **options) -> list:
    return load_inventory([str(path)], Options(**options)).triggers


def written(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(body)
    return path


def one(found: list, **fields):
    """The one trigger whose fields have these values (`str()` of each compared)."""
    matching = [t for t in found if all(str(getattr(t, k)) == str(v) for k, v in fields.items())]
    assert len(matching) == 1, (fields, [(t.source, t.logical_id, t.event) for t in found])
    return matching[0]


def plain(value: object, path: Path) -> str:
    """A value's text with the template's path taken out of the unknowns that name it."""
    return str(value).replace(f" in {path}", "")


def writes(trigger, path: Path) -> list[tuple[str, str]]:
    return [(w.action, plain(w.resource, path)) for w in trigger.writes]


FUNCTION = """  Fn:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: work, Role: arn:aws:iam::123456789012:role/r, Runtime: python3.12, Handler: i.h,
                 Code: {ZipFile: x}}
"""


# -- event source mappings ----------------------------------------------------------------------------
def test_an_sqs_mapping_is_fired_by_who_may_send_to_the_queue():
    """https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html: Lambda polls the queue with the
    function's role (sqs:ReceiveMessage, DeleteMessage, GetQueueAttributes); a sender needs sqs:SendMessage."""
    path = REAL_SAM / "serverless-samples/queue-based-ingestion/python-sam/template.yaml"
    trigger = one(triggers(path), source="sqs")
    queue = "arn:aws:sqs:us-east-1:123456789012:job-request-queue-${?stack name of " + str(path) + "}"
    assert str(trigger.resource) == queue
    assert plain(trigger.function, path) == ARN + "${?generated name of SQSMessageProcessorFunction}"
    assert trigger.invocation is Invocation.POLL and trigger.service is None and not trigger.public
    assert writes(trigger, path) == [("sqs:SendMessage", queue)]
    assert [w.action for w in trigger.reads] == ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    assert trigger.logical_id == "SQSMessageProcessorFunctionMySQSEvent"
    assert trigger.source_note == "created by SAM: SQSMessageProcessorFunction.Events.MySQSEvent (SQS)"
    assert trigger.location.file == str(path) and trigger.location.line == 110  # the Events entry


def test_stream_mappings_name_the_alias_and_the_table_a_writer_changes():
    """https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html and with-kinesis.html: a stream's
    records come from writes to the table (PutItem, UpdateItem…) or PutRecord(s) on the stream."""
    path = SAM_OUTPUT / "function_with_alias_and_event_sources.json"
    found = triggers(path)
    alias = ARN + "${?generated name of MyAwesomeFunction}:Live"
    table = one(found, source="dynamodb")
    assert str(table.resource) == "arn:aws:dynamodb:us-west-2:012345678901:table/TestTable/stream/2015-05-11T21:21:33.291"
    assert plain(table.function, path) == alias  # FunctionName: Ref to the alias
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-west-2:012345678901:table/TestTable") in writes(table, path)
    assert table.logical_id == "MyAwesomeFunctionDDBStream" and table.location.line == 171
    stream = one(found, source="kinesis")
    assert writes(stream, path) == [("kinesis:PutRecord", "arn:aws:kinesis:us-west-2:012345678901:stream/my-stream"),
                                    ("kinesis:PutRecords", "arn:aws:kinesis:us-west-2:012345678901:stream/my-stream")]
    assert "kinesis:GetRecords" in [w.action for w in stream.reads]


@pytest.mark.parametrize("name, source", [("function_with_amq", "mq"), ("documentdb_with_intrinsics", "rds"),
                                          ("function_with_auth_mechanism_for_self_managed_kafka", "kafka")])
def test_broker_mappings_are_decided_outside_iam(name, source):
    """https://docs.aws.amazon.com/lambda/latest/dg/with-mq.html, with-kafka.html, with-documentdb.html:
    producers authenticate to the broker or cluster, not with IAM: no writes, a note, never no one."""
    path = SAM_OUTPUT / f"{name}.json"
    trigger = one(triggers(path), source=source)
    assert trigger.writes == () and trigger.invocation is Invocation.POLL
    assert "decided by the broker" in trigger.producers
    if source == "kafka":  # SelfManagedEventSource: brokers named by address
        assert trigger.resource == "kafka://abc.xyz.com:9092,123.45.67.89:9096"


def test_a_mapping_whose_source_is_unknown_is_still_a_trigger(tmp_path):
    """AWS::Lambda::EventSourceMapping with an imported queue: the source is unknown, the wiring is not."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref Fn, EventSourceArn: !ImportValue shared-queue-arn}
""")
    trigger = one(triggers(path), logical_id="Mapping")
    assert trigger.function == ARN + "work" and trigger.source == "unknown"
    assert "not known" in trigger.producers


# -- S3 -------------------------------------------------------------------------------------------------
def test_a_bucket_notification_is_fired_by_object_writes(tmp_path):
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html:
    s3:ObjectCreated:* is raised by PutObject (and copies, multipart uploads) on a key the filter admits;
    S3 invokes the function asynchronously as s3.amazonaws.com."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: uploads
      NotificationConfiguration:
        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: !GetAtt Fn.Arn
            Filter:
              S3Key:
                Rules: [{Name: prefix, Value: incoming/}, {Name: suffix, Value: .csv}]
          - Event: s3:ObjectRemoved:*
            Function: !GetAtt Fn.Arn
""")
    created = one(triggers(path), event="s3:ObjectCreated:*")
    assert (created.source, created.resource, created.function) == ("s3", "arn:aws:s3:::uploads", ARN + "work")
    assert writes(created, path) == [("s3:PutObject", "arn:aws:s3:::uploads/incoming/*")]
    assert created.notes == ("only keys ending '.csv'",) and created.service == "s3.amazonaws.com"
    assert created.invocation is Invocation.ASYNC and created.logical_id == "Uploads" and created.location.line == 12
    removed = one(triggers(path), event="s3:ObjectRemoved:*")
    assert ("s3:DeleteObject", "arn:aws:s3:::uploads/*") in writes(removed, path) and removed.location.line == 17


def test_a_sam_s3_event_is_the_buckets_notification():
    """The S3 event of a SAM function (real-sam): SAM writes it into the bucket's NotificationConfiguration."""
    path = REAL_SAM / "serverless-test-samples/python-test-samples/async-lambda-dynamodb/template.yaml"
    trigger = one(triggers(path), logical_id="SourceBucket")
    stack = "${?stack name of " + str(path) + "}"
    assert str(trigger.resource) == f"arn:aws:s3:::async-source-{stack}-123456789012"
    assert str(trigger.function) == f"{ARN}ToUppercaseTextTransformer-{stack}-123456789012"
    assert trigger.source_note == "created by SAM: ToUppercaseTextTransformer.Events.FileUpload (S3)"
    assert trigger.notes == ("only keys ending '.txt'",) and trigger.location.line == 90


# -- SNS -------------------------------------------------------------------------------------------------
def test_a_lambda_subscription_is_fired_by_who_may_publish():
    """https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html: SNS invokes the function
    asynchronously (sns.amazonaws.com) for each message published to the topic (sns:Publish)."""
    path = SAM_OUTPUT / "sns_existing_other_subscription.json"
    trigger = one(triggers(path), source="sns")
    topic = "arn:aws:sns:us-east-1:123456789012:${?generated name of Notifications}"
    assert plain(trigger.resource, path) == topic and writes(trigger, path) == [("sns:Publish", topic)]
    assert plain(trigger.function, path) == ARN + "${?generated name of SaveNotificationFunction}"
    assert trigger.service == "sns.amazonaws.com" and trigger.invocation is Invocation.ASYNC
    assert trigger.logical_id == "SaveNotificationFunctionNotificationTopic" and trigger.location.line == 37


def test_a_topics_own_subscription_list_counts_too(tmp_path):
    """AWS::SNS::Topic `Subscription` (Protocol lambda); other protocols are not functions."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
      Subscription:
        - {Protocol: email, Endpoint: ops@example.com}
        - {Protocol: lambda, Endpoint: !GetAtt Fn.Arn}
""")
    trigger = one(triggers(path), source="sns")
    assert (trigger.resource, trigger.function, trigger.logical_id) == (
        "arn:aws:sns:us-east-1:123456789012:alerts", ARN + "work", "Alerts")
    assert trigger.location.line == 12


def test_sqs_subscriptions_are_deliveries_to_their_queues(tmp_path):
    """Protocol `sqs`, as a subscription resource (RawMessageDelivery, FilterPolicy as notes) or in a
    topic's own list: the topic delivers to the queue, no function is wired.
    https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html"""
    path = written(tmp_path, """Resources:
  Orders:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: orders
      Subscription:
        - {Protocol: sqs, Endpoint: !GetAtt Audit.Arn}
  Audit:
    Type: AWS::SQS::Queue
    Properties: {QueueName: audit}
  Work:
    Type: AWS::SQS::Queue
    Properties: {QueueName: work}
  WorkSubscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Orders
      Protocol: sqs
      Endpoint: !GetAtt Work.Arn
      RawMessageDelivery: true
      FilterPolicy: {type: [order]}
""")
    inventory = load_inventory([str(path)], Options())
    assert inventory.triggers == []
    topic, queue = "arn:aws:sns:us-east-1:123456789012:orders", "arn:aws:sqs:us-east-1:123456789012:"
    said = {(d.resource, d.target, d.logical_id, d.location.line, d.notes) for d in inventory.deliveries}
    assert said == {(topic, queue + "audit", "Orders", 7, ()),
                    (topic, queue + "work", "WorkSubscription", 15,
                     ("raw message delivery: the queue gets the message as published",
                      "a filter policy chooses which messages"))}
    assert {(d.delivers.action, d.delivers.resource) for d in inventory.deliveries} == {
        ("sqs:SendMessage", queue + "audit"), ("sqs:SendMessage", queue + "work")}


# -- EventBridge and Scheduler ------------------------------------------------------------------------------
def test_a_rule_is_fired_by_who_may_put_events_on_its_bus():
    """https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge.html: events.amazonaws.com invokes
    the target asynchronously for each event on the rule's bus (events:PutEvents) that matches."""
    path = REAL_SAM / "serverless-test-samples/python-test-samples/integrated-application-test-kit/plugins/" \
                      "plugin_tester/template.yaml"
    trigger = one(triggers(path), logical_id="PluginSuccessRule")
    pattern = '{"detail-type":[{"prefix":"plugin-complete"}],"source":[{"prefix":"video.plugin"}]}'
    assert trigger.event == pattern and trigger.notes == (f"events matching {pattern}",)
    assert plain(trigger.resource, path) == "arn:aws:events:us-east-1:123456789012:rule/${?generated name of " \
                                            "PluginSuccessRule}"
    assert writes(trigger, path) == [("events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/default")]
    assert trigger.service == "events.amazonaws.com" and trigger.location.line == 51


def test_a_rule_on_a_custom_bus_and_a_scheduled_rule(tmp_path):
    """A rule's ARN is rule/BUS/NAME on a custom bus (AWS::Events::Rule return values); a scheduled rule
    only AWS fires (no writes)."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  OnOrder:
    Type: AWS::Events::Rule
    Properties:
      Name: on-order
      EventBusName: !Sub arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/orders
      EventPattern: {source: [shop]}
      State: DISABLED
      Targets:
        - {Arn: !GetAtt Fn.Arn, Id: fn}
        - {Arn: arn:aws:sqs:us-east-1:123456789012:audit, Id: queue}
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: cron(0 3 * * ? *)
      Targets: [{Arn: !GetAtt Fn.Arn, Id: fn}]
""")
    found = triggers(path)
    order = one(found, logical_id="OnOrder")
    assert order.resource == "arn:aws:events:us-east-1:123456789012:rule/orders/on-order"
    assert writes(order, path) == [("events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/orders")]
    assert "the rule is disabled (State: DISABLED)" in order.notes and order.location.line == 14
    nightly = one(found, logical_id="Nightly")
    assert nightly.event == "cron(0 3 * * ? *)" and nightly.writes == ()


def test_a_schedule_only_aws_fires():
    """https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets.html: EventBridge
    Scheduler invokes the target with the schedule's role; nobody's request makes it run."""
    path = SAM_OUTPUT / "function_with_event_schedule_state.json"
    trigger = one(triggers(path), logical_id="ScheduledFunctionScheduleV2MoreProperties")
    assert trigger.resource == "arn:aws:scheduler:us-east-1:123456789012:schedule/group-name/test-scheduler"
    assert (trigger.source, trigger.event, trigger.writes) == ("scheduler", "rate(1 minute)", ())
    assert trigger.location.line == 284


# -- Step Functions ---------------------------------------------------------------------------------------
def test_a_state_machine_is_fired_by_who_may_start_it():
    """https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html: a Task whose Resource is
    the function ARN; who may states:StartExecution the machine makes it run (its role invokes)."""
    path = REAL_SAM / "serverless-test-samples/python-test-samples/step-functions-local-lambda/template.yaml"
    found = triggers(path)
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:StepFunctionsLambdaStateMachine"
    for name in ("StepFunctionExampleSumLambda", "StepFunctionExampleSquareLambda"):
        trigger = one(found, function=ARN + name)
        assert trigger.resource == machine and trigger.invocation is Invocation.SYNC
        assert writes(trigger, path) == [("states:StartExecution", machine), ("states:StartSyncExecution", machine)]
        assert trigger.logical_id == "StepFunctionsLambdaStateMachine" and trigger.location.line == 44


def test_nested_states_and_the_invoke_integration(tmp_path):
    """Parallel branches, Map ItemProcessor, `lambda:invoke.waitForTaskToken` with Parameters.FunctionName,
    `${Placeholder}` from DefinitionSubstitutions; `FunctionName.$` is chosen at run time (not a wiring)."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: flow
      RoleArn: arn:aws:iam::123456789012:role/sfn
      DefinitionSubstitutions: {Worker: !GetAtt Fn.Arn}
      Definition:
        StartAt: P
        States:
          P:
            Type: Parallel
            End: true
            Branches:
              - StartAt: A
                States:
                  A: {Type: Task, Resource: "${Worker}", End: true}
              - StartAt: M
                States:
                  M:
                    Type: Map
                    End: true
                    ItemProcessor:
                      StartAt: B
                      States:
                        B:
                          Type: Task
                          Resource: arn:aws:states:::lambda:invoke.waitForTaskToken
                          Parameters: {FunctionName: "work:live", Payload.$: "$"}
                          Next: C
                        C:
                          Type: Task
                          Resource: arn:aws:states:::lambda:invoke
                          Parameters: {FunctionName.$: "$.fn"}
                          End: true
""")
    found = triggers(path)
    assert sorted((str(t.function), t.location.line) for t in found) == [(ARN + "work", 21), (ARN + "work:live", 31)]
    assert {t.resource for t in found} == {"arn:aws:states:us-east-1:123456789012:stateMachine:flow"}
    # https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html: the
    # machine calls Lambda as its RoleArn, so that role's policies decide the invoke
    assert {t.role for t in found} == {"arn:aws:iam::123456789012:role/sfn"}


# -- API Gateway ----------------------------------------------------------------------------------------------
def test_rest_methods_and_their_resource_paths():
    """https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html: a method with
    AuthorizationType NONE lets anyone call it; API Gateway (apigateway.amazonaws.com) invokes the function."""
    path = REAL_SAM / "serverless-samples/apigw-header-routing/template-path-based-routing.yaml"
    trigger = one(triggers(path), logical_id="OrdersMethod")
    api = "arn:aws:execute-api:us-east-1:123456789012:${?generated REST API id of OrdersApi}/*/GET/"
    assert (plain(trigger.resource, path), trigger.event, trigger.function) == (api, "GET /", ARN + "OrdersFunction")
    assert trigger.public and trigger.authorization == "NONE" and trigger.service == "apigateway.amazonaws.com"
    assert writes(trigger, path) == [("execute-api:Invoke", api)] and trigger.location.line == 156


def test_a_method_chain_with_an_api_key_is_not_public(tmp_path):
    """AWS::ApiGateway::Resource PathPart chain; ApiKeyRequired with NONE: its key holders, not anyone
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html)."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: shop}
  Orders:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: orders}
  Order:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Orders, PathPart: "{id}"}
  AnyOrder:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Order
      HttpMethod: ANY
      AuthorizationType: NONE
      ApiKeyRequired: true
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}:live/invocations
""")
    trigger = one(triggers(path), logical_id="AnyOrder")
    assert trigger.event == "ANY /orders/{id}" and trigger.function == ARN + "work:live"
    assert plain(trigger.resource, path).endswith("${?generated REST API id of Api}/*/*/orders/*")
    assert (trigger.authorization, trigger.public, trigger.location.line) == ("API_KEY", False, 24)


def test_a_rest_api_body_routes_with_their_security():
    """An OpenAPI `Body` (x-amazon-apigateway-integration, security): a SAM API's DefinitionBody,
    included from a file, with a Lambda authorizer on every method and an API key the API requires.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html"""
    path = REAL_SAM / "serverless-samples/serverless-rest-api/python-rest-sam/template.yaml"
    found = triggers(path)
    assert len(found) == 13 and {t.authorization for t in found} == {"CUSTOM"}
    trigger = one(found, event="GET /locations/{locationid}")
    assert plain(trigger.resource, path).endswith("${?generated REST API id of RestAPI}/*/GET/locations/*")
    assert plain(trigger.function, path) == ARN + "${?generated name of LocationsFunction}"
    assert trigger.logical_id == "RestAPI" and trigger.source_note == "created by SAM: RestAPI (AWS::Serverless::Api)"
    assert trigger.location.file.endswith("src/api/swagger.yaml") and trigger.location.line == 51


def test_a_cloudformation_rest_api_body(tmp_path):
    """AWS::ApiGateway::RestApi Body: a method without security is NONE (anyone), securityDefinitions
    name a user pool; `x-amazon-apigateway-any-method` is ANY."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: "2.0"
        paths:
          /pets/{id}:
            get:
              security: [{Users: []}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
        securityDefinitions:
          Users: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: cognito_user_pools}
""")
    found = triggers(path)
    get = one(found, event="GET /pets/{id}")
    assert (get.authorization, get.public, get.location.line) == ("COGNITO_USER_POOLS", False, 16)
    anything = one(found, event="ANY /pets/{id}")
    assert anything.public and plain(anything.resource, path).endswith("/*/*/pets/*")


def test_http_and_websocket_routes(tmp_path):
    """AWS::ApiGatewayV2::Route + Integration: HTTP routes `METHOD /path`; a WebSocket API authorizes
    only `$connect`, so its message routes are fired by whoever may connect
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-control-access.html)."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: h, ProtocolType: HTTP}
  HttpTarget:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Http, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn,
                 PayloadFormatVersion: "2.0"}
  Post:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Http, RouteKey: "POST /orders/{id}", AuthorizationType: JWT,
                 Target: !Sub "integrations/${HttpTarget}"}
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: w, ProtocolType: WEBSOCKET, RouteSelectionExpression: "$request.body.action"}
  WsTarget:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Ws
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Ws, RouteKey: "$connect", AuthorizationType: AWS_IAM,
                 Target: !Join [/, [integrations, !Ref WsTarget]]}
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Ws, RouteKey: send, Target: !Join [/, [integrations, !Ref WsTarget]]}
""")
    found = triggers(path)
    post = one(found, logical_id="Post")
    assert post.event == "POST /orders/{id}" and post.authorization == "JWT" and not post.public
    assert plain(post.resource, path).endswith("${?generated API id of Http}/*/POST/orders/*")
    assert post.location.line == 16
    send = one(found, logical_id="Send")
    connect = plain(one(found, logical_id="Connect").resource, path)
    assert plain(send.resource, path).endswith("/*/send") and connect.endswith("/*/$connect")
    assert send.authorization == "AWS_IAM" and writes(send, path) == [("execute-api:Invoke", connect)]


def test_a_websocket_connect_route_with_an_api_key():
    """The Route and Integration SAM writes for a WebSocketApi (sam-translator output): ApiKeyRequired."""
    path = SAM_OUTPUT / "websocket_api_route_config.json"
    trigger = one(triggers(path), logical_id="MyApiConnectRoute")
    assert (trigger.event, trigger.authorization, trigger.public, trigger.location.line) == (
        "$connect", "API_KEY", False, 123)


# -- Cognito, IoT, CloudWatch Logs -----------------------------------------------------------------------------
def test_user_pool_triggers_are_fired_by_anyone_who_signs_up():
    """https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-identity-pools-working-with-aws-lambda-triggers.html:
    Cognito (cognito-idp.amazonaws.com) calls each trigger synchronously during sign-up and sign-in."""
    path = SAM_OUTPUT / "cognito_userpool_with_event.json"
    found = triggers(path)
    assert sorted(t.event for t in found) == ["PostConfirmation", "PreSignUp", "VerifyAuthChallengeResponse"]
    trigger = one(found, event="PreSignUp")
    assert trigger.public and trigger.service == "cognito-idp.amazonaws.com" and trigger.logical_id == "UserPool"
    assert plain(trigger.function, path) == ARN + "${?generated name of ImplicitApiFunction}"
    assert trigger.location.line == 81


def test_custom_senders_name_their_lambda(tmp_path):
    """LambdaConfig.CustomSMSSender / CustomEmailSender hold {LambdaArn, LambdaVersion}."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      LambdaConfig:
        KMSKeyID: arn:aws:kms:us-east-1:123456789012:key/k
        CustomSMSSender: {LambdaArn: !GetAtt Fn.Arn, LambdaVersion: V1_0}
""")
    assert [(t.event, t.function) for t in triggers(path)] == [("CustomSMSSender", ARN + "work")]


def test_an_iot_rule_is_fired_by_who_may_publish_on_its_topics():
    """https://docs.aws.amazon.com/iot/latest/developerguide/lambda-rule-action.html: iot.amazonaws.com
    invokes the function asynchronously for each message on a topic the rule's SQL selects (iot:Publish)."""
    path = SAM_OUTPUT / "iot_rule.json"
    trigger = one(triggers(path), logical_id="IoTRuleFuncMyIoTRule")
    assert writes(trigger, path) == [("iot:Publish", "arn:aws:iot:us-east-1:123456789012:topic/topic/test")]
    assert trigger.service == "iot.amazonaws.com" and trigger.location.line == 36


def test_topic_filter_wildcards(tmp_path):
    """https://docs.aws.amazon.com/iot/latest/developerguide/topics.html: `+` one level, `#` the rest."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Rule:
    Type: AWS::IoT::TopicRule
    Properties:
      RuleName: temps
      TopicRulePayload:
        Sql: "SELECT temp FROM 'devices/+/temp/#' WHERE temp > 50"
        Actions: [{Lambda: {FunctionArn: !GetAtt Fn.Arn}}]
""")
    trigger = one(triggers(path), source="iot")
    assert trigger.resource == "arn:aws:iot:us-east-1:123456789012:rule/temps"
    assert writes(trigger, path) == [("iot:Publish", "arn:aws:iot:us-east-1:123456789012:topic/devices/*/temp/*")]


def test_a_log_subscription_is_fired_by_who_may_write_logs():
    """https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html: logs.amazonaws.com
    delivers the group's log events to the function (logs:PutLogEvents on the group's streams)."""
    path = SAM_OUTPUT / "cloudwatchlog.json"
    trigger = one(triggers(path), source="logs")
    assert trigger.resource == "arn:aws:logs:us-east-1:123456789012:log-group:MyCWLogGroup"
    assert writes(trigger, path) == [("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:MyCWLogGroup:*")]
    assert trigger.logical_id == "TriggeredFunctionCWLogEvent" and trigger.location.line == 27


# -- load balancers and AppSync -----------------------------------------------------------------------------------
ALB = "Resources:\n" + FUNCTION + """  Balancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Scheme: SCHEME, Subnets: [subnet-1, subnet-2]}
  Group:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      TargetType: lambda
      Targets:
        - Id: !GetAtt Fn.Arn
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Balancer
      Port: 443
      Protocol: HTTPS
      DefaultActions: ACTIONS
"""


@pytest.mark.parametrize("scheme, actions, public, note", [
    ("internet-facing", "[{Type: forward, TargetGroupArn: !Ref Group}]", True, None),
    ("internal", "[{Type: forward, TargetGroupArn: !Ref Group}]", False, "scheme internal"),
    ("internet-facing", "[{Type: authenticate-oidc, Order: 1}, {Type: forward, Order: 2, TargetGroupArn: !Ref Group}]",
     False, "authenticate-oidc"),
    ("internet-facing", "[{Type: fixed-response}]", False, "no listener"),
])
def test_a_lambda_target_group_behind_its_listener(tmp_path, scheme, actions, public, note):
    """https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html: the load
    balancer invokes the function for each request a listener forwards; no IAM action sends requests."""
    path = written(tmp_path, ALB.replace("SCHEME", scheme).replace("ACTIONS", actions))
    trigger = one(triggers(path), logical_id="Group")
    assert (trigger.source, trigger.function, trigger.public, trigger.writes) == (
        "elasticloadbalancing", ARN + "work", public, ())
    assert trigger.service == "elasticloadbalancing.amazonaws.com" and trigger.location.line == 14
    assert (trigger.notes == ()) if note is None else note in trigger.notes[0]


def test_an_appsync_lambda_data_source():
    """https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html: an AWS_IAM API is called
    by who may appsync:GraphQL it; AppSync invokes the function with the data source's role."""
    path = SAM_OUTPUT / "graphqlapi_resolver_function_with_lambda_datasource.json"
    trigger = one(triggers(path), source="appsync")
    api = "arn:aws:appsync:us-east-1:123456789012:apis/${?Fn::GetAtt SuperCoolAPI.ApiId (AWS::AppSync::GraphQLApi)}"
    assert plain(trigger.resource, path) == api and writes(trigger, path) == [("appsync:GraphQL", api + "/*")]
    assert (trigger.function, trigger.authorization, trigger.service) == (ARN + "my-lambda-arn", "AWS_IAM", None)
    assert trigger.logical_id == "SuperCoolAPIMyDataSourceLambdaDataSource" and trigger.location.line == 149


def test_an_appsync_api_with_user_pools_is_conditional():
    """A SAM GraphQLApi (real-sam) authorized by a Cognito user pool: whoever the pool admits."""
    path = REAL_SAM / "serverless-samples/owasp-api-security-controls-demo/owasp-api-security-controls-demo/rewards/" \
                      "template.yaml"
    trigger = one(triggers(path), source="appsync")
    assert trigger.authorization == "COGNITO_USER_POOLS" and not trigger.public
    assert trigger.source_note == "created by SAM: RewardsApi (AWS::Serverless::GraphQLApi)"


# -- what every reader shares --------------------------------------------------------------------------------------
def test_a_resource_whose_condition_is_false_wires_nothing(tmp_path):
    """A Condition that is false: CloudFormation does not create the resource, nor its wiring."""
    path = written(tmp_path, """Conditions:
  Never: !Equals [a, b]
Resources:
""" + FUNCTION + """  Subscription:
    Type: AWS::SNS::Subscription
    Condition: Never
    Properties: {Protocol: lambda, TopicArn: arn:aws:sns:us-east-1:123456789012:t, Endpoint: !GetAtt Fn.Arn}
""")
    assert triggers(path) == []


def test_a_target_that_is_not_a_function_is_not_a_trigger(tmp_path):
    """Rule targets, log destinations and schedule targets may be queues, streams or state machines."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [shop]}
      Targets: [{Arn: arn:aws:sqs:us-east-1:123456789012:q, Id: q}, {Arn: !ImportValue something, Id: u}]
  Filter:
    Type: AWS::Logs::SubscriptionFilter
    Properties: {LogGroupName: app, FilterPattern: "", DestinationArn: arn:aws:kinesis:us-east-1:123456789012:stream/s}
""")
    assert triggers(path) == []


def test_an_unresolvable_part_of_a_definition_does_not_refuse_the_template(tmp_path):
    """A value only a trigger reads that the resolver refuses stays unknown: the rest is still read."""
    path = written(tmp_path, "Resources:\n" + FUNCTION + """  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        paths:
          /a:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Missing.Arn}/invocations
          /b:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
""")
    assert [(t.event, t.function) for t in triggers(path)] == [("GET /b", ARN + "work")]
