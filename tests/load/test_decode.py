"""permcheck.load.decode: JSON/YAML bytes -> line-marked values, failing closed on hostile input."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.load import decode as decode_module
from permcheck.load import decode_limits, decode_yaml
from permcheck.load.decode import decode, read_file
from permcheck.load.decode_limits import MAX_DEPTH
from permcheck.load.nodes import LineDict, LineList
from permcheck.model.location import InputError



def fails(path: str, text: str | bytes) -> InputError:
    """Decode and return the InputError it must raise."""
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(InputError) as info:
        decode(path, data)
    return info.value


def y(text: str) -> object:
    return decode("t.yaml", text.encode())


# -- lines -------------------------------------------------------------------------------


def test_json_lines_for_nested_mappings_and_lists() -> None:
    doc = decode("p.json", b"""{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject",
                 "s3:PutObject"],
      "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"}
    },
    "x", 3, null, true, [], {}
  ]
}""")
    assert isinstance(doc, LineDict) and doc.line == 1
    assert doc.key_lines == {"Version": 2, "Statement": 3}
    statements = doc["Statement"]
    assert isinstance(statements, LineList) and statements.line == 3
    assert statements.item_lines == [4, 10, 10, 10, 10, 10, 10]
    first = statements[0]
    assert first.line == 4 and first.key_lines == {"Effect": 5, "Action": 6, "Resource": 8}
    assert first["Action"].item_lines == [6, 7]
    assert first["Resource"].line == 8
    assert statements[1:] == ["x", 3, None, True, [], {}]
    assert isinstance(statements[5], LineList) and isinstance(statements[6], LineDict)


def test_json_matches_the_stdlib_on_escapes_and_numbers() -> None:
    text = r'{"a\u0041": "\n\"", "n": [-0, 1.5e3, 10, -2], "u": "é", "e": ""}'
    assert decode("x.json", text.encode()) == json.loads(text)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(_JSON, st.sampled_from([None, 0, 2]))
def test_json_values_and_lines_agree_with_the_stdlib(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    decoded = decode("p.json", text.encode()) if text[0] in "[{" else value
    assert decoded == value
    if indent is None:
        return
    lines = text.split("\n")

    def check(node: object) -> None:  # json.dumps puts every key and item on its own line
        if isinstance(node, LineDict):
            assert lines[node.line - 1].endswith(("{", "{}", "{},"))
            for key, item in node.items():
                assert lines[node.key_lines[key] - 1].lstrip().startswith(json.dumps(key, ensure_ascii=False) + ":")
                check(item)
        elif isinstance(node, LineList):
            assert lines[node.line - 1].endswith(("[", "[]", "[],")) and len(node.item_lines) == len(node)
            for item, line in zip(node, node.item_lines):
                if not isinstance(item, (LineDict, LineList)):
                    assert lines[line - 1].strip().rstrip(",") == json.dumps(item, ensure_ascii=False)
                check(item)

    check(decoded)


_KEY = st.text("abcxyz", min_size=1, max_size=5).filter(lambda k: k not in {"y", "yaml"})
_YAML = st.recursive(
    st.integers() | st.text("abc ", min_size=1, max_size=5).map(str.strip).filter(bool),
    lambda inner: st.lists(inner, min_size=1, max_size=3) | st.dictionaries(_KEY, inner, min_size=1, max_size=3),
    max_leaves=20)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(_KEY, _YAML, min_size=1, max_size=4))
def test_yaml_values_and_lines_agree_with_pyyaml(value: dict) -> None:
    text = yaml.safe_dump(value, default_flow_style=False)
    decoded = y(text)
    assert decoded == value
    lines = [re.sub(r"^ *(- +)*", "", line) for line in text.split("\n")]

    def check(node: object) -> None:  # block style: every key and item starts its own line
        if isinstance(node, LineDict):
            for key, item in node.items():
                assert lines[node.key_lines[key] - 1].startswith(f"{key}:")
                check(item)
        elif isinstance(node, LineList):
            assert text.split("\n")[node.line - 1].lstrip().startswith("-")
            for item, line in zip(node, node.item_lines, strict=True):
                if not isinstance(item, (LineDict, LineList)):
                    assert yaml.safe_load(lines[line - 1]) == item
                check(item)

    check(decoded)


def test_yaml_lines_for_nested_mappings_and_lists() -> None:
    doc = y("""\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [s3:GetObject, s3:PutObject]
        - AWSLambdaBasicExecutionRole
