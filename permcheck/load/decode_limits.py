"""The limits decoding holds every input to, and the errors both formats raise when one is passed or a
key is written twice: hostile input fails closed, at its line."""

from __future__ import annotations

import re

from permcheck.model.location import InputError, Location

#: Most nested containers (intrinsic wrappers included); real templates stay under 30.
MAX_DEPTH = 200
#: Most values in one file, YAML after alias expansion (billion laughs). JSON counts too: a
#: decoded value costs 50 times its text at worst (`[[],[],...]`), so 256 MB of brackets
#: would take gigabytes and minutes. A 76 MB snapshot of 20,000 roles holds 1.3 million.
MAX_NODES = 5_000_000
#: Most YAML alias uses: CloudFormation rejects aliases; `sam deploy` expands them first.
MAX_ALIASES = 10_000
DECIMAL = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
#: Longest integer literal: Python's int/str conversion limit, checked before converting.
MAX_INT_DIGITS = 4300
#: Most statements in one `Statement` list. AWS caps every policy document at a few tens of
#: KB (IAM managed policy 6,144 characters, S3 bucket and Lambda policies 20 KB, KMS key
#: policy 32 KB) and a statement takes 40 characters at least, so no deployable policy comes
#: near; a longer list is hostile, and evaluation time grows with it.
MAX_STATEMENTS = 1_000


def duplicate_key(path: str, key: object, first: int | None, second: int) -> InputError:
    """A key written twice in one mapping, at the second one's line, naming both lines.

    CloudFormation does not refuse it: its parsers, as YAML and JSON parsers do, keep the last value
    and drop the first without a word ("If a YAML/JSON contains duplicate keys, the last occurrence is
    used", https://github.com/aws-cloudformation/cfn-lint/issues/35). Which of the two the author meant
    is unknowable, and the dropped one may be the grant or the Deny, so permcheck refuses, as cfn-lint
    does (E0000), and says what CloudFormation would deploy so the fix takes a minute.
    """
    if first is not None and first != second:
        what = f"on lines {first} and {second}: CloudFormation would keep the value of line {second} and " \
               f"silently drop line {first}'s"
    else:
        what = f"twice on line {second}: CloudFormation would keep the second value and silently drop the first"
    return InputError(Location(path, second), f"duplicate key {key!r} {what}; keep one of them")


def too_many_statements(path: str, line: int) -> InputError:
    """Raised as soon as a `Statement` list passes the limit, at its key's line."""
    return InputError(Location(path, line), f"more than {MAX_STATEMENTS} statements in one policy: "
                                            "no AWS policy document can hold that many")
