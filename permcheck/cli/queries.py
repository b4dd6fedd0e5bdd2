"""The queries: who-can-invoke, who-can-trigger, what-can-access, can."""

from __future__ import annotations

import sys

import click

from permcheck.cli.group import main
from permcheck.cli.session import Run, analysis_options, emit


@main.command("who-can-invoke")
@click.argument("function")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@analysis_options
def who_can_invoke(function, paths, fmt, account, region, parameters, context, closed, config_path,
                   management_account, no_cache):
    """Every principal that may invoke FUNCTION, and why."""
    from permcheck.graph.query import who_can_invoke as query

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account,
              no_cache=no_cache)
    _about_function(run, function, query, fmt, "who-can-invoke")


@main.command("who-can-trigger")
@click.argument("function")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@analysis_options
def who_can_trigger(function, paths, fmt, account, region, parameters, context, closed, config_path,
                    management_account, no_cache):
    """Every principal that can make FUNCTION run — directly or through its event sources,
    chained through other functions — and by which path."""
    from permcheck.graph.triggers import who_can_trigger as query

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account,
              no_cache=no_cache)
    _about_function(run, function, query, fmt, "who-can-trigger")


def _about_function(run: Run, function: str, query, fmt: str, command: str) -> None:
    """A question about one function, asked in each deployment that holds it, answers merged."""
    from permcheck.graph.deployments import locate
    from permcheck.report.answers_json import merged, to_json

    found = locate(run.models(fmt), function, lambda edges: edges.index.function(function))
    emit(merged([(model, to_json(query(model.edges, f))) for model, f in found]), fmt, command, run)


@main.command("what-can-access")
@click.argument("principal")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--through-triggers", is_flag=True,
              help="Also what it reaches by making functions run that act as other roles.")
@analysis_options
def what_can_access(principal, paths, through_triggers, fmt, account, region, parameters, context, closed,
                    config_path, management_account, no_cache):
    """Everything PRINCIPAL (or FUNCTION's execution role) may access."""
    from permcheck.graph.deployments import locate
    from permcheck.graph.query import what_can_access as query
    from permcheck.report.answers_json import merged, to_json

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account,
              no_cache=no_cache)
    found = locate(run.models(fmt), principal, lambda edges: edges.index.caller(principal))
    answers = []
    for model, caller in found:
        reach = query(model.edges, caller)
        if through_triggers:
            from permcheck.graph.triggers import through_triggers as triggered

            reach.access.extend(triggered(model.edges, caller.session_arn or caller.arn))
        answers.append((model, to_json(reach)))
    emit(merged(answers), fmt, "what-can-access", run)


@main.command("can")
@click.argument("principal")
@click.argument("action")
@click.argument("resource")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--expect", type=click.Choice(("allowed", "denied", "conditional")),
              help="Exit 1 when the decision differs (an assertion for CI).")
@analysis_options
def can(principal, action, resource, paths, expect, fmt, account, region, parameters, context, closed,
        config_path, management_account, no_cache):
    """Can PRINCIPAL do ACTION on RESOURCE? By AWS's evaluation logic."""
    if ":" not in action and action != "*":
        raise click.UsageError(f"ACTION must be service:action, not {action!r}")
    from permcheck.graph.deployments import common, locate
    from permcheck.graph.query import can as query
    from permcheck.report.answers_json import merged, to_json

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account,
              no_cache=no_cache)
    models = run.models(fmt)
    callers = locate(models, principal, lambda edges: edges.index.caller(principal))
    targets = locate(models, resource, lambda edges: edges.index.resource(resource))
    answers = []
    for model in common(callers, targets):
        caller = next(c for m, c in callers if m is model)
        target = next(t for m, t in targets if m is model)
        answers.append((model, to_json(query(model.edges, caller, action, target))))
    result = merged(answers, single=True)
    emit(result, fmt, "can", run)
    if expect and result["decision"] != expect:
        sys.exit(1)
