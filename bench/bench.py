#!/usr/bin/env python3
"""permcheck benchmark: start-up, the pre-commit path, and scale.

    python bench/bench.py [--quick] [--out DIR] [--seed N] [--profile] [--strict]

Prints a Markdown table and writes the same figures as JSON to bench/out/results.json
(bench/out/ is git-ignored). Standard library + permcheck only.

Inputs come from gen_org.py, the shared deterministic generator of realistic
serverless orgs, so figures compare across releases and tools. It is looked for at
bench/gen_org.py, then /work/shared/bench/gen_org.py; `--gen-org PATH` or
$PERMCHECK_GEN_ORG overrides.

What is measured (wall time, time.perf_counter):

1. Start-up: the whole `permcheck --help` process (the console script next to
   sys.executable), median and max of 15 runs after 2 warm-ups (target < 0.3 s);
   `python -X importtime -c "import permcheck.cli"`; and which heavy libraries
   (pydantic, networkx, lark, rich, yaml) are imported by `import permcheck.cli` and
   by a whole `permcheck --help` (there should be none).
2. Pre-commit path: the whole `permcheck who-can-invoke FN single-cfn.yaml` process on
   gen_org's typical 3-function plain CloudFormation template, median of 10; and
   `cfn-lint` on the same file when installed (later goal: permcheck <= 1/5 of it).
3. `check` side by side: the whole `permcheck check single-sam.yaml` process on gen_org's
   typical 3-function SAM template, against `cfn-lint` and `checkov` on the same file (each
   when installed), median of several runs (goal: permcheck <= 1/5 of cfn-lint).
4. Scale: gen_org templates without the SAM transform (permcheck reads plain
   CloudFormation only, for now), at least 500 functions and 500 roles in all. Every
   template is loaded as if deployed into the same stack name and account, so two
   templates' resources with the same logical id (and no physical name) are one
   resource to permcheck; gen_org draws logical ids from a small vocabulary, so separate
   files cannot add up to 500 distinct functions and roles. The selected templates are
   therefore merged into ONE template: every logical id (resources, parameters,
   conditions, mappings, outputs) gets the prefix `T<index>`, references are rewritten
   to match, `${AWS::StackName}` becomes `${AWS::StackName}-t<index>` and explicit
   bucket names get `-t<index>`, as if each source template were its own stack (the result
   is an analysis input only: it exceeds CloudFormation's 1 MB / 500-resource limits). Then,
   in-process: load (load_inventory), `who_can_invoke` for every function (target: all
   of them < 3 s), `what_can_access` for every execution role; and the CLI end to end
   for one `who-can-invoke` on the merged template. The separate files are also loaded
   as they are, for reference.

`--quick` uses smaller sizes and fewer runs (a smoke run). `--profile` writes cProfile
reports of the scale queries to the output directory. Exit status: 0, or 1 when
something crashed (or, with --strict, a target failed).
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import importlib.util
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pydantic", "networkx", "lark", "rich", "yaml")
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
CFN_LINT_FALLBACK = "/root/.pyenv/versions/3.11.7/bin/cfn-lint"
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
    """Wall time of whole processes; returns (samples, last exit code, last stderr)."""
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


# ----------------------------------------------------------------------------- 1. start-up

HEAVY_AFTER_HELP = """
import atexit, sys
HEAVY = {heavy!r}
def report():
    sys.__stdout__.write("\\nHEAVY=" + repr(sorted(m for m in sys.modules if m.split('.')[0] in HEAVY)) + "\\n")
