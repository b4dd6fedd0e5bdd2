"""Findings: what `check` reports, as frozen values whose JSON is a public contract.

A finding's fingerprint ignores line numbers and file order, so a baseline survives a
reformatted template and code scanning tracks one finding across commits; it includes the
statement the finding is about (rules/identity.py), so two statements never share one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from typing import Optional


class Severity(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return SEVERITY_ORDER.index(self)


SEVERITY_ORDER = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


@dataclass(frozen=True)
class Suppression:
    """Why a finding does not fail the run: `by` is "template", "config" or "baseline"."""

    reason: str
    by: str

    def as_json(self) -> dict:
        return {"reason": self.reason, "by": self.by}


@dataclass(frozen=True)
class Finding:
    """One rule's result on one grant, statement or principal."""

    rule: str
    severity: Severity
    file: str
    line: Optional[int]
    resource: str  # the template logical id (or Terraform address) holding the grant; an ARN for snapshots
    message: str
    key: str = ""  # what the finding is about, beyond its resource: a principal, an action …
    suppressed: Optional[Suppression] = None
    fix: Optional[str] = None
    statement: str = ""  # which statement(s) it is about, without their lines (rules/identity.py)

    @property
    def fingerprint(self) -> str:
        """Stable across reformatting and reordering: rule, file, resource, statement and subject,
        never the line. Two statements of one resource never share a fingerprint."""
        import posixpath
        file = posixpath.normpath(self.file.replace("\\", "/"))  # `./t.yaml` and `t.yaml` are one file
        text = "\x1f".join((self.rule, file, self.resource, self.statement, self.key))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def as_values(self) -> list:
        """Every field as a JSON value, in order: how a finding crosses from another process
        (rules/two_processes.py); `from_values` makes the same finding of them."""
        suppressed = self.suppressed and [self.suppressed.reason, self.suppressed.by]
        return [self.rule, self.severity.value, self.file, self.line, self.resource, self.message, self.key,
                suppressed, self.fix, self.statement]

    @classmethod
    def from_values(cls, values: list) -> "Finding":
        rule, severity, file, line, resource, message, key, suppressed, fix, statement = values
        return cls(rule, Severity(severity), file, line, resource, message, key,
                   suppressed and Suppression(*suppressed), fix, statement)

    def as_json(self) -> dict:
        out = {"rule": self.rule, "severity": self.severity.value, "file": self.file, "line": self.line,
               "resource": self.resource, "message": self.message,
               "suppressed": self.suppressed.as_json() if self.suppressed else None,
               "fingerprint": self.fingerprint}
        if self.fix:
            out["fix"] = self.fix
        return out


def fails(findings: list[Finding], threshold: Severity) -> bool:
    """Does any unsuppressed finding reach `threshold`? (the contract's exit 1)"""
    return any(f.suppressed is None and f.severity.rank >= threshold.rank for f in findings)
