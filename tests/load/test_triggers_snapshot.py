"""Triggers from account snapshots: `aws lambda list-event-source-mappings` and `aws sns list-subscriptions`.

Output shapes: https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html
(EventSourceMappingConfiguration; SelfManagedEventSource:
https://docs.aws.amazon.com/lambda/latest/api/API_SelfManagedEventSource.html) and
https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptions.html (Subscription). The fixtures
(tests/data/triggers/, described in tests/data/SOURCE.md) are shaped as the AWS CLI v2 writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from permcheck.load.decode import read_file
from permcheck.load.inputs import Options, kind_of, load_inventory
from permcheck.model.location import Location
from permcheck.model.triggers import Invocation, Write
from tests.cli_helpers import bug_signs, run
from tests.conftest import ROOT

DATA = "tests/data/triggers"
MAPPINGS, SUBSCRIPTIONS = f"{DATA}/list-event-source-mappings.json", f"{DATA}/list-subscriptions.json"
APP, PARTNER = "111111111111", "222222222222"
FN = f"arn:aws:lambda:us-east-1:{APP}:function:"
QUEUE = f"arn:aws:sqs:us-east-1:{APP}:orders-queue"


def triggers(*paths: str):
    inventory = load_inventory([str(ROOT / p) for p in paths], Options())
    return inventory, inventory.triggers


def line_of(path: str, needle: str) -> int:
    """1-based line of the entry (the `{` line) holding `needle` in a fixture."""
    lines = (ROOT / path).read_text().splitlines()
    at = next(i for i, text in enumerate(lines) if needle in text)
    return next(i for i in range(at, -1, -1) if lines[i].strip() == "{") + 1


def by_resource(found, resource: str):
    [trigger] = [t for t in found if t.resource == resource]
    return trigger


# -- recognised by content ------------------------------------------------------------------

def test_outputs_are_recognised_by_content_whatever_their_names(tmp_path):
    for source, name in ((MAPPINGS, "esm-prod.json"), (SUBSCRIPTIONS, "sns.yaml")):
        copy = tmp_path / name
        copy.write_text((ROOT / source).read_text())
        assert kind_of(read_file(str(copy))) in ("list-event-source-mappings", "list-subscriptions")
    inventory = load_inventory([str(tmp_path)], Options())
    assert len(inventory.triggers) == 6 + 3


def test_trigger_snapshots_do_not_decide_the_account():
    """The contract: templates deploy into the account that authorization details, list-functions
    and get-policy outputs name. Triggers name other accounts' topics and decide nothing."""
    inventory, _ = triggers(SUBSCRIPTIONS)
    assert inventory.default_account == "123456789012" and inventory.accounts == set()
    inventory, _ = triggers(SUBSCRIPTIONS, "fixtures/snapshots/app-account")
    assert inventory.default_account == APP


# -- event source mappings: https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html

def test_sqs_mapping_with_a_filter():
    # https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html: the function's role receives;
    # whoever may sqs:SendMessage makes it run. Filters: .../invocation-eventfiltering.html
    _, found = triggers(MAPPINGS)
    sqs = by_resource(found, QUEUE)
    assert (sqs.source, sqs.function, sqs.invocation, sqs.event) == ("sqs", FN + "orders-worker", Invocation.POLL,
                                                                     "records")
    assert sqs.writes == (Write(action="sqs:SendMessage", resource=QUEUE),)
    assert {r.action for r in sqs.reads} == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    assert sqs.service is None and sqs.public is False and sqs.logical_id is None
    assert sqs.notes == ("a filter chooses which records invoke the function",)
    assert sqs.location == Location(str(ROOT / MAPPINGS), line_of(MAPPINGS, "2f3c8e4a-6b1d"))


def test_dynamodb_stream_mapping_is_fired_by_writes_to_its_table():
    # https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
    _, found = triggers(MAPPINGS)
    stream = f"arn:aws:dynamodb:us-east-1:{APP}:table/orders/stream/2024-01-15T08:12:44.318"
    mapping = by_resource(found, stream)
    assert mapping.source == "dynamodb" and mapping.notes == ()
    assert {w.resource for w in mapping.writes} == {f"arn:aws:dynamodb:us-east-1:{APP}:table/orders"}
    assert "dynamodb:PutItem" in {w.action for w in mapping.writes}
    assert mapping.location.line == line_of(MAPPINGS, "8a9b0c1d-2e3f")


