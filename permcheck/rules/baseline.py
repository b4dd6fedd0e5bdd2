"""Baselines: the findings a project has accepted for now, so `check` fails only on new ones.

A baseline is a JSON file of fingerprints (rule, file, resource, statement and subject, never
the line: `Finding.fingerprint`), so it survives a reformatted or reordered template, and
accepting one statement's finding never accepts another statement's:

    {"version": 1, "tool": "permcheck",
     "findings": [{"fingerprint": "…", "rule": "…", "resource": "…", "file": "…", "message": "…"}]}

Only the fingerprint is read back; the other fields are there for the reviewer of the
baseline's diff. Entries are sorted without their lines, so regenerating a baseline after
an unrelated edit changes nothing. The fingerprint includes the file path as given on the
command line: write and check the baseline with the same paths, from the same directory.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import replace
from pathlib import Path

from permcheck.model.location import InputError, Location
from permcheck.rules.findings import Finding, Suppression

BASELINE_VERSION = 1
TOOL = "permcheck"
IN_BASELINE = Suppression(reason="in baseline", by="baseline")
SHAPE = '{"version": 1, "tool": "permcheck", "findings": [{"fingerprint": ...}, ...]}'


def read_baseline(path: str) -> set[str]:
    """The fingerprints a baseline file accepts; any problem with the file is an InputError (exit 2)."""
    where = Location(str(path))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(where, "baseline not found: no such file (create one with --write-baseline)") from None
    except IsADirectoryError:
        raise InputError(where, "baseline must be a file, not a directory") from None
    except UnicodeDecodeError:
        raise InputError(where, "baseline is not UTF-8 text") from None
    except OSError as error:
        raise InputError(where, f"cannot read baseline: {error.strerror or error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(Location(str(path), error.lineno), f"baseline is not valid JSON: {error.msg}") from None
    return _fingerprints(data, where)


def _fingerprints(data: object, where: Location) -> set[str]:
    if not isinstance(data, dict) or "findings" not in data:
        raise InputError(where, f"not a permcheck baseline (expected {SHAPE})")
    if "version" not in data and "errors" in data:
        raise InputError(where, "this is `check --format json` output, not a baseline: write one with "
                                "--write-baseline")
    if data.get("tool") != TOOL:
        raise InputError(where, f"not a permcheck baseline: \"tool\" must be \"{TOOL}\" (expected {SHAPE})")
    if data.get("version") != BASELINE_VERSION:
        raise InputError(where, f"baseline version {data.get('version')!r} is not supported: this permcheck reads "
                                f"version {BASELINE_VERSION} (rewrite it with --write-baseline)")
    entries = data["findings"]
    if not isinstance(entries, list):
        raise InputError(where, "baseline \"findings\" must be a list")
    out = set()
    for position, entry in enumerate(entries):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not fingerprint:
            raise InputError(where, f"baseline findings[{position}] has no \"fingerprint\" string")
        out.add(fingerprint)
    return out


def apply_baseline(findings: list[Finding], fingerprints: set[str]) -> list[Finding]:
    """Findings whose fingerprint is in the baseline become suppressed "by baseline".

    A finding already suppressed (in the template, by the configuration) keeps that reason.
    """
    return [replace(f, suppressed=IN_BASELINE) if f.suppressed is None and f.fingerprint in fingerprints else f
            for f in findings]


def baseline_document(findings: list[Finding]) -> dict:
    """The baseline of these findings: every one not suppressed in the template or the config.

    Findings suppressed there carry their own reviewed reason; recording them again would keep
    them silent after that reason is removed. Findings already in a baseline are kept, so a
    baseline rewritten with `--baseline OLD --write-baseline NEW` keeps what is still found.
    """
    entries: dict[str, dict] = {}
    for f in findings:
        if f.suppressed is not None and f.suppressed.by != "baseline":
            continue
        entries.setdefault(f.fingerprint, {"fingerprint": f.fingerprint, "rule": f.rule, "resource": f.resource,
                                           "file": f.file.replace("\\", "/"), "message": f.message})
    ordered = sorted(entries.values(), key=lambda e: (e["file"], e["resource"], e["rule"], e["fingerprint"]))
    return {"version": BASELINE_VERSION, "tool": TOOL, "findings": ordered}


def write_baseline(path: str, findings: list[Finding]) -> None:
    """Write the baseline atomically: a reader sees the old file or the new one, never half of one."""
    target = Path(path)
    text = json.dumps(baseline_document(findings), indent=2, ensure_ascii=False) + "\n"
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        # 0o666 less the umask, as for any file the user creates (not mkstemp's 0o600).
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise InputError(Location(str(path)), f"cannot write baseline: {error.strerror or error}") from None
