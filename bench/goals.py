"""The account-scale goals, each row against its anchor in the same run: whole processes taking turns.

They run before the in-process account rows: a child's peak memory (os.wait4) counts what it
inherited at fork, so the bench process must still be small when it starts them.

A reviewer asks a dozen questions about one account in a sitting; a CI gate runs `check` on the
snapshot. Each row here is the command a user runs, as a whole process with its bytecode caches,
measured in turns with the tool a team would otherwise run on the same file (parliament lints the
same auth details), so a change in the machine's load weighs on both and the ratio holds.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from record import Bench, Tool, console_script, fmt_time, run_once, summary, take_turns

QUESTION_GOAL_S = {"medium": 0.5, "large": 2.0}  # one who-can-invoke, the model from the cache
CHECK_GOAL = {"medium": ("ratio", 0.3), "large": ("seconds", 30.0)}  # × parliament, or seconds
RUNS = {"medium": 5, "large": 1}
WARM_UP = {"medium": True, "large": False}  # a large run takes minutes; the bytecode caches come from the first


def account_inputs(gen_org: Path, out: Path, preset: str, seed: int) -> Path:
    """gen_org's account snapshot of `preset` (auth details, list-functions, get-policy files), made once."""
    folder = out / "inputs" / f"account-{preset}-seed{seed}"
    manifest = folder / "manifest.json"
    if not manifest.exists() or json.loads(manifest.read_text()).get("preset") != preset:
        subprocess.run([sys.executable, str(gen_org), "--preset", preset, "--seed", str(seed), "--out", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)
    return folder


def find_parliament() -> str | None:
    return shutil.which("parliament")


def bench_goals(b: Bench, gen_org: Path, out: Path, preset: str, seed: int) -> None:
    """One who-can-invoke (the first question of a sitting, then later ones), and `check` beside
    parliament, on gen_org's account snapshot of `preset`."""
    print(f"goals ({preset})", file=sys.stderr)
    folder = account_inputs(gen_org, out, preset, seed)
    inputs = ["auth-details.json", "lambda"]
    names = [f["FunctionName"] for f in json.loads((folder / "lambda" / "list-functions.json").read_text())["Functions"]]
    script = str(console_script())
    size = f"{preset} snapshot: {_size(folder)}"
    _questions(b, preset, folder, script, inputs, names, size, out / "cache" / preset)
    _check(b, preset, folder, script, inputs, size, out / "cache" / preset)


def _questions(b: Bench, preset: str, folder: Path, script: str, inputs: list[str], names: list[str],
               size: str, cache: Path) -> None:
    """The first question pays for reading the snapshot and leaves the loaded model in the cache;
    each later one (another function, as a reviewer goes on) reads the cache."""
    import os

    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "PERMCHECK_CACHE_DIR": str(cache)}

    def ask(name: str, *extra: str):
        return run_once([script, "who-can-invoke", name, *inputs, "--format", "json", *extra], folder, (0,), env)

    ask(names[0], "--no-cache")  # a warm-up: the bytecode caches, as an installed permcheck has them
    first = ask(names[1])
    later = [ask(name) for name in names[2:2 + RUNS[preset]]]
    b.row(f"goal.{preset}.who-first", f"`permcheck who-can-invoke FN auth-details.json lambda` ({preset}), "
          "the first question: reads the snapshot, fills the cache",
          size + f"; CPU {fmt_time(first.cpu)}, peak {first.peak_mb:.0f} MB", first.wall, cpu=first.cpu,
          peak_mb=round(first.peak_mb))
    s = summary([run.wall for run in later])
    cpu = statistics.median(run.cpu for run in later)
    goal = QUESTION_GOAL_S[preset]
    b.row(f"goal.{preset}.who", "… each later question (another function; the model from the cache)",
          size + f"; median of {s['runs']}; CPU {fmt_time(cpu)}, peak {max(run.peak_mb for run in later):.0f} MB",
          s["median"], target=f"≤ {fmt_time(goal)}", passed=s["median"] <= goal, stats=s, cpu_median=cpu)
    shutil.rmtree(cache, ignore_errors=True)


def _check(b: Bench, preset: str, folder: Path, script: str, inputs: list[str], size: str, cache: Path) -> None:
    """`permcheck check` (every rule, JSON) and parliament's lint of the same auth details, in turns."""
    import os

    env = {**os.environ, "PERMCHECK_CACHE_DIR": str(cache)}
    runs = RUNS[preset]
    # permcheck: exit 1 means findings at or above --fail-on, still a timing; 2 is a failure.
    tools = [Tool(f"goal.{preset}.check", "permcheck", [script, "check", *inputs, "--format", "json", "--no-cache"],
                  runs, (0, 1), env=env)]
    parliament = find_parliament()
    if parliament is None:
        b.notes.append("parliament is not installed: the account check ran without its anchor.")
    else:
        # parliament exits 1 when it reports something: still a timing.
        tools.append(Tool(f"goal.{preset}.parliament", "parliament",
                          [parliament, "--auth-details-file", inputs[0], "--json"], runs, (0, 1)))
    got = take_turns(tools, folder, lambda tool, detail: b.error(tool.key, " ".join(tool.argv), detail),
                     WARM_UP[preset])
    medians = {}
    for tool in tools:
        if tool.key not in got:
            continue
        s = summary([run.wall for run in got[tool.key]])
        medians[tool.key] = s["median"]
        cpu = statistics.median(run.cpu for run in got[tool.key])
        peak = max(run.peak_mb for run in got[tool.key])
        what = (f"`permcheck check auth-details.json lambda --format json` ({preset}; every rule)"
                if tool.label == "permcheck" else f"`parliament --auth-details-file auth-details.json` ({preset})")
        b.row(tool.key, what, size + f"; median of {s['runs']}, taking turns; CPU {fmt_time(cpu)}, peak {peak:.0f} MB",
              s["median"], stats=s, cpu_median=cpu, peak_mb=round(peak))
    mine, anchor = medians.get(f"goal.{preset}.check"), medians.get(f"goal.{preset}.parliament")
    kind, goal = CHECK_GOAL[preset]
    if mine is not None and anchor is not None:
        ratio = mine / anchor
        passed = ratio <= goal if kind == "ratio" else mine <= goal
        b.row(f"goal.{preset}.check.ratio", f"permcheck check / parliament ({preset})", "ratio of medians", None,
              target=f"≤ {goal} × parliament" if kind == "ratio" else f"≤ {fmt_time(goal)}", passed=passed,
              ratio=ratio, result=f"{ratio:.2f}")
    elif mine is not None and kind == "seconds":
        b.row(f"goal.{preset}.check.goal", f"permcheck check ({preset}) against its goal", "", mine,
              target=f"≤ {fmt_time(goal)}", passed=mine <= goal)


def _size(folder: Path) -> str:
    manifest = json.loads((folder / "manifest.json").read_text())
    config = manifest["config"]
    return f"{config['roles']:,} roles, {config['functions']:,} functions"
