"""Event sources wired to functions: what makes a function run besides a direct invoke.

A `Trigger` is one wiring — a bucket notification, a subscription, an event source mapping, a
rule's target, an API route's integration — read from a template, a plan or a snapshot. It
says what a principal must be allowed to do to make the source fire (`writes`), who then
invokes the function (`service`, asked of the function's policy as any caller is) or, for a
poll source, what the function's own role must be allowed to read (`reads`). graph/triggers.py
chains them into who-can-trigger paths.

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


class Trigger(Frozen):
    """One event source wired to one function (see the module's docstring)."""

    source: str  # the service, as ARNs name it: s3, sns, sqs, kinesis, dynamodb, kafka, mq, events,
    # scheduler, states, execute-api, elasticloadbalancing, appsync, cognito-idp, iot, logs, lambda
    resource: Text  # the source's ARN (bucket, topic, queue, stream, rule, schedule, state machine, route)
    function: Text  # the function's ARN (qualified when the wiring names a version or alias)
    invocation: Invocation
    event: str = ""  # what fires it, as the wiring says: "s3:ObjectCreated:*", "POST /orders", a pattern
    writes: tuple[Write, ...] = ()  # empty: only AWS fires it (a schedule): the path has no principal
    public: bool = False  # anyone on the internet can fire it with no credentials (a route without auth)
    authorization: Optional[str] = None  # API routes: NONE, AWS_IAM, COGNITO_USER_POOLS, JWT, CUSTOM, API_KEY
    service: Optional[str] = None  # the service principal that invokes the function (push sources)
    role: Optional[Text] = None  # the role the source invokes the function with (Step Functions, Scheduler)
    producers: Optional[str] = None  # who can fire it when IAM does not decide (a broker's own users):
    # the path is then conditional on that, never "no one"
    reads: tuple[Write, ...] = ()  # poll sources: what the function's role must be allowed to do
    notes: tuple[str, ...] = ()  # what narrows it without changing who can fire it (filters, patterns)
    logical_id: Optional[str] = None  # the template resource that writes the wiring
    source_note: Optional[str] = None  # e.g. "created by SAM: Fn.Events.Upload (S3)"
    location: Optional[Location] = None
