"""Every exit code of the contract (CONTRACT.md, "Exit codes"), for every command and format.

0: success — for `check`, no unsuppressed finding at or above --fail-on;
1: `check` found something at or above --fail-on (`can --expect`: the decision differs);
2: usage error or an input that cannot be read: one line on stderr, `permcheck: error: ...`,
   never a traceback, never exit 0.
With `--format json` (and `sarif`), stdout holds exactly one JSON document and nothing else.
(`diff` is pinned by its own tests.)
"""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import run
from tests.templates import FUNCTION

APP = "fixtures/example-app"
SYNC = "arn:aws:lambda:us-east-1:123456789012:function:partner-sync"
PARTNER = "arn:aws:iam::210987654321:role/partner-integration"
CHECK_FORMATS = ("text", "json", "sarif")

ROLE = """  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: worker
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: work
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: %s
                Resource: %s
"""
TEMPLATES = {
    # one finding of each severity, nothing else (checked by test_the_templates_find_what_they_say)
    "clean": "Resources:\n" + ROLE % ("s3:GetObject", "arn:aws:s3:::my-bucket/*"),
    "low": "Resources:\n" + ROLE % ("s3:GetObjects", "arn:aws:s3:::my-bucket/*"),  # unknown-action
    "medium": "Resources:\n" + ROLE % ('"s3:*"', "arn:aws:s3:::my-bucket/*"),  # service-wildcard-action
    "high": "Resources:\n" + ROLE % ("iam:PassRole", '"*"'),  # passrole-wildcard (+ a medium)
    "critical": "Resources:\n" + FUNCTION + """  Anyone:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: "*"}
""",
}
TEMPLATES["suppressed"] = TEMPLATES["critical"].replace("""    Type: AWS::Lambda::Permission
""", """    Type: AWS::Lambda::Permission
    Metadata:
      permcheck:
        ignore: [{rule: public-invoke, reason: a public endpoint by design}]
""")
WORST = {"clean": None, "low": "low", "medium": "medium", "high": "high", "critical": "critical",
         "suppressed": None}
RANK = {None: -1, "low": 0, "medium": 1, "high": 2, "critical": 3}


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("templates")
    paths = {}
    for name, text in TEMPLATES.items():
        paths[name] = folder / f"{name}.yaml"
        paths[name].write_text(text)
    (folder / "not-a-template.json").write_text('{"hello": "world"}\n')
    (folder / "broken.yaml").write_text("Resources:\n  A: [unclosed\n")
    return paths


def assert_one_document(result) -> dict:
    """stdout is exactly one JSON document (json.loads refuses trailing data), stderr is quiet."""
    document = json.loads(result.out)
    assert isinstance(document, dict)
    return document


def assert_usage_or_input_error(result) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.out == ""
    assert result.err.startswith("permcheck: error: ") and result.err.endswith("\n")
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


# ----------------------------------------------------------------------------- check: 0 and 1

def test_the_templates_find_what_they_say(templates):
    for name, worst in WORST.items():
        found = run("check", str(templates[name]), "--format", "json").json()["findings"]
        active = [f["severity"] for f in found if f["suppressed"] is None]
        assert max(active, key=RANK.get, default=None) == worst, (name, found)
    assert [f["suppressed"]["by"] for f in run("check", str(templates["suppressed"]), "--format", "json")
            .json()["findings"]] == ["template"]


@pytest.mark.parametrize("fmt", CHECK_FORMATS)
@pytest.mark.parametrize("fail_on", [None, "low", "medium", "high", "critical"])
@pytest.mark.parametrize("name", list(TEMPLATES))
def test_check_fails_exactly_at_or_above_fail_on(templates, name, fail_on, fmt):
    args = ["check", str(templates[name]), "--format", fmt] + (["--fail-on", fail_on] if fail_on else [])
    result = run(*args)
    threshold = RANK[fail_on or "high"]  # the contract's default
    expected = 1 if RANK[WORST[name]] >= threshold else 0
    assert result.code == expected, (result.out, result.err)
    assert result.err == ""
    if fmt != "text":
        document = assert_one_document(result)
        assert ("findings" in document) if fmt == "json" else (document["version"] == "2.1.0")


