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

The JSON reader is `decode_json_fast.py` (C speed; whenever it cannot vouch for its result it
hands the text to `decode_json.py`, the reference), the YAML reader `decode_yaml.py`, the limits
both hold `decode_limits.py`.
"""

from __future__ import annotations

import os
from json.decoder import JSONDecodeError

from permcheck.load.decode_json import _WS
from permcheck.load.decode_json_fast import fast_json
from permcheck.load.read_log import note_read
from permcheck.model.location import InputError, Location

#: Largest file read: `get-account-authorization-details` of a big account is tens of MB.
#: Read when `read_file` is called, so a test can lower it.
MAX_FILE_BYTES = 256 * 1024 * 1024


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
    note_read(path, data)  # the model cache keys on what was read (load/read_log.py)
    return decode(path, data)


def decode(path: str, data: bytes) -> object:
    """Decode one file's bytes. The name matters only for text that starts like JSON but
    is not: a `.json` file reports its JSON error; others are retried as YAML, and if
    that fails too show the YAML error when named `.yaml`/`.yml`, else the JSON one.
    The YAML reader (and PyYAML) is imported only when a text needs it: a run over account
    snapshots reads JSON alone."""
    text = _text(path, data)
    start = _WS(text).end()
    try:
        if text[start:start + 1] not in ("{", "["):
            from permcheck.load.decode_yaml import _yaml
            return _yaml(path, text)
        try:
            return fast_json(path, text)
        except JSONDecodeError as e:
            json_error = InputError(Location(path, e.lineno), f"invalid JSON: {e.msg}")
            if path.lower().endswith(".json"):  # meant as JSON: YAML's plain scalars would
                raise json_error from None       # read `[1 2]` as ["1 2"]
        from permcheck.load.decode_yaml import _yaml
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
