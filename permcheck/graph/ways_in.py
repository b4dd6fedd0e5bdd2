"""The ways into a function, one level deep: who invokes it (who-can-invoke's answers), who fires
each event source wired to it, and the functions' roles a conditional `*` stands for.
graph/triggers.py walks on from these.

A source fires when a principal makes the request that raises its event (`Trigger.writes`: put
an object, publish, send, start an execution, call a route) — or, for a schedule, when AWS does.
Then the source's service invokes the function (asked of the function's policy, with the
source's ARN and account as AWS sends them), a role the source uses invokes it, or, for a poll
source, Lambda reads it with the function's own role. A path is `allowed` only when every hop is.

A polled queue may itself be fed by a source (`Inventory.deliveries`): an SNS topic with an `sqs`
subscription sends each message published to it to the queue as sns.amazonaws.com, with the
topic as `aws:SourceArn` (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html).
Whoever may publish to the topic then makes the function run, when the queue's policy lets SNS
send for that topic: the path is the publish, the topic, SNS's send, then the queue's own hops.

A way in that a policy opens to anyone (`*`) under a condition also lets in a function's role
that no policy names, when the role meets the condition (`aws:PrincipalAccount`, its ARN; within
one account the resource's policy alone is enough). Whoever can make that role's function run
can then make this one run, though `*`'s condition may not let them in themselves, so those
roles are asked on their own answers (`opened`) for the walk to follow; `*` stands for them in
the answer. Where `*` is simply allowed, everyone makes the function run that way: a path
through another function would add nobody.
"""

from __future__ import annotations

from permcheck.graph.edges import Edges
from permcheck.graph.query import anyone_invokers, combine, who_can_invoke
from permcheck.graph.role_answers import RoleAnswers
from permcheck.graph.rows import AskHop, Invokers, SourceHop, TriggerPath
from permcheck.graph.writers import Writers
from permcheck.iam.answer import RANK, Answer, Decision, OnUnknown
from permcheck.iam.request import Caller, CallerKind, Request
from permcheck.model.arn import account_field
from permcheck.model.entities import Function
from permcheck.model.triggers import Delivery, Invocation, Trigger, Wired
from permcheck.model.values import concat

INVOKE = "lambda:InvokeFunction"


