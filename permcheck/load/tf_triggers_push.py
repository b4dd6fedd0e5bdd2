"""Triggers of a plan that a source fires by itself: event source mappings, bucket notifications,
SNS subscriptions, CloudWatch Logs subscription filters, IoT topic rules and Cognito user pools.

Each reads the provider's arguments of one resource
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/RESOURCE) into the
trigger model/trigger_kinds.py builds for that kind of source.
"""

from __future__ import annotations

import re

from permcheck.load.tf_plan import TfResource
from permcheck.load.tf_wiring import ARNS, FUNCTIONS, Wiring, is_function_arn
from permcheck.load.trigger_notes import FILTERED_RECORDS, disabled
from permcheck.model.location import InputError
from permcheck.model.trigger_kinds import (
    cognito_trigger, iot_trigger, logs_trigger, mapping_trigger, s3_trigger, sns_trigger, sqs_delivery,
)
from permcheck.model.values import Sym, Unknown, concat

POLLED = ("aws_sqs_queue", "aws_kinesis_stream", "aws_dynamodb_table", "aws_msk_cluster", "aws_msk_serverless_cluster",
          "aws_mq_broker", "aws_docdb_cluster")
COGNITO_TRIGGERS = {  # lambda_config argument → its LambdaConfig name in the Cognito API
    "pre_sign_up": "PreSignUp", "custom_message": "CustomMessage", "post_confirmation": "PostConfirmation",
    "pre_authentication": "PreAuthentication", "post_authentication": "PostAuthentication",
    "define_auth_challenge": "DefineAuthChallenge", "create_auth_challenge": "CreateAuthChallenge",
    "verify_auth_challenge_response": "VerifyAuthChallengeResponse", "pre_token_generation": "PreTokenGeneration",
    "user_migration": "UserMigration",
}
COGNITO_SENDERS = {"custom_email_sender": "CustomEmailSender", "custom_sms_sender": "CustomSMSSender",
                   "pre_token_generation_config": "PreTokenGenerationConfig"}  # blocks with a lambda_arn
BASIC_INGEST = "Basic Ingest: a message published to $aws/rules/RULE reaches the rule whatever its SQL's topic"
IOT_TOPIC = re.compile(r"\bFROM\s+'([^']*)'", re.IGNORECASE)


def load(wiring: Wiring) -> None:
    _mappings(wiring)
    _bucket_notifications(wiring)
    _subscriptions(wiring)
    _log_subscriptions(wiring)
    _iot_rules(wiring)
    _user_pools(wiring)


def _mappings(w: Wiring) -> None:
    """aws_lambda_event_source_mapping: a disabled mapping is kept, as a snapshot's is."""
    for res in w.plan.of_type("aws_lambda_event_source_mapping"):
        function = w.function(res, "function_name")
        notes = []
        enabled = res.values.get("enabled")
        if enabled is False:
            notes.append(disabled("mapping", "disabled", "lambda:UpdateEventSourceMapping"))
        elif isinstance(enabled, Unknown):
            notes.append("whether the mapping is enabled is known after apply")
        if res.values.get("filter_criteria") not in (None, [], {}):
            notes.append(FILTERED_RECORDS)
        w.add(mapping_trigger(_polled(w, res), function, **w.where(res)), *notes)


def _polled(w: Wiring, res: TfResource) -> object:
    """What a mapping reads: its source's ARN, or a self-managed Kafka cluster's bootstrap servers."""
    kafka = w.blocks(res, "self_managed_event_source")
    if res.values.get("event_source_arn") is not None or not kafka:
        if res.values.get("event_source_arn") is None:
            raise InputError(w.plan.location(res), f"{res.address} has neither event_source_arn nor "
                                                   "self_managed_event_source")
        return w.source(res, "event_source_arn", *POLLED)
    endpoints = kafka[0].values.get("endpoints")
    servers = endpoints.get("KAFKA_BOOTSTRAP_SERVERS") if isinstance(endpoints, dict) else endpoints
    if isinstance(servers, (str, Sym, Unknown)) and str(servers):
        return servers  # "host:port,host:port", or known after apply
    raise InputError(w.plan.location(res, "self_managed_event_source"),
                     f"{res.address}: self_managed_event_source has no KAFKA_BOOTSTRAP_SERVERS endpoints")


def _bucket_notifications(w: Wiring) -> None:
    """aws_s3_bucket_notification: one trigger per `lambda_function` block."""
    for res in w.plan.of_type("aws_s3_bucket_notification"):
        bucket = w.source(res, "bucket", "aws_s3_bucket")  # a name, or a bucket's ARN when followed
        if not str(bucket).startswith("arn:"):
            bucket = concat(["arn:", w.load.deployment.partition, ":s3:::", bucket])
        for block in w.blocks(res, "lambda_function"):
            notes = []
            events = block.values.get("events")
            if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
                events = ["s3:*"]
                notes.append("the events are known after apply: any event is assumed")
            prefix, suffix = w.load.text(block, "filter_prefix"), w.load.text(block, "filter_suffix")
            if prefix is not None and not isinstance(prefix, str):
                notes.append(f"only keys starting {prefix}")
            if suffix is not None and not isinstance(suffix, str):
                notes.append(f"only keys ending {suffix}")
            trigger = s3_trigger(bucket, w.function(block, "lambda_function_arn"), events,
                                 prefix if isinstance(prefix, str) else None,
                                 suffix if isinstance(suffix, str) else None, **w.where(res))
            w.add(trigger, *notes)


