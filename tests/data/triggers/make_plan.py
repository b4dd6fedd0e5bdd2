"""Writes plan.json: the event sources of the "orders" app as `terraform show -json PLANFILE` prints a
first apply (everything created), by the JSON output format
(https://developer.hashicorp.com/terraform/internals/json-format) and the AWS provider 5.x schemas.
Run `python tests/data/triggers/make_plan.py` after changing it; tests read plan.json only.

Values AWS assigns (ARNs, ids, invoke ARNs, stream ARNs) are absent from `values`/`after` and `true`
in `after_unknown`, and the configuration's expressions name what they are made from, as in a
real first plan.
"""

from __future__ import annotations

import json
from pathlib import Path

ACCOUNT, REGION = "123456789012", "us-east-1"
KAFKA = "kafka1.payments.example.internal:9092,kafka2.payments.example.internal:9092"
PROVIDER = "registry.terraform.io/hashicorp/aws"
RESOURCES: list[dict] = []


def ref(*targets: str) -> dict:
    """An expression made from `targets` (Terraform lists the attribute and the resource)."""
    out = []
    for target in targets:
        out += [target, target.rsplit(".", 1)[0]] if target.count(".") >= 2 else [target]
    return {"references": out}


def const(value: object) -> dict:
    return {"constant_value": value}


def resource(address: str, values: dict, unknown: dict, expressions: dict) -> None:
    rtype, name = address.split(".")
    RESOURCES.append({"address": address, "type": rtype, "name": name, "values": values, "unknown": unknown,
                          "expressions": expressions})


def constants(values: dict) -> dict:
    return {k: const(v) for k, v in values.items() if not isinstance(v, (dict, list)) or k == "events"}


# -- functions ---------------------------------------------------------------------------------
FUNCTION_UNKNOWN = {"arn": True, "invoke_arn": True, "qualified_arn": True, "qualified_invoke_arn": True,
                    "id": True, "last_modified": True, "version": True, "source_code_hash": True}
resource("aws_iam_role.lambda", {"name": "orders-lambda", "path": "/", "assume_role_policy": json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                             "Principal": {"Service": "lambda.amazonaws.com"}}]})},
         {"arn": True, "id": True, "unique_id": True, "inline_policy": True, "managed_policy_arns": True},
         {"name": const("orders-lambda"), "assume_role_policy": const("...")})
for key, name in (("worker", "orders-worker"), ("api", "orders-api"), ("thumbnailer", "thumbnailer"),
                  ("hooks", "user-pool-hooks")):
    resource(f"aws_lambda_function.{key}", {"function_name": name, "handler": "app.handler", "runtime": "python3.12",
                                            "filename": "build/app.zip", "publish": False, "timeout": 30},
             FUNCTION_UNKNOWN | {"role": True},
             {"function_name": const(name), "handler": const("app.handler"), "runtime": const("python3.12"),
              "filename": const("build/app.zip"), "role": ref("aws_iam_role.lambda.arn")})
resource("aws_lambda_alias.worker_live", {"name": "live", "description": "production traffic"},
         {"arn": True, "function_name": True, "function_version": True, "invoke_arn": True, "id": True},
         {"name": const("live"), "function_name": ref("aws_lambda_function.worker.function_name"),
          "function_version": ref("aws_lambda_function.worker.version")})

# -- sources -----------------------------------------------------------------------------------
resource("aws_sqs_queue.orders", {"name": "orders-queue", "visibility_timeout_seconds": 180, "fifo_queue": False},
         {"arn": True, "id": True, "url": True, "policy": True}, {"name": const("orders-queue")})
resource("aws_dynamodb_table.orders", {"name": "orders", "billing_mode": "PAY_PER_REQUEST", "hash_key": "id",
                                       "stream_enabled": True, "stream_view_type": "NEW_AND_OLD_IMAGES"},
         {"arn": True, "id": True, "stream_arn": True, "stream_label": True},
         constants({"name": "orders", "hash_key": "id", "stream_enabled": True}))
resource("aws_kinesis_stream.clicks", {"name": "clickstream", "retention_period": 24},
         {"arn": True, "id": True, "shard_count": True}, {"name": const("clickstream")})
resource("aws_s3_bucket.uploads", {"bucket": f"example-uploads-{ACCOUNT}", "force_destroy": False},
         {"arn": True, "id": True, "bucket_domain_name": True, "policy": True},
         {"bucket": const(f"example-uploads-{ACCOUNT}")})
resource("aws_sns_topic.events", {"name": "order-events", "fifo_topic": False},
         {"arn": True, "id": True, "owner": True, "policy": True}, {"name": const("order-events")})
resource("aws_cloudwatch_log_group.api", {"name": "/aws/lambda/orders-api", "retention_in_days": 14},
         {"arn": True, "id": True}, {"name": const("/aws/lambda/orders-api")})

