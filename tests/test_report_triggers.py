"""`permcheck report`: each function's section shows who can make it run (who-can-trigger) —
the paths through event sources and other functions, hop by hop in the terminal's words, with
where each hop is decided; public and cross-account principals highlighted; capped per function,
and on a monorepo asked only while the page's budget lasts.

How services invoke Lambda (sync, async, and the event source mappings that poll with the
function's own role): https://docs.aws.amazon.com/lambda/latest/dg/lambda-invocation.html
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.test_report_html import EXAMPLE, build

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders-queue"
WEBHOOK = "arn:aws:lambda:us-east-1:123456789012:function:orders-webhook"
WEBHOOK_ROLE = "arn:aws:iam::123456789012:role/orders-webhook-role"
WORKER_ROLE = "arn:aws:iam::123456789012:role/orders-worker-role"


@pytest.fixture(scope="module")
def example():
    return build(EXAMPLE)


@pytest.fixture(scope="module")
def page(example) -> str:
    from permcheck.report.html import render_html

    return render_html(example[0])


def _fn(model: dict, name: str) -> dict:
    return next(f for f in model["functions"] if f["name"] == name)


def _section(page: str, name: str) -> str:
    return page.split(f"<h3>{name}</h3>", 1)[1].split('<div class="subject"', 1)[0]


def _line(file: str, line: int) -> str:
    return (EXAMPLE.parent.parent / file).read_text().splitlines()[line - 1]


# -- the model ----------------------------------------------------------------------------------------
def test_the_worker_runs_when_the_webhook_role_sends_to_the_queue_it_polls(example):
    worker = _fn(example[0], "orders-worker")
    (path,) = [r for r in worker["triggers"] if r["principal"] == WEBHOOK_ROLE]
    assert path["decision"] == "allowed" and not path["public"] and not path["cross_account"]
    send, source, read = path["path"]
    assert (send["action"], send["resource"], send["decision"]) == ("sqs:SendMessage", QUEUE, "allowed")
    assert "Sid: EnqueueOrders" in _line(send["because"][0]["file"], send["because"][0]["line"])
    assert (source["source"], source["resource"], source["invocation"]) == ("sqs", QUEUE, "poll")
    wiring = source["because"][0]
    assert wiring["policy"] == "OrderWorkerEventSourceMapping"
    assert "AWS::Lambda::EventSourceMapping" in _line(wiring["file"], wiring["line"])
    assert (read["principal"], read["action"], read["decision"]) == (WORKER_ROLE, "sqs:ReceiveMessage", "allowed")


def test_anyone_makes_the_worker_run_through_the_public_webhook(example):
    worker = _fn(example[0], "orders-worker")
    (path,) = [r for r in worker["triggers"] if r["principal"] == "*"]
    assert path["public"] and path["decision"] == "allowed"
    hops = path["path"]
    assert (hops[0]["action"], hops[0]["resource"]) == ("lambda:InvokeFunctionUrl", WEBHOOK)
    assert hops[1] == {"function": WEBHOOK, "runs_as": WEBHOOK_ROLE}
    assert [h.get("source") for h in hops[2:]] == [None, "sqs", None]  # then the webhook role's path
    lengths = [len(r["path"]) for r in worker["triggers"]]
    assert lengths == sorted(lengths) and len(path["path"]) > lengths[0]  # shortest paths first


def test_the_rows_are_the_contracts_json_of_who_can_trigger(example):
    """The page's rows are the command's (answers_json.Renderer), less the direct invokes that the
    who-can-invoke table above shows."""
    from permcheck.graph.triggers import who_can_trigger
    from permcheck.report.answers_json import to_json

    model, edges = example
    functions = edges.index.inventory.functions
    for entry in model["functions"]:
        expected = [r for r in to_json(who_can_trigger(edges, functions[entry["arn"]]))["triggers"]
                    if len(r["path"]) > 1]
        shown = [{k: v for k, v in r.items() if k not in ("public", "cross_account")} for r in entry["triggers"]]
        assert shown == expected[:len(shown)] and len(shown) + entry["triggers_omitted"] == len(expected)
        assert [len(r["path"]) for r in shown] == sorted(len(r["path"]) for r in shown)


def test_paths_are_capped_per_function_keeping_public_ones(monkeypatch):
    from permcheck.report import html_model
    from permcheck.report.html import render_html

    monkeypatch.setattr(html_model, "MAX_PATHS", 1)
    model, _ = build(EXAMPLE)
    worker = _fn(model, "orders-worker")
    assert [r["principal"] for r in worker["triggers"]] == ["*"] and worker["triggers_omitted"] >= 3
    section = _section(render_html(model), "orders-worker")
    assert (f'{worker["triggers_omitted"]} more paths are not shown: <code>permcheck who-can-trigger '
            f'{worker["arn"]} PATH... --format json</code>') in section


# -- the page ------------------------------------------------------------------------------------------
def test_the_worker_section_says_each_path_hop_by_hop(page, example):
    section = _section(page, "orders-worker")
    block = section[section.index("<h4>Who can make it run</h4>"):]
    assert '<table class="triggers">' in block
    rows = re.findall(r"<tr class=\"([a-z ]+)\" data-filter>(.*?)</tr>", block)
    public = [cells for tone, cells in rows if tone == "allowed public"]
    assert len(public) == 1 and '<code>*</code> <span class="tag public">public</span>' in public[0]
    text = unescape(re.sub(r"<[^>]+>", "", public[0]))
    assert f"→ runs {WEBHOOK} as {WEBHOOK_ROLE}" in text
    assert f"→ sqs records on {QUEUE} (poll)" in text
    assert f"{WORKER_ROLE}: sqs:ReceiveMessage on {QUEUE}: allowed" in text
    for path in _fn(example[0], "orders-worker")["triggers"]:  # where each hop is decided
        for hop in path["path"]:
            for entry in hop.get("because", ()):
                assert f'<code>{entry["file"]}:{entry["line"]}</code>' in block


def test_the_page_and_the_terminal_say_a_path_in_the_same_words(page, example):
    from permcheck.report.console import _hop

    section = _section(page, "orders-worker")
    items = [unescape(re.sub(r"<[^>]+>", "", re.sub(r'<div class="via">.*?</div>', "", li)))
             for li in re.findall(r"<li>(.*?)</li>", section)]
    worker = _fn(example[0], "orders-worker")
    said = [_hop(hop).split("\n")[0] for path in worker["triggers"] for hop in path["path"]]
    assert items == said


def test_direct_invokes_are_the_table_above_not_repeated(page, example):
    for fn in example[0]["functions"]:
        assert all(len(r["path"]) > 1 for r in fn["triggers"])
    webhook = _section(page, "orders-webhook")
    assert webhook.index('<table class="invokers">') < webhook.index("<h4>Who can make it run</h4>")
    invokers = webhook[:webhook.index("<h4>")]
    assert '<tr class="allowed public" data-filter><td><code>*</code>' in invokers


def test_hop_words_name_the_route_authorization():
    from permcheck.report.wording import hop_parts

    hop = {"source": "execute-api", "event": "POST /orders", "invocation": "sync", "authorization": "AWS_IAM",
           "resource": "arn:aws:execute-api:us-east-1:1:api/*/POST/orders", "because": []}
    assert "".join(t for _, t in hop_parts(hop)) == \
        "→ execute-api POST /orders on arn:aws:execute-api:us-east-1:1:api/*/POST/orders (sync, authorization AWS_IAM)"
    assert ("invocation", "sync") in hop_parts(hop)


# -- a monorepo ----------------------------------------------------------------------------------------
def test_a_monorepo_asks_paths_only_while_its_budget_lasts(monkeypatch):
    from permcheck.report import html_apps
    from permcheck.report.html import render_html

    model, _ = build("tests/data/monorepo")
    shown = [f for f in model["functions"] if "compact" not in f]
    assert shown and all(f["triggers"] is not None for f in shown)
    assert render_html(model).count("<h4>Who can make it run</h4>") == len(shown)
    monkeypatch.setattr(html_apps, "PATH_BUDGET", 0)
    model, _ = build("tests/data/monorepo")
    assert all(f["triggers"] is None for f in model["functions"])
    assert "Who can make it run: <code>permcheck who-can-trigger " in render_html(model)
