"""permcheck.load.decode_json_fast: the C-speed JSON reader gives what the reference reader
(`decode_json._json`) gives, value for value and line for line, and raises its errors."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from permcheck.load import decode_limits
from permcheck.load.decode import _text
from permcheck.load.decode_json import _json
from permcheck.load.decode_json_fast import _decode, _Unsure, fast_json, plain_json
from permcheck.load.nodes import LineDict, LineList, plain
from permcheck.model.location import InputError

ROOT = Path(__file__).resolve().parents[2]


def same(old: object, new: object, at: str = "$") -> None:
    """Equal values, equal types, and equal lines on every container, key and item."""
    assert type(old) is type(new), f"{at}: {type(old).__name__} != {type(new).__name__}"
    if isinstance(old, LineDict):
        assert old.line == new.line, f"{at}: line {old.line} != {new.line}"
        assert list(old) == list(new), f"{at}: keys"
        assert old.key_lines == new.key_lines, f"{at}: key lines {old.key_lines} != {new.key_lines}"
        for key in old:
            same(old[key], new[key], f"{at}.{key}")
    elif isinstance(old, LineList):
        assert old.line == new.line, f"{at}: line {old.line} != {new.line}"
        assert len(old) == len(new), f"{at}: length"
        assert old.item_lines == new.item_lines, f"{at}: item lines {old.item_lines} != {new.item_lines}"
        for index, (a, b) in enumerate(zip(old, new)):
            same(a, b, f"{at}[{index}]")
    else:
        assert old == new, f"{at}: {old!r} != {new!r}"


def outcome(read, text: str) -> tuple:
    try:
        return ("value", read("t.json", text))
    except InputError as error:
        return ("error", type(error), error.message, error.location.line)
    except json.JSONDecodeError as error:
        return ("error", type(error), error.msg, error.lineno)


def same_outcome(text: str) -> None:
    old, new = outcome(_json, text), outcome(fast_json, text)
    assert old[0] == new[0], (old, new)
    if old[0] == "value":
        same(old[1], new[1])
    else:
        assert old == new


# -- the corpus ----------------------------------------------------------------------------------


def corpus_texts() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "tests").rglob("*.json")):
        try:
            text = _text(str(path), path.read_bytes())
        except InputError:
            continue
        if text.lstrip(" \t\n\r")[:1] in ("{", "["):
            out.append((str(path.relative_to(ROOT)), text))
    return out


CORPUS = corpus_texts()


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) > 1000


def test_every_corpus_file_decodes_the_same_with_both_readers() -> None:
    fast = 0
    for name, text in CORPUS:
        old = outcome(_json, text)
        try:
            new = ("value", _decode(text))  # the fast path alone, no fallback
        except (_Unsure, ValueError, RecursionError, StopIteration):
            new = outcome(fast_json, text)
        else:
            fast += 1
        assert old[0] == new[0], name
        if old[0] == "value":
            try:
                same(old[1], new[1])
            except AssertionError as error:
                raise AssertionError(f"{name}: {error}") from None
        else:
            assert old == new, name
    assert fast > 0.95 * len(CORPUS)  # the fallback is for odd inputs, not the usual path


# -- layouts and errors --------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    '{}', '[]', ' \n{ }\n', '[\n]', '{"a":1}', '{"a" :\n 1, "b": 2}', '{"a"\n: "x", "b": [\n]}',
    '{\r\n  "a": [1,\r\n 2],\r\n  "b": {"c": null}\r\n}\r\n', '[[[]],[{}],{"a":[{"b":[]}]}]',
    '{"a": "x\\"y:", "b\\\\": "\\u00e9", "c": "\\ud83d\\ude00", "d": -1.5e+3, "e": true, "f": false}',
    '{"Statement": [{"Effect": "Allow",\n"Action": ["s3:*",\n "sqs:*"], "Resource": "*"}]}',
    '["a",\n"b", 1, [2,\n3], {"k":\n"v"}]', '{"é": {"ü": ["ß"]}}', '{"a": 1}\n\n\n',
    # bad: the fallback raises the reference's error, at its line
    '{"a": 1,\n "a": 2}', '{"a": NaN}', '[1,\n Infinity]', '{"a":\n -Infinity}', '[1e999]',
    '{"a": "\\ud800"}', '["ok",\n "\\udfff"]', '{"a": 1,}', '[1,]', '{"a": 1} x', '[1 2]', '{"a" 1}',
    '{"a": "x\ny"}', '{"a": 01}', '[' + "9" * 5000 + ']', '[' * 300 + ']' * 300, '{"a":' * 250 + '1' + '}' * 250,
    '{"Statement": [' + ",".join(["{}"] * 1001) + ']}', '{"a": [1, 2', '',
])
def test_layouts_and_errors_are_the_reference_readers(text: str) -> None:
    same_outcome(text)


def test_the_node_limit_is_the_reference_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode_limits, "MAX_NODES", 100)
    for size in (10, 98, 99, 100, 101, 500):
        same_outcome("[" + ",".join(["1"] * size) + "]")
        same_outcome("[" + ",\n".join(['{"a": []}'] * size) + "]")


def test_a_snapshot_shaped_document_takes_the_fast_path() -> None:
    text = json.dumps({"RoleDetailList": [{"RoleName": f"r{i}", "RolePolicyList": [{"PolicyDocument": {
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}}],
        "Tags": []} for i in range(20)]}, indent=4)
    same(_json("t.json", text), _decode(text))


# -- random documents ----------------------------------------------------------------------------

_KEYS = st.text(alphabet="abAB\"\\é\n\t/ ", max_size=4)
_STRINGS = st.text(max_size=8) | st.text(alphabet="\"\\\n\t\x00\x7fé😀:{}[],", max_size=6)
_SCALARS = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | _STRINGS
            | st.floats(allow_nan=False, allow_infinity=False))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.lists(st.tuples(_KEYS, inner), max_size=4), max_leaves=25)
_SPACE = ["", "", "", " ", "\n", "  \n    ", "\r\n", "\t", "\n\n"]


def render(value: object, rnd: random.Random, *, pairs: bool = False) -> str:
    """JSON text of `value` (a list of (key, value) tuples is an object: keys may repeat) with
    random whitespace, newlines and escapes."""
    def ws() -> str:
        return rnd.choice(_SPACE)

    def string(text: str) -> str:
        return json.dumps(text, ensure_ascii=rnd.random() < 0.5)

    if isinstance(value, list) and value and all(isinstance(item, tuple) for item in value) or pairs:
        body = ",".join(f"{ws()}{string(k)}{ws()}:{ws()}{render(v, rnd)}{ws()}" for k, v in value)
        return "{" + (body or ws()) + "}"
    if isinstance(value, list):
        return "[" + (",".join(f"{ws()}{render(v, rnd)}{ws()}" for v in value) or ws()) + "]"
    if isinstance(value, str):
        return string(value)
    return json.dumps(value)


@settings(max_examples=400, deadline=None)
@given(_VALUES, st.randoms(use_true_random=False), st.booleans())
@example([("a", 1), ("b", [1, [2]]), ("c", [])], random.Random(1), True)
@example([("a", 1), ("a", 2)], random.Random(2), True)
def test_random_documents_decode_the_same_with_both_readers(value: object, rnd: random.Random,
                                                             as_object: bool) -> None:
    if as_object and not (isinstance(value, list) and all(isinstance(item, tuple) for item in value)):
        value = [("k", value)]
    text = rnd.choice(_SPACE) + render(value, rnd, pairs=as_object) + rnd.choice(_SPACE)
    same_outcome(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='{}[]:,"a1\\ \nu\u00e9', max_size=30))
def test_random_text_fails_or_decodes_the_same_with_both_readers(text: str) -> None:
    if text.lstrip(" \t\n\r")[:1] in ("{", "["):
        same_outcome(text)


# -- plain values of policy strings (`plain_json`) ------------------------------------------------


def same_plain(text: str) -> None:
    """`plain_json` gives what the lined reader gives without its lines, or None (never another
    value, never an error): None sends the text the long way, which raises the exact error."""
    quick = plain_json(text)
    if quick is None:
        return
    assert outcome(_json, text)[0] == "value"
    slow = plain(_json("t.json", text))
    assert quick == slow and json.dumps(quick) == json.dumps(slow)
    assert set(map(type, _containers(quick))) <= {dict, list}


def _containers(value: object) -> list:
    if isinstance(value, dict):
        return [value, *(c for v in value.values() for c in _containers(v))]
    if isinstance(value, list):
        return [value, *(c for v in value for c in _containers(v))]
    return []


def test_a_get_policy_string_takes_the_plain_path() -> None:
    text = json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": [{
        "Sid": "s", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:us-east-1:111122223333:function:f",
        "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}}}]})
    assert plain_json(text) == json.loads(text)
    same_plain(text)


@pytest.mark.parametrize("text", [
    '{"a": 1,\n "a": 2}', '{"a": NaN}', '[1, Infinity]', '[1e999]', '{"a": "\\ud800"}', '{"a": 1,}',
    '[' + "9" * 5000 + ']', '[' * 300 + ']' * 300, '{"Statement": [' + ",".join(["{}"] * 1001) + ']}',
    '{"a": "\u00e9"}', '{"a": "\\u0041"}', '{"a": "x\u0000"}', '{"a": [1, 2',
])
def test_what_plain_json_cannot_vouch_for_goes_the_long_way(text: str) -> None:
    assert plain_json(text) is None


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.randoms(use_true_random=False), st.booleans())
@example([("a", 1), ("a", 2)], random.Random(2), True)
def test_random_documents_plain_json_is_the_reference_without_lines(value: object, rnd: random.Random,
                                                                    as_object: bool) -> None:
    if as_object and not (isinstance(value, list) and all(isinstance(item, tuple) for item in value)):
        value = [("k", value)]
    same_plain(rnd.choice(_SPACE) + render(value, rnd, pairs=as_object) + rnd.choice(_SPACE))


# -- the node pattern's possessive quantifiers ------------------------------------------------------

def _greedy(pattern: str) -> re.Pattern:
    """The node pattern with each possessive quantifier made greedy again (`*+` → `*`, ...)."""
    return re.compile(re.sub(r"([*+?])\+", r"\1", pattern))


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.randoms(use_true_random=False), st.booleans(), st.text(alphabet='{}[]:,"a1\\ \nu\u00e9-', max_size=30))
def test_the_possessive_node_pattern_matches_as_the_greedy_one(value: object, rnd: random.Random, as_object: bool,
                                                               junk: str) -> None:
    """Possessive quantifiers only skip keeping backtracking points: on documents and on any text the
    matches are the greedy pattern's, node for node."""
    from permcheck.load.decode_json_fast import _NODES
    if as_object and not (isinstance(value, list) and all(isinstance(item, tuple) for item in value)):
        value = [("k", value)]
    greedy = _greedy(_NODES.pattern)
    assert greedy.pattern != _NODES.pattern and "*+" not in greedy.pattern
    for text in (render(value, rnd, pairs=as_object), junk):
        assert _NODES.findall(text) == greedy.findall(text)
