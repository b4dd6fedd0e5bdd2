"""A monorepo → deployments: which templates of one run are analysed as one model.

The contract: all inputs of one run form one model, but templates that cannot be deployed side
by side — two of them create the same physical name, and "resource names must be unique across
all your active stacks" (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html)
— are analysed as separate deployments, each with the snapshots. How they are grouped, in the
order a reviewer reads a repository:

1. **Applications.** A template belongs to the nearest folder above it (up to the directory
   given on the command line) that holds a `samconfig.toml`/`.yaml`/`.yml` or a
   `template.yaml`/`.yml`/`.json`: the root of a SAM CLI project, where the SAM CLI keeps its
   configuration beside `template.yaml`
   (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-config.html).
   Without one it is an application of its own (a folder of unrelated stacks is many
   applications). A template that another names as a nested stack by a local path
   (`AWS::CloudFormation::Stack` `TemplateURL`, `AWS::Serverless::Application` `Location`;
   the path is relative to the parent template, and `sam package`/`aws cloudformation package`
   upload it: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-cli-package.html,
   https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-application.html)
   belongs to its parent's application.
2. **Variants.** Templates of one application that conflict with each other (a
   `template-a.yaml` beside a `template-b.yaml` that creates the same function) are
   alternatives, not one stack: each goes into the first part of its application where it
   conflicts with nothing, in path order.
3. **Deployments.** Each part of each application, in path order, goes into the first
   deployment where it conflicts with nothing; the first deployment holds everything that can
   deploy side by side, so inputs without conflicts are one model, as before.

Snapshots, SCP/RCP files and bare policies describe the account the templates deploy into:
every deployment gets them all. Inputs without a conflict cost nothing extra: they are loaded
once; with one, each deployment is loaded again from the decoded documents (no file is read
twice).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from permcheck.load import inputs
from permcheck.load.read_log import note_probe
from permcheck.model.entities import Inventory
from permcheck.model.location import InputError

MARKERS = ("samconfig.toml", "samconfig.yaml", "samconfig.yml", "template.yaml", "template.yml", "template.json")
NESTED = {"AWS::CloudFormation::Stack": "TemplateURL", "AWS::Serverless::Application": "Location"}


@dataclass(frozen=True)
class Deployment:
    """Templates that deploy side by side, with every snapshot: one model."""

    number: int  # 1-based; the first holds everything that conflicts with nothing
    templates: tuple[str, ...]  # template and plan files, in path order
    inventory: Inventory
    applications: dict[str, str] = field(default_factory=dict, compare=False)  # file → its application
    of: int = 1  # how many deployments the run has

    @property
    def label(self) -> str:
        """`deployment 2 of 3 (a/template.yaml, …)`: how messages and the report name it."""
        shown = ", ".join(os.path.normpath(t) for t in self.templates[:3])
        more = f", … {len(self.templates) - 3} more" if len(self.templates) > 3 else ""
        return f"deployment {self.number} of {self.of} ({shown}{more})"


def application_of(file: str, roots: list[str]) -> str:
    """The application of a template file: its folder, or the file itself (rule 1 of the
    module docstring)."""
    folder = os.path.dirname(file) or "."
    top = next((r for r in roots if _within(folder, r)), None)
    here = folder
    while top is not None:
        if any(_marker(os.path.join(here, marker)) for marker in MARKERS):
            return here
        if os.path.normpath(here) == os.path.normpath(top):
            break
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    return file


def _marker(path: str) -> bool:
    """Whether a marker file is at `path`; the model cache records the look (load/read_log.py)."""
    found = os.path.isfile(path)
    note_probe(path, found)
    return found


def _within(folder: str, root: str) -> bool:
    a, b = os.path.abspath(folder), os.path.abspath(root)
    return a == b or a.startswith(b.rstrip(os.sep) + os.sep)


def nested_children(file: str, document: object) -> list[str]:
    """Local files a template names as nested stacks, as paths beside it."""
    resources = document.get("Resources") if isinstance(document, dict) else None
    out = []
    for resource in (resources.values() if isinstance(resources, dict) else ()):
        if not isinstance(resource, dict) or resource.get("Type") not in NESTED:
            continue
        props = resource.get("Properties")
        where = props.get(NESTED[resource["Type"]]) if isinstance(props, dict) else None
        if isinstance(where, str) and "://" not in where and not where.startswith(("s3:", "http:", "https:")):
            out.append(os.path.normpath(os.path.join(os.path.dirname(file), where)))
    return out


def applications(templates: list[tuple[str, object]], roots: list[str]) -> dict[str, str]:
    """file → its application (a folder, or the file itself), for every template; a nested
    stack takes its parent's."""
    apps = {file: application_of(file, roots) for file, _ in templates}
    by_path = {os.path.normpath(file): file for file, _ in templates}
    parent: dict[str, str] = {}
    for file, document in templates:
        for child in nested_children(file, document):
            if child in by_path and by_path[child] != file:
                parent.setdefault(by_path[child], file)
    for file in list(apps):
        top, seen = file, {file}
        while top in parent and parent[top] not in seen:  # a loop of nested stacks ends the climb
            top = parent[top]
            seen.add(top)
        apps[file] = apps[top]
    return apps


