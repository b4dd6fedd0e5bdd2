"""Files a template names by a local path, read as `sam package` and CloudFormation would.

`AWS::Include` (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-aws-include.html)
inserts a file's contents where `Fn::Transform: {Name: AWS::Include, Parameters: {Location: …}}`
stands, anywhere in a template (a list of transforms too; the top-level `Transform` section form
merges into the template). `sam package`/`aws cloudformation package` upload a `Location` that is a
local path (relative to the template's folder; a missing file fails the packaging) and leave an S3
URI as it is (aws-sam-cli samcli/lib/package/artifact_exporter.py, `include_transform_export_handler`).
CloudFormation then evaluates the embedded transforms before the template's `Transform` section
("from the most deeply nested outward", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-macros.html),
so SAM sees the included OpenAPI body inline: permcheck inlines local includes before anything else
reads the template. A local `DefinitionUri` (`AWS::Serverless::Api`, `HttpApi`, `StateMachine`) is
uploaded the same way: its file must exist and decode, though what it holds (an API or state machine
definition) grants nothing permcheck models.

What comes from an included file keeps its own file and lines (`nodes.FileLine`), so `because`,
findings and errors point into it. Fail-closed and bounded, like the rest of load/:
- a snippet that uses `AWS::Include` itself is refused ("You can't use AWS::Include to reference a
  template snippet that also uses AWS::Include", the AWS::Include page): one level, no loops;
- a path that leaves the template's folder (absolute, `..`, a symbolic link out) is refused: a template
  under review must not make permcheck read other files of the machine;
- at most MAX_INCLUDES files and MAX_INCLUDED_BYTES in all per template.
An include that is not local (an S3 URI, a value built by an intrinsic) has unknown content: in a
value's place the resolver reads it as `Unknown` (`unknown_transform`); where it would add keys to a
mapping (resources, properties), the template's principals and functions get an unknown part
(`OPEN_INCLUDES`, read by cloudformation.load_template). Never an error, never nothing.
"""

from __future__ import annotations

import os
from typing import Any

from permcheck.load.nodes import FileLine, LineDict, LineList, line_of
from permcheck.model.location import InputError, Location
from permcheck.model.values import Unknown

INCLUDE = "AWS::Include"
TRANSFORM = "Fn::Transform"
#: A top-level key of the template read: why parts of it are unknown (non-local includes that add keys).
OPEN_INCLUDES = "PermcheckOpenIncludes"
#: Most files one template includes. Real templates include a handful.
MAX_INCLUDES = 100
#: Most bytes all included files of one template may hold: CloudFormation's own limit on a template
#: body read from S3 is 1 MB, and the included template must fit in it
#: (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
MAX_INCLUDED_BYTES = 1_000_000
#: SAM resources whose `DefinitionUri` `sam package` uploads when it is a local path.
DEFINITION_URIS = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::StateMachine")


def read_includes(file: str, template: Any, included: set[str] | None = None) -> Any:
    """`template` with every local `AWS::Include` inlined (the same object when it has none); the real
    path of each file read is added to `included` (a directory walk then does not read them again)."""
    if not isinstance(template, LineDict):
        return template
    reader = _Reader(file, included if included is not None else set())
    out = reader.top(template)
    reader.definition_uris(out)
    if reader.open:
        out = LineDict(out, line=out.line, key_lines=dict(out.key_lines))
        out[OPEN_INCLUDES] = LineList([text for text, _ in reader.open], line=out.line,
                                      item_lines=[line for _, line in reader.open])
    return out


def is_open_include(value: Any) -> bool:
    """Whether `value` is an `AWS::Include` left in place because its file is not local."""
    return isinstance(value, dict) and len(value) == 1 and _includes(value.get(TRANSFORM)) is not None


def unknown_transform(arg: Any) -> Unknown:
    """What the resolver makes of an `Fn::Transform` it meets: a non-local include, or another macro."""
    for item in (arg if isinstance(arg, list) else [arg]):
        if isinstance(item, dict) and item.get("Name") == INCLUDE:
            return Unknown(f"the content of {_location_text(item)} (AWS::Include: not a local file, so not in the inputs)")
    return Unknown("Fn::Transform (a macro permcheck does not run)")