# -- event source mappings: https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html
resource("aws_lambda_event_source_mapping.queue",
         {"batch_size": 10, "enabled": True, "filter_criteria": [{"filter": [
             {"pattern": json.dumps({"body": {"type": ["order.created"]}})}]}]},
         {"event_source_arn": True, "function_name": True, "function_arn": True, "uuid": True, "id": True,
          "state": True, "last_modified": True},
         {"event_source_arn": ref("aws_sqs_queue.orders.arn"), "function_name": ref("aws_lambda_alias.worker_live.arn"),
          "batch_size": const(10),
          "filter_criteria": [{"filter": [{"pattern": {"references": ["local.created_only"]}}]}]})
resource("aws_lambda_event_source_mapping.stream",
         {"function_name": "orders-worker", "starting_position": "LATEST", "enabled": True},
         {"event_source_arn": True, "function_arn": True, "uuid": True, "id": True, "state": True},
         {"event_source_arn": ref("aws_dynamodb_table.orders.stream_arn"), "function_name": const("orders-worker"),
          "starting_position": const("LATEST")})
resource("aws_lambda_event_source_mapping.clicks",
         {"function_name": "orders-api", "starting_position": "TRIM_HORIZON", "enabled": False},
         {"event_source_arn": True, "function_arn": True, "uuid": True, "id": True, "state": True},
         {"event_source_arn": ref("aws_kinesis_stream.clicks.arn"), "function_name": const("orders-api"),
          "enabled": const(False), "starting_position": const("TRIM_HORIZON")})
resource("aws_lambda_event_source_mapping.payments",
         {"function_name": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-worker", "topics": ["payments"],
          "starting_position": "TRIM_HORIZON", "enabled": True, "event_source_arn": None,
          "self_managed_event_source": [{"endpoints": {
              "KAFKA_BOOTSTRAP_SERVERS": KAFKA}}]},
         {"function_arn": True, "uuid": True, "id": True, "state": True},
         {"function_name": const(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-worker"),
          "topics": const(["payments"]), "self_managed_event_source": [{"endpoints": const({
              "KAFKA_BOOTSTRAP_SERVERS": KAFKA})}]})

# -- S3 and SNS ---------------------------------------------------------------------------------
resource("aws_s3_bucket_notification.uploads",
         {"eventbridge": False, "lambda_function": [{"events": ["s3:ObjectCreated:*"], "filter_prefix": "incoming/",
                                                     "filter_suffix": ".jpg"}],
          "queue": [], "topic": []},
         {"bucket": True, "id": True, "lambda_function": [{"id": True, "lambda_function_arn": True}]},
         {"bucket": ref("aws_s3_bucket.uploads.id"), "lambda_function": [{
             "lambda_function_arn": ref("aws_lambda_function.thumbnailer.arn"), "events": const(["s3:ObjectCreated:*"]),
             "filter_prefix": const("incoming/"), "filter_suffix": const(".jpg")}]})
resource("aws_sns_topic_subscription.worker",
         {"protocol": "lambda", "filter_policy": json.dumps({"type": ["refund"]}), "raw_message_delivery": False},
         {"arn": True, "id": True, "topic_arn": True, "endpoint": True, "owner_id": True},
         {"protocol": const("lambda"), "topic_arn": ref("aws_sns_topic.events.arn"),
          "endpoint": ref("aws_lambda_function.worker.arn"), "filter_policy": const("...")})
resource("aws_sns_topic_subscription.orders_queue",
         {"protocol": "sqs", "raw_message_delivery": True, "filter_policy": json.dumps({"type": ["order"]})},
         {"arn": True, "id": True, "topic_arn": True, "endpoint": True, "owner_id": True},
         {"protocol": const("sqs"), "topic_arn": ref("aws_sns_topic.events.arn"),
          "endpoint": ref("aws_sqs_queue.orders.arn"), "raw_message_delivery": const(True), "filter_policy": const("...")})
resource("aws_sns_topic_subscription.ops_email", {"protocol": "email", "endpoint": "ops@example.com"},
         {"arn": True, "id": True, "topic_arn": True, "owner_id": True},
         {"protocol": const("email"), "endpoint": const("ops@example.com"),
          "topic_arn": ref("aws_sns_topic.events.arn")})

# -- EventBridge and Scheduler --------------------------------------------------------------------
resource("aws_cloudwatch_event_bus.orders", {"name": "orders"}, {"arn": True, "id": True}, {"name": const("orders")})
resource("aws_cloudwatch_event_rule.created",
         {"name": "order-created", "event_bus_name": "orders", "state": "ENABLED",
          "event_pattern": json.dumps({"source": ["orders"], "detail-type": ["OrderCreated"]})},
         {"arn": True, "id": True},
         {"name": const("order-created"), "event_bus_name": ref("aws_cloudwatch_event_bus.orders.name"),
          "event_pattern": const("...")})
resource("aws_cloudwatch_event_rule.nightly",
         {"name": "nightly-report", "event_bus_name": "default", "schedule_expression": "cron(0 3 * * ? *)",
          "state": "ENABLED"}, {"arn": True, "id": True},
         {"name": const("nightly-report"), "schedule_expression": const("cron(0 3 * * ? *)")})
resource("aws_cloudwatch_event_target.created",
         {"rule": "order-created", "event_bus_name": "orders", "target_id": "worker"},
         {"arn": True, "id": True},
         {"rule": ref("aws_cloudwatch_event_rule.created.name"),
          "event_bus_name": ref("aws_cloudwatch_event_bus.orders.name"),
          "arn": ref("aws_lambda_function.worker.arn")})
resource("aws_cloudwatch_event_target.nightly", {"rule": "nightly-report", "event_bus_name": "default",
                                                  "target_id": "api"},
         {"arn": True, "id": True}, {"rule": ref("aws_cloudwatch_event_rule.nightly.name"),
                                     "arn": ref("aws_lambda_function.api.arn")})
resource("aws_scheduler_schedule.weekly",
         {"name": "weekly-thumbnails", "group_name": "default", "schedule_expression": "rate(7 days)",
          "state": "ENABLED", "flexible_time_window": [{"mode": "OFF"}], "target": [{"retry_policy": []}]},
         {"arn": True, "id": True, "target": [{"arn": True, "role_arn": True}]},
         {"name": const("weekly-thumbnails"), "schedule_expression": const("rate(7 days)"),
          "target": [{"arn": ref("aws_lambda_function.thumbnailer.arn"), "role_arn": ref("aws_iam_role.lambda.arn")}]})

# -- Step Functions ------------------------------------------------------------------------------
CHECKOUT = {"StartAt": "Validate", "States": {
    "Validate": {"Type": "Task", "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-api", "Next": "Items"},
    "Items": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Reserve", "States": {
            "Reserve": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "orders-worker:live", "Payload.$": "$"}, "End": True}}},
        "Next": "Notify"},
    "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
               "Parameters": {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:order-events", "Message.$": "$"},
               "End": True}}}
