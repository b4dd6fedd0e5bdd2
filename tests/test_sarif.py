"""`check --format sarif`: valid SARIF 2.1.0 (the official schema), as GitHub code scanning reads it.

Schema: tests/data/sarif-schema-2.1.0.json (origin in tests/data/SOURCE.md).
What GitHub reads: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
"""

from __future__ import annotations

import json
import re
import shutil
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from tests.cli_helpers import run
from tests.conftest import ROOT
from tests.templates import PUBLIC

APP = "fixtures/example-app"
APP_TEMPLATE = ROOT / APP / "template.yaml"
SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


SUPPRESSED_IN_TEMPLATE = PUBLIC.replace("""  Anyone:
    Type: AWS::Lambda::Permission
""", """  Anyone:
    Type: AWS::Lambda::Permission
    Metadata:
      permcheck:
        ignore:
          - rule: public-invoke
            reason: public webhook, reviewed
""")


# ----------------------------------------------------------------------------- helpers

# RFC 3986 URI-reference, checked by hand: jsonschema checks the "uri" formats only when
# an optional package (rfc3987 / rfc3986-validator) is installed.
_URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _uri_reference(value: object) -> bool:
    if not isinstance(value, str) or not _URI_CHARS.match(value):
        return False
    if _SCHEME.match(value):
        return True
    first_segment = value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return ":" not in first_segment  # RFC 3986 §4.2: else it would read as a scheme