def _includes(value: Any) -> list | None:
    """The AWS::Include items of an `Fn::Transform` value, or None when it has none."""
    items = value if isinstance(value, list) else [value]
    found = [i for i in items if isinstance(i, dict) and i.get("Name") == INCLUDE]
    return found or None


def _location_text(item: dict) -> str:
    parameters = item.get("Parameters")
    location = parameters.get("Location") if isinstance(parameters, dict) else None
    return location if isinstance(location, str) else f"a Location given as {location!r}"


class _Reader:
    """Inlines the includes of one template."""

    def __init__(self, file: str, included: set[str]) -> None:
        self.file, self.included = file, included
        self.folder = os.path.dirname(file)
        self.root = os.path.realpath(self.folder or ".")
        self.count = self.bytes = 0
        self.open: list[tuple[str, int | None]] = []  # why, and the include's line

    # -- the walk ----------------------------------------------------------------------------
    def top(self, template: LineDict) -> LineDict:
        transform = template.get("Transform")
        includes = _includes(transform)
        out = self.walk(template, ())
        if includes is None:
            return out
        # `Transform: {Name: AWS::Include, …}`: the file's sections join the template's.
        rest = [t for t in (transform if isinstance(transform, list) else [transform]) if t not in includes]
        out = LineDict(out, line=out.line, key_lines=dict(out.key_lines))
        if rest:
            out["Transform"] = rest if isinstance(transform, list) else rest[0]
        else:
            del out["Transform"]
        for item in includes:
            self.merge(out, item, key_line(template, "Transform"), ())
        return out

    def walk(self, node: Any, path: tuple, nested: bool = False) -> Any:
        if isinstance(node, LineDict):
            if TRANSFORM in node and _includes(node[TRANSFORM]) is not None:
                return self.transform(node, path, nested)
            changed = {}
            for key, value in node.items():
                new = self.walk(value, (*path, key), nested)
                if new is not value:
                    changed[key] = new
            if not changed:
                return node
            out = LineDict(node, line=node.line, key_lines=dict(node.key_lines))
            for key, value in changed.items():
                if value is _DROP:
                    del out[key]
                    out.key_lines.pop(key, None)
                else:
                    out[key] = value
            return out
        if isinstance(node, LineList):
            items = [self.walk(v, (*path, i), nested) for i, v in enumerate(node)]
            if all(a is b for a, b in zip(items, node)):
                return node
            return LineList(items, line=node.line, item_lines=list(node.item_lines))
        return node

    def transform(self, node: LineDict, path: tuple, nested: bool) -> Any:
        line = key_line(node, TRANSFORM)
        if nested:
            raise InputError(Location(self.file, line),
                             "an included file uses AWS::Include itself: CloudFormation does not process nested "
                             "includes (\"You can't use AWS::Include to reference a template snippet that also uses "
                             "AWS::Include\")")
        value = node[TRANSFORM]
        includes = _includes(value)
        others = [t for t in (value if isinstance(value, list) else [value]) if t not in includes]
        if len(node) == 1 and not others and len(includes) == 1:
            content = self.include(includes[0], line)
            if content is not _OPEN:
                return content
            if _mapping_slot(path):  # a resource, its properties, the Resources section: keys we cannot see
                self.opened(includes[0], line)
                return _DROP if len(path) == 2 and path[0] == "Resources" else LineDict(line=node.line)
            return node  # a value: the resolver reads it as Unknown
        out = LineDict({k: v for k, v in node.items() if k != TRANSFORM}, line=node.line,
                       key_lines={k: v for k, v in node.key_lines.items() if k != TRANSFORM})
        if others:
            out[TRANSFORM] = others if isinstance(value, list) else others[0]
            out.key_lines[TRANSFORM] = line
        out = self.walk(out, path)
        for item in includes:
            self.merge(out, item, line, path)
        return out

    def merge(self, into: LineDict, item: dict, line: int | None, path: tuple) -> None:
        """The included mapping's keys join `into` (a key on both sides is refused: which would win?)."""
        content = self.include(item, line)
        if content is _OPEN:
            self.opened(item, line)
            return
        if not isinstance(content, LineDict):
            raise InputError(Location(self.file, line), f"AWS::Include of {_location_text(item)} beside other keys "
                                                        "must include a mapping")
        for key, value in content.items():
            if key in into:
                raise InputError(Location(self.file, line),
                                 f"key {key!r} is both in the template (line {into.line_of(key)}) and in "
                                 f"{_location_text(item)}, included here (line {content.line_of(key)})")
            into[key] = value
            into.key_lines[key] = content.line_of(key)

    def opened(self, item: dict, line: int | None) -> None:
        self.open.append((f"the content of {_location_text(item)}, included by AWS::Include at {self.file}:{line} "
                          "(not a local file, so not in the inputs)", line))

    # -- one file ----------------------------------------------------------------------------
    def include(self, item: dict, line: int | None) -> Any:
        """The decoded, line-marked content of a local include; _OPEN for one that is not local."""
        parameters = item.get("Parameters")
        location = parameters.get("Location") if isinstance(parameters, dict) else None
        if not isinstance(location, str) or "://" in location:
            return _OPEN
        where = key_line(parameters, "Location", line)
        path = self.local(location, where, "AWS::Include Location")
        content = self.read(path, where)
        return self.walk(content, (), nested=True)

    def local(self, value: str, line: int | None, what: str) -> str:
        """The path of a local file the template names, checked to stay inside its folder."""
        where = Location(self.file, line)
        if not value.strip():
            raise InputError(where, f"{what} is empty")
        if os.path.isabs(value):
            raise InputError(where, f"{what} {value!r} is an absolute path: permcheck reads only files inside the "
                                    "template's folder")
        path = os.path.normpath(os.path.join(self.folder, value))
        real = os.path.realpath(path)
        if real != self.root and not real.startswith(self.root.rstrip(os.sep) + os.sep):
            raise InputError(where, f"{what} {value!r} leaves the template's folder: permcheck reads only files "
                                    "inside it")
        if not os.path.exists(path):
            raise InputError(where, f"{what} {value!r}: no such file ({path}); `sam package` would fail too")
        if not os.path.isfile(real):
            raise InputError(where, f"{what} {value!r} is not a regular file")
        self.included.add(real)
        return path

    def read(self, path: str, line: int | None) -> Any:
        from permcheck.load.decode import read_file

        where = Location(self.file, line)
        self.count += 1
        if self.count > MAX_INCLUDES:
            raise InputError(where, f"more than {MAX_INCLUDES} included files in one template")
        budget = MAX_INCLUDED_BYTES - self.bytes
        self.bytes += os.path.getsize(path)
        if self.bytes > MAX_INCLUDED_BYTES:
            raise InputError(where, f"the files this template includes hold more than {MAX_INCLUDED_BYTES} bytes, "
                                    "CloudFormation's limit for a template read from S3")
        return mark(read_file(path, max_bytes=max(budget, 0)), path)

    # -- DefinitionUri -------------------------------------------------------------------------
    def definition_uris(self, template: LineDict) -> None:
        resources = template.get("Resources")
        if not isinstance(resources, dict):
            return
        for resource in resources.values():
            if not isinstance(resource, dict) or resource.get("Type") not in DEFINITION_URIS:
                continue
            props = resource.get("Properties")
            uri = props.get("DefinitionUri") if isinstance(props, dict) else None
            if isinstance(uri, str) and "://" not in uri and uri.strip():
                where = key_line(props, "DefinitionUri", line_of(resource))
                self.read(self.local(uri, where, "DefinitionUri"), where)


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_OPEN = _Marker("OPEN")  # an include whose file is not local
_DROP = _Marker("DROP")  # a resource whose whole definition is such an include


def _mapping_slot(path: tuple) -> bool:
    """Whether the value at `path` must be a mapping whose keys an include would add."""
    return path in ((), ("Resources",)) or (len(path) == 2 and path[0] == "Resources") or \
        (len(path) == 3 and path[0] == "Resources" and path[2] == "Properties")


def key_line(mapping: Any, key: str, default: int | None = None) -> int | None:
    return mapping.line_of(key) if isinstance(mapping, LineDict) else default


def mark(value: Any, file: str) -> Any:
    """Give every line of a decoded included file its file (in place: the value is new)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, LineDict):
            node.line = _file_line(node.line, file)
            node.key_lines = {k: _file_line(v, file) for k, v in node.key_lines.items()}
            stack.extend(node.values())
        elif isinstance(node, LineList):
            node.line = _file_line(node.line, file)
            node.item_lines = [_file_line(v, file) for v in node.item_lines]
            stack.extend(node)
    return value


def _file_line(line: int | None, file: str) -> int | None:
    return None if line is None else FileLine(line, file)