resource("aws_sfn_state_machine.checkout", {"name": "checkout", "type": "STANDARD", "definition": json.dumps(CHECKOUT)},
         {"arn": True, "id": True, "role_arn": True, "creation_date": True},
         {"name": const("checkout"), "definition": const("..."), "role_arn": ref("aws_iam_role.lambda.arn")})
resource("aws_sfn_state_machine.refunds", {"name": "refunds", "type": "EXPRESS"},
         {"arn": True, "id": True, "role_arn": True, "definition": True},
         {"name": const("refunds"), "definition": ref("aws_lambda_function.worker.arn"),
          "role_arn": ref("aws_iam_role.lambda.arn")})

# -- API Gateway REST API -------------------------------------------------------------------------
resource("aws_api_gateway_rest_api.orders", {"name": "orders"}, {"id": True, "root_resource_id": True,
                                                                  "execution_arn": True, "arn": True},
         {"name": const("orders")})
resource("aws_api_gateway_resource.orders", {"path_part": "orders"},
         {"id": True, "parent_id": True, "path": True, "rest_api_id": True},
         {"path_part": const("orders"), "parent_id": ref("aws_api_gateway_rest_api.orders.root_resource_id"),
          "rest_api_id": ref("aws_api_gateway_rest_api.orders.id")})
resource("aws_api_gateway_resource.order", {"path_part": "{id}"},
         {"id": True, "parent_id": True, "path": True, "rest_api_id": True},
         {"path_part": const("{id}"), "parent_id": ref("aws_api_gateway_resource.orders.id"),
          "rest_api_id": ref("aws_api_gateway_rest_api.orders.id")})
for key, verb, auth, path, api_key in (("create", "POST", "NONE", "orders", False),
                                       ("read", "GET", "AWS_IAM", "order", False),
                                       ("cancel", "DELETE", "NONE", "order", True)):
    resource(f"aws_api_gateway_method.{key}", {"http_method": verb, "authorization": auth, "api_key_required": api_key},
             {"id": True, "resource_id": True, "rest_api_id": True},
             {"http_method": const(verb), "authorization": const(auth), "api_key_required": const(api_key),
              "resource_id": ref(f"aws_api_gateway_resource.{path}.id"),
              "rest_api_id": ref("aws_api_gateway_rest_api.orders.id")})
    resource(f"aws_api_gateway_integration.{key}", {"type": "AWS_PROXY", "integration_http_method": "POST"},
             {"id": True, "resource_id": True, "rest_api_id": True, "http_method": True, "uri": True},
             {"type": const("AWS_PROXY"), "integration_http_method": const("POST"),
              "http_method": ref(f"aws_api_gateway_method.{key}.http_method"),
              "resource_id": ref(f"aws_api_gateway_resource.{path}.id"),
              "rest_api_id": ref("aws_api_gateway_rest_api.orders.id"),
              "uri": ref("aws_lambda_function.api.invoke_arn")})

