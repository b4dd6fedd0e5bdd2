"""Shared test options and data.

`--update-golden` rewrites golden files (review the diff). The external test corpus lives in
the repository (tests/data/corpus, see its README.md), so a fresh clone runs every test that
reads it; `corpus_tree` adds an optional extra pass over folders of a `../shared/corpus` beside
the repository that the copy does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "corpus"
SHARED_CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/* from current output")


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
    """Some top-level folders of a corpus root: what a walk over "every corpus file" takes."""

    name: str  # "copy" (tests/data/corpus) or "shared-extra"
    root: Path
    folders: tuple[str, ...]

    def files(self, suffixes: tuple[str, ...]) -> list[Path]:
        """Regular files with these suffixes, sorted, none under a hidden folder (relative to the root)."""
        return sorted(p for folder in self.folders for p in (self.root / folder).rglob("*")
                      if p.suffix in suffixes and p.is_file()
                      and not any(part.startswith(".") for part in p.relative_to(self.root).parts))


def shared_extra_folders() -> tuple[str, ...]:
    """The folders of ../shared/corpus that tests/data/corpus does not hold (none when it is absent)."""
    if not SHARED_CORPUS.is_dir():
        return ()
    return tuple(sorted(p.name for p in SHARED_CORPUS.iterdir() if p.is_dir() and not (CORPUS / p.name).exists()))


@pytest.fixture(params=["copy", "shared-extra"])
def corpus_tree(request) -> CorpusTree:
    """The copied corpus (always), then the extra folders of ../shared/corpus (skipped when there are none)."""
    if request.param == "copy":
        assert CORPUS.is_dir(), f"{CORPUS} is missing: it is part of the repository"
        return CorpusTree("copy", CORPUS, tuple(sorted(p.name for p in CORPUS.iterdir() if p.is_dir())))
    extra = shared_extra_folders()
    if not extra:
        pytest.skip(f"optional extra pass: no folder of {SHARED_CORPUS} beyond the copy in tests/data/corpus")
    return CorpusTree("shared-extra", SHARED_CORPUS, extra)
