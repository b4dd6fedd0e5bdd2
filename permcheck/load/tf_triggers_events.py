"""Triggers of a plan that run on events and schedules: EventBridge rule targets, EventBridge
Scheduler schedules and Step Functions state machines whose definitions call functions.

A rule target (aws_cloudwatch_event_target) is read with its rule (aws_cloudwatch_event_rule,
found by reference or by name on its bus) for the pattern or schedule; a target whose rule is
not in the plan still fires on its bus, and says that its pattern is unknown.
"""

from __future__ import annotations

import json

from permcheck.load.sfn_definition import lambda_targets
from permcheck.load.tf_lambda import role_arn
from permcheck.load.tf_plan import TfResource
from permcheck.load.tf_wiring import ARNS, Wiring
from permcheck.load.trigger_notes import disabled
from permcheck.model.location import InputError
from permcheck.model.trigger_kinds import rule_trigger, schedule_trigger, state_machine_trigger
from permcheck.model.values import Unknown, concat

DEFAULT_BUS = "default"
UNIVERSAL_INVOKE = ":scheduler:::aws-sdk:lambda:invoke"  # Scheduler's universal target for Lambda's Invoke


def load(wiring: Wiring) -> None:
    _rule_targets(wiring)
    _schedules(wiring)
    _state_machines(wiring)


def _bus_name(value: object) -> object:
    """A bus named by name or ARN → its name (None: the default bus)."""
    if isinstance(value, str) and value.startswith("arn:") and "event-bus/" in value:
        return value.split("event-bus/", 1)[1]
    return None if value in (None, DEFAULT_BUS) else value


def _bus_arn(w: Wiring, res: TfResource, value: object, name: object) -> object:
    """The bus's ARN as given, or built from its name; None for the default bus."""
    if isinstance(value, str) and value.startswith("arn:"):
        return value
    d = w.load.deployment
    return None if name is None else concat(["arn:", d.partition, ":events:", res.region, ":", d.account,
                                             ":event-bus/", name])


def _rule_arn(w: Wiring, res: TfResource, name: object, bus: object) -> object:
    """`rule/NAME` on the default bus, `rule/BUS/NAME` on another."""
    d = w.load.deployment
    arn = res.values.get("arn") if res.type == "aws_cloudwatch_event_rule" else None
    if isinstance(arn, str) and arn.startswith("arn:"):
        return arn
    return concat(["arn:", d.partition, ":events:", res.region, ":", d.account, ":rule/",
                   *([bus, "/"] if bus is not None else []), name])


def _rule_targets(w: Wiring) -> None:
    load = w.load
    rules = w.plan.of_type("aws_cloudwatch_event_rule")
    by_name = {(str(_bus_name(load.text(r, "event_bus_name"))), load.text(r, "name"), r.region): r for r in rules
               if isinstance(load.text(r, "name"), str)}
    for res in w.plan.of_type("aws_cloudwatch_event_target"):
        function = w.target(res, "arn")
        if function is None:
            continue  # a queue, a stream, another bus …
        holder = res  # the resource whose event_bus_name names the bus: the target's, else its rule's
        name = load.text(res, "rule")
        refs = w.plan.references(res, "rule", "aws_cloudwatch_event_rule") if not isinstance(name, str) else []
        rule = refs[0] if len(refs) == 1 else by_name.get(
            (str(_bus_name(load.text(res, "event_bus_name"))), name, res.region))
        if rule is not None:
            holder = res if load.text(res, "event_bus_name") is not None else rule
            name = name if isinstance(name, str) else load.name(rule, "name")
        bus_value = load.text(holder, "event_bus_name")
        bus = _bus_name(bus_value)
        if bus is not None and not isinstance(bus, str):
            buses = w.plan.references(holder, "event_bus_name", "aws_cloudwatch_event_bus")
            bus = load.name(buses[0], "name") if len(buses) == 1 else bus
        bus_arn = _bus_arn(w, res, bus_value, bus)
        name = name if name is not None else Unknown(f"{res.address}.rule (not in the plan)")
        rule_arn = _rule_arn(w, rule if rule is not None else res, name, bus)
        w.add(*_rule_trigger(w, res, rule, rule_arn, function, bus_arn))