def group(templates: list[str], apps: dict[str, str], conflicts: set[frozenset[str]]) -> list[list[str]]:
    """Deployments as lists of template files (rules 2 and 3 of the module docstring)."""
    def clash(a: list[str], b: list[str]) -> bool:
        return any(frozenset((x, y)) in conflicts for x in a for y in b if x != y)

    by_app: dict[str, list[str]] = {}
    for file in templates:
        by_app.setdefault(apps.get(file, file), []).append(file)
    parts: list[list[str]] = []
    for app in sorted(by_app, key=lambda a: min(by_app[a])):
        own: list[list[str]] = []
        for file in by_app[app]:
            _first_fit(own, [file], clash)
        parts += own
    deployments: list[list[str]] = []
    for part in parts:
        _first_fit(deployments, part, clash)
    return [sorted(d) for d in deployments]


def _first_fit(bins: list[list[str]], item: list[str], clash) -> None:
    for held in bins:
        if not clash(held, item):
            held.extend(item)
            return
    bins.append(list(item))


def conflict_pairs(inventory: Inventory) -> set[frozenset[str]]:
    """Pairs of files that create one physical name."""
    pairs = set()
    for found in inventory.conflicts.values():
        files = sorted({at.file for at in found})
        pairs |= {frozenset((a, b)) for i, a in enumerate(files) for b in files[i + 1:]}
    return pairs


def roots_of(paths: list[str]) -> list[str]:
    """The directories a walk starts from: applications are looked for up to them."""
    return [p for p in paths if os.path.isdir(p)]


@dataclass
class Prepared:
    """Inputs read and loaded once as one model, before they are split into deployments."""

    documents: list  # (file, kind, document) of every input that loaded
    inventory: Inventory  # all of them as one model: used as is when nothing conflicts
    templates: list[str]  # template and plan files, in path order
    applications: dict[str, str]
    conflicts: set[frozenset[str]]


def prepare(paths: list[str], options, progress=None, *, errors: list[InputError] | None = None) -> Prepared:
    """Read every input under `paths` and load it as one model, recording conflicts; errors as
    `inputs.load_inventory` treats them (with `errors`, one bad file does not stop the rest)."""

    documents = inputs.read_inputs(paths, progress, errors=errors)
    inventory, good = inputs.load_documents(documents, options, errors, paths)
    if progress:
        progress("", len(documents), len(documents))
    templates = [(file, document) for file, kind, document in good if kind in inputs.TEMPLATE_KINDS]
    return Prepared(good, inventory, [f for f, _ in templates], applications(templates, roots_of(paths)),
                    conflict_pairs(inventory))


def split(prepared: Prepared, options, groups: list[list[str]], *,
          errors: list[InputError] | None = None) -> list[Deployment]:
    """One deployment per group of template files, each with every input that is no template.
    A group may hold files `prepared` does not have (`diff` groups both sides alike): it is the
    deployment without them; one without any template is the snapshots alone."""

    if len(groups) == 1 and set(groups[0]) >= set(prepared.templates):
        return [Deployment(1, tuple(prepared.templates), prepared.inventory, prepared.applications)]
    shared = [d for d in prepared.documents if d[1] not in inputs.TEMPLATE_KINDS]
    out = []
    for number, files in enumerate(groups, 1):
        chosen = set(files)
        found: list[InputError] = []
        part, _ = inputs.load_documents(shared + [d for d in prepared.documents if d[0] in chosen], options,
                                 None if errors is None else found, [])
        if part.conflicts:  # grouping keeps conflicting files apart: this would be a bug, refuse
            raise inputs.conflict_error(part)
        if errors is not None:
            errors.extend(e for e in found if str(e) not in {str(x) for x in errors})
        held = tuple(f for f in prepared.templates if f in chosen)
        out.append(Deployment(number, held, part, prepared.applications, len(groups)))
    return out


def groups_of(*prepared: Prepared) -> list[list[str]]:
    """The deployments of one or more preparations of the same files (both sides of `diff`):
    grouped by every conflict either side has, so that deployment N is the same on each."""
    templates = sorted({f for p in prepared for f in p.templates})
    apps = {file: app for p in prepared for file, app in p.applications.items()}
    conflicts = set().union(*(p.conflicts for p in prepared))
    return group(templates, apps, conflicts) if conflicts else [templates]


def load_deployments(paths: list[str], options, progress=None, *,
                     errors: list[InputError] | None = None) -> list[Deployment]:
    """Every input under `paths`, as deployments (see the module docstring)."""
    prepared = prepare(paths, options, progress, errors=errors)
    return split(prepared, options, groups_of(prepared), errors=errors)
