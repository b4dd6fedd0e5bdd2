"""who-can-trigger on small models: each path's hops decided by the evaluator, chains through
functions, cycles, and the sources nobody in IAM fires.

How each service invokes Lambda and what permission it needs:
https://docs.aws.amazon.com/lambda/latest/dg/lambda-invocation.html; poll sources:
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html.
The wiring is added to the loaded model here with the constructors loaders use
(model/trigger_kinds.py), so these tests pin the query alone.
"""

from __future__ import annotations

from pathlib import Path

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.graph.triggers import TriggerPaths
from permcheck.load.inputs import Options, load_inventory
from permcheck.model import trigger_kinds as kinds
from permcheck.model.values import Sym, Unknown
from permcheck.report.answers_json import to_json

ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:%s"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/%s"
BUCKET = "arn:aws:s3:::uploads"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:orders"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"


def role(name: str, *statements: str) -> str:
    policy = "".join(f"\n            - {s}" for s in statements)
    body = f"""
  {name.title().replace('-', '')}Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: {name}
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}]"""
    if statements:
        body += f"""
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:{policy}"""
    return body


def function(name: str, role_name: str) -> str:
    return f"""
  {name.title().replace('-', '')}Function:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: {name}
      Role: {ROLE % role_name}
      Runtime: python3.12
      Handler: index.handler
      Code: {{ZipFile: "def handler(e, c): pass"}}"""


def permission(name: str, function_name: str, principal: str, source: str | None = None) -> str:
    text = f"""
  {name}:
    Type: AWS::Lambda::Permission
    Properties: {{FunctionName: {function_name}, Action: lambda:InvokeFunction, Principal: {principal}"""
    return text + (f", SourceArn: '{source}', SourceAccount: '{ACCOUNT}'}}" if source else "}")


def model(tmp_path: Path, body: str, *triggers) -> TriggerPaths:
    path = tmp_path / "template.yaml"
    path.write_text("Resources:" + body + "\n")
    inventory = load_inventory([str(path)], Options())
    inventory.triggers.extend(triggers)
    return TriggerPaths(Edges(Index(inventory)))


def ask(paths: TriggerPaths, name: str) -> list[dict]:
    function = paths.edges.index.inventory.functions[FN % name]
    return to_json(paths.who_can_trigger(function))["triggers"]


def summary(found: list[dict]) -> list[tuple]:
    """(principal, decision, the hops in short) of each path."""
    def hop(h: dict) -> str:
        if "runs_as" in h:
            return f"run {h['function'].rsplit(':', 1)[1]}"
        if "source" in h:
            return f"{h['source']} {h['resource']}"
        return f"{h.get('principal', '')}{':' if h.get('principal') else ''}{h['action']} {h['decision']}"
    return [(t["principal"], t["decision"], [hop(h) for h in t["path"]]) for t in found]


def s3_wiring(function_name: str = "processor") -> object:
    return kinds.s3_trigger(BUCKET, FN % function_name, ["s3:ObjectCreated:*"])


S3_INVOKE = permission("S3Invoke", "processor", "s3.amazonaws.com", BUCKET)


def test_a_writer_of_the_bucket_makes_the_function_run_through_its_notification(tmp_path):
    # https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html: S3 invokes asynchronously, as
    # s3.amazonaws.com with the bucket as aws:SourceArn, allowed by the function's policy
    paths = model(tmp_path, role("processor-role") + function("processor", "processor-role") + S3_INVOKE +
                  role("uploader", "{Effect: Allow, Action: s3:PutObject, Resource: 'arn:aws:s3:::uploads/*'}"),
                  s3_wiring())
    found = summary(ask(paths, "processor"))
    assert (ROLE % "uploader", "allowed", ["s3:PutObject allowed", f"s3 {BUCKET}",
                                           "s3.amazonaws.com:lambda:InvokeFunction allowed"]) in found
    # who-can-invoke's own answer: S3 may invoke it when the source is the bucket (open here)
    assert ("s3.amazonaws.com", "conditional", ["lambda:InvokeFunction conditional"]) in found


def test_a_grant_on_part_of_the_bucket_still_fires_the_notification(tmp_path):
    # the notification has no prefix filter: any object the principal may put raises it
    paths = model(tmp_path, role("processor-role") + function("processor", "processor-role") + S3_INVOKE +
                  role("uploader", "{Effect: Allow, Action: s3:PutObject, Resource: 'arn:aws:s3:::uploads/in/*'}"),
                  s3_wiring())
    assert ROLE % "uploader" in [t["principal"] for t in ask(paths, "processor")]


