"""Shared test options and data.

`--update-golden` rewrites golden files (review the diff). The external test corpus lives in
the repository (tests/data/corpus, see its README.md, each folder with its source), so a fresh
clone runs every test that reads it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "corpus"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/* from current output")


@pytest.fixture(autouse=True)
def model_cache_folder(tmp_path_factory, monkeypatch, request) -> Path:
    """A model cache folder of each test's own (load/cache.py), made only if the test writes an
    entry: no test reads another's entries, or the user's."""
    folder = tmp_path_factory.getbasetemp() / "model-cache" / hashlib.sha256(request.node.nodeid.encode()).hexdigest()
    monkeypatch.setenv("PERMCHECK_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def org200(tmp_path_factory) -> Path:
    """gen_org's organisation of 200 templates and an account snapshot (tests/data/org200), unpacked once."""
    import tarfile

    out = tmp_path_factory.mktemp("org200")
    with tarfile.open(ROOT / "tests" / "data" / "org200" / "org200.tar.xz") as tar:
        tar.extractall(out, filter="data")
    return out


@pytest.fixture
def update_golden(request):
    return request.config.getoption("--update-golden")


@pytest.fixture
def corpus() -> Path:
    """The external test corpus copied into the repository (it must be there: no skip)."""
    assert CORPUS.is_dir(), f"{CORPUS} is missing: it is part of the repository"
    return CORPUS


@dataclass(frozen=True)
class CorpusTree:
    """The corpus's top-level folders: what a walk over "every corpus file" takes."""

    root: Path
    folders: tuple[str, ...]

    def files(self, suffixes: tuple[str, ...]) -> list[Path]:
        """Regular files with these suffixes, sorted, none under a hidden folder (relative to the root)."""
        return sorted(p for folder in self.folders for p in (self.root / folder).rglob("*")
                      if p.suffix in suffixes and p.is_file()
                      and not any(part.startswith(".") for part in p.relative_to(self.root).parts))


@pytest.fixture
def corpus_tree(corpus: Path) -> CorpusTree:
    """Every folder of the copied corpus."""
    return CorpusTree(corpus, tuple(sorted(p.name for p in corpus.iterdir() if p.is_dir())))
