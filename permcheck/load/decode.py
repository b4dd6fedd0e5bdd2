"""Bytes of one input file -> line-marked values (`LineDict`, `LineList`, scalars).

Templates in pull requests are hostile input, so decoding fails closed: duplicate keys,
NaN, unknown YAML tags, several YAML documents, alias bombs, deep nesting, non-UTF-8
bytes and whatever passes the limits below (size, values, integer digits, statements
per policy) are each an `InputError` with file and line; no other exception type
escapes for bad input.

The format is decided by content: text whose first non-blank character is `{` or `[`
is JSON, falling back to YAML (a superset) on a JSON *syntax* error unless the file is
named `.json`; anything else is YAML. YAML choices: timestamps stay strings
(`Version: 2012-10-17`); `!!binary`, `!!set`, `!!omap` and other tags are errors;
NaN/infinity are errors in both formats; merge keys (`<<: *base`) are applied as
PyYAML, `aws cloudformation package` and `sam deploy` apply them.
"""

from __future__ import annotations

import math
import os
import re
from json.decoder import JSONDecodeError, scanstring
from json.scanner import py_make_scanner
from types import SimpleNamespace

import yaml

from permcheck.load.nodes import LineDict, LineList
from permcheck.model.location import InputError, Location

#: Largest file read: `get-account-authorization-details` of a big account is tens of MB.
#: Read when `read_file` is called, so a test can lower it.
MAX_FILE_BYTES = 256 * 1024 * 1024
#: Most nested containers (intrinsic wrappers included); real templates stay under 30.
MAX_DEPTH = 200
#: Most values in one file, YAML after alias expansion (billion laughs). JSON counts too: a
#: decoded value costs 50 times its text at worst (`[[],[],...]`), so 256 MB of brackets
#: would take gigabytes and minutes. A 76 MB snapshot of 20,000 roles holds 1.3 million.
MAX_NODES = 5_000_000
#: Most YAML alias uses: CloudFormation rejects aliases; `sam deploy` expands them first.
MAX_ALIASES = 10_000
_DECIMAL = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")

#: Longest integer literal: Python's int/str conversion limit, checked before converting.
MAX_INT_DIGITS = 4300
#: Most statements in one `Statement` list. AWS caps every policy document at a few tens of
#: KB (IAM managed policy 6,144 characters, S3 bucket and Lambda policies 20 KB, KMS key
#: policy 32 KB) and a statement takes 40 characters at least, so no deployable policy comes
#: near; a longer list is hostile, and evaluation time grows with it.
MAX_STATEMENTS = 1_000

_WS = re.compile(r"[ \t\n\r]*").match
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # `\ud800`: JSON can spell half a character
_WS_CHARS = " \t\n\r"  # "" is `in` it too, so the end of the text takes the regex path
# `"key": "value"` without escapes in one match: most pairs of a snapshot.
_PAIR = re.compile(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*(?:"([^"\\\x00-\x1f]*)"[ \t\n\r]*)?').match
_FUNCTIONS = (
    "And Base64 Cidr Equals FindInMap ForEach GetAtt GetAZs If ImportValue Join Length Not Or "
    "Select Split Sub ToJsonString Transform "
    "Contains EachMemberEquals EachMemberIn RefAll ValueOf ValueOfAll"  # Rules-section intrinsics
).split()
_CFN_TAGS = {"!Ref": "Ref", "!Condition": "Condition", **{f"!{f}": f"Fn::{f}" for f in _FUNCTIONS}}
_Y = "tag:yaml.org,2002:"
_MERGE = object()  # a plain `<<` key: YAML 1.1 merge


