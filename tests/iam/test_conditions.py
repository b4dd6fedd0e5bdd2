"""Condition-operator semantics, each test pinned to the AWS page it encodes."""

from __future__ import annotations

import pytest
from hypothesis import example, HealthCheck, given, settings
from hypothesis import strategies as st

from permcheck.iam.conditions import Operator, candidate_contexts, clause_holds, like_matches, parse_operator

OPS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
MULTI = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"
EX = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html"
LOGIC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html"
COND = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html"
VARS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"


def holds(op, values, ctx_value, key="k", **kw):
    """Evaluate one clause on key `k`; ctx_value None = key absent, str = single value."""
    ctx = {} if ctx_value is None else {key.lower(): (ctx_value,) if isinstance(ctx_value, str) else ctx_value}
    return clause_holds(op, key, tuple(values), ctx, **kw)


# --- operator names ------------------------------------------------------------------

def test_parse_operator_fields():
    # OPS: "ForAllValues:"/"ForAnyValue:" qualifiers and the "...IfExists" suffix.
    assert parse_operator("ForAnyValue:StringNotLikeIfExists") == Operator("ForAnyValue", "StringNotLike", True)
    assert parse_operator("NumericLessThanEquals") == Operator(None, "NumericLessThanEquals", False)
    assert parse_operator("NotIpAddress").negated and not parse_operator("IpAddress").negated


@pytest.mark.parametrize("name", ["stringEquals", "StringEqual", "ForAnyValues:StringEquals",
                                  "forallvalues:StringEquals", "NullIfExists", "ForAllValues:NullIfExists",
                                  "IfExists", "StringEqualsIfExistsIfExists", ""])
def test_parse_operator_rejects(name):
    # OPS: IfExists on "any condition operator name except the Null condition".
    # Case: IAM answers "MalformedPolicyDocument: Invalid Condition type : stringEquals"
    # (https://github.com/ministryofjustice/modernisation-platform-environments/pull/8893).
    with pytest.raises(ValueError):
        parse_operator(name)


def test_key_names_are_case_insensitive():
    # COND: "Context key names are not case-sensitive ... aws:SourceIP ... AWS:SourceIp".
    assert clause_holds("IpAddress", "AWS:SourceIP", ("203.0.113.0/24",), {"aws:sourceip": ("203.0.113.9",)})


# --- missing keys, IfExists, Null ------------------------------------------------------

@pytest.mark.parametrize("op,expected", [
    ("StringEquals", False), ("StringLike", False), ("NumericLessThan", False), ("DateEquals", False),
    ("Bool", False), ("BinaryEquals", False), ("IpAddress", False), ("ArnLike", False),
    ("StringNotEquals", True), ("StringNotLike", True), ("StringNotEqualsIgnoreCase", True),
    ("NumericNotEquals", True), ("DateNotEquals", True), ("ArnNotLike", True), ("ArnNotEquals", True),
    ("NotIpAddress", True)])
def test_missing_key(op, expected):
    # OPS "Important": a key not in the request context -> false; for a condition that
    # "requires that the key is not matched, such as StringNotLike or ArnNotLike ... true".
    assert holds(op, ["1"], None) is expected


def test_if_exists():
    # OPS "...IfExists": StringLikeIfExists ec2:InstanceType table (t1.micro / m2.micro / absent).
    vals = ["t1.*", "t2.*", "m3.*"]
    assert holds("StringLikeIfExists", vals, "t1.micro", key="ec2:InstanceType")
    assert not holds("StringLikeIfExists", vals, "m2.micro", key="ec2:InstanceType")
    assert holds("StringLikeIfExists", vals, None, key="ec2:InstanceType")
    # "If the key is not present, evaluate the condition element as true" -- for any operator.
    assert holds("ForAnyValue:StringEqualsIfExists", ["a"], None)


def test_null():
    # OPS "Condition operator to check existence": true = key absent, false = present.
    assert holds("Null", ["true"], None) and not holds("Null", ["true"], "x")
    assert holds("Null", ["false"], "x") and not holds("Null", ["false"], None)
    assert holds("Null", ["true", "false"], "x")  # LOGIC: multiple values are OR-ed


