"""The pattern index finds exactly the patterns the three-valued matcher says may match."""

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.iam.patterns import PatternIndex
from permcheck.iam.match import any_match, negate

ALPHABET = "ab:/*?"
patterns = st.lists(st.tuples(st.lists(st.text(ALPHABET, max_size=6), min_size=1, max_size=2).map(tuple),
                              st.booleans()), max_size=12)


@settings(max_examples=300, deadline=None)
@given(patterns, st.text("ab:/", max_size=7))
def test_index_equals_trying_every_pattern(entries, value):
    index = PatternIndex([(p, excluded, i) for i, (p, excluded) in enumerate(entries)])
    expected = set()
    for i, (p, excluded) in enumerate(entries):
        hit = any_match(p, value)
        if (negate(hit) if excluded else hit) is not False:
            expected.add(i)
    assert set(index.candidates(value)) == expected
