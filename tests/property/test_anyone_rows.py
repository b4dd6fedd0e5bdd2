"""`*`'s rows of who-can-invoke asked alone (graph/query.py `anyone_invokers`) are its rows of the
whole answer, its role chains included, and the roles anyone reaches by assuming roles
(`Edges.anyone_reaches`, a forward walk over the trust policies that name someone) are those the
whole may-assume graph gives.

A rule on public ways in (rules/trigger_facts.py) asks a function whose policy names anyone for
`*`'s rows alone. A chain from `*` starts at a role whose trust names anyone (a trust policy's
Principal `*`: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)
and ends at an invoker of a qualifier `*` does not invoke itself; the invokers it may end at are
asked apart. Inventories: test_shared_answers' generator, with trusts naming `*` more often and
functions with a qualifier (`live`) that their policies may name apart.
"""

from __future__ import annotations

import os

from hypothesis import example, given, settings
from hypothesis import strategies as st

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.graph.query import anyone_invokers, who_can_invoke
from permcheck.report.answers_json import invoker_json
from tests.property.test_graph_bruteforce import ASSUME, Picker, build
from tests.property.test_shared_answers import make_spec


def _inventory(seed: int):
    spec = make_spec(seed)
    p = Picker(seed ^ 0x5EED)
    for role in spec.roles:  # more roles anyone may assume, so that chains from `*` occur
        if role["trust"] is not None and p.rng.random() < 0.5:
            role["trust"].append({"Effect": "Allow", "Principal": "*", "Action": ASSUME})
    for function in spec.functions:
        if function["policy"] is not None and p.rng.random() < 0.5:
            function["policy"].append({"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                                       "Resource": function["arn"] + p.pick(["", ":live"])})
    inventory = build(spec)
    for arn, function in list(inventory.functions.items()):
        if p.rng.random() < 0.6:
            inventory.functions[arn] = function.model_copy(update={"qualifiers": ("live",)})
    return inventory


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(st.integers(0, 2**64 - 1))
@example(3)
def test_anyone_rows_are_whole_answers_rows(seed):
    inventory = _inventory(seed)
    for function in inventory.functions.values():
        whole = [row for row in who_can_invoke(Edges(Index(inventory)), function).principals if row.principal == "*"]
        alone = anyone_invokers(Edges(Index(inventory)), function)
        assert [invoker_json(row) for row in alone] == [invoker_json(row) for row in whole], function.arn


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_roles_anyone_reaches_equal_the_whole_graphs(seed):
    inventory = _inventory(seed)
    expected = {arn for arn, _, _ in Edges(Index(inventory)).reachable_roles("*")}
    assert Edges(Index(inventory)).anyone_reaches == expected
