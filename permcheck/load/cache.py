"""The model cache: a reviewer's second question about the same inputs does not load them again.

**What an entry is for.** The deployments `load_deployments` made of some inputs, stored as data
(`load/model_codec.py`: JSON tables, every value type-checked as it is rebuilt; never pickle).
An entry is used only when everything that decided the model is the same:

- the key: the bytes of every file the walk over the inputs finds (SHA-256 each), the paths as
  given and the folder they are relative to, the load options (account, region, parameters,
  management account), permcheck's version, a fingerprint of its code and data files (name,
  size and time of each, so an edited checkout never reads an older build's entries), the
  Python version and this cache's FORMAT;
- what the load read besides (`load/read_log.py`), checked again before use: each included
  file's bytes and real path, each `samconfig.toml`/`template.yaml` marker looked for (there or
  not), and the version of the official SAM translator when it ran.

**When it is used.** Inputs of fewer than SMALL_INPUTS bytes are loaded, not looked up: a
pre-commit run on one template loads it in less time than an entry takes to check and write.
A run whose inputs could not all be read is never stored (its errors must be reported again),
and neither is a model the codec cannot write. `--no-cache` or `cache = false` in the
configuration turns the cache off: nothing is read or written.

**Where.** `PERMCHECK_CACHE_DIR`, else the platform's user cache folder: `%LOCALAPPDATA%\\permcheck\\Cache`
on Windows, `~/Library/Caches/permcheck` on macOS, `$XDG_CACHE_HOME/permcheck` or
`~/.cache/permcheck` elsewhere. On POSIX the folder must belong to the user and be writable by
no one else, or it is not used. At most MAX_ENTRIES entries and MAX_BYTES bytes are kept: after a
write, the least recently used entries (a hit refreshes an entry's time) are removed first.

**Trust.** An entry is never trusted, only checked. Its first line is an HMAC-SHA256 of the rest,
keyed with a random secret kept in the folder (created once, readable by the user alone), and the
entry names its own key: a truncated, edited or corrupted entry, one copied under another key's
name, or one brought from another machine's cache fails the check and is rebuilt, silently. A
process that can read the secret (the user's own) could forge an entry, but it could as well
change permcheck itself. Any failure of the cache (an unwritable folder, a full disk) is never an
error to the user: the inputs are loaded as without it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import sys
from dataclasses import dataclass

FORMAT = 1  # bump with any change to an entry's layout (here or in load/model_codec.py)
MAGIC = f"permcheck-model-cache {FORMAT}\n".encode()
SMALL_INPUTS = 1 << 20  # bytes of input below which loading is faster than the cache (measured)
MAX_ENTRIES = 32
MAX_BYTES = 1 << 30
SUFFIX = ".entry"
SECRET = "secret.key"


def folder() -> str | None:
    """Where entries live (see the module docstring); None when no home can be found."""
    chosen = os.environ.get("PERMCHECK_CACHE_DIR")
    if chosen:
        return chosen
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return os.path.join(base, "permcheck", "Cache") if base else None
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "permcheck")
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative path is invalid and ignored
        return os.path.join(xdg, "permcheck")
    return os.path.join(home, ".cache", "permcheck") if home != "~" else None


@dataclass
class Lookup:
    """One run's place in the cache: its key, and the digest of each input the walk found."""

    folder: str
    key: str
    inputs: dict[str, str]  # file → SHA-256, as the walk found them

    @property
    def path(self) -> str:
        return os.path.join(self.folder, self.key + SUFFIX)

    def get(self) -> list | None:
        return get(self)

    def put(self, deployments: list, log) -> bool:
        return put(self, deployments, log)


def lookup(paths: list[str], options) -> Lookup | None:
    """The run's key, or None when the cache does not apply: small inputs, no usable folder, or
    an input that cannot be read as a regular file (the load then says what is wrong)."""
    from permcheck.load.inputs import walk
    from permcheck.model.location import InputError

    try:
        files = walk(paths)
        sizes = [os.stat(file) for file, _ in files]
    except (InputError, OSError):
        return None
    if sum(s.st_size for s in sizes) < SMALL_INPUTS or not all(stat.S_ISREG(s.st_mode) for s in sizes):
        return None
    where = _usable_folder()
    if where is None:
        return None
    try:
        inputs = {file: _digest(file) for file, _ in files}
    except OSError:
        return None
    material = {"format": FORMAT, "permcheck": _version(), "code": _code_fingerprint(),
                "python": sys.version, "implementation": sys.implementation.name, "cwd": os.getcwd(),
                "paths": list(paths), "account": options.account, "region": options.region,
                "parameters": sorted(options.parameters.items()), "management_account": options.management_account,
                "inputs": [[file, named, inputs[file]] for file, named in files]}
    key = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return Lookup(where, key, inputs)


def get(found: Lookup) -> list | None:
    """The deployments stored for this key, or None: no entry, or one that fails any check."""
    try:
        with open(found.path, "rb") as handle:
            data = handle.read()
        secret = _secret(found.folder, create=False)
    except OSError:
        return None
    if secret is None or not data.startswith(MAGIC):
        return None
    mac, _, body = data[len(MAGIC):].partition(b"\n")
    if not hmac.compare_digest(mac, hmac.new(secret, body, "sha256").hexdigest().encode()):
        return None
    header, _, payload = body.partition(b"\n")
    try:
        header = json.loads(header)
        if not isinstance(header, dict) or header.get("key") != found.key or not _still(header):
            return None
        from permcheck.load.model_codec import Malformed
        from permcheck.load.model_reader import decode

        try:
            deployments = decode(json.loads(payload))
        except Malformed:
            return None
    except (ValueError, TypeError, AttributeError, OSError):  # ValueError: JSON and UTF-8 errors too
        return None
    _touch(found.path)
    return deployments


