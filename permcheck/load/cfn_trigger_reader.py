"""What every trigger reader shares: a template's resources by type, values resolved without failing,
a wiring's target as a function ARN, and the ARNs of sources the resolver does not know.

Reading triggers never refuses a template: an intrinsic that cannot be resolved in a part only a
trigger reads (an API body, a state machine definition) becomes an `Unknown` naming why, and the
trigger stays, as any wiring with an unresolved part does (model/trigger_kinds.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from permcheck.load.cfn_lambda import function_arn
from permcheck.load.intrinsic_fns import NO_VALUE
from permcheck.load.nodes import LineDict, LineList, line_of, logical_id_of
from permcheck.load.source_notes import SOURCE_NOTE
from permcheck.model.arn import arn_fields, parse_arn
from permcheck.model.location import InputError, Location
from permcheck.model.triggers import Delivery, Trigger
from permcheck.model.values import Sym, Unknown, concat


class TriggerReader:
    """One template's trigger reading: what the family readers (cfn_triggers*.py) share."""

    def __init__(self, load) -> None:
        self.load = load
        self.resolver = load.resolver
        self.deployment = load.deployment
        self.file = load.file
        self.found: list[Trigger] = []
        self.delivered: list[Delivery] = []  # sources that feed other sources (an SNS topic's queues)
        self.api_auth: dict = {}  # API logical id → what SAM's Auth adds to its body (cfn_triggers_api.ApiAuth)
        resources = load.template.get("Resources")
        self.template_resources = resources if isinstance(resources, dict) else {}
        self.by_type: dict[str, list[tuple[str, dict]]] = {}  # one pass over the resources, not one per type
        for logical_id, resource in self.template_resources.items():
            if isinstance(resource, dict) and isinstance(resource.get("Type"), str):
                self.by_type.setdefault(resource["Type"], []).append((logical_id, resource))

    # -- resources and values ---------------------------------------------------------------
    def resources(self, *types: str) -> Iterator[tuple[str, dict, dict]]:
        """(logical id, resource, raw properties) of the given types that may be created."""
        for rtype in types:
            for logical_id, resource in self.by_type.get(rtype, ()):
                if not self.created(resource):
                    continue
                props = resource.get("Properties")
                yield logical_id, resource, props if isinstance(props, dict) else LineDict(line=line_of(resource))

    def created(self, resource: dict) -> bool:
        """False only when the resource's Condition is known to be false."""
        condition = resource.get("Condition")
        if condition is None:
            return True
        try:
            return self.resolver.condition(condition) is not False
        except InputError:
            return True  # an undefined condition: what reads the resource's grants says so

    def note(self, resource: dict) -> str | None:
        return resource.get(SOURCE_NOTE)

    def value(self, node: object, line: int | None = None) -> object:
        """`node` resolved; None when absent or `AWS::NoValue`, an Unknown naming the error when the
        resolver refuses it."""
        if node is None:
            return None
        try:
            out = self.resolver.resolve_at(node, line_of(node, line))
        except InputError as error:
            return Unknown(f"a value this template's triggers read: {error.message}")
        except RecursionError:
            return Unknown("a value nested too deeply to read")
        return None if out is NO_VALUE else out

    def prop(self, props: dict, key: str) -> object:
        """A property of `props` resolved (see `value`)."""
        if not isinstance(props, dict) or key not in props:
            return None
        line = props.line_of(key) if isinstance(props, LineDict) else line_of(props)
        return self.value(props[key], line)

    def line(self, props: object, key: str) -> int | None:
        """The line of `key` in a mapping of the template (its own line when the key has none)."""
        return props.line_of(key) if isinstance(props, LineDict) else line_of(props)

    def location(self, node: object, *fallbacks: object) -> Location:
        line = line_of(node)
        for fallback in fallbacks:
            if line is not None:
                break
            line = fallback if isinstance(fallback, int) else line_of(fallback)
        return Location(self.file, line)

    def add(self, trigger: Trigger) -> None:
        self.found.append(trigger)

    def deliver(self, delivery: Delivery) -> None:
        self.delivered.append(delivery)

    # -- functions ------------------------------------------------------------------------------
    def function(self, raw: object, names: bool = False, resolved: object = None) -> object:
        """The function ARN (qualified when an alias or version is named) a wiring's target names, or
        None when the target is clearly not a function. `names`: the property can only name a
        function, so a bare name, a partial ARN or an unresolved value is one too; otherwise (a rule's
        target, a log destination) only a Lambda function ARN is."""
        target = logical_id_of(raw)
        if target is not None and self.resolver.resource_type(target) == "AWS::Lambda::Function":
            return self.resolver.physical_arn(target)  # `Ref` (its name) or `GetAtt Arn`: its ARN
        value = self.value(raw) if resolved is None else resolved
        if isinstance(value, str):
            if value.startswith("arn:"):
                arn = parse_arn(value)
                return value if arn is not None and arn.service == "lambda" and \
                    arn.resource.startswith("function:") else None
            if not names or not value:
                return None
            arn, qualifier = function_arn(value, self.deployment)
            return arn if qualifier is None else f"{arn}:{qualifier}"
        if isinstance(value, Sym):
            fields = arn_fields(value)
            if fields is not None:
                resource = known_prefix(fields[5])
                is_function = fields[2] == "lambda" and resource[:9] == "function:"[:len(resource[:9])]
                return value if is_function else None
            if known_prefix(value).startswith("arn:"):
                return value if names else None  # an ARN whose service is unknown
            if not names:
                return None
            d = self.deployment
            return concat([f"arn:{d.partition}:lambda:{d.region}:{d.account}:function:", value])
        if isinstance(value, Unknown):  # a name CloudFormation generates (owned) is a name, not an ARN
            if names and value.owned:
                d = self.deployment
                return concat([f"arn:{d.partition}:lambda:{d.region}:{d.account}:function:", value])
            return value if names else None
        return None

    # -- ARNs --------------------------------------------------------------------------------------
    def arn(self, service: str, *resource: object, region: bool = True, account: bool = True) -> object:
        """arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE of this deployment."""
        d = self.deployment
        return concat(["arn:", d.partition, ":", service, ":", d.region if region else "", ":",
                       d.account if account else "", ":", *resource])

    def generated(self, logical_id: str, what: str) -> Unknown:
        """An identifier AWS or CloudFormation generates for a resource of this stack (resource_refs)."""
        source = self.deployment.source
        return Unknown(f"{what} of {logical_id}" + (f" in {source}" if source else ""), owned=True)

    def ref(self, logical_id: str) -> object:
        """`Ref` of a template resource (without failing)."""
        return self.value({"Ref": logical_id})

    def get_att(self, logical_id: str, attribute: str) -> object:
        return self.value({"Fn::GetAtt": [logical_id, attribute]})

    def name(self, logical_id: str, props: dict, key: str) -> object:
        """A physical name from property `key`, else the name CloudFormation generates."""
        value = self.prop(props, key)
        return value if isinstance(value, (str, Sym, Unknown)) else self.generated(logical_id, "generated name")


