"""Decoded JSON/YAML containers that remember their source lines.

Decoding yields plain dicts, lists and scalars, except that every mapping is a
`LineDict` and every sequence a `LineList`, so later stages can point at the
line a statement or resource came from without re-reading the file.
"""

from __future__ import annotations


class FileLine(int):
    """A line of a file the template includes (`AWS::Include`, a local `DefinitionUri`), not of the
    template itself: a `Location` built with it names that file (model/location.py), so every
    statement, grant and error read from an included file points into it, whatever code builds it."""

    file: str

    def __new__(cls, line: int, file: str) -> "FileLine":
        out = int.__new__(cls, line)
        out.file = file
        return out

    def __reduce__(self):  # copies keep the file
        return (FileLine, (int(self), self.file))


class LineDict(dict):
    """A mapping with the 1-based `line` where it starts and the line of each key."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: object, line: int | None = None, key_lines: dict | None = None, **kw: object) -> None:
        super().__init__(*args, **kw)
        self.line = line
        self.key_lines: dict[str, int] = key_lines if key_lines is not None else {}

    def line_of(self, key: str) -> int | None:
        """Line of `key` in this mapping, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence with the 1-based `line` where it starts and the line of each item."""

    __slots__ = ("line", "item_lines")

    def __init__(self, *args: object, line: int | None = None, item_lines: list | None = None) -> None:
        super().__init__(*args)
        self.line = line
        self.item_lines: list[int | None] = item_lines if item_lines is not None else []

    def line_of(self, index: int) -> int | None:
        """Line of item `index`, else the sequence's own line."""
        if 0 <= index < len(self.item_lines) and self.item_lines[index] is not None:
            return self.item_lines[index]
        return self.line


def line_of(value: object, default: int | None = None) -> int | None:
    """The line a decoded container starts at, or `default` for scalars."""
    line = getattr(value, "line", None)
    return line if line is not None else default


def plain(value: object) -> object:
    """The same value as plain dicts and lists, without lines: for a document decoded from a
    string inside a file, whose own lines would count from the string, not the file."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def logical_id_of(value: object) -> str | None:
    """The logical id a `Ref`/`Fn::GetAtt` names (SAM's get_logical_id_from_intrinsic)."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    if "Ref" in value and isinstance(value["Ref"], str):
        return value["Ref"]
    att = value.get("Fn::GetAtt")
    if isinstance(att, list) and att and isinstance(att[0], str):
        return att[0]
    if isinstance(att, str):
        return att.split(".", 1)[0]
    return None