atexit.register(report)
sys.argv = ["permcheck", "--help"]
from permcheck.cli import run
run()
"""


def bench_startup(b: Bench, cfg: dict) -> None:
    print("start-up", file=sys.stderr)
    script = console_script()
    try:
        samples, _, _ = time_process([str(script), "--help"], cfg["startup_runs"], cfg["startup_warmups"])
        s = summary(samples)
        b.row("startup.help", "`permcheck --help` (whole process)",
              f"median of {s['runs']} after {cfg['startup_warmups']} warm-ups", s["median"],
              target=f"< {STARTUP_TARGET_S} s", passed=s["median"] < STARTUP_TARGET_S, stats=s,
              max_seconds=s["max"])
        b.row("startup.help.max", "`permcheck --help`, slowest run", f"max of {s['runs']}", s["max"])
    except Exception:
        b.error("startup.help", "permcheck --help", traceback.format_exc())

    # baseline: the interpreter alone
    samples, _, _ = time_process([sys.executable, "-c", "pass"], cfg["startup_runs"], cfg["startup_warmups"])
    s = summary(samples)
    b.row("startup.python", "`python -c pass` (interpreter alone, for reference)", f"median of {s['runs']}",
          s["median"], stats=s)

    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import permcheck.cli"],
                          capture_output=True, text=True)
    modules = parse_importtime(proc.stderr)
    if proc.returncode != 0 or not modules:
        b.error("startup.importtime", "python -X importtime -c 'import permcheck.cli'", proc.stderr)
    else:
        total = sum(m["self_us"] for m in modules) / 1e6
        ours = sum(m["cumulative_us"] for m in modules if m["depth"] == 0 and m["name"].startswith("permcheck")) / 1e6
        children = [c for m in modules if m["name"] == "permcheck.cli" for c in m["children"]]
        top = sorted(children, key=lambda m: -m["cumulative_us"])[:5]
        b.row("startup.importtime", "`python -X importtime -c \"import permcheck.cli\"`: permcheck + permcheck.cli",
              f"{len(modules)} modules; all imports incl. interpreter start-up (site): {fmt_time(total)}", ours,
              all_imports_s=total,
              permcheck_cli_children=[{"module": m["name"], "cumulative_s": m["cumulative_us"] / 1e6} for m in top])
        b.notes.append("`import permcheck.cli`, largest imports under it: " + ", ".join(
            f"{m['name']} {fmt_time(m['cumulative_us'] / 1e6)}" for m in top))

    check = ("import permcheck.cli, sys; print(sorted(m for m in sys.modules "
             "if m.split('.')[0] in {'pydantic','networkx','lark','rich','yaml'}))")
    proc = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    try:
        heavy = ast.literal_eval(proc.stdout.strip())
        b.row("startup.heavy_import", "heavy libraries after `import permcheck.cli`",
              ", ".join(HEAVY), None, target="none", passed=not heavy, modules=heavy,
              result=("none" if not heavy else ", ".join(sorted({m.split('.')[0] for m in heavy}))))
    except (ValueError, SyntaxError):
        b.error("startup.heavy_import", "heavy-import check", proc.stdout + proc.stderr)

    proc = subprocess.run([sys.executable, "-c", HEAVY_AFTER_HELP.format(heavy=set(HEAVY))],
                          capture_output=True, text=True)
    match = re.search(r"^HEAVY=(.*)$", proc.stdout, re.M)
    if match:
        heavy = ast.literal_eval(match.group(1))
        b.row("startup.heavy_help", "heavy libraries after a whole `permcheck --help`", ", ".join(HEAVY), None,
              target="none", passed=not heavy, modules=heavy,
              result=("none" if not heavy else ", ".join(sorted({m.split('.')[0] for m in heavy}))))
    else:
        b.error("startup.heavy_help", "heavy-import check after --help", proc.stdout + proc.stderr)


def parse_importtime(stderr: str) -> list[dict]:
    """`-X importtime` lines, each with its direct children (printed before their parent)."""
    out: list[dict] = []
    pending: dict[int, list[dict]] = {}
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)", line)
        if m:
            depth = (len(m.group(3)) - 1) // 2
            entry = {"self_us": int(m.group(1)), "cumulative_us": int(m.group(2)), "depth": depth,
                     "name": m.group(4), "children": pending.pop(depth + 1, [])}
            pending.setdefault(depth, []).append(entry)
            out.append(entry)
    return out


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


# ----------------------------------------------------------------------------- 2. pre-commit

def first_function(tpl: dict) -> str:
    return next(lid for lid, r in tpl["Resources"].items() if r["Type"] == "AWS::Lambda::Function")


def find_cfn_lint() -> str | None:
    found = shutil.which("cfn-lint")
    if found and not is_shim(found):
        return found
    # a pyenv shim is a shell script that looks the version up on every run: time the real script
    return CFN_LINT_FALLBACK if os.access(CFN_LINT_FALLBACK, os.X_OK) else found


def is_shim(path: str) -> bool:
    return "/shims/" in path.replace(os.sep, "/")


def find_checkov() -> str | None:
    found = shutil.which("checkov")
    if found and is_shim(found):
        real = subprocess.run(["pyenv", "which", "checkov"], capture_output=True, text=True)
        return (real.stdout.strip() or found) if real.returncode == 0 else None
    return found


def bench_precommit(b: Bench, cfg: dict, org: Path, gen) -> None:
    print("pre-commit path", file=sys.stderr)
    single = org / "single-cfn.yaml"
    g = gen.OrgGen(b.seed, b.manifest["config"]["accounts"])
    tpl = g.single_cfn()
    fn = first_function(tpl)
    n_fn = sum(1 for r in tpl["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    size = f"single-cfn.yaml: {n_fn} functions, {len(tpl['Resources'])} resources, {single.stat().st_size} B"
    script = console_script()
    permcheck_median = None
    try:
        samples, _, _ = time_process([str(script), "who-can-invoke", fn, single.name], cfg["precommit_runs"], 1,
                                     cwd=org)
        s = summary(samples)
        permcheck_median = s["median"]
        b.row("precommit.permcheck", f"`permcheck who-can-invoke {fn} single-cfn.yaml` (whole process)",
              size + f"; median of {s['runs']}", s["median"], stats=s)
    except Exception:
        b.error("precommit.permcheck", f"permcheck who-can-invoke {fn} single-cfn.yaml", traceback.format_exc(),
                input=str(single))

    # how much of that process is importing modules (one run under -X importtime)
    proc = subprocess.run([sys.executable, "-X", "importtime", str(script), "who-can-invoke", fn, single.name],
                          cwd=org, capture_output=True, text=True)
    modules = parse_importtime(proc.stderr)
    if proc.returncode == 0 and modules:
        total = sum(m["self_us"] for m in modules) / 1e6
        by_package: dict[str, int] = {}
        for m in modules:
            top = m["name"].split(".")[0]
            by_package[top] = by_package.get(top, 0) + m["self_us"]
        biggest = sorted(by_package.items(), key=lambda kv: -kv[1])[:6]
        b.row("precommit.imports", "…of which importing modules (one run, `-X importtime`, sum of self times)",
              f"{len(modules)} modules", total,
              by_package={k: v / 1e6 for k, v in sorted(by_package.items(), key=lambda kv: -kv[1])})
        b.notes.append(f"Imports in `permcheck who-can-invoke {fn} single-cfn.yaml`, by package (self times): " +
                       ", ".join(f"{k} {fmt_time(v / 1e6)}" for k, v in biggest))

    lint = find_cfn_lint()
    if lint is None:
        b.notes.append("cfn-lint is not installed: the pre-commit comparison was skipped.")
        b.row("precommit.cfn_lint", "`cfn-lint single-cfn.yaml`", "not installed: skipped", None)
        return
    version = subprocess.run([lint, "--version"], capture_output=True, text=True).stdout.strip()
    # cfn-lint exits non-zero when it reports something (2 error, 4 warning, 8 info); any is a timing.
    samples, code, err = time_process([lint, single.name], cfg["cfn_lint_runs"], 1, cwd=org, ok_codes=None)
    s = summary(samples)
    b.row("precommit.cfn_lint", f"`cfn-lint single-cfn.yaml` ({version}, {lint})",
          size + f"; median of {s['runs']}", s["median"], stats=s, exit_code=code)
    if permcheck_median is not None:
        ratio = permcheck_median / s["median"]
        b.row("precommit.ratio", "permcheck / cfn-lint, same file (later goal)", "ratio of medians", None,
              target=f"<= {PRECOMMIT_RATIO_GOAL:.2f}", passed=ratio <= PRECOMMIT_RATIO_GOAL, ratio=ratio,
              result=f"{ratio:.3f}")


# ----------------------------------------------------------------------------- 3. check side by side

def bench_check(b: Bench, cfg: dict, org: Path) -> None:
    """`permcheck check` against the linters a project would otherwise run on the same template.

    The tools take turns (one run of each per round, after one warm-up each), so a change in
    the machine's load during the measurement weighs on all of them alike and the ratio holds.
    """
    print("check side by side", file=sys.stderr)
    single = org / "single-sam.yaml"
    text = single.read_text(encoding="utf-8")
    n_fn = text.count("Type: AWS::Serverless::Function")
    size = f"single-sam.yaml: {n_fn} SAM functions, {text.count(chr(10))} lines, {single.stat().st_size} B"
    import permcheck
    # (row id, label, argv, runs, accepted exit codes or None for any)
    # permcheck: exit 1 means findings at or above --fail-on, still a timing; 2 is a failure.
    tools = [("check.permcheck", f"permcheck {permcheck.__version__}", [str(console_script()), "check", single.name],
              cfg["check_runs"], (0, 1))]
    lint = find_cfn_lint()
    if lint:
        version = subprocess.run([lint, "--version"], capture_output=True, text=True).stdout.strip()
        # cfn-lint exits non-zero when it reports something (2 error, 4 warning, 8 info); any is a timing.
        tools.append(("check.cfn_lint", version, [lint, single.name], cfg["cfn_lint_runs"], None))
    else:
        b.notes.append("cfn-lint is not installed: the check comparison with it was skipped.")
        b.row("check.cfn_lint", "`cfn-lint single-sam.yaml`", "not installed: skipped", None)
    checkov = find_checkov()
    if checkov:
        version = subprocess.run([checkov, "--version"], capture_output=True, text=True).stdout.strip()
        tools.append(("check.checkov", f"checkov {version}", [checkov, "-f", single.name, "--framework",
                                                              "cloudformation", "--quiet", "--compact",
                                                              "--skip-download"], cfg["checkov_runs"], None))
    else:
        b.notes.append("checkov is not installed: the check comparison with it was skipped.")
        b.row("check.checkov", "`checkov -f single-sam.yaml`", "not installed: skipped", None)

    samples: dict[str, list[float]] = {key: [] for key, *_ in tools}
    cpu: dict[str, list[float]] = {key: [] for key, *_ in tools}
    codes: dict[str, int] = {}
    failed: set[str] = set()
    for round_ in range(1 + max(runs for *_, runs, _ in tools)):  # round 0 is the warm-up
        for key, label, argv, runs, ok in tools:
            if key in failed or round_ > runs:
                continue
            try:
                wall, used, codes[key] = time_once(argv, org, ok)
            except Exception:
                failed.add(key)
                b.error(key, " ".join(argv), traceback.format_exc(), input=str(single))
                continue
            if round_ > 0:
                samples[key].append(wall)
                cpu[key].append(used)
    medians: dict[str, float] = {}
    cpu_medians: dict[str, float] = {}
    for key, label, argv, runs, ok in tools:
        if key in failed:
            continue
        s = summary(samples[key])
        medians[key], cpu_medians[key] = s["median"], statistics.median(cpu[key])
        shown = " ".join([Path(argv[0]).name] + argv[1:])
        b.row(key, f"`{shown}` ({label}, whole process)",
              size + f"; median of {s['runs']}, taking turns; CPU (user+sys) {fmt_time(cpu_medians[key])}",
              s["median"], stats=s, cpu_median=cpu_medians[key], cpu_samples=cpu[key], exit_code=codes.get(key),
              executable=argv[0])
    mine = medians.get("check.permcheck")
    for key, name in (("check.cfn_lint", "cfn-lint"), ("check.checkov", "checkov")):
        if mine is not None and key in medians:
            ratio = mine / medians[key]
            cpu_ratio = cpu_medians["check.permcheck"] / cpu_medians[key]
            goal = name == "cfn-lint"
            b.row(key + ".ratio", f"permcheck check / {name}, same file",
                  f"ratio of wall-time medians (of CPU-time medians: {cpu_ratio:.3f})", None,
                  target=f"<= {PRECOMMIT_RATIO_GOAL:.2f}" if goal else "—",
                  passed=(ratio <= PRECOMMIT_RATIO_GOAL) if goal else None, ratio=ratio, cpu_ratio=cpu_ratio,
                  result=f"{ratio:.3f}")


def time_once(argv: list[str], cwd: Path, ok_codes: tuple[int, ...] | None) -> tuple[float, float, int]:
    """One whole process: wall time, CPU time (user + sys of the process and its children), exit code."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if ok_codes is not None and proc.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {proc.returncode}:\n"
                           f"{proc.stderr.decode('utf-8', 'replace')}")
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, used, proc.returncode


