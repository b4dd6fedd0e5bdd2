"""2–3. The pre-commit path and `check`, side by side with cfn-lint and checkov on the same files."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import traceback
from pathlib import Path

from record import Bench, PRECOMMIT_RATIO_GOAL, Tool, console_script, fmt_time, summary, take_turns, time_process
from startup import parse_importtime


# ----------------------------------------------------------------------------- 2. pre-commit

def first_function(tpl: dict) -> str:
    return next(lid for lid, r in tpl["Resources"].items() if r["Type"] == "AWS::Lambda::Function")


def find_cfn_lint() -> str | None:
    """cfn-lint's console script; behind a pyenv shim (a shell script that looks the version up on
    every run), the real script, so the shim's own cost is not timed."""
    found = shutil.which("cfn-lint")
    if found and is_shim(found) and shutil.which("pyenv"):
        real = subprocess.run(["pyenv", "which", "cfn-lint"], capture_output=True, text=True)
        return real.stdout.strip() or found if real.returncode == 0 else found
    return found


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
    tools = [Tool("check.permcheck", f"permcheck {permcheck.__version__}",
                  [str(console_script()), "check", single.name], cfg["check_runs"], (0, 1))]
    lint = find_cfn_lint()
    if lint:
        version = subprocess.run([lint, "--version"], capture_output=True, text=True).stdout.strip()
        # cfn-lint exits non-zero when it reports something (2 error, 4 warning, 8 info); any is a timing.
        tools.append(Tool("check.cfn_lint", version, [lint, single.name], cfg["cfn_lint_runs"], None))
    else:
        b.notes.append("cfn-lint is not installed: the check comparison with it was skipped.")
        b.row("check.cfn_lint", "`cfn-lint single-sam.yaml`", "not installed: skipped", None)
    checkov = find_checkov()
    if checkov:
        version = subprocess.run([checkov, "--version"], capture_output=True, text=True).stdout.strip()
        tools.append(Tool("check.checkov", f"checkov {version}",
                          [checkov, "-f", single.name, "--framework", "cloudformation", "--quiet", "--compact",
                           "--skip-download"], cfg["checkov_runs"], None))
    else:
        b.notes.append("checkov is not installed: the check comparison with it was skipped.")
        b.row("check.checkov", "`checkov -f single-sam.yaml`", "not installed: skipped", None)

    runs = take_turns(tools, org, lambda tool, detail: b.error(tool.key, " ".join(tool.argv), detail,
                                                               input=str(single)))
    medians: dict[str, float] = {}
    cpu_medians: dict[str, float] = {}
    for tool in tools:
        if tool.key not in runs:
            continue
        s = summary([run.wall for run in runs[tool.key]])
        cpu = [run.cpu for run in runs[tool.key]]
        medians[tool.key], cpu_medians[tool.key] = s["median"], statistics.median(cpu)
        shown = " ".join([Path(tool.argv[0]).name] + tool.argv[1:])
        b.row(tool.key, f"`{shown}` ({tool.label}, whole process)",
              size + f"; median of {s['runs']}, taking turns; CPU (user+sys) {fmt_time(cpu_medians[tool.key])}",
              s["median"], stats=s, cpu_median=cpu_medians[tool.key], cpu_samples=cpu,
              exit_code=runs[tool.key][-1].code, executable=tool.argv[0])
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

