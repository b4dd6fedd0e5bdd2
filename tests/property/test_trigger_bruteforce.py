"""`who_can_trigger` against a brute-force search over small random apps.

An app holds 2-4 roles in 1-2 accounts (trust policies naming lambda.amazonaws.com, each other or
an account; identity policies allowing or denying sns:Publish, sqs:SendMessage, s3:PutObject,
lambda:InvokeFunction, sts:AssumeRole and the SQS reads on some ARNs or `*`), 2-4 functions, each
running as one of the roles, with a resource policy (Permission-like statements for services,
sometimes with aws:SourceArn or aws:SourceAccount, for roles, accounts and `*`), and 1-3 sources
(an SNS topic, an SQS queue, an S3 bucket; sometimes with a policy naming roles, another account
or `*`) wired to functions with the loaders' constructors (model/trigger_kinds.py) — and
sometimes a schedule or a route without authorization. The topic sometimes delivers to the queue
(an `sqs` subscription: `Inventory.deliveries`), and the queue's policy sometimes has a statement
for sns.amazonaws.com sending to it, for the topic (`aws:SourceArn`), another topic or an account.

The brute force follows graph/triggers.py's docstring, not its code; each hop is asked of the
evaluator directly, on requests built here:
- a principal is a *candidate* for a request when the resource's policy names it in an Allow
  statement, or when it is a role of the app whose identity policies have an Allow statement for
  the action on the resource — or, for a pattern (`bucket/*`), on a resource inside it (as
  who-can-invoke lists principals: test_graph_bruteforce). A candidate makes the request when the
  evaluator allows it, or allows it conditionally, on the resource or on a resource inside the
  pattern that its own Allows name (its widest answer is kept); principals that reach such a
  role by sts:AssumeRole (over every pair, breadth first) make it too, through the role;
- a source fires when a principal makes one of the trigger's writes; a route without
  authorization is fired by `*`, a schedule by AWS (no principal);
- the source reaches the function when its service, asked with aws:SourceArn = the source's ARN
  and aws:SourceAccount = its account, may invoke the function (push), or when the function's
  role may do every read (poll);
- a topic that delivers to a polled queue is a way in of its own (per delivery and mapping): a
  principal that publishes to the topic makes the function run when sns.amazonaws.com, asked of
  the queue's policy with aws:SourceArn = the topic and aws:SourceAccount = its account, may send
  to the queue (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html)
  and the mapping reaches the function; SNS itself is no publisher through it. The ways in of the first level are these and who-can-invoke's,
  and, where `*` may make the request only under a condition, every function's role that may
  make it itself (`*` stands for it: a chain through it must still be followed, though it is
  listed nowhere: `*` is);
- a principal reaches a function through another function G when it can make G run and G's
  execution role makes the function run (the closure, over any number of functions).
Per function, the first level is compared exactly as sets of (way in, principal, decision) for
principals that make the request themselves, and as sets of principals for those that assume
roles first; chained paths as the set of principals reached per way in. Every path's hops are
then checked: each request's principal may make it as the brute force says, each function runs
as the role the path names, and the path is `allowed` only when every hop is.

Apps come from one drawn seed through `random.Random` (test_graph_bruteforce's `Picker`); a
failing app is shrunk by `minimise` before it is shown. Bugs these properties found are kept as
regression examples at the end.
"""

from __future__ import annotations

import copy
import os
from collections import deque
from dataclasses import dataclass, field
from typing import Optional

from hypothesis import example, given, settings
from hypothesis import strategies as st

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.graph.rows import AskHop, RunHop, SourceHop, TriggerPath
from permcheck.graph.triggers import TriggerPaths
from permcheck.iam.decide import Answer, Decision, Evaluator, Organisation
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.model import trigger_kinds as kinds
from permcheck.model.arn import account_of, root_arn
from permcheck.model.entities import Function, Inventory, Resource, Role
from permcheck.model.policy import Effect, Policy, PolicyKind, Principal, PrincipalType
from permcheck.model.triggers import Delivery, Invocation, Trigger
from tests.property.test_graph_bruteforce import Picker, glob, minimise, parse

A, B, C = "111111111111", "222222222222", "333333333333"  # C: an account outside the inputs
LAMBDA, SNS = "lambda.amazonaws.com", "sns.amazonaws.com"
OTHER_TOPIC = f"arn:aws:sns:us-east-1:{C}:other"  # a topic outside the inputs
INVOKE, ASSUME = "lambda:InvokeFunction", "sts:AssumeRole"
PUBLISH, SEND, PUT, DELETE = "sns:Publish", "sqs:SendMessage", "s3:PutObject", "s3:DeleteObject"
READS = list(kinds.POLL_READS["sqs"])
SERVICES = {"sns": "sns.amazonaws.com", "sqs": None, "s3": "s3.amazonaws.com"}
WRITES = {"sns": PUBLISH, "sqs": SEND, "s3": PUT}
RANK = {Decision.DENIED: 0, Decision.CONDITIONAL: 1, Decision.ALLOWED: 2}


