"""OLD and NEW of `permcheck diff`: local paths or git revisions (`REV:PATH`), read from one place.

A revision is materialised with git's plumbing (`git cat-file`, `git ls-tree`: what `git show`
does) into a temporary directory that keeps the file names. `PATH` means what it means to git:
relative to the top of the repository, or to the current directory when it starts with `./`.

Both sides are then read from one shared path (a symbolic link, pointed at each side in turn).
The loaders derive some values from a file's name — a name CloudFormation generates is
"generated name of OrdersRole in FILE" — so reading both sides from one path makes such a
role one principal on both sides, not a removed one and an added one. `label` maps the
shared path back to what the user wrote, for output and for error messages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Callable, TypeVar

from permcheck.load.inputs import SUFFIXES
from permcheck.model.location import InputError, Location

T = TypeVar("T")
SYMLINK_MODE = "120000"


class Sides:
    """The two inputs of a diff, materialised; a context manager that removes what it wrote."""

    def __init__(self, old: str, new: str) -> None:
        self.specs = (old, new)
        self.labels = tuple(_label(spec) for spec in self.specs)
        self._temp: list[str] = []
        self._local: list[str] = []
        self.shared = ""

    def __enter__(self) -> "Sides":
        try:
            for spec in self.specs:
                self._local.append(self._materialise(spec))
            root = self._mkdtemp("permcheck-diff-")
            name = os.path.basename(self._local[1].rstrip(os.sep)) or "inputs"
            self.shared = os.path.join(root, name)
        except BaseException:
            self._cleanup()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._cleanup()

    def read(self, side: int, load: Callable[[str], T]) -> T:
        """`load(shared path)` with the shared path pointing at side 0 (OLD) or 1 (NEW).

        An input error names the file as the user knows it (`HEAD~1:templates/x.yaml:12`).
        """
        if os.path.lexists(self.shared):
            os.unlink(self.shared)
        os.symlink(os.path.abspath(self._local[side]), self.shared)
        try:
            return load(self.shared)
        except InputError as error:
            rename = self.label(side)
            location = error.location
            if location is not None:
                location = Location(rename(location.file), location.line)
            raise InputError(location, rename(error.message)) from None
        finally:
            os.unlink(self.shared)

    def label(self, side: int) -> Callable[[str], str]:
        """Text → the same text with the shared path written as the user wrote that side."""
        shared, label = self.shared, self.labels[side]
        return lambda text: text.replace(shared, label) if shared and shared in text else text

    # -- materialising ------------------------------------------------------------------------
    def _materialise(self, spec: str) -> str:
        if os.path.exists(spec):
            return spec
        if ":" not in spec:
            raise InputError(Location(spec), "no such file or directory")
        rev, _, path = spec.partition(":")
        if not rev or rev.startswith("-"):
            raise InputError(Location(spec), "no such file or directory (a revision is written REV:PATH)")
        path = path.rstrip("/")
        tree = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{tree}}"], spec, check=False)
        if tree is None:
            raise InputError(Location(spec), f"unknown revision {rev!r}")
        kind = _git(["cat-file", "-t", f"{rev}:{path}"], spec, check=False)
        if kind is None:
            raise InputError(Location(spec), f"{path or '.'} does not exist in revision {rev}")
        root = self._mkdtemp("permcheck-rev-")
        target = os.path.join(root, os.path.basename(path) or "root")
        if kind.strip() == b"blob":
            _write(target, _git(["cat-file", "blob", f"{rev}:{path}"], spec))
        elif kind.strip() == b"tree":
            os.makedirs(target)
            _extract_tree(f"{rev}:{path}", target, spec)
        else:
            raise InputError(Location(spec), f"{path or '.'} in revision {rev} is a {kind.strip().decode()}, "
                                             "not a file or directory")
        return target

    def _mkdtemp(self, prefix: str) -> str:
        path = tempfile.mkdtemp(prefix=prefix)
        self._temp.append(path)
        return path

    def _cleanup(self) -> None:
        for path in self._temp:
            shutil.rmtree(path, ignore_errors=True)
        self._temp.clear()


def _label(spec: str) -> str:
    """How a side is named in output: as written, without a trailing slash."""
    return spec.rstrip("/") or spec


def _extract_tree(tree: str, target: str, spec: str) -> None:
    """Every input-like file of a git tree (by suffix, as a directory walk reads), in one batch."""
    listing = _git(["ls-tree", "--full-tree", "-r", "-z", tree], spec)
    wanted: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        text = name.decode("utf-8", "surrogateescape")
        if kind == "blob" and mode != SYMLINK_MODE and text.endswith(SUFFIXES):
            wanted.append((sha, text))
    if not wanted:
        return
    data = _git(["cat-file", "--batch"], spec, stdin="".join(f"{sha}\n" for sha, _ in wanted).encode())
    offset = 0
    for sha, name in wanted:
        header_end = data.index(b"\n", offset)
        size = int(data[offset:header_end].split()[2])
        _write(os.path.join(target, *name.split("/")), data[header_end + 1:header_end + 1 + size])
        offset = header_end + 1 + size + 1  # content, then a newline


def _write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _git(args: list[str], spec: str, check: bool = True, stdin: bytes | None = None) -> bytes | None:
    """Run git in the current directory; None when `check` is off and git says no."""
    try:
        done = subprocess.run(["git", *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError(Location(spec), "git is not installed: cannot read a revision") from None
    if done.returncode == 0:
        return done.stdout
    message = done.stderr.decode("utf-8", "replace").strip().splitlines()
    if message and "not a git repository" in message[0]:
        raise InputError(Location(spec), "not inside a git repository: cannot read a revision")
    if not check:
        return None
    raise InputError(Location(spec), f"git {args[0]} failed: {message[-1] if message else done.returncode}")
