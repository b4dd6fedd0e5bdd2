"""EventBridge Scheduler (`ScheduleV2`, samtranslator/model/eventsources/scheduler.py): the schedule
and the role it assumes to invoke the function."""

from __future__ import annotations

from permcheck.load.sam.core import get_att
from permcheck.load.sam.events.base import Event, _trust
from permcheck.load.sam.events.push import _validate_dlq


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
