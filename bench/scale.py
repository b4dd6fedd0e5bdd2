"""4. Scale: a generated template set merged into one template, and every query over it."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import re
import shutil
import statistics
import sys
import time
import traceback
from pathlib import Path

from record import Bench, ROOT, SAM_TRANSFORM, SCALE_TARGET_S, console_script, summary, time_process


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
    """The template set, with the cyclic garbage collector off as `permcheck` runs it (cli.run)."""
    import gc
    gc.disable()
    try:
        _bench_scale(b, cfg, info)
    finally:
        gc.enable()


def _bench_scale(b: Bench, cfg: dict, info: dict) -> None:
    print("scale", file=sys.stderr)
    start = time.perf_counter()
    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.graph.query import what_can_access, who_can_invoke
    from permcheck.report.answers_json import Renderer
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
    render = Renderer()  # the answers as the contract's JSON, as the command line writes them
    per_fn: list[float] = []
    crashes: list[dict] = []

    def all_invoke():
        for function in functions:
            t0 = time.perf_counter()
            try:
                render.invokers(who_can_invoke(edges, function))
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

    invoke_total = total
    from permcheck.graph.triggers import TriggerPaths
    paths, triggered = TriggerPaths(edges), 0
    start = time.perf_counter()
    for function in functions:
        triggered += len(render.triggered(paths.who_can_trigger(function))["triggers"])
    total = time.perf_counter() - start
    b.row("scale.who_can_trigger", "who_can_trigger for every function (in-process, after load)",
          f"{n} functions, {len(inventory.triggers):,} event sources, {triggered:,} paths", total,
          target="≤ 3 × who-can-invoke", passed=total <= 3 * invoke_total,
          ratio=round(total / invoke_total, 2) if invoke_total else None)

    roles = sorted({str(f.role) for f in functions if f.role is not None and str(f.role) in inventory.roles})
    per_role: list[float] = []
    crashes = []

    def all_access():
        for arn in roles:
            t0 = time.perf_counter()
            try:
                render.reach(what_can_access(edges, edges.index.caller_for_entity(inventory.roles[arn])))
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
