"""What a load read from outside its inputs' bytes: the record the model cache keys on.

A model is a function of more than the files named on the command line: a template's
`AWS::Include` and local `DefinitionUri` files, the `samconfig.toml`/`template.yaml` markers
that decide which application a template belongs to, and, when it ran, the official SAM
translator. The loaders say here what they read; `load/cache.py` records it with the entry and
checks it again before the entry is used, so a changed included file or a new marker misses.

Nothing is recorded unless a cache asked (`recording`): the plain run pays one test per read.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field


@dataclass
class ReadLog:
    """Files read (path as opened → SHA-256 of the bytes), paths probed (→ whether a regular
    file was there) and tools that ran (name → version), in the order met."""

    reads: dict[str, str] = field(default_factory=dict)
    probes: dict[str, bool] = field(default_factory=dict)
    tools: dict[str, str] = field(default_factory=dict)


_active: ReadLog | None = None


@contextlib.contextmanager
def recording():
    """Record what the loaders read while the block runs (one recorder at a time: the command
    line loads once per run)."""
    global _active
    log, outer = ReadLog(), _active
    _active = log
    try:
        yield log
    finally:
        _active = outer


def note_read(path: str, data: bytes) -> None:
    """A loader read `data` from `path`."""
    if _active is not None:
        _active.reads[path] = hashlib.sha256(data).hexdigest()


def note_probe(path: str, exists: bool) -> None:
    """A loader looked for a file at `path` (and found one, or not)."""
    if _active is not None:
        _active.probes.setdefault(path, exists)


def note_tool(name: str, version: str) -> None:
    """A loader ran an outside tool (the official SAM translator) at this version."""
    if _active is not None:
        _active.tools[name] = version
