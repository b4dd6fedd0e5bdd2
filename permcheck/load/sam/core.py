"""Shared machinery of permcheck's SAM expander: the expansion context, line-carrying nodes,
SAM's own parameter resolution and its property checks.

Every generated mapping and list is a `LineDict`/`LineList` whose lines are those of the SAM
construct that caused it (an `Events` entry, a `Policies` item, `FunctionUrlConfig`, the
function for its implicit role); values copied from the template keep their own lines. Every
generated resource carries `PermcheckSource` ("created by SAM: ..."), which the CloudFormation
loader turns into the `note` of each statement read from it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from permcheck.load.source_notes import SOURCE_NOTE
from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.load.sam import schema as sam_schema
from permcheck.model.location import InputError, Location

SAM_PREFIX = "AWS::Serverless::"
PASSTHROUGH_ATTRIBUTES = ("Condition", "DeletionPolicy", "UpdateReplacePolicy")
LOGICAL_ID = re.compile(r"^[A-Za-z0-9]+$")


class SamError(InputError):
    """A template the SAM transform rejects (its message follows SAM's wording)."""


class Unsupported(Exception):
    """A SAM construct permcheck's expander does not know (a newer SAM may): the official
    translator handles the template when it is installed, else this is a clean error."""

    def __init__(self, line: int | None, what: str) -> None:
        super().__init__(what)
        self.line, self.what = line, what


@dataclass
class Ctx:
    """One template being expanded."""

    file: str
    template: LineDict
    deployment: Any
    overrides: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)  # SAM's parameter values (defaults, overrides, pseudo)
    out: LineDict = field(default_factory=LineDict)  # the resources of the expanded template
    conditions: LineDict = field(default_factory=LineDict)  # conditions SAM adds
    sam: dict[str, LineDict] = field(default_factory=dict)  # SAM resources (Globals merged) by logical id
    refs: dict[tuple[str, str], str] = field(default_factory=dict)  # (id, "Alias") -> generated logical id
    apis: dict[str, dict] = field(default_factory=dict)  # API logical id -> facts events need
    function_events: dict[str, list] = field(default_factory=dict)
    triggers: list = field(default_factory=list)  # what SAM wires without a resource here (trigger_facts.py)

    # -- errors ---------------------------------------------------------------------------
    def fail(self, at: object, logical_id: str | None, message: str, event: str | None = None) -> SamError:
        """SAM's error text: `Resource with id [F] is invalid. Event with id [E] is invalid. ...`."""
        text = message
        if event is not None:
            text = f"Event with id [{event}] is invalid. {text}"
        if logical_id is not None:
            text = f"Resource with id [{logical_id}] is invalid. {text}"
        line = at if isinstance(at, int) or at is None else line_of(at)
        return SamError(Location(self.file, line), f"SAM transform error: {text}")

    def resource_line(self, logical_id: str) -> int | None:
        resources = self.template.get("Resources")
        return resources.line_of(logical_id) if isinstance(resources, LineDict) else None

    # -- output ---------------------------------------------------------------------------
    def add(self, logical_id: str, resource: LineDict, sam_id: str, at: object = None) -> None:
        """Add a generated resource; SAM refuses to overwrite one the template defines."""
        if not isinstance(logical_id, str) or not LOGICAL_ID.match(logical_id):
            raise self.fail(at if at is not None else resource, sam_id,
                            f"the logical id SAM would give a generated resource ({plain(logical_id)!r}) is not "
                            "alphanumeric")
        if resource.get("Type") == "AWS::Lambda::Permission":
            props = resource.get("Properties", {})
            for key in ("FunctionName", "Principal", "SourceArn", "SourceAccount", "EventSourceToken"):
                value = props.get(key)
                if value is None and key in ("FunctionName", "Principal") or \
                        value is not None and not isinstance(value, str) and not sam_schema.is_intrinsic(value):
                    raise self.fail(at if at is not None else resource, sam_id,
                                    f"the permission SAM writes ({logical_id}) would have a {key} that is neither a "
                                    "string nor an intrinsic function, which CloudFormation rejects")
        original = self.template.get("Resources", {})
        if logical_id in original and logical_id != sam_id and original[logical_id] is not None \
                and not _is_sam(original[logical_id]):
            raise self.fail(at if at is not None else resource, None,
                            f"Transforming resource with id [{sam_id}] attempts to create a new resource with id "
                            f"[{logical_id}] and type \"{resource.get('Type')}\". A resource with that id already "
                            "exists within this template. Please use a different id for that resource.")
        self.out[logical_id] = resource
        self.out.key_lines[logical_id] = line_of(resource)

    def sam_or_template(self, logical_id: str) -> Any:
        """A resource as SAM sees it while translating: SAM resources with Globals merged."""
        if logical_id in self.sam:
            return self.sam[logical_id]
        resources = self.template.get("Resources")
        return resources.get(logical_id) if isinstance(resources, dict) else None