def test_disabled_mapping_is_kept_with_a_note_and_its_qualified_function():
    # https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html (Enabled)
    _, found = triggers(MAPPINGS)
    kinesis = by_resource(found, f"arn:aws:kinesis:us-east-1:{APP}:stream/clickstream")
    assert kinesis.function == FN + "orders-api:live"
    assert {w.action for w in kinesis.writes} == {"kinesis:PutRecord", "kinesis:PutRecords"}
    assert kinesis.notes == (("the mapping is disabled: it runs the function again once enabled "
                             "(lambda:UpdateEventSourceMapping)"),)


def test_msk_mapping_is_fired_by_writes_to_the_clusters_topics():
    # https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html
    _, found = triggers(MAPPINGS)
    cluster = f"arn:aws:kafka:us-east-1:{APP}:cluster/order-events/3c1d2e4f-5a6b-7c8d-9e0f-1a2b3c4d5e6f-2"
    msk = by_resource(found, cluster)
    assert msk.function == FN + "thumbnailer"
    assert msk.writes == (Write(action="kafka-cluster:WriteData", resource=cluster.replace(":cluster/", ":topic/")
                                + "/*"),)


def test_brokers_that_authorise_producers_outside_iam_have_no_writes():
    # self-managed Kafka (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html) and Amazon MQ
    # (https://docs.aws.amazon.com/lambda/latest/dg/with-mq.html): the broker decides who may send
    _, found = triggers(MAPPINGS)
    kafka = by_resource(found, "kafka1.payments.example.internal:9092,kafka2.payments.example.internal:9092")
    assert kafka.writes == () and kafka.function == FN + "orders-worker"
    assert "decided by the broker, not IAM" in kafka.producers
    assert kafka.location.line == line_of(MAPPINGS, "0a1b2c3d-4e5f")
    mq = [t for t in found if t.source == "mq"]
    assert len(mq) == 1 and mq[0].writes == ()


# -- SNS subscriptions: https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html ---------------

def test_only_lambda_subscriptions_are_triggers():
    _, found = triggers(SUBSCRIPTIONS)
    assert [(t.resource, t.function) for t in found] == [
        (f"arn:aws:sns:us-east-1:{APP}:order-events", FN + "orders-worker"),
        (f"arn:aws:sns:us-east-1:{APP}:thumbnails", FN + "thumbnailer:live"),
        (f"arn:aws:sns:us-east-1:{PARTNER}:partner-orders", FN + "orders-api")]
    first = found[0]
    assert (first.source, first.invocation, first.event, first.service) == ("sns", Invocation.ASYNC, "sns:Publish",
                                                                           "sns.amazonaws.com")
    assert first.writes == (Write(action="sns:Publish", resource=first.resource),)
    assert first.notes == () and first.location.line == line_of(SUBSCRIPTIONS, "6b0e71bd-7e97")


def test_sqs_subscription_is_a_delivery_to_its_queue():
    """An `sqs` subscription feeds the queue, not a function: a delivery the query chains to the
    queue's mappings. https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html"""
    inventory, _ = triggers(SUBSCRIPTIONS)
    [delivery] = inventory.deliveries
    topic = f"arn:aws:sns:us-east-1:{APP}:order-events"
    assert (delivery.source, delivery.resource, delivery.target, delivery.event) == ("sns", topic, QUEUE, "sns:Publish")
    assert delivery.writes == (Write(action="sns:Publish", resource=topic),)
    assert delivery.delivers == Write(action="sqs:SendMessage", resource=QUEUE)
    assert (delivery.service, delivery.notes) == ("sns.amazonaws.com", ())  # the listing holds no attributes
    assert delivery.location.line == line_of(SUBSCRIPTIONS, "0d3f5e21-4a8c")


def test_pending_subscription_is_kept_with_a_note():
    _, found = triggers(SUBSCRIPTIONS)
    assert found[2].notes == ("the subscription is pending confirmation",)


def test_list_subscriptions_by_topic_has_the_same_shape(tmp_path):
    # https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html
    path = tmp_path / "by-topic.json"
    path.write_text(json.dumps({"Subscriptions": [{
        "SubscriptionArn": f"arn:aws:sns:eu-west-1:{APP}:t:1", "Owner": APP, "Protocol": "lambda",
        "Endpoint": f"arn:aws:lambda:eu-west-1:{APP}:function:f", "TopicArn": f"arn:aws:sns:eu-west-1:{APP}:t"}],
        "NextToken": "AAE="}, indent=4))
    [trigger] = load_inventory([str(path)], Options()).triggers
    assert trigger.function == f"arn:aws:lambda:eu-west-1:{APP}:function:f"


