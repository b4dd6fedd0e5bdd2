"""The functions a Step Functions definition calls: every Task state that invokes Lambda.

A Task invokes a function in two ways (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html):
its `Resource` is the function's ARN, or it is the `lambda:invoke` integration
(`arn:PARTITION:states:::lambda:invoke`, `.waitForTaskToken` too) whose `Parameters.FunctionName`
(`Arguments.FunctionName` in JSONata states) names the function. States nest: a Parallel state's
`Branches` and a Map state's `ItemProcessor` (`Iterator` before it,
https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html) hold states of
their own. Shared by every reader of state machines (plans, templates), so one definition
means one set of functions whichever input holds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from permcheck.model.values import Sym, Unknown

LAMBDA_INVOKE = re.compile(r"^arn:[a-z-]+:states:::lambda:invoke(\.waitForTaskToken)?$")
MAX_DEPTH = 64  # nested Parallel/Map states followed (deeper ones are refused by Step Functions long before)


def lambda_targets(definition: dict) -> list[str | Sym | Unknown]:
    """The function each Lambda Task of `definition` calls, in the definition's order: a
    function ARN or name as written (maybe qualified), or `Unknown` when the state chooses the
    function at run time (`FunctionName.$`, a JSONata expression). A `Resource` that is itself
    unresolved (`Sym`, `Unknown`) may be a function: it is returned for the caller to resolve."""
    return [target for name, state in task_states(definition)
            if (target := _task_target(name, state)) is not None]


def task_states(machine: object, depth: int = 0) -> Iterator[tuple[str, dict]]:
    """(name, state) of every Task state, in the definition's order, in Parallel branches and Map
    processors too (the one walk of a definition, for plans and templates alike)."""
    if not isinstance(machine, dict) or depth > MAX_DEPTH:
        return
    states = machine.get("States")
    for name, state in states.items() if isinstance(states, dict) else ():
        if not isinstance(state, dict):
            continue
        kind = state.get("Type")
        if kind == "Task":
            yield str(name), state
        elif kind == "Parallel":
            branches = state.get("Branches")
            for branch in branches if isinstance(branches, list) else ():
                yield from task_states(branch, depth + 1)
        elif kind == "Map":
            yield from task_states(state.get("ItemProcessor") or state.get("Iterator"), depth + 1)


def _task_target(name: str, state: dict) -> str | Sym | Unknown | None:
    """The function a Task state calls, or None when it calls another service."""
    resource = state.get("Resource")
    if isinstance(resource, Unknown):
        return resource
    text = str(resource) if isinstance(resource, (str, Sym)) else ""
    if LAMBDA_INVOKE.match(text):
        return _function_name(name, state)
    if ":lambda:" in text and ":function:" in text:
        return resource
    if isinstance(resource, Sym) and not text.startswith("arn:"):
        return resource  # the service itself is unresolved
    return None


def _function_name(name: str, state: dict) -> str | Sym | Unknown:
    for holder in ("Parameters", "Arguments"):
        arguments = state.get(holder)
        if not isinstance(arguments, dict):
            continue
        value = arguments.get("FunctionName")
        if isinstance(value, str) and value.startswith("{%"):  # a JSONata expression: evaluated at run time
            return Unknown(f"state {name}: FunctionName {value} (chosen at run time)")
        if isinstance(value, (str, Sym, Unknown)) and str(value):
            return value
        if "FunctionName.$" in arguments:
            return Unknown(f"state {name}: FunctionName.$ {arguments['FunctionName.$']} (chosen at run time)")
    return Unknown(f"state {name}: lambda:invoke without FunctionName")
