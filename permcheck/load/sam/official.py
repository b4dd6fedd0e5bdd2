"""Fallback: the official SAM transform, for SAM constructs permcheck's own expander does not know.

Used only when a template names something SAM 1.110.0 (whose behaviour permcheck's expander
follows) does not define — a newer resource type, event type or policy template — and the
optional `aws-sam-translator` package is installed. It runs offline the way cfn-lint runs it:
local `CodeUri`/`ContentUri`/`DefinitionUri` paths and Serverless Application Repository
locations become placeholder S3 URIs (nothing is uploaded or fetched), managed policy names
map through SAM's bundled map (permcheck's vendored copy), and no AWS call is made.

The transform's output has no lines; each generated resource is pointed at the SAM resource
(or its `Events` entry) whose logical id it was named after, and noted "created by SAM".
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import os
from typing import Any

from permcheck.load.source_notes import SOURCE_NOTE
from permcheck.load.nodes import LineDict, line_of
from permcheck.load.read_log import note_tool
from permcheck.load.sam.core import SamError, key_line, node, plain
from permcheck.model.location import InputError, Location

PLACEHOLDER = "s3://permcheck-placeholder/local-artifact"


TOOL = "aws-sam-translator"  # its distribution name: what `installed_version` asks for


def available() -> bool:
    return importlib.util.find_spec("samtranslator") is not None


def installed_version() -> str | None:
    """The installed translator's version, without importing it (its import costs 0.7 s)."""
    from importlib import metadata

    try:
        return metadata.version(TOOL)
    except metadata.PackageNotFoundError:
        return None


class _Session:
    """What the translator asks of a boto3 session: the region (no credentials, no calls)."""

    def __init__(self, region: str) -> None:
        self.region_name = region


def translate(file: str, template: LineDict, deployment: Any, parameters: dict[str, str]) -> LineDict:
    from permcheck.model.sam_data import managed_policy_map
    try:
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
    except Exception as error:  # noqa: BLE001 - a broken optional install must not be a traceback
        raise InputError(Location(file, line_of(template, 1)),
                         f"the official SAM translator could not be loaded: {error}") from None
    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)  # stderr is for permcheck's one error line
    note_tool(TOOL, installed_version() or "")  # a cached model made by this translator is only good for this version
    document = copy.deepcopy(plain(template))
    _placeholders(document)
    os.environ.setdefault("AWS_DEFAULT_REGION", deployment.region)
    translator = Translator(managed_policy_map().get(deployment.partition, {}), Parser(),
                            boto_session=_Session(deployment.region))
    try:
        output = translator.translate(sam_template=document, parameter_values=dict(parameters))
    except InvalidDocumentException as error:
        messages = " ".join(cause.message for cause in error.causes)
        raise SamError(Location(file, line_of(template, 1)), f"SAM transform error: {messages}") from None
    except Exception as error:  # noqa: BLE001 - the translator's own failure is reported, not raised
        raise InputError(Location(file, line_of(template, 1)),
                         f"the official SAM translator failed on this template: {error}") from None
    finally:
        try:
            translator.metrics.publish()  # else its destructor prints "There are unpublished metrics"
        except Exception:  # noqa: BLE001, S110 - metrics are the translator's bookkeeping, not ours
            pass
    return _with_lines(template, output)


def _placeholders(document: dict) -> None:
    """cfn-lint's _replace_local_codeuri: what `sam package` would have uploaded."""
    resources = document.get("Resources") if isinstance(document.get("Resources"), dict) else {}
    function_globals = (document.get("Globals") or {}).get("Function") if isinstance(document.get("Globals"),
                                                                                      dict) else None
    if isinstance(function_globals, dict):
        _local(function_globals, "CodeUri")
    for res in resources.values():
        props = res.get("Properties") if isinstance(res, dict) else None
        if not isinstance(props, dict):
            continue
        rtype = res.get("Type")
        if rtype == "AWS::Serverless::Function":
            _function_code(props, res.get("Metadata"), function_globals)
        elif rtype == "AWS::Serverless::LayerVersion":
            _local(props, "ContentUri")
        elif rtype in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::StateMachine"):
            _local(props, "DefinitionUri")
        elif rtype == "AWS::Serverless::Application" and isinstance(props.get("Location"), dict):
            props["Location"] = PLACEHOLDER  # no Serverless Application Repository call
        elif rtype == "AWS::Serverless::Application":
            _local(props, "Location")


def _function_code(props: dict, metadata: Any, function_globals: Any) -> None:
    """The code the SAM CLI packages: a local path, or what a template leaves out (the template's
    folder for a Zip function; the image `sam build` builds from `Metadata`), as sam_function._code reads it."""
    from permcheck.load.sam.function import built_image
    if props.get("PackageType") == "Image":
        if props.get("ImageUri") is None and built_image(metadata):
            props["ImageUri"] = PLACEHOLDER
        _local(props, "ImageUri")
        return
    inherited = isinstance(function_globals, dict) and function_globals.get("CodeUri") is not None
    if props.get("CodeUri") is None and props.get("InlineCode") is None and not inherited:
        props["CodeUri"] = PLACEHOLDER
    _local(props, "CodeUri")


def _local(props: dict, key: str) -> None:
    value = props.get(key)
    if isinstance(value, str) and "://" not in value:
        props[key] = PLACEHOLDER


def _with_lines(template: LineDict, output: dict) -> LineDict:
    resources = template.get("Resources", {})
    lines = {logical_id: key_line(resources, logical_id) for logical_id in resources}
    sam_ids = sorted((i for i, r in resources.items() if isinstance(r, dict)
                      and str(r.get("Type", "")).startswith("AWS::Serverless::")), key=len, reverse=True)
    out = LineDict(line=line_of(template), key_lines=dict(getattr(template, "key_lines", {})))
    for key, value in output.items():
        out[key] = template[key] if key in template and key != "Resources" and plain(template[key]) == value \
            else node(value, line_of(template))
    generated = LineDict(line=line_of(resources), key_lines={})
    for logical_id, res in output.get("Resources", {}).items():
        original = resources.get(logical_id)
        if isinstance(original, dict) and not str(original.get("Type", "")).startswith("AWS::Serverless::") \
                and plain(original) == res:
            generated[logical_id] = original
            generated.key_lines[logical_id] = lines.get(logical_id)
            continue
        owner = next((i for i in sam_ids if logical_id.startswith(i)), None)
        line, where = lines.get(logical_id), logical_id
        if owner is not None:
            line, where = lines.get(owner), owner
            props = resources[owner].get("Properties")
            events = props.get("Events") if isinstance(props, dict) else None
            rest = logical_id[len(owner):]
            for name in sorted(events or {}, key=len, reverse=True):
                if rest.startswith(name):
                    line, where = key_line(events, name, line), f"{owner}.Events.{name}"
                    break
        converted = node(res, line)
        converted[SOURCE_NOTE] = f"created by SAM (official transform): {where}"
        generated[logical_id] = converted
        generated.key_lines[logical_id] = line
    out["Resources"] = generated
    return out
