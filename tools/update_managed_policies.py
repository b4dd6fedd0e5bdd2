#!/usr/bin/env python3
"""Regenerate permcheck/data/aws_managed_policies.json.

The documents of AWS managed policies are taken from the ``moto`` package
(Apache-2.0), which ships them as one JSON string in
``moto/iam/aws_managed_policies.py`` (name -> {DefaultVersionId, Document,
Path, ...}).  The set of names kept is:

* the policies serverless applications attach (``SERVERLESS_POLICIES`` below),
  which must all be present unless ``--allow-missing`` is given; and
* every name in the AWS SAM translator's managed-policy map
  (``samtranslator/internal/data/aws_managed_policies.json``, partition
  ``aws``) that moto has a document for: SAM templates may name any of them
  in a function's ``Policies``.

Output: one compact JSON object keyed by the policy's full ARN
(``arn:aws:iam::aws:policy`` + Path + name), each value
``{"name", "path", "version", "document"}``, the document at its default
version.  Keys are sorted so the file is reproducible.

Neither package is imported: moto's module is parsed with ``ast`` (no moto
code runs) and the SAM map is plain JSON.  By default both are located in the
running interpreter's ``sys.path``; pass ``--moto-file`` / ``--sam-map`` to
use other copies, e.g.::

    python tools/update_managed_policies.py \\
        --moto-file .../site-packages/moto/iam/aws_managed_policies.py \\
        --sam-map .../site-packages/samtranslator/internal/data/aws_managed_policies.json

``--check`` exits 1 when the output file differs from what would be written.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "permcheck" / "data" / "aws_managed_policies.json"

ARN_PREFIX = "arn:aws:iam::aws:policy"

# Policies serverless applications commonly attach to execution roles or to
# the people/pipelines that deploy them.  Paths come from moto, never from here.
SERVERLESS_POLICIES: tuple[str, ...] = (
    # Lambda execution-role family
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaMSKExecutionRole",
    "AWSLambdaENIManagementAccess",
    "AWSLambdaRole",
    "AWSLambdaExecute",
    "AWSLambda_FullAccess",
    "AWSLambda_ReadOnlyAccess",
    "AWSLambdaInvocation-DynamoDB",
    # tracing
    "AWSXRayDaemonWriteAccess",
    "AWSXrayWriteOnlyAccess",
    # broad job-function policies
    "AdministratorAccess",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
    # data and messaging services
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonDynamoDBFullAccess",
    "AmazonDynamoDBReadOnlyAccess",
    "AmazonSQSFullAccess",
    "AmazonSQSReadOnlyAccess",
    "AmazonSNSFullAccess",
    "AmazonSNSReadOnlyAccess",
    "AWSStepFunctionsFullAccess",
    "AmazonKinesisFullAccess",
    "AmazonKinesisReadOnlyAccess",
    "CloudWatchLogsFullAccess",
    "AmazonEventBridgeFullAccess",
    "SecretsManagerReadWrite",
    "AWSKeyManagementServicePowerUser",
    # API Gateway / AppSync
    "AmazonAPIGatewayInvokeFullAccess",
    "AmazonAPIGatewayPushToCloudWatchLogs",
    "AWSAppSyncPushToCloudWatchLogs",
)

MOTO_VARIABLE = "aws_managed_policies_data"


def find_package_file(package: str, *relative: str) -> Path | None:
    """Locate a file inside an installed package without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location).joinpath(*relative)
        if candidate.is_file():
            return candidate
    return None


