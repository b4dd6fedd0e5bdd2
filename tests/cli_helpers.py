"""Run the real command line in-process, as a user would, and read its output."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

from tests.conftest import ROOT


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
