"""Triggers from Terraform plans (`terraform show -json`): every resource that wires an event source
to a function, read into the trigger model/trigger_kinds.py builds for its kind of source.

Plan format: https://developer.hashicorp.com/terraform/internals/json-format; resources:
https://registry.terraform.io/providers/hashicorp/aws/latest/docs. The fixture
(tests/data/triggers/plan.json, written by make_plan.py beside it) is a first apply: ARNs and ids
are known after apply and followed through the configuration's references; what cannot be
followed stays unknown. Each test names the AWS page on how its service invokes Lambda.
"""

from __future__ import annotations

import json

import pytest

from permcheck.load.decode import read_file
from permcheck.load.inputs import Options, load_inventory
from permcheck.model.location import Location
from permcheck.model.triggers import Invocation, Write
from permcheck.model.values import Sym, Unknown
from tests.cli_helpers import bug_signs, run
from tests.conftest import ROOT

PLAN = "tests/data/triggers/plan.json"
ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
WORKER, API, THUMBNAILER = FN + "orders-worker", FN + "orders-api", FN + "thumbnailer"


@pytest.fixture(scope="module")
def found():
    return load_inventory([str(ROOT / PLAN)], Options()).triggers


def of(found, address: str):
    return [t for t in found if t.logical_id == address]


def line(address: str) -> int:
    """The line of a resource object in the fixture's planned_values."""
    for resource in read_file(str(ROOT / PLAN))["planned_values"]["root_module"]["resources"]:
        if resource["address"] == address:
            return resource.line
    raise KeyError(address)


def at(address: str) -> Location:
    return Location(str(ROOT / PLAN), line(address))


def test_the_fixture_is_what_make_plan_writes():
    import runpy

    plan = runpy.run_path(str(ROOT / "tests/data/triggers/make_plan.py"))["plan"]()
    assert json.loads((ROOT / PLAN).read_text()) == plan


# -- event source mappings: https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html

def test_mapping_follows_the_queue_and_the_alias_it_is_made_from(found):
    [queue] = of(found, "aws_lambda_event_source_mapping.queue")
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders-queue"
    assert (queue.source, queue.resource, queue.function, queue.invocation) == ("sqs", arn, WORKER + ":live",
                                                                                 Invocation.POLL)
    assert queue.writes == (Write(action="sqs:SendMessage", resource=arn),)
    assert queue.notes == ("a filter chooses which records invoke the function",)
    assert queue.location == at("aws_lambda_event_source_mapping.queue")


