"""who-can-trigger on every function of every real-sam application, and a few of its answers pinned.

tests/data/corpus/real-sam holds two public collections of whole serverless applications (its
SOURCE.md). Each application (a folder with a `template.yaml` or `samconfig.*`, else a lone template:
load/deployments.py `application_of`) is loaded as the command line loads it (cli/session.py `Run`),
and every function it defines is asked who can make it run, in-process on one `TriggerPaths` per
deployment. Each answer must come back, hold no `denied` path, end every path at the function asked,
and serialise as the contract's JSON (report/answers_json.py, what the command line writes). A few
answers are pinned by what the templates say; the command line itself runs on a handful.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from functools import cache, lru_cache

from permcheck.cli.session import Run
from permcheck.graph.rows import AskHop, RunHop, SourceHop
from permcheck.graph.triggers import TriggerPaths
from permcheck.iam.answer import Decision
from permcheck.load.deployments import application_of
from permcheck.model.location import InputError
from permcheck.report.answers_json import to_json
from tests.cli_helpers import bug_signs, run
from tests.conftest import CORPUS
from tests.corpus.test_triggers_corpus import _templates

REAL_SAM = CORPUS / "real-sam"
SAMPLES = REAL_SAM / "serverless-samples"
TESTS = REAL_SAM / "serverless-test-samples"


@lru_cache(maxsize=1)
def applications() -> dict[str, list[str]]:
    """{application folder (or lone template): its template files}, as `application_of` groups them."""
    out: dict[str, list[str]] = defaultdict(list)
    for path in _templates(REAL_SAM):
        out[application_of(str(path), [str(REAL_SAM)])].append(str(path))
    return dict(out)


def models(files: list[str]) -> list:
    """The models of one application, loaded as the command line loads it (defaults, no configuration)."""
    return Run(files, None, None, (), (), False, None).models("json", collect_errors=False)


@cache
def answers(app: str) -> dict[str, dict]:
    """{function logical id: who-can-trigger as JSON} for one application (one TriggerPaths each)."""
    out = {}
    for model in models(applications()[str(REAL_SAM / app)]):
        paths = TriggerPaths(model.edges)
        for function in model.edges.index.inventory.functions.values():
            out[function.logical_id] = to_json(paths.who_can_trigger(function))
    return out


def _ends_at(edges, function, path) -> bool:
    """Does the path end at `function`? Its last leg (after the last function it runs) is a way into
    it: through a source wired to it, or an invoke of it (a qualifier of it)."""
    runs = [i for i, hop in enumerate(path.hops) if isinstance(hop, RunHop)]
    leg = path.hops[runs[-1] + 1:] if runs else path.hops
    if not leg or not isinstance(leg[-1], AskHop):
        return False
    sources = [hop for hop in leg if isinstance(hop, SourceHop)]
    if sources:
        return edges.index.function_at(sources[-1].trigger.function) is function
    return leg[-1].resource == str(function.arn) or leg[-1].resource.startswith(f"{function.arn}:")


def test_every_function_of_real_sam_answers_who_can_trigger():
    counted = {"applications": 0, "refused": 0, "functions": 0, "paths": 0, "chained": 0}
    start = time.monotonic()
    for files in applications().values():
        try:
            found = models(files)
        except InputError:
            counted["refused"] += 1  # the templates cfn-lint rejects too: test_real_sam.py
            continue
        counted["applications"] += 1
        for model in found:
            edges = model.edges
            paths = TriggerPaths(edges)
            for function in edges.index.inventory.functions.values():
                result = paths.who_can_trigger(function)
                assert result.function == str(function.arn), (files[0], function.logical_id)
                for path in result.triggers:
                    assert path.answer.decision is not Decision.DENIED, (files[0], function.logical_id, path)
                    assert _ends_at(edges, function, path), (files[0], function.logical_id, path)
                written = json.dumps(to_json(result))
                assert not bug_signs(written)
                counted["functions"] += 1
                counted["paths"] += len(result.triggers)
                counted["chained"] += sum(any(isinstance(h, RunHop) for h in p.hops) for p in result.triggers)
    print(f"\nreal-sam who-can-trigger: {counted} in {time.monotonic() - start:.2f} s")
    assert counted["refused"] <= 1  # apigw-vtl-editor: the SAM error cfn-lint reports too
    assert counted["applications"] >= 95 and counted["functions"] >= 110  # 100 and 115 when written
    assert counted["paths"] >= 300 and counted["chained"] >= 4  # 338 and 4 when written


def _rows(app: str, function: str) -> list[tuple]:
    """(principal, decision, the hops in short) of each path into `function` of `app`."""
    def hop(h: dict) -> str:
        if "runs_as" in h:
            return "run"
        if "source" in h:
            return h["source"]
        return f"{h.get('principal', '')}{':' if h.get('principal') else ''}{h['action']} {h['decision']}"
    return [(t["principal"], t["decision"], [hop(h) for h in t["path"]])
            for t in answers(app)[function]["triggers"]]


def _role(app_file: str, logical_id: str) -> str:
    return f"arn:aws:iam::123456789012:role/${{?generated name of {logical_id} in {REAL_SAM / app_file}}}"


def test_an_s3_chain_the_transformer_writes():
    # python-test-samples/async-lambda-dynamodb: ToUppercaseTextTransformer runs on uploads to the
    # source bucket and may write the destination bucket (S3CrudPolicy); DestinationBucketListener
    # runs on the destination bucket's ObjectCreated events (SAM's permission asks SourceAccount only)
    app = "serverless-test-samples/python-test-samples/async-lambda-dynamodb"
    rows = _rows(app, "DestinationBucketListener")
    role = _role(f"{app}/template.yaml", "ToUppercaseTextTransformerRole")
    assert (role, "allowed", ["s3:PutObject allowed", "s3", "s3.amazonaws.com:lambda:InvokeFunction allowed"]) in rows
    # S3 itself runs the transformer (its permission asks the source account, which a direct
    # invoke may not send: conditional), and the transformer's role writes on
    assert ("s3.amazonaws.com", "conditional", ["lambda:InvokeFunction conditional", "run", "s3:PutObject allowed",
                                               "s3", "s3.amazonaws.com:lambda:InvokeFunction allowed"]) in rows


def test_an_sqs_queue_api_gateway_sends_to():
    # python-test-samples/apigw-sqs-lambda-sqs: the API's /inbox integration sends to InputQueue with
    # ApiProcessInputQueuesendmessageRole (apigateway.amazonaws.com may assume it); ProcessInputQueue
    # polls the queue with its own role (SAM's SQSPollerPolicy)
    app = "serverless-test-samples/python-test-samples/apigw-sqs-lambda-sqs"
    rows = _rows(app, "ProcessInputQueue")
    role = _role(f"{app}/template.yaml", "ApiProcessInputQueuesendmessageRole")
    reader = _role(f"{app}/template.yaml", "ProcessInputQueueRole")
    poll = ["sqs:SendMessage allowed", "sqs", f"{reader}:sqs:ReceiveMessage allowed"]
    assert (role, "allowed", poll) in rows
    assert ("apigateway.amazonaws.com", "allowed", poll) in rows


def test_a_websocket_route_without_authorization_is_anyone():
    # serverless-samples/apigw-ws-integrations: the $default route is AuthorizationType NONE and the
    # function's permission names apigateway.amazonaws.com with no SourceArn
    rows = _rows("serverless-samples/apigw-ws-integrations", "DefaultRouteFunction")
    assert ("*", "allowed", ["execute-api:Invoke allowed", "execute-api",
                             "apigateway.amazonaws.com:lambda:InvokeFunction allowed"]) in rows
    assert ("apigateway.amazonaws.com", "allowed", ["lambda:InvokeFunction allowed"]) in rows


def test_a_state_machine_role_runs_its_functions():
    # serverless-samples/apigw-log-analytic/monetization: ReportWorkflowRole (trusted by
    # states.amazonaws.com) may invoke the report functions
    app = "serverless-samples/apigw-log-analytic/monetization"
    rows = _rows(app, "QueryUsageFunction")
    assert (_role(f"{app}/template.yaml", "ReportWorkflowRole"), "allowed", ["lambda:InvokeFunction allowed"]) in rows
    assert ("states.amazonaws.com", "allowed", ["lambda:InvokeFunction allowed"]) in rows


def test_the_command_line_answers_as_the_contract_says():
    asked = [("DestinationBucketListener", "serverless-test-samples/python-test-samples/async-lambda-dynamodb"),
             ("ProcessInputQueue", "serverless-test-samples/python-test-samples/apigw-sqs-lambda-sqs"),
             ("DefaultRouteFunction", "serverless-samples/apigw-ws-integrations"),
             ("BookingsFunction", "serverless-samples/serverless-rest-api/python-rest-sam"),
             ("RecordProcessorFunction", "serverless-test-samples/python-test-samples/kinesis-lambda-dynamodb")]
    for function, app in asked:
        result = run("who-can-trigger", function, str(REAL_SAM / app), "--format", "json")
        assert result.code == 0 and not bug_signs(result.err + result.out), (function, result.err)
        answer = result.json()
        assert set(answer) == {"function", "triggers"} and answer["function"].startswith("arn:aws:lambda:")
        assert answer == answers(app)[function]  # what the in-process query wrote
        for path in answer["triggers"]:
            assert {"principal", "decision", "path", "conditions"} <= set(path)
            assert path["decision"] in ("allowed", "conditional")
            for hop in path["path"]:
                if "source" in hop:
                    assert {"event", "invocation", "resource", "because"} <= set(hop)
                    assert hop["invocation"] in ("sync", "async", "poll")
                elif "runs_as" not in hop:
                    assert {"action", "resource", "decision", "conditions", "because"} <= set(hop)
