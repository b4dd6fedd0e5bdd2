"""`check --format sarif`: the run as one SARIF 2.1.0 log that GitHub code scanning accepts.

SARIF 2.1.0 (OASIS): https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
What GitHub reads of it: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
`tests/test_sarif.py` validates the output against the official JSON schema.

Choices the standard leaves open:
- Every result keeps its location relative to the directory permcheck ran in, under the
  `%SRCROOT%` base id; run permcheck from the repository root so that code scanning finds
  the file. No absolute `originalUriBaseIds` is written: the log stays the same on every
  machine.
- `partialFingerprints["permcheck/v1"]` is the finding's fingerprint (rule, file, resource,
  statement and subject, never the line), the same value a baseline records.
- Suppressed findings stay in the log with `suppressions` (in the template: `inSource`;
  by the configuration or a baseline: `external`), as the contract wants them reported.
- A rule that failed (a bug) is a `toolExecutionNotification` and the invocation is not
  successful: an empty result list must never read as "nothing found".
"""

from __future__ import annotations

from urllib.parse import quote

from permcheck.rules.findings import Finding, Severity
from permcheck.rules.registry import Rule
from permcheck.rules.run import CheckResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "permcheck/v1"
SOURCE_ROOT = "%SRCROOT%"

# SARIF has three levels; GitHub ranks security alerts by `security-severity`, a CVSS-like
# score as a string: over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}
SUPPRESSION_KIND = {"template": "inSource", "config": "external", "baseline": "external"}


def sarif_document(result: CheckResult, rules: list[Rule]) -> dict:
    """One SARIF log with one run: the rules in force, every finding, and the rule errors."""
    enabled = [rule for rule in rules if rule.enabled]
    index = {rule.id: position for position, rule in enumerate(enabled)}
    run = {
        "tool": {"driver": _driver(enabled)},
        "invocations": [_invocation(result.errors)],
        "results": [_result(finding, index.get(finding.rule)) for finding in result.findings],
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _driver(rules: list[Rule]) -> dict:
    version, homepage = _package_info()
    driver = {"name": "permcheck", "version": version, "semanticVersion": version}
    if homepage:
        driver["informationUri"] = homepage
    driver["rules"] = [_rule_descriptor(rule) for rule in rules]
    return driver


def _package_info() -> tuple[str, str | None]:
    """The installed version, and the project's home page when its metadata names one."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        meta = metadata("permcheck")
    except PackageNotFoundError:  # running from a source tree that was never installed
        from permcheck import __version__

        return __version__, None
    urls = dict(_url_entry(entry) for entry in meta.get_all("Project-URL") or ())
    homepage = next((urls[k] for k in ("homepage", "documentation", "source", "repository") if k in urls), None)
    return meta["Version"], homepage or meta.get("Home-page") or None


def _url_entry(entry: str) -> tuple[str, str]:
    label, _, url = entry.partition(",")
    return label.strip().lower(), url.strip()


def _rule_descriptor(rule: Rule) -> dict:
    spec = rule.spec
    descriptor = {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),  # SARIF §3.49.7: PascalCase
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": _one_line(spec.what)},
        "help": {"text": _help_text(spec), "markdown": _help_markdown(spec)},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"tags": ["security"], "security-severity": SECURITY_SEVERITY[rule.severity],
                       "severity": rule.severity.value},
    }
    if spec.docs:
        descriptor["helpUri"] = spec.docs[0]
    return descriptor


def _paragraphs(text: str) -> list[str]:
    """A rule file's hard-wrapped text as paragraphs, each on one line."""
    return [" ".join(block.split()) for block in text.strip().split("\n\n") if block.strip()]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _help_text(spec) -> str:
    parts = [f"What: {_one_line(spec.what)}", f"Why: {_one_line(spec.why)}", f"Fix: {_one_line(spec.fix)}"]
    if spec.docs:
        parts.append("References:\n" + "\n".join(f"- {url}" for url in spec.docs))
    return "\n\n".join(parts)


def _help_markdown(spec) -> str:
    out = []
    for title, text in (("What it finds", spec.what), ("Why it matters", spec.why), ("How to fix it", spec.fix)):
        out += [f"**{title}**", "", *_paragraphs(text), ""]
    if spec.docs:
        out += ["**References**", "", *(f"- <{url}>" for url in spec.docs), ""]
    for kind, example in spec.examples:
        title = "Fires on" if kind == "fires" else "Does not fire on"
        out += [f"**{title}**", "", "```yaml", example.rstrip(), "```", ""]
    return "\n".join(out).rstrip() + "\n"


def _invocation(errors: list[str]) -> dict:
    return {"executionSuccessful": not errors,
            "toolExecutionNotifications": [{"level": "error", "message": {"text": error}} for error in errors]}


def _result(finding: Finding, rule_index: int | None) -> dict:
    text = finding.message + (f"\nFix: {finding.fix}" if finding.fix else "")
    result: dict = {"ruleId": finding.rule}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    result["level"] = LEVEL[finding.severity]
    result["message"] = {"text": text}
    if finding.file:
        result["locations"] = [_location(finding)]
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.suppressed is not None:
        result["suppressions"] = [{"kind": SUPPRESSION_KIND.get(finding.suppressed.by, "external"),
                                   "justification": finding.suppressed.reason,
                                   "properties": {"by": finding.suppressed.by}}]
    properties = {"severity": finding.severity.value, "resource": finding.resource}
    if finding.fix:
        properties["fix"] = finding.fix
    result["properties"] = properties
    return result


def _location(finding: Finding) -> dict:
    physical: dict = {"artifactLocation": _artifact(finding.file)}
    if finding.line is not None:
        physical["region"] = {"startLine": finding.line}
    location: dict = {"physicalLocation": physical}
    if finding.resource:
        location["logicalLocations"] = [{"name": finding.resource, "kind": "resource"}]
    return location


def _artifact(file: str) -> dict:
    """A relative path under %SRCROOT%, or a file: URI for an absolute one (RFC 3986 escaped;
    `:` too, which would make a relative path's first segment read as a URI scheme)."""
    from pathlib import PurePosixPath, PureWindowsPath

    if PureWindowsPath(file).is_absolute() and not file.startswith("/"):
        return {"uri": PureWindowsPath(file).as_uri()}
    path = file.replace("\\", "/")
    if path.startswith("/"):
        return {"uri": PurePosixPath(path).as_uri()}
    while path.startswith("./"):
        path = path[2:]
    return {"uri": quote(path, safe="/-._~!$&'()*+,;=@"), "uriBaseId": SOURCE_ROOT}