# ----------------------------------------------------------------------------- 4. scale: inputs

def counts(tpl: dict) -> tuple[int, int]:
    types = [r["Type"] for r in tpl["Resources"].values()]
    return types.count("AWS::Lambda::Function"), types.count("AWS::IAM::Role")


def written_form(gen, fname: str, kind: str, tpl: dict, seed: int) -> str:
    """The text gen_org.py main() writes for a template (to check the in-process copy is the same)."""
    if kind == "cfnjson":
        return json.dumps(gen.to_long(tpl), indent=2) + "\n"
    return gen.to_yaml(tpl, header=["Synthetic %s template %s (gen_org.py seed %d)" % (
        "SAM" if kind == "sam" else "CloudFormation", fname, seed)])


class Prefixer:
    """Rename one template's logical ids with a prefix, as if it were its own stack."""

    def __init__(self, gen, tpl: dict, index: int):
        self.gen = gen
        self.prefix = f"T{index:04d}"
        self.suffix = f"-t{index:04d}"
        self.resources = set(tpl.get("Resources", {}))
        self.params = set(tpl.get("Parameters", {}))
        self.conditions = set(tpl.get("Conditions", {}))
        self.mappings = set(tpl.get("Mappings", {}))

    def name(self, lid: str) -> str:
        return self.prefix + lid

    def ref(self, target):
        return self.name(target) if isinstance(target, str) and target in self.resources | self.params else target

    def sub_text(self, text: str, local: set) -> str:
        def one(m):
            inner = m.group(1)
            if inner.startswith("!"):
                return m.group(0)
            if inner == "AWS::StackName":
                return "${AWS::StackName}" + self.suffix
            head, dot, rest = inner.partition(".")
            if head not in local and head in self.resources | self.params:
                return "${" + self.name(head) + dot + rest + "}"
            return m.group(0)
        return re.sub(r"\$\{([^}]*)\}", one, text)

    def value(self, v):
        Tag = self.gen.Tag
        if isinstance(v, Tag):
            name, val = v.name, v.value
            if name == "Ref":
                return Tag(name, self.ref(val))
            if name == "GetAtt":
                if isinstance(val, list) and val and isinstance(val[0], str) and val[0] in self.resources:
                    return Tag(name, [self.name(val[0])] + [self.value(x) for x in val[1:]])
                if isinstance(val, str):
                    head, dot, rest = val.partition(".")
                    return Tag(name, self.name(head) + dot + rest if head in self.resources else val)
                return Tag(name, self.value(val))
            if name == "Sub":
                if isinstance(val, str):
                    return Tag(name, self.sub_text(val, set()))
                text, variables = val
                return Tag(name, [self.sub_text(text, set(variables)), self.value(variables)])
            if name == "If":
                cond = val[0]
                return Tag(name, [self.name(cond) if cond in self.conditions else cond] +
                           [self.value(x) for x in val[1:]])
            if name == "FindInMap":
                m = val[0]
                return Tag(name, [self.name(m) if m in self.mappings else self.value(m)] +
                           [self.value(x) for x in val[1:]])
            if name == "Condition":
                return Tag(name, self.name(val) if val in self.conditions else val)
            return Tag(name, self.value(val))
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.value(x) for x in v]
        return v

    def resource(self, r: dict) -> dict:
        out = {}
        for key, val in r.items():
            if key == "Condition" and isinstance(val, str):
                out[key] = self.name(val) if val in self.conditions else val
            elif key == "DependsOn":
                out[key] = ([self.name(x) if x in self.resources else x for x in val] if isinstance(val, list)
                            else self.name(val) if val in self.resources else val)
            else:
                out[key] = self.value(val)
        props = out.get("Properties")
        if out.get("Type") == "AWS::S3::Bucket" and isinstance(props, dict) and "BucketName" in props:
            name = props["BucketName"]
            if isinstance(name, str):
                props["BucketName"] = name + self.suffix
            elif isinstance(name, self.gen.Tag) and name.name == "Sub" and isinstance(name.value, str) \
                    and "${AWS::StackName}" not in r["Properties"]["BucketName"].value:
                props["BucketName"] = self.gen.Tag("Sub", name.value + self.suffix)
        return out


