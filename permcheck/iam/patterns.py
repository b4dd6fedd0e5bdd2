"""Which of many wildcard patterns may match a resource, without trying each one.

An account snapshot holds thousands of statements with resource patterns
(`arn:aws:lambda:us-east-1:111122223333:function:orders-*`); trying each for every function
or role is what made large accounts slow. Known patterns are bucketed by their literal
start (the text before the first wildcard): a value can only match patterns whose start is
one of its own prefixes, so only those buckets are tried. Patterns with unknown parts,
NotResource lists and values with unknown parts go the exact three-valued way (`iam.match`).
"""

from __future__ import annotations

from permcheck.iam.match import any_match, negate, wildcard_match


class PatternIndex:
    """(patterns, excluded, payload) entries; `candidates(value)` keeps those that may match."""

    def __init__(self, entries: list[tuple[tuple, bool, object]]) -> None:
        self.buckets: dict[str, list[tuple[str, object]]] = {}
        self.other: list[tuple[tuple, bool, object]] = []
        for patterns, excluded, payload in entries:
            if excluded or not all(isinstance(p, str) for p in patterns):
                self.other.append((patterns, excluded, payload))
                continue
            for pattern in patterns:
                start = pattern.split("*", 1)[0].split("?", 1)[0]
                self.buckets.setdefault(start, []).append((pattern, payload))
        self.lengths = sorted({len(start) for start in self.buckets})

    def candidates(self, value: object) -> list[object]:
        """Payloads whose patterns match `value` or may (an unknown part): never a miss."""
        out = []
        if isinstance(value, str):
            for length in self.lengths:
                if length > len(value):
                    break
                for pattern, payload in self.buckets.get(value[:length], ()):
                    if wildcard_match(pattern, value):
                        out.append(payload)
        else:
            out += [payload for bucket in self.buckets.values() for pattern, payload in bucket
                    if any_match((pattern,), value) is not False]
        for patterns, excluded, payload in self.other:
            hit = any_match(patterns, value)
            if (negate(hit) if excluded else hit) is not False:
                out.append(payload)
        return out
