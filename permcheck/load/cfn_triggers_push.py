"""Push and poll sources wired to functions → triggers: event source mappings, bucket notifications,
SNS subscriptions, EventBridge rules and Scheduler schedules, Cognito user pool triggers, IoT topic
rules and CloudWatch Logs subscription filters. Each reader takes the resource that writes the wiring
and builds its Trigger with model/trigger_kinds.py, located at the wiring's line.
How each service invokes Lambda: https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html
"""

from __future__ import annotations

import json
import re

from permcheck.load.cfn_trigger_reader import (
    TriggerReader, between, items, known_prefix, logical_id_of, restore, text, with_placeholders,
)
from permcheck.load.nodes import line_of, plain
from permcheck.model.trigger_kinds import (
    cognito_trigger, iot_trigger, logs_trigger, mapping_trigger, rule_trigger, s3_trigger, schedule_trigger,
    sns_trigger, sqs_delivery,
)
from permcheck.model.values import Sym, Unknown


def read(r: TriggerReader) -> None:
    for read_one in (_mappings, _buckets, _subscriptions, _topics, _rules, _schedules, _user_pools, _topic_rules,
                     _log_filters):
        read_one(r)


def _noted(trigger, *notes: str):
    return trigger.model_copy(update={"notes": trigger.notes + notes}) if notes else trigger


# -- event source mappings ------------------------------------------------------------------------
def _mappings(r: TriggerReader) -> None:
    """AWS::Lambda::EventSourceMapping: Lambda polls the source with the function's role.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-eventsourcemapping.html"""
    for logical_id, resource, props in r.resources("AWS::Lambda::EventSourceMapping"):
        function = r.function(props.get("FunctionName"), names=True)
        if function is None:
            continue
        where = {"logical_id": logical_id, "source_note": r.note(resource), "location": r.location(resource)}
        source = r.prop(props, "EventSourceArn")
        if source is None:  # self-managed Kafka: brokers named by address, no ARN
            managed = r.prop(props, "SelfManagedEventSource")
            servers = managed.get("Endpoints", {}).get("KafkaBootstrapServers") \
                if isinstance(managed, dict) and isinstance(managed.get("Endpoints"), dict) else None
            named = ",".join(str(s) for s in servers) if isinstance(servers, list) else "unknown brokers"
            trigger = mapping_trigger(f"kafka://{named}", function, **where).model_copy(update={"source": "kafka"})
        else:
            trigger = mapping_trigger(text(source), function, **where)
            if trigger.source == "unknown":  # not a broker: an ARN the template does not fix
                unknown = f"the event source {source} is not known, so neither is who can add records to it"
                trigger = trigger.model_copy(update={"source": _service_named(r, props.get("EventSourceArn"), resource),
                                                     "producers": unknown})
        notes = []
        if props.get("FilterCriteria") is not None:
            notes.append("a filter chooses which records")
        if r.prop(props, "Enabled") in (False, "false"):
            notes.append("the mapping is disabled (Enabled: false)")
        r.add(_noted(trigger, *notes))


# -- S3 -----------------------------------------------------------------------------------------------
SOURCE_TYPES = {"AWS::SQS::Queue": "sqs", "AWS::Kinesis::Stream": "kinesis", "AWS::DynamoDB::Table": "dynamodb",
                "AWS::MSK::Cluster": "kafka", "AWS::MSK::ServerlessCluster": "kafka", "AWS::AmazonMQ::Broker": "mq",
                "AWS::DocDB::DBCluster": "rds"}  # the service of a mapping's source, by the resource it names
SAM_POLL_SOURCES = {"SQS": "sqs", "Kinesis": "kinesis", "DynamoDB": "dynamodb", "MSK": "kafka",
                    "SelfManagedKafka": "kafka", "MQ": "mq", "DocumentDB": "rds"}  # a SAM event type → its service


