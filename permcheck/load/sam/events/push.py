"""Push sources (samtranslator/model/eventsources/push.py, cloudwatchlogs.py): an
`AWS::Lambda::Permission` for the service that invokes the function, with the source SAM ties it to."""

from __future__ import annotations

from typing import Any

from permcheck.load.nodes import line_of
from permcheck.load.sam import trigger_facts
from permcheck.load.sam.core import expect_map, get_att, ref, sub
from permcheck.load.sam.policies import aws_managed
from permcheck.load.sam.events.base import Event, _logical_id, _referenced, _target_id


def _schedule(ev: Event) -> None:
    props = ev.props
    if props.get("State") and props.get("Enabled") is not None:
        raise ev.fail("State and Enabled Properties cannot both be specified.")
    rule: dict = {"ScheduleExpression": props.get("Schedule")}
    if props.get("State"):
        rule["State"] = props["State"]
    if props.get("Enabled") is not None:
        rule["State"] = "ENABLED" if props["Enabled"] else "DISABLED"
    for key, prop in (("Name", "Name"), ("Description", "Description")):
        if props.get(prop) is not None:
            rule[key] = props[prop]
    _rule(ev, rule, "Id")


def _cloudwatch_event(ev: Event) -> None:
    props = ev.props
    rule: dict = {}
    for key, prop in (("EventBusName", "EventBusName"), ("EventPattern", "Pattern"), ("Name", "RuleName")):
        if props.get(prop) is not None:
            rule[key] = props[prop]
    if props.get("DeadLetterConfig") is not None:
        _validate_dlq(ev, props["DeadLetterConfig"])
    if props.get("State") and props.get("Enabled") is not None:
        raise ev.fail("State and Enabled Properties cannot both be specified.")
    if props.get("State"):
        rule["State"] = props["State"]
    if props.get("Enabled") is not None:
        rule["State"] = "ENABLED" if props["Enabled"] else "DISABLED"
    _rule(ev, rule, "Target")


def _rule(ev: Event, rule: dict, target_id_from: str) -> None:
    """The Events::Rule, its dead-letter queue, and the permission for events.amazonaws.com."""
    props = ev.props
    target_spec = props.get("Target")
    target_id = target_spec["Id"] if target_id_from == "Target" and isinstance(target_spec, dict) and \
        "Id" in target_spec else _target_id(ev.id, "LambdaTarget")
    target: dict = {"Arn": ev.target.arn, "Id": target_id}
    for key in ("Input", "InputPath", "RetryPolicy", "InputTransformer"):
        if props.get(key) is not None and (key != "InputPath" or ev.type != "Schedule") and \
                (key != "InputTransformer" or ev.type != "Schedule"):
            target[key] = props[key]
    source_arn = get_att(ev.id, "Arn")
    dlq = props.get("DeadLetterConfig")
    if dlq is not None:
        _validate_dlq(ev, dlq)
        target["DeadLetterConfig"] = {"Arn": _rule_dlq(ev, dlq, source_arn)}
    rule["Targets"] = [target]
    ev.add(ev.id, "AWS::Events::Rule", rule)
    ev.permission("events.amazonaws.com", source_arn=source_arn)


def _validate_dlq(ev: Event, config: Any) -> None:
    """EventBridgeRuleUtils.validate_dlq_config."""
    if not isinstance(config, dict):
        return
    if "Arn" in config and "Type" in config:
        raise ev.fail("You can either define 'Arn' or 'Type' property of DeadLetterConfig.")
    if "Type" in config and config.get("Type") != "SQS":
        raise ev.fail("The only valid value for 'Type' property of DeadLetterConfig is 'SQS'.")
    if "Arn" not in config and "Type" not in config:
        raise ev.fail("No 'Arn' or 'Type' property provided for DeadLetterConfig.")


def _rule_dlq(ev: Event, config: dict, rule_arn: Any) -> Any:
    """A dead-letter queue SAM creates for a rule, with a queue policy for events.amazonaws.com."""
    if config.get("Arn") is not None:
        return config["Arn"]
    queue_id = config.get("QueueLogicalId")
    if queue_id is not None and not isinstance(queue_id, str):
        raise ev.fail("QueueLogicalId must be a string")
    queue_id = queue_id or ev.id + "Queue"
    ev.add(queue_id, "AWS::SQS::Queue", None)
    ev.add(ev.id + "QueuePolicy", "AWS::SQS::QueuePolicy", {
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "sqs:SendMessage", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Resource": get_att(queue_id, "Arn"), "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]},
        "Queues": [ref(queue_id)]})
    return get_att(queue_id, "Arn")


def _cloudwatch_logs(ev: Event) -> None:
    source_arn = sub(ev.arn("logs", "log-group:${__LogGroupName__}:*"),
                     {"__LogGroupName__": ev.props.get("LogGroupName")})
    ev.permission("logs.amazonaws.com", source_arn=source_arn)
    ev.add(ev.id, "AWS::Logs::SubscriptionFilter", {"LogGroupName": ev.props.get("LogGroupName"),
                                                   "FilterPattern": ev.props.get("FilterPattern"),
                                                   "DestinationArn": ev.target.arn})


def _iot_rule(ev: Event) -> None:
    source_arn = sub(ev.arn("iot", "rule/${RuleName}"), {"RuleName": ref(ev.id)})
    ev.permission("iot.amazonaws.com", source_arn=source_arn, source_account=sub("${AWS::AccountId}"))
    payload = {"Sql": ev.props.get("Sql"), "RuleDisabled": False,
               "Actions": [{"Lambda": {"FunctionArn": ev.target.arn}}]}
    if ev.props.get("AwsIotSqlVersion"):
        payload["AwsIotSqlVersion"] = ev.props["AwsIotSqlVersion"]
    ev.add(ev.id, "AWS::IoT::TopicRule", {"TopicRulePayload": payload})


