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
    from permcheck.rules.two_processes import map_in_two
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

    def outcome(piece: Piece) -> tuple[list[Finding], str | None]:
        """One rule's findings (on a part of its subject's facts), or the error that stopped it."""
        rule, part, _ = piece
        if rule.id in failed:
            return [], f"{rule.spec.file}: rule {rule.id} failed: {failed[rule.id]}"
        spec = rule.spec if rule.id not in config.rules or "severity" not in config.rules[rule.id] \
            else replace(rule.spec, severities=[])  # a configured severity is the rule's only one
        try:
            found = run_rule(spec, rule.severity, facts.subject(spec.subject, part), constants)
            return with_suggestions(edges, rule, spec, found, constants, facts), None
        except InputError:
            raise
        except Exception as error:  # a bug in one rule: report it, keep the others' findings
            return [], f"{rule.spec.file}: rule {rule.id} failed: {type(error).__name__}: {error}"

    in_force = [rule for rule in rules if rule.enabled]
    split = _split(facts)
    pieces = _pieces(in_force, facts) if split else [(rule, None, False) for rule in in_force]
    outcomes = _joined(pieces, map_in_two(pieces, outcome, lambda piece: piece[2], _encode, _decode, split))
    findings = [finding for found, _ in outcomes for finding in found]
    errors = [error for _, error in outcomes if error]
    findings = [_suppress(f, edges.index.inventory, config) for f in dict.fromkeys(findings)]
    findings.sort(key=lambda f: (-f.severity.rank, f.file, f.line or 0, f.rule, f.resource, f.message))
    return CheckResult(findings, errors)


AWAY_SHARE = 0.8
"""The share of the grants (by the statements deciding them) a second process decides, with the fix
proofs of what it flags, while this one takes the other subjects and the rest of the grants: half of
each large check's time after loading (gen_org's snapshots; rules/two_processes.py)."""
SPLIT_FROM = 1000
"""Policies from which a check is worth a second process: a fork costs a few milliseconds, a
template's check takes tens; a 2,000-role snapshot holds ~5,000 policies and its check ~1 s."""


def _split(facts) -> bool:
    from permcheck.rules.two_processes import can_split, jobs_wanted

    jobs = jobs_wanted()
    if jobs == 1 or (jobs is None and len(facts.placed) < SPLIT_FROM):
        return False
    return can_split()


Piece = tuple[Rule, tuple[int, int] | None, bool]
"""A rule, the part of its subject's facts it runs on (None: all), and whether a second process runs it."""


def _pieces(rules: list[Rule], facts) -> list[Piece]:
    """Each rule with the part of its subject it runs on: a grant rule twice, on the grants of the
    holders before the cut (in the second process) and after it; any other rule once, on all."""
    cut, end = facts.grants_split(AWAY_SHARE), len(facts.grant_holders)
    return [piece for rule in rules
            for piece in ([(rule, (0, cut), True), (rule, (cut, end), False)] if rule.spec.subject == "grants"
                          else [(rule, None, False)])]


def _joined(pieces: list, outcomes: list) -> list[tuple[list[Finding], str | None]]:
    """One outcome a rule, as one process finds it: the findings of its pieces (next to each other
    in `pieces`) in order, or the first error (a rule stops at its first)."""
    joined: list[tuple[list[Finding], str | None]] = []
    previous = None
    for (rule, _, _), (found, error) in zip(pieces, outcomes):
        if rule is not previous:
            joined.append((found, error))
        elif joined[-1][1] is None:
            joined[-1] = ([], error) if error else (joined[-1][0] + found, None)
        previous = rule
    return joined


def _encode(outcome: tuple[list[Finding], str | None]) -> list:
    found, error = outcome
    return [[finding.as_values() for finding in found], error]


def _decode(value: list) -> tuple[list[Finding], str | None]:
    found, error = value
    return [Finding.from_values(values) for values in found], error


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
