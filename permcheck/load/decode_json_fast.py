"""JSON → line-marked values at C speed: the standard library's C parser builds the values, then one
forward pass of C-speed `re` over the text finds the line of every node, in document order.

The result is the one `decode_json._json` builds (that reader stays the reference: the differential
tests compare both). Whenever this path cannot be sure, it does not guess: a syntax error, a
duplicate key, NaN, a lone surrogate escape, a limit passed, an unusual layout (a newline next to a
key's colon), anything unexpected, and the text is decoded again by `_json`, which returns the same
value or raises the exact error with its line.
"""

from __future__ import annotations

import math
import re
from itertools import accumulate, islice, repeat
from json import JSONDecoder

from permcheck.load import decode_limits as limits
from permcheck.load.decode_json import _SURROGATE_ESCAPE, _json
from permcheck.load.nodes import LineDict, LineList

_STRING = r'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'  # JSON strings hold no raw newline (strict mode)
_SCALAR = r"[\w.+-]++"  # a number, true, false or null: outside strings only these are words
_JUNK = r"[ \t\r\n,:}\]]"  # what separates nodes: whitespace, commas, colons, closing brackets
# One match per node the tree walk visits, in document order: `{`, `[`, a key (with the colon and
# its value when that is a scalar on the same line), a scalar array item; each with the separators
# before it, so every character is in a match (the regex never scans a position twice) and the
# newlines a match holds come before its node: their running count is the node's line.
# Quantifiers are possessive (`*+`, `++`, `?+`): giving characters back never helps here (what
# follows each one cannot start with what it holds, or is the end of the match), so the matches are
# those of the greedy ones, found without keeping backtracking points (a tenth faster).
_PAIR = rf"{_STRING}(?:[ \t\r]*+:[ \t\r]*+(?:{_STRING}|{_SCALAR})?+)?+"  # a key, or a string item
_NODE = rf"{_PAIR}|[\[{{]|{_SCALAR}"
_NODES = re.compile(rf"{_JUNK}*+(?:{_NODE})|{_JUNK}++")
_ONLY_JUNK = re.compile(rf"{_JUNK}+").fullmatch
_CONTAINERS = repeat((dict, list))
_new_list, _extend = list.__new__, list.extend


class _Unsure(Exception):
    """This path cannot vouch for the result: decode with the reference reader."""


def _pairs(pairs: list[tuple[str, object]]) -> LineDict:
    obj = dict.__new__(LineDict)  # `line` and `key_lines` are set by the walk
    dict.update(obj, pairs)
    if len(obj) != len(pairs):  # a duplicate key: the reference reader names both lines
        raise _Unsure
    return obj


def _int(digits: str) -> int:
    if len(digits) > limits.MAX_INT_DIGITS:
        raise _Unsure
    return int(digits)


def _float(literal: str) -> float:
    if math.isinf(value := float(literal)):
        raise _Unsure
    return value


def _constant(name: str) -> object:
    raise _Unsure  # NaN, Infinity


_DECODER = JSONDecoder(object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant)


