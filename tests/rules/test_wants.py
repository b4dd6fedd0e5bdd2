"""A rule's field tests (rules/wants.py) let a producer skip facts no rule in force may flag: the
findings must be exactly those over every fact, for the built-in rules and for rules a user might
write, on inputs with trigger paths of every kind (invokes, sources, role chains, `*`)."""


import pytest

from permcheck.graph.edges import Edges
from permcheck.graph.index import Index
from permcheck.load.deployments import load_deployments
from permcheck.load.inputs import Options
from permcheck.rules.check_types import check_rule
from permcheck.rules.collect import Facts
from permcheck.rules.engine import bind, run_rule
from permcheck.rules.findings import Severity
from permcheck.rules.lang import parse_rule
from permcheck.rules.registry import load_rules
from permcheck.rules.wants import FieldTest, field_tests, may_flag
from tests.conftest import ROOT

BUILTIN = {rule.id: rule for rule in load_rules()}
HEAD = 'rule my-rule\ntitle "t"\nseverity low\nwhat "w"\nwhy "y"\nfix "f"\n'

#: Rules a user might write on trigger paths: none of them is a built-in rule's meaning.
USER_MATCHES = [
    'for t in trigger_paths\n  report "{t.principal} runs {t.function}"',
    'for t in trigger_paths\n  where t.principal_kind == "role" and not t.through_source\n  report "{t.path}"',
    'for t in trigger_paths\n  where t.assumes_roles\n  report "{t.path}"',
    'for t in trigger_paths\n  where t.public or t.other_account != ""\n  report "{t.path}"',
    'for t in trigger_paths\n  where "role" != t.principal_kind and t.decision == "allowed"\n  report "{t.path}"',
    'let kinds = ["anyone", "service"]\n  for t in trigger_paths\n  where t.principal_kind in kinds\n'
    '  report "{t.principal}: {t.path}"',
    'for t in trigger_paths\n  where t.through_source and t.principal != "*" and t.role_writes\n  report "{t.path}"',
]


def user_rule(match: str):
    spec = parse_rule(HEAD + "match\n  " + match + "\n", "my.rule")
    check_rule(spec)
    return spec


def _inputs(tmp_path):
    """Inputs with trigger paths: the example app with its account snapshots, the trigger data, and
    the two trigger rules' own examples."""
    yield [str(ROOT / "fixtures/example-app"), str(ROOT / "fixtures/snapshots")]
    yield [str(ROOT / "tests/data/triggers")]
    for rule_id in ("cross-account-trigger", "public-trigger-to-privilege"):
        for index, (_, text) in enumerate(BUILTIN[rule_id].spec.examples):
            path = tmp_path / f"{rule_id}-{index}.yaml"
            path.write_text(text)
            yield [str(path)]


def _findings(spec, items, constants):
    return sorted((f.message, f.file, f.line, f.key) for f, _ in run_rule(spec, Severity.LOW, items, constants))


def test_tests_are_the_top_level_field_conjuncts():
    scope = bind(BUILTIN["cross-account-trigger"].spec, {})
    assert field_tests(BUILTIN["cross-account-trigger"].spec, scope) == (
        FieldTest("through_source", "truthy"), FieldTest("other_account", "!=", ""),
        FieldTest("assumes_roles", "falsy"))
    spec = BUILTIN["cross-account-resource-policy"].spec
    assert field_tests(spec, bind(spec, {})) == (
        FieldTest("target_type", "in", ["bucket", "queue", "topic", "key", "secret"]),)
    # an `or`, a call, a field on the right of `in`: not tests; a literal on the left of `==` is
    spec = user_rule('for t in trigger_paths\n  where (t.public or t.through_source) and "*" in t.sources\n'
                     '    and "role" == t.principal_kind and count(t.sources) != 0\n  report "x"')
    assert field_tests(spec, {}) == (FieldTest("principal_kind", "==", "role"),)
    assert field_tests(user_rule('for t in trigger_paths\n  report "x"'), {}) == ()


def test_may_flag_leaves_unknown_fields_open():
    wants = [(FieldTest("public", "truthy"), FieldTest("assumes_roles", "falsy"))]
    assert may_flag(wants, {})
    assert may_flag(wants, {"public": True})
    assert not may_flag(wants, {"public": False})
    assert not may_flag(wants, {"public": True, "assumes_roles": True})
    assert may_flag(wants + [()], {"public": False})  # a rule without tests wants every fact
    assert not may_flag([], {})  # no rule reads the subject


@pytest.mark.parametrize("match", USER_MATCHES + ["builtin"])
def test_trigger_facts_made_for_the_rules_give_the_same_findings(match, tmp_path):
    specs = [BUILTIN["cross-account-trigger"].spec, BUILTIN["public-trigger-to-privilege"].spec] \
        if match == "builtin" else [user_rule(match)]
    seen, skipped = 0, 0
    for paths in _inputs(tmp_path):
        [deployment] = load_deployments(paths, Options())
        edges = Edges(Index(deployment.inventory))
        constants = {"trusted_accounts": [deployment.inventory.default_account], "org_id": ""}
        every = Facts(edges, (deployment.inventory.default_account,)).subject("trigger_paths")
        wants = {"trigger_paths": [field_tests(spec, bind(spec, constants)) for spec in specs]}
        fewer = Facts(edges, (deployment.inventory.default_account,), wants=wants).subject("trigger_paths")
        assert len(fewer) <= len(every)
        skipped += len(every) - len(fewer)
        for spec in specs:
            expected = _findings(spec, every, constants)
            assert _findings(spec, fewer, constants) == expected, (paths, spec.where)
            seen += len(expected)
    assert seen, "the inputs must give the rule something to flag"
    if match == "builtin":
        assert skipped, "the built-in rules' tests must spare some facts"
