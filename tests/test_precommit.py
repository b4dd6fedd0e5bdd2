"""The pre-commit hooks of `.pre-commit-hooks.yaml`, driven by the real `pre-commit` tool.

pre-commit installs a hook repository from git at a revision, so the current working tree
is copied to a throwaway repository in tmp (never touching this checkout's git) and
committed there; a second throwaway repository is the user's project. pre-commit then
builds its own virtualenv and pip-installs permcheck from that commit — as a user's
machine would — once for the whole module (about 35–50 s here, mostly pip downloading
permcheck's dependencies).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.templates import PUBLIC

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                       reason="pre-commit is not installed (pip install -e '.[test]')"),
]

BAD = PUBLIC
GOOD = BAD.replace("FunctionName: open", "FunctionName: notify").replace(
    'Principal: "*"', "Principal: sns.amazonaws.com, SourceArn: arn:aws:sns:us-east-1:123456789012:t")
WORKFLOW = "name: ci\non: [push]\njobs: {test: {runs-on: ubuntu-latest, steps: [{run: make}]}}\n"
# The environment's packaging defect this module reports instead of failing on (see _run).
NOT_PACKAGED = ("No module named 'permcheck.rules'", "the built-in rules are not installed")


def _git_env() -> dict:
    """The environment without GIT_* variables (set when the tests run inside a git hook)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="permcheck tests", GIT_AUTHOR_EMAIL="tests@example.invalid",
               GIT_COMMITTER_NAME="permcheck tests", GIT_COMMITTER_EMAIL="tests@example.invalid")
    return env


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args], cwd=cwd,
                          env=_git_env(), check=True, capture_output=True, text=True).stdout.strip()


def _working_tree_files() -> list[str]:
    """The files of this checkout that git would commit (tracked or not ignored); read-only."""
    if (ROOT / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                env=_git_env(), capture_output=True, check=True).stdout
        return [name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "out"}
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()
            and not any(part in skip or part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """A throwaway git repository holding the current working tree, and its commit."""
    repo = tmp_path_factory.mktemp("permcheck-hook-repo")
    for name in _working_tree_files():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    assert (repo / ".pre-commit-hooks.yaml").is_file()
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot of the working tree")
    return repo, _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """pre-commit's cache, shared by this module's tests: the hook's virtualenv is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _project(tmp_path: Path, hook_repo, hooks: str, files: dict[str, str]) -> Path:
    repo, rev = hook_repo
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n{hooks}")
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    _git(project, "add", "-A")
    return project


def _run(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**_git_env(), "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never", "COLUMNS": "160"}
    env.pop("PRE_COMMIT", None)
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--color", "never", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    assert not any(sign in output for sign in NOT_PACKAGED), "the installed permcheck lacks its rules: " + output
    return proc


HOOK = "      - id: permcheck\n        files: ^templates/\n"


def test_hook_fails_on_a_public_lambda_permission(tmp_path, hook_repo, pre_commit_home):
    project = _project(tmp_path, hook_repo, HOOK, {"templates/bad.yaml": BAD, "templates/good.yaml": GOOD})
    proc = _run(project, pre_commit_home, "--files", "templates/bad.yaml", "templates/good.yaml")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "permcheck: error:" not in output  # exit 1 (a finding), not 2 (an input error)
    assert "public-invoke" in output and "templates/bad.yaml:" in output
    assert "templates/good.yaml" not in output  # one finding, in the bad template only


def test_hook_passes_on_a_good_template(tmp_path, hook_repo, pre_commit_home):
    project = _project(tmp_path, hook_repo, HOOK, {"templates/good.yaml": GOOD, ".github/workflows/ci.yml": WORKFLOW})
    proc = _run(project, pre_commit_home, "--all-files", "--verbose")  # the hook's output, even when it passes
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "0 finding(s)" in output  # permcheck's own summary: the hook ran, and found nothing


def test_hook_without_narrowed_files_refuses_a_yaml_file_that_is_not_a_template(tmp_path, hook_repo,
                                                                                  pre_commit_home):
    """Why the hook's documentation asks users to narrow `files:` (or use permcheck-paths)."""
    project = _project(tmp_path, hook_repo, "      - id: permcheck\n",
                       {"templates/good.yaml": GOOD, ".github/workflows/ci.yml": WORKFLOW})
    proc = _run(project, pre_commit_home, "--all-files")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "permcheck: error: .github/workflows/ci.yml" in output  # the contract: exit 2 with this line


def test_paths_hook_checks_its_directories_and_skips_other_files(tmp_path, hook_repo, pre_commit_home):
    hooks = "      - id: permcheck-paths\n        args: [templates/]\n"
    files = {"templates/good.yaml": GOOD, "templates/settings.yaml": "region: eu-west-1\n",
             ".github/workflows/ci.yml": WORKFLOW}
    project = _project(tmp_path, hook_repo, hooks, files)
    proc = _run(project, pre_commit_home, "--files", ".github/workflows/ci.yml")  # a YAML change triggers it
    assert proc.returncode == 0, proc.stdout + proc.stderr

    (project / "templates" / "bad.yaml").write_text(BAD)
    _git(project, "add", "-A")
    proc = _run(project, pre_commit_home, "--files", "templates/settings.yaml")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "public-invoke" in output and "templates/bad.yaml:" in output, output
