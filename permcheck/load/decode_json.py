"""JSON → line-marked values, at C speed where it can: the standard library's scanner with a hook that
records each object's and value's line; duplicate keys, NaN and lone surrogates are errors.

The reference reader: `decode_json_fast.py` reads the usual texts faster and hands this one every
text it cannot vouch for (errors included), and the differential tests hold the two equal."""

from __future__ import annotations

import math
import re
from json.decoder import JSONDecodeError, scanstring
from json.scanner import py_make_scanner
from types import SimpleNamespace

from permcheck.load import decode_limits as limits
from permcheck.load.nodes import LineDict, LineList
from permcheck.model.location import InputError, Location

_WS = re.compile(r"[ \t\n\r]*").match
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # `\ud800`: JSON can spell half a character
_WS_CHARS = " \t\n\r"  # "" is `in` it too, so the end of the text takes the regex path
# `"key": "value"` without escapes in one match: most pairs of a snapshot.
_PAIR = re.compile(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*(?:"([^"\\\x00-\x1f]*)"[ \t\n\r]*)?').match


def _json(path: str, text: str) -> object:
    """JSON with lines. The stdlib's pure-Python scanner (strings still scanned in C)
    calls our object/array parsers, which record lines and reject duplicate keys and
    deep nesting. Lines come from a running newline count: positions only increase."""
    last, line, depth, memo, nodes = 0, 1, 0, {}, 1
    statements_at = None  # the line of a `Statement` key whose value is being parsed

    def count(i: int) -> None:
        nonlocal nodes
        if (nodes := nodes + 1) > limits.MAX_NODES:
            raise InputError(Location(path, line_at(i)), f"more than {limits.MAX_NODES} values in one file")

    def line_at(i: int) -> int:
        nonlocal last, line
        line, last = line + text.count("\n", last, i), i
        return line

    def enter(i: int) -> int:
        nonlocal depth
        if (depth := depth + 1) > limits.MAX_DEPTH:
            raise InputError(Location(path, line_at(i)), f"nesting deeper than {limits.MAX_DEPTH} levels")
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
                raise limits.duplicate_key(path, key, keys[key], key_line)
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
            if statement_key is not None and len(arr) > limits.MAX_STATEMENTS:
                raise limits.too_many_statements(path, statement_key)
            end, more = after(s, end, "]")
        depth -= 1
        return arr, end

    def parse_int(digits: str) -> int:
        if len(digits) > limits.MAX_INT_DIGITS:
            raise ValueError(f"integer with more than {limits.MAX_INT_DIGITS} digits")
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
