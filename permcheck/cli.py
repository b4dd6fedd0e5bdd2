"""The command line: parse options, run one query, render, exit per the contract.

Only click is imported at start-up; every analysis module is imported inside the
command that needs it, so `permcheck --help` and a pre-commit run stay fast.
"""

from __future__ import annotations

import contextlib
import os
import sys

import click

FORMATS = ("text", "json")
SEVERITIES = ("low", "medium", "high", "critical")


class Run:
    """Options shared by every analysing command, merged with the configuration."""

    def __init__(self, paths, account, region, parameters, context, closed, config_path, management_account=None):
        from permcheck.config import load_config

        self.config = load_config(config_path)
        self.paths = list(paths)
        self.account = account or self.config.account
        self.management_account = management_account or self.config.management_account
        self.region = region or self.config.region or "us-east-1"
        self.parameters = {**self.config.parameters, **_pairs(parameters, "--parameter")}
        self.context: dict[str, tuple[str, ...]] = {}
        for key, value in _pair_list(context, "--context"):
            self.context[key.lower()] = self.context.get(key.lower(), ()) + (value,)
        self.closed = closed
        self.errors: list = []  # inputs that could not be read: the others are still analysed

    def models(self, fmt: str = "text", collect_errors: bool = True) -> list:
        """The model of every deployment of the inputs (one, unless some templates cannot
        deploy side by side: load/deployments.py). A file that cannot be read is skipped and
        remembered (`finish` reports it and exits 2); with `collect_errors=False` it stops the run."""
        from permcheck.graph.deployments import Model
        from permcheck.graph.edges import Edges
        from permcheck.graph.index import Index
        from permcheck.load.deployments import load_deployments
        from permcheck.model.location import InputError

        errors = self.errors if collect_errors else None
        try:
            with progress_bar(fmt) as progress:
                deployments = load_deployments(self.paths, self.options(), progress, errors=errors)
        except InputError:
            if not self.errors:
                raise
            self.report_errors()  # every input failed: its errors say it all (no "nothing to analyse")
            sys.exit(2)
        return [Model(d, Edges(Index(d.inventory), context=self.context, closed=self.closed)) for d in deployments]

    def options(self):
        """Where templates deploy, as the loaders take it."""
        from permcheck.load.inputs import Options

        return Options(self.account, self.region, self.parameters, self.management_account)

    def error_lines(self) -> list[str]:
        return [str(error) for error in self.errors]

    def report_errors(self) -> None:
        for line in self.error_lines():
            sys.stderr.write(f"permcheck: error: {_printable(line)}\n")

    def finish(self) -> None:
        """Fail closed: an input that could not be read makes the run exit 2, after the rest
        was analysed and shown."""
        if self.errors:
            self.report_errors()
            sys.exit(2)


@contextlib.contextmanager
def progress_bar(fmt: str):
    """A bar on stderr while inputs are read — only for people: text output to a terminal."""
    if fmt != "text" or not sys.stdout.isatty() or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("reading inputs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=None)

        def update(file: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=file[-60:])
        yield update


def _pair_list(items, flag):
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"{flag} takes KEY=VALUE, not {item!r}")
        out.append((key, value))
    return out


def _pairs(items, flag):
    return dict(_pair_list(items, flag))


def _account_id(_ctx, _param, value):
    from permcheck.model.arn import ACCOUNT_ID

    if value is not None and not ACCOUNT_ID.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a 12-digit account ID")
    return value


MANAGEMENT_ACCOUNT = click.option(
    "--management-account", callback=_account_id, metavar="ID",
    help="The organisation's management account: SCPs and RCPs do not apply to it.")


