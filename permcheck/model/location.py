"""Where a value came from: every statement, resource and finding carries one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A file and 1-based line; `line` is None when the format has no lines."""

    file: str
    line: int | None = None

    def __post_init__(self) -> None:
        # A line of a file the template includes knows that file (load/nodes.FileLine): it is where
        # the line is, so it names the location's file.
        file = getattr(self.line, "file", None)
        if file is not None:
            object.__setattr__(self, "file", file)
            object.__setattr__(self, "line", int(self.line))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


class InputError(Exception):
    """Input that cannot be read or understood: reported as `FILE:LINE: message`, exit 2."""

    def __init__(self, location: Location | None, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message