def _service_named(r: TriggerReader, raw: object, resource: dict) -> str:
    """The service of a mapping's source whose ARN is unknown: that of the template resource it names,
    else that of the SAM event that made the mapping ("created by SAM: Fn.Events.Q (SQS)"), else unknown."""
    target = logical_id_of(raw)
    if target is not None and r.resolver.resource_type(target) in SOURCE_TYPES:
        return SOURCE_TYPES[r.resolver.resource_type(target)]
    event = re.search(r"\(([A-Za-z0-9]+)\)$", r.note(resource) or "")
    return SAM_POLL_SOURCES.get(event.group(1) if event else "", "unknown")


def _buckets(r: TriggerReader) -> None:
    """A bucket's NotificationConfiguration.LambdaConfigurations.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html"""
    for logical_id, resource, props in r.resources("AWS::S3::Bucket"):
        config = r.prop(props, "NotificationConfiguration")
        if not isinstance(config, dict) or not config.get("LambdaConfigurations"):
            continue
        bucket = r.get_att(logical_id, "Arn")
        for line, entry in items(config.get("LambdaConfigurations")):
            if isinstance(entry, dict):
                bucket_notification(r, bucket, entry, logical_id=logical_id, source_note=r.note(resource),
                                    location=r.location(entry, line, resource))


def bucket_notification(r: TriggerReader, bucket: object, entry: dict, **where) -> None:
    """One LambdaConfiguration (resolved): Event (one, or a list as SAM's S3 event names them), Function,
    Filter.S3Key.Rules."""
    function = r.function(None, names=True, resolved=entry.get("Function"))
    if function is None:
        return
    event = entry.get("Event")
    events = [str(text(e)) for e in (event if isinstance(event, list) else [event])]
    rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules") if isinstance(entry.get("Filter"), dict) and \
        isinstance(entry["Filter"].get("S3Key"), dict) else None
    fixes: dict[str, str] = {}
    for rule in rules if isinstance(rules, list) else ():
        if isinstance(rule, dict) and isinstance(rule.get("Name"), str) and isinstance(rule.get("Value"), str):
            fixes[rule["Name"].lower()] = rule["Value"]  # an unresolved value narrows nothing known
    r.add(s3_trigger(text(bucket), function, events, fixes.get("prefix"), fixes.get("suffix"), **where))


# -- SNS ---------------------------------------------------------------------------------------------
def _subscriptions(r: TriggerReader) -> None:
    """AWS::SNS::Subscription with Protocol lambda (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html),
    or sqs: a delivery to a queue."""
    for logical_id, resource, props in r.resources("AWS::SNS::Subscription"):
        protocol = r.prop(props, "Protocol")
        if isinstance(protocol, str) and protocol.lower() == "sqs":
            _to_queue(r, r.prop(props, "TopicArn"), props, r.prop(props, "Endpoint"), logical_id=logical_id,
                      source_note=r.note(resource), location=r.location(resource))
        if not (isinstance(protocol, str) and protocol.lower() == "lambda"):
            continue
        function = r.function(props.get("Endpoint"), names=True)
        if function is not None:
            r.add(sns_trigger(text(r.prop(props, "TopicArn")), function, props.get("FilterPolicy") is not None,
                              logical_id=logical_id, source_note=r.note(resource), location=r.location(resource)))


def _topics(r: TriggerReader) -> None:
    """A topic's own `Subscription` list."""
    for logical_id, resource, props in r.resources("AWS::SNS::Topic"):
        subscriptions = r.prop(props, "Subscription")
        if not subscriptions:
            continue
        topic = r.ref(logical_id)
        for line, entry in items(subscriptions):
            protocol = entry.get("Protocol") if isinstance(entry, dict) else None
            if isinstance(protocol, str) and protocol.lower() == "sqs":
                _to_queue(r, topic, {}, entry.get("Endpoint"), logical_id=logical_id, source_note=r.note(resource),
                          location=r.location(entry, line, resource))
            if not (isinstance(protocol, str) and protocol.lower() == "lambda"):
                continue
            function = r.function(None, names=True, resolved=entry.get("Endpoint"))
            if function is not None:
                r.add(sns_trigger(text(topic), function, logical_id=logical_id, source_note=r.note(resource),
                                  location=r.location(entry, line, resource)))


