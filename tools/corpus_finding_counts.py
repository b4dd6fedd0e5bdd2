"""Print the README's table: `permcheck check`'s findings by rule over the whole test corpus.

    python tools/corpus_finding_counts.py [CORPUS_DIR]

Runs check on every JSON/YAML file of tests/data/corpus (one file per run, in-process, as
tests/rules/test_corpus_check.py does with PERMCHECK_CORPUS_FULL=1), holds each outcome
against that test's expectations, and prints the outcomes, the markdown table of findings
by rule and folder, and the time taken. Exit 1 if any file broke those expectations.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.rules.test_corpus_check import corpus_files, survey, table  # noqa: E402


def main(argv: list[str]) -> int:
    corpus = Path(argv[0]) if argv else ROOT / "tests" / "data" / "corpus"
    if not corpus.is_dir():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "empty.toml"
        config.write_text("", encoding="utf-8")
        started = time.perf_counter()
        result = survey(corpus, corpus_files(corpus), config)
        elapsed = time.perf_counter() - started
    print(f"{result.files} files in {elapsed:.1f} s: {dict(sorted(result.outcomes.items()))}\n")
    print(table(result))
    for problem in result.problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