def role_arn(i: int, account: str) -> str:
    return f"arn:aws:iam::{account}:role/r{i}"


def function_arn(j: int, account: str) -> str:
    return f"arn:aws:lambda:us-east-1:{account}:function:f{j}"


def source_arn(kind: str, account: str) -> str:
    return {"sns": f"arn:aws:sns:us-east-1:{account}:topic", "sqs": f"arn:aws:sqs:us-east-1:{account}:queue",
            "s3": f"arn:aws:s3:::bucket-{account}"}[kind]


def rule_arn(account: str) -> str:
    return f"arn:aws:events:us-east-1:{account}:rule/nightly"


def route_arn(account: str) -> str:
    return f"arn:aws:execute-api:us-east-1:{account}:api1/*/POST/orders"


# -- random apps, as plain data --------------------------------------------------------------------

@dataclass
class Spec:
    """An app as statement dicts and wiring: readable when an example fails."""

    roles: list[dict] = field(default_factory=list)  # {arn, account, trust, identity}
    functions: list[dict] = field(default_factory=list)  # {arn, account, role, policy}
    sources: list[dict] = field(default_factory=list)  # {kind, arn, account, policy}
    triggers: list[dict] = field(default_factory=list)  # {kind, source, function, prefix, events}
    deliveries: list[dict] = field(default_factory=list)  # {topic, queue}: an `sqs` subscription

    def sources_arns(self) -> list[str]:
        return [s["arn"] for s in self.sources]


def _one(values: list):
    return values[0] if len(values) == 1 else values


CONDITIONS = [
    {"StringEquals": {"aws:PrincipalAccount": A}},
    {"StringEquals": {"aws:SourceAccount": A}},
    {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{A}:*"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/r1"}},  # one role apart from the others
]


def _condition(p: Picker, out: dict) -> dict:
    if p.rng.random() < 0.2:
        out["Condition"] = p.pick(CONDITIONS)
    return out


def _effect(p: Picker) -> str:
    return p.pick(["Allow", "Allow", "Allow", "Deny"])


def _resources_for(action: str, names: dict) -> list[str]:
    """The ARNs a statement for `action` may name (and `*`)."""
    service = action.split(":")[0]
    if action == "*":
        return ["*"]
    found = {"sns": names["sns"], "sqs": names["sqs"], "s3": names["objects"], "lambda": names["functions"],
             "sts": names["roles"]}[service]
    return ["*", *found]


def identity_statement(p: Picker, names: dict) -> dict:
    action = p.pick([PUBLISH, SEND, PUT, DELETE, INVOKE, INVOKE, ASSUME, ASSUME, *READS, "sqs:*", "s3:Put*",
                     "s3:Delete*", "*"])
    pool = _resources_for(action, names) if p.rng.random() < 0.85 else ["*", *names["any"]]
    return _condition(p, {"Effect": _effect(p), "Action": action, "Resource": _one(p.some(pool))})


def trust_statement(p: Picker, roles: list[str]) -> dict:
    principal = p.pick([{"Service": LAMBDA}, {"Service": LAMBDA}, {"AWS": p.pick(roles)}, {"AWS": p.pick(roles)},
                        {"AWS": root_arn(p.pick([A, B]))}])
    return _condition(p, {"Effect": _effect(p), "Principal": principal, "Action": ASSUME})


def function_statement(p: Picker, arn: str, names: dict) -> dict:
    choice = p.pick(range(6))
    if choice <= 2:  # a service, as AWS::Lambda::Permission writes it
        service = p.pick(["sns.amazonaws.com", "s3.amazonaws.com", "apigateway.amazonaws.com",
                          "events.amazonaws.com"])
        out = {"Effect": _effect(p), "Principal": {"Service": service}, "Action": INVOKE, "Resource": arn}
        key = p.pick([None, "arn", "arn", "account"])
        if key == "arn":
            out["Condition"] = {"ArnLike": {"aws:SourceArn": p.pick(names["any_source"] + ["arn:aws:sns:*:*:*"])}}
        elif key == "account":
            out["Condition"] = {"StringEquals": {"aws:SourceAccount": p.pick([A, B])}}
        return out
    principal = "*" if choice == 3 else {"AWS": p.pick(names["roles"] + [root_arn(p.pick([A, B, C]))])}
    return _condition(p, {"Effect": _effect(p), "Principal": principal,
                          "Action": p.pick([INVOKE, INVOKE, "lambda:*"]), "Resource": arn})


def source_statement(p: Picker, kind: str, arn: str, roles: list[str]) -> dict:
    principal = p.pick(["*", {"AWS": p.pick(roles)}, {"AWS": p.pick(roles)}, {"AWS": root_arn(p.pick([B, C]))}])
    resources = [arn] if kind != "s3" else [f"{arn}/*", f"{arn}/in/*"]
    action = p.pick([WRITES[kind], WRITES[kind], DELETE if kind == "s3" else WRITES[kind], f"{kind}:*"])
    return _condition(p, {"Effect": _effect(p), "Principal": principal, "Action": action,
                          "Resource": p.pick(resources)})


