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

5. Account-scale goals (`--goals medium|large`): on gen_org's account snapshot, one
   `who-can-invoke` as a whole process — the first question of a sitting (reads the snapshot,
   fills the model cache) and later ones (other functions, the model from the cache) — and
   `permcheck check` beside parliament's lint of the same auth details, in turns, with the ratio
   (bench/goals.py). `--anchors DIR` names a virtualenv that holds the anchor tools.

`--quick` uses smaller sizes and fewer runs (a smoke run). `--profile` writes cProfile
reports of the scale queries to the output directory. Exit status: 0, or 1 when
something crashed (or, with --strict, a target failed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from record import Bench, FULL, QUICK, ROOT, find_gen_org, fmt_time, import_gen_org, machine, run_gen_org
from startup import bench_startup
from side_by_side import bench_check, bench_precommit
from scale import bench_scale, build_scale_inputs
from account import bench_account
from goals import bench_goals


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
    ap.add_argument("--goals", action="append", default=[], choices=("medium", "large"),
                    help="the account-scale goals on this gen_org preset, each beside its anchor (repeatable)")
    ap.add_argument("--anchors", metavar="DIR",
                    help="a virtualenv (or bin folder) holding the anchor tools: cfn-lint, parliament, checkov")
    ap.add_argument("--account-answers-only", action="store_true",
                    help="for --account: load and who-can-invoke for every function only (no trigger, check)")
    ap.add_argument("--account-sample", type=int,
                    help="who-can-invoke for this many functions of the account, extrapolated to all")
    args = ap.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    if args.anchors:
        anchors = Path(args.anchors).resolve()
        os.environ["PATH"] = os.pathsep.join([str(anchors / "bin" if (anchors / "bin").is_dir() else anchors),
                                              os.environ.get("PATH", "")])
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
    for preset in args.goals:
        try:
            bench_goals(b, gen_org, out, preset, args.seed)
        except Exception:
            b.error("goals", f"account-scale goals ({preset})", traceback.format_exc())

    if args.account:
        try:
            bench_account(b, gen_org, out, args.account, args.seed, args.account_sample,
                          args.account_answers_only)
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