""")
    assert doc.line == 1 and doc.key_lines == {"Resources": 1}
    fn = doc["Resources"]["Fn"]
    assert fn.line == 3 and fn.key_lines == {"Type": 3, "Properties": 4}
    policies = fn["Properties"]["Policies"]
    assert isinstance(policies, LineList) and policies.line == 6 and policies.item_lines == [6, 9]
    statement = policies[0]["Statement"][0]
    assert statement.line == 7 and statement.key_lines == {"Effect": 7, "Action": 8}
    assert statement["Action"] == ["s3:GetObject", "s3:PutObject"]


# -- YAML short-form intrinsics ------------------------------------------------------------

SHORT_FORMS = [
    ("!Ref Bucket", {"Ref": "Bucket"}),
    ("!Condition IsProd", {"Condition": "IsProd"}),
    ("!GetAtt Fn.Arn", {"Fn::GetAtt": ["Fn", "Arn"]}),
    ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
    ("!GetAtt [Fn, Arn]", {"Fn::GetAtt": ["Fn", "Arn"]}),
    ("!GetAtt Fn", {"Fn::GetAtt": ["Fn"]}),  # SAM accepts it; the attribute is checked later
    ("!Sub 'arn:${AWS::Partition}:s3:::b'", {"Fn::Sub": "arn:${AWS::Partition}:s3:::b"}),
    ("!Sub ['x-${N}', {N: !Ref P}]", {"Fn::Sub": ["x-${N}", {"N": {"Ref": "P"}}]}),
    ("!Join [':', [a, b]]", {"Fn::Join": [":", ["a", "b"]]}),
    ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
    ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
    ("!FindInMap [M, K, V]", {"Fn::FindInMap": ["M", "K", "V"]}),
    ("!If [C, a, !Ref AWS::NoValue]", {"Fn::If": ["C", "a", {"Ref": "AWS::NoValue"}]}),
    ("!Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
    ("!And [!Condition A, !Condition B]", {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
    ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
    ("!Not [!Condition A]", {"Fn::Not": [{"Condition": "A"}]}),
    ("!ImportValue Shared-Arn", {"Fn::ImportValue": "Shared-Arn"}),
    ("!Base64 text", {"Fn::Base64": "text"}),
    ("!Cidr [10.0.0.0/16, 4, 8]", {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
    ("!GetAZs us-east-1", {"Fn::GetAZs": "us-east-1"}),
    ("!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
     {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}),
    ("!Length [a, b]", {"Fn::Length": ["a", "b"]}),
    ("!ToJsonString {a: 1}", {"Fn::ToJsonString": {"a": 1}}),
    ("!ForEach [X, Ids, {T: V}]", {"Fn::ForEach": ["X", "Ids", {"T": "V"}]}),
]


@pytest.mark.parametrize(("short", "long"), SHORT_FORMS, ids=[s for s, _ in SHORT_FORMS])
def test_short_form_tags_become_the_long_json_form(short: str, long: dict) -> None:
    doc = y(f"\nValue: {short}\n")
    assert doc == {"Value": long}
    value = doc["Value"]
    assert isinstance(value, LineDict) and value.line == 2 and value.line_of(next(iter(long))) == 2


def test_short_form_tag_on_block_sequence_and_mapping_keeps_lines() -> None:
    doc = y("""\
Arn: !Join
  - ''
  - - 'arn:aws:s3:::'
    - !Ref Bucket
Other: !Transform
  Name: AWS::Include
Att: !GetAtt
  - Fn
  - Arn
