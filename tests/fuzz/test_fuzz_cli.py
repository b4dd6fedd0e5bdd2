"""Fuzzing the real command line with generated inputs: valid, slightly broken and hostile.

Whatever a pull request brings, permcheck must fail closed and clearly (README, "Robustness";
STYLE.md principle 8). For every generated input and every query command, and `check`:
- no traceback, no internal error and no "bug in permcheck" message, ever (tests/cli_helpers.py,
  BUG_SIGNS: each comes as a clean exit 2, so the exit code alone would let it pass);
- the exit code is 0, 1 or 2, and it is 2 exactly when stderr holds a `permcheck: error:` line;
- with `--format json` and exit 0, stdout is one JSON document;
- `check`: no rule fails at run time.
Tests at the end make sure these checks see what permcheck prints for each kind of bug.

The suite runs 60 examples per command (about 10 s in all on 2 cores). A long run:
    PERMCHECK_FUZZ_EXAMPLES=5000 python -m pytest tests/fuzz -p no:cacheprovider
and, when a case fails, `PERMCHECK_DEBUG=1` makes the command line raise, so the shrunk example
comes with its traceback. Every bug found is pinned with `@example` below.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.cli_helpers import Result, bug_signs, run
from tests.fuzz.strategies import ACTIONS, FIXTURES, FUNCTION_IDS, PRINCIPAL_IDS, RESOURCES, Input, inputs

# The suite's run is derandomized (the same examples each time: CI stays reproducible); a long
# run with PERMCHECK_FUZZ_EXAMPLES set draws new examples each time.
EXAMPLES = int(os.environ.get("PERMCHECK_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="PERMCHECK_FUZZ_EXAMPLES" not in os.environ,
                print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])

# A second, valid input beside the generated one: a directory walk, as a repository is read.
GOOD = """\
Resources:
  Neighbour:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: neighbour
      Role: arn:aws:iam::123456789012:role/neighbour-role