def analysis_options(command, formats: tuple[str, ...] = FORMATS):
    """The options every analysing command takes (contract: inputs, decisions, config)."""
    for decorator in reversed((
        click.option("--format", "fmt", type=click.Choice(formats), default="text", show_default=True,
                     help="text: a table for people; json: one JSON document on stdout"
                          + ("; sarif: SARIF 2.1.0 for code scanning." if "sarif" in formats else ".")),
        click.option("--account", help="Account the templates deploy into."),
        click.option("--region", help="Region the templates deploy into [default: us-east-1]."),
        MANAGEMENT_ACCOUNT,
        click.option("--parameter", "parameters", multiple=True, metavar="KEY=VALUE",
                     help="Template parameter value (repeatable)."),
        click.option("--context", multiple=True, metavar="KEY=VALUE",
                     help="Fix a condition key (repeatable; repeated keys are multi-valued)."),
        click.option("--closed-context", "closed", is_flag=True,
                     help="Keys not given are absent from the request, not unknown."),
        click.option("--config", "config_path", type=click.Path(), help="TOML configuration file."),
    )):
        command = decorator(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="permcheck")
def main() -> None:
    """Offline IAM permission analysis for AWS serverless applications.

    PATH arguments are CloudFormation or SAM templates, AWS CLI account snapshots,
    Organizations SCP/RCP files, Terraform plans (terraform show -json), policy
    documents, or directories of them: each file is recognised by its content.
    """


@main.command("who-can-invoke")
@click.argument("function")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@analysis_options
def who_can_invoke(function, paths, fmt, account, region, parameters, context, closed, config_path,
                   management_account):
    """Every principal that may invoke FUNCTION, and why."""
    from permcheck.graph.query import who_can_invoke as query

    from permcheck.graph.deployments import locate, merged

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account)
    found = locate(run.models(fmt), function, lambda edges: edges.index.function(function))
    emit(merged([(model, query(model.edges, f)) for model, f in found]), fmt, "who-can-invoke", run)


@main.command("what-can-access")
@click.argument("principal")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@analysis_options
def what_can_access(principal, paths, fmt, account, region, parameters, context, closed, config_path,
                    management_account):
    """Everything PRINCIPAL (or FUNCTION's execution role) may access."""
    from permcheck.graph.query import what_can_access as query

    from permcheck.graph.deployments import locate, merged

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account)
    found = locate(run.models(fmt), principal, lambda edges: edges.index.caller(principal))
    emit(merged([(model, query(model.edges, caller)) for model, caller in found]), fmt, "what-can-access", run)


@main.command("can")
@click.argument("principal")
@click.argument("action")
@click.argument("resource")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--expect", type=click.Choice(("allowed", "denied", "conditional")),
              help="Exit 1 when the decision differs (an assertion for CI).")
@analysis_options
def can(principal, action, resource, paths, expect, fmt, account, region, parameters, context, closed,
        config_path, management_account):
    """Can PRINCIPAL do ACTION on RESOURCE? By AWS's evaluation logic."""
    from permcheck.graph.query import can as query

    if ":" not in action and action != "*":
        raise click.UsageError(f"ACTION must be service:action, not {action!r}")
    from permcheck.graph.deployments import common, locate, merged

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account)
    models = run.models(fmt)
    callers = locate(models, principal, lambda edges: edges.index.caller(principal))
    targets = locate(models, resource, lambda edges: edges.index.resource(resource))
    answers = []
    for model in common(callers, targets):
        caller = next(c for m, c in callers if m is model)
        target = next(t for m, t in targets if m is model)
        answers.append((model, query(model.edges, caller, action, target)))
    result = merged(answers, single=True)
    emit(result, fmt, "can", run)
    if expect and result["decision"] != expect:
        sys.exit(1)


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
          config_path, management_account):
    """Flag over-broad, public and cross-account grants, by the rules in force."""
    from permcheck.rules.findings import Severity, fails
    from permcheck.rules.registry import load_rules
    from permcheck.rules.run import run_checks

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account)
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


@main.command("graph")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(("json", "dot", "graphml", "mermaid")), default="json",
              show_default=True)
@click.option("--account")
@click.option("--region")
@click.option("--parameter", "parameters", multiple=True, metavar="KEY=VALUE")
@click.option("--config", "config_path", type=click.Path())
@MANAGEMENT_ACCOUNT
def graph(paths, fmt, account, region, parameters, config_path, management_account):
    """The graph of principals, functions and resources, and its edges."""
    from permcheck.graph.build import build_graphs
    from permcheck.report.graph_formats import render

    run = Run(paths, account, region, parameters, (), False, config_path, management_account)
    click.echo(render(build_graphs(run.models()), fmt), nl=False)
    run.finish()