""")
    join = doc["Arn"]
    assert join.line == 1 and join["Fn::Join"].line == 1  # a tagged node starts at its tag
    assert join["Fn::Join"].item_lines == [2, 3] and join["Fn::Join"][1].item_lines == [3, 4]
    assert join["Fn::Join"][1][1] == {"Ref": "Bucket"} and join["Fn::Join"][1][1].line == 4
    assert doc["Other"] == {"Fn::Transform": {"Name": "AWS::Include"}} and doc["Other"].line == 5
    assert doc["Att"] == {"Fn::GetAtt": ["Fn", "Arn"]} and doc["Att"]["Fn::GetAtt"].item_lines == [8, 9]


@pytest.mark.parametrize("tag", ["!Foo x", "!Fn::Sub x", "!ref x", "!!binary aGVsbG8=", "!!set {a}",
                                 "!!omap [a: 1]", "!!python/object:os.system {}", "!<tag:x.org:y> 1"])
def test_unknown_tags_are_errors(tag: str) -> None:
    error = fails("t.yaml", f"a: 1\nb: {tag}\n")
    assert error.location.line == 2 and "unknown YAML tag" in error.message


# -- scalars -------------------------------------------------------------------------------


def test_timestamps_stay_strings() -> None:
    doc = y("AWSTemplateFormatVersion: 2010-09-09\nVersion: 2012-10-17\n"
            "When: 2001-12-14t21:59:43.10-05:00\nExplicit: !!timestamp 2002-12-14\n")
    assert doc == {"AWSTemplateFormatVersion": "2010-09-09", "Version": "2012-10-17",
                   "When": "2001-12-14t21:59:43.10-05:00", "Explicit": "2002-12-14"}


def test_yaml_11_non_decimal_integers_keep_their_text() -> None:
    # An unquoted account id with a leading zero is not an octal number.
    assert y("a: 012345670123\nb: 1:30\nc: 0o17") == {"a": "012345670123", "b": "1:30", "c": "0o17"}


def test_yaml_11_scalars_as_the_pyyaml_safe_loader_reads_them() -> None:
    assert y("a: 1\nb: 0x1F\nc: 1.5\nd: yes\ne: off\nf: ~\ng: ''\nh: '1'\ni: =\nj: !!str 1\nk: ! 2") == {
        "a": 1, "b": "0x1F", "c": 1.5, "d": True, "e": False, "f": None, "g": "", "h": "1", "i": "=",
        "j": "1", "k": 2}


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": [Infinity]}', '{"a": -Infinity}', '[1e999]'])
def test_json_nan_and_infinity_are_errors(text: str) -> None:
    assert fails("p.json", text).location.line == 1


@pytest.mark.parametrize("value", [".nan", ".inf", "-.Inf", "!!float nan"])
def test_yaml_nan_and_infinity_are_errors(value: str) -> None:
    assert fails("t.yaml", f"a: 1\nb: {value}\n").location.line == 2


def test_huge_integers_are_clean_errors() -> None:
    assert "4300 digits" in fails("p.json", '{"a":\n' + "9" * 5000 + "}").message
    assert fails("p.json", '{"a":\n' + "9" * 5000 + "}").location.line == 2
    assert fails("t.yaml", "a:\n  " + "9" * 5000).location.line == 2
    assert decode("p.json", b"[" + b"9" * 4300 + b"]") == [int("9" * 4300)]


# -- duplicate keys --------------------------------------------------------------------------
# Refused, as cfn-lint refuses them (E0000); CloudFormation's parsers keep the last value
# (https://github.com/aws-cloudformation/cfn-lint/issues/35), and the message says so with both lines.
DUPLICATE_EFFECT = ("duplicate key 'Effect' on lines 2 and 4: CloudFormation would keep the value of line 4 and "
                    "silently drop line 2's; keep one of them")


def test_json_duplicate_key_is_an_error_at_the_second_key() -> None:
    error = fails("p.json", '{"Statement": [{\n  "Effect": "Deny",\n  "Action": "*",\n  "Effect": "Allow"}]}')
    assert error.location.line == 4 and error.message == DUPLICATE_EFFECT
    assert str(error) == f"p.json:4: {DUPLICATE_EFFECT}"


def test_yaml_duplicate_key_is_an_error_at_the_second_key() -> None:
    error = fails("t.yaml", "Statement:\n  - Effect: Deny\n    Action: '*'\n    Effect: Allow\n")
    assert error.location.line == 4 and error.message == DUPLICATE_EFFECT
    assert fails("t.yaml", "{a: 1,\n a: 2}").location.line == 2
    assert fails("t.yaml", "{a: 1, a: 2}").message == ("duplicate key 'a' twice on line 1: CloudFormation would keep "
                                                     "the second value and silently drop the first; keep one of them")


def test_yaml_mapping_keys_must_be_scalars() -> None:
    assert fails("t.yaml", "a: 1\n? [x]\n: 1\n").location.line == 2
    assert fails("t.yaml", "a: 1\n!Ref x: 1\n").location.line == 2


# -- aliases, anchors and merge keys ----------------------------------------------------------


def test_aliases_share_the_anchored_value_and_merge_keys_apply() -> None:
    doc = y("base: &b {Effect: Allow, Action: '*'}\nuse: *b\nmerged:\n  <<: *b\n  Action: s3:*\n")
    assert doc["use"] == {"Effect": "Allow", "Action": "*"}
    assert doc["merged"] == {"Effect": "Allow", "Action": "s3:*"}
    assert doc["merged"].key_lines == {"Effect": 1, "Action": 5}


def test_billion_laughs_alias_bomb_fails_fast() -> None:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    start = time.monotonic()
    error = fails("t.yaml", "\n".join(lines))
    assert time.monotonic() - start < 1
    assert "values" in error.message and error.location.line <= 10


def test_too_many_aliases_is_an_error() -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (decode_limits.MAX_ALIASES + 1)) + "]\n"
    assert "aliases" in fails("t.yaml", text).message


def test_alias_chains_count_towards_depth_and_self_reference_is_refused() -> None:
    chain = "\n".join(["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, MAX_DEPTH + 5)])
    assert fails("t.yaml", chain).message == DEEPER
    assert "anchor" in fails("t.yaml", "a: &a [*a]").message
    assert "anchor" in fails("t.yaml", "a: *nowhere").message


# -- nesting -------------------------------------------------------------------------------------

DEEPER = f"nesting deeper than {MAX_DEPTH} levels"  # permcheck's own words for its own limit


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_library(request, monkeypatch) -> str:
    """Decode with PyYAML's libyaml loader (when it is built with it) and with its pure-Python one."""
    if request.param == "pure-python":
        monkeypatch.setattr(decode_yaml, "_Loader", decode_yaml._PyLoader)
        monkeypatch.setattr(decode_yaml, "_LIBYAML", None)
    elif decode_yaml._LIBYAML is None:
        pytest.skip("PyYAML is built without libyaml here")
    return request.param


