"""A block's rows taken by one function (graph/block_rows.py `BlockRows.taken`) are the rows
`who_can_invoke` made before: the block's sorted rows but the excluded principals', with the
function's own rows put in by `bisect.insort(…, key=Invoker.order)` — after the rows that sort
equal, in the order given. The answers themselves are pinned by tests/property/test_shared_answers.py."""

from __future__ import annotations

import bisect

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.graph.block_rows import FEW, BlockRows
from permcheck.graph.rows import Invoker
from permcheck.iam.answer import Answer, Decision

NAMES = [f"arn:aws:iam::111111111111:role/r{i}" for i in range(60)] + ["*", "sns.amazonaws.com"]


def _rows(principals: list[str], tag: str) -> list[Invoker]:
    answer = Answer(Decision.ALLOWED if tag == "block" else Decision.CONDITIONAL)
    return [Invoker(p, ("lambda:InvokeFunction",), answer, None, ("via",) if tag == "chain" and i % 2 else ())
            for i, p in enumerate(principals)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(NAMES), unique=True, max_size=60),
       st.sets(st.sampled_from(NAMES)), st.lists(st.sampled_from(NAMES), max_size=8),
       st.sampled_from(["own", "chain"]))
def test_taken_rows_equal_rows_filtered_then_insorted(block, excluded, extra, tag):
    rows = sorted(_rows(block, "block"), key=Invoker.order)
    shared = BlockRows(tuple(rows), tuple(r.order() for r in rows), {r.principal: i for i, r in enumerate(rows)},
                       {r.principal: (r.answer, True) for r in rows}, frozenset(block))
    own = sorted(_rows(extra, tag), key=Invoker.order)
    expected = [r for r in rows if r.principal not in excluded]
    for row in own:
        bisect.insort(expected, row, key=Invoker.order)
    taken = shared.taken(set(excluded), own)
    assert [id(r) for r in taken] == [id(r) for r in expected]
    assert list(shared.rows) == rows  # the block's rows are not changed


def test_many_left_out_take_the_filtering_pass():
    rows = sorted(_rows(NAMES, "block"), key=Invoker.order)
    shared = BlockRows(tuple(rows), tuple(r.order() for r in rows), {r.principal: i for i, r in enumerate(rows)},
                       {}, frozenset(NAMES))
    left_out = set(NAMES[: FEW + 5])
    assert shared.taken(left_out, []) == [r for r in rows if r.principal not in left_out]
