"""A SAM function's `Events` → the permissions each event type implies.

Push sources become an `AWS::Lambda::Permission` on the function (or on its alias, when
`AutoPublishAlias` is set, as SAM does), with the SourceArn/SourceAccount SAM writes;
poll-based sources add what the execution role needs (a managed policy or inline
statements); `ScheduleV2` makes a role for EventBridge Scheduler. Each generated resource's
lines are the `Events` entry's. Behaviour follows samtranslator/model/eventsources/*
(push.py, pull.py, cloudwatchlogs.py, scheduler.py) of aws-sam-translator 1.110.0.
An event type not listed here is an error: it might grant something permcheck cannot see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.load.sam.core import (
    Ctx, check_properties, expect_map, get_att, key_line, logical_id_hash, node, ref, resource, sub,
)
from permcheck.load.sam.policies import aws_managed
from permcheck.load.sam.schema import FUNCTION_EVENTS, is_intrinsic

PULL = ("Kinesis", "DynamoDB", "SQS", "MSK", "MQ", "SelfManagedKafka", "DocumentDB")
FILTERABLE = ("DocumentDB", "DynamoDB", "Kinesis", "MQ", "MSK", "SelfManagedKafka", "SQS")
KAFKA_AUTH = ("SASL_SCRAM_256_AUTH", "SASL_SCRAM_512_AUTH", "BASIC_AUTH", "CLIENT_CERTIFICATE_TLS_AUTH")
VPC_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
               "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]
X_ANY = "x-amazon-apigateway-any-method"


@dataclass
class RoleBuilder:
    """The execution role being assembled (SAM adds to it while it reads the events)."""

    logical_id: str
    managed: list = field(default_factory=list)
    managed_lines: list = field(default_factory=list)
    documents: list = field(default_factory=list)

    def add_managed(self, arn: Any, line: int | None) -> None:
        if arn not in self.managed:
            self.managed.append(arn)
            self.managed_lines.append(line)

    def add_document(self, policy: LineDict) -> None:
        """SAM's `_link_policy`: a policy whose document is already there is not added twice."""
        if policy not in self.documents and policy.get("PolicyDocument") not in \
                [d.get("PolicyDocument") for d in self.documents if isinstance(d, dict)]:
            self.documents.append(policy)


@dataclass
class Target:
    """What events point at: the function, or its alias when AutoPublishAlias is set."""

    function_id: str
    name: Any  # FunctionName for permissions and mappings: Ref function, or Ref alias (its ARN)
    arn: Any  # GetAtt function.Arn, or Ref alias
    attributes: dict  # Condition etc. passed on to generated resources
    alias_id: str | None = None


def order(item: tuple[str, Any]) -> Any:
    """SAM processes events sorted by Path (so HttpApi `$default` comes first), else by name."""
    name, event = item
    if not isinstance(event, dict):
        return name
    props = event.get("Properties", {})
    return props.get("Path", name) if isinstance(props, dict) else name


def function_events(ctx: Ctx, fn_id: str, props: dict, target: Target, role: RoleBuilder) -> None:
    events = props.get("Events")
    if not events:
        return
    for name, event in sorted(events.items(), key=lambda kv: str(order(kv))):
        at = key_line(events, name)
        _event(ctx, fn_id, name, event, at, target, role)


def _event(ctx: Ctx, fn_id: str, name: str, event: dict, at: int | None, target: Target,
           role: RoleBuilder) -> None:
    if not isinstance(event, dict):
        raise ctx.fail(at, fn_id, "Resource dict has missing or invalid value for key Type. Event Type is: None.",
                       name)
    etype = event.get("Type")
    if not isinstance(etype, str) or etype not in FUNCTION_EVENTS:
        if isinstance(etype, str) and re.fullmatch(r"[A-Z][A-Za-z0-9]*", etype):
            from permcheck.load.sam.core import Unsupported
            raise Unsupported(at, f"event type {etype} ({fn_id}.Events.{name})")
        raise ctx.fail(at, fn_id, f"Resource dict has missing or invalid value for key Type. Event Type is: "
                                  f"{etype}.", name)
    props = event.get("Properties", LineDict(line=line_of(event, at)))
    event_id = fn_id + name
    if not isinstance(props, dict):
        raise ctx.fail(at, fn_id, "Properties should be a map.", name)
    check_properties(ctx, props, FUNCTION_EVENTS[etype], event_id, etype, event)
    ev = Event(ctx, fn_id, name, etype, props, at, target, role)
    HANDLERS[etype](ev)