def sns_send_statement(p: Picker, queue: str, topic: str) -> dict:
    """A queue policy's statement for SNS sending to the queue: for the topic as the SNS docs write
    it, for another topic or account (SNS is then denied), or for any source."""
    out = {"Effect": _effect(p), "Principal": {"Service": SNS}, "Action": p.pick([SEND, SEND, "sqs:*"]),
           "Resource": queue}
    key = p.pick([None, "arn", "arn", "arn", "account"])
    if key == "arn":
        out["Condition"] = {p.pick(["ArnLike", "ArnEquals"]): {"aws:SourceArn": p.pick(
            [topic, topic, OTHER_TOPIC, "arn:aws:sns:*:*:*" if p.rng.random() < 0.5 else f"arn:aws:sns:*:{B}:*"])}}
    elif key == "account":
        out["Condition"] = {"StringEquals": {"aws:SourceAccount": p.pick([A, B])}}
    return out


def make_spec(seed: int) -> Spec:
    p = Picker(seed)
    accounts = p.pick([[A], [A, B]])
    roles = [role_arn(i, p.pick(accounts)) for i in range(p.pick([2, 3, 3, 4]))]
    functions = [function_arn(j, p.pick(accounts)) for j in range(p.pick([2, 3, 3, 4]))]
    kinds_ = p.some(["sns", "sqs", "s3"], 3)
    sources = [(kind, source_arn(kind, account), account) for kind in kinds_ for account in [p.pick(accounts)]]
    names = {"roles": roles, "functions": functions,
             "sns": [s for k, s, _ in sources if k == "sns"] or [source_arn("sns", A)],
             "sqs": [s for k, s, _ in sources if k == "sqs"] or [source_arn("sqs", A)],
             "objects": [f"{s}/{part}*" for k, s, _ in sources if k == "s3" for part in ("", "in/")]
             or [f"{source_arn('s3', A)}/*"],
             "any_source": [s for _, s, _ in sources] + [rule_arn(A), route_arn(A)]}
    names["any"] = roles + functions + [s for _, s, _ in sources]
    spec = Spec()
    for arn in roles:
        spec.roles.append({
            "arn": arn, "account": account_of(arn),
            "trust": None if p.rng.random() < 0.15 else [trust_statement(p, roles) for _ in range(p.pick([1, 1, 2]))],
            "identity": [[identity_statement(p, names) for _ in range(p.pick([1, 2, 3]))]
                         for _ in range(p.pick([0, 1, 1, 2]))]})
    for arn in functions:
        spec.functions.append({"arn": arn, "account": account_of(arn), "role": p.pick(roles),
                               "policy": None if p.rng.random() < 0.2 else
                               [function_statement(p, arn, names) for _ in range(p.pick([1, 2, 3]))]})
    for kind, arn, account in sources:
        spec.sources.append({"kind": kind, "arn": arn, "account": account,
                             "policy": None if p.rng.random() < 0.5 else
                             [source_statement(p, kind, arn, roles) for _ in range(p.pick([1, 2]))]})
        for function in p.some(functions):
            spec.triggers.append({"kind": kind, "source": arn, "function": function,
                                  "prefix": p.pick([None, None, "in/"]) if kind == "s3" else None,
                                  "events": p.pick([["s3:ObjectCreated:*"]] * 2 + [
                                      ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]]) if kind == "s3" else None})
    if p.rng.random() < 0.3:
        spec.triggers.append({"kind": "schedule", "source": rule_arn(p.pick(accounts)), "function": p.pick(functions),
                              "prefix": None, "events": None})
    if p.rng.random() < 0.3:
        spec.triggers.append({"kind": "route", "source": route_arn(p.pick(accounts)), "function": p.pick(functions),
                              "prefix": None, "events": None})
    # drawn last, so the apps above stay those of the same seeds
    topic, queue = names["sns"][0], names["sqs"][0]
    if queue in spec.sources_arns() and topic in spec.sources_arns() and p.rng.random() < 0.5:
        spec.deliveries.append({"topic": topic, "queue": queue})
        for t in spec.triggers:  # most queues' readers could not read it: let some, so paths run through
            role = next(r for r in spec.roles if r["arn"] == next(
                f["role"] for f in spec.functions if f["arn"] == t["function"]))
            if t["source"] == queue and p.rng.random() < 0.6:
                role["identity"].append([{"Effect": "Allow", "Action": p.pick(["sqs:*", READS]), "Resource": queue}])
    if spec.deliveries and p.rng.random() < 0.25:  # and a topic outside the inputs: a second way in
        spec.deliveries.append({"topic": OTHER_TOPIC, "queue": queue})
    for source in spec.sources:
        if source["kind"] == "sqs" and p.rng.random() < (0.8 if spec.deliveries else 0.2):
            source["policy"] = (source["policy"] or []) + [sns_send_statement(p, source["arn"], topic)]
        if source["kind"] == "sns" and spec.deliveries and p.rng.random() < 0.15:  # SNS itself: no publisher
            source["policy"] = (source["policy"] or []) + [{"Effect": "Allow", "Principal": {"Service": SNS},
                                                            "Action": PUBLISH, "Resource": topic}]
    return spec