def test_fail_on_from_the_configuration_and_the_option_wins(templates, tmp_path):
    config = tmp_path / "permcheck.toml"
    config.write_text('fail_on = "low"\n')
    assert run("check", str(templates["low"]), "--config", str(config)).code == 1
    assert run("check", str(templates["low"]), "--config", str(config), "--fail-on", "medium").code == 0
    config.write_text('fail_on = "critical"\n')
    assert run("check", str(templates["high"]), "--config", str(config)).code == 0


@pytest.mark.parametrize("fmt", CHECK_FORMATS)
def test_suppressed_findings_never_fail(templates, tmp_path, fmt):
    assert run("check", str(templates["suppressed"]), "--fail-on", "low", "--format", fmt).code == 0
    config = tmp_path / "permcheck.toml"
    config.write_text('[[ignore]]\nrule = "public-invoke"\nreason = "reviewed"\n')
    result = run("check", str(templates["critical"]), "--config", str(config), "--fail-on", "low", "--format", fmt)
    assert result.code == 0
    if fmt == "json":
        assert [f["suppressed"] for f in assert_one_document(result)["findings"]] == [
            {"reason": "reviewed", "by": "config"}]


@pytest.mark.parametrize("fmt", CHECK_FORMATS)
def test_example_app_fails_by_default(fmt):
    result = run("check", APP, "--format", fmt)
    assert result.code == 1 and result.err == ""
    if fmt != "text":
        assert_one_document(result)


# ----------------------------------------------------------------------------- check: 2

@pytest.mark.parametrize("fmt", CHECK_FORMATS)
@pytest.mark.parametrize("case", ["missing-file", "not-a-template", "broken-yaml", "unknown-option", "bad-fail-on",
                                  "bad-format", "empty-dir", "bad-config", "bad-rules-dir", "no-path"])
def test_check_bad_input_or_usage_is_exit_2(templates, tmp_path, case, fmt):
    good = str(templates["clean"])
    folder = templates["clean"].parent
    args = {
        "missing-file": [str(folder / "nope.yaml")],
        "not-a-template": [str(folder / "not-a-template.json")],
        "broken-yaml": [str(folder / "broken.yaml")],
        "unknown-option": [good, "--no-such-option"],
        "bad-fail-on": [good, "--fail-on", "severe"],
        "bad-format": [good],
        "empty-dir": [str(tmp_path)],
        "bad-config": [good, "--config", str(folder / "nope.toml")],
        "bad-rules-dir": [good, "--rules", str(folder / "no-rules-here")],
        "no-path": [],
    }[case]
    result = run("check", *args, "--format", "yaml" if case == "bad-format" else fmt)
    assert_usage_or_input_error(result)


def test_a_failing_rule_is_exit_2_even_with_findings(monkeypatch):
    """A bug in one rule fails closed (exit 2), after the other rules' findings are written."""
    from permcheck.rules import engine

    real = engine.run_rule

    def broken(spec, *args, **kwargs):
        if spec.id == "service-wildcard-action":
            raise RuntimeError("boom")
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(engine, "run_rule", broken)
    for fmt in CHECK_FORMATS:
        result = run("check", APP, "--format", fmt)
        assert result.code == 2
        assert result.err.startswith("permcheck: error: ") and "rule service-wildcard-action failed" in result.err
        if fmt == "json":
            document = assert_one_document(result)
            assert document["errors"] and document["findings"]


# ----------------------------------------------------------------------------- the queries

