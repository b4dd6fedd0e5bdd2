"""Property: an ARN with unknown parts is split into fields as the ARN it stands for would be.

An unknown part's description is free text (`item 2 of Fn::Split of arn:aws:cloudformation:…`,
`generated name of Fn in templates/a.yaml`): it may hold colons and slashes. Splitting the
printed text at colons found a function built from `AWS::StackId` nowhere, so its public URL
showed nobody (issue 11, item 2). `arn_fields` splits only the known parts: replacing each
unknown by a value without colons gives the fields of the ARN with that value. The ARN format
is https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
(`arn:partition:service:region:account-id:resource`, the resource may hold colons).
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from permcheck.model.arn import ACCOUNT_ID, account_field, account_of, arn_fields, parse_arn
from permcheck.model.values import Sym, Unknown, concat

PLAIN = st.text(alphabet="abc-_/0123456789", min_size=0, max_size=6)
REASON = st.text(alphabet="ab:/ ${}?", min_size=1, max_size=12)  # colons and slashes included


@st.composite
def symbolic_arns(draw):
    """(Sym, the same ARN with each unknown filled in, the fillings)."""
    service = draw(st.sampled_from(["lambda", "iam", "s3", "sqs"]))
    fields = ["arn", "aws", service, draw(st.sampled_from(["", "us-east-1"])),
              draw(st.sampled_from(["", "123456789012"])), draw(st.sampled_from(["function:f", "role/r", "b", "q"]))]
    fields[5] += draw(st.sampled_from(["", ":live", "/x:y"]))
    parts, filled = [], []
    for i, text in enumerate(fields):
        if i:
            parts.append(":")
            filled.append(":")
        if i >= 3 and draw(st.booleans()):  # an unknown somewhere in this field
            at = draw(st.integers(0, len(text)))
            value = draw(PLAIN.filter(lambda v: ":" not in v))
            parts += [text[:at], Unknown(draw(REASON)), text[at:]]
            filled.append(text[:at] + value + text[at:])
            fields[i] = text[:at] + value + text[at:]
        else:
            parts.append(text)
            filled.append(text)
    return concat([p for p in parts if p != ""]), "".join(filled)


@settings(max_examples=300)
@given(symbolic_arns())
@example((Sym(("arn:aws:lambda:us-east-1:123456789012:function:hook-", Unknown("item 2 of Fn::Split of arn:aws:x"))),
          "arn:aws:lambda:us-east-1:123456789012:function:hook-abc"))
@example((Sym(("arn:aws:lambda:us-east-1:", Unknown("parameter CrossAccountID"), ":function:x")),
          "arn:aws:lambda:us-east-1:999999999999:function:x"))
def test_fields_of_a_symbolic_arn_are_those_of_the_arn_it_stands_for(case):
    value, filled = case
    fields = arn_fields(value)
    expected = parse_arn(filled)
    assert fields is not None and expected is not None
    assert _same_fields(fields, expected)


def _same_fields(fields: tuple, expected) -> bool:
    """Each known field is the filled one; in a field with an unknown part, the known pieces
    appear in the filled field in order."""
    wanted = ("arn", expected.partition, expected.service, expected.region, expected.account, expected.resource)
    for got, text in zip(fields, wanted):
        if isinstance(got, str):
            if got != text:
                return False
            continue
        known = [p for p in (got.parts if isinstance(got, Sym) else (got,)) if isinstance(p, str)]
        position = 0
        for piece in known:  # the known pieces appear in order in the filled field
            found = text.find(piece, position)
            if found < 0:
                return False
            position = found + len(piece)
    return True


def test_an_unknown_account_is_the_account_field():
    value = Sym(("arn:aws:lambda:us-east-1:", Unknown("parameter CrossAccountID in t.yaml"), ":function:x"))
    assert account_field(value) == Unknown("parameter CrossAccountID in t.yaml")
    assert account_field("arn:aws:s3:::bucket") == "" and account_field("not an arn") is None
    assert arn_fields(Sym((Unknown("Fn::ImportValue shared-arn"), ":live"))) is None  # where the fields are is unknown


PIECES = st.sampled_from(["arn", "aws", "", "iam", "lambda", "us-east-1", "123456789012", "12345678901", "aws",
                          "role/r", "function:f", "x"])


@given(st.lists(PIECES, min_size=0, max_size=8).map(":".join) | st.text(alphabet="arnaws:0123456789/", max_size=30))
@example("arn:aws:iam::123456789012:role/r")
@example("arn:aws:s3:::bucket")
@example("arn::iam::123456789012:role/r")
@example("arn:aws:iam::123456789012")
def test_account_of_is_the_account_field_of_parse_arn(text):
    """`account_of` reads the ARN's pieces without making an `Arn` (it is asked of every entity of a
    snapshot): its answer is always the account field `parse_arn` finds when that is a 12-digit
    account id, else None (an S3 bucket ARN names no account; reference-arns.html above)."""
    arn = parse_arn(text)
    assert account_of(text) == (arn.account if arn is not None and ACCOUNT_ID.match(arn.account) else None)
