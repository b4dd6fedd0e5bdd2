"""docs/rules.md is generated from the rule files; this keeps the two in sync."""

from permcheck.rules.docs import rules_markdown
from permcheck.rules.registry import load_rules
from tests.conftest import ROOT


def test_docs_rules_md_is_current():
    written = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == rules_markdown(load_rules()), "run: python tools/gen_rule_docs.py"


def test_contract_rule_ids_are_all_built_in():
    contract = {"wildcard-action", "service-wildcard-action", "wildcard-resource-write", "passrole-wildcard",
                "privilege-escalation", "admin-managed-policy", "not-resource-allow", "public-invoke",
                "service-invoke-without-source", "trust-any-principal", "cross-account-invoke",
                "cross-account-trust", "cross-account-resource-policy", "unknown-action", "invalid-policy",
                "public-trigger-to-privilege", "cross-account-trigger"}
    # beyond the contract's list (issue 11: "pick rule ids and document them"): the condition
    # checks IAM Access Analyzer also makes
    ours = {"condition-type-mismatch": "medium", "set-operator-on-single-valued-key": "low"}
    severities = {r.id: r.severity.value for r in load_rules()}
    assert set(severities) == contract | set(ours)
    assert severities == {**ours, 
        "wildcard-action": "high", "service-wildcard-action": "medium", "wildcard-resource-write": "medium",
        "passrole-wildcard": "high", "privilege-escalation": "high", "admin-managed-policy": "high",
        "not-resource-allow": "medium", "public-invoke": "critical", "service-invoke-without-source": "high",
        "trust-any-principal": "critical", "cross-account-invoke": "medium", "cross-account-trust": "high",
        "cross-account-resource-policy": "medium", "unknown-action": "low", "invalid-policy": "high",
        "public-trigger-to-privilege": "high", "cross-account-trigger": "medium"}


def test_compiled_rule_pack_is_current_and_equal_to_parsing():
    """The compiled pack (for start-up speed) must say exactly what the rule files say."""
    from permcheck.rules.compiled import cached_spec
    from permcheck.rules.registry import builtin_dir, parse_checked

    for path in sorted(builtin_dir().glob("*.rule")):
        text = path.read_text(encoding="utf-8")
        cached = cached_spec(text, str(path))
        assert cached is not None, f"{path.name} changed: run python tools/gen_rule_docs.py"
        assert cached == parse_checked(text, str(path))