specs = st.integers(0, 2**64 - 1).map(make_spec)


def wiring(t: dict) -> Trigger:
    kind, source, function = t["kind"], t["source"], t["function"]
    if kind == "sns":
        return kinds.sns_trigger(source, function)
    if kind == "sqs":
        return kinds.mapping_trigger(source, function)
    if kind == "s3":
        return kinds.s3_trigger(source, function, t["events"], prefix=t["prefix"])
    if kind == "schedule":
        return kinds.rule_trigger(source, function, None, schedule="rate(1 day)")
    return kinds.route_trigger(source, function, "POST /orders", "NONE")


def build(spec: Spec) -> Inventory:
    inv = Inventory(default_account=A)
    for r in spec.roles:
        name = r["arn"].rsplit("/", 1)[1]
        inv.roles[r["arn"]] = Role(
            arn=r["arn"], name=name, account=r["account"], trust=parse(r["trust"], PolicyKind.TRUST, f"{name} trust"),
            policies=tuple(parse(p, PolicyKind.IDENTITY, f"{name} policy{i}") for i, p in enumerate(r["identity"])))
        inv.accounts.add(r["account"])
    for f in spec.functions:
        name = f["arn"].rsplit(":", 1)[1]
        inv.functions[f["arn"]] = Function(arn=f["arn"], name=name, account=f["account"], region="us-east-1",
                                           role=f["role"],
                                           policy=parse(f["policy"], PolicyKind.RESOURCE, f"{name} policy"))
        inv.accounts.add(f["account"])
    types = {"sns": "AWS::SNS::Topic", "sqs": "AWS::SQS::Queue", "s3": "AWS::S3::Bucket"}
    for s in spec.sources:
        inv.resources[s["arn"]] = Resource(arn=s["arn"], type=types[s["kind"]], account=s["account"],
                                           policy=parse(s["policy"], PolicyKind.RESOURCE, f"{s['kind']} policy"))
        inv.accounts.add(s["account"])
    inv.triggers.extend(wiring(t) for t in spec.triggers)
    inv.deliveries.extend(kinds.sqs_delivery(d["topic"], d["queue"]) for d in spec.deliveries)
    return inv


# -- the brute force ------------------------------------------------------------------------------

def widest(answers: list[Answer]) -> Answer:
    return max(answers, key=lambda a: RANK[a.decision])


def joined(decisions: list[Decision]) -> Decision:
    """A path holds when every hop does: allowed only if all are."""
    if any(d is Decision.DENIED for d in decisions):
        return Decision.DENIED
    return Decision.ALLOWED if all(d is Decision.ALLOWED for d in decisions) else Decision.CONDITIONAL


@dataclass
class Way:
    """Who makes a function run by one way in (a trigger, or "invoke"), one level deep: the
    principals that make one of its requests themselves (their widest answer, with the source's
    run joined) and those that assume roles to (by principal; their chain is checked from the
    path's `via`); and both by request."""

    direct: dict[Optional[str], Decision]
    chained: set[str]
    by_action: dict[str, dict[str, Decision]] = field(default_factory=dict)
    chained_by: dict[str, set[str]] = field(default_factory=dict)