def test_empty_value_set_is_null():
    # EX: "prevent missing context keys or context keys with empty values from evaluating to
    # true by including a Null condition operator ... false". OPS ARN section: ForAllValues
    # "returns true if ... the context key value resolves to a null dataset".
    assert holds("Null", ["true"], ())
    assert holds("ForAllValues:StringEquals", ["a"], ()) and not holds("ForAnyValue:StringEquals", ["a"], ())
    # OPS string example: StringLike s3:prefix [""] -- an empty string is a real value.
    assert holds("StringLike", [""], "") and not holds("Null", ["true"], "")


def test_qualified_null_quantifies_over_values():
    # Not in AWS docs; behaviour the IAM policy simulator showed for NCC Group's PMapper
    # (https://github.com/nccgroup/PMapper/blob/master/tests/test_local_policy_sim.py).
    assert holds("ForAllValues:Null", ["false"], "asdf") and holds("ForAllValues:Null", ["false"], None)
    assert not holds("ForAllValues:Null", ["true"], "asdf") and holds("ForAllValues:Null", ["true"], None)
    assert holds("ForAnyValue:Null", ["false"], "asdf") and not holds("ForAnyValue:Null", ["false"], None)
    assert not holds("ForAnyValue:Null", ["true"], "asdf")


# --- multiple values, negation ---------------------------------------------------------

def test_policy_values_or_and_negated_nor():
    # LOGIC: multiple values for a key "are evaluated using a logical OR"; for a "negated
    # matching condition operator ... using a logical NOR".
    assert holds("StringEquals", ["a", "b"], "b") and not holds("StringEquals", ["a", "b"], "c")
    assert not holds("StringNotEquals", ["a", "b"], "b") and holds("StringNotEquals", ["a", "b"], "c")
    assert not holds("NotIpAddress", ["10.0.0.0/8", "192.168.0.0/16"], "192.168.1.1")


def test_for_all_values_string_equals_table():
    # MULTI "ForAllValues" example table (the Null row is a separate clause).
    vals = ["environment", "cost-center"]
    for ctx, exp in [(("environment",), True), (("cost-center",), True),
                     (("environment", "cost-center"), True), (("environment", "dept"), False)]:
        assert holds("ForAllValues:StringEquals", vals, ctx) is exp
    # "It also returns true if there are no context keys in the request."
    assert holds("ForAllValues:StringEquals", vals, None) and not holds("Null", ["false"], None)


def test_for_any_value_string_equals_table():
    # MULTI "ForAnyValue" example table; absent key -> "No match".
    vals = ["environment", "cost-center"]
    for ctx, exp in [(("environment",), True), (("environment", "dept"), True), (("dept",), False), (None, False)]:
        assert holds("ForAnyValue:StringEquals", vals, ctx) is exp


@pytest.mark.parametrize("vals,ctx,exp", [
    (["key1*"], ("key1:legal",), False), (["key1*"], ("key1:hr", "key1:personnel"), False),
    (["key1*"], ("key2:audit",), True), (["key1*"], None, True),
    (["key1*", "key2*"], ("key1:hr", "key2:audit"), False), (["key1*", "key2*"], ("key3:legal",), True),
    (["key1*", "key2*"], None, True)])
def test_for_all_values_string_not_like_tables(vals, ctx, exp):
    # EX "Deny a single / multiple policy condition value(s) for a multivalued context key".
    assert holds("ForAllValues:StringNotLike", vals, ctx) is exp


def test_for_any_value_negated():
    # OPS multivalued string table: ForAnyValue:StringNotEquals -- "At least one context key
    # value in the request must NOT match any of values"; ForAllValues:StringNotEquals --
    # "None of the values ... can match any of the context key values in your policy".
    assert holds("ForAnyValue:StringNotEquals", ["a", "b"], ("a", "c"))
    assert not holds("ForAnyValue:StringNotEquals", ["a", "b"], ("a", "b"))
    assert not holds("ForAnyValue:StringNotEquals", ["a"], None)  # MULTI: missing key -> false
    assert not holds("ForAllValues:StringNotEquals", ["a", "b"], ("a", "c"))
    assert holds("ForAllValues:StringNotEquals", ["a", "b"], ("c", "d"))


def test_unqualified_operator_on_multivalued_key_fails():
    # MULTI: "Multivalued context keys require a condition set operator." AWS does not say
    # what happens otherwise; cloud-copilot/iam-simulate reports it never matches
    # ("Confirmed this at re:Inforce 2025 IAM431"), negated operators included.
    assert not holds("StringEquals", ["a", "b"], ("a", "b"))
    assert not holds("StringNotEquals", ["c"], ("a", "b"))
    assert holds("StringEquals", ["a"], ("a",)) and not holds("StringEquals", ["a"], ("a",), multivalued=True)
    # A set operator on a single value treats it as a one-element set (MULTI warns this "can
    # lead to overly permissive policies", so AWS does evaluate it).
    assert holds("ForAllValues:StringEquals", ["a"], "a")