def _alexa(ev: Event) -> None:
    ev.permission("alexa-appkit.amazon.com", token=ev.props.get("SkillId"))


def _s3(ev: Event) -> None:
    bucket_id = _referenced(ev, ev.props.get("Bucket"), "S3",
                            "S3 events must reference an S3 bucket in the same template.")
    bucket = ev.ctx.template["Resources"][bucket_id]
    depends_on = bucket.get("DependsOn", [])
    if isinstance(depends_on, list) and not all(isinstance(d, str) for d in depends_on) or \
            not isinstance(depends_on, (str, list)):
        raise ev.ctx.fail(ev.line, ev.id, "Invalid type for field 'DependsOn'. Expected a string or list of strings.")
    bucket_props = bucket.get("Properties", {})
    if not isinstance(bucket_props, dict):
        raise ev.ctx.fail(line_of(bucket, ev.line), bucket_id, "Properties should be a map.")
    notification = bucket_props.get("NotificationConfiguration", {})
    if notification is None:
        notification = {}
    expect_map(ev.ctx, notification, line_of(bucket, ev.line), bucket_id, "NotificationConfiguration")
    lambdas = notification.get("LambdaConfigurations")
    if lambdas is not None and not isinstance(lambdas, list):
        raise ev.ctx.fail(line_of(bucket, ev.line), bucket_id, "Invalid type for LambdaConfigurations. Must be a list.")
    if "Condition" in ev.target.attributes:
        tags = bucket_props.get("Tags")
        if tags is not None and not isinstance(tags, list):
            raise ev.ctx.fail(line_of(bucket, ev.line), bucket_id, "Property 'Tags' should be a list.")
    ev.permission("s3.amazonaws.com", source_account=ref("AWS::AccountId"))
    trigger_facts.s3_event(ev, bucket_id)


def _sns(ev: Event) -> None:
    props = ev.props
    subscription = props.get("SqsSubscription")
    if not subscription:
        ev.permission("sns.amazonaws.com", source_arn=props.get("Topic"))
        _subscription(ev, "lambda", ev.target.arn)
        return
    if isinstance(subscription, bool):
        queue_id = ev.id + "Queue"
        queue_props = None
        topic_id = _logical_id(props.get("Topic"))
        if topic_id:
            topic = ev.ctx.template.get("Resources", {}).get(topic_id, {})
            fifo = topic.get("Properties", {}).get("FifoTopic", False) if isinstance(topic, dict) and \
                isinstance(topic.get("Properties", {}), dict) else False
            from permcheck.load.sam.core import resolve_params
            fifo = resolve_params(ev.ctx, fifo)
            if fifo:
                queue_props = {"FifoQueue": fifo}
        ev.add(queue_id, "AWS::SQS::Queue", queue_props)
        queue_arn, queue_url, policy_id, batch, enabled = get_att(queue_id, "Arn"), ref(queue_id), None, None, None
    else:
        if not isinstance(subscription, dict):
            raise ev.fail("Property 'SqsSubscription' should be a map.")
        queue_arn, queue_url = subscription.get("QueueArn"), subscription.get("QueueUrl")
        if not queue_arn or not queue_url:
            raise ev.fail("No QueueARN or QueueURL provided.")
        policy_id = subscription.get("QueuePolicyLogicalId")
        batch, enabled = subscription.get("BatchSize"), subscription.get("Enabled")
    ev.add(policy_id or ev.id + "QueuePolicy", "AWS::SQS::QueuePolicy", {
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "sqs:SendMessage", "Effect": "Allow", "Principal": "*", "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": props.get("Topic")}}}]},
        "Queues": [queue_url]})
    _subscription(ev, "sqs", queue_arn)
    mapping = {"FunctionName": ev.target.name, "EventSourceArn": queue_arn, "BatchSize": batch or 10,
               "Enabled": True if enabled is None else enabled}
    ev.add(ev.id + "EventSourceMapping", "AWS::Lambda::EventSourceMapping", mapping)
    ev.role.add_managed(aws_managed(ev.ctx, "service-role/AWSLambdaSQSQueueExecutionRole"), ev.line)


def _subscription(ev: Event, protocol: str, endpoint: Any) -> None:
    props: dict = {"Protocol": protocol, "Endpoint": endpoint, "TopicArn": ev.props.get("Topic")}
    for key in ("Region", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy"):
        if ev.props.get(key) is not None:
            props[key] = ev.props[key]
    ev.add(ev.id, "AWS::SNS::Subscription", props)


def _cognito(ev: Event) -> None:
    pool_id = _referenced(ev, ev.props.get("UserPool"), "Cognito",
                          "Cognito events must reference a Cognito UserPool in the same template.")
    ev.permission("cognito-idp.amazonaws.com", source_arn=get_att(pool_id, "Arn"), prefix=ev.fn_id + "Cognito")
    pool = ev.ctx.template["Resources"][pool_id]
    pool_props = pool.get("Properties", {}) if isinstance(pool, dict) else {}
    config = pool_props.get("LambdaConfig", {}) if isinstance(pool_props, dict) else {}
    if config is None:
        config = {}
    expect_map(ev.ctx, config, line_of(pool, ev.line), pool_id, "LambdaConfig")
    triggers = ev.props.get("Trigger")
    taken = ev.ctx.apis.setdefault(("cognito", pool_id), {"triggers": set(config)})["triggers"]
    for trigger in [triggers] if isinstance(triggers, str) else triggers:
        if trigger in taken:
            raise ev.fail(f'Cognito trigger "{triggers}" defined multiple times.')
        taken.add(trigger)
    trigger_facts.cognito_event(ev, pool_id, triggers)
