#!/usr/bin/env python3
"""Regenerate permcheck/data/sam/ from an installed AWS SAM translator (aws-sam-translator).

permcheck expands SAM templates itself (permcheck/load/sam/) so that a pre-commit run
does not pay for importing the translator; it needs three pieces of the translator's
*data*, copied here verbatim (Apache-2.0, see permcheck/data/sam/ATTRIBUTION.md):

* ``policy_templates.json``     <- samtranslator/policy_templates_data/policy_templates.json
  (the SAM policy templates: DynamoDBCrudPolicy, S3ReadPolicy, ...);
* ``aws_managed_policies.json`` <- samtranslator/internal/data/aws_managed_policies.json
  (managed policy name -> ARN per partition, for ``Policies: [AmazonS3ReadOnlyAccess]``);
* ``connector_profiles.json``   <- samtranslator/model/connector_profiles/profiles.json
  (what an AWS::Serverless::Connector grants for each source/destination type);

plus the package's LICENSE and NOTICE. The translator is not imported: its files are found
with ``importlib.util.find_spec`` (which does not run the package) or ``--sam-dir``, and the
version is read from ``samtranslator/__init__.py`` as text.

    python tools/update_sam_data.py                # from the running interpreter's samtranslator
    python tools/update_sam_data.py --sam-dir /root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/samtranslator
    python tools/update_sam_data.py --check        # exit 1 when the vendored copy is stale
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "permcheck" / "data" / "sam"
FILES = {
    "policy_templates.json": "policy_templates_data/policy_templates.json",
    "aws_managed_policies.json": "internal/data/aws_managed_policies.json",
    "connector_profiles.json": "model/connector_profiles/profiles.json",
}
ATTRIBUTION = """# Vendored AWS SAM translator data

permcheck expands `AWS::Serverless-2016-10-31` templates with its own code
(`permcheck/load/sam/`) and uses these data files of the official SAM translator so that
its expansion grants exactly what SAM's does. No translator code is copied or imported.

| file | upstream path (inside the `samtranslator` package) | what permcheck uses it for |
| --- | --- | --- |
| `policy_templates.json` | `policy_templates_data/policy_templates.json` | SAM policy templates (`DynamoDBCrudPolicy`, `S3ReadPolicy`, ...) expanded to their statements |
| `aws_managed_policies.json` | `internal/data/aws_managed_policies.json` | managed policy names in `Policies:` turned into ARNs, per partition |
| `connector_profiles.json` | `model/connector_profiles/profiles.json` | what an `AWS::Serverless::Connector` grants |

- Source: aws-sam-translator (PyPI), package `samtranslator`, version **{version}**
  (https://github.com/aws/serverless-application-model)
- License: Apache License 2.0 — full text in `LICENSE`; the upstream `NOTICE` is in `NOTICE`.
  Copyright Amazon.com, Inc. or its affiliates.
- Files are copied byte for byte; regenerate with `python tools/update_sam_data.py`
  (`--check` in CI tells when they are stale).
"""


def sam_dir(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("samtranslator")  # locates, does not import
    if spec is None or not spec.submodule_search_locations:
        sys.exit("samtranslator is not installed here; pass --sam-dir PATH/TO/samtranslator")
    return Path(next(iter(spec.submodule_search_locations)))


def version_of(directory: Path) -> str:
    match = re.search(r'__version__\s*=\s*"([^"]+)"', (directory / "__init__.py").read_text())
    return match.group(1) if match else "unknown"


def licenses_of(directory: Path, version: str) -> dict[str, bytes]:
    """LICENSE and NOTICE from the wheel's dist-info next to the package."""
    out: dict[str, bytes] = {}
    for dist in directory.parent.glob(f"aws_sam_translator-{version}.dist-info"):
        for name in ("LICENSE", "NOTICE"):
            for candidate in (dist / "licenses" / name, dist / name):
                if candidate.is_file():
                    out[name] = candidate.read_bytes()
                    break
    return out


def wanted(directory: Path) -> dict[str, bytes]:
    version = version_of(directory)
    out = {}
    for name, upstream in FILES.items():
        data = (directory / upstream).read_bytes()
        json.loads(data)  # must be JSON
        out[name] = data
    licenses = licenses_of(directory, version)
    missing = {"LICENSE", "NOTICE"} - set(licenses)
    if missing:
        sys.exit(f"cannot find {', '.join(sorted(missing))} of aws-sam-translator {version} next to {directory}")
    out.update(licenses)
    out["ATTRIBUTION.md"] = ATTRIBUTION.replace("{version}", version).encode()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sam-dir", help="the samtranslator package directory")
    parser.add_argument("--check", action="store_true", help="exit 1 when permcheck/data/sam differs")
    args = parser.parse_args()
    files = wanted(sam_dir(args.sam_dir))
    stale = [name for name, data in files.items() if not (OUT / name).is_file() or (OUT / name).read_bytes() != data]
    if args.check:
        for name in stale:
            print(f"stale: permcheck/data/sam/{name}")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (OUT / name).write_bytes(files[name])
        print(f"wrote permcheck/data/sam/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