@pytest.mark.parametrize(("path", "text"), [
    ("deep.json", "[" * 10_000 + "]" * 10_000),
    ("deep.json", '{"a":' * 10_000 + "1" + "}" * 10_000),
    ("deep.yaml", "[" * 10_000 + "]" * 10_000),
    ("deep.yaml", "{a: " * 10_000 + "1" + "}" * 10_000),
    ("deep.yaml", "Resources: " + "[" * 10_000 + "]" * 10_000),  # libyaml's own limit comes first (6.0.4)
    ("deep.yaml", "a: " + "{a: " * 10_000 + "1" + "}" * 10_000),
    ("deep.yaml", "- " * 10_000 + "x"),
    ("deep.yaml", "".join(" " * i + "a:\n" for i in range(10_000))),
    ("deep.yaml", "a: " + "!Not [" * 10_000 + "x" + "]" * 10_000),
    ("deep.template", "[" * 100_000),
])
def test_deep_nesting_is_an_input_error_not_a_recursion_error(path: str, text: str, yaml_library: str) -> None:
    """Always permcheck's message: libyaml (PyYAML 6.0.4's wheels) stops a flow collection at a nesting
    limit of its own, in its own words, before permcheck's builder counts MAX_DEPTH levels."""
    assert fails(path, text).message == DEEPER


@pytest.mark.parametrize("text", ["a: [[[1, 2]\nb: 3\n" + "c: [x]\n" * MAX_DEPTH, "x: [" + "[1], " * MAX_DEPTH + "[1]]\ny: : c\n"])
def test_a_yaml_syntax_error_beside_many_brackets_keeps_its_line(text: str, yaml_library: str) -> None:
    """Reading again without libyaml (to put permcheck's nesting limit first) changes no other error."""
    error = fails("t.yaml", text)
    assert error.message.startswith("invalid YAML: ") and error.location.line == 2


def test_recursion_error_is_converted_as_a_last_resort() -> None:
    limit = sys.getrecursionlimit()
    # as if decode were called from deep inside a caller: below MAX_DEPTH frames, so that the
    # C-speed reader (a frame a level) runs out as well as the reference one (several a level)
    sys.setrecursionlimit(MAX_DEPTH)
    try:
        error = fails("deep.json", "[" * MAX_DEPTH + "]" * MAX_DEPTH)
    finally:
        sys.setrecursionlimit(limit)
    assert error.message == "nesting too deep"