# --- value types -----------------------------------------------------------------------

def test_string_operators():
    # OPS string table and the StringEqualsIgnoreCase aws:RequestTag/environment example.
    assert holds("StringEquals", ["iamuser-admin"], "iamuser-admin") and not holds("StringEquals", ["john"], "John")
    assert holds("StringEqualsIgnoreCase", ["preprod", "storage"], "PreProd")
    assert not holds("StringNotEqualsIgnoreCase", ["preprod"], "PREPROD")
    # StringLike: "*" multi-character, "?" single-character, case-sensitive.
    assert holds("StringLike", ["home/*"], "home/") and holds("StringLike", ["a?c"], "abc")
    assert not holds("StringLike", ["a?c"], "ac") and not holds("StringLike", ["Home/*"], "home/x")
    assert holds("StringLike", ["*"], "") and like_matches("t1.*", "t1.micro")
    assert not holds("StringEquals", ["a*"], "ab") and holds("StringEquals", ["a*"], "a*")


def test_arn_operators():
    # OPS ARN: the six colon-delimited components are checked separately -- StringLike
    # matches this value, ArnLike does not.
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert holds("StringLike", [pattern], value) and not holds("ArnLike", [pattern], value)
    topic = "arn:aws:sns:us-west-2:123456789012:TOPIC-ID"
    assert holds("ArnEquals", [topic], topic) and not holds("ArnEquals", [topic], topic.replace("1234", "7777"))
    assert holds("ArnLike", ["arn:aws:s3:::bucket/*"], "arn:aws:s3:::bucket/a:b")  # resource may hold colons
    assert not holds("ArnLike", ["arn:aws:s3:::Bucket/*"], "arn:aws:s3:::bucket/x")  # case-sensitive
    # A value that is not an ARN satisfies neither form (PMapper notes the IAM simulator
    # "reject[s] if provided value isn't a legit ARN" for ArnNot*).
    assert not holds("ArnLike", ["*"], "not-an-arn") and not holds("ArnNotLike", ["arn:*:*:*:*:*"], "nope")
    assert holds("ArnNotLike", ["arn:aws:s3:::a"], "arn:aws:s3:::b")


def test_for_all_values_arn_like_table():
    # OPS "Example using ForAllValues with an ARN condition operator" (rows 1, 2, 4, 5; row 3
    # is inconsistent with its own pattern -- distribution/* does match distribution/admin).
    pats = ["arn:aws::cloudfront:123456789012:distribution/*",
            "arn:aws::cloudfront:123456789012:distribution/support*"]
    base = "arn:aws::cloudfront:123456789012:distribution/"
    assert holds("ForAllValues:ArnLike", pats, (base + "costcenter",))
    assert holds("ForAllValues:ArnLike", pats, (base + "costcenter", base + "support2025"))
    assert not holds("ForAllValues:ArnLike", pats, (base.replace("123456789012", "777788889999") + "x",))
    assert holds("ForAllValues:ArnLike", pats, None)


def test_numeric():
    # OPS Numeric: s3:max-keys NumericLessThanEquals 10; integer or decimal values.
    assert holds("NumericLessThanEquals", ["10"], "10") and not holds("NumericLessThanEquals", ["10"], "11")
    assert holds("NumericEquals", ["5"], "5.0") and holds("NumericGreaterThan", ["1.5"], "2")
    assert not holds("NumericEquals", ["5"], "five") and not holds("NumericNotEquals", ["5"], "five")
    assert not holds("NumericEquals", ["five"], "5") and holds("NumericNotEquals", ["five"], "5")


