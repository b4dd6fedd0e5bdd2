"""Event sources wired to functions: what makes a function run besides a direct invoke.

A `Trigger` is one wiring — a bucket notification, a subscription, an event source mapping, a
rule's target, an API route's integration — read from a template, a plan or a snapshot. It
says what a principal must be allowed to do to make the source fire (`writes`), who then
invokes the function (`service`, asked of the function's policy as any caller is) or, for a
poll source, what the function's own role must be allowed to read (`reads`). graph/triggers.py
chains them into who-can-trigger paths.

A `Delivery` is a source that feeds another source rather than a function: an SNS topic's `sqs`
subscription puts each message published to the topic on a queue, which an event source mapping
may then poll (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html).
It is its own type, not a Trigger without a function: everything that reads `Inventory.triggers`
may rely on a function at the end, and a delivery has none. Both share `Wired`, what a path's
source hop shows and what the query asks of whoever fires a source.

How each service invokes Lambda, and with which permission:
https://docs.aws.amazon.com/lambda/latest/dg/lambda-invocation.html (sync, async) and
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html (poll).
"""

from __future__ import annotations

from enum import Enum
from typing import Optional

from permcheck.model.location import Location
from permcheck.model.policy import Frozen, Text


class Invocation(str, Enum):
    SYNC = "sync"  # the caller waits: API Gateway, function URLs, ALB, Cognito, AppSync, Step Functions tasks
    ASYNC = "async"  # queued by Lambda: S3, SNS, EventBridge, Scheduler, IoT, CloudWatch Logs
    POLL = "poll"  # an event source mapping reads the source with the function's own role


class Write(Frozen):
    """A request that makes a source fire: `action` on `resource` (an ARN or pattern)."""

    action: str
    resource: Text


class Wired(Frozen):
    """What every wiring says about its source: what fires it, and who may (see the module's docstring)."""

    source: str  # the service, as ARNs name it: s3, sns, sqs, kinesis, dynamodb, kafka, mq, events,
    # scheduler, states, execute-api, elasticloadbalancing, appsync, cognito-idp, iot, logs, lambda
    resource: Text  # the source's ARN (bucket, topic, queue, stream, rule, schedule, state machine, route)
    invocation: Invocation
    event: str = ""  # what fires it, as the wiring says: "s3:ObjectCreated:*", "POST /orders", a pattern
    writes: tuple[Write, ...] = ()  # empty: only AWS fires it (a schedule): the path has no principal
    public: bool = False  # anyone on the internet can fire it with no credentials (a route without auth)
    authorization: Optional[str] = None  # API routes: NONE, AWS_IAM, COGNITO_USER_POOLS, JWT, CUSTOM, API_KEY
    service: Optional[str] = None  # the service principal that invokes the function (push sources)
    producers: Optional[str] = None  # who can fire it when IAM does not decide (a broker's own users):
    # the path is then conditional on that, never "no one"
    notes: tuple[str, ...] = ()  # what narrows it without changing who can fire it (filters, patterns)
    logical_id: Optional[str] = None  # the template resource that writes the wiring
    source_note: Optional[str] = None  # e.g. "created by SAM: Fn.Events.Upload (S3)"
    location: Optional[Location] = None


class Trigger(Wired):
    """One event source wired to one function (see the module's docstring)."""

    function: Text  # the function's ARN (qualified when the wiring names a version or alias)
    role: Optional[Text] = None  # the role the source invokes the function with (Step Functions, Scheduler)
    reads: tuple[Write, ...] = ()  # poll sources: what the function's role must be allowed to do


class Delivery(Wired):
    """A source that delivers to another source, not to a function: an SNS topic (`resource`)
    subscribed by a queue (`target`), to which `service` sends each message as `delivers`."""

    target: Text  # the ARN of the source it delivers to (the queue)
    delivers: Write  # the request the service makes of the target (sqs:SendMessage on the queue)