def test_dynamodb_stream_label_stays_unknown_but_the_table_is_known(found):
    # https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
    [stream] = of(found, "aws_lambda_event_source_mapping.stream")
    assert isinstance(stream.resource, Sym)
    assert str(stream.resource) == (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/stream/"
                                    "${?aws_dynamodb_table.orders.stream_label (known after apply)}")
    assert stream.resource.unknowns[0].owned
    assert {w.resource for w in stream.writes} == {f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"}
    assert stream.function == WORKER  # function_name given by name: the plan's function


def test_disabled_mapping_is_kept_with_a_note(found):
    # https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
    [clicks] = of(found, "aws_lambda_event_source_mapping.clicks")
    assert clicks.resource == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clickstream" and clicks.function == API
    assert clicks.notes == ("the mapping is disabled: it runs the function again once enabled "
                            "(lambda:UpdateEventSourceMapping)",)


def test_self_managed_kafka_is_decided_by_its_broker(found):
    # https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html
    [kafka] = of(found, "aws_lambda_event_source_mapping.payments")
    assert kafka.resource == "kafka1.payments.example.internal:9092,kafka2.payments.example.internal:9092"
    assert kafka.writes == () and "decided by the broker, not IAM" in kafka.producers


# -- push sources -------------------------------------------------------------------------------

def test_bucket_notification(found):
    # https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html
    [upload] = of(found, "aws_s3_bucket_notification.uploads")
    bucket = f"arn:aws:s3:::example-uploads-{ACCOUNT}"
    assert (upload.source, upload.resource, upload.function, upload.event) == ("s3", bucket, THUMBNAILER,
                                                                               "s3:ObjectCreated:*")
    assert upload.writes == (Write(action="s3:PutObject", resource=bucket + "/incoming/*"),)
    assert (upload.service, upload.invocation, upload.notes) == ("s3.amazonaws.com", Invocation.ASYNC,
                                                                 ("only keys ending '.jpg'",))
    assert upload.location == at("aws_s3_bucket_notification.uploads")


def test_only_lambda_subscriptions(found):
    # https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
    [sub] = of(found, "aws_sns_topic_subscription.worker")
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:order-events"
    assert (sub.source, sub.resource, sub.function, sub.service) == ("sns", topic, WORKER, "sns.amazonaws.com")
    assert sub.writes == (Write(action="sns:Publish", resource=topic),)
    assert sub.notes == ("a filter policy chooses which messages",)
    assert of(found, "aws_sns_topic_subscription.ops_email") == []


def test_sqs_subscription_is_a_delivery_to_its_queue():
    """Protocol `sqs`: the topic feeds the queue, followed through the queue's references as a
    trigger's source is. https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html"""
    deliveries = load_inventory([str(ROOT / PLAN)], Options()).deliveries
    [delivery] = [d for d in deliveries if d.logical_id == "aws_sns_topic_subscription.orders_queue"]
    topic, queue = f"arn:aws:sns:us-east-1:{ACCOUNT}:order-events", f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders-queue"
    assert (delivery.resource, delivery.target, delivery.service) == (topic, queue, "sns.amazonaws.com")
    assert delivery.writes == (Write(action="sns:Publish", resource=topic),)
    assert delivery.delivers == Write(action="sqs:SendMessage", resource=queue)
    assert delivery.notes == ("raw message delivery: the queue gets the message as published",
                              "a filter policy chooses which messages")
    assert delivery.location == at("aws_sns_topic_subscription.orders_queue")


def test_log_subscription_filter(found):
    # https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatchlogs.html
    [logs] = of(found, "aws_cloudwatch_log_subscription_filter.errors")
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/orders-api"
    assert (logs.resource, logs.function, logs.service) == (group, WORKER, "logs.amazonaws.com")
    assert logs.writes == (Write(action="logs:PutLogEvents", resource=group + ":*"),)
    assert logs.notes == ("a filter pattern chooses which log events",)


def test_iot_rule_is_fired_on_its_topics_and_by_basic_ingest(found):
    # https://docs.aws.amazon.com/iot/latest/developerguide/lambda-rule-action.html,
    # https://docs.aws.amazon.com/iot/latest/developerguide/iot-basic-ingest.html
    topics, ingest = of(found, "aws_iot_topic_rule.telemetry")
    rule = f"arn:aws:iot:us-east-1:{ACCOUNT}:rule/device_telemetry"
    assert (topics.resource, topics.function, topics.service) == (rule, THUMBNAILER, "iot.amazonaws.com")
    assert topics.writes == (Write(action="iot:Publish", resource=f"arn:aws:iot:us-east-1:{ACCOUNT}:"
                                                                  "topic/devices/*/telemetry"),)
    assert ingest.writes == (Write(action="iot:Publish", resource=f"arn:aws:iot:us-east-1:{ACCOUNT}:"
                                                                  "topic/$aws/rules/device_telemetry"),)
    assert ingest.notes[0].startswith("Basic Ingest")


def test_user_pool_triggers_are_public(found):
    # https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-identity-pools-working-with-aws-lambda-triggers.html
    hooks = of(found, "aws_cognito_user_pool.users")
    assert [t.event for t in hooks] == ["PreSignUp", "PostConfirmation", "CustomEmailSender"]
    pool = hooks[0].resource
    assert str(pool) == f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/${{?aws_cognito_user_pool.users.id " \
                        "(known after apply)}"
    assert all(t.public and t.function == FN + "user-pool-hooks" and t.invocation is Invocation.SYNC for t in hooks)


# -- events and schedules ---------------------------------------------------------------------

def test_rule_target_on_a_custom_bus(found):
    # https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge.html
    [created] = of(found, "aws_cloudwatch_event_target.created")
    pattern = '{"source": ["orders"], "detail-type": ["OrderCreated"]}'
    assert (created.resource, created.function, created.event) == (
        f"arn:aws:events:us-east-1:{ACCOUNT}:rule/orders/order-created", WORKER, pattern)
    assert created.writes == (Write(action="events:PutEvents",
                                    resource=f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/orders"),)
    assert created.location == at("aws_cloudwatch_event_target.created")


def test_scheduled_rule_and_schedule_are_fired_by_aws_alone(found):
    # https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets.html
    [nightly] = of(found, "aws_cloudwatch_event_target.nightly")
    assert (nightly.resource, nightly.function, nightly.event, nightly.writes) == (
        f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly-report", API, "cron(0 3 * * ? *)", ())
    [weekly] = of(found, "aws_scheduler_schedule.weekly")
    assert (weekly.source, weekly.resource, weekly.function, weekly.event, weekly.writes) == (
        "scheduler", f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/weekly-thumbnails", THUMBNAILER,
        "rate(7 days)", ())


def test_state_machine_calls_what_its_definition_names(found):
    # https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
    machine = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:checkout"
    checkout = of(found, "aws_sfn_state_machine.checkout")
    assert [(t.resource, t.function) for t in checkout] == [(machine, API), (machine, WORKER + ":live")]
    assert checkout[0].writes == (Write(action="states:StartExecution", resource=machine),
                                  Write(action="states:StartSyncExecution", resource=machine))
    # the machine invokes as its role_arn (a reference to aws_iam_role.lambda, known from its name)
    assert {t.role for t in checkout} == {f"arn:aws:iam::{ACCOUNT}:role/orders-lambda"}


def test_definition_known_after_apply_calls_the_functions_it_is_made_from(found):
    [refunds] = of(found, "aws_sfn_state_machine.refunds")
    assert refunds.function == WORKER
    assert refunds.notes == ("the definition is known after apply: it is made from this function",)


# -- API Gateway: https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html ----------

def test_rest_routes_with_their_methods_authorization(found):
    api = "${?aws_api_gateway_rest_api.orders.id (known after apply)}"
    routes = {t.logical_id: t for t in found if t.logical_id.startswith("aws_api_gateway_integration.")}
    create = routes["aws_api_gateway_integration.create"]
    assert (str(create.resource), create.event, create.function) == (
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/*/POST/orders", "POST /orders", API)
    assert (create.authorization, create.public, create.service) == ("NONE", True, "apigateway.amazonaws.com")
    read = routes["aws_api_gateway_integration.read"]
    assert (str(read.resource), read.event) == (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/*/GET/orders/*",
                                                "GET /orders/{id}")
    assert (read.authorization, read.public) == ("AWS_IAM", False)
    assert read.writes == (Write(action="execute-api:Invoke", resource=read.resource),)
    cancel = routes["aws_api_gateway_integration.cancel"]
    assert (cancel.authorization, cancel.public) == ("API_KEY", False)
    assert read.location == at("aws_api_gateway_integration.read")


def test_http_api_routes(found):
    api = "${?aws_apigatewayv2_api.http.id (known after apply)}"
    [listing] = of(found, "aws_apigatewayv2_route.list")
    assert (str(listing.resource), listing.event, listing.function, listing.authorization, listing.public) == (
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/*/GET/orders", "GET /orders", WORKER, "JWT", False)
    [fallback] = of(found, "aws_apigatewayv2_route.fallback")
    assert (str(fallback.resource), fallback.authorization, fallback.public) == (
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/*/$default", "NONE", True)


# -- small plans: what the fixture does not show ------------------------------------------------

def resource(address: str, values: dict, unknown: dict | None = None, expressions: dict | None = None,
             mode: str = "managed") -> dict:
    rtype, name = address.removeprefix("data.").split(".")
    return {"address": address, "mode": mode, "type": rtype, "name": name, "values": values,
            "unknown": unknown or {}, "expressions": expressions or {}}


def write_plan(tmp_path, *resources: dict) -> str:
    document = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [
            {k: r[k] for k in ("address", "mode", "type", "name", "values")} for r in resources]}},
        "resource_changes": [
            {"address": r["address"], "mode": r["mode"], "type": r["type"], "name": r["name"],
             "change": {"actions": ["create"], "before": None, "after": r["values"], "after_unknown": r["unknown"]}}
            for r in resources],
        "configuration": {"root_module": {"resources": [
            {"address": r["address"], "mode": r["mode"], "type": r["type"], "name": r["name"],
             "expressions": r["expressions"]} for r in resources]}},
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document, indent=2))
    return str(path)


def refs(*targets: str) -> dict:
    return {"references": list(targets)}


def function(key: str = "f") -> dict:
    return resource(f"aws_lambda_function.{key}", {"function_name": key}, {"arn": True, "invoke_arn": True})


def plan_triggers(tmp_path, *resources: dict):
    return load_inventory([write_plan(tmp_path, *resources)], Options()).triggers


def test_unknown_source_without_a_reference_stays_unknown(tmp_path):
    [mapping] = plan_triggers(tmp_path, function(), resource(
        "aws_lambda_event_source_mapping.m", {"function_name": "f"}, {"event_source_arn": True},
        {"event_source_arn": refs("var.queue_arn")}))
    assert mapping.resource == Unknown("aws_lambda_event_source_mapping.m.event_source_arn (known after apply)")
    assert mapping.function == FN + "f" and mapping.source == "unknown"


def test_unknown_events_and_prefix_assume_every_event(tmp_path):
    [trigger] = plan_triggers(tmp_path, function(), resource(
        "aws_s3_bucket_notification.n", {"bucket": "b", "lambda_function": [{}]},
        {"lambda_function": [{"events": True, "filter_prefix": True, "lambda_function_arn": True}]},
        {"lambda_function": [{"lambda_function_arn": refs("aws_lambda_function.f.arn", "aws_lambda_function.f")}]}))
    assert trigger.resource == "arn:aws:s3:::b" and trigger.function == FN + "f" and trigger.event == "s3:*"
    assert {w.resource for w in trigger.writes} == {"arn:aws:s3:::b/*"}
    assert trigger.notes == ("the events are known after apply: any event is assumed",
                             "only keys starting ${?aws_s3_bucket_notification.n.lambda_function[0].filter_prefix "
                             "(known after apply)}")


def test_route_whose_method_is_not_in_the_plan_has_unknown_authorization(tmp_path):
    [route] = plan_triggers(tmp_path, function(), resource(
        "aws_api_gateway_integration.i", {"type": "AWS_PROXY", "http_method": "GET", "rest_api_id": "a1b2c3",
                                          "resource_id": "r1"}, {"uri": True},
        {"uri": refs("aws_lambda_function.f.invoke_arn", "aws_lambda_function.f")}))
    assert route.authorization is None and route.public is False
    assert route.notes == ("the route's authorization is unknown (its method is not in the plan)",)
    assert str(route.resource).startswith(f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/*/GET/${{?")


def test_known_paths_and_ids_of_resources_already_deployed(tmp_path):
    """A plan that changes deployed APIs knows their paths and ids: ANY is any verb, a greedy
    `{proxy+}` any path below (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html)."""
    found = plan_triggers(
        tmp_path, function(),
        resource("aws_api_gateway_resource.proxy", {"id": "r9", "path": "/items/{proxy+}", "path_part": "{proxy+}"}),
        resource("aws_api_gateway_method.any", {"http_method": "ANY", "authorization": "COGNITO_USER_POOLS",
                                                "rest_api_id": "a1b2c3", "resource_id": "r9"}),
        resource("aws_api_gateway_integration.any", {"type": "AWS_PROXY", "http_method": "ANY", "rest_api_id": "a1b2c3",
                                                     "resource_id": "r9", "uri": (
                                                         "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                                                         f"{FN}f:live/invocations")},
                 expressions={"resource_id": refs("aws_api_gateway_resource.proxy.id",
                                                  "aws_api_gateway_resource.proxy")}),
        resource("aws_apigatewayv2_integration.i", {"id": "int1", "api_id": "h1", "integration_type": "AWS_PROXY",
                                                    "integration_uri": FN + "f"}),
        resource("aws_apigatewayv2_route.r", {"api_id": "h1", "route_key": "PUT /items/{id}",
                                              "authorization_type": "AWS_IAM", "target": "integrations/int1"}))
    assert [(str(t.resource), t.event, t.function, t.authorization) for t in found] == [
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/*/*/items/*", "ANY /items/{proxy+}", FN + "f:live",
         "COGNITO_USER_POOLS"),
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:h1/*/PUT/items/*", "PUT /items/{id}", FN + "f", "AWS_IAM")]


def test_rule_not_in_the_plan_fires_on_the_default_bus(tmp_path):
    [target] = plan_triggers(tmp_path, resource(
        "aws_cloudwatch_event_target.t", {"rule": "partner-rule", "arn": FN + "outside:prod"}))
    assert (target.resource, target.function) == (f"arn:aws:events:us-east-1:{ACCOUNT}:rule/partner-rule",
                                                  FN + "outside:prod")
    assert target.writes == (Write(action="events:PutEvents",
                                   resource=f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"),)
    assert target.notes == ("the rule is not in the plan: which events it matches is unknown",)


def test_targets_that_are_not_functions_are_not_triggers(tmp_path):
    found = plan_triggers(tmp_path,
                          resource("aws_cloudwatch_event_target.q", {"rule": "r",
                                                                     "arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"}),
                          resource("aws_cloudwatch_log_subscription_filter.k", {
                              "log_group_name": "g",
                              "destination_arn": f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s"}),
                          resource("aws_api_gateway_integration.h", {"type": "HTTP_PROXY", "http_method": "GET",
                                                                     "rest_api_id": "a", "resource_id": "r",
                                                                     "uri": "https://example.com/{proxy}"}))
    assert found == []


def test_looked_up_function_and_universal_scheduler_target(tmp_path):
    # https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
    lookup = resource("data.aws_lambda_function.looked_up", {"function_name": "looked-up", "arn": FN + "looked-up"},
                      mode="data")
    found = plan_triggers(tmp_path, function(), lookup, resource(
        "aws_cloudwatch_event_target.t", {"rule": "r"}, {"arn": True},
        {"arn": refs("data.aws_lambda_function.looked_up.arn", "data.aws_lambda_function.looked_up")}),
        resource("aws_scheduler_schedule.s", {"name": "s", "schedule_expression": "rate(1 hour)", "target": [{
            "arn": "arn:aws:scheduler:::aws-sdk:lambda:invoke", "input": json.dumps({"FunctionName": "f"})}]}))
    assert [t.function for t in found] == [FN + "looked-up", FN + "f"]


def test_quick_create_http_api_is_a_public_catch_all_route(tmp_path):
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    [route] = plan_triggers(tmp_path, function(), resource(
        "aws_apigatewayv2_api.quick", {"name": "q", "protocol_type": "HTTP"}, {"target": True, "id": True},
        {"target": refs("aws_lambda_function.f.arn", "aws_lambda_function.f")}))
    assert (route.function, route.event, route.public) == (FN + "f", "$default", True)
    assert str(route.resource).endswith("(known after apply)}/*/$default")


def test_iot_error_action_invokes_too(tmp_path):
    found = plan_triggers(tmp_path, function(), resource(
        "aws_iot_topic_rule.r", {"name": "r", "enabled": False, "sql": "SELECT * FROM 'a/#'",
                                 "sql_version": "2016-03-23", "lambda": [],
                                 "error_action": [{"lambda": [{"function_arn": FN + "f"}]}]}))
    assert [str(t.writes[0].resource) for t in found] == [f"arn:aws:iot:us-east-1:{ACCOUNT}:topic/a/*",
                                                          f"arn:aws:iot:us-east-1:{ACCOUNT}:topic/$aws/rules/r"]
    assert found[0].notes == ("the rule's error action: it runs when another action fails",
                              "the rule is disabled: it runs the function again once enabled (iot:EnableTopicRule)")


MALFORMED = {
    "mapping-without-source": (resource("aws_lambda_event_source_mapping.m", {"function_name": "f"}),
                               "aws_lambda_event_source_mapping.m has neither event_source_arn nor "
                               "self_managed_event_source"),
    "mapping-without-function": (resource("aws_lambda_event_source_mapping.m", {
        "event_source_arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"}), "aws_lambda_event_source_mapping.m has no "
                                                                    "function_name"),
    "lambda-subscription-to-a-url": (resource("aws_sns_topic_subscription.s", {
        "protocol": "lambda", "topic_arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t", "endpoint": "https://x"}),
        "aws_sns_topic_subscription.s: a lambda subscription's endpoint must be a function ARN, not 'https://x'"),
    "definition-not-json": (resource("aws_sfn_state_machine.m", {"name": "m", "definition": "{States"}),
                            "aws_sfn_state_machine.m: definition is not JSON"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_wiring_is_an_input_error_with_its_line(tmp_path, case):
    res, message = MALFORMED[case]
    path = write_plan(tmp_path, res)
    result = run("who-can-invoke", FN + "f", path)
    assert result.code == 2 and bug_signs(result.err + result.out) == []
    assert result.err.startswith(f"permcheck: error: {path}:") and message in result.err
    assert int(result.err.split(":")[3]) > 1  # the resource's line (or its attribute's), not the file's