def test_dates():
    # OPS Date: W3C ISO 8601 formats or epoch (UNIX) time; aws:TokenIssueTime example.
    after = "2020-01-01T00:00:01Z"
    assert holds("DateGreaterThan", [after], "2020-06-01T00:00:00Z") and not holds("DateGreaterThan", [after], after)
    assert holds("DateEquals", ["2018-08-10T00:00:00Z"], "1533859200")
    assert holds("DateEquals", ["2018-08-10"], "2018-08-10T02:00:00+02:00")
    assert holds("DateLessThan", ["2018-08-10T00:00:00Z"], "2018-08-09T23:59:59.5Z")
    assert not holds("DateEquals", ["2018-08-10"], "yesterday") and not holds("DateNotEquals", ["1"], "soon")
    assert holds("DateEquals", ["2020-01-01T00:30:00Z"], "2020-01-01T01:00:00+00:30")  # TZD "+hh:mm"
    assert not holds("DateNotEquals", ["1"], "2020-01-01T00:00:00+01:75")  # minutes > 59: not a date


def test_bool_and_binary():
    # OPS Boolean: aws:SecureTransport "false" table; Binary: base64 byte-for-byte table.
    assert holds("Bool", ["false"], "false") and not holds("Bool", ["false"], "true")
    assert holds("Bool", ["true"], "TRUE") and not holds("Bool", ["true"], "yes")
    b64 = "QmluYXJ5VmFsdWVJbkJhc2U2NA=="
    assert holds("BinaryEquals", [b64], b64) and not holds("BinaryEquals", [b64], "ASIAIOSFODNN7EXAMPLE")


def test_ip_addresses():
    # OPS IP: 203.0.113.0/24 table, mixed IPv4/IPv6, and "the default prefix value of /32".
    assert holds("IpAddress", ["203.0.113.0/24"], "203.0.113.1") and not holds("IpAddress", ["203.0.113.0/24"], "198.51.100.1")
    both = ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]
    assert holds("IpAddress", both, "2001:db8:1234:5678::9") and not holds("IpAddress", both, "2001:db8::1")
    assert holds("IpAddress", ["203.0.113.7"], "203.0.113.7") and not holds("IpAddress", ["203.0.113.7"], "203.0.113.8")
    assert not holds("IpAddress", ["0.0.0.0/0"], "not-an-ip") and not holds("NotIpAddress", ["10.0.0.0/8"], "bad")


def test_unresolved_policy_variable():
    # VARS "Policy variables with no value": StringEquals/StringLike "do not match";
    # "Inverted condition operators like StringNotEquals or StringNotLike do match".
    assert not holds("StringEquals", [None], "x") and not holds("StringLike", [None], "x")
    assert holds("StringNotEquals", [None], "x") and holds("StringNotLike", [None], "x")


# --- candidate_contexts: the completeness property -------------------------------------

CHARS = "aAb:"
QUALS = ["", "ForAllValues:", "ForAnyValue:"]
STRING_BASES = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
                "StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "Bool", "BinaryEquals"]
arnish = st.lists(st.text(CHARS, max_size=2), min_size=5, max_size=5).map(lambda p: "arn:" + ":".join(p))
arn_patterns = st.lists(st.text(CHARS + "*?", max_size=2), min_size=5, max_size=5).map(lambda p: "arn:" + ":".join(p))
specials = st.sampled_from(["true", "TRUE", "False", "yes", "QQ==", "QR==", "YQ==", "YWI=", "QQ", ""])
real_string = st.one_of(st.text(CHARS, max_size=4), arnish, specials)
glob = st.lists(st.one_of(st.tuples(st.just("lit"), st.text(CHARS, min_size=1, max_size=2)),
                          st.sampled_from([("*", ""), ("?", ""), ("lit", "*")])), max_size=3).map(tuple)
policy_string = st.one_of(st.text(CHARS + "*?", max_size=4), arn_patterns, specials, glob, st.none())


def _operator(bases):
    def build(q, b, ie):
        return q + b + ("IfExists" if ie and b != "Null" else "")
    return st.builds(build, st.sampled_from(QUALS), st.sampled_from(bases), st.booleans())


def _check(clauses, real, multivalued):
    cands = candidate_contexts("k", clauses, multivalued)
    flags = (False, True) if multivalued else (False,)
    for flag in flags:
        def vector(v):
            ctx = {} if v is None else {"k": v}
            return tuple(clause_holds(op, "K", vals, ctx, multivalued=flag) for op, vals in clauses)
        have = {vector(c) for c in cands}
        for v in real:
            assert vector(v) in have, (clauses, v, cands)
    assert len(cands) < 400