class BruteForce:
    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.evaluator = Evaluator(Organisation((), (), frozenset(inv.accounts)))
        self.assume = self._assume_edges()
        self.wired: dict[str, list[tuple[int, Trigger]]] = {}
        for i, trigger in enumerate(inv.triggers):
            if str(trigger.function) in inv.functions:
                self.wired.setdefault(str(trigger.function), []).append((i, trigger))
        self._ways: dict[tuple[str, object], Way] = {}

    # callers and targets
    def role_caller(self, role: Role) -> Caller:
        return Caller(CallerKind.ROLE, str(role.arn), role.account, identity=tuple(role.policies),
                      name=str(role.name))

    def caller(self, principal: Principal) -> Caller:
        value = str(principal.value)
        if principal.type is PrincipalType.ANYONE:
            return Caller(CallerKind.ANYONE, "*")
        if principal.type is PrincipalType.SERVICE:
            return Caller(CallerKind.SERVICE, value)
        account = account_of(value)
        if value.endswith(":root"):
            return Caller(CallerKind.ROOT, value, account, identity=() if account in self.inv.accounts else None)
        if value in self.inv.roles:
            return self.role_caller(self.inv.roles[value])
        return Caller(CallerKind.ROLE, value, account, identity=None, name=value.rsplit("/", 1)[1])

    def target(self, arn: str, action: str) -> Target:
        """The resource side: a role's trust, a function's policy, a source's (an object's bucket's)."""
        if action == ASSUME and arn in self.inv.roles:
            role = self.inv.roles[arn]
            return Target(arn=arn, account=role.account, policy=role.trust, policy_required=True)
        if arn in self.inv.functions:
            function = self.inv.functions[arn]
            return Target(arn=arn, account=function.account, policy=function.policy)
        holder = self.inv.resources.get(arn.split("/", 1)[0] if ":s3:::" in arn else arn)
        if holder is not None:
            return Target(arn=arn, account=holder.account, policy=holder.policy)
        return Target(arn=arn, account=self.account(arn))

    def account(self, arn: str) -> str:
        """A resource's account: its own, the one in its ARN, or (a bucket not in the inputs) the
        deploying account."""
        holder = self.inv.resources.get(arn)
        return holder.account if holder is not None else account_of(arn) or self.inv.default_account

    def ask(self, caller: Caller, action: str, resource: str, context: Optional[dict] = None) -> Answer:
        return self.evaluator.evaluate(Request(caller=caller, action=action, target=self.target(resource, action),
                                               context=context or {}))

    # who makes a request
    def _allows(self, caller: Caller, policy: Optional[Policy], action: str):
        """The caller's Allow statements for the action: its identity's, and the resource policy's
        naming it, its account or anyone."""
        names = {caller.arn, "*", root_arn(caller.account) if caller.account else "*"}
        for own in caller.identity or ():
            for s in own.statements:
                if s.effect is Effect.ALLOW and any(glob(a, action, True) for a in s.actions) != s.not_action:
                    yield s
        for s in policy.statements if policy else ():
            if s.effect is Effect.ALLOW and not s.not_principal and any(
                    self.caller(p).arn in names for p in s.principals or ()):
                yield s

    def places(self, caller: Caller, policy: Optional[Policy], action: str, resource: str) -> list[str]:
        """The resource, and (for a pattern) each resource inside it that the caller's Allows name."""
        out = [resource]
        if "*" in resource:
            for s in self._allows(caller, policy, action):
                out += [r for r in s.resources or () if not s.not_resource and r not in out and glob(resource, r)]
        return out

    def candidates(self, policy: Optional[Policy], action: str, resource: str) -> dict[str, Caller]:
        out: dict[str, Caller] = {}
        for s in policy.statements if policy else ():
            if s.effect is Effect.ALLOW and not s.not_principal:
                for principal in s.principals or ():
                    caller = self.caller(principal)
                    out[caller.arn] = caller
        for role in self.inv.roles.values():
            for s in (s for p in role.policies for s in p.statements if s.effect is Effect.ALLOW):
                if any(glob(a, action, True) for a in s.actions) == s.not_action:
                    continue
                named = s.resources or ("*",)
                if any(glob(r, resource) or (not s.not_resource and glob(resource, r)) for r in named) \
                        != s.not_resource:
                    out.setdefault(str(role.arn), self.role_caller(role))
                    break
        return out

    def requesters(self, action: str, resource: str) -> tuple[dict[str, Answer], set[str]]:
        """Who makes `action` on `resource` (its widest answer), and who reaches one of those
        roles by assuming roles."""
        policy = self.target(resource, action).policy
        direct = {}
        for key, caller in self.candidates(policy, action, resource).items():
            answer = widest([self.ask(caller, action, place) for place in self.places(caller, policy, action,
                                                                                         resource)])
            if answer.decision is not Decision.DENIED:
                direct[key] = answer
        return direct, self.chained(direct)

    def _assume_edges(self) -> dict[tuple[str, str], Answer]:
        """(source, role) -> the non-denied answer for source assuming role, over every pair."""
        out = {}
        for arn, role in self.inv.roles.items():
            if role.trust is None:
                continue
            for source, caller in self.candidates(role.trust, ASSUME, arn).items():
                if source != arn and (answer := self.ask(caller, ASSUME, arn)).decision is not Decision.DENIED:
                    out[(source, arn)] = answer
        return out

    def chained(self, direct: dict[str, Answer]) -> set[str]:
        """Principals that reach a direct requester by assuming roles (breadth first)."""
        seen, queue = set(direct), deque(direct)
        while queue:
            role = queue.popleft()
            for (source, target) in self.assume:
                if target == role and source not in seen:
                    seen.add(source)
                    queue.append(source)
        return seen - set(direct)

    # the ways into a function
    def runs(self, function: Function, trigger: Trigger) -> Decision:
        """Does the source reach the function: its service invokes it, or its role reads the source."""
        if trigger.invocation is Invocation.POLL:
            role = self.inv.roles.get(str(function.role))
            if role is None:
                return Decision.CONDITIONAL
            return joined([self.ask(self.role_caller(role), read.action, str(read.resource)).decision
                           for read in trigger.reads])
        if trigger.service is None:
            return Decision.CONDITIONAL  # nothing says what it invokes with
        source = str(trigger.resource)
        context = {"aws:sourcearn": (source,), "aws:sourceaccount": (self.account(source),)}
        return self.ask(Caller(CallerKind.SERVICE, trigger.service), INVOKE, str(function.arn), context).decision

    def sends(self, delivery: Delivery) -> Decision:
        """Does SNS put the topic's messages on the queue: sns.amazonaws.com's sqs:SendMessage, asked
        of the queue's policy with the topic as aws:SourceArn and its account as aws:SourceAccount
        (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html)."""
        topic = str(delivery.resource)
        context = {"aws:sourcearn": (topic,), "aws:sourceaccount": (self.account(topic),)}
        return self.ask(Caller(CallerKind.SERVICE, SNS), SEND, str(delivery.target), context).decision

    def fired(self, function: Function, route: object) -> tuple[list[tuple[str, str]], Decision, Optional[str]]:
        """A source's way in: the requests that fire it, what must hold after (the source reaches
        the function), and a principal that is no requester on it (SNS, through its delivery)."""
        if isinstance(route, tuple):  # ("delivery", d, i): publish to the topic, SNS sends, the mapping polls
            _, d, i = route
            delivery = self.inv.deliveries[d]
            after = joined([self.sends(delivery), self.runs(function, self.inv.triggers[i])])
            return [(PUBLISH, str(delivery.resource))], after, SNS
        trigger = self.inv.triggers[route]
        return [(w.action, str(w.resource)) for w in trigger.writes], self.runs(function, trigger), None

    def way(self, function: Function, route: object) -> Way:
        """The first level of one way in: `route` is a trigger's index in the inventory, "invoke"
        or ("delivery", the delivery's index, the index of the mapping polling its queue)."""
        key = (str(function.arn), route)
        if key in self._ways:
            return self._ways[key]
        if route == "invoke":
            direct, chained = self.requesters(INVOKE, str(function.arn))
            decided = {p: a.decision for p, a in direct.items()}
            found = Way(decided, chained, {INVOKE: decided}, {INVOKE: chained})
        else:
            trigger = None if isinstance(route, tuple) else self.inv.triggers[route]
            writes, runs, skip = self.fired(function, route)
            if runs is Decision.DENIED:
                found = Way({}, set())
            elif trigger is not None and trigger.public:
                found = Way({"*": runs}, set())
            elif not writes:
                found = Way({None: runs}, set())
            else:
                found = Way({}, set())
                for action, resource in writes:
                    direct, chained = self.requesters(action, resource)
                    decided = found.by_action[action] = {p: joined([a.decision, runs])
                                                         for p, a in direct.items() if p != skip}
                    found.chained_by[action] = chained
                    for principal, decision in decided.items():
                        if RANK[decision] > RANK[found.direct.get(principal, Decision.DENIED)]:
                            found.direct[principal] = decision
                    found.chained |= chained
                found.chained -= set(found.direct)
        self._ways[key] = found
        return found

    def routes(self, function: Function) -> list[object]:
        """"invoke", each trigger wired to the function, and each delivery to a queue one of them polls."""
        out: list[object] = ["invoke"]
        for i, trigger in self.wired.get(str(function.arn), ()):
            out.append(i)
            if trigger.source == "sqs" and trigger.invocation is Invocation.POLL:
                out += [("delivery", d, i) for d, delivery in enumerate(self.inv.deliveries)
                        if str(delivery.target) == str(trigger.resource)]
        return out

    def own(self, role: str, function: Function, route: object) -> Decision:
        """A function's role's own decision on a way in whose request the policies decide,
        whether or not a policy names it (`*` may let it in)."""
        caller = self.role_caller(self.inv.roles[role])
        if route == "invoke":
            return self.ask(caller, INVOKE, str(function.arn)).decision
        writes, runs, _ = self.fired(function, route)
        if not isinstance(route, tuple) and self.inv.triggers[route].public or not writes:
            return Decision.DENIED  # no request to make: `*` or AWS fires it
        answer = widest([self.ask(caller, action, place) for action, resource in writes for place in
                         self.places(caller, self.target(resource, action).policy, action, resource)])
        return joined([answer.decision, runs])

    def listed(self, function: Function, route: object) -> set[str]:
        """Who is listed on one way in, one level deep: who makes its request (or assumes roles to)."""
        way = self.way(function, route)
        return {p for p in way.direct if p is not None} | way.chained

    def level(self, function: Function, route: object) -> set[str]:
        """Who makes the function run by one way in, one level deep: those listed, and the
        functions' roles that may make its request on their own — unless `*` simply may, when
        everyone makes it run that way and no path through another function adds anyone."""
        way = self.way(function, route)
        listed = self.listed(function, route)
        if way.direct.get("*") is Decision.ALLOWED:
            return listed
        roles = {str(f.role) for f in self.inv.functions.values() if str(f.role) in self.inv.roles}
        return listed | {r for r in roles if self.own(r, function, route) is not Decision.DENIED}

    def first(self, function: Function) -> set[str]:
        """Everyone who makes the function run, one level deep (by any way in)."""
        return set().union(*(self.level(function, route) for route in self.routes(function)))

    def reached(self, function: Function, route: object) -> set[str]:
        """Who is listed as making the function run by this way in through other functions:
        whoever is listed on a way into a function whose execution role makes it run, and so on.
        The roles `*` stands for are followed like the others but not listed (`*` is), and
        nobody on the way in itself is listed again."""
        level = self.level(function, route)
        found, queue, listed = set(level), deque(level), set()
        while queue:
            principal = queue.popleft()
            for other in self.inv.functions.values():
                if str(other.role) == principal and other.arn != function.arn:
                    for way in self.routes(other):
                        listed |= self.listed(other, way)
                    for newcomer in self.first(other) - found:
                        found.add(newcomer)
                        queue.append(newcomer)
        return listed - level

    def via_decision(self, principal: str, via: tuple[str, ...], last: Decision) -> Decision:
        """A chain of assumed roles then the request: each assume must be an edge."""
        hops = [principal, *via]
        answers = [self.assume.get((a, b)) for a, b in zip(hops, hops[1:])]
        assert all(a is not None for a in answers), ("a hop of the chain is not an edge", principal, via)
        return joined([a.decision for a in answers] + [last])


