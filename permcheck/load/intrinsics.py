"""CloudFormation intrinsic functions → the values CloudFormation would deploy.

A template is analysed as deployed into one `Deployment` (account, region, partition,
stack name) with parameter overrides. Whatever that does not determine (a generated
name, an import, a parameter without default, a condition on one) stays `Unknown` or
`Sym`, never guessed. Input that CloudFormation would reject (a `Ref` to nothing, an
`Fn::Foo`, a malformed argument, a circular reference) is an `InputError` at its line.
Only the long JSON form is handled: `decode` turns YAML `!Sub` into `{"Fn::Sub": ...}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from permcheck.load import intrinsic_fns, resource_refs
from permcheck.load.intrinsic_fns import NO_VALUE, text_of
from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.model.location import InputError, Location
from permcheck.model.values import Sym, Unknown, concat

__all__ = ["NO_VALUE", "Deployment", "TemplateResolver"]


@dataclass(frozen=True)
class Deployment:
    """Where the template is analysed as deployed: the pseudo parameters come from here."""

    account: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"
    stack_name: object = Unknown("stack name")  # chosen at deploy time: unknown unless given
    source: str = ""  # the template file: names CloudFormation generates differ per stack

    @property
    def url_suffix(self) -> str:
        """AWS::URLSuffix: the China partition has its own domain."""
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"


class TemplateResolver:
    """Resolves one template's intrinsics; results are cached, so share one per template."""

    NO_VALUE = NO_VALUE

    def __init__(self, template: LineDict, file: str, deployment: Deployment,
                 parameter_overrides: Mapping[str, str]) -> None:
        self.template = template
        self.file = file
        self.deployment = deployment
        self.overrides = dict(parameter_overrides)
        self._parameters = _section(template, "Parameters")
        self._resources = _section(template, "Resources")
        self._conditions = _section(template, "Conditions")
        self.mappings = _section(template, "Mappings")
        self._cache: dict[tuple[str, ...], object] = {}
        self._active: list[tuple[str, ...]] = []  # what is being computed: finds cycles

    # -- public API ---------------------------------------------------------------------
    def resolve(self, node: object) -> object:
        """`node` with every intrinsic replaced by its value; containers keep their lines."""
        return self.resolve_at(node, line_of(node))

    def condition(self, name: str) -> bool | Unknown:
        """A named Condition: True, False, or Unknown when it depends on an unknown value."""
        value = self.condition_value(name, None)
        if isinstance(value, Unknown):
            return Unknown(f"condition {name} (depends on {value.reason})")
        return value

    def ref(self, logical_id: str) -> object:
        """`Ref`: a parameter's value (a list for list types), a pseudo parameter, or a
        resource's return value."""
        return self.ref_at(logical_id, self._line(logical_id), "Ref")

    def get_att(self, logical_id: str, attribute: str) -> object:
        """`Fn::GetAtt`: a template resource's attribute."""
        return self.get_att_at(logical_id, attribute, self._line(logical_id))

    def physical_arn(self, logical_id: str) -> object:
        """The ARN of a template resource, symbolic where CloudFormation generates parts."""
        return self._resource_value(logical_id, resource_refs.ARN, self._line(logical_id))

    def resource_type(self, logical_id: str) -> str | None:
        """The `Type` of a template resource, None if there is no such resource."""
        resource = self._resources.get(logical_id)
        return resource.get("Type") if isinstance(resource, dict) else None

    def error(self, line: int | None, message: str) -> InputError:
        """An InputError at `line` of this template (raised by the caller)."""
        return InputError(Location(self.file, line), message)

    # -- walking --------------------------------------------------------------------------
    def resolve_at(self, node: object, line: int | None) -> object:
        """`resolve`, with the line to report when `node` is a scalar (which has none)."""
        if isinstance(node, dict):
            here = line_of(node, line)
            if len(node) == 1:
                key, arg = next(iter(node.items()))
                if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::")):
                    at = node.line_of(key) if isinstance(node, LineDict) else here
                    return intrinsic_fns.call(self, key, arg, at or here, node)
            out = LineDict(line=getattr(node, "line", None))
            for key, value in node.items():
                key_line = node.line_of(key) if isinstance(node, LineDict) else here
                resolved = self.resolve_at(value, key_line)
                if resolved is not NO_VALUE:
                    out[key] = resolved
                    if key_line is not None:
                        out.key_lines[key] = key_line
            return out
        if isinstance(node, list):
            here = line_of(node, line)
            items, lines = [], []
            for i, value in enumerate(node):
                item_line = node.line_of(i) if isinstance(node, LineList) else here
                resolved = self.resolve_at(value, item_line)
                if resolved is not NO_VALUE:
                    items.append(resolved)
                    lines.append(item_line)
            return LineList(items, line=getattr(node, "line", None), item_lines=lines)
        return node

    def _once(self, key: tuple[str, ...], line: int | None, compute: Callable[[], object]) -> object:
        """Compute a named value once; meeting it again while computing it is a cycle."""
        if key in self._cache:
            return self._cache[key]
        if key in self._active:
            chain = self._active[self._active.index(key):] + [key]
            raise self.error(line, "circular reference: " + " -> ".join(map(_describe, chain)))
        self._active.append(key)
        try:
            value = compute()
        finally:
            self._active.pop()
        self._cache[key] = value
        return value

    def _line(self, logical_id: str) -> int | None:
        for section in (self._resources, self._parameters):
            if logical_id in section:
                return section.line_of(logical_id) if isinstance(section, LineDict) else None
        return line_of(self._resources)

    # -- Ref, parameters, pseudo parameters, resources ---------------------------------
    def ref_at(self, name: object, line: int | None, how: str) -> object:
        """`ref` for intrinsics: `how` ("Ref", "Fn::Sub ${X}") prefixes the error message."""
        if not isinstance(name, str):
            raise self.error(line, f"{how} needs a logical id (a string), not {intrinsic_fns.kind_of(name)}")
        if name.startswith("AWS::"):
            pseudo = _pseudo(self.deployment, name)
            if pseudo is not None:
                return pseudo
        elif name in self._parameters:
            value = self._once(("Parameter", name), line, lambda: self._parameter(name))
            if isinstance(value, LineList):  # a copy: callers may change what they get
                return LineList(value, line=value.line, item_lines=value.item_lines)
            return value
        elif name in self._resources:
            return self._resource_value(name, resource_refs.REF, line)
        raise self.error(line, f"{how}: no parameter, resource or pseudo parameter named {name}")

    def _parameter(self, name: str) -> object:
        decl = self._parameters[name]
        line = self._parameters.line_of(name) if isinstance(self._parameters, LineDict) else None
        if not isinstance(decl, dict):
            raise self.error(line, f"parameter {name} must be a mapping")
        ptype = str(decl.get("Type", "String"))
        if ptype.startswith("AWS::SSM::Parameter::Value<"):
            where = self.overrides.get(name, decl.get("Default"))
            return Unknown(f"parameter {name} (SSM parameter {where}, read at deploy time)")
        if name in self.overrides:
            raw = self.overrides[name]
        elif "Default" in decl:
            raw = decl["Default"]
        else:  # chosen per stack at deploy time: the same parameter of two templates may differ
            return Unknown(f"parameter {name} in {self.file}")
        items = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(item, (str, int, float, bool)) for item in items):
            raise self.error(line, f"parameter {name}: the value must be a string")
        if ptype == "CommaDelimitedList" or ptype.startswith("List<"):
            # Each member is space-trimmed (CloudFormation Parameters docs, CommaDelimitedList).
            items = [part.strip() for item in items for part in text_of(item).split(",")]
            return LineList(items, line=line, item_lines=[line] * len(items))
        if isinstance(raw, list):
            raise self.error(line, f"parameter {name} of type {ptype} needs a string value, not a list")
        return text_of(raw)  # Ref of a Number parameter is a string too

    def _resource_value(self, logical_id: str, what: str, line: int | None) -> object:
        resource = self._resources.get(logical_id)
        if not isinstance(resource, dict):
            what = "is not a mapping" if logical_id in self._resources else "does not exist"
            raise self.error(line, f"resource {logical_id} {what}")
        at = self._line(logical_id)
        return self._once(("Resource", logical_id, what), line,
                          lambda: resource_refs.value(resource_refs.View(self, logical_id, resource, at), what))

    def get_att_at(self, logical_id: object, attribute: object, line: int | None) -> object:
        """`get_att` for intrinsics, whose arguments may be anything a template holds."""
        if not isinstance(logical_id, str) or logical_id not in self._resources:
            what = "a parameter" if isinstance(logical_id, str) and logical_id in self._parameters else \
                "not a resource in this template"
            raise self.error(line, f"Fn::GetAtt target {logical_id} is {what}")
        if isinstance(attribute, (Unknown, Sym)):
            return Unknown(f"Fn::GetAtt {logical_id}.{attribute}")
        if not isinstance(attribute, str) or not attribute:
            raise self.error(line, f"Fn::GetAtt attribute of {logical_id} must be a string")
        return self._resource_value(logical_id, attribute, line)

    # -- conditions -------------------------------------------------------------------------
    def condition_value(self, name: object, line: int | None) -> bool | Unknown:
        """A Condition's value; Unknown carries the unknown it depends on."""
        if not isinstance(name, str) or name not in self._conditions:
            raise self.error(line, f"condition {name} is not defined in Conditions")
        at = self._conditions.line_of(name) if isinstance(self._conditions, LineDict) else line
        expr = self._conditions[name]
        return self._once(("Condition", name), line, lambda: intrinsic_fns.condition_expr(self, expr, at))