def _to_queue(r: TriggerReader, topic: object, props: dict, queue: object, **where) -> None:
    """An `sqs` subscription (resolved topic and endpoint): the topic delivers to the queue. A topic's
    own `Subscription` list holds only Endpoint and Protocol; a subscription resource may add
    RawMessageDelivery and a FilterPolicy, kept as notes."""
    if queue is None or topic is None:
        return
    raw = r.prop(props, "RawMessageDelivery") in (True, "true", "True")
    r.deliver(sqs_delivery(text(topic), text(queue), raw, props.get("FilterPolicy") is not None, **where))


# -- EventBridge and Scheduler ------------------------------------------------------------------------
def _rules(r: TriggerReader) -> None:
    """AWS::Events::Rule targets that are functions. https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge.html"""
    for logical_id, resource, props in r.resources("AWS::Events::Rule"):
        targets = [(line, t, r.function(None, resolved=t.get("Arn"))) for line, t in items(r.prop(props, "Targets"))
                   if isinstance(t, dict)]
        targets = [(line, t, f) for line, t, f in targets if f is not None]
        if not targets:
            continue
        bus = r.prop(props, "EventBusName")
        default = bus is None or bus == "default" or (isinstance(bus, str) and bus.endswith(":event-bus/default"))
        if default:
            bus_name, bus_arn = None, r.arn("events", "event-bus/default")
        elif known_prefix(bus).startswith("arn:"):
            bus_name, bus_arn = between(bus, "event-bus/") or bus, bus
        else:
            bus_name, bus_arn = text(bus), r.arn("events", "event-bus/", text(bus))
        rule = r.get_att(logical_id, "Arn")
        if isinstance(rule, Unknown):  # the resolver cannot tell the bus: the ARN is rule/[BUS/]NAME
            name = r.name(logical_id, props, "Name")
            rule = r.arn("events", "rule/", name) if default else r.arn("events", "rule/", text(bus_name), "/", name)
        pattern = _compact(r.prop(props, "EventPattern"))
        schedule = r.prop(props, "ScheduleExpression")
        disabled = ("the rule is disabled (State: DISABLED)",) if r.prop(props, "State") == "DISABLED" else ()
        for line, target, function in targets:
            r.add(_noted(rule_trigger(text(rule), function, text(bus_arn), pattern,
                                      None if schedule is None else str(text(schedule)), logical_id=logical_id,
                                      source_note=r.note(resource), location=r.location(target, line, resource)),
                         *disabled))


def _compact(pattern: object) -> str | None:
    """An event pattern as compact JSON text (a pattern given as JSON text is compacted too)."""
    if pattern is None:
        return None
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError:
            return pattern
    return json.dumps(plain(pattern), separators=(",", ":"), sort_keys=True, default=str)


def _schedules(r: TriggerReader) -> None:
    """AWS::Scheduler::Schedule whose target is a function: only AWS fires it.
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets.html"""
    for logical_id, resource, props in r.resources("AWS::Scheduler::Schedule"):
        target = r.prop(props, "Target")
        function = r.function(None, resolved=target.get("Arn")) if isinstance(target, dict) else None
        if function is None:
            continue
        group = r.prop(props, "GroupName") or "default"
        schedule = r.arn("scheduler", "schedule/", text(group), "/", r.name(logical_id, props, "Name"))
        expression = r.prop(props, "ScheduleExpression")
        disabled = ("the schedule is disabled (State: DISABLED)",) if r.prop(props, "State") == "DISABLED" else ()
        r.add(_noted(schedule_trigger(text(schedule), function, None if expression is None else str(text(expression)),
                                      logical_id=logical_id, source_note=r.note(resource),
                                      location=r.location(target, resource)), *disabled))