# -- comparing --------------------------------------------------------------------------------------

def segments(path: TriggerPath) -> list[tuple[Optional[str], tuple]]:
    """The path cut at each function run: (the principal of the part, its hops)."""
    out, principal, part = [], path.principal, []
    for hop in path.hops:
        if isinstance(hop, RunHop):
            out.append((principal, tuple(part), hop))
            principal, part = hop.role, []
        else:
            part.append(hop)
    out.append((principal, tuple(part), None))
    return out


def route_of(inv: Inventory, hops: tuple) -> tuple[str, object]:
    """(the function a part of a path makes run, its way in). A part through a delivery has two
    source hops: the topic's delivery, then the mapping that polls its queue."""
    sources = [hop.trigger for hop in hops if isinstance(hop, SourceHop)]
    if not sources:
        (ask,) = hops
        return ask.resource, "invoke"
    mapping = sources[-1]
    index = next(i for i, t in enumerate(inv.triggers) if t is mapping)
    if len(sources) == 1:
        return str(mapping.function), index
    (delivery, _) = sources
    assert isinstance(delivery, Delivery) and str(delivery.target) == str(mapping.resource), \
        ("a delivery to another queue than the mapping's", hops)
    return str(mapping.function), ("delivery", next(d for d, x in enumerate(inv.deliveries) if x is delivery), index)