def package_version(distribution: str) -> str | None:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return None
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def load_moto_policies(path: Path) -> dict[str, dict]:
    """Read moto's managed-policy table by parsing (not running) its module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == MOTO_VARIABLE for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            data = json.loads(node.value.value)
            if not isinstance(data, dict):
                raise SystemExit(f"{path}: {MOTO_VARIABLE} is not a JSON object")
            return data
    raise SystemExit(f"{path}: no string assignment to {MOTO_VARIABLE}")


def load_sam_map(path: Path, partition: str = "aws") -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    names = data.get(partition)
    if not isinstance(names, dict):
        raise SystemExit(f"{path}: no {partition!r} partition map")
    return names


def arn_for(name: str, policy_path: str) -> str:
    if not policy_path.startswith("/") or not policy_path.endswith("/"):
        raise SystemExit(f"{name}: unexpected policy path {policy_path!r}")
    return f"{ARN_PREFIX}{policy_path}{name}"


def build(
    moto: dict[str, dict], sam: dict[str, str] | None
) -> tuple[dict[str, dict], list[str], list[str], list[str]]:
    """Return (policies by ARN, missing serverless names, SAM names moto lacks,
    SAM entries whose ARN disagrees with moto's path)."""
    wanted: list[str] = list(SERVERLESS_POLICIES)
    sam_missing: list[str] = []
    sam_mismatch: list[str] = []
    if sam:
        for name, sam_arn in sam.items():
            if name not in moto:
                sam_missing.append(name)
                continue
            if sam_arn != arn_for(name, moto[name]["Path"]):
                sam_mismatch.append(f"{name}: SAM {sam_arn}, moto path {moto[name]['Path']}")
            if name not in wanted:
                wanted.append(name)
    missing = [n for n in SERVERLESS_POLICIES if n not in moto]
    out: dict[str, dict] = {}
    for name in wanted:
        entry = moto.get(name)
        if entry is None:
            continue
        document = entry.get("Document")
        if not isinstance(document, dict) or "Statement" not in document:
            raise SystemExit(f"{name}: moto entry has no policy document")
        out[arn_for(name, entry["Path"])] = {
            "name": name,
            "path": entry["Path"],
            "version": entry["DefaultVersionId"],
            "document": document,
        }
    return dict(sorted(out.items())), missing, sorted(sam_missing), sam_mismatch


def render(policies: dict[str, dict]) -> str:
    return json.dumps(policies, separators=(",", ":"), ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moto-file", type=Path, help="moto/iam/aws_managed_policies.py")
    parser.add_argument(
        "--sam-map", type=Path, help="samtranslator/internal/data/aws_managed_policies.json"
    )
    parser.add_argument("--no-sam", action="store_true", help="keep only the serverless list")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--allow-missing", action="store_true",
                        help="do not fail when moto lacks a serverless policy")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if OUTPUT is not what would be written")
    args = parser.parse_args(argv)

    moto_file = args.moto_file or find_package_file("moto", "iam", "aws_managed_policies.py")
    if moto_file is None:
        parser.error("moto is not installed in this interpreter; pass --moto-file")
    sam_file = None
    if not args.no_sam:
        sam_file = args.sam_map or find_package_file(
            "samtranslator", "internal", "data", "aws_managed_policies.json"
        )
        if sam_file is None:
            parser.error("aws-sam-translator is not installed here; pass --sam-map or --no-sam")

    moto = load_moto_policies(moto_file)
    sam = load_sam_map(sam_file) if sam_file else None
    policies, missing, sam_missing, sam_mismatch = build(moto, sam)

    print(f"moto: {moto_file} ({len(moto)} policies, moto {package_version('moto') or '?'})",
          file=sys.stderr)
    if sam is not None:
        print(f"SAM map: {sam_file} ({len(sam)} names, aws-sam-translator "
              f"{package_version('aws-sam-translator') or '?'})", file=sys.stderr)
        print(f"SAM names moto lacks ({len(sam_missing)}): {', '.join(sam_missing) or '-'}",
              file=sys.stderr)
    for line in sam_mismatch:
        print(f"warning: ARN mismatch {line}", file=sys.stderr)
    if missing:
        print(f"serverless policies moto lacks: {', '.join(missing)}", file=sys.stderr)
        if not args.allow_missing:
            return 1

    text = render(policies)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({len(policies)} policies)", file=sys.stderr)
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {len(policies)} policies, {len(text)} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
