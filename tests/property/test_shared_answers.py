"""Sharing answers across functions changes no answer.

`graph/invokers.py` decides a caller's invoke once per key (the specific statements that match
the function, the function's class) and reuses the answer for every function with that key;
`Edges.best_chains` reuses chains per set of direct invokers. Both are exact only if the key
holds everything the answer depends on. The oracle: who-can-invoke for each function on a
fresh `Edges` on a fresh `Index` (its own `Evaluator`: nothing shared with any other function) must
equal who-can-invoke on one `Edges` asked about every function, in a drawn order, twice.

Inventories come from test_graph_bruteforce's generator with more functions, whose names
share prefixes (`f1`, `f10`, `f2`), and identity statements that name them by exact ARN, by
prefix pattern, by NotResource or on `*`, Allow or Deny, with conditions and boundaries.
"""

from __future__ import annotations

import os
import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.graph.query import who_can_invoke
from permcheck.report.answers_json import to_json
from tests.property.test_graph_bruteforce import (
    A, B, BOUNDARIES, INVOKE, SCPS, Picker, Spec, build, function_statement, identity_statement, role_arn,
    trust_statement,
)

NAMES = ["f1", "f10", "f2", "g1", "f1x"]


def _identity(p: Picker, roles: list[str]) -> dict:
    """An identity statement naming functions by exact ARN, prefix pattern, `?` or `*`."""
    account = p.pick([A, A, B, "*"])
    return identity_statement(p, roles, [], actions=[INVOKE, "lambda:*", "*", "lambda:Invoke*", "sts:AssumeRole"],
                              resources=["*", "*", f"arn:aws:lambda:us-east-1:{A}:function:f1",
                                         f"arn:aws:lambda:*:{account}:function:f1*", f"arn:aws:lambda:*:{account}:function:*",
                                         f"arn:aws:lambda:us-east-1:{A}:function:f?", f"arn:aws:lambda:*:{A}:function:g*",
                                         *roles])


def make_spec(seed: int) -> Spec:
    p = Picker(seed)
    roles = [role_arn(i, p.pick([A, A, B])) for i in range(p.pick([3, 4, 5, 6]))]
    functions = [f"arn:aws:lambda:us-east-1:{p.pick([A, A, A, B])}:function:{name}"
                 for name in p.rng.sample(NAMES, p.pick([3, 4, 5]))]
    spec = Spec()
    for arn in roles:
        spec.roles.append({
            "arn": arn, "account": arn.split(":")[4],
            "trust": None if p.rng.random() < 0.2 else [trust_statement(p, roles) for _ in range(p.pick([1, 2]))],
            "identity": [[_identity(p, roles) for _ in range(p.pick([1, 2, 3]))] for _ in range(p.pick([1, 1, 2]))],
            "boundary": p.pick(BOUNDARIES + [[{"Effect": "Allow", "Action": "lambda:*",
                                              "Resource": f"arn:aws:lambda:*:{A}:function:f*"}]])
            if p.rng.random() < 0.3 else None,
        })
    for arn in functions:
        spec.functions.append({"arn": arn, "account": arn.split(":")[4],
                               "policy": None if p.rng.random() < 0.4 else
                               [function_statement(p, roles, arn) for _ in range(p.pick([1, 2]))]})
    spec.scp = p.pick(SCPS) if p.rng.random() < 0.2 else None
    return spec


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(st.integers(0, 2**64 - 1))
@example(692_438_990_799)  # a policy naming `*` and, further on, the account: the account grant was missed
def test_shared_answers_equal_answers_asked_alone(seed):
    spec = make_spec(seed)
    inventory = build(spec)
    functions = list(inventory.functions.values())
    alone = {}
    for function in functions:  # a fresh Index: a fresh Evaluator, which remembers nothing
        alone[str(function.arn)] = to_json(who_can_invoke(Edges(Index(inventory)), function))
    edges = Edges(Index(inventory))
    order = functions * 2
    random.Random(seed).shuffle(order)
    for function in order:
        assert to_json(who_can_invoke(edges, function)) == alone[str(function.arn)], (function.arn, spec)
