"""PATH... → one inventory: walk directories, recognise each file by its content.

The contract's input table decides what a file is; a file that is none of them is
skipped in a directory walk and an error when named directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from permcheck.load.nodes import LineDict, line_of
from permcheck.model.entities import Inventory
from permcheck.model.location import InputError, Location
from permcheck.model.values import Unknown

SUFFIXES = (".json", ".yaml", ".yml", ".template")
SKIP_DIRS = {"node_modules"}
SAM = "AWS::Serverless-2016-10-31"


@dataclass(frozen=True)
class Options:
    """What the command line (or config) says about where templates deploy."""

    account: str | None = None
    region: str = "us-east-1"
    parameters: dict[str, str] = field(default_factory=dict)
    management_account: str | None = None


def walk(paths: list[str]) -> list[tuple[str, bool]]:
    """(file, named directly) for every candidate file under `paths`, in a stable order.

    Symbolic links to directories are not followed (so a link cycle ends the walk, not the
    machine); links to files are candidates like the files themselves, and a dangling or
    looping one is then reported by `read_file`.
    """
    out: list[tuple[str, bool]] = []
    for path in paths:
        if os.path.isdir(path):
            found = []
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
                found += [os.path.join(root, f) for f in files if f.endswith(SUFFIXES) and not f.startswith(".")]
            if not found:
                raise InputError(Location(path), "directory holds no *.json, *.yaml, *.yml or *.template file")
            out += [(f, False) for f in sorted(found)]
        elif os.path.lexists(path):  # a dangling or looping link too: read_file says which
            out.append((path, True))
        else:
            raise InputError(Location(path), "no such file or directory")
    return out


def kind_of(document: object) -> str | None:
    """What a decoded file is, by content (the contract's input table), or None."""
    if not isinstance(document, dict):
        return None
    if "Resources" in document:
        transform = document.get("Transform")
        transforms = transform if isinstance(transform, list) else [transform]
        return "sam" if SAM in transforms else "cloudformation"
    if any(k in document for k in ("RoleDetailList", "UserDetailList", "GroupDetailList")) or (
            isinstance(document.get("Policies"), list) and "Version" not in document):
        return "authorization-details"
    if isinstance(document.get("Functions"), list):
        return "list-functions"
    if isinstance(document.get("EventSourceMappings"), list):
        return "list-event-source-mappings"
    if isinstance(document.get("Subscriptions"), list):
        return "list-subscriptions"
    policy = document.get("Policy")
    if isinstance(policy, str):
        return "get-policy"
    if isinstance(policy, dict) and "Content" in policy:
        return "organizations-policy"
    if "format_version" in document and ("planned_values" in document or "resource_changes" in document):
        return "terraform-plan"
    if "Statement" in document and ("Version" in document or "Id" in document):
        return "policy"
    return None


SNAPSHOT_KINDS = ("authorization-details", "list-functions", "get-policy", "list-event-source-mappings",
                  "list-subscriptions")
TEMPLATE_KINDS = ("cloudformation", "sam", "terraform-plan")


Progress = Optional[Callable[[str, int, int], None]]
"""Told (file, files done, files in all) as inputs are read: the command line draws a bar."""


def load_inventory(paths: list[str], options: Options, progress: Progress = None, *,
                   errors: list[InputError] | None = None) -> Inventory:
    """Read every input into one inventory; raises InputError for what cannot be read.

    Snapshots are read first: templates are then analysed as deployed into `--account`, else
    into the one account the snapshots name, else into 123456789012 (the contract).

    With `errors`, one bad file does not stop the others: the InputError of a file that cannot
    be read, decoded or loaded is appended to `errors` and nothing of that file is in the
    inventory. The errors of the run as a whole still raise: a path that does not exist, a
    directory without candidate files, nothing left to analyse (`errors` then holds the
    per-file errors found before). Without `errors`, the first error raises.

    One model: templates that cannot deploy side by side (two create one physical name) raise
    an InputError here; `deployments.load_deployments` analyses them as separate deployments.
    """
    documents = read_inputs(paths, progress, errors=errors)
    inventory, _ = load_documents(documents, options, errors, paths)
    if progress:
        progress("", len(documents), len(documents))
    if inventory.conflicts:
        raise conflict_error(inventory)
    return inventory


def conflict_error(inventory: Inventory) -> InputError:
    """The first conflict as an input error, for callers that need one model."""
    key, found = min(inventory.conflicts.items(), key=lambda item: (item[1][1].file, item[1][1].line or 0))
    first = found[0]
    second = next(at for at in found if at.file != first.file)
    return InputError(second, f"{key} is also created by {first}: two templates cannot both create it "
                              "(they are separate deployments)")


def load_documents(documents: list[tuple[str, str, object]], options: Options, errors: list[InputError] | None,
                   paths: list[str]) -> tuple[Inventory, list[tuple[str, str, object]]]:
    """One inventory of decoded documents, and the documents it holds (all but those that failed).

    A file that fails half-way may have added some of its entities already. Rather than undo
    them, load again without the files that failed (loaders never change their documents),
    until a pass loads every file it tries; one pass when nothing fails.
    """
    if errors is None:
        return _load_documents(documents, options, None), documents
    failed: dict[str, InputError] = {}
    while True:
        found: dict[str, InputError] = {}
        good = [d for d in documents if d[0] not in failed]
        if not good:
            errors.extend(failed.values())
            raise InputError(Location(" ".join(paths)), f"nothing to analyse: {len(failed)} of "
                             f"{len(documents)} inputs could not be loaded")
        inventory = _load_documents(good, options, found)
        failed.update(found)
        if not found:
            break
    errors.extend(failed.values())
    return inventory, good


def _load_documents(documents: list[tuple[str, str, object]], options: Options,
                    failed: dict[str, InputError] | None) -> Inventory:
    """One inventory from decoded documents; with `failed`, a file's InputError goes there."""
    from permcheck.load import snapshot

    inventory = Inventory(region=options.region, management_account=options.management_account)
    snapshot_accounts: set[str] = set()
    decoded: dict = {}  # get-policy strings accounts_of decoded, for snapshot.load: decoded once
    for file, kind, document in documents:
        if kind in SNAPSHOT_KINDS:
            snapshot_accounts |= snapshot.accounts_of(file, kind, document, decoded)
    account = options.account or (next(iter(snapshot_accounts)) if len(snapshot_accounts) == 1 else DEFAULT_ACCOUNT)
    inventory.default_account = account
    order = {kind: i for i, kind in enumerate(("organizations-policy", *SNAPSHOT_KINDS, *TEMPLATE_KINDS, "policy"))}
    included: set[str] = set()  # files templates include (load/includes.py): read there, as deployed, not twice
    for file, kind, document in sorted(documents, key=lambda d: order[d[1]]):
        if kind == "policy" and os.path.realpath(file) in included:
            continue
        try:
            _load_one(file, kind, document, account, options, inventory, included, decoded)
        except InputError as error:
            if failed is None:
                raise
            failed[file] = error
    return inventory


DEFAULT_ACCOUNT = "123456789012"


def read_inputs(paths: list[str], progress: Progress = None, *,
                errors: list[InputError] | None = None) -> list[tuple[str, str, object]]:
    """(file, kind, decoded document) for every input under `paths`.

    With `errors`, a file that cannot be read or decoded (or, named directly, is not an input)
    adds its InputError there and is left out; without, the first one raises.
    """
    from permcheck.load.decode import read_file

    documents = []
    files = walk(paths)
    failures = 0
    for done, (file, named) in enumerate(files):
        if progress:
            progress(file, done, len(files))
        try:
            if not named and _special(file):
                raise InputError(Location(file), "not a regular file (a FIFO, socket or device)")
            try:
                document = read_file(file)
            except InputError:
                if not named and _names_no_input(file):
                    continue  # a walk meets data files of other tools (`.env` templates, JSON Lines)
                raise
            kind = kind_of(document)
            if kind is None and named:
                raise InputError(Location(file, line_of(document, 1)),
                                 "not a CloudFormation/SAM template, AWS CLI snapshot, Terraform plan or policy document")
        except InputError as error:
            if errors is None:
                raise
            errors.append(error)
            failures += 1
            continue
        if kind is not None:
            documents.append((file, kind, document))
    if not documents:
        found = f"{failures} of {len(files)} input files could not be read" if failures else \
            "no template, snapshot, plan or policy found"
        raise InputError(Location(" ".join(paths)), f"nothing to analyse: {found}")
    return documents


INPUT_MARKERS = ("Resources", "RoleDetailList", "UserDetailList", "GroupDetailList", "Policies", "Functions",
                 "Policy", "format_version", "Statement", "EventSourceMappings", "Subscriptions")
"""The keys by which an input is recognised: a file whose text holds none of them is no input, even broken."""


def _names_no_input(file: str) -> bool:
    """Does a file a walk cannot decode hold none of the keys any input has? Then it is another
    tool's data (a dotenv `.template`, JSON Lines in a `.json`), skipped as a walk skips any file
    that is no input. A broken template or policy names its keys, so it is still an error."""
    try:
        with open(file, "rb") as handle:
            text = handle.read(MAX_MARKER_SCAN).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # unreadable, binary or UTF-16: no way to tell, so it stays an error (fail closed)
    return "\x00" not in text and not any(marker in text for marker in INPUT_MARKERS)


MAX_MARKER_SCAN = 1 << 24  # bytes of a file searched for the keys (more than any input's head)


def _special(file: str) -> bool:
    """A FIFO, socket or device met in a directory walk: opening a FIFO would wait forever.
    A file that cannot be stat'ed is left to `read_file`, which says why."""
    import stat

    try:
        return not stat.S_ISREG(os.stat(file).st_mode)
    except OSError:
        return False


def _load_one(file: str, kind: str, document: LineDict, account: str, options: Options,
              inventory: Inventory, included: set[str] | None = None, decoded: dict | None = None) -> None:
    partition = "aws-cn" if options.region.startswith("cn-") else \
        "aws-us-gov" if options.region.startswith("us-gov-") else "aws"
    inventory.partition = partition
    deployment = None  # what templates and plans resolve their intrinsics against; snapshots need none
    if kind in TEMPLATE_KINDS:
        from permcheck.load.intrinsics import Deployment

        stack = options.parameters.get("AWS::StackName")
        deployment = Deployment(account=account, region=options.region, partition=partition,
                                stack_name=stack if stack else Unknown(f"stack name of {file}"), source=file)
    try:
        _dispatch(file, kind, document, deployment, options, inventory, included, decoded)
    except InputError:
        raise
    except RecursionError:  # a loader recursing through a structure near the depth limit
        raise InputError(Location(file, line_of(document, 1)), "input nested too deeply to analyse") from None
    except ValueError as error:
        from pydantic import ValidationError
        if not isinstance(error, ValidationError):
            raise
        # a value of a shape the model refuses, which a loader let through: still an input error
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InputError(Location(file, line_of(document, 1)), f"cannot read this input: {where}: {first['msg']}") \
            from None


def _dispatch(file: str, kind: str, document: LineDict, deployment, options: Options, inventory: Inventory,
              included: set[str] | None = None, decoded: dict | None = None) -> None:
    if kind in ("cloudformation", "sam"):  # local AWS::Include files, inlined as `sam package` and CloudFormation do
        from permcheck.load.includes import read_includes
        document = read_includes(file, document, included)
    if kind == "cloudformation":
        from permcheck.load.cloudformation import load_template
        load_template(file, document, deployment, options.parameters, inventory)
    elif kind == "sam":
        from permcheck.load.cloudformation import load_template
        from permcheck.load.sam.expand import expand_sam
        load_template(file, expand_sam(file, document, deployment, options.parameters), deployment,
                      options.parameters, inventory)
    elif kind == "terraform-plan":
        from permcheck.load.terraform import load_plan
        load_plan(file, document, deployment, inventory)
    elif kind in SNAPSHOT_KINDS:
        from permcheck.load import snapshot
        snapshot.load(file, kind, document, inventory, decoded)
    elif kind == "policy":
        from permcheck.load.policy_doc import parse_policy
        from permcheck.model.policy import PolicyKind
        kind_ = PolicyKind.RESOURCE if _has_principal(document) else PolicyKind.IDENTITY
        inventory.loose_policies.append(parse_policy(document, name=Path(file).name, kind=kind_,
                                                     location=Location(file, line_of(document, 1))))
    elif kind == "organizations-policy":
        _organisation_policy(file, document, inventory)
    else:  # kind_of returned something this function does not know: a bug, refuse
        raise InputError(Location(file, line_of(document, 1)), f"{kind} input is not supported")


def _organisation_policy(file: str, document: LineDict, inventory: Inventory) -> None:
    """`aws organizations describe-policy` output: an SCP or RCP for every analysed account."""
    from permcheck.load.policy_doc import parse_policy
    from permcheck.model.policy import PolicyKind

    policy = document["Policy"]
    summary = policy.get("PolicySummary") or {}
    ptype = summary.get("Type")
    kinds = {"SERVICE_CONTROL_POLICY": PolicyKind.SCP, "RESOURCE_CONTROL_POLICY": PolicyKind.RCP}
    where = Location(file, line_of(policy, 1))
    if ptype not in kinds:
        raise InputError(where, f"organizations policy of type {ptype!r}: only SCPs and RCPs are understood")
    name = str(summary.get("Name") or Path(file).name)
    parsed = parse_policy(policy.get("Content"), name=name, kind=kinds[ptype], location=where)
    (inventory.scps if ptype == "SERVICE_CONTROL_POLICY" else inventory.rcps).append(parsed)


def _has_principal(document: dict) -> bool:
    statements = document.get("Statement")
    items = statements if isinstance(statements, list) else [statements]
    return any(isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s) for s in items)