@dataclass
class Event:
    ctx: Ctx
    fn_id: str
    name: str
    type: str
    props: dict
    line: int | None
    target: Target
    role: RoleBuilder

    @property
    def id(self) -> str:
        return self.fn_id + self.name

    @property
    def note(self) -> str:
        return f"created by SAM: {self.fn_id}.Events.{self.name} ({self.type})"

    def fail(self, message: str, at: object = None) -> Exception:
        return self.ctx.fail(at if at is not None else self.line, self.fn_id, message, self.name)

    def add(self, logical_id: str, rtype: str, props: dict | None, note: str | None = None,
            attributes: dict | None = None) -> None:
        attrs = dict(self.target.attributes) if attributes is None else attributes
        self.ctx.add(logical_id, resource(rtype, props, self.line, note or self.note, attrs), self.fn_id, self.line)

    def permission(self, principal: str, source_arn: Any = None, source_account: Any = None, suffix: str = "",
                   token: Any = None, prefix: str | None = None) -> None:
        """PushEventSource._construct_permission."""
        prefix = self.id if prefix is None else prefix
        logical_id = prefix + "Permission" + suffix if suffix.isalnum() else \
            logical_id_hash(prefix + "Permission", suffix)
        props = {"Action": "lambda:InvokeFunction", "FunctionName": self.target.name, "Principal": principal}
        for key, value in (("SourceArn", source_arn), ("SourceAccount", source_account),
                           ("EventSourceToken", token)):
            if value is not None:
                props[key] = value
        self.add(logical_id, "AWS::Lambda::Permission", props)

    def arn(self, service: str, resource_part: str, partition: str | None = None) -> str:
        """ArnGenerator.generate_arn with the region and account left as pseudo parameters."""
        partition = partition or self.ctx.deployment.partition
        return f"arn:{partition}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource_part}"


# -- push sources -----------------------------------------------------------------------------
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


def _target_id(logical_id: str, suffix: str) -> str:
    return logical_id + suffix if len(logical_id) + len(suffix) <= 64 else logical_id[:64 - len(suffix)] + suffix


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


def _referenced(ev: Event, value: Any, kind: str, message: str) -> str:
    """S3 and Cognito events must `Ref` a resource of this template."""
    if isinstance(value, dict) and "Ref" in value:
        target = value["Ref"]
        if not isinstance(target, str):
            raise ev.fail(f"'Ref' value in {kind} events is not a valid string." if kind == "S3"
                          else "Ref in Userpool is not a string.")
        if target in ev.ctx.template.get("Resources", {}):
            return target
    raise ev.fail(message)


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


def _logical_id(value: Any) -> str | None:
    from permcheck.load.sam.core import logical_id_of
    return logical_id_of(value)


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


# -- APIs --------------------------------------------------------------------------------------
def _api_checks(ev: Event) -> str:
    """Api.resources_to_link: the API the event names, and the stage its permission is named after."""
    from permcheck.load.sam import apis as sam_apis
    api_id = ev.props.get("RestApiId")
    api_name = api_id["Ref"] if isinstance(api_id, dict) and "Ref" in api_id else api_id
    suffix = "AllStages"
    if isinstance(api_name, str):
        api = ev.ctx.sam_or_template(api_name)
        if not isinstance(api, dict):
            raise ev.fail("RestApiId property of Api event must reference a valid resource in the same template.")
        api_props = api.get("Properties", {})
        if not isinstance(api_props, dict):
            raise ev.ctx.fail(line_of(api, ev.line), api_name, "Attribute 'Properties' should be a map.")
        stage = api_props.get("StageName")
        if isinstance(stage, str):
            if not stage:
                raise ev.ctx.fail(line_of(api, ev.line), api_name, "StageName cannot be empty.")
            suffix = stage
        else:
            suffix = "Stage"
        sam_apis.rest_api_event(ev, api_name, api)
    return suffix