def merge_templates(gen, chosen: list[tuple[int, str, dict]], seed: int) -> dict:
    merged = {"AWSTemplateFormatVersion": "2010-09-09",
              "Description": "permcheck bench: %d plain CloudFormation templates of gen_org.py (seed %d) merged, "
                             "logical ids prefixed T<index>" % (len(chosen), seed)}
    sections = {"Parameters": {}, "Mappings": {}, "Conditions": {}, "Resources": {}, "Outputs": {}}
    for index, _fname, tpl in chosen:
        p = Prefixer(gen, tpl, index)
        for lid, param in tpl.get("Parameters", {}).items():
            sections["Parameters"][p.name(lid)] = param
        for lid, mapping in tpl.get("Mappings", {}).items():
            sections["Mappings"][p.name(lid)] = mapping
        for lid, cond in tpl.get("Conditions", {}).items():
            sections["Conditions"][p.name(lid)] = p.value(cond)
        for lid, res in tpl["Resources"].items():
            sections["Resources"][p.name(lid)] = p.resource(res)
        for lid, out in tpl.get("Outputs", {}).items():
            sections["Outputs"][p.name(lid)] = p.value(out)
    merged.update({k: v for k, v in sections.items() if v})
    return merged


def build_scale_inputs(b: Bench, cfg: dict, gen, org: Path, scale_dir: Path) -> dict:
    """Select plain templates (no SAM transform) in gen_org's order until both minimums are met;
    copy them to scale_dir/separate/ and write scale_dir/combined.yaml."""
    g = gen.OrgGen(b.seed, b.manifest["config"]["accounts"])
    # gen_org's main() builds IAM and Lambda first; do the same, then check the texts are identical.
    g.build_iam(b.manifest["config"]["roles"])
    if b.manifest["config"]["functions"]:
        g.build_lambda(b.manifest["config"]["functions"])
    built = g.build_templates(b.manifest["config"]["templates"])
    chosen, n_fn, n_role = [], 0, 0
    for index, (fname, kind, tpl) in enumerate(built):
        text = (org / "templates" / fname).read_text(encoding="utf-8")
        if text != written_form(gen, fname, kind, tpl, b.seed):
            raise RuntimeError(f"in-process gen_org template {fname} differs from the file it wrote")
        if SAM_TRANSFORM in text:  # SAM: permcheck reads plain CloudFormation for now
            continue
        chosen.append((index, fname, tpl))
        f, r = counts(tpl)
        n_fn, n_role = n_fn + f, n_role + r
        if n_fn >= cfg["min_functions"] and n_role >= cfg["min_roles"]:
            break
    else:
        raise RuntimeError(f"{len(built)} gen_org templates hold only {n_fn} functions / {n_role} roles in plain "
                           f"CloudFormation; raise the template count")
    if scale_dir.exists():
        shutil.rmtree(scale_dir)
    (scale_dir / "separate").mkdir(parents=True)
    for _, fname, _ in chosen:
        shutil.copy2(org / "templates" / fname, scale_dir / "separate" / fname)
    merged = merge_templates(gen, chosen, b.seed)
    combined = scale_dir / "combined.yaml"
    combined.write_text(gen.to_yaml(merged, header=[
        "permcheck bench/bench.py: gen_org.py plain CloudFormation templates merged into one stack.",
        "Sources (gen_org.py %s): %s" % (" ".join(b.gen_cmd[1:]), ", ".join(f for _, f, _ in chosen))]),
        encoding="utf-8")
    types = [r["Type"] for r in merged["Resources"].values()]
    info = {"templates_generated": len(built), "templates_plain_selected": len(chosen),
            "source_files": [f for _, f, _ in chosen], "functions": types.count("AWS::Lambda::Function"),
            "roles": types.count("AWS::IAM::Role"), "resources": len(types), "combined": str(combined),
            "combined_bytes": combined.stat().st_size, "single": str(org / "single-cfn.yaml"), "separate_dir": str(scale_dir / "separate")}
    json_files = sum(1 for f in info["source_files"] if f.endswith(".json"))
    b.notes.append(
        f"Scale input: the first {len(chosen)} plain CloudFormation templates (no `Transform: {SAM_TRANSFORM}`; "
        f"{json_files} of them JSON) among {len(built)} generated by `{' '.join(b.gen_cmd)}`, merged into one "
        f"YAML template ({info['functions']} functions, {info['roles']} roles, {info['resources']} resources, "
        f"{info['combined_bytes'] // 1024} KiB): logical ids prefixed `T<index>`, references rewritten, "
        f"`${{AWS::StackName}}` → `${{AWS::StackName}}-t<index>` and explicit bucket names suffixed `-t<index>`, "
        f"as if each were its own stack. It is an analysis input, not a deployable stack: it exceeds "
        f"CloudFormation's limits (1 MB, 500 resources, 200 outputs). Loaded as separate files (each its own "
        f"stack) the same templates give the same counts, as the reference row shows.")
    return info


