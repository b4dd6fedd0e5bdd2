"""What one model's evaluations remember, so the evaluator decides each shape of request once.

Each entry is keyed by the ids of the statements, policies or callers it was made from and keeps
those objects beside it, so an id in a key stays its own; the caches belong to one `Evaluator`
(one model) and go with it, never outliving the values they were made from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LIMIT = 200_000  # entries per cache; past it the cache starts again (memory stays bounded)


@dataclass
class Caches:
    answers: dict = field(default_factory=dict)  # decide's signature → (answer, the statements it keys on)
    policy_index: dict = field(default_factory=dict)  # (id(policy), action) → (policy, always, PatternIndex)
    plain_allows: dict = field(default_factory=dict)  # (id(caller), action) → (caller, plain Allows or None)

    @staticmethod
    def put(cache: dict, key, value) -> None:
        """Remember one entry, starting the cache again when it is full."""
        if len(cache) >= LIMIT:
            cache.clear()
        cache[key] = value
