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
from dataclasses import dataclass
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
    """Wall time of whole processes, after `warmups` runs; returns (samples, last exit code, last stderr)."""
    samples, run = [], None
    for i in range(max(warmups, 1) + runs):
        run = run_once(argv, cwd, ok_codes, env)
        if i >= max(warmups, 1):
            samples.append(run.wall)
    return samples, run.code, run.stderr


@dataclass
class Run:
    """One whole process: wall and CPU time (user + sys), peak memory, exit code, what it said on stderr."""

    wall: float
    cpu: float
    peak_mb: float
    code: int
    stderr: str


def run_once(argv: list[str], cwd: Path | None = None, ok_codes: tuple[int, ...] | None = (0,),
             env: dict | None = None) -> Run:
    """Run one whole process and measure it alone (`os.wait4` gives this child's own usage).

    The process may write its bytecode caches (PYTHONDONTWRITEBYTECODE is dropped from its
    environment): an installed tool runs from its caches after the first run, which a warm-up
    gives it. Without them every run compiles every module it imports — about 0.15 s for
    `permcheck check`, a cost no installed permcheck or cfn-lint pays."""
    import tempfile

    env = {k: v for k, v in (os.environ if env is None else env).items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if ok_codes is not None and proc.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {proc.returncode}:\n{stderr}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode, stderr)


@dataclass
class Tool:
    """A whole process to time in turns with others: its row id, label, command line, runs wanted,
    accepted exit codes (None: any) and environment."""

    key: str
    label: str
    argv: list[str]
    runs: int
    ok_codes: tuple[int, ...] | None = (0,)
    env: dict | None = None


def take_turns(tools: list[Tool], cwd: Path | None, on_error, warmup: bool = True) -> dict[str, list[Run]]:
    """Run the tools in turns — one run of each per round, after a warm-up round unless told
    not to — so a change in the machine's load weighs on all of them alike and their ratio holds.
    A tool that fails is reported through `on_error(tool, traceback)` and left out of later rounds."""
    import traceback

    runs: dict[str, list[Run]] = {tool.key: [] for tool in tools}
    failed: set[str] = set()
    for round_ in range(0 if warmup else 1, 1 + max(tool.runs for tool in tools)):  # round 0: the warm-up
        for tool in tools:
            if tool.key in failed or round_ > tool.runs:
                continue
            try:
                run = run_once(tool.argv, cwd, tool.ok_codes, tool.env)
            except Exception:
                failed.add(tool.key)
                on_error(tool, traceback.format_exc())
                continue
            if round_ > 0:
                runs[tool.key].append(run)
    return {key: got for key, got in runs.items() if key not in failed}


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