QUERIES = {
    "who-can-invoke": ["who-can-invoke", "PartnerSyncFunction", APP],
    "what-can-access": ["what-can-access", "NightlyReportFunction", APP],
    "can": ["can", PARTNER, "lambda:InvokeFunction", SYNC, APP],
}


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("command", list(QUERIES))
def test_queries_succeed_with_0(command, fmt):
    result = run(*QUERIES[command], "--format", fmt)
    assert result.code == 0 and result.err == ""
    if fmt == "json":
        assert_one_document(result)
    else:
        assert result.out.strip()


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("command", list(QUERIES))
@pytest.mark.parametrize("case", ["missing-file", "not-a-template", "unknown-option", "bad-format", "unknown-name"])
def test_queries_bad_input_or_usage_is_exit_2(templates, command, case, fmt):
    args = list(QUERIES[command])
    if case == "missing-file":
        args[-1] = "does/not/exist.yaml"
    elif case == "not-a-template":
        args[-1] = str(templates["clean"].parent / "not-a-template.json")
    elif case == "unknown-option":
        args.append("--frobnicate")
    elif case == "unknown-name":
        args[1] = "NoSuchThing"
    result = run(*args, "--format", "xml" if case == "bad-format" else fmt)
    assert_usage_or_input_error(result)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_can_is_0_whatever_the_decision_and_expect_asserts_it(fmt):
    # denied: the partner's role may not invoke a function no statement opens to it
    other = "arn:aws:lambda:us-east-1:123456789012:function:orders-nightly-report"
    denied = run("can", PARTNER, "lambda:InvokeFunction", other, APP, "--format", fmt)
    assert denied.code == 0
    conditional = run("can", "events.amazonaws.com", "lambda:InvokeFunction", other, APP, "--format", fmt)
    assert conditional.code == 0
    if fmt == "json":
        assert assert_one_document(denied)["decision"] == "denied"
        assert assert_one_document(conditional)["decision"] == "conditional"
    cases = [(PARTNER, SYNC, "allowed"), (PARTNER, other, "denied"), ("events.amazonaws.com", other, "conditional")]
    for principal, resource, decision in cases:
        for expect in ("allowed", "denied", "conditional"):
            result = run("can", principal, "lambda:InvokeFunction", resource, APP, "--expect", expect, "--format", fmt)
            assert result.code == (0 if expect == decision else 1), (principal, resource, expect)
            if fmt == "json":
                assert assert_one_document(result)["decision"] == decision  # the answer is still written


def test_can_expect_takes_only_a_decision():
    result = run("can", PARTNER, "lambda:InvokeFunction", SYNC, APP, "--expect", "maybe")
    assert_usage_or_input_error(result)


def test_can_action_must_be_service_colon_action():
    assert_usage_or_input_error(run("can", PARTNER, "InvokeFunction", SYNC, APP))


@pytest.mark.parametrize("fmt", ["json", "dot", "graphml", "mermaid"])
def test_graph_succeeds_with_0(fmt):
    result = run("graph", APP, "--format", fmt)
    assert result.code == 0 and result.err == "" and result.out
    if fmt == "json":
        assert_one_document(result)


@pytest.mark.parametrize("case", ["missing-file", "not-a-template", "unknown-option", "bad-format", "no-path"])
def test_graph_bad_input_or_usage_is_exit_2(templates, case):
    args = {
        "missing-file": ["does/not/exist.yaml"],
        "not-a-template": [str(templates["clean"].parent / "not-a-template.json")],
        "unknown-option": [APP, "--frobnicate"],
        "bad-format": [APP, "--format", "svg"],
        "no-path": [],
    }[case]
    assert_usage_or_input_error(run("graph", *args))


@pytest.mark.parametrize("args", [[], ["no-such-command"], ["--frobnicate"]])
def test_no_or_unknown_command_is_exit_2(args):
    assert_usage_or_input_error(run(*args))


def test_help_and_version_are_0():
    for args in (["--help"], ["--version"], ["check", "--help"], ["can", "-h"]):
        result = run(*args)
        assert result.code == 0 and result.out and result.err == ""