def items(value: object) -> list[tuple[int | None, object]]:
    """(line, item) of a resolved list property (a single item when it is not a list)."""
    if isinstance(value, LineList):
        return [(value.line_of(i), item) for i, item in enumerate(value)]
    return [(line_of(item), item) for item in (value if isinstance(value, list) else [value] if value else [])]




def known_prefix(value: object) -> str:
    """The text before the first unknown part of a value."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sym):
        out = []
        for part in value.parts:
            if not isinstance(part, str):
                break
            out.append(part)
        return "".join(out)
    return ""


def text(value: object) -> object:
    """A resolved scalar as a trigger's text (`str`, `Sym` or `Unknown`)."""
    if isinstance(value, (str, Sym, Unknown)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return Unknown("a value the template does not give")
    return Unknown(f"a value that is not a string ({type(value).__name__})")


def between(value: object, start: str, end: str | None = None) -> object:
    """The part of a (partly unknown) string after `start` and before `end` (the end of the string
    when None), keeping unknown parts; None when `start` is not in its known text:
    `…/functions/ARN/invocations` → ARN."""
    parts = list(value.parts) if isinstance(value, Sym) else [value] if isinstance(value, str) else []
    out: list = []
    started = False
    for part in parts:
        if isinstance(part, str):
            if not started:
                if start not in part:
                    continue
                part, started = part.split(start, 1)[1], True
            if end is not None and end in part:
                out.append(part.split(end, 1)[0])
                return concat(out)
        if started:
            out.append(part)
    return concat(out) if started else None


PLACEHOLDER = "@@permcheck-unknown-{}@@"
_PLACEHOLDER = re.compile(r"@@permcheck-unknown-(\d+)@@")


def with_placeholders(value: object) -> tuple[str, list[Unknown]]:
    """A partly unknown string as text, each unknown part a placeholder (to parse it as JSON or SQL)."""
    if isinstance(value, str):
        return value, []
    if isinstance(value, Unknown):
        return PLACEHOLDER.format(0), [value]
    unknowns: list[Unknown] = []
    out = []
    for part in value.parts if isinstance(value, Sym) else ():
        if isinstance(part, Unknown):
            out.append(PLACEHOLDER.format(len(unknowns)))
            unknowns.append(part)
        else:
            out.append(part)
    return "".join(out), unknowns


def restore(textual: str, unknowns: list[Unknown]) -> object:
    """`with_placeholders` undone on a piece of its text: the unknown parts back in place."""
    if not unknowns or "@@permcheck-unknown-" not in textual:
        return textual
    pieces: list = []
    for index, piece in enumerate(_PLACEHOLDER.split(textual)):
        pieces.append(unknowns[int(piece)] if index % 2 and int(piece) < len(unknowns) else piece)
    return concat([piece for piece in pieces if piece != ""])