def _prop(bases, values, real_value):
    clause = st.tuples(_operator(bases), st.lists(values, min_size=1, max_size=3).map(tuple))
    single = st.one_of(st.none(), real_value.map(lambda s: (s,)))
    multi = st.one_of(st.none(), st.lists(real_value, max_size=3).map(tuple))
    return st.lists(clause, min_size=1, max_size=4), st.lists(single, max_size=8), st.lists(multi, max_size=8)


def _run(bases, values, real_value):
    clauses_s, singles, multis = _prop(bases, values, real_value)

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(clauses_s, singles, multis)
    def prop(clauses, single_reals, multi_reals):
        _check(clauses, single_reals, multivalued=False)
        _check(clauses, single_reals + multi_reals, multivalued=True)
    prop()


def test_candidates_complete_for_strings():
    """Every real string/tuple's truth vector appears among the candidates' (string family)."""
    _run(STRING_BASES + ["Null"], policy_string, real_string)


def test_candidates_complete_for_numbers():
    nums = st.sampled_from(["1", "2", "2.5", "2.75", "-1", "01", "1e1", "x"])
    real = st.one_of(st.integers(-3, 12).map(str), st.integers(-12, 48).map(lambda i: str(i / 4)),
                     st.sampled_from(["abc", "", "+1", "1e1", "2.50"]))
    _run([p + s for p in ["Numeric"] for s in ["Equals", "NotEquals", "LessThan", "LessThanEquals",
                                                "GreaterThan", "GreaterThanEquals"]] + ["Null"], nums, real)


def test_candidates_complete_for_dates():
    t0 = 1577836800  # 2020-01-01T00:00:00Z
    dates = st.sampled_from(["2020-01-01T00:00:00Z", str(t0 + 1), "2020-01-01", "2020-01-01T00:00:00.5Z",
                             "2019-12-31T23:00:00-01:00", "2020-01-01T00:00:03Z", "bad"])
    real = st.one_of(st.integers(t0 - 3, t0 + 5).map(str), st.sampled_from(
        ["2020-01-01T00:00:00.25Z", "2020-01-01T00:00:02Z", "2020", "junk", "1577836800.5"]))
    _run(["Date" + s for s in ["Equals", "NotEquals", "LessThan", "LessThanEquals", "GreaterThan",
                               "GreaterThanEquals"]] + ["Null"], dates, real)


def test_candidates_complete_for_ips():
    nets = st.sampled_from(["10.0.0.0/8", "10.1.0.0/16", "10.0.0.5", "2001:db8::/32", "0.0.0.0/1", "bad"])
    real = st.one_of(st.ip_addresses().map(str), st.sampled_from(
        ["10.0.0.5", "10.0.0.4", "10.1.0.0", "10.0.255.255", "10.2.0.0", "9.255.255.255", "2001:db8::", "x"]))
    _run(["IpAddress", "NotIpAddress", "Null"], nets, real)


def test_candidates_are_small_and_start_absent():
    cands = candidate_contexts("k", [("StringLike", ("t1.*", "t2.*")), ("StringNotEquals", ("t1.micro",))], False)
    assert cands[0] is None and all(isinstance(c, tuple) for c in cands[1:]) and len(cands) <= 6
    multi = candidate_contexts("k", [("ForAnyValue:StringEquals", ("a",)), ("ForAllValues:StringLike", ("a*",))], True)
    assert () in multi and len(multi) <= 12


@pytest.mark.parametrize("clauses,reals", [
    # a character in no policy value ("b") behaves differently from every mentioned one
    ([("StringLike", ("?",)), ("StringEquals", ("a", "x"))], [("b",)]),
    # three ForAnyValue clauses met only by a three-value set
    ([("ForAnyValue:StringEquals", ("a",)), ("ForAnyValue:StringEquals", ("b",)),
      ("ForAnyValue:StringEquals", ("A",)), ("ForAllValues:StringLike", ("?",))], [("a", "b", "A")]),
    # KELVIN SIGN equals "k" ignoring case, yet is neither "k" nor "K"
    ([("StringEqualsIgnoreCase", ("k",)), ("StringEquals", ("k",)), ("StringLike", ("K",))], [("\u212a",)]),
    # "QR==" decodes to the same byte as "QQ==" but is another string
    ([("BinaryEquals", ("QQ==",)), ("StringEquals", ("QQ==",))], [("QR==",)]),
    # an ARN whose resource holds a colon, against a per-field pattern and a plain one
    ([("ArnLike", ("arn:*:s3:::b*",)), ("StringLike", ("*:b",))], [("arn:aws:s3:::b:b",)]),
    ([("NumericLessThan", ("1", "1.5")), ("NumericNotEquals", ("1.25",))], [("1.1",), ("1.25",), ("q",)]),
    ([("DateLessThan", ("2020-01-01T00:00:00.5Z",)), ("DateGreaterThan", ("1577836800",))],
     [("2020-01-01T00:00:00.25Z",)]),
    ([("IpAddress", ("10.0.0.0/8",)), ("NotIpAddress", ("10.0.0.0/24", "10.255.255.0/24"))], [("10.1.0.0",)]),
])
def test_candidates_hard_cases(clauses, reals):
    _check(clauses, [None] + reals, multivalued=True)
    _check(clauses, [None] + [r for r in reals if len(r) == 1], multivalued=False)



