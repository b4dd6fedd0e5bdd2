"""Step Functions state machines whose definitions call functions → state machine triggers.

A Task state calls a function when its Resource is the function's ARN, or the `lambda:invoke`
integration (`arn:aws:states:::lambda:invoke`, `.waitForTaskToken`, the `aws-sdk:lambda:invoke` SDK
integration) with `Parameters.FunctionName` (JSONPath) or `Arguments.FunctionName` (JSONata)
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html). States nest in Parallel
branches and Map iterators (`Iterator`, `ItemProcessor`). The definition is `Definition` (an object),
or `DefinitionString` (JSON text, often an `Fn::Sub`), with `${Name}` placeholders filled from
`DefinitionSubstitutions`. A definition in S3 (`DefinitionS3Location`) is not in the inputs: nothing is
read from it. A function chosen at run time (`FunctionName.$`, a JSONata expression) is not a wiring
a template fixes, and is not recorded.
"""

from __future__ import annotations

import json
import re

from permcheck.load.cfn_trigger_reader import TriggerReader, known_prefix, restore, text, with_placeholders
from permcheck.load.sfn_definition import task_states
from permcheck.model.trigger_kinds import state_machine_trigger
from permcheck.model.values import Sym, Unknown, concat

INVOKE = (":states:::lambda:invoke", ":states:::aws-sdk:lambda:invoke")
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def read(r: TriggerReader) -> None:
    for logical_id, resource, props in r.resources("AWS::StepFunctions::StateMachine"):
        key = "Definition" if props.get("Definition") is not None else "DefinitionString"
        definition = r.prop(props, key)
        if key == "DefinitionString":
            definition = parse(definition)
        machine_functions(r, r.ref(logical_id), definition, r.prop(props, "DefinitionSubstitutions"),
                          r.prop(props, "RoleArn"), logical_id=logical_id, source_note=r.note(resource),
                          at=r.line(props, key) if key in props else resource)


def parse(definition: object) -> object:
    """A DefinitionString (JSON text, perhaps with unknown parts) as a definition; None if it is not JSON."""
    if not isinstance(definition, (str, Sym)):
        return None
    textual, unknowns = with_placeholders(definition)
    try:
        document = json.loads(textual)
    except ValueError:
        return None
    return _restored(document, unknowns) if unknowns else document


def _restored(node: object, unknowns: list[Unknown]) -> object:
    if isinstance(node, str):
        return restore(node, unknowns)
    if isinstance(node, dict):
        return {key: _restored(value, unknowns) for key, value in node.items()}
    if isinstance(node, list):
        return [_restored(value, unknowns) for value in node]
    return node


def machine_functions(r: TriggerReader, machine: object, definition: object, substitutions: object,
                      role: object, *, logical_id: str, source_note: str | None, at: object) -> None:
    """A trigger for every function the definition's Task states call (as the machine's `role`)."""
    subs = substitutions if isinstance(substitutions, dict) else {}
    for _, state in task_states(definition):
        function = _function(r, state, subs)
        if function is not None:
            r.add(state_machine_trigger(text(machine), function, None if role is None else text(role),
                                        logical_id=logical_id, source_note=source_note,
                                        location=r.location(state, at)))


def _function(r: TriggerReader, state: dict, subs: dict) -> object:
    resource = substitute(state.get("Resource"), subs)
    head = known_prefix(resource)
    if not any(head.startswith("arn:") and marker in head for marker in INVOKE):
        return r.function(None, resolved=resource) if isinstance(resource, (str, Sym)) else None
    for key in ("Parameters", "Arguments"):
        given = state.get(key)
        name = given.get("FunctionName") if isinstance(given, dict) else None
        if isinstance(name, str) and name.startswith("{%"):
            return None  # JSONata: chosen at run time
        if name is not None:
            return r.function(None, names=True, resolved=substitute(name, subs))
    return None  # `FunctionName.$`: chosen at run time


def substitute(value: object, subs: dict) -> object:
    """`${Name}` placeholders of a definition's string replaced from DefinitionSubstitutions."""
    if not subs or not isinstance(value, (str, Sym)):
        return value
    out: list = []
    for part in value.parts if isinstance(value, Sym) else (value,):
        if not isinstance(part, str):
            out.append(part)
            continue
        for index, piece in enumerate(PLACEHOLDER.split(part)):
            if index % 2 == 0:
                if piece:
                    out.append(piece)
            else:
                out.append(text(subs[piece]) if piece in subs else "${" + piece + "}")
    return concat(out)

