"""The benchmark's records and tools: the table of figures, timing whole processes, the machine, gen_org."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pydantic", "networkx", "lark", "rich", "yaml")
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
SCALE_TARGET_S = 3.0
STARTUP_TARGET_S = 0.3
PRECOMMIT_RATIO_GOAL = 0.2

FULL = {"startup_runs": 15, "startup_warmups": 2, "precommit_runs": 10, "cfn_lint_runs": 10,
        "check_runs": 10, "checkov_runs": 5,
        "min_functions": 500, "min_roles": 500, "templates": 400, "cli_scale_runs": 3}
QUICK = {"startup_runs": 5, "startup_warmups": 1, "precommit_runs": 3, "cfn_lint_runs": 1,
         "check_runs": 3, "checkov_runs": 1,
         "min_functions": 40, "min_roles": 40, "templates": 40, "cli_scale_runs": 1}


# ----------------------------------------------------------------------------- recording

class Bench:
    def __init__(self, out: Path):
        self.out = out
        self.rows: list[dict] = []
        self.notes: list[str] = []
        self.errors: list[dict] = []

    def row(self, key: str, what: str, size: str, seconds: float | None, *, target: str = "—",
            passed: bool | None = None, **extra) -> dict:
        entry = {"id": key, "what": what, "size": size, "seconds": seconds, "target": target,
                 "pass": passed, **extra}
        self.rows.append(entry)
        print(f"  {what} [{size}]: {fmt_time(seconds)}" + ("" if passed is None else
                                                           "  PASS" if passed else "  FAIL"),
              file=sys.stderr, flush=True)
        return entry

    def error(self, key: str, what: str, detail: str, **extra) -> None:
        self.errors.append({"id": key, "what": what, "detail": detail, **extra})
        print(f"  ERROR {what}: {detail.splitlines()[-1] if detail else ''}", file=sys.stderr, flush=True)


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"
    return f"{seconds:.2f} s"


def summary(samples: list[float]) -> dict:
    return {"median": statistics.median(samples), "max": max(samples), "min": min(samples),
            "mean": statistics.fmean(samples), "runs": len(samples), "samples": samples}


def time_process(argv: list[str], runs: int, warmups: int, cwd: Path | None = None,
                 ok_codes: tuple[int, ...] | None = (0,), env: dict | None = None) -> tuple[list[float], int, str]:
    """Wall time of whole processes; returns (samples, last exit code, last stderr).

    The processes may write their bytecode caches (PYTHONDONTWRITEBYTECODE is dropped from their
    environment): an installed tool runs from its caches after the first run, which a warm-up
    gives it. Without them every run compiles every module it imports — about 0.15 s for
    `permcheck check`, a cost no installed permcheck or cfn-lint pays."""
    env = {k: v for k, v in (os.environ if env is None else env).items() if k != "PYTHONDONTWRITEBYTECODE"}
    warmups = max(warmups, 1)
    samples, code, err = [], 0, ""
    for i in range(warmups + runs):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        elapsed = time.perf_counter() - start
        code, err = proc.returncode, proc.stderr.decode("utf-8", "replace")
        if ok_codes is not None and code not in ok_codes:
            raise RuntimeError(f"{' '.join(map(str, argv))} exited {code}:\n{err}")
        if i >= warmups:
            samples.append(elapsed)
    return samples, code, err


# ----------------------------------------------------------------------------- machine

def machine() -> dict:
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = None
    try:  # read-only
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    import permcheck
    return {"nproc": nproc, "cpu": cpu, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform(),
            "executable": sys.executable, "permcheck": permcheck.__version__, "commit": commit,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def console_script() -> Path:
    script = Path(sys.executable).parent / "permcheck"
    if script.exists():
        return script
    found = shutil.which("permcheck")
    if found is None:
        raise SystemExit("bench: no `permcheck` console script next to sys.executable nor on PATH")
    return Path(found)


# ----------------------------------------------------------------------------- gen_org

def find_gen_org(explicit: str | None) -> Path:
    for candidate in (explicit, os.environ.get("PERMCHECK_GEN_ORG"), ROOT / "bench" / "gen_org.py",
                      "/work/shared/bench/gen_org.py"):
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    raise SystemExit("bench: gen_org.py not found (give --gen-org PATH or set PERMCHECK_GEN_ORG)")


def import_gen_org(path: Path):
    spec = importlib.util.spec_from_file_location("permcheck_bench_gen_org", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_gen_org(b: Bench, gen_org: Path, out: Path, seed: int, templates: int) -> tuple[list[str], dict]:
    argv = [sys.executable, str(gen_org), "--preset", "small", "--templates", str(templates),
            "--seed", str(seed), "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"gen_org failed ({proc.returncode}):\n{proc.stderr}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    cmd = ["gen_org.py"] + argv[2:-2] + ["--out", str(out.relative_to(ROOT) if out.is_relative_to(ROOT) else out)]
    print(f"  gen_org: {' '.join(cmd)} ({elapsed:.1f} s)", file=sys.stderr)
    return cmd, manifest
