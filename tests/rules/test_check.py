"""`permcheck check` end to end: the example app, the zone of trust, suppressions, config, custom rules."""

import json
import textwrap

from tests.cli_helpers import run
from tests.conftest import ROOT

APP = str(ROOT / "fixtures" / "example-app")
PUBLIC = textwrap.dedent('''\
    Resources:
      Fn:
        Type: AWS::Lambda::Function
        Properties: {FunctionName: f, Role: arn:aws:iam::123456789012:role/r, Runtime: python3.12,
                     Handler: index.handler, Code: {ZipFile: "x"}}
      Anyone:
        Type: AWS::Lambda::Permission
        Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: "*"}
    ''')


def _pairs(result):
    return sorted((f["rule"], f["resource"]) for f in result.json()["findings"] if f["suppressed"] is None)


def test_example_app_findings_match_expected_md():
    """fixtures/example-app/EXPECTED.md, section `check`."""
    result = run("check", APP, "--format", "json")
    assert result.code == 1  # a critical finding, --fail-on high by default
    assert _pairs(result) == [
        ("cross-account-invoke", "PartnerInvokePermission"),
        ("cross-account-resource-policy", "OrdersTopicPolicy"),
        ("cross-account-resource-policy", "ReportsBucketPolicy"),
        ("cross-account-resource-policy", "UploadsBucketPolicy"),
        ("public-invoke", "WebhookUrlPermission"),
        ("public-trigger-to-privilege", "UploadsBucket"),
        ("public-trigger-to-privilege", "WebhookUrlPermission"),
        ("service-wildcard-action", "ImportRole"),
        ("service-wildcard-action", "NightlyReportRole"),
        ("wildcard-resource-write", "NightlyReportRole"),
    ]
    assert result.json()["errors"] == []


def test_trusted_accounts_remove_the_cross_account_findings(tmp_path):
    config = tmp_path / "permcheck.toml"
    config.write_text('trusted_accounts = ["210987654321"]\n')
    pairs = _pairs(run("check", APP, "--format", "json", "--config", str(config)))
    assert not {("cross-account-invoke", "PartnerInvokePermission"), ("cross-account-resource-policy",
                "OrdersTopicPolicy"), ("cross-account-resource-policy", "ReportsBucketPolicy")} & set(pairs)
    # anyone is no trusted account: the public drop box stays
    assert ("cross-account-resource-policy", "UploadsBucketPolicy") in pairs
    assert "public-invoke" in {rule for rule, _ in pairs}