"""

OPTIONS = st.lists(st.sampled_from([
    ("--closed-context",), ("--context", "aws:SourceAccount=123456789012"), ("--context", "aws:SecureTransport=true"),
    ("--parameter", "Env=prod"), ("--parameter", "Env=dev"), ("--account", "210987654321"), ("--region", "eu-west-1"),
]), max_size=2, unique=True).map(lambda groups: [arg for group in groups for arg in group])
FORMATS = st.sampled_from(["json", "json", "json", "text"])
WALK = st.sampled_from([False, False, True, "snapshot"])


def _check(result: Result, fmt: str) -> None:
    """The properties every run must have."""
    assert not bug_signs(result.err + result.out), result  # exit 2 with "internal error: …" is still a bug
    assert result.code in (0, 1, 2), result
    errors = [line for line in result.err.splitlines() if line.startswith("permcheck: error:")]
    assert (result.code == 2) == bool(errors), result
    if result.code == 2:
        assert len(errors) == 1, result.err
    if result.code == 0 and fmt == "json":
        json.loads(result.out)


SNAPSHOT = FIXTURES / "snapshots" / "app-account" / "authorization-details.json"
TEMPLATE = FIXTURES / "example-app" / "template.yaml"


def _run(generated: Input, walk: bool | str, *args: str, fmt: str) -> Result:
    """Run the command on the generated file alone, or on a directory holding it and a neighbour:
    a small template (walk=True) or an account snapshot (walk="snapshot")."""
    with tempfile.TemporaryDirectory(prefix="permcheck-fuzz-") as tmp:
        root = Path(tmp)
        (root / generated.name).write_bytes(generated.data)
        if walk == "snapshot":
            (root / "account.json").write_bytes(SNAPSHOT.read_bytes())
        elif walk:
            (root / "neighbour.yaml").write_text(GOOD)
        result = run(*args[:-1], str(root) if walk else str(root / generated.name), *args[-1], "--format", fmt)
    _check(result, fmt)
    return result


# Bugs found, kept as examples. A lone UTF-16 surrogate (`"\ud800"`) decoded from JSON reached the
# text renderer, which cannot encode it: "internal error: UnicodeEncodeError" (load/decode.py now
# refuses it, and snapshot.json_document decodes policy strings the same way).
LONE_SURROGATE = Input("template.json", b'{"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": '
                       b'{"FunctionName": "f\\ud800", "Role": "arn:aws:iam::123456789012:role/r"}}, "P": {"Type": '
                       b'"AWS::Lambda::Permission", "Properties": {"Action": "lambda:InvokeFunction", '
                       b'"FunctionName": {"Ref": "Fn"}, "Principal": "sns.amazonaws.com"}}}}', "bug: lone surrogate")
LONE_SURROGATE_IN_GET_POLICY = Input("get-policy.json", json.dumps({"Policy": json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com\ud800"},
                                            "Action": "lambda:InvokeFunction", "Resource": FUNCTION_IDS[2]}]})}).encode(),
                                     "bug: lone surrogate in a get-policy string")


@FUZZ
@given(inputs(), st.sampled_from(FUNCTION_IDS), WALK, OPTIONS, FORMATS)
@example(LONE_SURROGATE, "Fn", False, [], "text")
@example(LONE_SURROGATE_IN_GET_POLICY, FUNCTION_IDS[2], False, [], "text")
def test_who_can_invoke_never_crashes(generated: Input, function: str, walk: bool, options: list[str], fmt: str):
    _run(generated, walk, "who-can-invoke", function, options, fmt=fmt)


@FUZZ
@given(inputs(), st.sampled_from(PRINCIPAL_IDS), WALK, OPTIONS, FORMATS)
def test_what_can_access_never_crashes(generated: Input, principal: str, walk: bool, options: list[str], fmt: str):
    _run(generated, walk, "what-can-access", principal, options, fmt=fmt)


@FUZZ
@given(inputs(), st.sampled_from(PRINCIPAL_IDS), st.sampled_from(ACTIONS), st.sampled_from(RESOURCES), WALK,
       OPTIONS, st.sampled_from([[], ["--expect", "allowed"], ["--expect", "denied"]]), FORMATS)
def test_can_never_crashes(generated: Input, principal: str, action: str, resource: str, walk: bool,
                           options: list[str], expect: list[str], fmt: str):
    result = _run(generated, walk, "can", principal, action, resource, options + expect, fmt=fmt)
    assert result.code != 1 or expect, "exit 1 only for --expect"


@FUZZ
@given(inputs(), WALK, st.sampled_from(["json", "json", "dot", "graphml", "mermaid"]))
def test_graph_never_crashes(generated: Input, walk: bool, fmt: str):
    result = _run(generated, walk, "graph", [], fmt=fmt)
    assert result.code in (0, 2)


@FUZZ
@given(inputs(), WALK, OPTIONS, st.sampled_from(["json", "json", "sarif", "text"]))
def test_check_never_crashes(generated: Input, walk: bool, options: list[str], fmt: str):
    """The pre-commit path: besides the properties above, no rule fails at run time (rules/run.py
    reports a rule's bug as "FILE: rule ID failed: …", in every format, and its findings are missing)."""
    result = _run(generated, walk, "check", options, fmt=fmt)
    assert not RULE_FAILED.search(result.out + result.err), result


RULE_FAILED = re.compile(r"\brule [\w-]+ failed: ")


def test_a_failed_rule_is_caught_by_the_check_fuzz(monkeypatch):
    from permcheck.rules import engine

    def broken(*_args, **_kwargs):
        raise KeyError("a bug")
    monkeypatch.setattr(engine, "run_rule", broken)
    for fmt in ("json", "sarif", "text"):
        result = run("check", str(TEMPLATE), "--format", fmt)
        assert RULE_FAILED.search(result.out + result.err), (fmt, result)


# -- the checks above catch what permcheck prints for a bug of its own (never only a traceback) --------

def test_an_internal_error_is_a_clean_exit_2_that_the_fuzz_check_rejects(monkeypatch):
    from permcheck.graph import query

    def broken(*_args, **_kwargs):
        raise KeyError("a bug")
    monkeypatch.delenv("PERMCHECK_DEBUG", raising=False)
    monkeypatch.setattr(query, "who_can_invoke", broken)
    result = run("who-can-invoke", "OrdersApiFunction", str(TEMPLATE), "--format", "json")
    assert result.code == 2 and result.err.startswith("permcheck: error: internal error: KeyError")
    with pytest.raises(AssertionError):
        _check(result, "json")


def test_a_sam_expander_bug_reaches_the_clis_one_line_and_the_fuzz_check_rejects_it(monkeypatch, tmp_path):
    """A bug is not turned into an input error where it happens: it reaches the command line's one
    line (`internal error: …`, exit 2), which fails closed and which the fuzz checks reject."""
    from permcheck.load.sam import expand as sam

    def broken(*_args, **_kwargs):
        raise KeyError("a bug")
    monkeypatch.setattr(sam, "_expand", broken)
    path = tmp_path / "template.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\n" + GOOD)
    result = run("who-can-invoke", "Neighbour", str(path), "--format", "json")
    assert result.code == 2 and result.err.count("\n") == 1 and "internal error: KeyError" in result.err, result
    with pytest.raises(AssertionError):
        _check(result, "json")
