"""Write docs/rules.md from the built-in rule files (tests/rules/test_rule_docs.py keeps it in sync)."""

from pathlib import Path

from permcheck.rules.docs import rules_markdown
from permcheck.rules.registry import load_rules

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
    target.write_text(rules_markdown(load_rules()), encoding="utf-8")
    print(f"wrote {target}")
