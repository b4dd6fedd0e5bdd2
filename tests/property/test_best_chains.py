"""`Edges.best_chains` walks around the direct invokers, and that changes no chain.

who-can-invoke lists every principal that reaches a direct invoker by assuming roles, once, by a
shortest chain (the first `via` in order among equals; README "Where the contract is silent").
`best_chains` walks back from each invoker without passing through, or asking about, the other
invokers: a chain through an invoker X is longer than the principal's own chain to X. The oracle
is the walk that passes through everyone (`chains_to` without `avoiding`, the invokers dropped
afterwards), on a fresh `Edges`, for random sets of invokers asked of one `Edges` (whose walks
are kept and reused while they stay the same walk) over random role graphs: roles of
two accounts whose trust policies name each other, their accounts, `*` or a service, with
conditions, so that chains branch, rejoin and tie.
"""

from __future__ import annotations

import os

from hypothesis import example, given, settings
from hypothesis import strategies as st

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from tests.property.test_graph_bruteforce import (
    A, ASSUME, B, BOUNDARIES, Picker, Spec, build, identity_statement, role_arn, trust_statement,
)


def make_spec(seed: int) -> tuple[Spec, list[frozenset[str]]]:
    """A role graph of 3-9 roles, and a few sets of invokers drawn from its roles (the last ones
    each one principal apart from the one before: a walk kept for one set may serve the next)."""
    p = Picker(seed)
    roles = [role_arn(i, p.pick([A, A, A, B])) for i in range(p.pick([3, 5, 7, 9]))]
    spec = Spec()
    for arn in roles:
        spec.roles.append({
            "arn": arn, "account": arn.split(":")[4],
            "trust": None if p.rng.random() < 0.1 else [trust_statement(p, roles) for _ in range(p.pick([1, 2, 3]))],
            "identity": [[identity_statement(p, roles, [], actions=[ASSUME, ASSUME, "sts:*", "*"])
                          for _ in range(p.pick([1, 2]))] for _ in range(p.pick([0, 1, 1]))],
            "boundary": p.pick(BOUNDARIES) if p.rng.random() < 0.15 else None,
        })
    invokers = [frozenset(p.rng.sample(roles, p.rng.randint(0, len(roles)))) for _ in range(3)]
    for _ in range(3):  # sets one principal apart, as functions of one account mostly are
        invokers.append(invokers[-1] ^ {p.pick(roles)})
    return spec, invokers


def through_everyone(edges: Edges, invokers: frozenset[str]) -> dict[str, tuple]:
    """The chains as found by walks that pass through every principal (the oracle)."""
    best: dict[str, tuple] = {}
    for role in invokers:
        for source, via, taken in edges.chains_to(role):
            if source in invokers:
                continue
            known = best.get(source)
            if known is None or (len(via), via) < (len(known[0]), known[0]):
                best[source] = (via, taken)
    return best


def _plain(chains: dict[str, tuple]) -> dict[str, tuple]:
    return {source: (via, tuple((e.source, e.target, e.answer) for e in taken))
            for source, (via, taken) in chains.items()}


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(st.integers(0, 2**64 - 1))
@example(0)
def test_walks_around_invokers_find_the_same_chains(seed):
    spec, drawn = make_spec(seed)
    inventory = build(spec)
    fast = Edges(Index(inventory))  # one Edges for every set, as a run over many functions
    for invokers in drawn:
        got = {source: (via, taken) for source, via, taken in fast.best_chains(invokers)}
        expected = through_everyone(Edges(Index(inventory)), invokers)
        assert _plain(got) == _plain(expected), (sorted(invokers), spec)


def test_a_longer_chain_through_an_invoker_is_not_listed():
    """r0 ← r1 ← r2 and r2 → r0 directly: with r0 and r1 invoking, r2 is listed by its own one-hop
    chain to r1 (ARN order among equals), never through r1."""
    trust = lambda *arns: [{"Effect": "Allow", "Principal": {"AWS": list(arns)}, "Action": ASSUME}]
    r0, r1, r2 = (role_arn(i, A) for i in range(3))
    spec = Spec(roles=[{"arn": r0, "account": A, "trust": trust(r1, r2), "identity": [], "boundary": None},
                       {"arn": r1, "account": A, "trust": trust(r2), "identity": [], "boundary": None},
                       {"arn": r2, "account": A, "trust": None, "identity": [], "boundary": None}])
    chains = Edges(Index(build(spec))).best_chains(frozenset({r0, r1}))
    assert [(source, via) for source, via, _ in chains] == [(r2, (r0,))]