# -- permcheck report ---------------------------------------------------------------------------
@main.command("report")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), metavar="FILE.html",
              help="The HTML page to write (replaced atomically).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(),
              help="A directory of *.rule files to add to the built-in rules (repeatable).")
@analysis_options
def report(paths, output, rule_dirs, fmt, account, region, parameters, context, closed, config_path,
           management_account):
    """Write one self-contained HTML page: findings, who can invoke each function, what each
    execution role can access, and a picture of the graph. Not a gate: exit 0 once written."""
    from importlib.metadata import version

    from permcheck.report.html import render_html
    from permcheck.report.html_build import build_model
    from permcheck.rules.registry import load_rules
    from permcheck.rules.run import run_checks

    run = Run(paths, account, region, parameters, context, closed, config_path, management_account)
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


def _write_atomically(path: str, text: str) -> None:
    """Write beside the target, then rename over it: a reader never sees half a page."""
    import tempfile

    target = os.path.abspath(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".permcheck-", suffix=".tmp")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # mkstemp's 0600 would hide the page from a web server
        os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None


@main.command("diff")
@click.argument("old")
@click.argument("new")
@analysis_options
def diff(old, new, fmt, account, region, parameters, context, closed, config_path, management_account):
    """Access NEW grants that OLD did not, and what it removed: exit 1 when any is added.

    OLD and NEW are files, directories, or git revisions of a path (REV:PATH, e.g.
    HEAD~1:templates/). Compared by the decisions, not by the text.
    """
    from permcheck.graph.diff import diff as compare
    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.load.deployments import groups_of, prepare, split
    from permcheck.load.revisions import Sides

    run = Run([old, new], account, region, parameters, context, closed, config_path, management_account)
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
            answer = compare(*(Edges(Index(d.inventory), context=run.context, closed=run.closed)
                               for d in (before, after)), sides.label(0), sides.label(1))
            added += [e for e in answer["added"] if e not in added]
            removed += [e for e in answer["removed"] if e not in removed]
        result = {"old": sides.labels[0], "new": sides.labels[1], "added": added, "removed": removed}
    if fmt == "json":
        emit(result, fmt, "diff")
    else:
        from permcheck.report.console import render_diff

        render_diff(result)
    sys.exit(1 if result["added"] else 0)


def emit(result: dict, fmt: str, command: str, run: Run | None = None) -> None:
    """The answer on stdout; then, if inputs were skipped, their errors on stderr and exit 2."""
    errors = run.error_lines() if run is not None else []
    if fmt == "json":
        import json

        click.echo(json.dumps({**result, "errors": errors} if errors else result, indent=2))
    else:
        from permcheck.report.console import render

        render(result, command)
    if run is not None:
        run.finish()


def run() -> None:
    """Entry point: every failure is one line on stderr and exit 2, never a traceback."""
    import gc

    from permcheck.model.location import InputError

    # One short run whose model holds no reference cycles: the cyclic collector only costs
    # time here (a third of who-can-invoke over a 2,000-role account). Memory is bounded by
    # the inputs, which are limited (load/decode.py).
    gc.disable()
    try:
        main.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.exceptions.Abort:
        _fail("aborted")
    except click.exceptions.NoArgsIsHelpError:
        _fail("no command given (see permcheck --help)")
    except click.ClickException as error:
        _fail(error.format_message())
    except InputError as error:
        _fail(str(error))
    except RecursionError:
        _fail("input nested too deeply to analyse")
    except MemoryError:
        _fail("out of memory while analysing the input")
    except (BrokenPipeError, KeyboardInterrupt):
        sys.exit(2)
    except Exception as error:  # a bug: still fail closed, and say how to see the traceback
        if os.environ.get("PERMCHECK_DEBUG"):
            raise
        _fail(f"internal error: {type(error).__name__}: {error} (set PERMCHECK_DEBUG=1 for the traceback)")


def _fail(message: str) -> None:
    sys.stderr.write(f"permcheck: error: {_printable(message)}\n")
    sys.exit(2)


def _printable(text: str) -> str:
    """One line, no terminal control: input text (a name with ESC or CR in it) cannot forge
    or hide lines in a CI log."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
