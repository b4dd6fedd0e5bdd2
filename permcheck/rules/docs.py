"""A rule's documentation as Markdown: `permcheck rules ID` and docs/rules.md say the same."""

from __future__ import annotations

from permcheck.rules.registry import Rule


def rule_markdown(rule: Rule) -> str:
    spec = rule.spec
    out = [f"## `{spec.id}` — {spec.title}", "",
           f"Severity: **{rule.severity.value}**" + ("" if rule.enabled else " (disabled by the configuration)"), "",
           "### What it finds", "", spec.what.strip(), "", "### Why it matters", "", spec.why.strip(), "",
           "### How to fix it", "", spec.fix.strip(), ""]
    if spec.docs:
        out += ["### References", ""] + [f"- <{url}>" for url in spec.docs] + [""]
    for kind, text in spec.examples:
        title = "fires on" if kind == "fires" else "does not fire on (near miss)"
        out += [f"### Example: {title}", "", "```yaml", text.rstrip(), "```", ""]
    out += ["### Match", "", "```", _match_source(spec), "```", ""]
    return "\n".join(out)


def rules_markdown(rules: list[Rule]) -> str:
    """The whole rule pack: an index, then each rule."""
    out = ["# permcheck rules", "",
           "Generated from `rules/*.rule` by `python tools/gen_rule_docs.py`; a test keeps it in sync.", "",
           "| id | severity | title |", "| --- | --- | --- |"]
    out += [f"| [`{r.id}`](#{r.id}--{_anchor(r.spec.title)}) | {r.severity.value} | {r.spec.title} |" for r in rules]
    out.append("")
    for rule in rules:
        out.append(rule_markdown(rule))
    return "\n".join(out).rstrip() + "\n"


def _anchor(title: str) -> str:
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c == "-")


def _match_source(spec) -> str:
    """The `match` block as written in the rule file."""
    with open(spec.file, encoding="utf-8") as handle:
        text = handle.read()
    start = text.find("\nmatch")
    return text[start + 1:].rstrip() if start >= 0 else ""