def _rule_trigger(w: Wiring, res: TfResource, rule: TfResource | None, rule_arn: object, function: object,
                  bus_arn: object) -> tuple:
    """The trigger of one target and its notes."""
    if rule is None:
        return (rule_trigger(rule_arn, function, bus_arn, **w.where(res)),
                "the rule is not in the plan: which events it matches is unknown")
    notes = []
    if w.load.text(rule, "state") == "DISABLED" or rule.values.get("is_enabled") is False:
        notes.append(disabled("rule", "disabled", "events:EnableRule"))
    schedule, pattern = w.load.text(rule, "schedule_expression"), w.load.text(rule, "event_pattern")
    if schedule is not None:
        return (rule_trigger(rule_arn, function, bus_arn, schedule=str(schedule), **w.where(res)), *notes)
    if pattern is not None and not isinstance(pattern, str):
        notes.append("an event pattern known after apply chooses which events")
    return (rule_trigger(rule_arn, function, bus_arn, pattern if isinstance(pattern, str) else None,
                         **w.where(res)), *notes)


def _schedules(w: Wiring) -> None:
    """aws_scheduler_schedule whose target is a function, or Lambda's Invoke through Scheduler's
    universal target (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html)."""
    for res in w.plan.of_type("aws_scheduler_schedule"):
        group = w.load.text(res, "group_name") or DEFAULT_BUS
        arn = w.load.arn(res, "scheduler", "schedule/", group, "/", w.load.name(res, "name"))
        expression = w.load.text(res, "schedule_expression")
        notes = (disabled("schedule", "disabled", "scheduler:UpdateSchedule"),) \
            if w.load.text(res, "state") == "DISABLED" else ()
        for target in w.blocks(res, "target"):
            function = w.target(target, "arn")
            target_arn = w.load.text(target, "arn")
            if function is None and isinstance(target_arn, str) and target_arn.endswith(UNIVERSAL_INVOKE):
                function = _invoked(w, target)
            if function is not None:
                w.add(schedule_trigger(arn, function, str(expression) if expression is not None else None,
                                       **w.where(res)), *notes)


def _invoked(w: Wiring, target: TfResource) -> object:
    """The FunctionName of a universal target's input document."""
    text = w.load.text(target, "input")
    try:
        document = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        raise InputError(w.plan.location(target, "input"), f"{target.address}: target input is not JSON") from None
    name = document.get("FunctionName") if isinstance(document, dict) else None
    if isinstance(name, str) and name:
        return w.function_named(target, name)
    return Unknown(f"{target.address}.target.input FunctionName (known after apply)")


def _state_machines(w: Wiring) -> None:
    """aws_sfn_state_machine: every function its definition calls. A definition known only after
    apply calls, as far as the plan says, the functions it is made from."""
    for res in w.plan.of_type("aws_sfn_state_machine"):
        machine = ARNS["aws_sfn_state_machine"](w.load, res)
        value = res.values.get("definition")
        if isinstance(value, str):
            try:
                definition = json.loads(value)
            except ValueError as error:
                raise InputError(w.plan.location(res, "definition"),
                                 f"{res.address}: definition is not JSON: {error}") from None
            targets = lambda_targets(definition) if isinstance(definition, dict) else []
            functions = [t if isinstance(t, Unknown) else w.function_named(res, t) for t in targets]
            notes: tuple[str, ...] = ()
        else:
            functions = w.referenced_functions(res, "definition")
            notes = ("the definition is known after apply: it is made from this function",)
        for function in dict.fromkeys(functions):
            w.add(state_machine_trigger(machine, function, role_arn(w.load, res, "role_arn"), **w.where(res)),
                  *notes)