def test_nesting_up_to_the_limit_decodes() -> None:
    value = decode("ok.json", ("[" * MAX_DEPTH + "]" * MAX_DEPTH).encode())
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == []


# -- bytes -------------------------------------------------------------------------------------


def test_non_utf8_is_an_error_with_its_line() -> None:
    error = fails("t.yaml", b"a: 1\nb: caf\xe9\n")
    assert error.location.line == 2 and "UTF-8" in error.message


def test_binary_and_utf16_are_errors() -> None:
    assert fails("x.json", b'{"a":\n "\x00"}').message == "binary file (NUL byte)"
    assert fails("x.json", b"\x89PNG\r\n\x1a\n\x00\x00").location.line == 3
    assert "UTF-16" in fails("x.json", '{"a": 1}'.encode("utf-16")).message


def test_utf8_bom_is_accepted() -> None:
    assert decode("x.json", b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    doc = decode("t.yaml", b"\xef\xbb\xbfa: 1\nb: 2\n")
    assert doc == {"a": 1, "b": 2} and doc.key_lines == {"a": 1, "b": 2}


def test_yaml_control_characters_are_errors() -> None:
    assert fails("t.yaml", "a: 1\nb: \x07\n").location.line == 2
    assert fails("t.yaml", "a: " + "é" * 50 + "\nb: \x07\n" + "\n" * 99).location.line == 2


# -- documents and format choice ------------------------------------------------------------------


def test_multiple_yaml_documents_are_an_error() -> None:
    error = fails("t.yaml", "a: 1\n---\nb: 2\n")
    assert error.location.line == 2 and "more than one YAML document" in error.message


def test_empty_file_and_scalar_documents_are_returned_as_is() -> None:
    assert decode("e.yaml", b"") is None
    assert decode("e.yaml", b"  \n# only a comment\n") is None
    assert decode("s.yaml", b"hello") == "hello"
    assert decode("s.yaml", b"--- 42\n") == 42


def test_json_syntax_error_reports_its_line() -> None:
    error = fails("p.json", '{\n  "a": 1,\n  "b": 2,\n}\n')
    assert error.location.line == 4 and error.message.startswith("invalid JSON")
    assert fails("p.json", '{"a": [1 2]}').message.startswith("invalid JSON")  # not YAML's "1 2"
    assert fails("p.template", '{\n"a": 1\n"b": 2}').location.line == 3


def test_non_json_named_text_that_starts_like_json_falls_back_to_yaml() -> None:
    doc = decode("t.template", b"{AWSTemplateFormatVersion: 2010-09-09,\n Resources: {A: !Ref B}}")
    assert doc == {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"A": {"Ref": "B"}}}
    assert doc.key_lines["Resources"] == 2
    assert fails("t.yaml", "{a: !Nope 1}").message == "unknown YAML tag !Nope"


def test_yaml_syntax_error_reports_its_line() -> None:
    error = fails("t.yaml", "a: 1\nb: [1, 2\nc: 3\n")
    assert error.location.line is not None and error.message.startswith("invalid YAML")
    assert fails("t.yaml", "a: 1\n  b: 2\n").location.line == 2


# -- read_file ---------------------------------------------------------------------------------------


def test_read_file(tmp_path: Path) -> None:
    good = tmp_path / "t.yaml"
    good.write_text("a: !Ref B\n")
    assert read_file(str(good)) == {"a": {"Ref": "B"}}
    assert "directory" in _read_error(str(tmp_path))
    assert "cannot read" in _read_error(str(tmp_path / "missing.json"))
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b" " * 100 + b"]")
    assert "limit" in _read_error(str(big), max_bytes=50)
    assert read_file(str(big), max_bytes=500) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_read_file_permission_denied(tmp_path: Path) -> None:
    locked = tmp_path / "locked.json"
    locked.write_text("{}")
    locked.chmod(0)
    assert "cannot read" in _read_error(str(locked))


def _read_error(path: str, **kw: int) -> str:
    with pytest.raises(InputError) as info:
        read_file(path, **kw)
    assert info.value.location.file == path
    return info.value.message


# -- real-world files -----------------------------------------------------------------------------------


