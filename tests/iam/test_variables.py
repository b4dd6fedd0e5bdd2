"""Policy variables, pinned to "IAM policy elements: Variables and tags"."""

from __future__ import annotations

from permcheck.iam.conditions import clause_holds, like_matches
from permcheck.iam.variables import find_variables, substitute, substitute_pattern

VARS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
OPS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
CTX = {"aws:username": ("martha_rivera",), "aws:principaltag/team": ("yellow",),
       "aws:calledvia": ("athena.amazonaws.com", "glue.amazonaws.com")}


def test_find_variables():
    # VARS "Using variables in policies": "${ }" around "the name of the value from the request";
    # "Special characters": ${*}, ${?}, ${$} are predefined fixed values, not request keys.
    text = "arn:aws:s3:::b/${aws:username}/${*}${?}${$}/${aws:PrincipalTag/team, 'company-wide'}/${AWS:UserName}"
    assert find_variables(text) == ["aws:username", "aws:PrincipalTag/team"]
    assert find_variables("no vars, $ and {x} and ${}") == []


def test_substitute_values_and_case_insensitive_keys():
    # VARS: "Key names are case-insensitive ... aws:CurrentTime is equivalent to AWS:currenttime".
    assert substitute("home/${aws:username}/", CTX) == "home/martha_rivera/"
    assert substitute("home/${AWS:UserName}/", CTX) == "home/martha_rivera/"
    # Tag keys may contain spaces; only the spaces around the name are dropped.
    assert substitute("${ aws:PrincipalTag/cost center }", {"aws:principaltag/cost center": ("42",)}) == "42"


def test_escapes_are_literal_characters():
    # VARS "Special characters": ${*} "use where you need an * (asterisk) character" etc.
    assert substitute("a${*}b${?}c${$}d", CTX) == "a*b?c$d"


def test_default_values():
    # VARS "Specifying default values": "${aws:PrincipalTag/team, 'company-wide'}".
    text = "arn:aws:s3:::amzn-s3-demo-bucket-${aws:PrincipalTag/team, 'company-wide'}"
    assert substitute(text, CTX) == "arn:aws:s3:::amzn-s3-demo-bucket-yellow"
    assert substitute(text, {}) == "arn:aws:s3:::amzn-s3-demo-bucket-company-wide"
    assert substitute("${aws:userid,'anonymous'}", {}) == "anonymous"
    assert substitute("x${aws:userid, ''}y", {}) == "xy"


def test_no_value_is_none():
    # VARS "Policy variables with no value": a key "not present in an authorization context
    # ... the value is effectively null"; "You can't use a multivalued condition key as a
    # variable" (Using variables in policies, Important).
    assert substitute("${aws:userid}", CTX) is None
    assert substitute("${aws:CalledVia}", CTX) is None and substitute_pattern("${aws:calledvia}*", CTX) is None
    assert substitute("${aws:userid}", {"aws:userid": ()}) is None
    assert substitute("${aws:calledvia, 'none'}", CTX) == "none"


def test_null_value_in_conditions():
    # VARS "Policy variables with no value": StringEquals/StringLike "do not match";
    # "Inverted condition operators like StringNotEquals or StringNotLike do match".
    ctx = {"s3:existingobjecttag/team": ("blue",)}
    team = substitute("${aws:PrincipalTag/Team}", ctx)
    assert team is None
    assert clause_holds("StringNotEquals", "s3:ExistingObjectTag/Team", (team,), ctx)
    assert not clause_holds("StringEquals", "s3:ExistingObjectTag/Team", (team,), ctx)


def test_old_version_is_literal():
    # VARS Note: "Variables were introduced in version 2012-10-17 ... If you don't include the
    # Version element ... variables like ${aws:username} are treated as literal strings."
    for version in ("2008-10-17", None):
        assert substitute("${aws:username}", CTX, version=version) == "${aws:username}"
        assert find_variables("${aws:username}", version=version) == []
        assert substitute_pattern("${*}", CTX, version=version) == (("lit", "${"), ("*", ""), ("lit", "}"))


def test_pattern_keeps_escaped_and_substituted_characters_literal():
    # VARS "Special characters": inserting "*" literally "would be interpreted as a wildcard,
    # matching any characters, instead of as a literal *" -- so ${*} must stay literal.
    glob = substitute_pattern("home/${aws:username}/${*}", CTX)
    assert glob == (("lit", "home/martha_rivera/*"),)
    assert like_matches(glob, "home/martha_rivera/*") and not like_matches(glob, "home/martha_rivera/x")
    star = substitute_pattern("home/${aws:username}/*", CTX)
    assert star == (("lit", "home/martha_rivera/"), ("*", ""))
    assert like_matches(star, "home/martha_rivera/x") and not like_matches(star, "home/other/x")
    # Decision (AWS is silent): a substituted value's own "*" is literal, not a wildcard.
    assert not like_matches(substitute_pattern("${aws:username}", {"aws:username": ("*",)}), "bob")


def test_pattern_in_string_like_clause():
    # OPS "Example using a policy variable with a string condition operator": StringLike on
    # s3:prefix ["home/", "home/${aws:username}/"] for martha_rivera; no aws:username -> the
    # variable value matches nothing.
    vals = tuple(substitute_pattern(v, CTX) for v in ["home/", "home/${aws:username}/"])
    assert clause_holds("StringLike", "s3:prefix", vals, {"s3:prefix": ("home/martha_rivera/",)})
    assert not clause_holds("StringLike", "s3:prefix", vals, {"s3:prefix": ("home/nikki_wolf/",)})
    none = tuple(substitute_pattern(v, {}) for v in ["home/${aws:username}/"])
    assert none == (None,) and not clause_holds("StringLike", "s3:prefix", none, {"s3:prefix": ("home/",)})


def test_arn_pattern_with_variable():
    # VARS "Resource element": "arn:aws:sns:*:*:${aws:PrincipalTag/access-project}-...-*".
    ctx = {"aws:principaltag/p": ("proj",)}
    glob = substitute_pattern("arn:aws:sns:*:*:${aws:PrincipalTag/p}-*", ctx)
    assert clause_holds("ArnLike", "aws:SourceArn", (glob,), {"aws:sourcearn": ("arn:aws:sns:us-east-1:1:proj-x",)})
    assert not clause_holds("ArnLike", "aws:SourceArn", (glob,), {"aws:sourcearn": ("arn:aws:sns:us-east-1:1:other-x",)})
