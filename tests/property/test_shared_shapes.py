"""The evaluator shares an answer between statements of the same content, and cites each request's own.

`decide._signature` counts a statement that can apply by its content (`Caches.shape`): ten
thousand roles that trust `lambda.amazonaws.com` in the same words are decided once. The answer
must still cite the statements of the request at hand — file, line, sid — and be exactly the
answer a fresh evaluator gives. The oracle: each request decided on a fresh `Evaluator`, against
one `Evaluator` that first decides the same request with every statement moved elsewhere (another
file and line, another sid), and sometimes with a statement written twice (which counts by
identity, as written). Scenarios come from test_evaluation_properties: every layer, condition
operator, unknown policy and kind of caller; a few scenarios share one evaluator, so statements
that differ in one field meet too.
"""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from permcheck.iam import decide
from permcheck.iam.decide import Evaluator
from permcheck.iam.request import Caller, CallerKind, Request, Target
from permcheck.load.policy_doc import parse_policy
from permcheck.model.location import Location
from permcheck.model.policy import Effect, Policy, PolicyKind
from tests.property.test_evaluation_properties import SETTINGS, make_scenario


def moved(policy: Policy | None, rng: random.Random) -> Policy | None:
    """The same policy written elsewhere: each statement at another file, line and sid; now and
    then one field of one statement changed, or one statement written twice."""
    if policy is None or not policy.statements:
        return policy
    statements = [s.model_copy(update={"location": Location("moved.json", 100 + i), "sid": f"Moved{i}"})
                  for i, s in enumerate(policy.statements)]
    if rng.random() < 0.5:  # one field changed: a statement that differs in it must not count as the same
        i = rng.randrange(len(statements))
        field, value = rng.choice([("conditions", ()), ("conditions", rng.choice(statements).conditions),
                                   ("effect", Effect.DENY if statements[i].effect is Effect.ALLOW else Effect.ALLOW), ("version", "2008-10-17"),
                                   ("not_action", not statements[i].not_action),
                                   ("principals", rng.choice(statements).principals)])
        if field != "principals" or statements[i].principals is not None and value is not None:
            statements[i] = statements[i].model_copy(update={field: value})
    if rng.random() < 0.3:
        twice = rng.choice(statements)
        statements.append(twice.model_copy(update={"location": Location("moved.json", 999)}))
    return policy.model_copy(update={"statements": tuple(statements), "location": Location("moved.json", 1)})


def moved_request(request: Request, rng: random.Random) -> Request:
    caller = request.caller
    identity = None if caller.identity is None else tuple(moved(p, rng) for p in caller.identity)
    caller = replace(caller, identity=identity, boundary=moved(caller.boundary, rng))
    return replace(request, caller=caller, target=replace(request.target, policy=moved(request.target.policy, rng)))


@SETTINGS
@given(st.integers(0, 2**64 - 1), st.booleans())
def test_an_answer_shared_by_content_is_the_answer_asked_alone(seed, closed):
    """Requests of a few scenarios under one organisation (so their statements of one content
    meet), each also moved elsewhere, asked in a drawn order of one `Evaluator`."""
    rng = random.Random(seed)
    scenarios = [make_scenario(rng.randrange(2**64), unknowns=True).compiled() for _ in range(4)]
    org = scenarios[0][1]
    asked = [replace(request, closed=closed) for request, _ in scenarios]
    asked += [moved_request(request, rng) for request in asked]
    asked += rng.sample(asked, len(asked))
    shared = Evaluator(org)
    for request in asked:
        assert shared.evaluate_fully(request) == Evaluator(org).evaluate_fully(request), request


def _trust(file: str, line: int) -> Policy:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    return parse_policy(document, name=f"{file} trust", kind=PolicyKind.TRUST, location=Location(file, line))


def test_roles_trusting_in_the_same_words_are_decided_once(monkeypatch):
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
    a service principal the trust policy names may assume the role; each answer cites its role's
    own trust statement."""
    enumerated = []
    real = decide._enumerate
    monkeypatch.setattr(decide, "_enumerate", lambda *args: enumerated.append(1) or real(*args))
    evaluator = Evaluator()
    service = Caller(CallerKind.SERVICE, "lambda.amazonaws.com")
    answers = []
    for i in range(3):
        trust = _trust(f"role{i}.json", 10 + i)
        target = Target(arn=f"arn:aws:iam::111111111111:role/r{i}", account="111111111111", policy=trust,
                        policy_required=True)
        answers.append((trust, evaluator.evaluate_fully(Request(service, "sts:AssumeRole", target))))
    assert len(enumerated) == 1
    for trust, answer in answers:
        assert answer.decision is decide.Decision.ALLOWED
        assert answer.because == trust.statements