def test_inline_suppression_needs_a_reason_and_is_still_reported(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(PUBLIC + "    Metadata:\n      permcheck:\n        ignore:\n"
                        "          - {rule: public-invoke, reason: public webhook by design}\n")
    result = run("check", str(template), "--format", "json")
    assert result.code == 0
    (finding,) = [f for f in result.json()["findings"] if f["rule"] == "public-invoke"]
    assert finding["suppressed"] == {"reason": "public webhook by design", "by": "template"}

    template.write_text(PUBLIC + "    Metadata: {permcheck: {ignore: [{rule: public-invoke}]}}\n")
    result = run("check", str(template))
    assert result.code == 2 and "needs a reason" in result.err
    assert result.err.startswith(f"permcheck: error: {template}:9:")

    template.write_text(PUBLIC + "    Metadata: {permcheck: {ignore: [{rule: public-invok, reason: typo}]}}\n")
    result = run("check", str(template))
    assert result.code == 2 and "'public-invok', which does not exist" in result.err


def test_config_ignore_severity_and_switches(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(PUBLIC)
    config = tmp_path / "c.toml"
    config.write_text('[[ignore]]\nrule = "public-invoke"\nresource = "Any*"\nreason = "reviewed"\n')
    result = run("check", str(template), "--format", "json", "--config", str(config))
    assert result.code == 0
    assert result.json()["findings"][0]["suppressed"] == {"reason": "reviewed", "by": "config"}

    config.write_text('[rules.public-invoke]\nseverity = "medium"\n')
    result = run("check", str(template), "--format", "json", "--config", str(config))
    assert result.code == 0 and result.json()["findings"][0]["severity"] == "medium"
    assert run("check", str(template), "--config", str(config), "--fail-on", "medium").code == 1

    config.write_text('[rules.public-invoke]\nenabled = false\n')
    assert run("check", str(template), "--format", "json", "--config", str(config)).json()["findings"] == []


def test_config_mistakes_are_errors(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(PUBLIC)
    config = tmp_path / "c.toml"
    for text, message in [('[rules.no-such-rule]\nseverity = "low"\n', "no rule has this id"),
                          ('[rules.public-invoke]\nlevel = "low"\n', "takes only"),
                          ('[[ignore]]\nrule = "public-invoke"\n', "needs a reason"),
                          ('[[ignore]]\nrule = "nope"\nreason = "x"\n', "which does not exist")]:
        config.write_text(text)
        result = run("check", str(template), "--config", str(config))
        assert result.code == 2 and message in result.err, (text, result.err)


def test_custom_rules_directory(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "no-lambda-star.rule").write_text(textwrap.dedent('''\
        rule no-lambda-star
        title "Only named callers"
        severity low
        what "w"
        why "y"
        fix "f"
        match
          for g in grants
          where g.target_type == "function" and g.principal_kind == "anyone"
          report "{g.target} is open to {g.principal}"
        '''))
    template = tmp_path / "t.yaml"
    template.write_text(PUBLIC)
    result = run("check", str(template), "--rules", str(rules), "--format", "json")
    found = [f for f in result.json()["findings"] if f["rule"] == "no-lambda-star"]
    assert [f["message"] for f in found] == ["arn:aws:lambda:us-east-1:123456789012:function:f is open to *"]
    listed = run("rules", "--rules", str(rules), "--format", "json").json()
    assert {"id": "no-lambda-star", "builtin": False}.items() <= next(r for r in listed if r["id"] == "no-lambda-star").items()

    (rules / "bad.rule").write_text('rule bad\ntitle "t"\nseverity low\nwhat "w"\nwhy "y"\nfix "f"\n'
                                    'match for g in grants where g.principal_kynd == "x" report "r"\n')
    result = run("check", str(template), "--rules", str(rules))
    assert result.code == 2
    assert f"{rules / 'bad.rule'}:7: column " in result.err and "principal_kynd" in result.err


def test_rules_command_lists_and_documents():
    listed = run("rules", "--format", "json").json()
    assert {r["id"] for r in listed} >= {"public-invoke", "invalid-policy"}
    one = run("rules", "public-invoke", "--format", "json").json()
    assert one[0]["severity"] == "critical" and "aws:SourceAccount" in one[0]["why"]
    assert run("rules", "no-such").code == 2


def test_json_output_is_one_document():
    result = run("check", APP, "--format", "json")
    assert json.loads(result.out)["findings"]


def test_sam_grant_points_at_the_sam_line_and_its_resource_can_suppress_it(tmp_path):
    """A SAM `FunctionUrlConfig: {AuthType: NONE}` is public-invoke on the SAM function, at that
    line; `Metadata` on the SAM function suppresses what SAM generates from it."""
    body = textwrap.dedent('''\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Hook:
            Type: AWS::Serverless::Function
        %s    Properties:
              Runtime: python3.12
              Handler: i.h
              InlineCode: x
              FunctionUrlConfig: {AuthType: NONE}
        ''')
    template = tmp_path / "sam.yaml"
    template.write_text(body % "")
    result = run("check", str(template), "--format", "json")
    (finding,) = [f for f in result.json()["findings"] if f["rule"] == "public-invoke"]
    assert (finding["resource"], finding["line"], result.code) == ("Hook", 9, 1)
    template.write_text(body % "    Metadata: {permcheck: {ignore: [{rule: public-invoke, reason: a public hook}]}}\n")
    result = run("check", str(template), "--format", "json")
    assert result.code == 0
    assert [f["suppressed"] for f in result.json()["findings"] if f["rule"] == "public-invoke"] == \
        [{"reason": "a public hook", "by": "template"}]


def test_a_let_that_fails_is_the_rules_error_and_the_others_still_report(tmp_path, monkeypatch):
    """A `let` whose function fails at run time (a bug, not a finding) is that rule's error, naming the
    binding; it fails closed (exit 2) and the other rules' findings are still written."""
    from permcheck.rules import builtins

    broken = builtins.Builtin(builtins.FUNCTIONS["known_action"].params, builtins.BOOL,
                              lambda action: 1 / 0, "fails")
    monkeypatch.setitem(builtins.FUNCTIONS, "known_action", broken)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "let-fails.rule").write_text(textwrap.dedent('''\
        rule let-fails
        title "A let that fails"
        severity low
        what "w"
        why "y"
        fix "f"
        match
          let known = known_action("s3:GetObject")
          for g in grants
          where known and g.principal_kind == "anyone"
          report "{g.target}"
        '''))
    template = tmp_path / "t.yaml"
    template.write_text(PUBLIC)
    result = run("check", str(template), "--rules", str(rules), "--format", "json")
    assert result.code == 2
    document = result.json()
    assert document["errors"] == [f"{rules / 'let-fails.rule'}: rule let-fails failed: "
                                  "let known: ZeroDivisionError: division by zero"]
    assert {f["rule"] for f in document["findings"]} >= {"public-invoke"}
    assert "let-fails" not in {f["rule"] for f in document["findings"]}