# -- malformed entries fail closed: FILE:LINE, exit 2, never a traceback --------------------

ENTRY_LINE = 3  # json.dumps(indent=4) of {"KEY": [{...}]}: the entry's `{` is line 3


def mapping(**fields) -> dict:
    base = {"UUID": "u-1", "EventSourceArn": QUEUE, "FunctionArn": FN + "f", "State": "Enabled"}
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


def subscription(**fields) -> dict:
    base = {"SubscriptionArn": f"arn:aws:sns:us-east-1:{APP}:t:1", "Owner": APP, "Protocol": "lambda",
            "Endpoint": FN + "f", "TopicArn": f"arn:aws:sns:us-east-1:{APP}:t"}
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


MALFORMED = {
    "mapping-without-function": ("EventSourceMappings", mapping(FunctionArn=None), ENTRY_LINE,
                                 "event source mapping u-1 has no FunctionArn"),
    "mapping-to-a-queue": ("EventSourceMappings", mapping(FunctionArn=QUEUE), 6,
                           f"event source mapping u-1: FunctionArn '{QUEUE}' is not a Lambda function ARN"),
    "mapping-without-source": ("EventSourceMappings", mapping(EventSourceArn=None), ENTRY_LINE,
                               "event source mapping u-1 has no EventSourceArn"),
    "mapping-source-not-an-arn": ("EventSourceMappings", mapping(EventSourceArn="orders-queue"), 5,
                                  "event source mapping u-1: 'orders-queue' is not an ARN"),
    "kafka-without-servers": ("EventSourceMappings",
                              mapping(EventSourceArn=None, SelfManagedEventSource={"Endpoints": {}}), 7,
                              ("event source mapping u-1: SelfManagedEventSource must hold "
                              "Endpoints.KAFKA_BOOTSTRAP_SERVERS, a list of host:port strings")),
    "state-not-a-string": ("EventSourceMappings", mapping(State=1), 7,
                           "event source mapping u-1: State must be a non-empty string"),
    "filters-not-a-list": ("EventSourceMappings", mapping(FilterCriteria={"Filters": "x"}), 8,
                           "event source mapping u-1: FilterCriteria must hold a Filters list"),
    "mapping-not-an-object": ("EventSourceMappings", "x", ENTRY_LINE, "EventSourceMappings entries must be objects"),
    "subscription-without-protocol": ("Subscriptions", subscription(Protocol=None), ENTRY_LINE,
                                      "Subscriptions entry has no Protocol"),
    "subscription-to-a-queue-arn": ("Subscriptions", subscription(TopicArn=QUEUE), 8,
                                    f"'{QUEUE}' is not an SNS topic ARN"),
    "sqs-subscription-endpoint-not-a-queue": (
        "Subscriptions", subscription(Protocol="sqs", Endpoint=FN + "f"), 7,
        f"sqs subscription to arn:aws:sns:us-east-1:{APP}:t: Endpoint '{FN}f' is not an SQS queue ARN"),
    "subscription-endpoint-not-a-function": (
        "Subscriptions", subscription(Endpoint="https://example.com/hook"), 7,
        (f"lambda subscription to arn:aws:sns:us-east-1:{APP}:t: Endpoint 'https://example.com/hook' "
        "is not a Lambda function ARN")),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_entries_are_input_errors_with_their_line(tmp_path, case):
    key, entry, line, message = MALFORMED[case]
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({key: [entry]}, indent=4))
    result = run("who-can-invoke", FN + "f", str(path))
    assert result.code == 2
    assert result.err.strip() == f"permcheck: error: {path}:{line}: {message}"
    assert bug_signs(result.err + result.out) == []


def test_a_bad_trigger_file_does_not_hide_the_good_ones(tmp_path):
    """As every input: the other files are analysed and the run still exits 2."""
    (tmp_path / "bad.json").write_text(json.dumps({"Subscriptions": [subscription(Endpoint="nope")]}, indent=4))
    for name in ("list-functions.json", "get-policy-orders-api.json"):
        (tmp_path / name).write_text((ROOT / "fixtures/snapshots/app-account" / name).read_text())
    result = run("who-can-invoke", FN + "orders-api", str(tmp_path), "--format", "json")
    assert result.code == 2 and result.json()["principals"]
    assert f"{Path(tmp_path) / 'bad.json'}:7:" in result.err