def test_a_bucket_whose_name_is_unresolved_still_sends_its_account(tmp_path):
    # Found on real-sam (serverless-test-samples' async-lambda-dynamodb): SAM's S3 event permission
    # asks `aws:SourceAccount` = the account, and S3 sends the bucket owner's account whatever the
    # bucket is called (https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html). A bucket named
    # `uploads-${AWS::StackName}` is still this account's: the invoke is allowed, not conditional.
    bucket = Sym(("arn:aws:s3:::uploads-", Unknown("stack name"), ""))
    body = (role("processor-role") + function("processor", "processor-role") + f"""
  S3Invoke:
    Type: AWS::Lambda::Permission
    Properties: {{FunctionName: processor, Action: lambda:InvokeFunction, Principal: s3.amazonaws.com,
                 SourceAccount: '{ACCOUNT}'}}""" +
            role("uploader", "{Effect: Allow, Action: s3:PutObject, Resource: 'arn:aws:s3:::uploads-*/*'}"))
    found = summary(ask(model(tmp_path, body, kinds.s3_trigger(bucket, FN % "processor", ["s3:ObjectCreated:*"])),
                        "processor"))
    assert (ROLE % "uploader", "allowed", ["s3:PutObject allowed", f"s3 {bucket}",
                                           "s3.amazonaws.com:lambda:InvokeFunction allowed"]) in found


def test_a_notification_the_function_policy_does_not_allow_is_no_path(tmp_path):
    # without a permission for s3.amazonaws.com the service's invoke is denied: S3 cannot run it
    paths = model(tmp_path, role("processor-role") + function("processor", "processor-role") +
                  role("uploader", "{Effect: Allow, Action: s3:PutObject, Resource: '*'}"), s3_wiring())
    assert ask(paths, "processor") == []


def test_a_poll_source_needs_the_function_role_to_read_it(tmp_path):
    # https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html: the mapping reads the queue with
    # the function's execution role (ReceiveMessage, DeleteMessage, GetQueueAttributes)
    reads = "{Effect: Allow, Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes], " \
            f"Resource: '{QUEUE}'}}"
    sender = role("sender", f"{{Effect: Allow, Action: sqs:SendMessage, Resource: '{QUEUE}'}}")
    wiring = kinds.mapping_trigger(QUEUE, FN % "worker")
    denied = model(tmp_path, role("worker-role") + function("worker", "worker-role") + sender, wiring)
    assert ask(denied, "worker") == []
    allowed = model(tmp_path, role("worker-role", reads) + function("worker", "worker-role") + sender, wiring)
    found = summary(ask(allowed, "worker"))
    assert (ROLE % "sender", "allowed", ["sqs:SendMessage allowed", f"sqs {QUEUE}",
                                         f"{ROLE % 'worker-role'}:sqs:ReceiveMessage allowed"]) in found
    # and whoever may assume the sender role (its trust lets Lambda in), as who-can-invoke lists them
    assert {principal for principal, _, _ in found} == {ROLE % "sender", "lambda.amazonaws.com"}


def test_paths_chain_through_a_function_whose_role_fires_the_source(tmp_path):
    # an API caller runs `front`, whose role publishes to the topic `back` is subscribed to
    body = (role("front-role", f"{{Effect: Allow, Action: sns:Publish, Resource: '{TOPIC}'}}") +
            function("front", "front-role") + role("back-role") + function("back", "back-role") +
            permission("SnsInvoke", "back", "sns.amazonaws.com", TOPIC) +
            role("caller", f"{{Effect: Allow, Action: lambda:InvokeFunction, Resource: '{FN % 'front'}'}}"))
    paths = model(tmp_path, body, kinds.sns_trigger(TOPIC, FN % "back"))
    found = summary(ask(paths, "back"))
    assert (ROLE % "front-role", "allowed", ["sns:Publish allowed", f"sns {TOPIC}",
                                             "sns.amazonaws.com:lambda:InvokeFunction allowed"]) in found
    assert (ROLE % "caller", "allowed", ["lambda:InvokeFunction allowed", "run front", "sns:Publish allowed",
                                         f"sns {TOPIC}", "sns.amazonaws.com:lambda:InvokeFunction allowed"]) in found
    # shortest first
    assert [len(t[2]) for t in found] == sorted(len(t[2]) for t in found)


