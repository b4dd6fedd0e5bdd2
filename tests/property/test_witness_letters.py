"""The witness search reads, in each state, only the letters the current tokens tell apart, plus the
first letter they do not name (string_automata._distinct_letters). Every other letter leads where
that one does, so the search must find the same words, state by state, as reading every letter of
the alphabet: this compares it with that plain search over random patterns of every kind."""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings, strategies as st

from permcheck.iam import string_automata as sa
from permcheck.iam.string_automata import STATE_CAP, _klass_chars, _step, atoms, validity_atoms


def every_letter_search(automata):
    """The search as first written: every letter of the alphabet in every state."""
    alphabet = set().union(*(_klass_chars(kl) for t in automata for _, kl in t))
    fresh = next(c for c in "x_#0~%&" + "".join(map(chr, range(0xE000, 0xE100))) if c not in alphabet)
    start = tuple(sa._close(t, {0}) for t in automata)
    seen, queue, found, complete = {start}, deque([(start, "")]), {}, True
    while queue:
        state, word = queue.popleft()
        found.setdefault(tuple(len(t) in s for t, s in zip(automata, state)), word)
        for ch in sorted(alphabet | {fresh}):
            nxt = tuple(_step(t, s, ch) for t, s in zip(automata, state))
            if nxt not in seen:
                if len(seen) >= STATE_CAP:
                    complete = False
                    continue
                seen.add(nxt)
                queue.append((nxt, word + ch))
    return set(found.values()), complete


piece = st.sampled_from(["*", "?", ":", "a", "A", "b", "x", "/", "arn", "aws", "s3", "ß", "K", "1"])
pattern = st.lists(piece, max_size=9).map("".join)
kind = st.sampled_from(["eq", "ic", "like", "arn", "bool"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(kind, pattern), min_size=1, max_size=3))
def test_reading_only_the_letters_tokens_tell_apart_finds_the_same_words(clauses):
    machines = [a for k, p in clauses for a in validity_atoms(k) + atoms(k, p)]
    machines = list(dict.fromkeys(machines))
    if not machines:
        return
    assert sa.string_witnesses(machines) == every_letter_search(machines)