def _section(template: object, key: str) -> dict:
    value = template.get(key) if isinstance(template, dict) else None
    return value if isinstance(value, dict) else LineDict()


def _describe(key: tuple[str, ...]) -> str:
    """A cache key as the template writes it: `Ref X`, `X.Arn`, `Condition C`."""
    if key[0] == "Resource":
        _, logical_id, what = key
        return {resource_refs.REF: f"Ref {logical_id}", resource_refs.ARN: f"ARN of {logical_id}"}.get(
            what, f"{logical_id}.{what}")
    return " ".join(key)


def _pseudo(d: Deployment, name: str) -> object:
    """Pseudo parameters (CloudFormation "Pseudo parameters reference"); None if not one."""
    if name == "AWS::StackId":
        # the stack's own id: distinct per template even when the stack name is given
        return concat([f"arn:{d.partition}:cloudformation:{d.region}:{d.account}:stack/", d.stack_name, "/",
                       Unknown(f"stack id (AWS::StackId) of {d.source}" if d.source else "stack id (AWS::StackId)",
                               owned=True)])
    return {"AWS::AccountId": d.account, "AWS::Region": d.region, "AWS::Partition": d.partition,
            "AWS::StackName": d.stack_name, "AWS::URLSuffix": d.url_suffix, "AWS::NoValue": NO_VALUE,
            "AWS::NotificationARNs": Unknown("AWS::NotificationARNs")}.get(name)