def fan_out(tmp_path: Path, source_arn: str, body: str = "", publish: str = f"'{TOPIC}'") -> TriggerPaths:
    """A topic delivering to a queue that `worker` polls; the queue's policy lets SNS send for
    `source_arn`; `publisher` may publish on `publish`."""
    reads = "{Effect: Allow, Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes], " \
            f"Resource: '{QUEUE}'}}"
    body += role("worker-role", reads) + function("worker", "worker-role") + \
        role("publisher", f"{{Effect: Allow, Action: sns:Publish, Resource: {publish}}}") + f"""
  Orders:
    Type: AWS::SNS::Topic
    Properties: {{TopicName: orders}}
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {{QueueName: jobs}}
  JobsPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Jobs]
      PolicyDocument:
        Statement:
          - {{Effect: Allow, Principal: {{Service: sns.amazonaws.com}}, Action: sqs:SendMessage, Resource: '{QUEUE}',
             Condition: {{ArnEquals: {{aws:SourceArn: '{source_arn}'}}}}}}"""
    paths = model(tmp_path, body, kinds.mapping_trigger(QUEUE, FN % "worker"))
    paths.edges.index.inventory.deliveries.append(kinds.sqs_delivery(TOPIC, QUEUE))
    return TriggerPaths(paths.edges)


FAN_OUT = [f"sns {TOPIC}", "sns.amazonaws.com:sqs:SendMessage allowed", f"sqs {QUEUE}",
           f"{ROLE % 'worker-role'}:sqs:ReceiveMessage allowed"]


def test_a_publisher_to_a_topic_makes_the_function_polling_its_queue_run(tmp_path):
    # https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html: SNS sends each
    # message to the subscribed queue as sns.amazonaws.com with the topic as aws:SourceArn, which the
    # queue's policy allows; Lambda then polls the queue with the function's role
    found = summary(ask(fan_out(tmp_path, TOPIC), "worker"))
    assert (ROLE % "publisher", "allowed", ["sns:Publish allowed", *FAN_OUT]) in found
    # SNS's own row stays the queue's writer, conditional on the source, listed once
    assert [(p, d) for p, d, _ in found if p == "sns.amazonaws.com"] == [("sns.amazonaws.com", "conditional")]


def test_a_queue_that_lets_another_topic_send_is_no_path_from_this_ones_publishers(tmp_path):
    found = summary(ask(fan_out(tmp_path, TOPIC.replace(":orders", ":other")), "worker"))
    assert ROLE % "publisher" not in [principal for principal, _, _ in found]
    assert not any(f"sns {TOPIC}" in hops for _, _, hops in found)


def test_a_topic_anyone_may_publish_to_is_anyones_way_to_its_queues_function(tmp_path):
    body = f"""
  OrdersPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: ['{TOPIC}']
      PolicyDocument:
        Statement: [{{Effect: Allow, Principal: '*', Action: sns:Publish, Resource: '{TOPIC}'}}]"""
    found = summary(ask(fan_out(tmp_path, TOPIC, body), "worker"))
    assert ("*", "allowed", ["sns:Publish allowed", *FAN_OUT]) in found


def test_a_publisher_that_is_a_function_role_chains_on(tmp_path):
    # the caller runs `front`, whose role publishes: it reaches `worker` through topic and queue
    body = role("caller", f"{{Effect: Allow, Action: lambda:InvokeFunction, Resource: '{FN % 'front'}'}}") + \
        function("front", "publisher")
    found = summary(ask(fan_out(tmp_path, TOPIC, body), "worker"))
    assert (ROLE % "caller", "allowed", ["lambda:InvokeFunction allowed", "run front", "sns:Publish allowed",
                                         *FAN_OUT]) in found


def test_a_cycle_of_functions_ends(tmp_path):
    # a and b each invoke the other: each is listed once, by its shortest path
    body = (role("a-role", f"{{Effect: Allow, Action: lambda:InvokeFunction, Resource: '{FN % 'b'}'}}") +
            function("a", "a-role") +
            role("b-role", f"{{Effect: Allow, Action: lambda:InvokeFunction, Resource: '{FN % 'a'}'}}") +
            function("b", "b-role"))
    found = summary(ask(model(tmp_path, body), "a"))
    assert (ROLE % "b-role", "allowed", ["lambda:InvokeFunction allowed"]) in found
    assert (ROLE % "a-role", "allowed", ["lambda:InvokeFunction allowed", "run b",
                                         "lambda:InvokeFunction allowed"]) in found
    assert len({principal for principal, _, _ in found}) == len(found)  # each once


def test_a_schedule_has_no_principal(tmp_path):
    # https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html: only AWS fires it
    rule = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly"
    body = role("job-role") + function("job", "job-role") + permission("EventsInvoke", "job",
                                                                        "events.amazonaws.com", rule)
    found = ask(model(tmp_path, body, kinds.rule_trigger(rule, FN % "job", None, schedule="rate(1 day)")), "job")
    assert summary(found) == [("events.amazonaws.com", "conditional", ["lambda:InvokeFunction conditional"]),
                              (None, "allowed", [f"events {rule}", "events.amazonaws.com:lambda:InvokeFunction allowed"])]


