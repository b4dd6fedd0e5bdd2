"""Baselines (CONTRACT.md: `check --baseline FILE` fails only on findings not in the baseline;
`--write-baseline FILE` writes the current findings as one)."""

from __future__ import annotations

import json
import shutil

import pytest

from permcheck.model.location import InputError
from permcheck.rules.baseline import apply_baseline, baseline_document, read_baseline, write_baseline
from permcheck.rules.findings import Finding, Severity, Suppression
from tests.cli_helpers import run
from tests.conftest import ROOT
from tests.test_sarif import PUBLIC, reindented

APP_TEMPLATE = ROOT / "fixtures" / "example-app" / "template.yaml"

# A new function added to the example app, with a grant that lets anyone invoke it.
NEW_PUBLIC_GRANT = """
  ExportFunction:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: orders-export
      Role: arn:aws:iam::123456789012:role/orders-export
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
  AnyoneMayExport:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref ExportFunction
      Principal: "*"
"""


@pytest.fixture
def app(tmp_path):
    """A copy of the example app's template in tmp_path, checked as `template.yaml` from there."""
    shutil.copy(APP_TEMPLATE, tmp_path / "template.yaml")
    return tmp_path


def check(cwd, *args):
    return run("check", "template.yaml", *args, cwd=cwd)


def findings(cwd, *args):
    result = check(cwd, *args, "--format", "json")
    return result.code, result.json()["findings"]


def add_resources(text: str, extra: str) -> str:
    head, sep, tail = text.partition("\nResources:\n")
    assert sep, "the template has a Resources section"
    return head + sep + extra.lstrip("\n") + tail


# ----------------------------------------------------------------------------- the CLI

def test_baseline_accepts_the_current_findings(app):
    code, before = findings(app)
    assert code == 1 and before, "the example app fails the check without a baseline"
    written = check(app, "--write-baseline", "baseline.json")
    assert written.code == 1  # writing a baseline does not change this run's verdict
    document = json.loads((app / "baseline.json").read_text())
    assert document["version"] == 1 and document["tool"] == "permcheck"
    assert {e["fingerprint"] for e in document["findings"]} == {f["fingerprint"] for f in before}
    assert set(document["findings"][0]) == {"fingerprint", "rule", "resource", "file", "message"}

    code, after = findings(app, "--baseline", "baseline.json")
    assert code == 0
    assert [f["fingerprint"] for f in after] == [f["fingerprint"] for f in before]
    assert all(f["suppressed"] == {"reason": "in baseline", "by": "baseline"} for f in after)

    text = check(app, "--baseline", "baseline.json")
    assert text.code == 0 and "SUPPRESSED" in text.out and "(by baseline)" in text.out


def test_a_new_grant_fails_and_only_it(app):
    assert check(app, "--write-baseline", "baseline.json").code == 1
    template = app / "template.yaml"
    template.write_text(add_resources(template.read_text(), NEW_PUBLIC_GRANT))
    code, after = findings(app, "--baseline", "baseline.json")
    assert code == 1
    new = [f for f in after if f["suppressed"] is None]
    assert [(f["rule"], f["resource"]) for f in new] == [("public-invoke", "AnyoneMayExport")]
    assert all(f["suppressed"]["by"] == "baseline" for f in after if f not in new)


def test_a_reformatted_template_keeps_its_baseline(app):
    assert check(app, "--write-baseline", "baseline.json").code == 1
    template = app / "template.yaml"
    _, before = findings(app)
    template.write_text(reindented(template.read_text()))
    code, after = findings(app, "--baseline", "baseline.json")
    assert code == 0, [f for f in after if f["suppressed"] is None]
    assert {f["line"] for f in after} != {f["line"] for f in before}  # the lines did move
    assert all(f["suppressed"] == {"reason": "in baseline", "by": "baseline"} for f in after)


def test_a_reordered_template_keeps_its_baseline(app):
    """Resources in reverse order: every finding stays in the baseline, a grant made by two
    statements too (reported on the one whose holder sorts first; its fingerprint holds both
    statements, in no order)."""
    from tests.test_sarif import reformatted

    assert check(app, "--write-baseline", "baseline.json").code == 1
    template = app / "template.yaml"
    template.write_text(reformatted(template.read_text()))
    _, after = findings(app, "--baseline", "baseline.json")
    new = [f for f in after if f["suppressed"] is None]
    assert new == []
    assert len(after) - len(new) >= 5


