"""The views of a whole model: graph (json, dot, graphml, mermaid) and report (one self-contained HTML
page)."""

from __future__ import annotations

import sys

import click

from permcheck.cli.group import main
from permcheck.cli.session import (MANAGEMENT_ACCOUNT, NO_CACHE, Run, SEVERITIES, _printable, _write_atomically,
                                   analysis_options)


@main.command("graph")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(("json", "dot", "graphml", "mermaid")), default="json",
              show_default=True)
@click.option("--account")
@click.option("--region")
@click.option("--parameter", "parameters", multiple=True, metavar="KEY=VALUE")
@click.option("--config", "config_path", type=click.Path())
@MANAGEMENT_ACCOUNT
@NO_CACHE
def graph(paths, fmt, account, region, parameters, config_path, management_account, no_cache):
    """The graph of principals, functions and resources, and its edges."""
    from permcheck.graph.build import build_graphs
    from permcheck.report.graph_formats import render

    run = Run(paths, account, region, parameters, (), False, config_path, management_account,
              no_cache=no_cache)
    click.echo(render(build_graphs(run.models()), fmt), nl=False)
    run.finish()


@main.command("report")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), metavar="FILE.html",
              help="The HTML page to write (replaced atomically).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(),
              help="A directory of *.rule files to add to the built-in rules (repeatable).")
@analysis_options
def report(paths, output, rule_dirs, fmt, account, region, parameters, context, closed, config_path,
           management_account, no_cache):
    """Write one self-contained HTML page: findings, who can invoke each function, what each
    execution role can access, and a picture of the graph. Not a gate: exit 0 once written."""
    from importlib.metadata import version

    from permcheck.report.html import render_html
    from permcheck.report.html_build import build_model
    from permcheck.rules.registry import load_rules
    from permcheck.rules.run import run_checks

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account,
              no_cache=no_cache)
    rules = load_rules(tuple(rule_dirs), run.config)
    models = run.models(fmt)
    result = run_checks(models, rules, run.config)
    result.errors = run.error_lines() + result.errors
    model = build_model(models, result, rules, {"inputs": list(paths), "version": version("permcheck")})
    _write_atomically(output, render_html(model))
    for error in result.errors:  # an unreadable input or a failed rule: on the page too, never silent
        sys.stderr.write(f"permcheck: error: {_printable(error)}\n")
    summary = {key: model["summary"][key] for key in (*SEVERITIES[::-1], "suppressed", "functions")}
    if fmt == "json":
        import json

        click.echo(json.dumps({"report": output, "summary": summary, "errors": list(result.errors)}, indent=2))
    else:
        counts = ", ".join(f"{summary[s]} {s}" for s in SEVERITIES[::-1] if summary[s]) or "no findings"
        click.echo(f"wrote {output}: {counts}; {summary['functions']} function(s)")
    if result.errors:  # the page is written, but what could not be read is not in it
        sys.exit(2)
