"""What SAM wires into other resources, as triggers (load/sam/trigger_facts.py → load/cfn_triggers_sam.py):
S3 and Cognito events, Api/HttpApi routes with the authorization samtranslator 1.110.0 gives them,
WebSocketApi routes and inline state machine definitions. Templates are SAM's own test inputs
(tests/data/corpus/sam-translator/…/input); tests/corpus/test_sam_triggers.py compares every one of them
with the CloudFormation the official transform wrote.
"""

from __future__ import annotations

from pathlib import Path

from permcheck.load.inputs import load_inventory
from tests.corpus.test_sam_corpus import OPTIONS, sam_input
from tests.load.test_triggers_cfn import one, plain, writes

SAM_INPUT = Path(__file__).resolve().parents[1] / "data" / "corpus" / "sam-translator" / "tests" / "translator" / \
    "input"
ARN = "arn:aws:lambda:ap-southeast-1:123456789012:function:"


def triggers(name: str, tmp_path: Path) -> tuple[list, Path]:
    path = sam_input(SAM_INPUT / f"{name}.yaml", tmp_path)
    return load_inventory([str(path)], OPTIONS).triggers, path


def test_api_events_take_the_apis_default_authorizer_unless_they_say_none(tmp_path):
    """A REST Api's DefaultAuthorizer AWS_IAM applies to each event's method; `Authorizer: NONE` opens it
    (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-api-apifunctionauth.html)."""
    found, path = triggers("api_with_default_aws_iam_auth_and_no_auth_route", tmp_path)
    said = {t.event: (t.authorization, t.public) for t in found}
    assert said == {"POST /": ("AWS_IAM", False), "ANY /any/iam": ("AWS_IAM", False), "GET /": ("NONE", True),
                    "ANY /any/none": ("NONE", True)}
    trigger = one(found, event="ANY /any/iam")
    api = "arn:aws:execute-api:ap-southeast-1:123456789012:${?generated REST API id of MyApiWithAwsIamAuth}/*/*/any/iam"
    assert plain(trigger.resource, path) == api and writes(trigger, path) == [("execute-api:Invoke", api)]
    assert plain(trigger.function, path) == ARN + "${?generated name of MyFunctionWithAwsIamAuth}"
    assert trigger.logical_id == "MyApiWithAwsIamAuth"  # the API whose definition SAM writes the route into
    assert trigger.source_note == "created by SAM: MyFunctionWithAwsIamAuth.Events.MyApiWithAwsIamAuthAnyMethod (Api)"
    assert trigger.location.line == 22  # the Events entry


def test_an_api_key_alone_is_its_holders(tmp_path):
    """Auth.ApiKeyRequired on the API, overridden by an event's `ApiKeyRequired: false`."""
    found, _ = triggers("api_with_apikey_default_override", tmp_path)
    said = {t.event: (t.authorization, t.public) for t in found}
    assert said == {"GET /ApiKeyDefault": ("API_KEY", False), "GET /ApiKeyTrue": ("API_KEY", False),
                    "GET /ApiKeyFalse": ("NONE", True)}


def test_http_api_events_and_their_authorizers(tmp_path):
    """An HttpApi's DefaultAuthorizer (a Lambda authorizer: CUSTOM), an event's JWT authorizer, AWS_IAM
    (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-httpapi-httpapiauth.html)."""
    found, path = triggers("http_api_multiple_authorizers", tmp_path)
    said = {t.event: t.authorization for t in found}
    assert said == {"$default": "CUSTOM", "GET /hello": "CUSTOM", "POST /hello": "CUSTOM", "PUT /hello": "JWT",
                    "GET /hello-aws-iam-auth": "AWS_IAM"}
    default = one(found, event="$default")
    assert plain(default.resource, path) == \
        "arn:aws:execute-api:ap-southeast-1:123456789012:${?generated API id of MyApi}/*/$default"


def test_an_event_on_an_api_whose_definition_sam_does_not_edit_adds_no_route(tmp_path):
    """An Api defined by an S3 DefinitionUri: SAM adds only a permission; the definition decides the routes."""
    found, _ = triggers("api_cache", tmp_path)
    assert found == []


def test_websocket_routes_are_fired_by_who_may_connect(tmp_path):
    """A WebSocketApi with AuthType AWS_IAM: `$connect` needs execute-api:Invoke."""
    found, _ = triggers("websocket_api_with_iam_auth", tmp_path)
    trigger = one(found, event="$connect")
    assert (trigger.authorization, trigger.public, trigger.logical_id) == ("AWS_IAM", False, "MyApiConnectRoute")
    assert trigger.source_note == "created by SAM: MyApi.Routes.$connect (WebSocket route)"


def test_s3_and_cognito_events_name_their_bucket_and_pool(tmp_path):
    """Cognito events become the pool's LambdaConfig triggers (one per name); S3 events the bucket's
    notification (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-cognito.html)."""
    found, _ = triggers("cognito_userpool_with_event", tmp_path)
    assert sorted((t.event, t.logical_id, t.source_note) for t in found) == [
        ("PostConfirmation", "UserPool", "created by SAM: ImplicitApiFunction.Events.TwoTrigger (Cognito)"),
        ("PreSignUp", "UserPool", "created by SAM: ImplicitApiFunction.Events.OneTrigger (Cognito)"),
        ("VerifyAuthChallengeResponse", "UserPool", "created by SAM: ImplicitApiFunction.Events.TwoTrigger (Cognito)")]
    found, _ = triggers("s3_create_remove", tmp_path)  # one LambdaConfiguration per event type
    assert sorted((t.event, t.resource, t.logical_id, t.source_note) for t in found) == [
        (event, "arn:aws:s3:::BucketNameParameter", "Images", "created by SAM: ThumbnailFunction.Events.ImageBucket (S3)")
        for event in ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")]


def test_a_sam_state_machines_inline_definition(tmp_path):
    """AWS::Serverless::StateMachine Definition: a `lambda:invoke` Task naming the function by `Ref`."""
    found, path = triggers("connector_sfn_to_function_without_policy", tmp_path)
    trigger = one(found, source="states")
    assert plain(trigger.function, path) == ARN + "${?generated name of MyFunction}"
    assert plain(trigger.resource, path) == \
        "arn:aws:states:ap-southeast-1:123456789012:stateMachine:${?generated name of TriggerStateMachine}"
    assert trigger.source_note == "created by SAM: TriggerStateMachine (AWS::Serverless::StateMachine)"
    assert trigger.logical_id == "TriggerStateMachine" and trigger.location.line == 10  # the Task state
    assert plain(trigger.role, path) == "arn:aws:iam::123456789012:role/${?generated name of TriggerStateMachineRole}"


def test_an_sns_event_with_an_sqs_subscription_delivers_to_the_queue_it_polls(tmp_path):
    """`SqsSubscription: true` makes a queue, subscribes it to the topic (protocol sqs), lets the topic
    send to it and maps it to the function: the delivery feeds the mapping's queue
    (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-sns.html)."""
    path = sam_input(SAM_INPUT / "sns_sqs.yaml", tmp_path)
    inventory = load_inventory([str(path)], OPTIONS)
    [delivery] = inventory.deliveries
    mapping = one(inventory.triggers, source="sqs")
    assert str(delivery.target) == str(mapping.resource) and "NotificationTopicQueue" in plain(delivery.target, path)
    assert "generated name of Notifications" in plain(delivery.resource, path)
    assert delivery.notes == ("a filter policy chooses which messages",)
    assert delivery.source_note == "created by SAM: SaveNotificationFunction.Events.NotificationTopic (SNS)"