def _api(ev: Event) -> None:
    """An Api event: permission for API Gateway on `METHOD path` of every stage of the API."""
    suffix = _api_checks(ev)
    props = ev.props
    method = props.get("Method")
    method = method.lower() if isinstance(method, str) else method
    path = re.sub(r"^(.+)/$", r"\1", props.get("Path"))
    path = re.sub(r"{([a-zA-Z0-9._-]+|[a-zA-Z0-9._-]+\+|proxy\+)}", "*", path)
    method_arn = "*" if method == "any" else method.upper()
    source_arn = sub(ev.arn("execute-api", f"${{__ApiId__}}/${{__Stage__}}/{method_arn}{path}"),
                     {"__ApiId__": props.get("RestApiId"), "__Stage__": "*"})
    ev.permission("apigateway.amazonaws.com", source_arn=source_arn, suffix=suffix)


def _http_api(ev: Event) -> None:
    from permcheck.load.sam import apis as sam_apis
    props = ev.props
    api_id = props.get("ApiId")
    api_name = api_id["Ref"] if isinstance(api_id, dict) and "Ref" in api_id else api_id
    api = ev.ctx.sam_or_template(api_name) if isinstance(api_name, str) else None
    path, method = props.get("Path"), props.get("Method")
    if not isinstance(path, str) or not isinstance(method, str):
        raise ev.fail("Property 'Path' should be a string." if not isinstance(path, str)
                      else "Property 'Method' should be a string.")
    sam_apis.http_api_event(ev, api_name, api)
    lower = method.lower()
    defaults = sam_apis.default_route_functions(ev.ctx, api_name, api)
    raw_path = path
    path = re.sub(r"^(.+)/$", r"\1", path)
    if path == "$default":
        path = ""
    elif ev.fn_id in defaults:
        return  # the function already serves `$default` on this API: SAM adds no narrower permission
    path = re.sub(r"{([a-zA-Z0-9._-]+|proxy\+)}", "*", path)
    method_arn = "*" if lower in ("any", X_ANY) else method.upper()
    resource_part = "${__ApiId__}/${__Stage__}"
    resource_part += path if lower == "any" and path == "/$default" else f"/{method_arn}{path}"
    source_arn = sub(ev.arn("execute-api", resource_part, partition="${AWS::Partition}"),
                     {"__ApiId__": api_id, "__Stage__": "*"})
    ev.permission("apigateway.amazonaws.com", source_arn=source_arn)
    if raw_path == "$default" and lower in ("any", X_ANY) and ev.target.alias_id is None \
            and sam_apis.has_definition(ev.ctx, api_name, api):
        defaults.add(ev.fn_id)