def test_rewriting_the_baseline_is_stable_and_drops_what_was_fixed(app):
    assert check(app, "--write-baseline", "first.json").code == 1
    assert check(app, "--baseline", "first.json", "--write-baseline", "second.json").code == 0
    assert (app / "first.json").read_bytes() == (app / "second.json").read_bytes()

    template = app / "template.yaml"
    template.write_text(reindented(template.read_text()))
    check(app, "--write-baseline", "third.json")
    assert (app / "third.json").read_bytes() == (app / "first.json").read_bytes()  # no lines in it

    # fix the partner's cross-account invoke: its entry leaves the rewritten baseline
    text = template.read_text()
    start = text.index("    PartnerInvokePermission:")
    end = text.index("\n    ", start + 10)
    while text[end + 5] == " ":  # skip to the next resource at the same indentation
        end = text.index("\n    ", end + 1)
    template.write_text(text[:start] + text[end + 1:])
    check(app, "--baseline", "first.json", "--write-baseline", "fourth.json")
    kept = json.loads((app / "fourth.json").read_text())["findings"]
    first = json.loads((app / "first.json").read_text())["findings"]
    assert [e["resource"] for e in first if e not in kept] == ["PartnerInvokePermission"]
    assert list(app.glob(".*.tmp")) == []  # atomic writes leave no temporary file


def test_template_suppressions_keep_their_reason_and_stay_out_of_the_baseline(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(PUBLIC.replace("""  Anyone:
    Type: AWS::Lambda::Permission
""", """  Anyone:
    Type: AWS::Lambda::Permission
    Metadata:
      permcheck:
        ignore: [{rule: public-invoke, reason: public webhook}]
"""))
    assert check(tmp_path, "--write-baseline", "baseline.json").code == 0
    assert json.loads((tmp_path / "baseline.json").read_text())["findings"] == []
    _, after = findings(tmp_path, "--baseline", "baseline.json")
    assert [f["suppressed"] for f in after] == [{"reason": "public webhook", "by": "template"}]


@pytest.mark.parametrize("content, message", [
    (None, "baseline.json: baseline not found: no such file"),
    ("{\n  \"version\": 1,\n  oops\n}\n", "baseline.json:3: baseline is not valid JSON"),
    ('{"version": 2, "tool": "permcheck", "findings": []}', "baseline version 2 is not supported"),
    ('{"version": 1, "tool": "other", "findings": []}', "not a permcheck baseline"),
    ('[1, 2]', "not a permcheck baseline"),
    ('{"version": 1, "tool": "permcheck", "findings": [{"rule": "x"}]}', 'findings[0] has no "fingerprint"'),
    ('{"findings": [], "errors": []}', "this is `check --format json` output, not a baseline"),
    (b"\xff\xfe{}", "baseline is not UTF-8 text"),
])
def test_a_bad_baseline_is_exit_2_with_one_error_line(app, content, message):
    if isinstance(content, bytes):
        (app / "baseline.json").write_bytes(content)
    elif content is not None:
        (app / "baseline.json").write_text(content)
    for fmt in ("text", "json", "sarif"):
        result = check(app, "--baseline", "baseline.json", "--format", fmt)
        assert result.code == 2 and result.out == ""
        assert result.err.startswith("permcheck: error: ") and result.err.count("\n") == 1
        assert message in result.err, result.err


def test_a_baseline_that_cannot_be_written_is_exit_2(app):
    result = check(app, "--write-baseline", "no/such/dir/baseline.json")
    assert result.code == 2
    assert result.err.startswith("permcheck: error: no/such/dir/baseline.json: cannot write baseline")


# ----------------------------------------------------------------------------- the module

def _finding(resource="R", key="k", suppressed=None, line=3):
    return Finding(rule="public-invoke", severity=Severity.CRITICAL, file="t.yaml", line=line, resource=resource,
                   message="m", key=key, suppressed=suppressed)


def test_apply_baseline_marks_only_unsuppressed_findings_in_it():
    inside, outside = _finding("A"), _finding("B")
    reviewed = _finding("C", suppressed=Suppression("reviewed", "config"))
    out = apply_baseline([inside, outside, reviewed], {inside.fingerprint, reviewed.fingerprint})
    assert out[0].suppressed == Suppression(reason="in baseline", by="baseline")
    assert out[1].suppressed is None
    assert out[2].suppressed == Suppression("reviewed", "config")


def test_baseline_document_is_sorted_deduplicated_and_line_free(tmp_path):
    a, b = _finding("B", line=9), _finding("A", line=1)
    same_place_other_line = _finding("B", line=40)
    document = baseline_document([a, b, same_place_other_line])
    assert [e["resource"] for e in document["findings"]] == ["A", "B"]
    assert "line" not in document["findings"][0]
    path = tmp_path / "b.json"
    write_baseline(str(path), [a, b])
    assert read_baseline(str(path)) == {a.fingerprint, b.fingerprint}
    assert path.read_text().endswith("}\n")


def test_read_baseline_errors_are_input_errors(tmp_path):
    with pytest.raises(InputError) as error:
        read_baseline(str(tmp_path))
    assert str(error.value) == f"{tmp_path}: baseline must be a file, not a directory"
