"""A SAM function's `Events`, each handed to its family's handler; an event type not listed is an
error, as it might grant something permcheck cannot see."""

from __future__ import annotations

import re

from permcheck.load.nodes import LineDict, line_of
from permcheck.load.sam.core import Ctx, check_properties, key_line
from permcheck.load.sam.schema import FUNCTION_EVENTS
from permcheck.load.sam.events.api import _api, _http_api
from permcheck.load.sam.events.base import Event, PULL, RoleBuilder, Target, order
from permcheck.load.sam.events.poll import _pull
from permcheck.load.sam.events.push import _alexa, _cloudwatch_event, _cloudwatch_logs, _cognito, _iot_rule, _s3, _schedule, _sns
from permcheck.load.sam.events.scheduler import _schedule_v2


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


HANDLERS = {
    "Schedule": _schedule, "CloudWatchEvent": _cloudwatch_event, "EventBridgeRule": _cloudwatch_event,
    "CloudWatchLogs": _cloudwatch_logs, "IoTRule": _iot_rule, "AlexaSkill": _alexa, "S3": _s3, "SNS": _sns,
    "Cognito": _cognito, "Api": _api, "HttpApi": _http_api, "ScheduleV2": _schedule_v2,
    **{kind: _pull for kind in PULL},
}