# -- API Gateway HTTP API -------------------------------------------------------------------------
resource("aws_apigatewayv2_api.http", {"name": "orders-http", "protocol_type": "HTTP"},
         {"id": True, "api_endpoint": True, "arn": True, "execution_arn": True}, {"name": const("orders-http")})
resource("aws_apigatewayv2_integration.worker", {"integration_type": "AWS_PROXY", "payload_format_version": "2.0"},
         {"id": True, "api_id": True, "integration_uri": True},
         {"integration_type": const("AWS_PROXY"), "api_id": ref("aws_apigatewayv2_api.http.id"),
          "integration_uri": ref("aws_lambda_function.worker.arn")})
for key, route, auth in (("list", "GET /orders", "JWT"), ("fallback", "$default", "NONE")):
    resource(f"aws_apigatewayv2_route.{key}", {"route_key": route, "authorization_type": auth,
                                               "api_key_required": False},
             {"id": True, "api_id": True, "target": True, "authorizer_id": auth == "JWT"},
             {"route_key": const(route), "authorization_type": const(auth),
              "api_id": ref("aws_apigatewayv2_api.http.id"),
              "target": ref("aws_apigatewayv2_integration.worker.id")})

# -- Cognito, IoT, CloudWatch Logs ----------------------------------------------------------------
resource("aws_cognito_user_pool.users",
         {"name": "orders-users", "lambda_config": [{"custom_email_sender": [{"lambda_version": "V1_0"}]}]},
         {"arn": True, "id": True, "endpoint": True,
          "lambda_config": [{"pre_sign_up": True, "post_confirmation": True,
                             "custom_email_sender": [{"lambda_arn": True}]}]},
         {"name": const("orders-users"), "lambda_config": [{
             "pre_sign_up": ref("aws_lambda_function.hooks.arn"),
             "post_confirmation": ref("aws_lambda_function.hooks.arn"),
             "custom_email_sender": [{"lambda_arn": ref("aws_lambda_function.hooks.arn"),
                                      "lambda_version": const("V1_0")}],
             "kms_key_id": {"references": ["var.sender_key_arn"]}}]})
resource("aws_iot_topic_rule.telemetry",
         {"name": "device_telemetry", "enabled": True, "sql": "SELECT * FROM 'devices/+/telemetry'",
          "sql_version": "2016-03-23", "lambda": [{}], "error_action": []},
         {"arn": True, "id": True, "lambda": [{"function_arn": True}]},
         {"name": const("device_telemetry"), "enabled": const(True),
          "sql": const("SELECT * FROM 'devices/+/telemetry'"),
          "sql_version": const("2016-03-23"), "lambda": [{"function_arn": ref("aws_lambda_function.thumbnailer.arn")}]})
resource("aws_cloudwatch_log_subscription_filter.errors",
         {"name": "api-errors", "log_group_name": "/aws/lambda/orders-api", "filter_pattern": "ERROR",
          "distribution": "ByLogStream"},
         {"id": True, "destination_arn": True, "role_arn": True},
         {"name": const("api-errors"), "log_group_name": ref("aws_cloudwatch_log_group.api.name"),
          "filter_pattern": const("ERROR"), "destination_arn": ref("aws_lambda_function.worker.arn")})


def plan() -> dict:
    def values(r):
        return r["values"]
    return {
        "format_version": "1.2", "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": [
            {"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
             "provider_name": PROVIDER,
             "schema_version": 0, "values": values(r), "sensitive_values": {}} for r in RESOURCES]}},
        "resource_changes": [
            {"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
             "provider_name": PROVIDER,
             "change": {"actions": ["create"], "before": None, "after": values(r), "after_unknown": r["unknown"],
                        "before_sensitive": False, "after_sensitive": {}}} for r in RESOURCES],
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER, "version_constraint": "~> 5.70",
                                        "expressions": {"region": const(REGION)}}},
            "root_module": {"resources": [
                {"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
                 "provider_config_key": "aws", "expressions": r["expressions"], "schema_version": 0}
                for r in RESOURCES]}},
        "timestamp": "2025-02-03T09:00:00Z", "applyable": True, "complete": True, "errored": False,
    }


if __name__ == "__main__":
    (Path(__file__).parent / "plan.json").write_text(json.dumps(plan(), indent=2) + "\n")
