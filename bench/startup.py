"""1. Start-up: the whole `permcheck --help` process, and what importing the CLI costs."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import traceback

from record import Bench, HEAVY, STARTUP_TARGET_S, console_script, fmt_time, summary, time_process


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
