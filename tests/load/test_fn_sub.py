"""`Fn::Sub` strings are read with sub.lark's own token patterns when they are well formed
(load/fn_sub._read), so a template's first `Fn::Sub` does not build the parser. They must mean
exactly what the parser makes of them: the same text pieces and placeholders, at the same lines
and columns, and anything the shortcut does not read goes to the parser, which words the error.
Sub's syntax: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings, strategies as st

from permcheck.load import fn_sub


def _by_the_parser(text: str):
    from lark.exceptions import UnexpectedInput

    try:
        parts = fn_sub._transformer().transform(fn_sub._parser().parse(text))
    except UnexpectedInput:
        return None
    return None if any(isinstance(p, fn_sub.Var) and not p.name for p in parts) else parts


@settings(max_examples=500, deadline=None)
@given(st.text("${}!A.: \n", max_size=16))
@example("${!${A}}")
@example("a}${ A.B }\n${AWS::Region}$")
def test_a_well_formed_sub_string_reads_as_the_parser_reads_it(text):
    read = fn_sub._read(text)
    expected = _by_the_parser(text)
    assert read == expected
    if expected is None and "${" in text:
        with pytest.raises(fn_sub.SubSyntaxError):
            fn_sub.parse.__wrapped__(text)


def test_the_escape_writes_the_placeholder_out():
    assert fn_sub.parse("${!Literal}-${AWS::Region}") == ("${Literal}-", fn_sub.Var("AWS::Region", 1, 13))
