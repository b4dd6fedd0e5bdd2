"""who-can-invoke's rows of a block of shared answers (graph/invokers.py `Block`), made once for
every function of the block's class, and taken by each function but for its own few.

In a large account a function's answer holds thousands of rows (every administrator), nearly all
the block's; a function leaves out the principals it treats apart (`Invokers.excluded`) and adds
its own (`extra`, a few). Both are done at the rows' places, found by their sort keys (kept with
the rows), and the chains are asked of the set of invokers made by set operations on the
block's, not by a pass over every row (graph/query.py `_chains`)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from permcheck.graph.invokers import Block
from permcheck.graph.rows import Invoker
from permcheck.iam.answer import Answer, Decision

FEW = 32  # rows left out one by one up to this many; past it, the rows are filtered in one pass


@dataclass(frozen=True)
class BlockRows:
    """A block's rows for one action (allowed or conditional), in output order."""

    rows: tuple[Invoker, ...]
    keys: tuple[tuple, ...]  # each row's `Invoker.order()`
    place: dict[str, int]  # principal → its row's index
    answers: dict[str, tuple[Answer, bool]]  # principal → (answer, shared), for the chains
    invokers: frozenset[str]

    def taken(self, excluded: set[str], extra: list[Invoker]) -> list[Invoker]:
        """The rows but those of `excluded`, with `extra` (in output order) put in where
        `bisect.insort(rows, row, key=Invoker.order)` puts each: after the rows that sort equal."""
        drop = [self.place[p] for p in excluded if p in self.place]
        if len(drop) > FEW:
            left = set(drop)
            rows = [row for i, row in enumerate(self.rows) if i not in left]
            keys = [key for i, key in enumerate(self.keys) if i not in left]
        else:
            rows, keys = list(self.rows), list(self.keys)
            for i in sorted(drop, reverse=True):
                del rows[i], keys[i]
        for row in extra:
            key = row.order()
            at = bisect_right(keys, key)
            keys.insert(at, key)
            rows.insert(at, row)
        return rows


def block_rows(block: Block, action: str) -> BlockRows:
    """The block's rows for `action`, built on the first function of its class."""
    found = block.derived.get(action)
    if found is None:
        pairs = sorted(((caller.arn, Invoker(caller.arn, (action,), answer)) for caller, answer in block.answers
                        if answer.decision is not Decision.DENIED), key=lambda pair: pair[1].order())
        rows = tuple(row for _, row in pairs)
        found = block.derived[action] = BlockRows(
            rows, tuple(row.order() for row in rows), {principal: i for i, (principal, _) in enumerate(pairs)},
            {principal: (row.answer, True) for principal, row in pairs}, frozenset(principal for principal, _ in pairs))
    return found