def read_file(path: str, max_bytes: int | None = None) -> object:
    """Read and decode `path`; a directory, an unreadable or an oversized file is an InputError.

    `max_bytes` defaults to MAX_FILE_BYTES as it is when called.
    """
    where = Location(path)
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    try:
        if os.path.isdir(path):
            raise InputError(where, "is a directory, not a file")
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise InputError(where, f"file is {size} bytes, more than the limit of {max_bytes}")
            data = f.read(max_bytes + 1)  # bounded: pipes and /dev files report size 0
    except OSError as e:
        raise InputError(where, f"cannot read file: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise InputError(where, f"file is more than the limit of {max_bytes} bytes")
    return decode(path, data)


def decode(path: str, data: bytes) -> object:
    """Decode one file's bytes. The name matters only for text that starts like JSON but
    is not: a `.json` file reports its JSON error; others are retried as YAML, and if
    that fails too show the YAML error when named `.yaml`/`.yml`, else the JSON one."""
    text = _text(path, data)
    start = _WS(text).end()
    try:
        if text[start:start + 1] not in ("{", "["):
            return _yaml(path, text)
        try:
            return _json(path, text)
        except JSONDecodeError as e:
            json_error = InputError(Location(path, e.lineno), f"invalid JSON: {e.msg}")
            if path.lower().endswith(".json"):  # meant as JSON: YAML's plain scalars would
                raise json_error from None       # read `[1 2]` as ["1 2"]
        try:
            return _yaml(path, text)  # a YAML flow mapping, a trailing comma ...
        except InputError:
            if path.lower().endswith((".yaml", ".yml")):
                raise
            raise json_error from None
    except RecursionError:  # last resort: depth is bounded before anything recurses
        raise InputError(Location(path, None), "nesting too deep") from None


def _text(path: str, data: bytes) -> str:
    """UTF-8, with or without BOM, only: what AWS CLI writes and CloudFormation reads."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(Location(path, 1), "file is UTF-16/UTF-32 encoded; save it as UTF-8")
    nul = data.find(b"\0")
    if nul >= 0:
        raise InputError(Location(path, data.count(b"\n", 0, nul) + 1), "binary file (NUL byte)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(Location(path, line), f"not UTF-8 text (byte 0x{data[e.start]:02x})") from None


def _json(path: str, text: str) -> object:
    """JSON with lines. The stdlib's pure-Python scanner (strings still scanned in C)
    calls our object/array parsers, which record lines and reject duplicate keys and
    deep nesting. Lines come from a running newline count: positions only increase."""
    last, line, depth, memo, nodes = 0, 1, 0, {}, 1
    statements_at = None  # the line of a `Statement` key whose value is being parsed

    def count(i: int) -> None:
        nonlocal nodes
        if (nodes := nodes + 1) > MAX_NODES:
            raise InputError(Location(path, line_at(i)), f"more than {MAX_NODES} values in one file")

    def line_at(i: int) -> int:
        nonlocal last, line
        line, last = line + text.count("\n", last, i), i
        return line

    def enter(i: int) -> int:
        nonlocal depth
        if (depth := depth + 1) > MAX_DEPTH:
            raise InputError(Location(path, line_at(i)), f"nesting deeper than {MAX_DEPTH} levels")
        return line_at(i)

    def value_at(s: str, i: int, scan) -> tuple[object, int]:
        if s[i:i + 1] == '"':
            return scanstring(s, i + 1, True)
        try:
            return scan(s, i)
        except StopIteration as e:
            raise JSONDecodeError("Expecting value", s, e.value) from None
        except ValueError as e:  # from parse_*: a number right here, so line_at(i) is in order
            if isinstance(e, JSONDecodeError):
                raise
            raise InputError(Location(path, line_at(i)), str(e)) from None

    def after(s: str, end: int, close: str) -> tuple[int, bool]:
        """Past a value: skip to the next item; False at the closing bracket."""
        if (c := s[end:end + 1]) in _WS_CHARS:
            end = _WS(s, end).end()
            c = s[end:end + 1]
        if c == close:
            return end + 1, False
        if c != ",":
            raise JSONDecodeError("Expecting ',' delimiter", s, end)
        if s[(end := _WS(s, end + 1).end()):end + 1] == close:
            raise JSONDecodeError("Illegal trailing comma", s, end)
        return end, True

    def parse_object(s_end: tuple[str, int], strict: bool, scan, *_: object) -> tuple[LineDict, int]:
        nonlocal depth, statements_at
        s, end = s_end
        statements_at = None  # a `Statement` object holds no statement list
        obj = LineDict(line=enter(end - 1))
        keys, end = obj.key_lines, _WS(s, end).end()
        if not (more := s[end:end + 1] != "}"):
            end += 1
        while more:
            key_line = line_at(end)
            if m := _PAIR(s, end):
                key, value = m.group(1, 2)
                end = m.end()
            elif s[end:end + 1] != '"':
                raise JSONDecodeError("Expecting property name enclosed in double quotes", s, end)
            else:
                key, end = scanstring(s, end + 1, strict)
                if s[(end := _WS(s, end).end()):end + 1] != ":":
                    raise JSONDecodeError("Expecting ':' delimiter", s, end)
                end, value = _WS(s, end + 1).end(), None
            if (key := memo.setdefault(key, key)) in keys:
                raise duplicate_key(path, key, keys[key], key_line)
            count(end)
            if value is None:
                statements_at = key_line if key == "Statement" else None
                value, end = value_at(s, end, scan)
                statements_at = None
            obj[key], keys[key] = value, key_line
            end, more = after(s, end, "}")
        depth -= 1
        return obj, end

    def parse_array(s_end: tuple[str, int], scan) -> tuple[LineList, int]:
        nonlocal depth, statements_at
        s, end = s_end
        arr = LineList(line=enter(end - 1))
        statement_key, statements_at = statements_at, None
        end = _WS(s, end).end()
        if not (more := s[end:end + 1] != "]"):
            end += 1
        while more:
            count(end)
            arr.item_lines.append(line_at(end))
            value, end = value_at(s, end, scan)
            arr.append(value)
            if statement_key is not None and len(arr) > MAX_STATEMENTS:
                raise _too_many_statements(path, statement_key)
            end, more = after(s, end, "]")
        depth -= 1
        return arr, end

    def parse_int(digits: str) -> int:
        if len(digits) > MAX_INT_DIGITS:
            raise ValueError(f"integer with more than {MAX_INT_DIGITS} digits")
        return int(digits)

    def parse_float(literal: str) -> float:
        if math.isinf(value := float(literal)):
            raise ValueError(f"{literal[:40]} is out of range")
        return value

    def parse_constant(name: str) -> object:
        raise ValueError(f"{name} is not valid JSON")

    ctx = SimpleNamespace(
        strict=True, object_hook=None, object_pairs_hook=None, memo=memo, parse_string=scanstring,
        parse_object=parse_object, parse_array=parse_array, parse_int=parse_int,
        parse_float=parse_float, parse_constant=parse_constant)
    value, end = value_at(text, _WS(text).end(), py_make_scanner(ctx))
    if (end := _WS(text, end).end()) != len(text):
        raise JSONDecodeError("Extra data", text, end)
    if _SURROGATE_ESCAPE.search(text):
        _no_lone_surrogates(path, value)
    return value


def _no_lone_surrogates(path: str, value: object) -> None:
    """`"\ud800"` is valid JSON syntax but no character: a string holding one cannot be
    printed or compared as text (and IAM would not store it). Pairs are joined by the
    scanner already, so any surrogate left is a lone one."""
    stack: list[tuple[object, int | None]] = [(value, 1)]
    while stack:
        item, line = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                bad = next((c for c in item if "\ud800" <= c <= "\udfff"), None)
                if bad is not None:
                    raise InputError(Location(path, line), f"invalid JSON: \\u{ord(bad):04x} is half of a "
                                                           "UTF-16 surrogate pair, not a character")
        elif isinstance(item, LineDict):
            for key in reversed(item):  # popped in file order
                stack += [(item[key], item.key_lines.get(key, line)), (key, item.key_lines.get(key, line))]
        elif isinstance(item, LineList):
            stack += [(item[i], item.line_of(i)) for i in reversed(range(len(item)))]


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
        if _LIBYAML is not None and text.count("[") + text.count("{") > MAX_DEPTH:
            # libyaml's scanner reads up to 1,024 characters ahead and stops at a flow nesting
            # limit of its own (in its own words) before the builder has counted MAX_DEPTH
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
                if (aliases := self.aliases + 1) > MAX_ALIASES:
                    raise self.fail(event, f"more than {MAX_ALIASES} YAML aliases")
                value, size, height = self.anchors[event.anchor]
                self.aliases, tag, new = aliases, None, size  # expanded: a copy per use
            elif kind is yaml.ScalarEvent:
                value, size, height, tag, new = self.scalar(event), 1, 0, event.tag, 1
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                mapping = kind is yaml.MappingStartEvent
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(event, f"nesting deeper than {MAX_DEPTH} levels")
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
            if self.nodes > MAX_NODES:
                raise self.fail(event, f"more than {MAX_NODES} values (YAML alias expansion?)")
            if len(stack) + height > MAX_DEPTH:
                raise self.fail(event, f"nesting deeper than {MAX_DEPTH} levels")
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
            if into.statements_at is not None and len(box) > MAX_STATEMENTS:
                raise _too_many_statements(self.path, into.statements_at)
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
                raise duplicate_key(self.path, key, box.key_lines.get(key), key_line)
            elif key == "Statement" and isinstance(value, LineList) and len(value) > MAX_STATEMENTS:
                raise _too_many_statements(self.path, key_line)  # an alias: built already
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
        if tag == _Y + "int" and event.implicit[0] and not _DECIMAL.match(value):
            # YAML 1.1 octal/hex/sexagesimal forms: `012345670123` is an account id, not 1424...
            return value
        if tag == _Y + "int" and len(value) > MAX_INT_DIGITS:
            raise self.fail(event, f"integer with more than {MAX_INT_DIGITS} digits")
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


def duplicate_key(path: str, key: object, first: int | None, second: int) -> InputError:
    """A key written twice in one mapping, at the second one's line, naming both lines.

    CloudFormation does not refuse it: its parsers, as YAML and JSON parsers do, keep the last value
    and drop the first without a word ("If a YAML/JSON contains duplicate keys, the last occurrence is
    used", https://github.com/aws-cloudformation/cfn-lint/issues/35). Which of the two the author meant
    is unknowable, and the dropped one may be the grant or the Deny, so permcheck refuses, as cfn-lint
    does (E0000), and says what CloudFormation would deploy so the fix takes a minute.
    """
    if first is not None and first != second:
        what = f"on lines {first} and {second}: CloudFormation would keep the value of line {second} and " \
               f"silently drop line {first}'s"
    else:
        what = f"twice on line {second}: CloudFormation would keep the second value and silently drop the first"
    return InputError(Location(path, second), f"duplicate key {key!r} {what}; keep one of them")


def _too_many_statements(path: str, line: int) -> InputError:
    """Raised as soon as a `Statement` list passes the limit, at its key's line."""
    return InputError(Location(path, line), f"more than {MAX_STATEMENTS} statements in one policy: "
                                            "no AWS policy document can hold that many")


def _tag_name(tag: str) -> str:
    """`!!int` for a standard tag, as the user wrote it."""
    return "!!" + tag[len(_Y):] if tag.startswith(_Y) else tag