def _is_sam(resource: object) -> bool:
    return isinstance(resource, dict) and isinstance(resource.get("Type"), str) and \
        resource["Type"].startswith(SAM_PREFIX)


# -- nodes ------------------------------------------------------------------------------------
def node(value: Any, line: int | None) -> Any:
    """Plain values as LineDict/LineList at `line`; containers from the template keep their lines."""
    if isinstance(value, (LineDict, LineList)):
        return value
    if isinstance(value, dict):
        return LineDict({k: node(v, line) for k, v in value.items()}, line=line, key_lines={k: line for k in value})
    if isinstance(value, (list, tuple)):
        items = [node(v, line) for v in value]
        return LineList(items, line=line, item_lines=[line_of(v, line) for v in items])
    return value


def resource(rtype: str, props: dict | None, line: int | None, note: str,
             attributes: dict | None = None, depends_on: Any = None) -> LineDict:
    """A generated resource at `line` with its `PermcheckSource` note."""
    out = LineDict({"Type": rtype}, line=line, key_lines={"Type": line})
    if props is not None:
        out["Properties"] = node({k: v for k, v in props.items() if v is not None}, line)
        out.key_lines["Properties"] = line
    for key, value in (attributes or {}).items():
        if value is not None:
            out[key] = value
            out.key_lines[key] = line
    if depends_on:
        out["DependsOn"] = depends_on
    out[SOURCE_NOTE] = note
    return out


def passthrough(sam_resource: dict) -> dict:
    """The resource attributes SAM copies onto what it generates."""
    return {k: sam_resource[k] for k in PASSTHROUGH_ATTRIBUTES if k in sam_resource}


def key_line(mapping: object, key: str, default: int | None = None) -> int | None:
    if isinstance(mapping, LineDict):
        return mapping.key_lines.get(key, mapping.line if mapping.line is not None else default)
    return default


def item_line(sequence: object, index: int, default: int | None = None) -> int | None:
    if isinstance(sequence, LineList):
        found = sequence.line_of(index)
        return found if found is not None else default
    return default


def ref(logical_id: str) -> dict:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [logical_id, attribute]}


def sub(text: str, variables: dict | None = None) -> dict:
    return {"Fn::Sub": [text, variables] if variables is not None else text}


def logical_id_hash(prefix: str, data: Any = None, data_hash: str | None = None) -> str:
    """SAM's LogicalIdGenerator: prefix + the first 10 hex digits of SHA1 of the data as JSON."""
    if data_hash:
        return prefix + data_hash[:10]
    if not data:
        return prefix
    text = data if isinstance(data, str) else json.dumps(plain(data), separators=(",", ":"), sort_keys=True)
    return prefix + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]  # noqa: S324 - SAM's id scheme


def plain(value: Any) -> Any:
    """Line-carrying containers as plain dicts/lists (for hashing and comparison)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# -- SAM's parameter resolution -------------------------------------------------------------
def resolve_params(ctx: Ctx, value: Any) -> Any:
    """SAM's `resolve_parameter_refs`: `Ref` to a parameter (or AWS::Region/AWS::Partition) and
    `${param}` inside `Fn::Sub` become the parameter's value; everything else is kept."""
    if isinstance(value, dict):
        if len(value) == 1:
            key, arg = next(iter(value.items()))
            if key == "Ref" and isinstance(arg, str) and arg in ctx.params:
                found = ctx.params[arg]
                if not (isinstance(found, str) and found.startswith("{{IntrinsicFunction:")):
                    return found
                return value
            if key == "Fn::Sub":
                return {key: _sub_params(ctx, arg)}
        out = LineDict(line=line_of(value), key_lines=dict(getattr(value, "key_lines", {})))
        for k, v in value.items():
            out[k] = resolve_params(ctx, v)
        return out
    if isinstance(value, list):
        return LineList([resolve_params(ctx, v) for v in value], line=line_of(value),
                        item_lines=list(getattr(value, "item_lines", [])))
    return value


