"""How each event source fires a function: the `Trigger` for a wiring of each kind, with the
requests that make it fire and who then invokes. Every loader (templates, plans, snapshots)
builds its triggers here, so one source means one thing whichever input it came from.

Each constructor names the AWS page it follows. Values may hold unresolved parts (`Sym`,
`Unknown`): a source whose name is unknown is still the source the wiring names.
"""

from __future__ import annotations

from typing import Optional

from permcheck.model.location import Location
from permcheck.model.policy import Text
from permcheck.model.triggers import Delivery, Invocation, Trigger, Write
from permcheck.model.values import Sym, Unknown, concat

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
# an event type → the requests that raise it (the permission each request needs:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html). Types
# only S3 itself raises (lifecycle, replication, Intelligent-Tiering) have none.
S3_EVENT_ACTIONS = {
    "s3:ObjectCreated:Put": ("s3:PutObject",),
    "s3:ObjectCreated:Post": ("s3:PutObject",),
    "s3:ObjectCreated:Copy": ("s3:PutObject",),
    "s3:ObjectCreated:CompleteMultipartUpload": ("s3:PutObject",),
    "s3:ObjectRemoved:Delete": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "s3:ObjectRemoved:DeleteMarkerCreated": ("s3:DeleteObject",),
    "s3:ObjectRestore:Post": ("s3:RestoreObject",),
    "s3:ObjectRestore:Completed": ("s3:RestoreObject",),
    "s3:ObjectRestore:Delete": (),
    "s3:ReducedRedundancyLostObject": (),
    "s3:Replication:OperationFailedReplication": (),
    "s3:Replication:OperationMissedThreshold": (),
    "s3:Replication:OperationReplicatedAfterThreshold": (),
    "s3:Replication:OperationNotTracked": (),
    "s3:LifecycleExpiration:Delete": (),
    "s3:LifecycleExpiration:DeleteMarkerCreated": (),
    "s3:LifecycleTransition": (),
    "s3:IntelligentTiering": (),
    "s3:ObjectTagging:Put": ("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
    "s3:ObjectTagging:Delete": ("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
    "s3:ObjectAcl:Put": ("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
}

# https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (and with-kinesis, with-ddb): the
# permissions an event source mapping's function role needs to read its source
POLL_READS = {
    "sqs": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "kinesis": ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:ListShards"),
    "dynamodb": ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
                 "dynamodb:ListStreams"),
    "kafka": ("kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers", "kafka-cluster:Connect",
              "kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup", "kafka-cluster:DescribeTopic",
              "kafka-cluster:ReadData"),
}

# the requests that put a record where a mapping reads it
DYNAMODB_WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                   "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete")
KINESIS_WRITES = ("kinesis:PutRecord", "kinesis:PutRecords")


def _where(logical_id: Optional[str], source_note: Optional[str], location: Optional[Location]) -> dict:
    return {"logical_id": logical_id, "source_note": source_note, "location": location}


def _service_of(arn: Text) -> Optional[str]:
    """The service an ARN names (`arn:aws:sqs:…` → sqs), or None when that part is unresolved."""
    text = arn if isinstance(arn, str) else _known_prefix(arn)
    parts = text.split(":")
    return parts[2] if len(parts) > 3 and parts[0] == "arn" else None


def _known_prefix(value: Text) -> str:
    if isinstance(value, Sym):
        out = ""
        for part in value.parts:
            if not isinstance(part, str):
                break
            out += part
        return out
    return "" if isinstance(value, Unknown) else str(value)


def s3_trigger(bucket_arn: Text, function: Text, events: list[str], prefix: Optional[str] = None,
               suffix: Optional[str] = None, *, logical_id=None, source_note=None, location=None) -> Trigger:
    """A bucket notification to a function (NotificationConfiguration.LambdaConfigurations).
    A literal key prefix narrows the objects a write must name; a suffix is a note."""
    actions: list[str] = []
    for event in events:
        head = event[:-2] if event.endswith(":*") else None
        matching = [name for name in S3_EVENT_ACTIONS if name.startswith(head + ":")] if head else [event]
        for name in matching:
            actions += [a for a in S3_EVENT_ACTIONS.get(name, ("s3:PutObject",)) if a not in actions]
    objects = concat([bucket_arn, f"/{prefix or ''}*"])
    notes = (f"only keys ending {suffix!r}",) if suffix else ()
    return Trigger(source="s3", resource=bucket_arn, function=function, invocation=Invocation.ASYNC,
                   event=", ".join(events), writes=tuple(Write(action=a, resource=objects) for a in actions),
                   service="s3.amazonaws.com", notes=notes, **_where(logical_id, source_note, location))


def sns_trigger(topic_arn: Text, function: Text, filter_policy: bool = False, *, logical_id=None, source_note=None,
                location=None) -> Trigger:
    """A `lambda` subscription to a topic. https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html"""
    notes = ("a filter policy chooses which messages",) if filter_policy else ()
    return Trigger(source="sns", resource=topic_arn, function=function, invocation=Invocation.ASYNC,
                   event="sns:Publish", writes=(Write(action="sns:Publish", resource=topic_arn),),
                   service="sns.amazonaws.com", notes=notes, **_where(logical_id, source_note, location))


def sqs_delivery(topic_arn: Text, queue_arn: Text, raw: bool = False, filter_policy: bool = False, *,
                 logical_id=None, source_note=None, location=None) -> Delivery:
    """An `sqs` subscription to a topic: SNS sends each message published to the topic to the
    queue as sns.amazonaws.com, which the queue's policy must allow (usually for the topic's
    `aws:SourceArn`). https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html"""
    notes = (("raw message delivery: the queue gets the message as published",) if raw else ()) + \
        (("a filter policy chooses which messages",) if filter_policy else ())
    return Delivery(source="sns", resource=topic_arn, target=queue_arn, invocation=Invocation.ASYNC,
                    event="sns:Publish", writes=(Write(action="sns:Publish", resource=topic_arn),),
                    service="sns.amazonaws.com", delivers=Write(action="sqs:SendMessage", resource=queue_arn),
                    notes=notes, **_where(logical_id, source_note, location))


def mapping_trigger(source_arn: Text, function: Text, *, logical_id=None, source_note=None,
                    location=None) -> Trigger:
    """An event source mapping (AWS::Lambda::EventSourceMapping): Lambda polls the source with
    the function's role. Who can put a record there can make the function run. Sources whose
    producers are authorised outside IAM (MQ brokers, DocumentDB, self-managed Kafka) have no
    writes and say so: the path is then conditional on that unknown, never no one.
    https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html"""
    service = _service_of(source_arn)
    where = _where(logical_id, source_note, location)
    if service == "sqs":
        writes = (Write(action="sqs:SendMessage", resource=source_arn),)
    elif service == "kinesis":
        writes = tuple(Write(action=a, resource=source_arn) for a in KINESIS_WRITES)
    elif service == "dynamodb":
        table = _table_of_stream(source_arn)
        writes = tuple(Write(action=a, resource=table) for a in DYNAMODB_WRITES)
    elif service == "kafka":
        # MSK with IAM access control: kafka-cluster:WriteData on the cluster's topics
        # https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control.html
        writes = (Write(action="kafka-cluster:WriteData", resource=_msk_topics(source_arn)),)
    else:
        return Trigger(source=service or "unknown", resource=source_arn, function=function,
                       invocation=Invocation.POLL, event="records", reads=(),
                       producers=f"who can send to {source_arn}: decided by the broker, not IAM", **where)
    reads = tuple(Write(action=a, resource=source_arn) for a in POLL_READS.get(service, ()))
    return Trigger(source=service, resource=source_arn, function=function, invocation=Invocation.POLL,
                   event="records", writes=writes, reads=reads, **where)


def _table_of_stream(stream_arn: Text) -> Text:
    """`arn:aws:dynamodb:r:a:table/T/stream/LABEL` → the table `arn:aws:dynamodb:r:a:table/T`."""
    if isinstance(stream_arn, str):
        return stream_arn.split("/stream/", 1)[0]
    if isinstance(stream_arn, Sym):
        parts = []
        for part in stream_arn.parts:
            if isinstance(part, str) and "/stream/" in part:
                parts.append(part.split("/stream/", 1)[0])
                return concat(parts)
            parts.append(part)
    return stream_arn


def _msk_topics(cluster_arn: Text) -> Text:
    """An MSK cluster `arn:aws:kafka:r:a:cluster/NAME/UUID` → its topics `…:topic/NAME/UUID/*`."""
    if isinstance(cluster_arn, str) and ":cluster/" in cluster_arn:
        return cluster_arn.replace(":cluster/", ":topic/", 1) + "/*"
    return concat([cluster_arn, "/*"])


def rule_trigger(rule_arn: Text, function: Text, bus_arn: Optional[Text], pattern: Optional[str] = None,
                 schedule: Optional[str] = None, *, logical_id=None, source_note=None, location=None) -> Trigger:
    """An EventBridge rule whose target is the function: who may put events on its bus can make
    it run (a pattern narrows which events, a note); a scheduled rule only AWS fires.
    https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge.html"""
    where = _where(logical_id, source_note, location)
    if schedule is not None:
        return Trigger(source="events", resource=rule_arn, function=function, invocation=Invocation.ASYNC,
                       event=schedule, service="events.amazonaws.com", **where)
    bus = bus_arn if bus_arn is not None else concat([_region_account_prefix(rule_arn), "event-bus/default"])
    notes = (f"events matching {pattern}",) if pattern else ()
    return Trigger(source="events", resource=rule_arn, function=function, invocation=Invocation.ASYNC,
                   event=pattern or "events", writes=(Write(action="events:PutEvents", resource=bus),),
                   service="events.amazonaws.com", notes=notes, **where)


def _region_account_prefix(arn: Text) -> Text:
    """`arn:aws:events:r:a:rule/x` → `arn:aws:events:r:a:`."""
    if isinstance(arn, str):
        return ":".join(arn.split(":")[:5]) + ":"
    return concat([_known_prefix(arn).rsplit(":", 1)[0] + ":"]) if ":" in _known_prefix(arn) else arn


def schedule_trigger(schedule_arn: Text, function: Text, expression: Optional[str] = None, *, logical_id=None,
                     source_note=None, location=None) -> Trigger:
    """An EventBridge Scheduler schedule: only AWS fires it.
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets.html"""
    return Trigger(source="scheduler", resource=schedule_arn, function=function, invocation=Invocation.ASYNC,
                   event=expression or "schedule", **_where(logical_id, source_note, location))


def state_machine_trigger(machine_arn: Text, function: Text, role: Optional[Text] = None, *, logical_id=None,
                          source_note=None, location=None) -> Trigger:
    """A state machine whose definition calls the function: who may start an execution can
    make it run. Step Functions invokes the function as the machine's role (`role`).
    https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
    https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html"""
    return Trigger(source="states", resource=machine_arn, function=function, invocation=Invocation.SYNC,
                   event="states:StartExecution", role=role,
                   writes=tuple(Write(action=a, resource=machine_arn)
                                for a in ("states:StartExecution", "states:StartSyncExecution")),
                   **_where(logical_id, source_note, location))


def route_trigger(route_arn: Text, function: Text, route: str, authorization: str, *, logical_id=None,
                  source_note=None, location=None) -> Trigger:
    """An API Gateway route (REST, HTTP or WebSocket) integrated with the function.

    `authorization`: NONE (anyone on the internet), AWS_IAM (who may `execute-api:Invoke` the
    route), COGNITO_USER_POOLS, JWT or CUSTOM (whoever the authorizer accepts: conditional).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html"""
    return Trigger(source="execute-api", resource=route_arn, function=function, invocation=Invocation.SYNC,
                   event=route, writes=(Write(action="execute-api:Invoke", resource=route_arn),),
                   public=authorization.upper() == "NONE", authorization=authorization.upper(),
                   service="apigateway.amazonaws.com", **_where(logical_id, source_note, location))


def iot_trigger(rule_arn: Text, function: Text, topics: Text, *, logical_id=None, source_note=None,
                location=None) -> Trigger:
    """An IoT topic rule with a Lambda action: who may publish on its topics can make it run.
    https://docs.aws.amazon.com/iot/latest/developerguide/lambda-rule-action.html"""
    return Trigger(source="iot", resource=rule_arn, function=function, invocation=Invocation.ASYNC,
                   event="iot:Publish", writes=(Write(action="iot:Publish", resource=topics),),
                   service="iot.amazonaws.com", **_where(logical_id, source_note, location))


def logs_trigger(log_group_arn: Text, function: Text, *, logical_id=None, source_note=None,
                 location=None) -> Trigger:
    """A CloudWatch Logs subscription filter to the function: who may write to the log group.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html"""
    return Trigger(source="logs", resource=log_group_arn, function=function, invocation=Invocation.ASYNC,
                   event="logs:PutLogEvents", writes=(Write(action="logs:PutLogEvents", resource=concat(
                       [log_group_arn, ":*"])),), service="logs.amazonaws.com",
                   **_where(logical_id, source_note, location))


def cognito_trigger(pool_arn: Text, function: Text, name: str, *, logical_id=None, source_note=None,
                    location=None) -> Trigger:
    """A user pool's Lambda trigger: sign-up and sign-in are calls anyone on the internet can make
    (the pool's own settings, such as admin-only sign-up, narrow that: a note).
    https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-identity-pools-working-with-aws-lambda-triggers.html"""
    return Trigger(source="cognito-idp", resource=pool_arn, function=function, invocation=Invocation.SYNC,
                   event=name, public=True, service="cognito-idp.amazonaws.com",
                   notes=("any caller of the pool's public sign-up and sign-in APIs",),
                   **_where(logical_id, source_note, location))


def alb_trigger(target_group_arn: Text, function: Text, public: bool = False, reach: Optional[str] = None, *,
                logical_id=None, source_note=None, location=None) -> Trigger:
    """An Application Load Balancer target group of type `lambda`: the load balancer invokes the
    function for each request a listener forwards there. No IAM action sends a request to a load
    balancer: one that is internet-facing with a listener forwarding here is public; otherwise who
    reaches it is decided by its network (an internal scheme, security groups, a listener not in the
    inputs), not IAM, so the path is conditional on that unknown (`reach` says why), never no one.
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html"""
    notes = () if public else (reach or "who reaches the load balancer is decided by its network, not IAM",)
    return Trigger(source="elasticloadbalancing", resource=target_group_arn, function=function,
                   invocation=Invocation.SYNC, event="HTTP request", public=public,
                   service="elasticloadbalancing.amazonaws.com", notes=notes,
                   **_where(logical_id, source_note, location))


# AppSync's authorization modes, in the words route_trigger uses for the same kind of check
APPSYNC_AUTHORIZATION = {"AWS_IAM": "AWS_IAM", "API_KEY": "API_KEY", "AMAZON_COGNITO_USER_POOLS": "COGNITO_USER_POOLS",
                         "OPENID_CONNECT": "JWT", "AWS_LAMBDA": "CUSTOM"}


def appsync_trigger(api_arn: Text, function: Text, modes: tuple[str, ...], role: Optional[Text] = None, *,
                    logical_id=None, source_note=None, location=None) -> Trigger:
    """A GraphQL API's Lambda data source: a request any of the API's authorization modes accepts can
    run a resolver that calls the function. AppSync invokes it with the data source's role (no service
    principal: like a state machine's role), so `service` is None and the role is a note. With only
    AWS_IAM, IAM decides (`appsync:GraphQL`); any other mode (an API key, a user pool, OIDC, a Lambda
    authorizer) admits callers IAM does not see, so the path is conditional on it (an API key is
    never anyone: its holders).
    https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html and
    https://docs.aws.amazon.com/appsync/latest/devguide/tutorial-lambda-resolvers.html"""
    said = [APPSYNC_AUTHORIZATION.get(str(m).upper(), "CUSTOM") for m in modes] or ["CUSTOM"]
    others = [m for m in said if m != "AWS_IAM"]
    notes = (f"the API accepts {', '.join(str(m) for m in modes)}",) if len(modes) > 1 else ()
    if role is not None:
        notes += (f"AppSync invokes the function with the data source's role {role}",)
    return Trigger(source="appsync", resource=api_arn, function=function, invocation=Invocation.SYNC,
                   event="appsync:GraphQL", writes=(Write(action="appsync:GraphQL", resource=concat([api_arn, "/*"])),),
                   authorization=others[0] if others else "AWS_IAM", notes=notes,
                   **_where(logical_id, source_note, location))