def part_decision(brute: BruteForce, principal: Optional[str], hops: tuple) -> Decision:
    """The brute force's decision on one part of a path (it must be a way in it finds)."""
    inv = brute.inv
    function, route = route_of(inv, hops)
    way = brute.way(inv.functions[function], route)
    if isinstance(route, tuple):  # SNS's send, right after the delivery, as the brute force asks it
        delivery = inv.deliveries[route[1]]
        at = next(k for k, hop in enumerate(hops) if isinstance(hop, SourceHop))
        send = hops[at + 1]
        assert isinstance(send, AskHop) and (send.action, send.resource, send.principal) == \
            (SEND, str(delivery.target), SNS), ("not SNS's send to the queue", hops)
        assert send.answer.decision is brute.sends(delivery), ("SNS's send decided", send.answer.decision, hops)
    ask = hops[0] if isinstance(hops[0], AskHop) else None
    if ask is not None and ask.via:
        assert principal in way.chained_by.get(ask.action, ()), ("not a principal that assumes a role to make it "
                                                                 "run", principal, route)
        last = way.by_action[ask.action].get(ask.via[-1])  # its request, and for a source the source's run
        assert last is not None, ("the last role of the chain does not make the request", principal, ask.via)
        return brute.via_decision(principal, ask.via, last)
    if principal in way.direct:
        decided = way.by_action.get(ask.action, way.direct) if ask is not None else way.direct
        assert principal in decided, ("not a principal that makes this request", principal, route, ask.action)
        return decided[principal]
    assert principal in brute.level(inv.functions[function], route), ("not a principal that makes it run",
                                                                      principal, function, route)
    return brute.own(principal, inv.functions[function], route)  # a role `*`'s condition lets in


