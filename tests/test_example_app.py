"""The example app: answers pinned by golden files and by the reviewer's ground truth.

fixtures/example-app/EXPECTED.md was reasoned by hand from the template and the AWS
documentation; its spot-check table runs here row by row through `permcheck can`, so the
page and the tool cannot drift apart. The golden files pin the full JSON of every
who-can-invoke and what-can-access answer (regenerate with `pytest --update-golden`).
"""

from __future__ import annotations

import json
import re
import shlex

import pytest

from tests.cli_helpers import run
from tests.conftest import ROOT

APP = "fixtures/example-app"
GOLDEN = ROOT / "tests" / "golden" / "example-app"
FUNCTIONS = ["OrdersApiFunction", "OrderWorkerFunction", "NightlyReportFunction", "PartnerSyncFunction",
             "WebhookFunction", "ImportFunction", "FulfilFunction"]
ROLES = ["orders-api-role", "orders-worker-role", "orders-nightly-report-role", "orders-partner-sync-role",
         "orders-webhook-role", "orders-key-admin", "orders-import-role", "orders-fulfil-role",
         "orders-fulfilment-sfn-role"]
PREFIXES = {"R": "arn:aws:iam::123456789012:role/", "F": "arn:aws:lambda:us-east-1:123456789012:function:",
            "B": "arn:aws:s3:::example-orders-reports-123456789012",
            "P": "arn:aws:iam::210987654321:role/partner-integration"}


def _spot_checks() -> list[tuple[str, str, str, list[str], str]]:
    text = (ROOT / APP / "EXPECTED.md").read_text()
    table = text.split("## Spot checks", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].startswith("`"):
            continue
        principal, action, resource = (_expand(c) for c in cells[:3])
        options = shlex.split(cells[3].replace("`", "")) if cells[3] else []
        decision = re.sub(r"[^a-z].*", "", cells[4].replace("*", "").strip())
        rows.append((principal, action, resource, options, decision))
    return rows


def _expand(cell: str) -> str:
    value = cell.replace("`", "")
    for prefix, full in PREFIXES.items():
        if value.startswith(prefix) and (len(value) == 1 or not value[1].isalpha() or prefix in "RF"):
            if value == prefix or value[1] in "/" or prefix in "RF":
                return full + value[1:]
    return value


SPOT_CHECKS = _spot_checks()


def test_spot_check_table_is_read():
    assert len(SPOT_CHECKS) >= 25


@pytest.mark.parametrize("principal,action,resource,options,expected", SPOT_CHECKS,
                         ids=[f"{r[0].rsplit('/', 1)[-1]} {r[1]} {r[2].rsplit(':', 1)[-1]} {' '.join(r[3])}"
                              for r in SPOT_CHECKS])
def test_spot_check(principal, action, resource, options, expected):
    result = run("can", principal, action, resource, APP, *options, "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["decision"] == expected


def _golden(name: str, data: dict, update: bool) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}: run pytest --update-golden and review it"
    assert text == path.read_text()


@pytest.mark.parametrize("function", FUNCTIONS)
def test_who_can_invoke_golden(function, update_golden):
    result = run("who-can-invoke", function, APP, "--format", "json")
    assert result.code == 0, result.err
    _golden(f"who-can-invoke-{function}", result.json(), update_golden)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_who_can_trigger_golden(function, update_golden):
    result = run("who-can-trigger", function, APP, "--format", "json")
    assert result.code == 0, result.err
    _golden(f"who-can-trigger-{function}", result.json(), update_golden)


def _expected_triggers() -> dict[str, list[tuple[str, str, str]]]:
    """EXPECTED.md's who-can-trigger table: function → sorted (principal, decision, through)."""
    table = (ROOT / APP / "EXPECTED.md").read_text().split("## who-can-trigger", 1)[1].split("\n## ", 1)[0]
    out: dict[str, list] = {name: [] for name in FUNCTIONS}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        principal = None if cells[1] == "(AWS)" else _expand(cells[1])
        out[cells[0].strip("`")].append((principal, cells[2], cells[3]))
    return {name: sorted(rows, key=str) for name, rows in out.items()}


def _through(path: list[dict]) -> str:
    """The sources fired and functions run on a path, in the table's words."""
    names = []
    for hop in path:
        if "source" in hop:
            arn = hop["resource"]
            names.append(arn.split(":::", 1)[1] if ":::" in arn else arn.split(":", 5)[5])
        elif "runs_as" in hop:
            names.append(hop["function"].rsplit(":", 1)[1])
    return " → ".join(names[:-1] if names and "runs_as" in path[-1] else names)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_who_can_trigger_matches_expected_md(function):
    """EXPECTED.md, section `who-can-trigger`: every path by principal, decision and what it passes."""
    answer = run("who-can-trigger", function, APP, "--format", "json").json()
    got = sorted(((t["principal"], t["decision"], _through(t["path"])) for t in answer["triggers"]), key=str)
    assert got == _expected_triggers()[function]


def test_who_can_trigger_table_is_read():
    assert sum(len(rows) for rows in _expected_triggers().values()) >= 20


@pytest.mark.parametrize("role", ROLES)
def test_what_can_access_golden(role, update_golden):
    result = run("what-can-access", PREFIXES["R"] + role, APP, "--format", "json")
    assert result.code == 0, result.err
    _golden(f"what-can-access-{role}", result.json(), update_golden)


def test_webhook_is_open_to_anyone_through_its_url():
    """EXPECTED.md: `*` may InvokeFunctionUrl unconditionally (AuthType NONE is known)."""
    entries = run("who-can-invoke", "WebhookFunction", APP, "--format", "json").json()["principals"]
    url = [e for e in entries if e["principal"] == "*" and "lambda:InvokeFunctionUrl" in e["actions"]]
    assert url and url[0]["decision"] == "allowed" and url[0]["conditions"] == []
    assert url[0]["because"][0]["line"] == 435


def test_partner_invoke_says_identity_side_not_analysed():
    entries = run("who-can-invoke", "partner-sync", APP, "--format", "json").json()["principals"]
    assert [(e["principal"], e["decision"]) for e in entries] == [(PREFIXES["P"], "allowed")]
    assert "not analysed" in entries[0]["notes"][0]


def test_api_permission_depends_on_the_generated_api_id():
    entries = run("who-can-invoke", "OrdersApiFunction", APP, "--format", "json").json()["principals"]
    assert entries[0]["principal"] == "apigateway.amazonaws.com"
    assert entries[0]["decision"] == "conditional"
    assert {"unknown": f"generated REST API id of OrdersApi in {APP}/template.yaml"} in entries[0]["conditions"]


def test_text_output_is_a_table_with_file_and_line():
    result = run("who-can-invoke", "NightlyReportFunction", APP)
    assert result.code == 0
    assert "events.amazonaws.com" in result.out and "template.yaml:410" in result.out


def test_check_golden(update_golden):
    """The whole `check` document; EXPECTED.md's `check` table is pinned in tests/rules/test_check.py."""
    result = run("check", APP, "--format", "json")
    assert result.code == 1, result.err
    _golden("check", result.json(), update_golden)


def test_check_text_golden(update_golden):
    result = run("check", APP)
    assert result.code == 1, result.err
    path = GOLDEN / "check.txt"
    if update_golden:
        path.write_text(result.out)
    assert result.out == path.read_text()
