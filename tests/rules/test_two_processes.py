"""A check split between two processes reports exactly what one process does (rules/two_processes.py).

The second process is a fork that decides part of the grants and sends its findings back as JSON:
the output must be the same byte for byte, and whatever the child does (dies, fails, meets bad
input), the parent's answer must be complete — the child's rules are then run in the parent.
"""

from __future__ import annotations

import os

import pytest

from permcheck.model.location import InputError
from permcheck.rules import two_processes
from permcheck.rules.findings import Finding, Severity, Suppression
from permcheck.rules.run import _joined
from tests.cli_helpers import run

@pytest.fixture
def forks(monkeypatch) -> list[int]:
    """The children forked while a test runs (so a test knows the split really happened); a test
    that takes it needs a second process, and is skipped where there cannot be one."""
    if not two_processes.can_split():
        pytest.skip("needs fork, two cores and one thread")
    made: list[int] = []
    fork = os.fork

    def counted() -> int:
        pid = fork()
        if pid:
            made.append(pid)
        return pid
    monkeypatch.setattr(two_processes.os, "fork", counted)
    return made


def _check(monkeypatch, jobs: str, *args: str):
    monkeypatch.setenv("PERMCHECK_JOBS", jobs)
    return run("check", "--no-cache", *args, "--format", "json")


def _paths(org200, inputs: tuple[str, ...]) -> list[str]:
    """The inputs, `ORG200` standing for the unpacked organisation."""
    return [str(org200) + a[len("ORG200"):] if a.startswith("ORG200") else a for a in inputs]


@pytest.mark.parametrize("inputs", [
    ("fixtures/snapshots/app-account", "fixtures/snapshots/partner-account"),
    ("fixtures/example-app",),
    ("ORG200/auth-details.json", "ORG200/lambda"),
    ("ORG200",),  # 200 templates and the snapshot: many deployments, each split; two templates SAM refuses
], ids=["snapshots", "example-app", "org200-snapshot", "org200-all"])
def test_two_processes_report_what_one_does(monkeypatch, forks, org200, inputs):
    args = _paths(org200, inputs)
    one = _check(monkeypatch, "1", *args)
    assert forks == []
    two = _check(monkeypatch, "2", *args)
    assert forks, "the check was not split"
    assert two == one  # exit code, output and errors
    assert one.code in (0, 1) or "defined multiple times" in one.err
    assert one.json()["findings"]  # there are findings to compare


@pytest.mark.parametrize("inputs", [("fixtures/example-app",), ("ORG200/auth-details.json", "ORG200/lambda")],
                         ids=["example-app", "org200-snapshot"])
def test_the_grants_of_two_parts_are_the_grants_of_all_wherever_the_cut(org200, inputs):
    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.load.deployments import load_deployments
    from permcheck.load.inputs import Options
    from permcheck.rules.collect import Facts

    inventory = load_deployments(_paths(org200, inputs), Options(), None, errors=[])[0].inventory

    def facts() -> Facts:
        return Facts(Edges(Index(inventory)), (inventory.default_account,))
    whole = [(g, g.statement) for g in facts().subject("grants")]
    end = len(facts().grant_holders)
    assert whole and end > 20
    for cut in range(end + 1):
        parted = facts()
        parts = parted.subject("grants", (0, cut)) + parted.subject("grants", (cut, end))
        assert [(g, g.statement) for g in parts] == whole, cut


@pytest.mark.parametrize("share", [0.0, 0.5, 0.8, 1.0])
def test_wherever_the_grants_are_cut_the_answer_is_one(monkeypatch, forks, share):
    one = _check(monkeypatch, "1", "fixtures/example-app")
    monkeypatch.setattr("permcheck.rules.run.AWAY_SHARE", share)
    assert _check(monkeypatch, "2", "fixtures/example-app") == one
    assert forks


def test_a_large_check_is_split_by_itself_and_a_small_one_is_not(monkeypatch, forks, org200):
    monkeypatch.delenv("PERMCHECK_JOBS", raising=False)
    monkeypatch.setattr("permcheck.rules.run.SPLIT_FROM", 10)
    run("check", "--no-cache", str(org200 / "auth-details.json"), str(org200 / "lambda"))
    assert len(forks) == 1
    monkeypatch.setattr("permcheck.rules.run.SPLIT_FROM", 10_000)
    run("check", "--no-cache", str(org200 / "auth-details.json"), str(org200 / "lambda"))
    assert len(forks) == 1