def check(spec: Spec) -> None:
    inv = build(spec)
    brute = BruteForce(inv)
    paths = TriggerPaths(Edges(Index(inv)))
    for function in inv.functions.values():
        arn = str(function.arn)
        found = paths.who_can_trigger(function).triggers
        got_direct, got_chained, got_reached = set(), set(), set()
        for path in found:
            parts = segments(path)
            for principal, hops, run in parts:  # every part a way in, every function as its role
                assert part_decision(brute, principal, hops) is not Decision.DENIED, (arn, "a denied hop", path)
                if run is not None:
                    assert route_of(inv, hops)[0] == run.function, (arn, "runs another function", path)
                    assert str(inv.functions[run.function].role) == run.role, (arn, "runs as another role", path)
            want = joined([part_decision(brute, principal, hops) for principal, hops, _ in parts])
            assert path.answer.decision is want, (arn, path.principal, "decided", path.answer.decision, "not", want)
            route = route_of(inv, parts[-1][1])
            assert route[0] == arn, (arn, "a path into another function", path)
            if len(parts) > 1:
                got_reached.add((route[1], path.principal))
            elif isinstance(path.hops[0], AskHop) and path.hops[0].via:
                got_chained.add((route[1], path.principal))
                way = brute.way(function, route[1])  # a chain is taken only where it is the widest way
                assert RANK[want] >= RANK[way.direct.get(path.principal, Decision.DENIED)], \
                    (arn, path.principal, "assumes roles for less than it may do itself", path)
            else:
                got_direct.add((route[1], path.principal, path.answer.decision.value))
        want_direct, want_chained, want_reached = set(), set(), set()
        for route in brute.routes(function):
            way = brute.way(function, route)
            want_direct |= {(route, p, d.value) for p, d in way.direct.items() if (route, p) not in got_chained}
            want_chained |= {(route, p) for p in way.chained} | {(route, p) for p in way.direct
                                                                 if (route, p) in got_chained}
            want_reached |= {(route, p) for p in brute.reached(function, route)}
        for name, got, want in (("first level", got_direct, want_direct), ("by assuming roles", got_chained,
                                                                          want_chained),
                                ("through functions", got_reached, want_reached)):
            assert got == want, (arn, name, "missing:", want - got, "unexpected:", got - want)
        assert len(found) == len({(route_of(inv, segments(p)[-1][1])[1], p.principal) for p in found}), \
            (arn, "a principal listed twice for one way in")


# -- shrinking --------------------------------------------------------------------------------------

def _simpler(spec: Spec):
    """Specs one step simpler than `spec`: fewer deliveries, triggers, functions, sources, roles, policies,
    statements, conditions."""
    for name in ("deliveries", "triggers", "functions", "sources", "roles"):
        items = getattr(spec, name)
        for i in range(len(items)):
            out = copy.deepcopy(spec)
            del getattr(out, name)[i]
            yield out
    for path in _policy_paths(spec):
        policy = _at(spec, path)
        if policy is None:
            continue
        out = copy.deepcopy(spec)
        _set(out, path, None)
        yield out
        for si in range(len(policy)):
            if len(policy) > 1:
                out = copy.deepcopy(spec)
                del _at(out, path)[si]
                yield out
            if "Condition" in policy[si]:
                out = copy.deepcopy(spec)
                del _at(out, path)[si]["Condition"]
                yield out
            resources = policy[si].get("Resource")
            if isinstance(resources, list):
                for ri in range(len(resources)):
                    out = copy.deepcopy(spec)
                    kept = [r for k, r in enumerate(resources) if k != ri]
                    _at(out, path)[si]["Resource"] = _one(kept)
                    yield out
    for ti, trigger in enumerate(spec.triggers):
        if trigger["prefix"]:
            out = copy.deepcopy(spec)
            out.triggers[ti]["prefix"] = None
            yield out


def _policy_paths(spec: Spec):
    for ri, role in enumerate(spec.roles):
        yield ("roles", ri, "trust")
        for pi in range(len(role["identity"])):
            yield ("roles", ri, "identity", pi)
    for fi in range(len(spec.functions)):
        yield ("functions", fi, "policy")
    for si in range(len(spec.sources)):
        yield ("sources", si, "policy")


def _at(spec: Spec, path: tuple):
    node = getattr(spec, path[0])
    for step in path[1:]:
        node = node[step]
    return node


def _set(spec: Spec, path: tuple, value) -> None:
    holder = _at(spec, path[:-1])
    if isinstance(holder, list) and value is None and path[-2] == "identity":
        del holder[path[-1]]
    else:
        holder[path[-1]] = value




@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(specs)
# found: `*` allowed on f1 when aws:PrincipalAccount is the account; f2's role (named by no policy)
# may invoke f1 that way, and S3 may invoke f2: the chain S3 → f2 → f1 was hidden behind `*`
@example(make_spec(158))
# found: a bucket allows `*` s3:PutObject on bucket/*; r0 (its account) allows and denies itself only
# bucket/in/*: it may still put other objects, but was asked only on bucket/in/*, and was missed
@example(make_spec(14034))
def test_who_can_trigger_matches_brute_force(spec):
    try:
        check(spec)
    except AssertionError:
        small = minimise(spec, check, _simpler)
        try:
            check(small)
        except AssertionError as error:
            raise AssertionError(f"{error}\nminimal app:\n{small!r}") from None
        raise