# ----------------------------------------------------------------------------- 4. scale: timing

def profiled(b: Bench, name: str, fn):
    if not b.profile:
        return fn()
    prof = cProfile.Profile()
    try:
        return prof.runcall(fn)
    finally:
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(30)
        path = b.out / f"profile-{name}.txt"
        path.write_text(buf.getvalue(), encoding="utf-8")
        stats.dump_stats(str(b.out / f"profile-{name}.pstats"))
        b.notes.append(f"cProfile of {name}: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def bench_scale(b: Bench, cfg: dict, info: dict) -> None:
    print("scale", file=sys.stderr)
    start = time.perf_counter()
    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.graph.query import what_can_access, who_can_invoke
    from permcheck.load.inputs import Options, load_inventory
    b.row("scale.import", "import permcheck's analysis modules (in-process)", "load + graph modules",
          time.perf_counter() - start)

    start = time.perf_counter()
    load_inventory([info["single"]], Options())  # imports the loader modules load_inventory imports lazily
    b.row("scale.warmup", "warm-up: load_inventory(single-cfn.yaml), first call (lazy imports)", "3 functions",
          time.perf_counter() - start)

    combined = info["combined"]
    size = f"1 file, {info['functions']} functions, {info['roles']} roles, {info['resources']} resources"
    try:
        start = time.perf_counter()
        inventory = load_inventory([combined], Options())
        load_s = time.perf_counter() - start
    except Exception:
        b.error("scale.load", f"load_inventory([{combined}])", traceback.format_exc(), input=combined)
        return
    b.row("scale.load", "load_inventory (decode + resolve + build the inventory)", size, load_s,
          inventory={"functions": len(inventory.functions), "roles": len(inventory.roles),
                     "resources": len(inventory.resources)})
    if len(inventory.functions) != info["functions"] or len(inventory.roles) != info["roles"]:
        b.notes.append(f"The inventory has {len(inventory.functions)} functions and {len(inventory.roles)} roles; "
                       f"the merged template defines {info['functions']} and {info['roles']}.")

    start = time.perf_counter()
    edges = Edges(Index(inventory))
    b.row("scale.index", "Index + Edges construction", size, time.perf_counter() - start)

    functions = list(inventory.functions.values())
    per_fn: list[float] = []
    crashes: list[dict] = []

    def all_invoke():
        for function in functions:
            t0 = time.perf_counter()
            try:
                who_can_invoke(edges, function)
            except Exception:
                crashes.append({"function": str(function.arn), "logical_id": function.logical_id,
                                "traceback": traceback.format_exc()})
            per_fn.append(time.perf_counter() - t0)

    start = time.perf_counter()
    profiled(b, "who-can-invoke", all_invoke)
    total = time.perf_counter() - start
    n = len(functions)
    b.row("scale.who_can_invoke", "who_can_invoke for every function (in-process, after load)",
          f"{n} functions", total, target=f"< {SCALE_TARGET_S:.0f} s for all", passed=total < SCALE_TARGET_S and not
          crashes, per_function={"mean": statistics.fmean(per_fn) if per_fn else None,
                                 "median": statistics.median(per_fn) if per_fn else None,
                                 "max": max(per_fn) if per_fn else None}, crashes=len(crashes))
    if per_fn:
        slowest = max(range(n), key=per_fn.__getitem__)
        b.row("scale.who_can_invoke.mean", "who_can_invoke, mean per function", f"{n} functions",
              statistics.fmean(per_fn), median=statistics.median(per_fn), max_seconds=max(per_fn),
              slowest=functions[slowest].logical_id or str(functions[slowest].arn))
    for c in crashes[:3]:
        b.error("scale.who_can_invoke", f"who_can_invoke({c['logical_id']})", c["traceback"], input=combined)

    roles = sorted({str(f.role) for f in functions if f.role is not None and str(f.role) in inventory.roles})
    per_role: list[float] = []
    crashes = []

    def all_access():
        for arn in roles:
            t0 = time.perf_counter()
            try:
                what_can_access(edges, edges.index.caller_for_entity(inventory.roles[arn]))
            except Exception:
                crashes.append({"role": arn, "logical_id": inventory.roles[arn].logical_id,
                                "traceback": traceback.format_exc()})
            per_role.append(time.perf_counter() - t0)

    start = time.perf_counter()
    profiled(b, "what-can-access", all_access)
    total = time.perf_counter() - start
    b.row("scale.what_can_access", "what_can_access for every execution role (in-process)",
          f"{len(roles)} execution roles", total, crashes=len(crashes),
          per_role={"mean": statistics.fmean(per_role) if per_role else None,
                    "median": statistics.median(per_role) if per_role else None,
                    "max": max(per_role) if per_role else None})
    if per_role:
        slowest = max(range(len(roles)), key=per_role.__getitem__)
        b.row("scale.what_can_access.mean", "what_can_access, mean per execution role",
              f"{len(roles)} execution roles", statistics.fmean(per_role), median=statistics.median(per_role),
              max_seconds=max(per_role), slowest=inventory.roles[roles[slowest]].logical_id or roles[slowest])
    for c in crashes[:3]:
        b.error("scale.what_can_access", f"what_can_access({c['logical_id']})", c["traceback"], input=combined)

    # CLI end to end, one function, on the merged template
    fn = next(f.logical_id for f in functions if f.logical_id)
    try:
        samples, _, _ = time_process([str(console_script()), "who-can-invoke", fn, combined, "--format", "json"],
                                     cfg["cli_scale_runs"], 0)
        s = summary(samples)
        b.row("scale.cli", f"`permcheck who-can-invoke {fn} combined.yaml --format json` (whole process)",
              size + f"; median of {s['runs']}", s["median"], stats=s)
    except Exception:
        b.error("scale.cli", f"permcheck who-can-invoke {fn} combined.yaml", traceback.format_exc(), input=combined)

    # the same templates as separate files, for reference
    separate = info["separate_dir"]
    try:
        start = time.perf_counter()
        inv2 = load_inventory([separate], Options())
        b.row("scale.load_separate", "load_inventory of the same templates as separate files (reference)",
              f"{info['templates_plain_selected']} files → {len(inv2.functions)} functions, {len(inv2.roles)} roles",
              time.perf_counter() - start)
    except Exception:
        b.error("scale.load_separate", f"load_inventory([{separate}])", traceback.format_exc(), input=separate)


# ----------------------------------------------------------------------------- report

def bench_account(b: Bench, gen_org: Path, out: Path, preset: str, seed: int, sample: int | None) -> None:
    """An account snapshot of gen_org's `preset` (auth details, list-functions, get-policy files):
    load, who-can-invoke for every function (or `sample` of them, extrapolated), `check`, and
    Cloudsplaining's scan of the same auth details when it is installed."""
    import json as _json
    import resource

    print(f"account ({preset})", file=sys.stderr)
    folder = out / "inputs" / f"account-{preset}-seed{seed}"
    manifest = folder / "manifest.json"
    if not manifest.exists() or _json.loads(manifest.read_text()).get("preset") != preset:
        subprocess.run([sys.executable, str(gen_org), "--preset", preset, "--seed", str(seed), "--out", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)
    paths = [str(folder / "auth-details.json"), str(folder / "lambda")]
    from permcheck.config import Config
    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.graph.query import who_can_invoke
    from permcheck.load.inputs import Options, load_inventory
    from permcheck.rules.registry import load_rules
    from permcheck.rules.run import run_check

    import gc
    gc.disable()  # as `permcheck` runs (cli.run): the model holds no cycles, collections only cost time
    start = time.perf_counter()
    inventory = load_inventory(paths, Options())
    gc.disable()
    size = f"{len(inventory.roles):,} roles, {len(inventory.functions):,} functions"
    loaded = time.perf_counter() - start
    b.row(f"account.{preset}.load", f"account snapshot ({preset}): load", size, loaded,
          peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    edges = Edges(Index(inventory))
    functions = list(inventory.functions.values())
    chosen = functions if sample is None else functions[:sample]
    start, answers, encoding, written = time.perf_counter(), 0, 0.0, 0
    for function in chosen:
        result = who_can_invoke(edges, function)
        answers += len(result["principals"])
        encode = time.perf_counter()
        written += len(json.dumps(result))
        encoding += time.perf_counter() - encode
    elapsed = time.perf_counter() - start - encoding
    scale = len(functions) / len(chosen)
    what = "who-can-invoke for every function" if sample is None else \
        f"who-can-invoke for {len(chosen)} functions, × {scale:.0f} for all"
    b.row(f"account.{preset}.who", f"account snapshot ({preset}): {what}", f"{answers:,} answers",
          elapsed * scale, per_function_ms=round(1000 * elapsed / len(chosen), 1),
          peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    b.row(f"account.{preset}.who-json", f"account snapshot ({preset}): those answers written as JSON (json.dumps)",
          f"{written * scale / 1e9:.1f} GB", encoding * scale)
    total, peak = loaded + (elapsed + encoding) * scale, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    b.row(f"account.{preset}.total", f"account snapshot ({preset}): load + every answer + JSON", size, total,
          target="≤ 5 min, < 4 GB", passed=total <= 300 and peak < 4096, peak_rss_mb=peak)
    start = time.perf_counter()
    result = run_check(edges, load_rules(), Config())
    b.row(f"account.{preset}.check", f"account snapshot ({preset}): check, every rule (in-process, after load)",
          f"{len(result.findings):,} findings", time.perf_counter() - start)
    scanner = shutil.which("cloudsplaining")
    if scanner is None:
        b.notes.append("cloudsplaining is not installed: its scan of the same auth details was skipped.")
        return
    start = time.perf_counter()
    subprocess.run([scanner, "scan", "--input-file", paths[0], "--output", str(out / "cloudsplaining")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)
    b.row(f"account.{preset}.cloudsplaining", f"cloudsplaining scan, same auth details ({preset})", size,
          time.perf_counter() - start)


def table(b: Bench) -> str:
    lines = ["| what | size | time | target | result |", "| --- | --- | --- | --- | --- |"]
    for r in b.rows:
        result = r.get("result") or ("—" if r["pass"] is None else "")
        if r["pass"] is not None:
            result = ("pass" if r["pass"] else "**FAIL**") + (f" ({r['result']})" if r.get("result") else "")
        lines.append(f"| {r['what']} | {r['size']} | {fmt_time(r['seconds'])} | {r['target']} | {result} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and few runs: a smoke run")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"), help="output directory (default bench/out)")
    ap.add_argument("--seed", type=int, default=1, help="gen_org seed (default 1)")
    ap.add_argument("--gen-org", help="path of gen_org.py")
    ap.add_argument("--profile", action="store_true", help="write cProfile reports of the scale queries")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    ap.add_argument("--skip", action="append", default=[], choices=("startup", "precommit", "check", "scale"),
                    help="skip a section (repeatable)")
    ap.add_argument("--account", choices=("small", "medium", "large"),
                    help="also measure an account snapshot of this gen_org preset (minutes for large)")
    ap.add_argument("--account-sample", type=int,
                    help="who-can-invoke for this many functions of the account, extrapolated to all")
    args = ap.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    b = Bench(out)
    b.seed, b.profile = args.seed, args.profile
    info_machine = machine()
    print(f"machine: {info_machine['nproc']} CPUs ({info_machine['cpu']}), Python {info_machine['python']}",
          file=sys.stderr)
    gen_org = find_gen_org(args.gen_org)
    gen = import_gen_org(gen_org)
    org = out / "inputs" / f"org-seed{args.seed}-t{cfg['templates']}"
    org.parent.mkdir(parents=True, exist_ok=True)
    b.gen_cmd, b.manifest = run_gen_org(b, gen_org, org, args.seed, cfg["templates"])

    if "startup" not in args.skip:
        bench_startup(b, cfg)
    if "precommit" not in args.skip:
        bench_precommit(b, cfg, org, gen)
    if "check" not in args.skip:
        bench_check(b, cfg, org)
    scale = None
    if "scale" not in args.skip:
        try:
            scale = build_scale_inputs(b, cfg, gen, org, out / "inputs" / f"scale-seed{args.seed}-{cfg['min_functions']}")
        except Exception:
            b.error("scale.inputs", "building the scale inputs", traceback.format_exc())
        if scale is not None:
            bench_scale(b, cfg, scale)
    if args.account:
        try:
            bench_account(b, gen_org, out, args.account, args.seed, args.account_sample)
        except Exception:
            b.error("account", f"account snapshot ({args.account})", traceback.format_exc())

    results = {"benchmark": "permcheck bench/bench.py", "mode": "quick" if args.quick else "full",
               "machine": info_machine, "config": cfg,
               "gen_org": {"path": str(gen_org), "command": " ".join(b.gen_cmd), "manifest": b.manifest},
               "scale_inputs": scale, "results": b.rows, "notes": b.notes, "errors": b.errors}
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")

    m = info_machine
    print(f"## permcheck {m['permcheck']} benchmark ({results['mode']})\n")
    print(f"Machine: nproc {m['nproc']} ({m['cpu']}), {m['implementation']} {m['python']}, {m['platform']}"
          f"{', commit ' + m['commit'] if m['commit'] else ''}. Inputs: `{' '.join(b.gen_cmd)}`.\n")
    print(table(b))
    if b.notes:
        print("\nNotes:\n")
        for note in b.notes:
            print(f"- {note}")
    if b.errors:
        print("\nErrors:\n")
        for e in b.errors:
            print(f"- {e['what']}:\n\n```\n{e['detail'].rstrip()}\n```")
    print(f"\nResults: {out / 'results.json'}")
    failed = any(r["pass"] is False for r in b.rows)
    return 1 if b.errors or (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