# -- EventBridge Scheduler ----------------------------------------------------------------------
def schedule_v2(ev: Event, invoke_policy: dict, note_target: str) -> None:
    """SchedulerEventSource: the schedule, and (unless RoleArn) a role scheduler.amazonaws.com assumes."""
    props = ev.props
    schedule: dict = {"ScheduleExpression": props.get("ScheduleExpression"),
                      "FlexibleTimeWindow": props.get("FlexibleTimeWindow") or {"Mode": "OFF"}}
    if props.get("State"):
        schedule["State"] = props["State"]
    if props.get("OmitName"):
        if props.get("Name"):
            raise ev.ctx.fail(ev.line, ev.id, "Name cannot be set when OmitName is True")
    else:
        schedule["Name"] = props.get("Name") or ev.id
    for key in ("Description", "StartDate", "EndDate", "ScheduleExpressionTimezone", "GroupName", "KmsKeyArn"):
        if props.get(key) is not None:
            schedule[key] = props[key]
    dlq_arn = None
    dlq = props.get("DeadLetterConfig")
    if dlq is not None:
        _validate_dlq(ev, dlq)
        dlq_arn = dlq.get("Arn")
        if dlq_arn is None:
            queue_id = dlq.get("QueueLogicalId")
            if queue_id is not None and not isinstance(queue_id, str):
                raise ev.ctx.fail(ev.line, ev.id, "QueueLogicalId must be a string")
            queue_id = queue_id or ev.id + "Queue"
            ev.add(queue_id, "AWS::SQS::Queue", None)
            dlq_arn = get_att(queue_id, "Arn")
    role_arn = props.get("RoleArn")
    if not role_arn:
        role_id = ev.id + "Role"
        policies = [invoke_policy]
        if dlq_arn:
            policies.append({"PolicyName": ev.id + "SQSPolicy", "PolicyDocument": {"Statement": [
                {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": dlq_arn}]}})
        role: dict = {"AssumeRolePolicyDocument": _trust("scheduler.amazonaws.com"), "Policies": policies}
        if props.get("PermissionsBoundary"):
            role["PermissionsBoundary"] = props["PermissionsBoundary"]
        ev.add(role_id, "AWS::IAM::Role", role, note=f"{ev.note}: role EventBridge Scheduler assumes to {note_target}")
        role_arn = get_att(role_id, "Arn")
    target: dict = {"Arn": invoke_policy["PolicyDocument"]["Statement"][0]["Resource"], "RoleArn": role_arn}
    for key in ("Input", "RetryPolicy"):
        if props.get(key) is not None:
            target[key] = props[key]
    if dlq is not None:
        target["DeadLetterConfig"] = {"Arn": dlq_arn}
    schedule["Target"] = target
    ev.add(ev.id, "AWS::Scheduler::Schedule", schedule)


def _schedule_v2(ev: Event) -> None:
    schedule_v2(ev, {"PolicyName": ev.id + "LambdaPolicy", "PolicyDocument": {"Statement": [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": ev.target.arn}]}}, "invoke the function")


def _trust(service: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": [service]}}]}


# -- poll-based sources ----------------------------------------------------------------------------
def _pull(ev: Event) -> None:
    """PullEventSource.to_cloudformation: the event source mapping, and the role's policies."""
    props, ctx = ev.props, ev.ctx
    mapping: dict = {"FunctionName": ev.target.name}
    source = {"Kinesis": "Stream", "DynamoDB": "Stream", "MSK": "Stream", "SQS": "Queue", "MQ": "Broker",
              "DocumentDB": "Cluster"}.get(ev.type)
    if source:
        mapping["EventSourceArn"] = props.get(source)
    for key in ("StartingPosition", "BatchSize", "Enabled", "Topics", "Queues", "SourceAccessConfigurations",
                "FilterCriteria", "DestinationConfig"):
        if props.get(key) is not None:
            mapping[key] = props[key]
    criteria = props.get("FilterCriteria")
    if criteria and not is_intrinsic(criteria):
        if ev.type not in FILTERABLE:
            raise ev.fail(f"FilterCriteria is only available for {', '.join(FILTERABLE)} events.")
        if list(criteria.keys()) not in ([], ["Filters"]):
            raise ev.fail("FilterCriteria field has a wrong format")
    if props.get("ConsumerGroupId") and ev.type not in ("MSK", "SelfManagedKafka"):
        raise ev.ctx.fail(ev.line, ev.id, f"Property ConsumerGroupId not defined for resource of type {ev.type}.",
                          ev.name)
    destination_policy = None
    destination = props.get("DestinationConfig")
    if destination:
        on_failure = destination.get("OnFailure") if isinstance(destination, dict) else None
        if not isinstance(on_failure, dict):
            raise ctx.fail(ev.line, ev.id, "Property 'DestinationConfig.OnFailure' should be a map.", None)
        kind = on_failure.get("Type")
        if kind:
            if kind not in ("SQS", "SNS", "S3", "Kafka"):
                raise ctx.fail(ev.line, ev.id, "The only valid values for 'Type' are 'SQS', 'SNS', 'S3', and 'Kafka'")
            destination_policy = destination_policy_for(kind, on_failure.get("Destination"), ev.id)
    ctx.add(ev.id, resource("AWS::Lambda::EventSourceMapping", mapping, ev.line, ev.note, ev.target.attributes),
            ev.fn_id, ev.line)
    managed = {"Kinesis": "service-role/AWSLambdaKinesisExecutionRole",
               "DynamoDB": "service-role/AWSLambdaDynamoDBExecutionRole",
               "SQS": "service-role/AWSLambdaSQSQueueExecutionRole",
               "MSK": "service-role/AWSLambdaMSKExecutionRole"}.get(ev.type)
    statements = POLL_STATEMENTS.get(ev.type, lambda e: None)(ev)
    if managed:
        ev.role.add_managed(aws_managed(ctx, managed), ev.line)
    for policy in statements or []:
        ev.role.add_document(node(policy, ev.line))
    if destination_policy:
        ev.role.add_document(node(destination_policy, ev.line))


def destination_policy_for(kind: str, destination: Any, logical_id: str) -> dict | None:
    """IAMRolePolicies for an on-failure / event-invoke destination."""
    if kind == "SQS":
        return {"PolicyName": logical_id + "SQSPolicy", "PolicyDocument": {"Statement": [
            {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": destination}]}}
    if kind == "SNS":
        return {"PolicyName": logical_id + "SNSPolicy", "PolicyDocument": {"Statement": [
            {"Action": "sns:publish", "Effect": "Allow", "Resource": destination}]}}
    if kind in ("S3", "S3Bucket"):
        return {"PolicyName": logical_id + "S3Policy", "PolicyDocument": {"Statement": [
            {"Action": "s3:PutObject", "Effect": "Allow", "Resource": {"Fn::Join": ["/", [destination, "*"]]}},
            {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": destination}]}}
    if kind == "EventBridge":
        return {"PolicyName": logical_id + "EventBridgePolicy", "PolicyDocument": {"Statement": [
            {"Action": "events:PutEvents", "Effect": "Allow", "Resource": destination}]}}
    if kind == "Lambda":
        return {"PolicyName": logical_id + "LambdaPolicy", "PolicyDocument": {"Statement": [
            {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": destination}]}}
    return None


def _kms(key_id: Any) -> dict:
    return {"Action": ["kms:Decrypt"], "Effect": "Allow",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/" + key_id}}


def _check_kms(ev: Event) -> None:
    key = ev.props.get("SecretsManagerKmsKeyId")
    if key and not isinstance(key, str):
        raise ev.fail("Property 'SecretsManagerKmsKeyId' should be a string.")


def _access_uri(ev: Event, supported: list[str], required: str) -> Any:
    """PullEventSource._validate_source_access_configurations."""
    configs = ev.props.get("SourceAccessConfigurations")
    if not configs:
        raise ev.fail(f"No SourceAccessConfigurations for Amazon {ev.type} event provided.")
    if not isinstance(configs, list):
        raise ev.fail("Provided SourceAccessConfigurations cannot be parsed into a list.")
    uri = None
    for index, conf in enumerate(configs):
        if not isinstance(conf, dict):
            raise ev.fail(f"Property 'SourceAccessConfigurations[{index}]' should be a map.")
        kind = conf.get("Type")
        if not isinstance(kind, str):
            raise ev.fail(f"Property 'SourceAccessConfigurations[{index}].Type' should be a string.")
        if kind not in supported:
            raise ev.fail(f"Invalid property Type specified in SourceAccessConfigurations. The supported values "
                          f"are: {supported}.")
        if kind == required:
            if uri:
                raise ev.fail(f"Multiple {required} properties specified in SourceAccessConfigurations.")
            uri = conf.get("URI")
            if not uri:
                raise ev.fail(f"No {required} URI property specified in SourceAccessConfigurations.")
    if not uri:
        raise ev.fail(f"No {required} property specified in SourceAccessConfigurations.")
    return uri


def _schema_registry(ev: Event) -> list[dict]:
    config = ev.props.get("SchemaRegistryConfig")
    if not config:
        return []
    if not isinstance(config, dict):
        raise ev.fail("Property 'SchemaRegistryConfig' should be a map.")
    for required in ("SchemaRegistryURI", "EventRecordFormat", "SchemaValidationConfigs"):
        if required not in config:
            raise ev.fail(f"Missing required field {required} in SchemaRegistryConfig")
    if config.get("EventRecordFormat") not in ("JSON", "SOURCE"):
        raise ev.fail("EventRecordFormat in SchemaRegistryConfig must be either 'JSON' or 'SOURCE'")
    if not isinstance(config.get("SchemaValidationConfigs"), list):
        raise ev.fail("SchemaValidationConfigs must be a list")
    access = config.get("AccessConfigs", [])
    if access:
        if not isinstance(access, list):
            raise ev.fail("AccessConfigs in SchemaRegistryConfig must be a list")
        for item in access:
            if not isinstance(item, dict) or "Type" not in item or "URI" not in item:
                raise ev.fail("Each AccessConfig must be a dict with 'Type' and 'URI' fields")
    statements = [{"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": item["URI"]}
                  for item in access or [] if isinstance(item, dict) and "URI" in item]
    uri = config.get("SchemaRegistryURI")
    arn = uri if isinstance(uri, str) else None
    if isinstance(uri, dict):
        from permcheck.load.sam.core import resolve_params
        resolved = resolve_params(ev.ctx, uri)
        arn = resolved.get("Fn::Sub") if isinstance(resolved, dict) else None
    registry = None
    if isinstance(str(arn), str) and str(arn).startswith("arn"):
        parts = str(arn).split(":")
        if len(parts) >= 6 and parts[5].startswith("registry/"):
            registry = parts[5][len("registry/"):]
    if registry is not None:
        statements.append({"Action": ["glue:GetRegistry"], "Effect": "Allow", "Resource": uri})
        statements.append({"Action": ["glue:GetSchemaVersion"], "Effect": "Allow", "Resource": [
            {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:schema/" + registry + "/*"}]})
    return statements


def _msk(ev: Event) -> list | None:
    statements = _schema_registry(ev)
    for conf in ev.props.get("SourceAccessConfigurations") or []:
        if isinstance(conf, dict) and conf.get("Type") == "CLIENT_CERTIFICATE_TLS_AUTH" and conf.get("URI"):
            statements.append({"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow",
                               "Resource": conf.get("URI")})
    return [{"PolicyName": "MSKExecutionRolePolicy", "PolicyDocument": {"Statement": statements}}] \
        if statements else None


def _mq(ev: Event) -> list:
    uri = _access_uri(ev, ["BASIC_AUTH", "VIRTUAL_HOST"], "BASIC_AUTH")
    statements = [{"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": uri},
                  {"Action": ["mq:DescribeBroker"], "Effect": "Allow", "Resource": ev.props.get("Broker")}]
    if ev.props.get("SecretsManagerKmsKeyId"):
        _check_kms(ev)
        statements.append({**_kms(ev.props["SecretsManagerKmsKeyId"]), "Action": "kms:Decrypt"})
    name = f"{ev.id}AMQPolicy" if ev.props.get("DynamicPolicyName") else "SamAutoGeneratedAMQPolicy"
    return [{"PolicyName": name, "PolicyDocument": {"Statement": statements}}]


def _self_managed_kafka(ev: Event) -> list:
    props = ev.props
    if not props.get("KafkaBootstrapServers"):
        raise ev.fail("No KafkaBootstrapServers provided for self managed kafka as an event source")
    if not props.get("Topics"):
        raise ev.fail("No Topics provided for self managed kafka as an event source")
    if len(props["Topics"]) != 1:
        raise ev.fail("Topics for self managed kafka only supports single configuration entry.")
    configs = props.get("SourceAccessConfigurations")
    if not configs:
        raise ev.fail("No SourceAccessConfigurations for self managed kafka event provided.")
    if not isinstance(configs, list):
        raise ev.fail("SourceAccessConfigurations for self managed kafka event should be a list.")
    auth = auth2 = None
    subnet = group = False

    def check(uri: Any, what: str) -> None:
        if not uri:
            raise ev.fail(f"No {what} URI property specified in SourceAccessConfigurations for self managed kafka "
                          "event.")
        if not isinstance(uri, str) and not is_intrinsic(uri):
            raise ev.fail(f"Wrong Type for {what} URI property specified in SourceAccessConfigurations for self "
                          "managed kafka event.")
    for conf in configs:
        if not isinstance(conf, dict):
            raise ev.fail("Property 'SourceAccessConfigurations' should be a map.")
        kind = conf.get("Type")
        if kind == "VPC_SUBNET":
            check(conf.get("URI"), "VPC_SUBNET")
            subnet = True
        elif kind == "VPC_SECURITY_GROUP":
            check(conf.get("URI"), "VPC_SECURITY_GROUP")
            group = True
        elif kind in KAFKA_AUTH:
            if auth:
                raise ev.fail("Multiple auth mechanism properties specified in SourceAccessConfigurations for self "
                              "managed kafka event.")
            check(conf.get("URI"), "auth mechanism")
            auth = conf.get("URI")
        elif kind == "SERVER_ROOT_CA_CERTIFICATE":
            check(conf.get("URI"), "SERVER_ROOT_CA_CERTIFICATE")
            auth2 = conf.get("URI")
        else:
            raise ev.fail("Invalid SourceAccessConfigurations Type provided for self managed kafka event.")
    if subnet != group:
        raise ev.fail("VPC_SUBNET and VPC_SECURITY_GROUP in SourceAccessConfigurations for SelfManagedKafka must be "
                      "both provided.")
    statements = []
    if auth:
        statements.append({"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": auth})
    if auth2:  # SAM adds the auth mechanism's secret again here (sic), not the CA certificate's
        statements.append({"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": auth})
    if subnet and group:
        statements.append({"Action": VPC_ACTIONS, "Effect": "Allow", "Resource": "*"})
    if props.get("SecretsManagerKmsKeyId"):
        _check_kms(ev)
        statements.append(_kms(props["SecretsManagerKmsKeyId"]))
    statements += _schema_registry(ev)
    return [{"PolicyDocument": {"Statement": statements, "Version": "2012-10-17"},
             "PolicyName": "SelfManagedKafkaExecutionRolePolicy"}]


def _document_db(ev: Event) -> list:
    uri = _access_uri(ev, ["BASIC_AUTH"], "BASIC_AUTH")
    statements = [
        {"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": uri},
        {"Action": ["rds:DescribeDBClusterParameters"], "Effect": "Allow",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster-pg:*"}},
        {"Action": ["rds:DescribeDBSubnetGroups"], "Effect": "Allow",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:subgrp:*"}},
        {"Action": ["rds:DescribeDBClusters"], "Effect": "Allow", "Resource": ev.props.get("Cluster")},
        {"Action": VPC_ACTIONS, "Effect": "Allow", "Resource": "*"},
    ]
    if ev.props.get("SecretsManagerKmsKeyId"):
        _check_kms(ev)
        statements.append(_kms(ev.props["SecretsManagerKmsKeyId"]))
    return [{"PolicyName": "SamAutoGeneratedDocumentDBPolicy", "PolicyDocument": {"Statement": statements}}]


POLL_STATEMENTS = {"MSK": _msk, "MQ": _mq, "SelfManagedKafka": _self_managed_kafka, "DocumentDB": _document_db}

HANDLERS = {
    "Schedule": _schedule, "CloudWatchEvent": _cloudwatch_event, "EventBridgeRule": _cloudwatch_event,
    "CloudWatchLogs": _cloudwatch_logs, "IoTRule": _iot_rule, "AlexaSkill": _alexa, "S3": _s3, "SNS": _sns,
    "Cognito": _cognito, "Api": _api, "HttpApi": _http_api, "ScheduleV2": _schedule_v2,
    **{kind: _pull for kind in PULL},
}


def role_properties(builder, trust: object, props: dict, at: int | None) -> dict:
    """The Properties of the role SAM makes for a function or state machine: the trust, the
    managed and inline policies the builder gathered, and `RolePath`/`PermissionsBoundary`."""
    role: dict = {"AssumeRolePolicyDocument": trust,
                  "ManagedPolicyArns": LineList(builder.managed, line=at, item_lines=list(builder.managed_lines))}
    if builder.documents:
        role["Policies"] = LineList(builder.documents, line=at,
                                    item_lines=[line_of(d, at) for d in builder.documents])
    for key, prop in (("Path", "RolePath"), ("PermissionsBoundary", "PermissionsBoundary")):
        if props.get(prop) is not None:
            role[key] = props[prop]
    return role