def _subscriptions(w: Wiring) -> None:
    """aws_sns_topic_subscription with protocol `lambda` (or one known after apply whose
    endpoint is made from a function); protocol `sqs` is a delivery to the queue."""
    for res in w.plan.of_type("aws_sns_topic_subscription"):
        protocol = w.load.text(res, "protocol")
        if protocol == "sqs":
            _to_queue(w, res)
            continue
        if protocol != "lambda" and (isinstance(protocol, str) or protocol is None
                                     or not w.plan.references(res, "endpoint", *FUNCTIONS)):
            continue
        endpoint = w.load.text(res, "endpoint")
        if isinstance(endpoint, str) and not is_function_arn(endpoint):
            raise InputError(w.plan.location(res, "endpoint"),
                             f"{res.address}: a lambda subscription's endpoint must be a function ARN, "
                             f"not {endpoint!r}")
        filtered = res.values.get("filter_policy") not in (None, "")
        w.add(sns_trigger(w.source(res, "topic_arn", "aws_sns_topic"), w.function(res, "endpoint"), filtered,
                          **w.where(res)))


def _to_queue(w: Wiring, res: TfResource) -> None:
    """An `sqs` subscription: the topic delivers to the queue (raw_message_delivery and a filter
    policy as notes). https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html"""
    raw = res.values.get("raw_message_delivery") is True
    filtered = res.values.get("filter_policy") not in (None, "")
    w.deliver(sqs_delivery(w.source(res, "topic_arn", "aws_sns_topic"), w.source(res, "endpoint", "aws_sqs_queue"),
                           raw, filtered, **w.where(res)))


def _log_subscriptions(w: Wiring) -> None:
    """aws_cloudwatch_log_subscription_filter whose destination is a function."""
    for res in w.plan.of_type("aws_cloudwatch_log_subscription_filter"):
        function = w.target(res, "destination_arn")
        if function is None:
            continue  # a Kinesis stream or Firehose delivery stream
        group = w.source(res, "log_group_name", "aws_cloudwatch_log_group")  # a name, or the group's ARN
        if not str(group).startswith("arn:"):
            group = w.load.arn(res, "logs", "log-group:", group)
        pattern = res.values.get("filter_pattern")
        notes = ("a filter pattern chooses which log events",) if pattern not in (None, "") else ()
        w.add(logs_trigger(group, function, **w.where(res)), *notes)


def _iot_rules(w: Wiring) -> None:
    """aws_iot_topic_rule `lambda` actions (and the error action's). Publishing on the topics the
    rule's SQL selects fires it, and so does publishing to `$aws/rules/NAME` (Basic Ingest:
    https://docs.aws.amazon.com/iot/latest/developerguide/iot-basic-ingest.html)."""
    for res in w.plan.of_type("aws_iot_topic_rule"):
        rule = ARNS["aws_iot_topic_rule"](w.load, res)
        d = w.load.deployment
        prefix = ["arn:", d.partition, ":iot:", res.region, ":", d.account, ":topic/"]
        sql = w.load.text(res, "sql")
        found = IOT_TOPIC.search(sql) if isinstance(sql, str) else None
        unread = () if found else (f"the rule's topics cannot be read from its SQL {sql}: any topic is assumed",)
        notes = (disabled("rule", "disabled", "iot:EnableTopicRule"),) if res.values.get("enabled") is False else ()
        topics = concat([*prefix, found.group(1).replace("+", "*").replace("#", "*") if found else "*"])
        ingest = concat([*prefix, "$aws/rules/", w.load.name(res, "name")])
        actions = [(block, ()) for block in w.blocks(res, "lambda")]
        for error in w.blocks(res, "error_action"):
            actions += [(block, ("the rule's error action: it runs when another action fails",))
                        for block in w.blocks(error, "lambda")]
        for block, why in actions:
            function = w.function(block, "function_arn")
            w.add(iot_trigger(rule, function, topics, **w.where(res)), *why, *unread, *notes)
            w.add(iot_trigger(rule, function, ingest, **w.where(res)), *why, BASIC_INGEST, *notes)


def _user_pools(w: Wiring) -> None:
    """aws_cognito_user_pool `lambda_config`: one trigger per function it names."""
    for res in w.plan.of_type("aws_cognito_user_pool"):
        pool = ARNS["aws_cognito_user_pool"](w.load, res)
        for config in w.blocks(res, "lambda_config"):
            for attr, name in COGNITO_TRIGGERS.items():
                if config.values.get(attr) not in (None, ""):
                    w.add(cognito_trigger(pool, w.function(config, attr), name, **w.where(res)))
            for attr, name in COGNITO_SENDERS.items():
                for sender in w.blocks(config, attr):
                    w.add(cognito_trigger(pool, w.function(sender, "lambda_arn"), name, **w.where(res)))
