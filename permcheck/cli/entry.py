"""The entry point of the `permcheck` console script: run the command group, and turn every failure
into one line on stderr and exit 2."""

from __future__ import annotations

import os
import sys

import click

from permcheck.cli.group import main
from permcheck.cli.session import _fail


def run() -> None:
    """Entry point: every failure is one line on stderr and exit 2, never a traceback."""
    import gc

    # One short run whose model holds no reference cycles: the cyclic collector only costs
    # time here (a third of who-can-invoke over a 2,000-role account). Memory is bounded by
    # the inputs, which are limited (load/decode.py).
    gc.disable()
    try:
        _main()
    finally:
        # What the run built lives until exit: frozen, the interpreter's last collection at exit
        # does not walk it (~40 ms of a pre-commit run).
        gc.freeze()


def _main() -> None:
    from permcheck.model.location import InputError

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
