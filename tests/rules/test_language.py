"""The rule language: what parses, and mistakes reported at their line and column."""

import textwrap
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from permcheck.model.location import InputError
from permcheck.rules.check_types import check_rule
from permcheck.rules.engine import evaluate
from permcheck.rules.lang import parse_rule

ROOT = Path(__file__).resolve().parents[2]

HEAD = '''rule my-rule
title "t"
severity low
what "w"
why "y"
fix "f"
'''


def checked(match: str):
    spec = parse_rule(HEAD + textwrap.dedent(match), "my.rule")
    check_rule(spec)
    return spec


def error_of(match: str) -> str:
    with pytest.raises(InputError) as raised:
        checked(match)
    return str(raised.value)


def test_a_rule_parses_into_its_parts():
    spec = checked('''
        match
          let admin = ["a", "b"]
          for s in statements
          where s.effect == "Allow" and any(a in s.actions: a in admin)
          severity high when s.not_action
          report "{s.policy} is odd" when count(s.actions) != 1
          report "{s.policy}: {s.actions}"
        ''')
    assert (spec.id, spec.subject, spec.variable) == ("my-rule", "statements", "s")
    assert [name for name, _ in spec.bindings] == ["admin"]
    assert [o.value for o in spec.severities] == ["high"]
    assert len(spec.reports) == 2 and spec.reports[-1].when is None


def test_syntax_error_names_file_line_and_column():
    message = error_of('match\n  for s in statements\n  where s.effect == \n  report "x"\n')
    assert message.startswith("my.rule:10: column ")
    assert "unexpected" in message


def test_unknown_attribute_is_a_type_error_at_its_place():
    message = error_of('match\n  for g in grants\n  where g.principle == "*"\n  report "x"\n')
    assert message.startswith("my.rule:9: column 11:")
    assert "Grant has no attribute 'principle'" in message


@pytest.mark.parametrize("where,expected", [
    ('s.actions == "x"', "cannot compare list of text with text"),
    ('s.effect', "expected true/false, got text"),
    ('"x" in s.not_action', "cannot look for text in true/false"),
    ('nosuch(s.effect)', "unknown function 'nosuch'"),
    ('lower(s.effect, s.sid)', "lower takes 1 argument(s), not 2"),
    ('any(a in s.effect: true)', "ranges over a list, not text"),
    ('s.effect == other', "unknown name 'other'"),
    ('s.conditions.key == "x"', "list of Condition has no attributes"),
    ('["a", true] == s.actions', "a list's items must all have one type"),
])
def test_type_errors(where, expected):
    assert expected in error_of(f'match\n  for s in statements\n  where {where}\n  report "x"\n')


def test_unknown_subject_and_placeholder():
    assert "unknown subject 'grant'" in error_of('match for g in grant report "x"')
    assert "Grant has no attribute 'nope'" in error_of('match for g in grants report "{g.nope}"')


def test_the_last_report_is_the_default():
    assert "the last report must have no `when`" in error_of('match for g in grants report "x" when true')


def test_required_documentation():
    with pytest.raises(InputError, match="rule r has no why"):
        parse_rule('rule r title "t" severity low what "w" fix "f" match for g in grants report "x"', "r.rule")


def test_evaluation_of_quantifiers_and_wildcards():
    spec = checked('match\n  let xs = ["s3:GetObject", "s3:PutObject"]\n  for s in statements\n'
                   '  where any(x in xs: x matches "s3:get*") and all(x in xs: starts_with(x, "s3:"))\n'
                   '  report "x"\n')
    scope = {"xs": ["s3:GetObject", "s3:PutObject"]}
    assert evaluate(spec.where, scope) is True
    assert evaluate(spec.where, {"xs": ["ec2:RunInstances"]}) is False


def test_report_placeholders_are_type_checked_expressions():
    spec = checked('match for s in statements report "unknown: {unknown_actions(s.actions)}"')
    assert spec.reports[0].value.endswith("{unknown_actions(s.actions)}")
    assert "unknown function 'nosuch'" in error_of('match for s in statements report "{nosuch(s.sid)}"')
    assert "not an expression" in error_of('match for s in statements report "{s.}"')


def _parsed_by_the_grammar(text: str):
    from lark.exceptions import UnexpectedInput

    from permcheck.rules import lang

    try:
        return lang._build("").transform(lang._parser().parse(text, start="expr"))
    except UnexpectedInput:
        return "not an expression"


def _read_by_placeholder(text: str):
    from permcheck.rules import lang

    lang.parse_placeholder.cache_clear()
    try:
        return lang.parse_placeholder(text)
    except lang.RuleError:
        return "not an expression"


@settings(max_examples=300, deadline=None)
@given(st.text("ab_1.( )\t\ntrueandwhen,\u00a0A", max_size=14))
@example("g.anyone")
@example("x.true.and")
@example("true")
def test_a_placeholder_read_without_the_parser_is_what_the_parser_reads(text):
    """`{x.field}` placeholders are read by a shortcut (the pre-commit path does not build the
    parser to word its findings): every text means what the grammar makes of it, columns included."""
    assert _read_by_placeholder(text) == _parsed_by_the_grammar(text)


def test_every_built_in_report_placeholder_reads_as_the_grammar_reads_it():
    from permcheck.rules.lang import PLACEHOLDER

    texts = {m.group(1) for path in (ROOT / "rules").glob("*.rule") for m in PLACEHOLDER.finditer(path.read_text())}
    assert {"g.target", "s.policy", "t.role_power"} <= texts
    for text in texts:
        assert _read_by_placeholder(text) == _parsed_by_the_grammar(text), text