def test_a_route_without_authorization_is_anyone(tmp_path):
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html:
    # a method with authorization NONE is open to every caller on the internet
    api = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc123"
    body = role("api-role") + function("api", "api-role") + permission("ApiInvoke", "api", "apigateway.amazonaws.com",
                                                                        f"{api}/*/POST/orders")
    open_route = kinds.route_trigger(f"{api}/*/POST/orders", FN % "api", "POST /orders", "NONE")
    iam_route = kinds.route_trigger(f"{api}/*/GET/orders", FN % "api", "GET /orders", "AWS_IAM")
    found = summary(ask(model(tmp_path, body, open_route, iam_route), "api"))
    assert ("*", "allowed", ["execute-api:Invoke allowed", f"execute-api {api}/*/POST/orders",
                             "apigateway.amazonaws.com:lambda:InvokeFunction allowed"]) in found
    # the IAM route's permission does not cover GET: API Gateway cannot invoke it there
    assert not any(f"{api}/*/GET/orders" in " ".join(hops) for _, _, hops in found)


def test_a_source_whose_producers_iam_does_not_decide_is_conditional_on_them(tmp_path):
    broker = f"arn:aws:mq:us-east-1:{ACCOUNT}:broker:b:b-1"
    found = ask(model(tmp_path, role("mq-role") + function("consumer", "mq-role"),
                      kinds.mapping_trigger(broker, FN % "consumer")), "consumer")
    assert [(t["principal"], t["decision"], t["conditions"]) for t in found] == [
        (None, "conditional", [{"unknown": f"who can send to {broker}: decided by the broker, not IAM"}])]


def test_through_triggers_adds_what_the_triggered_function_role_reaches(tmp_path):
    # the caller may run `front` only; `front`'s role publishes to the topic: what-can-access
    # --through-triggers lists that, via the function and its role, as the path allows it
    from permcheck.graph.triggers import through_triggers
    body = (role("front-role", f"{{Effect: Allow, Action: sns:Publish, Resource: '{TOPIC}'}}") +
            function("front", "front-role") +
            role("caller", f"{{Effect: Allow, Action: lambda:InvokeFunction, Resource: '{FN % 'front'}'}}"))
    paths = model(tmp_path, body)
    rows = through_triggers(paths.edges, ROLE % "caller")
    assert [(r.resource, r.actions, r.answer.decision.value, r.via) for r in rows] == [
        (TOPIC, ("sns:Publish",), "allowed", (FN % "front", ROLE % "front-role"))]
    assert through_triggers(paths.edges, ROLE % "front-role") == []  # its own access is not "through" anything


def test_through_triggers_follows_a_role_that_a_conditional_star_lets_in(tmp_path):
    # `gate` lets anyone of the account invoke it (Principal `*`, aws:PrincipalAccount): the
    # caller's role is let in though no policy names it, so what `gate`'s role reaches is the
    # caller's through it — who-can-trigger lists `*` there, --through-triggers names the caller
    from permcheck.graph.triggers import through_triggers
    body = (role("gate-role", f"{{Effect: Allow, Action: sns:Publish, Resource: '{TOPIC}'}}") +
            function("gate", "gate-role") + role("caller") + function("caller-fn", "caller") + """
  GateOpen:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: gate, Action: lambda:InvokeFunction, Principal: "*",
                  PrincipalOrgID: o-abc}""")
    paths = model(tmp_path, body)
    assert [t["principal"] for t in ask(paths, "gate")] == ["*"]  # the caller is not listed: `*` stands for it
    rows = through_triggers(paths.edges, ROLE % "caller")
    assert [(r.resource, r.actions, r.answer.decision.value, r.via) for r in rows] == [
        (TOPIC, ("sns:Publish",), "conditional", (FN % "gate", ROLE % "gate-role"))]


def test_the_graph_shows_the_topic_delivering_to_the_queue(tmp_path):
    # `permcheck graph`: the publisher may fire the topic, the topic delivers to the queue, the queue
    # triggers the function (graph/build.py)
    from permcheck.graph.build import build_graph

    graph = build_graph(fan_out(tmp_path, TOPIC).edges)
    kinds_of = {(a, b, data["kind"]) for a, b, data in graph.edges(data=True)}
    assert {(ROLE % "publisher", TOPIC, "may-fire"), (TOPIC, QUEUE, "delivers"),
            (QUEUE, FN % "worker", "triggers")} <= kinds_of
    assert graph.edges[TOPIC, QUEUE, "delivers"]["decision"] == "allowed"
