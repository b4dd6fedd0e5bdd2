"""`aws lambda list-event-source-mappings` and `aws sns list-subscriptions` → triggers.

list-event-source-mappings (https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html)
gives each mapping's `EventSourceArn` (or, for self-managed Apache Kafka, `SelfManagedEventSource`
with its bootstrap servers) and the `FunctionArn` it invokes. A mapping whose `State` is Disabled
is kept: whoever may `lambda:UpdateEventSourceMapping` can enable it, and records sent meanwhile
wait in the queue or stream; a note says so.

list-subscriptions and list-subscriptions-by-topic
(https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptions.html) give each subscription's
`TopicArn`, `Protocol` and `Endpoint`; a `lambda` subscription's endpoint is the function, an `sqs`
subscription's the queue the topic delivers to (`Inventory.deliveries`). The
listing holds no filter policy nor raw delivery flag (that is `get-subscription-attributes`), so
none is assumed. A
subscription still `PendingConfirmation` is kept with a note: it delivers once confirmed.

`aws s3api get-bucket-notification-configuration` is not read: its output does not name the
bucket, so a file of it cannot say which bucket fires the function.
"""

from __future__ import annotations

from permcheck.load.nodes import LineDict
from permcheck.load.snapshot_fields import entries, text_field
from permcheck.load.snapshot_lambda import function_arn
from permcheck.load.trigger_notes import FILTERED_RECORDS, disabled, with_notes
from permcheck.model.arn import parse_arn
from permcheck.model.entities import Inventory
from permcheck.model.location import InputError, Location
from permcheck.model.trigger_kinds import mapping_trigger, sns_trigger, sqs_delivery

DISABLED = {"Disabled": "disabled", "Disabling": "being disabled", "Deleting": "being deleted"}
PENDING = "PendingConfirmation"


def load_mappings(file: str, document: LineDict, inventory: Inventory) -> None:
    """Read one `list-event-source-mappings` output: one trigger per mapping."""
    for entry, line in entries(file, document, "EventSourceMappings"):
        uuid = entry.get("UUID")
        what = f"event source mapping {uuid}" if isinstance(uuid, str) and uuid else "EventSourceMappings entry"
        function = _function(file, entry, "FunctionArn", what)
        trigger = mapping_trigger(_source(file, entry, what), function, location=Location(file, line))
        notes = []
        state = text_field(file, entry, "State", what, required=False)
        if state in DISABLED:
            notes.append(disabled("mapping", DISABLED[state], "lambda:UpdateEventSourceMapping"))
        if _has_filters(file, entry, what):
            notes.append(FILTERED_RECORDS)
        inventory.triggers.append(with_notes(trigger, *notes))


def load_subscriptions(file: str, document: LineDict, inventory: Inventory) -> None:
    """Read one `list-subscriptions` (or `list-subscriptions-by-topic`) output: one trigger per
    `lambda` subscription, one delivery per `sqs` subscription; the other protocols deliver
    outside the inputs."""
    for entry, line in entries(file, document, "Subscriptions"):
        protocol = text_field(file, entry, "Protocol", "Subscriptions entry")
        if protocol not in ("lambda", "sqs"):
            continue
        topic = text_field(file, entry, "TopicArn", f"{protocol} subscription")
        parsed = parse_arn(topic)
        if parsed is None or parsed.service != "sns":
            raise InputError(Location(file, entry.line_of("TopicArn")), f"{topic!r} is not an SNS topic ARN")
        notes = ("the subscription is pending confirmation",) if entry.get("SubscriptionArn") == PENDING else ()
        if protocol == "sqs":
            queue = _queue(file, entry, f"sqs subscription to {topic}")
            inventory.deliveries.append(with_notes(sqs_delivery(topic, queue, location=Location(file, line)), *notes))
            continue
        function = _function(file, entry, "Endpoint", f"lambda subscription to {topic}")
        trigger = sns_trigger(topic, function, location=Location(file, line))
        inventory.triggers.append(with_notes(trigger, *notes))


def _queue(file: str, entry: LineDict, what: str) -> str:
    """An `sqs` subscription's Endpoint: the queue's ARN."""
    text = text_field(file, entry, "Endpoint", what)
    parsed = parse_arn(text)
    if parsed is None or parsed.service != "sqs":
        raise InputError(Location(file, entry.line_of("Endpoint")), f"{what}: Endpoint {text!r} is not an SQS queue ARN")
    return text


def _function(file: str, entry: LineDict, key: str, what: str) -> str:
    """A function ARN field, as written (a qualified ARN names the version or alias invoked)."""
    text = text_field(file, entry, key, what)
    if function_arn(text) is None:
        raise InputError(Location(file, entry.line_of(key)), f"{what}: {key} {text!r} is not a Lambda function ARN")
    return text


def _source(file: str, entry: LineDict, what: str) -> str:
    """The ARN the mapping reads; for self-managed Kafka, its bootstrap servers (no ARN: the
    broker, not IAM, decides who may produce)."""
    if entry.get("EventSourceArn") is not None or "SelfManagedEventSource" not in entry:
        arn = text_field(file, entry, "EventSourceArn", what)
        if parse_arn(arn) is None:
            raise InputError(Location(file, entry.line_of("EventSourceArn")), f"{what}: {arn!r} is not an ARN")
        return arn
    source = entry.get("SelfManagedEventSource")
    endpoints = source.get("Endpoints") if isinstance(source, dict) else None
    servers = endpoints.get("KAFKA_BOOTSTRAP_SERVERS") if isinstance(endpoints, dict) else None
    if not isinstance(servers, list) or not servers or not all(isinstance(s, str) and s for s in servers):
        raise InputError(Location(file, entry.line_of("SelfManagedEventSource")),
                         f"{what}: SelfManagedEventSource must hold Endpoints.KAFKA_BOOTSTRAP_SERVERS, "
                         "a list of host:port strings")
    return ",".join(servers)


def _has_filters(file: str, entry: LineDict, what: str) -> bool:
    criteria = entry.get("FilterCriteria")
    if criteria is None:
        return False
    filters = criteria.get("Filters") if isinstance(criteria, dict) else None
    if not isinstance(filters, list):
        raise InputError(Location(file, entry.line_of("FilterCriteria")),
                         f"{what}: FilterCriteria must hold a Filters list")
    return bool(filters)