def test_every_corpus_file_decodes_or_raises_input_error(corpus_tree) -> None:
    """Every decodable file of tests/data/corpus."""
    files = corpus_tree.files((".json", ".yaml", ".yml", ".template"))
    assert files
    errors = {}
    for path in files:
        try:
            read_file(str(path))
        except InputError as e:
            errors[path.name] = e.message
    # Two cfripper fixtures are .json files with a trailing comma: invalid JSON.
    assert len(errors) <= 5, errors


# -- hostile input: limits, one case each (see also tests/load/test_hostile.py) --------------------


def test_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path, monkeypatch) -> None:
    big = tmp_path / "template.json"
    big.write_bytes(b'{"Resources": {}}' + b" " * 1000)
    monkeypatch.setattr(decode_module, "MAX_FILE_BYTES", 1000)  # read_file reads the limit when called
    message = _read_error(str(big))
    assert message == "file is 1017 bytes, more than the limit of 1000"
    monkeypatch.setattr(decode_module, "MAX_FILE_BYTES", 1017)
    assert read_file(str(big)) == {"Resources": {}}


def test_json_values_are_counted_against_the_limit(monkeypatch) -> None:
    monkeypatch.setattr(decode_limits, "MAX_NODES", 100)
    assert decode("p.json", ("[" + ",".join(["[]"] * 99) + "]").encode()) == [[]] * 99
    error = fails("p.json", "[\n" + ",\n".join(["[]"] * 100) + "]")
    assert error.message == "more than 100 values in one file" and error.location.line == 101
    assert "100 values" in fails("p.json", '{"a": {' + ", ".join(f'"k{i}": 1' for i in range(100)) + "}}").message


def test_a_flat_json_bomb_stops_at_the_value_limit_quickly(monkeypatch) -> None:
    monkeypatch.setattr(decode_limits, "MAX_NODES", 100_000)
    start = time.monotonic()
    assert "values" in fails("p.json", "[" + "[]," * 1_000_000 + "[]]").message
    assert time.monotonic() - start < 3


@pytest.mark.parametrize("path", ["p.json", "t.yaml"])
def test_a_statement_list_longer_than_any_aws_policy_is_an_error(path: str) -> None:
    n = decode_limits.MAX_STATEMENTS
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    ok = json.dumps({"Version": "2012-10-17", "Statement": [statement] * n})
    assert len(decode(path, ok.encode())["Statement"]) == n
    bad = json.dumps({"Policy": {"Version": "2012-10-17", "Statement": [statement] * (n + 1)}}, indent=1)
    error = fails(path, bad)
    assert error.location.line == 4  # the `Statement` key
    assert error.message == f"more than {n} statements in one policy: no AWS policy document can hold that many"
    assert decode(path, json.dumps({"Other": [1] * (n + 1)}).encode())  # only `Statement` lists
    nested = json.dumps({"Statement": {"Fn::If": ["C", [statement] * (n + 1), []]}})
    assert decode(path, nested.encode())  # bounded by MAX_NODES, and not a deployable policy either


def test_a_statement_list_given_by_a_yaml_alias_is_checked_too() -> None:
    n = decode_limits.MAX_STATEMENTS
    error = fails("t.yaml", f"list: &s [{', '.join(['x'] * (n + 1))}]\nPolicy:\n  Statement: *s\n")
    assert error.location.line == 3 and "statements in one policy" in error.message