def test_permcheck_jobs_takes_one_or_two(monkeypatch):
    monkeypatch.setenv("PERMCHECK_JOBS", "4")
    result = run("check", "--no-cache", "fixtures/example-app")
    assert result.code == 2
    assert result.err.strip() == "permcheck: error: PERMCHECK_JOBS must be 1 or 2 (or unset), not '4'"


# -- map_in_two: the parent's list, whatever the child does ---------------------------------------
def _square(n: int) -> int:
    return n * n


def _map(work, items=range(10)) -> list:
    return two_processes.map_in_two(list(items), work, lambda n: n % 3 == 0, lambda r: r, lambda r: r, True)


def test_the_items_come_back_in_order(forks):
    assert _map(_square) == [n * n for n in range(10)]
    assert len(forks) == 1


def _failing_away(parent: int, how: str):
    """A work that fails in any process but `parent`, in the way `how` says."""
    def work(n: int):
        if os.getpid() != parent:
            if how == "dies":
                os._exit(3)
            if how == "raises":
                raise InputError(None, "unreadable")
            if how == "garbage":
                return object()  # not JSON: the child fails to send it
        return n * n
    return work


@pytest.mark.parametrize("how", ["dies", "raises", "garbage"])
def test_a_failed_child_changes_nothing_but_the_time(forks, how):
    assert _map(_failing_away(os.getpid(), how)) == [n * n for n in range(10)]
    assert len(forks) == 1


def test_an_error_the_child_meets_is_met_again_here(forks):
    def work(n: int) -> int:
        if n == 3:
            raise InputError(None, "the input of item 3 cannot be read")
        return n
    with pytest.raises(InputError, match="item 3"):
        _map(work)


def test_a_child_is_not_left_behind_when_the_parent_fails(forks):
    parent = os.getpid()

    def work(n: int) -> int:
        if os.getpid() == parent and n == 1:
            raise KeyboardInterrupt
        return n
    with pytest.raises(KeyboardInterrupt):
        _map(work)
    with pytest.raises(ChildProcessError):  # reaped: no zombie
        os.waitpid(forks[0], os.WNOHANG)


def test_without_split_nothing_is_forked(forks):
    assert two_processes.map_in_two(list(range(5)), _square, lambda n: True, None, None, False) == [0, 1, 4, 9, 16]
    assert two_processes.map_in_two(list(range(5)), _square, lambda n: True, None, None, True) == [0, 1, 4, 9, 16]
    assert forks == []  # every item would go away: nothing left to do here, so no second process


# -- what crosses, and how the parts are joined ---------------------------------------------------
def test_a_finding_crosses_whole():
    finding = Finding("public-invoke", Severity.HIGH, "t.yaml", 12, "Fn", "anyone may invoke \udc80 Fn",
                      key="*", suppressed=Suppression("known", "config"), fix="add PrincipalOrgID", statement="ab12")
    import json
    assert Finding.from_values(json.loads(json.dumps(finding.as_values()))) == finding
    plain = Finding("wildcard-action", Severity.LOW, "s.json", None, "arn:aws:iam::1:role/r", "m")
    assert Finding.from_values(json.loads(json.dumps(plain.as_values()))) == plain


class _Rule:
    def __init__(self, id: str) -> None:
        self.id = id


def test_parts_are_joined_as_one_process_runs_a_rule():
    a, b = _Rule("a"), _Rule("b")
    f1, f2, f3 = (Finding("a", Severity.LOW, "f", n, "r", "m") for n in (1, 2, 3))
    pieces = [(a, (0, 5), True), (a, (5, 9), False), (b, None, False)]
    assert _joined(pieces, [([f1], None), ([f2], None), ([f3], None)]) == [([f1, f2], None), ([f3], None)]
    # a rule stops at its first error: the first part's, else the second's, and flags nothing
    assert _joined(pieces, [([], "e1"), ([], "e2"), ([], None)])[0] == ([], "e1")
    assert _joined(pieces, [([f1], None), ([], "e2"), ([], None)])[0] == ([], "e2")
