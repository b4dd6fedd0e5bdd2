"""Regenerate what is derived from the built-in rule files: docs/rules.md and the compiled
rule pack (permcheck/data/rules_compiled.json). tests/rules/test_rule_docs.py keeps both current."""

from pathlib import Path

from permcheck.rules.compiled import COMPILED, compile_pack
from permcheck.rules.docs import rules_markdown
from permcheck.rules.registry import builtin_dir, load_rules, parse_checked

if __name__ == "__main__":
    docs = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
    docs.write_text(rules_markdown(load_rules()), encoding="utf-8")
    texts = {path.read_text(encoding="utf-8"): None for path in sorted(builtin_dir().glob("*.rule"))}
    COMPILED.write_text(compile_pack({t: parse_checked(t, "") for t in texts}), encoding="utf-8")
    print(f"wrote {docs} and {COMPILED}")
