"""`report/json_text.JsonText` writes exactly what `json.dumps(document, indent=2)` writes.

The CLI's JSON output (and the golden files) are `json.dumps(…, indent=2)`'s text; JsonText makes
it faster and writes a shared row's text once. The oracle is the standard library itself: on
every golden file, on random documents (every JSON type, non-ASCII text, NaN and the
infinities, tuples, keys json converts), and on documents whose `SharedRow`s recur at several
depths and across documents written by one JsonText.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.report.answers_json import Renderer
from permcheck.report.json_text import JsonText, SharedRow

GOLDEN = Path(__file__).parent / "golden"

leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
documents = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    | st.dictionaries(st.integers() | st.booleans() | st.none(), inner, max_size=3),
    max_leaves=30)


def test_every_golden_file_is_written_as_json_dumps_writes_it():
    files = sorted(GOLDEN.rglob("*.json"))
    assert files
    for path in files:
        document = json.loads(path.read_text())
        assert JsonText().dumps(document) == json.dumps(document, indent=2), path


@settings(max_examples=300, deadline=None)
@given(documents)
def test_random_documents(document):
    assert JsonText().dumps(document) == json.dumps(document, indent=2)


@settings(max_examples=200, deadline=None)
@given(st.lists(documents, min_size=1, max_size=4), st.lists(st.integers(0, 3), min_size=1, max_size=6))
def test_shared_rows_at_any_depth_across_documents(values, picks):
    """Rows shared within one document and across documents, at different depths, with one writer."""
    rows = [SharedRow({"row": value, "n": i}) for i, value in enumerate(values)]
    text = JsonText()
    for depth in range(3):
        document: object = {"rows": [rows[i % len(rows)] for i in picks], "first": rows[0]}
        for _ in range(depth):
            document = {"nested": [document, rows[-1]]}
        assert text.dumps(document) == json.dumps(document, indent=2)
        streamed = io.StringIO()
        text.write(document, streamed.write)
        assert streamed.getvalue() == json.dumps(document, indent=2)


def test_a_value_json_cannot_write_fails_as_json_dumps_fails():
    for writer in (JsonText().dumps, lambda d: json.dumps(d, indent=2)):
        try:
            writer({"a": [object()]})
        except TypeError as error:
            assert "not JSON serializable" in str(error)
        else:
            raise AssertionError("no error")


def test_the_renderer_marks_its_rows_shared():
    from permcheck.graph.rows import Invoker, Invokers
    from permcheck.iam.answer import Answer, Decision

    row = Invoker("arn:aws:iam::111111111111:role/r", ("lambda:InvokeFunction",), Answer(Decision.ALLOWED))
    render = Renderer()
    first = render.invokers(Invokers("arn:aws:lambda:us-east-1:111111111111:function:f", [row]))
    second = render.invokers(Invokers("arn:aws:lambda:us-east-1:111111111111:function:g", [row]))
    assert type(first["principals"][0]) is SharedRow and first["principals"][0] is second["principals"][0]
