"""What every command shares: the run (configuration, inputs loaded once, the model), the options of an
analysis, and writing the answer or the one-line error."""

from __future__ import annotations

import contextlib
import os
import sys

import click

FORMATS = ("text", "json")
SEVERITIES = ("low", "medium", "high", "critical")


class Run:
    """Options shared by every analysing command, merged with the configuration."""

    def __init__(self, paths, account, region, parameters, context, closed, config_path, management_account=None,
                 no_cache=False):
        from permcheck.config import load_config

        self.config = load_config(config_path)
        self.cache = self.config.cache and not no_cache  # the model cache (load/cache.py)
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
        stored = self._cached()
        deployments = stored.get() if stored is not None else None
        if deployments is None:
            from permcheck.load.read_log import recording

            try:  # what the load reads is recorded (each file hashed) only for an entry to be kept
                with progress_bar(fmt) as progress, (recording() if stored is not None else
                                                     contextlib.nullcontext()) as log:
                    deployments = load_deployments(self.paths, self.options(), progress, errors=errors)
            except InputError:
                if not self.errors:
                    raise
                self.report_errors()  # every input failed: its errors say it all (no "nothing to analyse")
                sys.exit(2)
            if stored is not None and not self.errors:  # a model missing an unreadable input is never kept
                stored.put(deployments, log)
        return [Model(d, Edges(Index(d.inventory), context=self.context, closed=self.closed)) for d in deployments]

    def _cached(self):
        """This run's place in the model cache (load/cache.py), or None when it does not apply."""
        if not self.cache:
            return None
        from permcheck.load import cache

        return cache.lookup(self.paths, self.options())

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


NO_CACHE = click.option(
    "--no-cache", "no_cache", is_flag=True,
    help="Load the inputs afresh: neither read nor write the model cache (config: cache = false).")


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
        NO_CACHE,
    )):
        command = decorator(command)
    return command


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


def emit(result: dict, fmt: str, command: str, run: Run | None = None) -> None:
    """The answer on stdout; then, if inputs were skipped, their errors on stderr and exit 2."""
    errors = run.error_lines() if run is not None else []
    if fmt == "json":
        from permcheck.report.json_text import JsonText  # json.dumps(indent=2)'s text, faster

        click.echo(JsonText().dumps({**result, "errors": errors} if errors else result))
    else:
        from permcheck.report.console import render

        render(result, command)
    if run is not None:
        run.finish()


def _fail(message: str) -> None:
    sys.stderr.write(f"permcheck: error: {_printable(message)}\n")
    sys.exit(2)


def _printable(text: str) -> str:
    """One line, no terminal control: input text (a name with ESC or CR in it) cannot forge
    or hide lines in a CI log."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
