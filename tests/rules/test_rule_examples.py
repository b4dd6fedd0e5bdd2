"""Every built-in rule's examples run: the one that should fire fires, the near miss does not.

The examples are the rule files' own (`example fires` / `example passes`), so the
documentation in docs/rules.md is tested text, as in ruff's and sqlfluff's rule docs.
"""

import pytest

from permcheck.rules.registry import load_rules
from tests.cli_helpers import run

RULES = load_rules()


def _examples():
    for rule in RULES:
        for index, (kind, text) in enumerate(rule.spec.examples):
            yield pytest.param(rule.id, kind, text, id=f"{rule.id}-{kind}-{index}")


def test_every_rule_has_both_examples():
    for rule in RULES:
        kinds = {kind for kind, _ in rule.spec.examples}
        assert kinds == {"fires", "passes"}, rule.id


@pytest.mark.parametrize("rule_id,kind,text", list(_examples()))
def test_example(rule_id, kind, text, tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(text)
    result = run("check", str(template), "--format", "json", "--fail-on", "critical")
    assert result.code in (0, 1), result.err
    fired = [f for f in result.json()["findings"] if f["rule"] == rule_id]
    if kind == "fires":
        assert fired, f"{rule_id} did not fire on its example"
        assert all(f["line"] for f in fired), "a finding must point at a line"
    else:
        assert fired == [], f"{rule_id} fired on its near miss: {fired}"
