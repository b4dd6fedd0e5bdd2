"""An account snapshot of a gen_org preset: load, who-can-invoke for every function, check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from goals import account_inputs
from record import Bench


# ----------------------------------------------------------------------------- report

def bench_account(b: Bench, gen_org: Path, out: Path, preset: str, seed: int, sample: int | None,
                  answers_only: bool = False) -> None:
    """An account snapshot of gen_org's `preset` (auth details, list-functions, get-policy files):
    load, who-can-invoke for every function (or `sample` of them, extrapolated), `check`, and
    Cloudsplaining's scan of the same auth details when it is installed. `answers_only`: stop
    after who-can-invoke's answers."""
    import resource

    print(f"account ({preset})", file=sys.stderr)
    folder = account_inputs(gen_org, out, preset, seed)
    paths = [str(folder / "auth-details.json"), str(folder / "lambda")]
    from permcheck.config import Config
    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.graph.query import who_can_invoke
    from permcheck.report.answers_json import Renderer
    from permcheck.report.json_text import JsonText
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
    # the answers as the contract's JSON data; their text, as `--format json` writes it
    # (json.dumps(indent=2) byte for byte, shared rows written once: report/json_text.py), is
    # streamed to /dev/null as each function's answers are made, and timed apart
    render, text = Renderer(), JsonText()
    with open(os.devnull, "w", encoding="ascii") as sink:
        def put(piece: str) -> None:
            nonlocal written
            written += len(piece)  # ASCII (ensure_ascii): characters are bytes
            sink.write(piece)
        for function in chosen:
            result = render.invokers(who_can_invoke(edges, function))
            answers += len(result["principals"])
            encode = time.perf_counter()
            text.write(result, put)
            put("\n")
            encoding += time.perf_counter() - encode
    elapsed = time.perf_counter() - start - encoding
    scale = len(functions) / len(chosen)
    what = "who-can-invoke for every function" if sample is None else \
        f"who-can-invoke for {len(chosen)} functions, × {scale:.0f} for all"
    b.row(f"account.{preset}.who", f"account snapshot ({preset}): {what}", f"{answers:,} answers",
          elapsed * scale, per_function_ms=round(1000 * elapsed / len(chosen), 1),
          peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    b.row(f"account.{preset}.who-json", f"account snapshot ({preset}): those answers' JSON text, streamed",
          f"{written * scale / 1e9:.1f} GB", encoding * scale)
    answered, peak = (elapsed + encoding) * scale, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    b.row(f"account.{preset}.answers", f"account snapshot ({preset}): every function's answers with their JSON",
          size, answered, target="≤ 60 s, ≤ 2 GB", passed=answered <= 60 and peak <= 2048, peak_rss_mb=peak)
    b.row(f"account.{preset}.total", f"account snapshot ({preset}): load + every answer + JSON", size,
          loaded + answered, peak_rss_mb=peak)
    if answers_only:
        return
    from permcheck.graph.triggers import TriggerPaths
    paths, render = TriggerPaths(Edges(Index(inventory))), Renderer()
    start, triggered = time.perf_counter(), 0
    for function in chosen:
        triggered += len(render.triggered(paths.who_can_trigger(function))["triggers"])
    trigger_time = (time.perf_counter() - start) * scale
    b.row(f"account.{preset}.trigger", f"account snapshot ({preset}): who-can-trigger for every function",
          f"{triggered:,} paths, {len(inventory.triggers):,} event sources", trigger_time,
          target="≤ 3 × who-can-invoke", passed=trigger_time <= 3 * elapsed * scale,
          ratio=round(trigger_time / (elapsed * scale), 2) if elapsed else None)
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