def _plain_pairs(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Unsure
    return obj


_PLAIN_DECODER = JSONDecoder(object_pairs_hook=_plain_pairs, parse_int=_int, parse_float=_float,
                             parse_constant=_constant)


def plain_json(text: str) -> object | None:
    """The value of a small JSON text as plain dicts and lists (no lines), as `nodes.plain` makes of
    what `decode` returns for it; None whenever that is not certain, and the caller decodes it the
    long way (which raises the exact error). For a policy document held in a string (`get-policy`,
    the IAM API's documents): their lines are the string's, so a line pass would be thrown away.

    Certain means no limit can be reached and nothing `decode` refuses is there: ASCII only (no lone
    surrogate, no BOM), no NUL, no `\\u` escape (surrogates), fewer brackets than the depth limit,
    fewer commas than the statement limit, shorter than the node limit; a duplicate key, NaN, an
    infinite number or too many digits hand it back too."""
    if not (len(text) < limits.MAX_NODES and text.isascii() and "\x00" not in text and "\\u" not in text
            and text.count("{") + text.count("[") < limits.MAX_DEPTH and text.count(",") < limits.MAX_STATEMENTS):
        return None
    try:
        value = _PLAIN_DECODER.decode(text)
    except (_Unsure, ValueError, RecursionError, StopIteration):
        return None
    return value if isinstance(value, (dict, list)) else None


def fast_json(path: str, text: str) -> object:
    """The value `_json(path, text)` returns, or the error it raises; at C speed for the texts
    AWS CLI and templates hold."""
    try:
        return _decode(text)
    except (_Unsure, ValueError, RecursionError, StopIteration):
        return _json(path, text)


def _decode(text: str) -> object:
    if (len(text) + 1) // 2 > limits.MAX_NODES and _most_nodes(text) > limits.MAX_NODES:
        raise _Unsure  # before parsing: a flood of `[]` must not be built first
    if _SURROGATE_ESCAPE.search(text):
        raise _Unsure
    value = _DECODER.decode(text)
    matches = _NODES.findall(text)
    nodes = len(matches) - (1 if matches and _ONLY_JUNK(matches[-1]) else 0)
    lines = iter(list(islice(accumulate(map(str.count, matches, repeat("\n")), initial=1), 1, nodes + 1)))
    value = _walk(value, lines)
    if next(lines, None) is not None:  # a node the walk did not visit: layouts disagree
        raise _Unsure
    return value


def _most_nodes(text: str) -> int:
    """No fewer than the values: each but the first follows a `:`, a `,` or a `[`. (Nor is
    (len(text) + 1) // 2: a value takes a character, and so does what separates or closes it.)"""
    return 1 + text.count(":") + text.count(",") + text.count("[")


def _walk(root: object, lines) -> object:
    """Give every container its line and its keys' or items' lines, taken from `lines` in
    document order. Lists become LineLists."""
    max_depth, max_statements, take = limits.MAX_DEPTH, limits.MAX_STATEMENTS, lines.__next__

    def mapping(obj: LineDict, line: int, depth: int) -> None:
        if depth > max_depth:
            raise _Unsure
        obj.line = line
        if not any(map(isinstance, obj.values(), _CONTAINERS)):  # only scalars: a line a key
            obj.key_lines = key_lines = dict(zip(obj, islice(lines, len(obj))))
            if len(key_lines) != len(obj):
                raise _Unsure
            return
        obj.key_lines = key_lines = {}
        depth += 1
        for key, value in obj.items():
            key_lines[key] = take()
            kind = type(value)
            if kind is LineDict:
                mapping(value, take(), depth)
            elif kind is list:
                obj[key] = sequence(value, take(), depth, key == "Statement")

    def sequence(items: list, line: int, depth: int, statements: bool) -> LineList:
        if depth > max_depth or (statements and len(items) > max_statements):
            raise _Unsure
        out = _new_list(LineList)  # as LineList(items, line=…, item_lines=…) makes it, without its __init__
        _extend(out, items)
        out.line = line
        if not any(map(isinstance, items, _CONTAINERS)):  # only scalars: a line an item
            out.item_lines = item_lines = list(islice(lines, len(items)))
            if len(item_lines) != len(items):
                raise _Unsure
            return out
        out.item_lines = item_lines = []
        depth += 1
        for index, value in enumerate(items):
            item_lines.append(item_line := take())
            kind = type(value)
            if kind is LineDict:
                mapping(value, item_line, depth)
            elif kind is list:
                out[index] = sequence(value, item_line, depth, False)
        return out

    if type(root) is LineDict:
        mapping(root, take(), 1)
        return root
    if type(root) is list:
        return sequence(root, take(), 1, False)
    raise _Unsure  # decode.py sends only `{` or `[` texts