@settings(max_examples=400, deadline=None)
@given(st.text("ab:*?", max_size=9), st.text("ab:", max_size=8), st.sampled_from(["like", "arn"]))
def test_state_set_matcher_equals_the_regex(pattern, value, kind):
    """The linear matcher used for patterns with many `*` agrees with the regex it replaces."""
    from permcheck.iam import string_automata

    for tokens in string_automata.atoms(kind, pattern):
        expected = string_automata._regex(tokens).fullmatch(value) is not None
        assert (string_automata._Automaton(tokens).fullmatch(value) is not None) == expected


@settings(max_examples=400, deadline=None)
@given(st.text("aAkK\u212a\u00df:*?[]-^\\", max_size=9), st.text("aAkK\u212a\u00df:[]-^\\", max_size=8),
       st.sampled_from(["eq", "ic", "like", "arn"]))
def test_the_regex_matcher_equals_the_state_set_matcher(pattern, value, kind):
    """The regex `matcher` builds (bracketed case classes, characters a regex would read as syntax,
    an ARN field's `*` matched possessively before its colon) agrees with the state-set matcher,
    on the policy value's automata and on the ARN a value must be for Arn* operators."""
    from permcheck.iam import string_automata

    _same_verdicts(string_automata.atoms(kind, pattern) + string_automata.validity_atoms(kind), value)


_FIELD = st.text("ab*?-", max_size=4)


@settings(max_examples=400, deadline=None)
@given(st.lists(_FIELD, min_size=6, max_size=7).map(":".join), st.data())
@example("a*-:b:c:d:e:f", None)
def test_arn_patterns_match_alike_by_regex_and_by_state_sets(pattern, data):
    """ARN patterns field by field: a field's `*` is possessive only right before its colon. The
    value is mostly the pattern with its wildcards filled in, so that it often matches."""
    from permcheck.iam import string_automata

    fill = st.text("ab-:", max_size=3)
    value = "ab-:b:c:d:e:f" if data is None else "".join(
        data.draw(fill) if c == "*" else data.draw(st.sampled_from("ab:")) if c == "?" else c for c in pattern)
    _same_verdicts(string_automata.atoms("arn", pattern) + string_automata.validity_atoms("arn"), value)


def _same_verdicts(automata, value):
    from permcheck.iam import string_automata

    for tokens in automata:
        expected = string_automata._Automaton(tokens).fullmatch(value) is not None
        assert (string_automata._regex(tokens).fullmatch(value) is not None) == expected
        assert (string_automata.matcher(tokens).fullmatch(value) is not None) == expected



@pytest.mark.parametrize("value", ["arn:aws:execute-api:us-east-1:123456789012:a1b2/prod/GET/orders",
                                   "arn:aws:execute-api:us-east-1:123456789012:a1b2//GET/orders",
                                   "arn:aws:execute-api:us-east-1:123456789012:a1b2/prod/POST/orders",
                                   "arn:aws:execute-api:us-east-1:123456789012:a1b2/GET/orders", "x"])
def test_a_pattern_of_characters_and_stars_is_matched_without_a_regex(value):
    """API Gateway's source ARN pattern (`…:api-id/*/GET/orders`, as in
    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html): its `*` reaches across
    `/` within the resource field (ArnLike, [OPS]); matched by literal pieces, as the regex would."""
    from permcheck.iam import string_automata

    tokens = string_automata.atoms("arn", "arn:aws:execute-api:us-east-1:123456789012:a1b2/*/GET/orders")[0]
    assert isinstance(string_automata.matcher(tokens), string_automata._Stars)
    _same_verdicts([tokens], value)