@pytest.fixture(scope="module")
def validator():
    """A validator for the official schema, with the URI formats checked."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    formats = jsonschema.FormatChecker()
    formats.checks("uri-reference")(_uri_reference)
    formats.checks("uri")(lambda v: _uri_reference(v) and bool(_SCHEME.match(v)))
    return cls(schema, format_checker=formats)


def assert_valid(validator, document: dict) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10])


def sarif(*args: str, cwd=ROOT) -> tuple[int, dict, str]:
    """`permcheck check ARGS --format sarif`: exit code, the one JSON document on stdout, stderr."""
    result = run("check", *args, "--format", "sarif", cwd=cwd)
    return result.code, json.loads(result.out), result.err


def findings_json(*args: str, cwd=ROOT) -> list[dict]:
    return run("check", *args, "--format", "json", cwd=cwd).json()["findings"]


def _block_style(node):
    """Every collection under `node` in block style (the node, changed in place)."""
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        node.flow_style = False
        for child in node.value:
            for part in (child if isinstance(child, tuple) else (child,)):
                _block_style(part)
    return node


def reformatted(text: str) -> str:
    """The same template written differently: every collection in block style, indented by 4,
    top-level sections and resources in reverse order, a comment on top. Scalars keep their
    text and style (an account id stays the same string), so the template means the same."""
    root = _block_style(yaml.compose(text, Loader=yaml.SafeLoader))
    for key, value in root.value:
        if key.value == "Resources":
            value.value.reverse()
    root.value.reverse()
    body = yaml.serialize(root, Dumper=yaml.SafeDumper, indent=4, width=4096)
    return "# reformatted by tests/test_sarif.py\n\n" + body


def reindented(text: str) -> str:
    """The same template, every collection in block style and indented by 4, order unchanged."""
    root = _block_style(yaml.compose(text, Loader=yaml.SafeLoader))
    return "# re-indented\n\n\n" + yaml.serialize(root, Dumper=yaml.SafeDumper, indent=4, width=4096)


# ----------------------------------------------------------------------------- the example app

def test_example_app_is_valid_sarif_with_every_finding(validator):
    code, log, err = sarif(APP)
    assert code == 1 and err == ""
    assert_valid(validator, log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run_ = log["runs"][0]
    findings = findings_json(APP)
    assert len(run_["results"]) == len(findings) > 0
    for result, finding in zip(run_["results"], findings):
        assert result["ruleId"] == finding["rule"]
        assert result["level"] == LEVEL[finding["severity"]]
        assert result["properties"]["severity"] == finding["severity"]
        assert result["message"]["text"].startswith(finding["message"])
        assert result["partialFingerprints"] == {"permcheck/v1": finding["fingerprint"]}
        assert "suppressions" not in result
        (location,) = result["locations"]
        assert location["physicalLocation"] == {
            "artifactLocation": {"uri": "fixtures/example-app/template.yaml", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": finding["line"]}}
        assert location["logicalLocations"] == [{"name": finding["resource"], "kind": "resource"}]
    assert run_["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_driver_describes_every_rule_for_code_scanning():
    _, log, _ = sarif(APP)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "permcheck"
    assert driver["version"] == version("permcheck")
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and "public-invoke" in ids and "wildcard-action" in ids
    for rule in rules:
        severity = rule["properties"]["severity"]
        assert rule["defaultConfiguration"]["level"] == LEVEL[severity]
        assert rule["properties"]["security-severity"] == SECURITY_SEVERITY[severity]
        assert rule["properties"]["tags"] == ["security"]
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "\n" not in rule["fullDescription"]["text"]
        assert rule["helpUri"].startswith("https://")
        assert rule["helpUri"] in rule["help"]["markdown"] and "Why:" in rule["help"]["text"]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"])
    public = rules[ids.index("public-invoke")]
    assert public["properties"]["security-severity"] == "9.5" and public["defaultConfiguration"]["level"] == "error"
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_configured_severity_is_the_rules_level(tmp_path, validator):
    config = tmp_path / "permcheck.toml"
    config.write_text('[rules.public-invoke]\nseverity = "low"\n[rules.wildcard-action]\nenabled = false\n'
                      '[rules.public-trigger-to-privilege]\nseverity = "low"\n')
    code, log, _ = sarif(APP, "--config", str(config))
    assert_valid(validator, log)
    driver = log["runs"][0]["tool"]["driver"]
    public = next(r for r in driver["rules"] if r["id"] == "public-invoke")
    assert public["defaultConfiguration"]["level"] == "note" and public["properties"]["security-severity"] == "3.0"
    assert "wildcard-action" not in [r["id"] for r in driver["rules"]]  # disabled: not in force
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "public-invoke")
    assert result["level"] == "note"
    assert code == 0  # nothing left at or above high


# ----------------------------------------------------------------------------- suppressions

def test_suppressed_findings_are_reported_with_their_kind(tmp_path, validator):
    (tmp_path / "app.yaml").write_text(SUPPRESSED_IN_TEMPLATE)
    (tmp_path / "other.yaml").write_text(PUBLIC.replace("FunctionName: open", "FunctionName: other"))
    (tmp_path / "partner.yaml").write_text(PUBLIC.replace("FunctionName: open", "FunctionName: third"))
    config = tmp_path / "permcheck.toml"
    config.write_text('[[ignore]]\nrule = "public-invoke"\nfile = "other.yaml"\nreason = "demo endpoint"\n')
    baseline = tmp_path / "baseline.json"
    assert run("check", "partner.yaml", "--write-baseline", str(baseline), cwd=tmp_path).code == 1

    code, log, err = sarif("app.yaml", "other.yaml", "partner.yaml", "--config", str(config), "--baseline",
                           str(baseline), cwd=tmp_path)
    assert code == 0, err
    assert_valid(validator, log)
    by_file = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in log["runs"][0]["results"]}
    assert by_file["app.yaml"]["suppressions"] == [
        {"kind": "inSource", "justification": "public webhook, reviewed", "properties": {"by": "template"}}]
    assert by_file["other.yaml"]["suppressions"] == [
        {"kind": "external", "justification": "demo endpoint", "properties": {"by": "config"}}]
    assert by_file["partner.yaml"]["suppressions"] == [
        {"kind": "external", "justification": "in baseline", "properties": {"by": "baseline"}}]
    assert all(r["level"] == "error" for r in by_file.values())  # still critical: only suppressed


def test_a_findings_fix_is_in_its_message_and_properties(tmp_path):
    (tmp_path / "t.yaml").write_text(PUBLIC)
    _, log, _ = sarif("t.yaml", cwd=tmp_path)
    (finding,) = findings_json("t.yaml", cwd=tmp_path)
    (result,) = log["runs"][0]["results"]
    if "fix" not in finding:
        pytest.skip("this finding carries no fix text")
    assert result["properties"]["fix"] == finding["fix"]
    assert result["message"]["text"] == f"{finding['message']}\nFix: {finding['fix']}"
    assert "fixes" not in result  # a SARIF fix needs replacement data, which findings do not carry


# ----------------------------------------------------------------------------- rule errors

def test_a_failing_rule_is_a_tool_execution_notification(monkeypatch, validator):
    from permcheck.rules import engine

    real = engine.run_rule

    def broken(spec, *args, **kwargs):
        if spec.id == "cross-account-invoke":
            raise ZeroDivisionError("division by zero")
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(engine, "run_rule", broken)
    result = run("check", APP, "--format", "sarif")
    assert result.code == 2
    assert result.err.startswith("permcheck: error: ") and "rule cross-account-invoke failed" in result.err
    log = json.loads(result.out)
    assert_valid(validator, log)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert "rule cross-account-invoke failed: ZeroDivisionError: division by zero" in note["message"]["text"]
    rule_ids = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert "public-invoke" in rule_ids and "cross-account-invoke" not in rule_ids  # the others still report


def test_a_run_without_findings_is_valid(tmp_path, validator):
    (tmp_path / "t.yaml").write_text(PUBLIC.replace('Principal: "*"', "Principal: sns.amazonaws.com, "
                                                    "SourceArn: arn:aws:sns:us-east-1:123456789012:topic"))
    code, log, _ = sarif("t.yaml", cwd=tmp_path)
    assert code == 0
    assert_valid(validator, log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


# ----------------------------------------------------------------------------- locations

def test_absolute_and_dotted_paths(tmp_path, validator):
    folder = tmp_path / "my templates"
    folder.mkdir()
    (folder / "t.yaml").write_text(PUBLIC)
    _, log, _ = sarif(str(folder / "t.yaml"))
    assert_valid(validator, log)
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": (folder / "t.yaml").as_uri()}  # absolute: a file URI, no base id
    assert "%20" in artifact["uri"]

    _, log, _ = sarif("./my templates/t.yaml", cwd=tmp_path)
    assert_valid(validator, log)
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "my%20templates/t.yaml", "uriBaseId": "%SRCROOT%"}


def test_uri_reference_check_rejects_what_the_schema_would():
    assert _uri_reference("fixtures/example-app/template.yaml")
    assert _uri_reference("my%20templates/t.yaml") and _uri_reference("file:///tmp/a%20b.yaml")
    assert not _uri_reference("my templates/t.yaml") and not _uri_reference("100%.yaml")


def test_a_colon_in_a_relative_path_is_escaped():
    from permcheck.report.sarif import _artifact

    # unescaped, "a:b.yaml" would be an absolute URI of scheme "a" (RFC 3986 §4.2)
    assert _artifact("a:b.yaml") == {"uri": "a%3Ab.yaml", "uriBaseId": "%SRCROOT%"}
    assert _artifact("dir\\t.yaml") == {"uri": "dir/t.yaml", "uriBaseId": "%SRCROOT%"}


# ----------------------------------------------------------------------------- fingerprints

def _fingerprints(log: dict) -> dict[str, int]:
    return {r["partialFingerprints"]["permcheck/v1"]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
            for r in log["runs"][0]["results"]}


def test_fingerprints_survive_reindenting(tmp_path, validator):
    template = tmp_path / "template.yaml"
    shutil.copy(APP_TEMPLATE, template)
    _, before, _ = sarif("template.yaml", cwd=tmp_path)
    template.write_text(reindented(APP_TEMPLATE.read_text()))
    _, after, _ = sarif("template.yaml", cwd=tmp_path)
    assert_valid(validator, after)
    old, new = _fingerprints(before), _fingerprints(after)
    assert set(new) == set(old) and len(old) == len(before["runs"][0]["results"])
    assert any(old[f] != new[f] for f in old)  # the lines moved; the fingerprints did not


def test_fingerprints_survive_reordering_resources(tmp_path):
    """A grant made by several statements is reported on the one whose holder sorts first."""
    template = tmp_path / "template.yaml"
    shutil.copy(APP_TEMPLATE, template)
    _, before, _ = sarif("template.yaml", cwd=tmp_path)
    template.write_text(reformatted(APP_TEMPLATE.read_text()))
    _, after, _ = sarif("template.yaml", cwd=tmp_path)
    assert set(_fingerprints(after)) == set(_fingerprints(before))


def test_reformatted_template_means_the_same(tmp_path):
    """The helpers change the text, not the template: same resources, same findings' rules."""
    original = yaml.compose(APP_TEMPLATE.read_text(), Loader=yaml.SafeLoader)
    for helper in (reformatted, reindented):
        text = helper(APP_TEMPLATE.read_text())
        assert text != APP_TEMPLATE.read_text()
        again = yaml.compose(text, Loader=yaml.SafeLoader)
        resources = {k.value: v for k, v in again.value}["Resources"]
        assert sorted(k.value for k, _ in resources.value) == sorted(
            k.value for k, _ in {k.value: v for k, v in original.value}["Resources"].value)
        (tmp_path / "t.yaml").write_text(text)
        assert sorted(f["rule"] for f in findings_json("t.yaml", cwd=tmp_path)) == \
            sorted(f["rule"] for f in findings_json(APP))


def test_information_uri_comes_from_the_package_metadata(monkeypatch):
    """pyproject.toml's [project.urls] Homepage becomes driver.informationUri; none, no field."""
    import importlib.metadata
    from email.message import Message

    from permcheck.report.sarif import _driver

    meta = Message()
    meta["Version"] = "9.9.9"
    meta["Project-URL"] = "Homepage, https://example.org/permcheck"
    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: meta)
    driver = _driver([])
    assert driver["informationUri"] == "https://example.org/permcheck" and driver["version"] == "9.9.9"
    del meta["Project-URL"]
    assert "informationUri" not in _driver([])
