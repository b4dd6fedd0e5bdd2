"""YAML → line-marked values: PyYAML (libyaml when built with it) with CloudFormation's short-form
tags, merge keys applied, and only the tags and sizes a template can hold."""

from __future__ import annotations

import math
import re

import yaml

from permcheck.load import decode_limits as limits
from permcheck.load.nodes import LineDict, LineList
from permcheck.model.location import InputError, Location

_FUNCTIONS = (
    "And Base64 Cidr Equals FindInMap ForEach GetAtt GetAZs If ImportValue Join Length Not Or "
    "Select Split Sub ToJsonString Transform "
    "Contains EachMemberEquals EachMemberIn RefAll ValueOf ValueOfAll"  # Rules-section intrinsics
).split()
_CFN_TAGS = {"!Ref": "Ref", "!Condition": "Condition", **{f"!{f}": f"Fn::{f}" for f in _FUNCTIONS}}
_Y = "tag:yaml.org,2002:"
_MERGE = object()  # a plain `<<` key: YAML 1.1 merge
_LIBYAML = getattr(yaml, "CSafeLoader", None)  # PyYAML built with libyaml: much faster


class _Loader(_LIBYAML or yaml.SafeLoader):  # type: ignore[misc]
    """Safe loader (libyaml when present) whose implicit resolution leaves timestamps
    and `=` as strings: `Version: 2012-10-17` must stay the string IAM compares."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_Y + "timestamp", _Y + "value")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


class _PyLoader(yaml.SafeLoader):
    """`_Loader` without libyaml: its scanner has no nesting limit of its own (see `_yaml`)."""

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def _yaml(path: str, text: str) -> object:
    """One YAML document, built from parser events: libyaml's parser does not recurse."""
    try:
        return _build(path, text, _Loader)
    except yaml.MarkedYAMLError as e:
        if _LIBYAML is not None and text.count("[") + text.count("{") > limits.MAX_DEPTH:
            # libyaml's scanner reads up to 1,024 characters ahead and stops at a flow nesting
            # limit of its own (in its own words) before the builder has counted limits.MAX_DEPTH
            # levels. Read again without libyaml: permcheck's limits, in permcheck's words,
            # decide what is wrong, whichever library is installed.
            try:
                _build(path, text, _PyLoader)
            except InputError as own:
                raise own from None
            except yaml.YAMLError:
                pass
        mark = e.problem_mark or e.context_mark
        where = Location(path, mark.line + 1 if mark else None)
        raise InputError(where, f"invalid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:  # ReaderError: a forbidden character; libyaml gives a byte offset
        char = getattr(e, "character", None)
        at = text.find(chr(char)) if isinstance(char, int) else -1
        line = text.count("\n", 0, at) + 1 if at >= 0 else None
        raise InputError(Location(path, line), f"invalid YAML: {getattr(e, 'reason', e)}") from None


def _build(path: str, text: str, loader_class: type) -> object:
    loader = loader_class(text)  # the pure-Python reader already checks characters here
    try:
        return _Builder(path, loader).document()
    finally:
        loader.dispose()


class _Open:
    """A mapping or sequence whose end event has not come yet."""

    __slots__ = ("start", "box", "size", "height", "key", "key_line", "merges", "statements_at")

    def __init__(self, start: yaml.Event, box: LineDict | LineList, statements_at: int | None = None) -> None:
        self.start, self.box, self.size, self.height = start, box, 1, 1
        self.key, self.key_line, self.merges = None, None, []
        self.statements_at = statements_at  # for the value of a `Statement` key: that key's line


class _Builder:
    """Values from events with an explicit stack, counting depth, expanded size and
    alias uses as it goes, so bombs and deep nesting stop before they are built."""

    def __init__(self, path: str, loader: _Loader) -> None:
        self.path, self.loader = path, loader
        self.nodes = self.aliases = 0
        self.anchors: dict[str, tuple[object, int, int]] = {}  # value, size, height

    def fail(self, event: yaml.Event, message: str) -> InputError:
        return InputError(Location(self.path, event.start_mark.line + 1), message)

    def document(self) -> object:
        get = self.loader.get_event
        get()  # StreamStart
        if isinstance(get(), yaml.StreamEndEvent):
            return None  # empty file
        value = self.node()
        get()  # DocumentEnd
        if not isinstance(event := get(), yaml.StreamEndEvent):
            raise self.fail(event, "more than one YAML document in one file")
        return value

    def node(self) -> object:
        stack: list[_Open] = []
        while True:
            event = self.loader.get_event()
            kind, line = type(event), event.start_mark.line + 1
            if kind is yaml.AliasEvent:
                if event.anchor not in self.anchors:
                    raise self.fail(event, f"alias *{event.anchor} has no finished anchor")
                if (aliases := self.aliases + 1) > limits.MAX_ALIASES:
                    raise self.fail(event, f"more than {limits.MAX_ALIASES} YAML aliases")
                value, size, height = self.anchors[event.anchor]
                self.aliases, tag, new = aliases, None, size  # expanded: a copy per use
            elif kind is yaml.ScalarEvent:
                value, size, height, tag, new = self.scalar(event), 1, 0, event.tag, 1
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                mapping = kind is yaml.MappingStartEvent
                if len(stack) >= limits.MAX_DEPTH:
                    raise self.fail(event, f"nesting deeper than {limits.MAX_DEPTH} levels")
                if event.tag not in (None, "!", _Y + ("map" if mapping else "seq"), *_CFN_TAGS):
                    raise self.fail(event, f"unknown YAML tag {_tag_name(event.tag)}")
                parent = stack[-1] if stack else None
                statements_at = parent.key_line if not mapping and parent is not None and \
                    parent.key == "Statement" and isinstance(parent.box, LineDict) else None
                stack.append(_Open(event, LineDict(line=line) if mapping else LineList(line=line), statements_at))
                continue
            else:  # the end of the innermost open container
                done = stack.pop()
                event, value, size, height, tag = done.start, done.box, done.size, done.height, done.start.tag
                line, new = event.start_mark.line + 1, 1  # its contents were counted already
                if done.merges:
                    value = self.merge(done)
            if tag in _CFN_TAGS:
                value, size, height = self.intrinsic(event, value, line), size + 1, height + 1
                new += 1
            self.nodes += new
            if self.nodes > limits.MAX_NODES:
                raise self.fail(event, f"more than {limits.MAX_NODES} values (YAML alias expansion?)")
            if len(stack) + height > limits.MAX_DEPTH:
                raise self.fail(event, f"nesting deeper than {limits.MAX_DEPTH} levels")
            if kind is not yaml.AliasEvent and event.anchor is not None:
                self.anchors[event.anchor] = (value, size, height)
            if not stack:
                return value
            self.add(stack[-1], event, value, line, size, height)

    def add(self, into: _Open, event: yaml.Event, value: object, line: int, size: int, height: int) -> None:
        """Put a finished value (or mapping key) into the innermost open container."""
        into.size += size
        into.height = max(into.height, height + 1)
        box = into.box
        if isinstance(box, LineList):
            box.append(value)
            box.item_lines.append(line)
            if into.statements_at is not None and len(box) > limits.MAX_STATEMENTS:
                raise limits.too_many_statements(self.path, into.statements_at)
        elif into.key_line is None:
            if isinstance(value, (LineDict, LineList)):
                raise self.fail(event, "mapping key is not a scalar")
            merge = value == "<<" and event.tag is None and getattr(event, "implicit", (0,))[0]
            into.key, into.key_line = _MERGE if merge else value, line
        else:
            key, key_line = into.key, into.key_line
            into.key = into.key_line = None
            if key is _MERGE:
                into.merges.append(value)
            elif key in box:
                raise limits.duplicate_key(self.path, key, box.key_lines.get(key), key_line)
            elif key == "Statement" and isinstance(value, LineList) and len(value) > limits.MAX_STATEMENTS:
                raise limits.too_many_statements(self.path, key_line)  # an alias: built already
            else:
                box[key], box.key_lines[key] = value, key_line

    def scalar(self, event: yaml.ScalarEvent) -> object:
        """YAML 1.1 scalars as PyYAML's safe loader reads them, but timestamps stay strings."""
        tag, value = event.tag, event.value
        if tag in _CFN_TAGS:
            return value
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
        if tag in (_Y + "str", _Y + "timestamp", _Y + "merge"):  # merge: see add()
            return value
        if tag not in (_Y + "int", _Y + "float", _Y + "bool", _Y + "null"):
            raise self.fail(event, f"unknown YAML tag {_tag_name(tag)}")
        if tag == _Y + "int" and event.implicit[0] and not limits.DECIMAL.match(value):
            # YAML 1.1 octal/hex/sexagesimal forms: `012345670123` is an account id, not 1424...
            return value
        if tag == _Y + "int" and len(value) > limits.MAX_INT_DIGITS:
            raise self.fail(event, f"integer with more than {limits.MAX_INT_DIGITS} digits")
        try:
            result = self.loader.yaml_constructors[tag](self.loader, yaml.ScalarNode(tag, value))
        except (ValueError, LookupError, TypeError, yaml.YAMLError):  # `!!int ""` -> IndexError
            raise self.fail(event, f"invalid {_tag_name(tag)} value {value[:40]!r}") from None
        if isinstance(result, float) and not math.isfinite(result):
            if re.search(r"\d", value):  # `1.0e+999`: a number, but no float holds it
                raise self.fail(event, f"number {value[:40]!r} is out of range")
            raise self.fail(event, f"{value[:40]!r}: NaN and infinity are not valid values")
        return result

    def intrinsic(self, event: yaml.Event, value: object, line: int) -> LineDict:
        """`!Ref x` -> {"Ref": x}; `!GetAtt A.B.C` -> {"Fn::GetAtt": ["A", "B.C"]}; ..."""
        name = _CFN_TAGS[event.tag]
        if name == "Fn::GetAtt" and isinstance(value, str):  # as cfn-lint and SAM split it;
            parts = value.split(".", 1)                         # a missing attribute is checked later
            value = LineList(parts, line=line, item_lines=[line] * len(parts))
        return LineDict({name: value}, line=line, key_lines={name: line})

    def merge(self, done: _Open) -> LineDict:
        """Merge keys as PyYAML applies them: own keys win; in `<<: [*a, *b]`, a over b."""
        merged = LineDict(line=done.box.line)
        for value in done.merges:
            for source in [*reversed(value)] if isinstance(value, LineList) else [value]:
                if not isinstance(source, LineDict):
                    raise self.fail(done.start, "merge key '<<' needs a mapping or a list of mappings")
                merged.update(source)
                merged.key_lines.update(source.key_lines)
        merged.update(done.box)
        merged.key_lines.update(done.box.key_lines)
        return merged


def _tag_name(tag: str) -> str:
    """`!!int` for a standard tag, as the user wrote it."""
    return "!!" + tag[len(_Y):] if tag.startswith(_Y) else tag
