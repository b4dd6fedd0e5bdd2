"""`check`: every rule in force over one model, then suppressions from the template and
the configuration. Suppressed findings stay in the result, marked, and never fail a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

from permcheck.graph.edges import Edges
from permcheck.model.location import InputError, Location
from permcheck.rules.findings import Finding, Suppression
from permcheck.rules.registry import Rule


@dataclass
class CheckResult:
    findings: list[Finding]
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """The contract's `check` document."""
        return {"findings": [f.as_json() for f in self.findings], "errors": list(self.errors)}


def run_check(edges: Edges, rules: list[Rule], config) -> CheckResult:
    """Findings of every enabled rule, sorted by severity (highest first), file and line."""
    from permcheck.rules.collect import Facts
    from permcheck.rules.engine import RuleFailure, bind, run_rule
    from permcheck.rules.fixes import with_suggestions
    from permcheck.rules.wants import field_tests

    known = {rule.id for rule in rules}
    _validate_ignores(config, known, edges.index.inventory)
    constants = {"trusted_accounts": sorted({edges.index.inventory.default_account, *config.trusted_accounts}),
                 "org_id": config.org_id or ""}
    wants: dict[str, list] = {}  # each subject's field tests, one per rule in force that reads it
    failed: dict[str, RuleFailure] = {}  # a rule whose `let` fails flags nothing: its error is reported
    for rule in rules:
        if rule.enabled:
            try:
                want = field_tests(rule.spec, bind(rule.spec, constants))
            except RuleFailure as failure:
                failed[rule.id] = failure
                continue
            wants.setdefault(rule.spec.subject, []).append(want)
    facts = Facts(edges, tuple(constants["trusted_accounts"]), constants["org_id"], wants=wants)
    findings, errors = [], []
    for rule in rules:
        if not rule.enabled:
            continue
        if rule.id in failed:
            errors.append(f"{rule.spec.file}: rule {rule.id} failed: {failed[rule.id]}")
            continue
        spec = rule.spec if rule.id not in config.rules or "severity" not in config.rules[rule.id] \
            else replace(rule.spec, severities=[])  # a configured severity is the rule's only one
        try:
            found = run_rule(spec, rule.severity, facts.subject(spec.subject), constants)
            findings += with_suggestions(edges, rule, spec, found, constants, facts)
        except InputError:
            raise
        except Exception as error:  # a bug in one rule: report it, keep the others' findings
            errors.append(f"{rule.spec.file}: rule {rule.id} failed: {type(error).__name__}: {error}")
    findings = [_suppress(f, edges.index.inventory, config) for f in dict.fromkeys(findings)]
    findings.sort(key=lambda f: (-f.severity.rank, f.file, f.line or 0, f.rule, f.resource, f.message))
    return CheckResult(findings, errors)


def run_checks(models: list, rules: list[Rule], config) -> CheckResult:
    """`run_check` over each deployment of a run (graph/deployments.py): every deployment's
    findings, each once — a snapshot's own finding, found in every deployment, is one finding —
    in the same order as one model's."""
    if len(models) == 1:
        return run_check(models[0].edges, rules, config)
    results = [run_check(model.edges, rules, config) for model in models]
    findings = list(dict.fromkeys(f for result in results for f in result.findings))
    findings.sort(key=lambda f: (-f.severity.rank, f.file, f.line or 0, f.rule, f.resource, f.message))
    return CheckResult(findings, list(dict.fromkeys(e for result in results for e in result.errors)))


def _suppress(finding: Finding, inventory, config) -> Finding:
    for ignore in inventory.suppressions.get((finding.file, finding.resource), ()):
        if ignore.rule == finding.rule:
            return replace(finding, suppressed=Suppression(ignore.reason, "template"))
    for entry in config.ignore:
        if entry["rule"] == finding.rule and fnmatchcase(finding.resource, entry.get("resource", "*")) \
                and fnmatchcase(finding.file, entry.get("file", "*")):
            return replace(finding, suppressed=Suppression(entry["reason"], "config"))
    return finding


def _validate_ignores(config, known: set[str], inventory) -> None:
    """A suppression naming a rule that does not exist is an error: it would silence nothing."""
    where = Location(config.source or "configuration")
    for entry in config.ignore:
        if entry.get("rule") not in known:
            raise InputError(where, f"[[ignore]] names rule {entry.get('rule')!r}, which does not exist")
    for ignores in inventory.suppressions.values():
        for ignore in ignores:
            if ignore.rule not in known:
                raise InputError(ignore.location, f"permcheck ignore names rule {ignore.rule!r}, which does not exist")
