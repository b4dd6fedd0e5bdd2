"""The outsider's values are memoised by the clauses on the keys they read (`outsider_keys.READ`).

`outsider_keys.dimensions` keeps the values it finds for a probe under the clauses on the keys
`_dimensions` reads, not all of the policy's: a partner's trust differs from the next by its
`sts:ExternalId`, which no outsider value depends on. Two things must hold for that memo to give the
values `_dimensions` would find: every key it looks up is in `READ` (or a principal tag), and the values
found with the other clauses left out are the same. Condition keys as AWS lists them:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from permcheck.graph import outsider_keys as keys
from permcheck.graph.outsider_values import Probe
from permcheck.graph.outsiders import ACCOUNT, ANY_ACCOUNT, ANYONE, SERVICE, Zone
from permcheck.iam.request import CallerKind

OWN, PARTNER = "123456789012", "435630296658"
ZONE = Zone(frozenset({OWN}), frozenset({"o-a1b2c3d4e5"}))
PROBES = (
    Probe(ACCOUNT, CallerKind.ROLE, PARTNER), Probe(ACCOUNT, CallerKind.ROOT, PARTNER),
    Probe(ACCOUNT, CallerKind.USER, PARTNER, arn=f"arn:aws:iam::{PARTNER}:user/u"),
    Probe(ANYONE, CallerKind.ANYONE, ""), Probe(ANY_ACCOUNT, CallerKind.ROLE, "000000000000"),
    Probe(SERVICE, CallerKind.SERVICE, "000000000000", service="sns.amazonaws.com"),
    Probe(ACCOUNT, CallerKind.SERVICE, PARTNER, service="s3.amazonaws.com"))
UNREAD = ("sts:externalid", "aws:multifactorauthpresent", "lambda:functionurlauthtype", "aws:requestedregion",
          "aws:currenttime", "sts:rolesessionname")
VALUES = (OWN, PARTNER, "o-a1b2c3d4e5", "o-*", "true", "10.0.0.0/8", "arn:aws:sns:us-east-1:435630296658:t",
          "arn:aws:s3:::b*", "x*", "webhooks-pipeline", "vpce-1")
OPERATORS = ("StringEquals", "StringLike", "StringNotEquals", "ArnLike", "Bool", "IpAddress", "StringEqualsIfExists")


class Recording(dict):
    """Clauses that remember every key looked up in them."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def __contains__(self, key) -> bool:
        self.read.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


def _read(name: str) -> bool:
    return name in keys.READ or name.startswith(keys.TAG_KEYS)


def test_every_key_the_outsider_values_look_up_is_read():
    every = {name: [("StringLike", ("x*",))] for name in (*keys.READ, *UNREAD, "aws:principaltag/team")}
    for probe in PROBES:
        for url_auth in (frozenset(), frozenset({"NONE"})):
            for clauses in (Recording(), Recording(every)):
                keys._dimensions(probe, clauses, ZONE, OWN, url_auth)
                assert clauses.read and all(_read(name) for name in clauses.read), clauses.read - keys.READ


clause = st.tuples(st.sampled_from(OPERATORS), st.lists(st.sampled_from(VALUES), min_size=1, max_size=2).map(tuple))
names = st.sampled_from(sorted(keys.READ) + list(UNREAD) + ["aws:principaltag/team"])


@settings(max_examples=int(os.environ.get("PERMCHECK_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(st.dictionaries(names, st.lists(clause, min_size=1, max_size=2), max_size=5), st.sampled_from(PROBES),
       st.booleans())
def test_the_clauses_on_unread_keys_change_no_outsider_value(clauses, probe, url):
    url_auth = frozenset({"NONE"}) if url else frozenset()
    narrowed = {name: found for name, found in clauses.items() if _read(name)}
    assert keys._dimensions(probe, clauses, ZONE, OWN, url_auth) == \
        keys._dimensions(probe, narrowed, ZONE, OWN, url_auth)