class WaysIn:
    """The ways into each function of one model, found once and remembered."""

    def __init__(self, edges: Edges) -> None:
        self.edges = edges
        self.writers = Writers(edges)
        self.role_answers = RoleAnswers(edges)
        self._into: dict[str, list[TriggerPath]] = {}
        self._sources: dict[str, list[TriggerPath]] = {}
        self._invokers: dict[str, Invokers] = {}
        self._open: dict[str, list[TriggerPath]] = {}
        index = edges.index
        self._wired: dict[str, list[Trigger]] = {}
        for trigger in index.inventory.triggers:
            function = index.function_at(trigger.function)
            if function is not None:
                self._wired.setdefault(str(function.arn), []).append(trigger)
        self._deliveries: dict[str, list[Delivery]] = {}  # target (a queue's ARN) → what delivers to it
        for delivery in index.inventory.deliveries:
            self._deliveries.setdefault(str(delivery.target), []).append(delivery)
        self._runners = list(dict.fromkeys(str(f.role) for f in index.inventory.functions.values()
                                           if f.role is not None))  # the roles functions run as

    def invokers(self, function: Function) -> Invokers:
        """who-can-invoke for `function`, asked once: the first level of every path into it, and
        what a report that shows both answers would otherwise ask twice."""
        key = str(function.arn)
        if key not in self._invokers:
            self._invokers[key] = who_can_invoke(self.edges, function)
        return self._invokers[key]

    def ways_into(self, function: Function) -> list[TriggerPath]:
        """One level: who invokes the function, and who fires each source wired to it."""
        key = str(function.arn)
        if key not in self._into:
            self._into[key] = self.invoked(function) + self.sources_into(function)
        return self._into[key]

    def invoked(self, function: Function, anyone_only: bool = False) -> list[TriggerPath]:
        """The first part of `ways_into`: who invokes the function (who-can-invoke's rows). With
        `anyone_only`, the paths of `*` alone (`anyone_invokers`): a function whose policy names
        anyone is not asked about every other invoker."""
        if not anyone_only:
            rows = self.invokers(function).principals
        elif str(function.arn) in self._invokers:
            rows = [row for row in self._invokers[str(function.arn)].principals if row.principal == "*"]
        else:
            rows = anyone_invokers(self.edges, function)
        return [TriggerPath(row.principal, (AskHop(row.actions[0], _qualified(function, row.qualifier),
                                                   row.answer, via=row.via, actions=row.actions),), row.answer)
                for row in rows]

    def sources_into(self, function: Function) -> list[TriggerPath]:
        """The rest of `ways_into`: who fires each source wired to the function (a caller that
        needs no invoker, such as a rule on sources alone, asks for these without who-can-invoke)."""
        key = str(function.arn)
        if key not in self._sources:
            ways: list[TriggerPath] = []
            for trigger in self._wired.get(key, ()):
                ways += self._through(function, trigger)
            self._sources[key] = ways
        return self._sources[key]

    def opened(self, function: Function) -> list[TriggerPath]:
        """Where a policy opens a way into `function` to anyone under a condition, the path of each
        function's role that is not on that way but may take it (asked as itself)."""
        key = str(function.arn)
        if key not in self._open:
            inventory, out = self.edges.index.inventory, []
            by_way: dict[tuple, list[TriggerPath]] = {}
            for path in self.ways_into(function):
                by_way.setdefault(way_of(path), []).append(path)
            for paths in by_way.values():
                anyone = [path for path in paths if path.principal == "*" and _asked_of_policies(path)]
                if not anyone or any(path.answer.decision is Decision.ALLOWED for path in anyone):
                    continue  # nobody's way, or everybody's
                listed = {path.principal for path in paths}
                accounts, granted = self._asked_where(anyone)
                for arn in self._runners:
                    role = inventory.roles.get(arn)
                    may_ask = accounts is None or (role is not None and role.account in accounts) or arn in granted
                    if role is not None and arn not in listed and may_ask:
                        path = self._as_anyone(self.edges.index.caller_for_entity(role), anyone)
                        if path is not None:
                            out.append(path)
            self._open[key] = out
        return self._open[key]

    def _asked_where(self, anyone: list[TriggerPath]) -> tuple[set[str] | None, set[str]]:
        """The accounts that own the resources a way in's requests name (None: one is unknown),
        and the principals whose identity policies may allow such a request at all. A role of
        another account that no identity policy lets make it is denied whatever the resource's
        policy says (both sides must allow a cross-account request:
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html),
        so it is not asked."""
        index = self.edges.index
        source = first_source(anyone[0])
        if source is None:
            requests = [(action, path.hops[0].resource) for path in anyone
                        for action in path.hops[0].actions or (path.hops[0].action,)]
        else:
            requests = [(write.action, write.resource) for write in source.trigger.writes]
        accounts = {index.target(resource, action).account for action, resource in requests}
        granted = {str(entity.arn) for action, _ in requests for entity, _ in self.edges.identity_allows(action)}
        return (accounts if all(isinstance(a, str) and a for a in accounts) else None), granted

    def _as_anyone(self, caller: Caller, anyone: list[TriggerPath]) -> TriggerPath | None:
        """`caller`'s own path by the way in `anyone`'s paths take: the same request, its own
        answer (for a source, its widest way to make one of the writes); None if denied."""
        best: AskHop | None = None
        source = first_source(anyone[0])
        if source is None:  # an invoke, as who-can-invoke asks it
            for hop in (path.hops[0] for path in anyone):
                for action in hop.actions or (hop.action,):
                    asked = AskHop(action, hop.resource, self.role_answers.ask(caller, action, hop.resource))
                    if best is None or rank(asked.answer) > rank(best.answer):
                        best = asked
        else:
            for write in source.trigger.writes:
                writer = self.writers.answer(caller, write.action, write.resource, self.role_answers.ask)
                if writer is not None and (best is None or rank(writer.answer) > rank(best.answer)):
                    best = AskHop(write.action, writer.resource, writer.answer)
        if best is None or best.answer.decision is Decision.DENIED:
            return None
        hops = (best,) + anyone[0].hops[1:]
        answer = combine([hop.answer for hop in hops if isinstance(hop, AskHop)])
        return TriggerPath(caller.arn, hops, answer) if answer.decision is not Decision.DENIED else None

    def _through(self, function: Function, trigger: Trigger) -> list[TriggerPath]:
        """The paths through one source: who fires it, the source, how it reaches the function."""
        runs = self._runs(function, trigger)
        if runs.answer.decision is Decision.DENIED:
            return []
        rest = (SourceHop(trigger), runs)
        out = self._fired_into(trigger, rest)
        if trigger.invocation is Invocation.POLL:
            for delivery in self._deliveries.get(str(trigger.resource), ()):
                sends = self._sends(delivery)
                if sends.answer.decision is not Decision.DENIED:
                    out += self._fired_into(delivery, (SourceHop(delivery), sends) + rest, skip=delivery.service)
        return out

    def _fired_into(self, source: Wired, rest: tuple, skip: str | None = None) -> list[TriggerPath]:
        """A path for each principal that fires `source`, its request before `rest`. `skip`: the
        service a delivery sends as, never a publisher through it (its own row is the queue's)."""
        out = []
        for principal, fire in self._fired_by(source):
            if principal is not None and principal == skip:
                continue
            hops = ((fire,) if fire is not None else ()) + rest
            answer = combine([hop.answer for hop in hops if isinstance(hop, AskHop)])
            if answer.decision is not Decision.DENIED:
                out.append(TriggerPath(principal, hops, answer))
        return out

    def _sends(self, delivery: Delivery) -> AskHop:
        """The delivery's service making its request of the target (SNS's sqs:SendMessage on the
        queue), asked of the target's policy with the source as `aws:SourceArn` and its account as
        `aws:SourceAccount`, as SNS sends them."""
        edges, write = self.edges, delivery.delivers
        caller = Caller(kind=CallerKind.SERVICE, arn=delivery.service)
        request = Request(caller=caller, action=write.action, target=edges.index.target(write.resource, write.action),
                          context=_source_context(edges, delivery.resource), closed=edges.closed)
        return AskHop(write.action, str(write.resource), edges.index.evaluator.evaluate(request),
                      principal=delivery.service)

    def _fired_by(self, trigger: Wired) -> list[tuple[str | None, AskHop | None]]:
        """Who makes the source fire, each with the request it makes (None: nobody asks)."""
        first = trigger.writes[0] if trigger.writes else None
        resource = str(first.resource) if first else str(trigger.resource)
        if trigger.producers:
            return [(None, AskHop(trigger.event or "send", resource,
                                  Answer(Decision.CONDITIONAL, (OnUnknown(trigger.producers),))))]
        if trigger.public:
            return [("*", AskHop(first.action if first else trigger.event, resource, Answer(Decision.ALLOWED)))]
        if trigger.source == "execute-api" and trigger.authorization is None:  # the inputs do not say: may be NONE
            return [("*", AskHop(first.action if first else trigger.event, resource, Answer(
                Decision.CONDITIONAL, (OnUnknown("the route's authorization, which the inputs do not show"),))))]
        if trigger.authorization and trigger.authorization not in ("AWS_IAM", "NONE"):
            who = "a caller with one of the API's keys" if trigger.authorization == "API_KEY" else \
                f"a caller the {trigger.authorization} authorizer accepts"
            return [("*", AskHop(first.action if first else trigger.event, resource,
                                 Answer(Decision.CONDITIONAL, (OnUnknown(who),))))]
        if not trigger.writes:
            return [(None, None)]  # only AWS fires it (a schedule)
        best: dict[str, AskHop] = {}
        for write in trigger.writes:
            for principal, writer in self.writers.of(write.action, write.resource).items():
                held = best.get(principal)
                if held is None or rank(writer.answer) > rank(held.answer):
                    best[principal] = AskHop(write.action, writer.resource, writer.answer, via=writer.via)
        return sorted(best.items(), key=lambda pair: pair[0])

    def _runs(self, function: Function, trigger: Trigger) -> AskHop:
        """How the source reaches the function: its service or role invokes it, or (poll) the
        function's role reads the source."""
        edges = self.edges
        target = str(trigger.function)
        if trigger.invocation is Invocation.POLL:
            role = edges.index.inventory.roles.get(str(function.role)) if function.role is not None else None
            if role is None:
                reason = f"whether {function.role or 'the function’s role'} may read {trigger.resource}"
                return AskHop("read", str(trigger.resource), Answer(Decision.CONDITIONAL, (OnUnknown(reason),)),
                              principal=str(function.role) if function.role else None)
            caller = edges.index.caller_for_entity(role)
            answers = [edges.ask(caller, read.action, read.resource) for read in trigger.reads]
            return AskHop(trigger.reads[0].action if trigger.reads else "read", str(trigger.resource),
                          combine(answers) if answers else Answer(Decision.ALLOWED), principal=caller.arn,
                          actions=tuple(read.action for read in trigger.reads))
        if trigger.service:
            caller = Caller(kind=CallerKind.SERVICE, arn=trigger.service)
            request = Request(caller=caller, action=INVOKE, target=edges.index.target(target, INVOKE),
                              context=_source_context(edges, trigger.resource), closed=edges.closed)
            return AskHop(INVOKE, target, edges.index.evaluator.evaluate(request), principal=trigger.service)
        if trigger.role is not None:
            caller = edges.index.caller_if_any(str(trigger.role))
            if caller is not None:
                return AskHop(INVOKE, target, edges.ask(caller, INVOKE, target), principal=caller.arn)
        reason = f"what {trigger.source} invokes {target} with"
        return AskHop(INVOKE, target, Answer(Decision.CONDITIONAL, (OnUnknown(reason),)))


