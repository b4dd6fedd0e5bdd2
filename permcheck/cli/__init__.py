"""The command line: parse options, run one query, render, exit per the contract.

Only click is imported at start-up; every analysis module is imported inside the
command that needs it, so `permcheck --help` and a pre-commit run stay fast.

`group.py` is the command group, `session.py` what every command shares, and the commands are in
`queries.py`, `gate.py` and `views.py`; `entry.py` runs them.
"""

from permcheck.cli import gate, queries, views  # noqa: F401  (each registers its commands on the group)
from permcheck.cli.entry import run
from permcheck.cli.group import main
from permcheck.cli.session import Run

__all__ = ["Run", "main", "run"]
