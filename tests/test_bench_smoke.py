"""Smoke run of the benchmark (bench/bench.py --quick).

Benchmarks stay out of CI: this runs only when PERMCHECK_BENCH=1 is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.environ.get("PERMCHECK_BENCH") != "1",
                                reason="benchmark smoke run: set PERMCHECK_BENCH=1 to run it")


def test_bench_quick(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py"), "--quick", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| what | size | time | target | result |" in proc.stdout

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["mode"] == "quick"
    assert results["errors"] == []
    assert results["machine"]["nproc"] >= 1 and results["machine"]["python"]
    rows = {r["id"]: r for r in results["results"]}
    for key in ("startup.help", "startup.importtime", "startup.heavy_import", "precommit.permcheck",
                "scale.load", "scale.who_can_invoke", "scale.what_can_access", "scale.cli"):
        assert key in rows, key
    for key in ("startup.help", "precommit.permcheck", "scale.load", "scale.who_can_invoke", "scale.cli"):
        assert rows[key]["seconds"] > 0, key
    scale = results["scale_inputs"]
    assert scale["functions"] >= results["config"]["min_functions"]
    assert scale["roles"] >= results["config"]["min_roles"]
    assert rows["scale.load"]["inventory"]["functions"] == scale["functions"]