def _source_context(edges: Edges, source: object) -> dict[str, tuple[str, ...]]:
    """The keys a service sends when its source invokes a function: `aws:SourceArn` (when the
    source's ARN is known) and `aws:SourceAccount`, the account that owns the source. That account
    is known whenever the ARN's account field is: a bucket named `uploads-${AWS::StackName}` is
    still the deploying account's, so a permission asking for that account holds
    (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html)."""
    context = dict(edges.context)
    if isinstance(source, str):
        context["aws:sourcearn"] = (source,)
    if isinstance(source, str) or isinstance(account_field(source), str):
        account = edges.index.target(source, INVOKE).account
        if account:
            context["aws:sourceaccount"] = (account,)
    return context


def _qualified(function: Function, qualifier: str | None) -> str:
    return str(concat([function.arn, f":{qualifier}"])) if qualifier else str(function.arn)


def first_source(path: TriggerPath) -> SourceHop | None:
    """The first source a path fires (None: it starts with an invoke)."""
    return next((hop for hop in path.hops if isinstance(hop, SourceHop)), None)


def way_of(path: TriggerPath) -> tuple:
    """Which way into the function a path takes: the source it fires (or a direct invoke)."""
    source = first_source(path)
    return (id(source.trigger),) if source is not None else ("invoke",)


def _asked_of_policies(path: TriggerPath) -> bool:
    """Is the path's first request one the policies decide (an invoke, or a write to a source its
    wiring does not open: not a route without authorization, an authorizer or a broker)?"""
    source = first_source(path)
    if source is None:
        return True
    trigger = source.trigger
    if trigger.source == "execute-api":
        return trigger.authorization == "AWS_IAM"
    return bool(trigger.writes) and not trigger.producers and not trigger.public and trigger.authorization is None


def rank(answer: Answer) -> int:
    return RANK[answer.decision]
