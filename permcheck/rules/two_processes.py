"""Half of a large check in a second process, on a machine with a core to spare.

A check on an account snapshot spends most of its time after loading in two independent parts:
deciding every resource and trust policy's grants (and proving fixes for those flagged), and the
rest (statements, escalations, trigger paths). `map_in_two` runs the rules of one part in a
forked child while this process runs the others; the child sends its results back as JSON
through a pipe, and they are put back in the rules' order, so the output is the one a single
process makes (tests/rules/test_two_processes.py compares both).

It fails closed: a child that dies, fails or answers anything unreadable changes nothing but the
time taken, since its rules are then run here. The child shares nothing with this process after
the fork, so an error it meets (an input that cannot be read) is met again here and reported as
usual. Where there is no `fork` (Windows), one core, another thread, or a small model, everything
runs here. `PERMCHECK_JOBS=1` runs everything here; `PERMCHECK_JOBS=2` splits any check.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Callable, TextIO, TypeVar

from permcheck.model.location import InputError

T = TypeVar("T")
R = TypeVar("R")


def jobs_wanted() -> int | None:
    """`PERMCHECK_JOBS`: 1 or 2, or None (unset: two processes when the check is large)."""
    value = os.environ.get("PERMCHECK_JOBS", "").strip()
    if not value:
        return None
    if value not in ("1", "2"):
        raise InputError(None, f"PERMCHECK_JOBS must be 1 or 2 (or unset), not {value!r}")
    return int(value)


def can_split() -> bool:
    """Can a forked child run beside this process: `fork` exists, two cores are ours, and no other
    thread runs (a fork copies only the calling thread: a lock another one held stays held)."""
    import threading

    if not hasattr(os, "fork") or threading.active_count() != 1:
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores >= 2


def map_in_two(items: list[T], work: Callable[[T], R], away: Callable[[T], bool],
               encode: Callable[[R], object], decode: Callable[[object], R], split: bool) -> list[R]:
    """`[work(item) for item in items]`; when `split`, the items `away` picks are worked in a forked
    child (their results crossing as `encode`'s JSON, read back by `decode`) while this process works
    the others. Whatever the child does, the list is the one a single process makes."""
    at = {index for index, item in enumerate(items) if away(item)}
    if not split or not at or len(at) == len(items):
        return [work(item) for item in items]
    far = [items[index] for index in sorted(at)]
    child, pipe = _start(far, work, encode)
    try:
        near = [work(item) for index, item in enumerate(items) if index not in at]
        there = _results(child, pipe, len(far), decode)
    finally:
        pipe.close()
        _reap(child)
    if there is None:  # the child failed: its items are worked here, as they would have been
        there = [work(item) for item in far]
    near_results, far_results = iter(near), iter(there)
    return [next(far_results) if index in at else next(near_results) for index in range(len(items))]


def _start(far: list, work: Callable, encode: Callable) -> tuple[int, TextIO]:
    """Fork a child that works `far` and writes their encoded results, as one JSON list, to a pipe
    whose reading end is returned."""
    reader, writer = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns, and leaves no trace but the pipe's text
        code = 1
        try:
            os.close(reader)
            text = json.dumps([encode(work(item)) for item in far], separators=(",", ":"))
            with os.fdopen(writer, "w", encoding="utf-8") as out:
                out.write(text)
            code = 0
        except BaseException:  # noqa: BLE001 -- any failure: the parent works the items itself
            pass
        finally:
            os._exit(code)
    os.close(writer)
    return pid, os.fdopen(reader, "r", encoding="utf-8")


def _results(pid: int, pipe: TextIO, count: int, decode: Callable) -> list | None:
    """The child's results, or None when it did not finish cleanly with `count` of them."""
    text = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        values = json.loads(text)
        if not isinstance(values, list) or len(values) != count:
            return None
        return [decode(value) for value in values]
    except (ValueError, TypeError, KeyError, IndexError):
        return None


def _reap(pid: int) -> None:
    """Make sure the child is gone (this process failed or was interrupted while it ran)."""
    import signal

    try:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:  # already reaped by _results
        pass
