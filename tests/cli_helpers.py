"""Run the real command line in-process, as a user would, and read its output."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

from tests.conftest import ROOT


#: What permcheck prints when it meets a bug of its own instead of bad input: the command line's
#: catch-all (cli.py: "internal error: TYPE: … (set PERMCHECK_DEBUG=1 for the traceback)"), any
#: message that says "bug in permcheck", and a traceback that escaped. The first two are an exit 2
#: with one clean error line, so exit codes alone miss them.
BUG_SIGNS = ("Traceback", "internal error", "bug in permcheck")


def bug_signs(text: str) -> list[str]:
    """The signs of a permcheck bug in `text` (stderr, stdout or an error message)."""
    return [sign for sign in BUG_SIGNS if sign in text]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run(*args: str, cwd=ROOT) -> Result:
    """`permcheck ARGS` through `cli.run`, the console script's entry point (exit code included)."""
    from click.testing import CliRunner

    from permcheck import cli

    import gc

    old_cwd, old_argv, collecting = os.getcwd(), sys.argv, gc.isenabled()
    os.chdir(cwd)
    sys.argv = ["permcheck", *args]
    try:
        with CliRunner().isolation() as (out, err, _):
            try:
                cli.run()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            sys.stdout.flush()
            sys.stderr.flush()
            return Result(code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        os.chdir(old_cwd)
        sys.argv = old_argv
        if collecting:
            gc.enable()  # cli.run turns the collector off for its short process; not for the tests