def test_a_statement_list_of_100_000_is_refused_in_bounded_time() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b{i}/*"} for i in range(100_000)]})
    start = time.monotonic()
    assert "statements in one policy" in fails("p.json", text).message
    assert time.monotonic() - start < 1  # refused at statement 1,001, not after reading 100,000


@pytest.mark.parametrize("literal", ["1e999999", "-1e999999", "1E400", "0.1e99999"])
def test_json_float_overflow_is_an_error(literal: str) -> None:
    error = fails("p.json", '{"Statement": [\n{"n": ' + literal + "}]}")
    assert error.location.line == 2 and "out of range" in error.message


def test_a_100_000_digit_integer_is_a_clean_error() -> None:
    digits = "7" * 100_000
    for path, text in [("p.json", '{"a":\n' + digits + "}"), ("p.json", "[\n-" + digits + "]"),
                       ("t.yaml", "a: 1\nb: " + digits + "\n"), ("t.yaml", "a: 1\nb: !!int " + digits + "\n")]:
        error = fails(path, text)
        assert error.location.line == 2 and "digits" in error.message, (path, error)


def test_yaml_float_overflow_says_out_of_range() -> None:
    error = fails("t.yaml", "a: 1\nb: 1.0e+999\n")  # YAML 1.1: the exponent needs its sign
    assert error.location.line == 2 and error.message == "number '1.0e+999' is out of range"
    assert "out of range" in fails("t.yaml", "b: " + "9" * 400 + ".5\n").message


def test_a_long_float_is_read_in_bounded_time() -> None:
    start = time.monotonic()
    assert decode("p.json", b"[0." + b"3" * 100_000 + b"]")[0] == pytest.approx(1 / 3)
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("text", ["Effect: !!python/object/apply:os.mkdir [{marker}]",
                                  "Effect: !!python/object/new:os.mkdir [{marker}]",
                                  "Effect: !!python/name:os.mkdir",
                                  "Effect: !!python/module:os",
                                  "Effect: !!python/tuple [a]",
                                  "Effect: !<tag:yaml.org,2002:python/object/apply:os.mkdir> [{marker}]",
                                  "? !!python/object/apply:os.mkdir [{marker}]\n: x"])
def test_python_tags_are_errors_and_never_run(text: str, tmp_path: Path) -> None:
    marker = tmp_path / "created"
    error = fails("t.yaml", "Version: '2012-10-17'\n" + text.format(marker=json.dumps(str(marker))) + "\n")
    assert error.location.line == 2 and error.message.startswith("unknown YAML tag !!python/")
    assert not marker.exists()


def test_json_duplicate_keys_are_compared_after_escapes() -> None:
    error = fails("p.json", '{"Effect": "Deny",\n "\\u0045ffect": "Allow"}')
    assert error.location.line == 2 and error.message.startswith("duplicate key 'Effect' on lines 1 and 2")


def test_yaml_duplicate_keys_are_compared_after_quoting() -> None:
    for second in ['"Effect"', "'Effect'", "!!str Effect", '"\\x45ffect"']:
        error = fails("t.yaml", f"Effect: Deny\n{second}: Allow\n")
        assert error.location.line == 2 and error.message.startswith("duplicate key 'Effect' on lines 1 and 2"), second


def test_duplicate_keys_in_a_policy_given_as_a_json_string_are_errors() -> None:
    # CloudFormation accepts a policy document as a JSON string; it is decoded the same way.
    doc = y('Doc: \'{"Statement": [{"Effect": "Deny", "Effect": "Allow"}]}\'\n')
    with pytest.raises(InputError) as info:
        decode("policy.json", doc["Doc"].encode())
    assert info.value.message.startswith("duplicate key 'Effect' twice on line 1")


def test_a_lone_utf16_surrogate_in_json_is_an_error_with_its_line() -> None:
    # `"\ud800"` is JSON syntax but no character: it cannot be printed (text output crashed on it).
    error = fails("p.json", '{"a": "x",\n "b": ["\\ud800"]}')
    assert error.location.line == 2 and error.message == (
        "invalid JSON: \\ud800 is half of a UTF-16 surrogate pair, not a character")
    assert fails("p.json", '{"a": 1,\n"\\udfffkey": 1}').location.line == 2  # in a key too
    assert decode("p.json", b'["\\ud83d\\ude00", "\\\\ud800"]') == ["\U0001F600", "\\ud800"]  # a pair; an escaped `\`
    assert "escape" in fails("t.yaml", 'a: "\\ud800"').message  # YAML refuses every surrogate escape


def test_json_inputs_do_not_import_the_yaml_reader(tmp_path):
    """A run over account snapshots reads JSON alone: PyYAML is imported when a text needs it."""
    snapshot = tmp_path / "auth.json"
    snapshot.write_text(json.dumps({"RoleDetailList": [], "Policies": []}))
    template = tmp_path / "t.yaml"
    template.write_text("Resources: {}\n")
    code = ("import sys; from permcheck.load.decode import read_file; "
            f"read_file({str(snapshot)!r}); a = 'yaml' in sys.modules; "
            f"read_file({str(template)!r}); print(a, 'yaml' in sys.modules)")
    import subprocess
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]