def put(found: Lookup, deployments: list, log) -> bool:
    """Store the deployments a load made (with the ReadLog of that load); False when they are not
    stored: an input read differently from how the walk found it (changed during the run), a
    value the codec does not write, or a folder that refuses the write."""
    from permcheck.load.model_codec import Malformed, encode

    if any(log.reads.get(file) != digest for file, digest in found.inputs.items()):
        return False
    try:
        payload = json.dumps(encode(deployments), separators=(",", ":"), ensure_ascii=False).encode()
    except (Malformed, TypeError, ValueError):  # a value the codec cannot write: no entry, never an error
        return False
    reads = {path: [os.path.realpath(path), digest] for path, digest in log.reads.items() if path not in found.inputs}
    header = json.dumps({"key": found.key, "reads": reads, "probes": log.probes, "tools": log.tools}).encode()
    body = header + b"\n" + payload
    try:
        secret = _secret(found.folder, create=True)
        if secret is None:
            return False
        _write(found.path, MAGIC + hmac.new(secret, body, "sha256").hexdigest().encode() + b"\n" + body)
        _prune(found.folder, keep=found.path)
    except OSError:
        return False
    return True


def _still(header: dict) -> bool:
    """Is everything the load read besides its inputs as it was then?"""
    reads, probes, tools = header.get("reads"), header.get("probes"), header.get("tools")
    if not (isinstance(reads, dict) and isinstance(probes, dict) and isinstance(tools, dict)):
        return False
    for path, (real, digest) in reads.items():
        if os.path.realpath(path) != real or _digest(path) != digest:
            return False
    if any(os.path.isfile(path) != bool(found) for path, found in probes.items()):
        return False
    if tools:
        from permcheck.load.sam import official

        if tools != {official.TOOL: official.installed_version() or ""}:
            return False
    return True


def _digest(path: str) -> str:
    """SHA-256 of a file's bytes, read with plain `os.read`: for 10,000 small files it takes half
    the time of a file object's reads."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        digest = hashlib.sha256()
        while chunk := os.read(handle, 1 << 20):
            digest.update(chunk)
        return digest.hexdigest()
    finally:
        os.close(handle)


def _version() -> str:
    from permcheck import __version__

    return __version__


def _code_fingerprint() -> str:
    """Name, size and modification time of every file of permcheck's package and grammars: what
    the loaders run and read. An installed release never changes them; an edited checkout does."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found: list[str] = []
    for top in (package, os.path.join(os.path.dirname(package), "grammars")):
        stack = [top] if os.path.isdir(top) else []
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name != "__pycache__":
                            stack.append(entry.path)
                    elif not entry.name.endswith((".pyc", ".pyo")):
                        info = entry.stat()
                        found.append(f"{entry.path}\0{info.st_size}\0{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(found)).encode()).hexdigest()


def _usable_folder() -> str | None:
    """The cache folder, made if missing; None when it cannot be made or is not the user's own."""
    where = folder()
    if where is None:
        return None
    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
        info = os.stat(where)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        return None  # another user could write entries (and read the secret): not a cache to trust
    return where


def _secret(where: str, create: bool) -> bytes | None:
    """The folder's HMAC key: 32 random bytes, made once (atomically, readable by the user alone)."""
    path = os.path.join(where, SECRET)
    try:
        with open(path, "rb") as handle:
            secret = handle.read()
        return secret if len(secret) == 32 else None
    except FileNotFoundError:
        if not create:
            return None
    temporary = _temporary(where, os.urandom(32))
    try:
        os.link(temporary, path)  # never replaces a secret another run made meanwhile
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links: the last writer's secret wins (others miss)
        os.replace(temporary, path)
        return _secret(where, create=False)
    os.unlink(temporary)
    return _secret(where, create=False)


def _write(path: str, data: bytes) -> None:
    """Write beside the entry, then rename over it: a reader sees the old entry or the new one."""
    temporary = _temporary(os.path.dirname(path), data)
    try:
        os.replace(temporary, path)
    except OSError:
        os.unlink(temporary)
        raise


def _temporary(where: str, data: bytes) -> str:
    import tempfile

    handle, temporary = tempfile.mkstemp(dir=where, prefix=".tmp-")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
    except OSError:
        os.unlink(temporary)
        raise
    return temporary


def _touch(path: str) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _prune(where: str, keep: str) -> None:
    """Remove the least recently used entries beyond MAX_ENTRIES or MAX_BYTES (never `keep`), and
    temporary files an interrupted run left (older than an hour: a running write is younger)."""
    import time

    entries, stale = [], time.time_ns() - 3600 * 10**9
    with os.scandir(where) as found:
        for entry in found:
            if not entry.is_file(follow_symlinks=False):
                continue
            info = entry.stat(follow_symlinks=False)
            if entry.name.endswith(SUFFIX):
                entries.append((info.st_mtime_ns, info.st_size, entry.path))
            elif entry.name.startswith(".tmp-") and info.st_mtime_ns < stale:
                _remove(entry.path)
    entries.sort(reverse=True)  # newest first
    total = 0
    for count, (_, size, path) in enumerate(entries, 1):
        total += size
        if path != keep and (count > MAX_ENTRIES or total > MAX_BYTES):
            _remove(path)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass  # another run removed it first