def resolve_mappings(ctx: Ctx, value: Any, at: object = None) -> Any:
    """SAM's FindInMapAction (after parameter resolution): a FindInMap on this template's Mappings
    becomes its value; a malformed one is SAM's error."""
    value = resolve_params(ctx, value)
    if isinstance(value, dict) and len(value) == 1 and "Fn::FindInMap" in value:
        args = value["Fn::FindInMap"]
        if not isinstance(args, list) or len(args) != 3:
            raise ctx.fail(at if at is not None else value, None, "Structure of the SAM template is invalid. Invalid "
                           f"FindInMap value {plain(args)}. FindInMap expects an array with 3 values.")
        keys = [resolve_mappings(ctx, a, at) for a in args]
        if not all(isinstance(k, str) for k in keys):
            return value
        mappings = ctx.template.get("Mappings") or {}
        mapping = mappings.get(keys[0]) if isinstance(mappings, dict) else None
        if keys[0] not in mappings:
            return value
        problem = f"Structure of the SAM template is invalid. Cannot use Fn::FindInMap on Mapping '{keys[0]}' " \
                  "which is not a a two-level map."
        if not isinstance(mapping, dict):
            raise ctx.fail(at if at is not None else value, None, problem)
        if keys[1] not in mapping:
            return value
        if not isinstance(mapping[keys[1]], dict):
            raise ctx.fail(at if at is not None else value, None, problem)
        return mapping[keys[1]].get(keys[2], value)
    if isinstance(value, dict):
        return LineDict({k: resolve_mappings(ctx, v, at) for k, v in value.items()}, line=line_of(value),
                        key_lines=dict(getattr(value, "key_lines", {})))
    if isinstance(value, list):
        return LineList([resolve_mappings(ctx, v, at) for v in value], line=line_of(value),
                        item_lines=list(getattr(value, "item_lines", [])))
    return value


_SUB_VAR = re.compile(r"\$\{([^}!]+)\}")


def _sub_params(ctx: Ctx, arg: Any) -> Any:
    def replace(text: str) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            found = ctx.params.get(name)
            return str(found) if isinstance(found, (str, int, float)) and not isinstance(found, bool) else match.group(0)
        return _SUB_VAR.sub(one, text)
    if isinstance(arg, str):
        return replace(arg)
    if isinstance(arg, list) and arg and isinstance(arg[0], str):
        return [replace(arg[0]), *arg[1:]]
    return arg


# -- property checks ----------------------------------------------------------------------------
def opening(ctx: Ctx, logical_id: str, sam: LineDict, type_name: str,
            schema: dict[str, tuple[bool, str]] | None = None) -> tuple[LineDict, int | None]:
    """A SAM resource's Properties (empty, at the resource's line, when it has none) checked
    against its schema (`RESOURCES[type_name]` unless given), and the resource's line: what every
    expander starts with."""
    props = sam.get("Properties", LineDict(line=line_of(sam)))
    at = ctx.resource_line(logical_id) or line_of(sam)
    check_properties(ctx, props, sam_schema.RESOURCES[type_name] if schema is None else schema, logical_id,
                     type_name, sam)
    return props, at


def check_properties(ctx: Ctx, props: dict, schema: dict[str, tuple[bool, str]], logical_id: str,
                     type_name: str, at: object, event: str | None = None) -> None:
    """SAM's `from_dict` + `validate_properties`: unknown names, required ones, shapes."""
    for name in props:
        if name not in schema:  # a typo SAM rejects, or a property a newer SAM defines: the official translator decides
            where = f"{logical_id}.Events.{event}" if event is not None else logical_id
            raise Unsupported(key_line(props, name, line_of(at)), f"property {name} of {type_name} ({where})")
    for name, (required, shape) in schema.items():
        value = props.get(name)
        if value is None:
            if required:
                raise ctx.fail(at, logical_id, f"Missing required property '{name}'.", event)
            continue
        if not sam_schema.checks_intrinsics(shape) and isinstance(value, dict) and len(value) == 1:
            continue  # SAM leaves a one-key mapping (an intrinsic) to CloudFormation
        if not sam_schema.shape_ok(value, shape):
            raise ctx.fail(key_line(props, name, line_of(at)), logical_id,
                           f"Type of property '{name}' is invalid.", event)


def expect_map(ctx: Ctx, value: Any, at: object, logical_id: str | None, path: str,
               event: str | None = None) -> dict:
    if not isinstance(value, dict):
        raise ctx.fail(at, logical_id, f"Property '{path}' should be a map.", event)
    return value


def is_no_value(value: Any) -> bool:
    return isinstance(value, dict) and value.get("Ref") == "AWS::NoValue" and len(value) == 1


def is_if(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and "Fn::If" in value




def merge_line_dicts(base: dict, extra: dict) -> LineDict:
    """A copy of `base` with `extra`'s keys set (lines kept from where each value came)."""
    out = LineDict(base, line=line_of(base, line_of(extra)), key_lines=dict(getattr(base, "key_lines", {})))
    for key, value in extra.items():
        out[key] = value
        line = key_line(extra, key)
        if line is not None:
            out.key_lines[key] = line
    return out