# -- Cognito, IoT, CloudWatch Logs ---------------------------------------------------------------------
COGNITO_TRIGGERS = ("CreateAuthChallenge", "CustomMessage", "DefineAuthChallenge", "PostAuthentication",
                    "PostConfirmation", "PreAuthentication", "PreSignUp", "PreTokenGeneration", "UserMigration",
                    "VerifyAuthChallengeResponse")
COGNITO_SENDERS = ("CustomEmailSender", "CustomSMSSender", "PreTokenGenerationConfig")  # {LambdaArn, …}


def _user_pools(r: TriggerReader) -> None:
    """AWS::Cognito::UserPool LambdaConfig.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cognito-userpool-lambdaconfig.html"""
    for logical_id, resource, props in r.resources("AWS::Cognito::UserPool"):
        config = r.prop(props, "LambdaConfig")
        if not isinstance(config, dict):
            continue
        pool = r.get_att(logical_id, "Arn")
        for name, value in config.items():
            if name in COGNITO_SENDERS:
                value = value.get("LambdaArn") if isinstance(value, dict) else None
            elif name not in COGNITO_TRIGGERS:
                continue
            function = r.function(None, names=True, resolved=value)
            if function is not None:
                r.add(cognito_trigger(text(pool), function, name, logical_id=logical_id,
                                      source_note=r.note(resource),
                                      location=r.location(None, config.line_of(name), resource)))


SQL_FROM = re.compile(r"\bFROM\s+'([^']*)'", re.IGNORECASE)


def _topic_rules(r: TriggerReader) -> None:
    """AWS::IoT::TopicRule Lambda actions; who may publish on the topics its SQL selects.
    https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-from.html"""
    for logical_id, resource, props in r.resources("AWS::IoT::TopicRule"):
        payload = r.prop(props, "TopicRulePayload")
        if not isinstance(payload, dict):
            continue
        actions = [(line, a, "") for line, a in items(payload.get("Actions"))]
        if payload.get("ErrorAction") is not None:
            actions.append((line_of(payload.get("ErrorAction")), payload["ErrorAction"],
                            "runs when another action of the rule fails"))
        name = r.prop(props, "RuleName") or r.ref(logical_id)
        rule, topics = r.arn("iot", "rule/", text(name)), _topic_filter(r, payload.get("Sql"), logical_id)
        disabled = ("the rule is disabled (RuleDisabled: true)",) if payload.get("RuleDisabled") in (True, "true") \
            else ()
        for line, action, note in actions:
            spec = action.get("Lambda") if isinstance(action, dict) else None
            function = r.function(None, names=True, resolved=spec.get("FunctionArn")) \
                if isinstance(spec, dict) else None
            if function is not None:
                r.add(_noted(iot_trigger(text(rule), function, topics, logical_id=logical_id,
                                         source_note=r.note(resource), location=r.location(spec, line, resource)),
                             *([note] if note else []), *disabled))


def _topic_filter(r: TriggerReader, sql: object, logical_id: str) -> object:
    """`SELECT … FROM 'a/+/b'` → `arn:…:iot:R:A:topic/a/*/b` (`+` and `#` match any level)."""
    textual, unknowns = with_placeholders(sql if isinstance(sql, (str, Sym, Unknown)) else "")
    match = SQL_FROM.search(textual)
    if match is None:
        return r.arn("iot", "topic/", Unknown(f"the topics the SQL of rule {logical_id} selects"))
    topic = "/".join("*" if level in ("+", "#") else level for level in match.group(1).split("/"))
    return r.arn("iot", "topic/", restore(topic, unknowns))


def _log_filters(r: TriggerReader) -> None:
    """AWS::Logs::SubscriptionFilter whose destination is a function.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample"""
    for logical_id, resource, props in r.resources("AWS::Logs::SubscriptionFilter"):
        function = r.function(props.get("DestinationArn"))
        if function is None:
            continue
        group = r.prop(props, "LogGroupName")
        arn = group if known_prefix(group).startswith("arn:") else r.arn("logs", "log-group:", text(group))
        r.add(logs_trigger(text(arn), function, logical_id=logical_id, source_note=r.note(resource),
                           location=r.location(resource)))
