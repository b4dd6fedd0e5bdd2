"""One unreadable file among good ones: the good ones are analysed and shown, and the run
still exits 2 with the error — in text, JSON and SARIF alike (fail closed, never a pass)."""

import json
import shutil

import pytest

from tests.cli_helpers import run
from tests.conftest import ROOT

BAD = "Resources:\n  X: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Effect: Deny}]}}}\n"


@pytest.fixture
def mixed(tmp_path):
    shutil.copy(ROOT / "fixtures" / "example-app" / "template.yaml", tmp_path / "good.yaml")
    (tmp_path / "bad.yaml").write_text(BAD)
    return tmp_path


@pytest.mark.parametrize("command", [["who-can-invoke", "WebhookFunction"], ["what-can-access", "WebhookFunction"],
                                     ["can", "*", "lambda:InvokeFunctionUrl", "orders-webhook"], ["check"]])
def test_good_files_are_analysed_and_the_run_exits_2(mixed, command):
    result = run(*command, str(mixed), "--format", "json")
    assert result.code == 2
    document = json.loads(result.out)
    message = ("duplicate key 'Effect' twice on line 2: CloudFormation would keep the second value and silently drop "
               "the first; keep one of them")
    assert document["errors"] == [f"{mixed / 'bad.yaml'}:2: {message}"]
    assert result.err.strip() == f"permcheck: error: {mixed / 'bad.yaml'}:2: {message}"
    assert len(document) > 1  # the answer from good.yaml is there


def test_check_reports_the_good_files_findings_with_the_error(mixed):
    result = run("check", str(mixed), "--format", "json")
    assert {f["rule"] for f in result.json()["findings"]} >= {"public-invoke", "cross-account-invoke"}
    text = run("check", str(mixed))
    assert text.code == 2 and "public-invoke" in text.out and "duplicate key 'Effect'" in text.err


def test_sarif_marks_the_run_unsuccessful(mixed):
    result = run("check", str(mixed), "--format", "sarif")
    assert result.code == 2
    invocation = json.loads(result.out)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "duplicate key" in json.dumps(invocation["toolExecutionNotifications"])


def test_text_and_graph_exit_2_too(mixed):
    assert run("who-can-invoke", "WebhookFunction", str(mixed)).code == 2
    assert run("graph", str(mixed), "--format", "dot").code == 2


def test_diff_refuses_a_side_it_cannot_read_entirely(mixed, tmp_path):
    good = tmp_path / "only-good"
    good.mkdir()
    shutil.copy(mixed / "good.yaml", good / "good.yaml")
    result = run("diff", str(good), str(mixed))
    assert result.code == 2 and "duplicate key 'Effect'" in result.err


def test_error_lines_cannot_carry_terminal_control(tmp_path):
    name = tmp_path / "x.yaml"
    name.write_text('Resources:\n  "X\\e[2J\\r\\npermcheck: all clear": {Properties: {}}\n')
    result = run("check", str(name))
    assert result.code == 2
    assert "has no Type" in result.err and "all clear" in result.err
    assert "\x1b" not in result.err and "\r" not in result.err
    assert all(line.startswith("permcheck: error: ") for line in result.err.splitlines())


def test_principals_that_name_no_caller_are_named_cases_not_swallowed_errors():
    """`Index.caller_if_any`: an IAM group, policy or identity provider, or an unresolved principal,
    names no caller (None); anything else that is no principal is still an error."""
    import pytest

    from permcheck.graph.index import Index
    from permcheck.model.entities import Inventory
    from permcheck.model.location import InputError

    index = Index(Inventory())
    for text in ("arn:aws:iam::123456789012:group/admins", "arn:aws:iam::123456789012:policy/p",
                 "arn:aws:iam::123456789012:saml-provider/okta", "${?parameter Partner in t.yaml}"):
        assert index.caller_if_any(text) is None, text
    assert index.caller_if_any("arn:aws:iam::123456789012:role/r").arn == "arn:aws:iam::123456789012:role/r"
    with pytest.raises(InputError):
        index.caller_if_any("arn:aws:s3:::not-a-principal")
