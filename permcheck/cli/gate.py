"""The gate: check (the rules, baselines, SARIF), rules (their documentation), diff (access a change
adds)."""

from __future__ import annotations

import sys

import click

from permcheck.cli.group import main
from permcheck.cli.session import FORMATS, Run, SEVERITIES, _printable, analysis_options, emit


@main.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Exit 1 when an unsuppressed finding is at least this severe [default: high].")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(),
              help="A directory of *.rule files to add to the built-in rules (repeatable).")
@click.option("--baseline", type=click.Path(), help="Report and fail only on findings not in this baseline.")
@click.option("--write-baseline", type=click.Path(), help="Write the current findings as a baseline.")
@lambda command: analysis_options(command, ("text", "json", "sarif"))
def check(paths, fail_on, rule_dirs, baseline, write_baseline, fmt, account, region, parameters, context, closed,
          config_path, management_account, no_cache):
    """Flag over-broad, public and cross-account grants, by the rules in force."""
    from permcheck.rules.findings import Severity, fails
    from permcheck.rules.registry import load_rules
    from permcheck.rules.run import run_checks

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account,
              no_cache=no_cache)
    rules = load_rules(tuple(rule_dirs), run.config)
    result = run_checks(run.models(fmt), rules, run.config)
    result.errors = run.error_lines() + result.errors  # unreadable inputs: in JSON and SARIF too
    if baseline:
        from permcheck.rules.baseline import apply_baseline, read_baseline
        result.findings = apply_baseline(result.findings, read_baseline(baseline))
    if write_baseline:
        from permcheck.rules.baseline import write_baseline as write
        write(write_baseline, result.findings)
    if fmt == "sarif":
        import json

        from permcheck.report.sarif import sarif_document
        click.echo(json.dumps(sarif_document(result, rules), indent=2))
    elif fmt == "json":
        import json

        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        from permcheck.report.check_text import render_check
        render_check(result, rules)
    if result.errors:
        for error in result.errors:
            sys.stderr.write(f"permcheck: error: {_printable(error)}\n")
        sys.exit(2)
    if fails(result.findings, Severity(fail_on or run.config.fail_on)):
        sys.exit(1)


@main.command("rules")
@click.argument("rule_id", required=False)
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(), help="A directory of *.rule files to add.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--config", "config_path", type=click.Path(), help="TOML configuration file.")
def rules(rule_id, rule_dirs, fmt, config_path):
    """The rules in force; with RULE_ID, that rule's whole documentation."""
    from permcheck.config import load_config
    from permcheck.rules.registry import load_rules

    found = load_rules(tuple(rule_dirs), load_config(config_path))
    if rule_id is not None:
        found = [r for r in found if r.id == rule_id]
        if not found:
            raise click.UsageError(f"no rule has the id {rule_id!r} (see permcheck rules)")
    if fmt == "json":
        import json

        listing = [{"id": r.id, "severity": r.severity.value, "title": r.spec.title, "enabled": r.enabled,
                    "builtin": r.builtin, "file": r.spec.file} for r in found]
        if rule_id is not None:
            spec = found[0].spec
            listing[0].update(what=spec.what, why=spec.why, fix=spec.fix, docs=spec.docs,
                              examples=[{"kind": k, "template": t} for k, t in spec.examples])
        click.echo(json.dumps(listing, indent=2))
        return
    from permcheck.report.check_text import render_rules
    render_rules(found, whole=rule_id is not None)


@main.command("diff")
@click.argument("old")
@click.argument("new")
@analysis_options
def diff(old, new, fmt, account, region, parameters, context, closed, config_path, management_account,
         no_cache):
    """Access NEW grants that OLD did not, and what it removed: exit 1 when any is added.

    OLD and NEW are files, directories, or git revisions of a path (REV:PATH, e.g.
    HEAD~1:templates/). Compared by the decisions, not by the text.
    """
    from permcheck.graph.diff import diff as compare
    from permcheck.graph.edges import Edges
    from permcheck.report.answers_json import diff_json
    from permcheck.graph.index import Index
    from permcheck.load.deployments import groups_of, prepare, split
    from permcheck.load.revisions import Sides

    run = Run([old, new], account, region, parameters, context, closed, config_path, management_account,
              no_cache=no_cache)
    options = run.options()
    with Sides(old, new) as sides:
        # strict: a diff of a side that could not be read entirely would understate the change.
        # A monorepo's deployments are grouped by the conflicts of both sides, so that deployment
        # N of OLD is compared with deployment N of NEW (load/deployments.py).
        prepared = [sides.read(side, lambda path: prepare([path], options)) for side in (0, 1)]
        groups = groups_of(*prepared)
        sided = [sides.read(side, lambda path, side=side: split(prepared[side], options, groups)) for side in (0, 1)]
        added, removed = [], []
        for before, after in zip(*sided):
            answer = diff_json(compare(*(Edges(Index(d.inventory), context=run.context, closed=run.closed)
                                         for d in (before, after)), sides.label(0), sides.label(1)))
            added += [e for e in answer["added"] if e not in added]
            removed += [e for e in answer["removed"] if e not in removed]
        result = {"old": sides.labels[0], "new": sides.labels[1], "added": added, "removed": removed}
    if fmt == "json":
        emit(result, fmt, "diff")
    else:
        from permcheck.report.console import render_diff

        render_diff(result)
    sys.exit(1 if result["added"] else 0)
