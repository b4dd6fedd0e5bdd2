"""The contract's JSON as text: `json.dumps(document, indent=2)`, byte for byte, made faster.

With an indent, the standard library encodes in pure Python, node by node: every function's
who-can-invoke answers on a 20,000-role account took longer to write than to find. Most of
those rows are the same objects from one function to the next (`answers_json.Renderer` hands
out one row per shared answer, marked `SharedRow`), so `JsonText` writes each shared row's
text once, at the depth it sits, and splices it wherever the row recurs. What is not shared
is written by a small encoder that makes the same text as `json.dumps(…, indent=2)` (keys in
order, `ensure_ascii`, `NaN`/`Infinity` as the standard library writes them); a value it
does not know is left to `json.dumps` itself, so an error is the standard library's.
`tests/test_json_text.py` compares the two on every golden file and on random documents.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Callable, Iterable

TEXT_CACHE_LIMIT = 500_000  # shared rows' texts kept at most; past it the cache starts again
INDENT = "  "


class SharedRow(dict):
    """A JSON object that several answers share (the same object in each): its text is made once.
    It must not change once it is handed out — every answer that holds it would change too."""

    __slots__ = ()


class JsonText:
    """Writes documents as `json.dumps(document, indent=2)` does; remembers shared rows' texts."""

    def __init__(self) -> None:
        self._texts: dict[int, dict[int, str]] = {}  # depth → id(row) → its text there
        self._kept: dict[int, dict[int, object]] = {}  # depth → id(row) → the row (its id stays its own)

    def dumps(self, document: object) -> str:
        out: list[str] = []
        self._value(document, 0, out.append)
        return "".join(out)

    def write(self, document: object, write: Callable[[str], object]) -> None:
        """Stream the document's text to `write`, piece by piece (no whole copy in memory)."""
        self._value(document, 0, write)

    def _value(self, value: object, depth: int, put: Callable[[str], object]) -> None:
        # the order of the standard library's checks (json.encoder._make_iterencode)
        if isinstance(value, str):
            put(encode_basestring_ascii(value))
        elif value is None:
            put("null")
        elif value is True:
            put("true")
        elif value is False:
            put("false")
        elif isinstance(value, int):
            put(int.__repr__(value))
        elif isinstance(value, float):
            put(_float(value))
        elif isinstance(value, (list, tuple)):
            self._list(value, depth, put)
        elif isinstance(value, dict):
            if type(value) is SharedRow:
                put(self._shared(value, depth))
            else:
                self._dict(value, depth, put)
        else:  # the standard library's own text, or its error
            put(json.dumps(value, indent=2).replace("\n", "\n" + INDENT * depth))

    def _list(self, items: Iterable, depth: int, put: Callable[[str], object]) -> None:
        if not items:
            put("[]")
            return
        inner = "\n" + INDENT * (depth + 1)
        if all(type(item) is str for item in items):  # a list of names: one piece
            put("[" + inner + ("," + inner).join(map(encode_basestring_ascii, items)) + "\n" + INDENT * depth + "]")
            return
        if type(items[0]) is SharedRow and set(map(type, items)) == {SharedRow}:  # rows, mostly written before
            texts = list(map(self._texts.setdefault(depth + 1, {}).get, map(id, items)))
            if None in texts:
                texts = [self._shared(item, depth + 1) if text is None else text for item, text in zip(items, texts)]
            put("[" + inner)  # three pieces: the rows' text (a megabyte for an account's admins) is not copied again
            put(("," + inner).join(texts))
            put("\n" + INDENT * depth + "]")
            return
        put("[" + inner)
        first = True
        for item in items:
            if not first:
                put("," + inner)
            first = False
            self._value(item, depth + 1, put)
        put("\n" + INDENT * depth + "]")

    def _dict(self, value: dict, depth: int, put: Callable[[str], object]) -> None:
        if not value:
            put("{}")
            return
        if not all(isinstance(key, str) for key in value):  # keys json.dumps converts: its text
            put(json.dumps(value, indent=2).replace("\n", "\n" + INDENT * depth))
            return
        inner = "\n" + INDENT * (depth + 1)
        put("{" + inner)
        first = True
        for key, item in value.items():
            head = encode_basestring_ascii(key) + ": " if first else "," + inner + encode_basestring_ascii(key) + ": "
            first = False
            if type(item) is str:  # most values: one piece
                put(head + encode_basestring_ascii(item))
            else:
                put(head)
                self._value(item, depth + 1, put)
        put("\n" + INDENT * depth + "}")

    def _shared(self, row: SharedRow, depth: int) -> str:
        at = self._texts.setdefault(depth, {})
        found = at.get(id(row))
        if found is None:
            out: list[str] = []
            self._dict(row, depth, out.append)
            kept = self._kept.setdefault(depth, {})
            if len(at) >= TEXT_CACHE_LIMIT:
                at.clear()
                kept.clear()
            kept[id(row)] = row  # the row is kept, so its id stays its own
            found = at[id(row)] = "".join(out)
        return found


def _float(value: float) -> str:
    """As json.dumps writes a float (allow_nan: NaN and the infinities as JavaScript names them)."""
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)
