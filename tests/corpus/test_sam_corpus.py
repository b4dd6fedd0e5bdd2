"""permcheck's SAM expansion against the official SAM transform, on SAM's own test corpus.

tests/data/corpus/sam-translator/tests/translator holds 830 SAM inputs with the CloudFormation
the official transform produced (region ap-southeast-1, parameters param1=value1 and
param2=value2; `error_*` outputs carry the transform's errorMessage; see SOURCE.md).
For each input, permcheck's model is built twice — from the SAM input (through permcheck's
expander) and from the expected CloudFormation output — and per function logical id we
require the same:

- resource-policy statements (principal, action, resource incl. alias qualifier, conditions
  normalised to operator, lower-cased key, values as strings);
- execution-role identity statements (effect, actions, resources, conditions), managed
  policies that are not in permcheck's catalog by name, and the permissions boundary.

Symbolic values compare by their string form (with the file path taken out). An input the
transform rejects must give a clean `InputError`, never a traceback. Most inputs omit
`Transform` (upstream calls the translator directly), so a scratch copy declares it; outputs
that upstream wrote with intrinsic arguments sorted are put back in order (`expected_output`).
Where the expected output is itself invalid CloudFormation, permcheck must reject the input for
the same reason. Inputs that disagree are
listed in KNOWN with a reason category; the test fails on any new disagreement, on a crash, and
if the agreement count drops below AGREEMENT.

Run `python tests/corpus/test_sam_corpus.py [NAME...]` to see the comparison in detail.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from permcheck.load.inputs import Options, load_inventory
from permcheck.model.location import InputError

OPTIONS = Options(account="123456789012", region="ap-southeast-1",
                  parameters={"param1": "value1", "param2": "value2"})
ROOT = Path("sam-translator/tests/translator")

#: The number of corpus inputs on which permcheck agrees with the official transform (of 830:
#: 543 that transform and 287 that SAM rejects). The test fails if fewer agree.
AGREEMENT = 812

_INVALID_OUTPUT = ("expected output is not valid CloudFormation: ")
_API_DEFINITION = ("SAM rejects, permcheck accepts: a check inside an inline OpenAPI/Swagger definition that "
                   "permcheck does not repeat (the definition grants nothing): ")
_SAR = ("SAM rejects, permcheck accepts: needs the Serverless Application Repository (mocked upstream; "
        "permcheck makes no network call): ")

#: Inputs where permcheck and the official transform disagree, with the reason (its category
#: is the text before the first colon).
KNOWN: dict[str, str] = {
    "connector_rule_to_sfn": _INVALID_OUTPUT + "the state machine definition names a function the template does "
                             "not define; permcheck's expansion does not copy the definition (it grants nothing)",
    "connector_sfn_to_function": _INVALID_OUTPUT + "the state machine definition names a function the template "
                                 "does not define; permcheck's expansion does not copy the definition",
    "schema_validation_1": _INVALID_OUTPUT + "a tag uses ${StackTagName}, which no parameter defines; permcheck's "
                           "expansion does not copy tags",
    "function_with_event_dest_conditional": _INVALID_OUTPUT + "SAM writes `Condition: {Condition: X}` inside the "
                                            "Fn::And it generates for a conditional destination; permcheck writes "
                                            "the valid `{Condition: X}`",
    "error_application_does_not_exist": _SAR + "application 'non-existent'",
    "error_application_no_access": _SAR + "applications 'no-access', 'invalid-semver', ...",
    "error_application_preparing_timeout": _SAR + "the application's template never becomes ACTIVE",
    "error_function_no_codeuri": "SAM rejects, permcheck accepts: a function without CodeUri or InlineCode has the "
                                 "code the SAM CLI packages, the template's folder (the translator only sees templates "
                                 "after `sam package`; cfn-lint reads them the same way)",
    "error_intrinsic_sub_with_list": "SAM rejects, permcheck accepts: a parameter with a list Default used in an "
                                     "API resource policy, which permcheck does not evaluate (it is not a Lambda "
                                     "or IAM grant)",
    "error_api_invalid_endpoint_configuration": _API_DEFINITION + "x-amazon-apigateway-endpoint-configuration",
    "error_api_invalid_endpoint_configuration_openapi_3": _API_DEFINITION + "servers[0] endpoint configuration",
    "error_api_invalid_openapi_path_with_invalid_responses": _API_DEFINITION + "CORS options response headers",
    "error_api_invalid_openapi_path_with_string_responses": _API_DEFINITION + "CORS options responses",
    "error_http_api_null_method": _API_DEFINITION + "a null method definition",
    "error_implicit_http_api_auth_any_method": _API_DEFINITION + "an any-method route SAM looks for",
    "error_invalid_method_definition": _API_DEFINITION + "a method definition that is not a map",
    "error_null_method_definition": _API_DEFINITION + "a null method definition",
    "error_swagger_security_not_dict": _API_DEFINITION + "a security requirement that is not a map",
}


# -- comparison ------------------------------------------------------------------------------------
def _text(value: object, paths: tuple[str, ...]) -> str:
    text = str(value)
    for path in paths:
        text = text.replace(f" in {path}", "").replace(path, "<file>")
    return text


def _statement_key(s, paths) -> tuple:
    conditions = tuple(sorted((c.operator, c.key.lower(), tuple(sorted(_text(v, paths) for v in c.values)))
                              for c in s.conditions))
    principals = tuple(sorted(_text(p.value, paths) for p in s.principals)) if s.principals is not None else None
    resources = tuple(sorted(_text(r, paths) for r in s.resources)) if s.resources is not None else None
    return (s.effect.value, principals, s.not_principal, tuple(sorted(_text(a, paths) for a in s.actions)),
            s.not_action, resources, s.not_resource, conditions)


def model(path: Path) -> dict:
    """{function logical id: {"invoke": set, "role": set}} for one template."""
    inventory = load_inventory([str(path)], OPTIONS)
    paths = (str(path),)
    functions = {f.logical_id: f for f in inventory.functions.values() if f.logical_id}
    arns = {logical_id: str(f.arn) for logical_id, f in functions.items()}
    out: dict = {logical_id: {"invoke": set(), "role": set()} for logical_id in functions}
    for function in inventory.functions.values():
        if function.policy is None:
            continue
        for statement in function.policy.statements:
            for resource in statement.resources or ():
                text = str(resource)
                owner = next((i for i, arn in arns.items() if text == arn or text.startswith(arn + ":")), None)
                if owner is not None:
                    out[owner]["invoke"].add(_statement_key(statement, paths))
        if function.policy.unknown is not None and function.logical_id:
            out[function.logical_id]["invoke"].add(("unknown policy", _text(function.policy.unknown, paths)))
    for logical_id, function in functions.items():
        role = inventory.roles.get(str(function.role)) if function.role is not None else None
        entries = out[logical_id]["role"]
        if role is None:
            entries.add(("role outside the template", _text(function.role, paths)))
            continue
        for policy in role.policies:
            if policy.unknown is not None or policy.error is not None:
                entries.add(("unknown policy", _text(policy.arn or policy.name, paths)))
            for statement in policy.statements:
                entries.add(_statement_key(statement, paths))
        if role.boundary is not None:
            entries.add(("boundary", _text(role.boundary.arn or role.boundary.name, paths)))
    return out


SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def sam_input(source: Path, scratch: Path) -> Path:
    """The input as a SAM template: most corpus inputs omit `Transform` (the translator is called
    directly upstream); permcheck recognises SAM by it, so a copy declares it (lines unchanged)."""
    text = source.read_text()
    if re.search(r"^Transform:\s*(" + re.escape(SAM_TRANSFORM) + r"\s*$|\n)", text, re.M):
        return source
    if re.search(r"^Transform:", text, re.M):
        text = re.sub(r"^Transform:.*$", f"Transform: {SAM_TRANSFORM}", text, count=1, flags=re.M)
    else:
        text = text.rstrip("\n") + f"\nTransform: {SAM_TRANSFORM}\n"
    copy = scratch / source.name
    copy.write_text(text)
    return copy


def expected_output(path: Path, document: dict, scratch: Path) -> Path:
    """The expected output with intrinsic arguments put back in order (`Fn::GetAtt: [Attribute, Id]`,
    `Fn::Sub: [{variables}, string]`, `Fn::Join: [[values], delimiter]`): upstream compares outputs
    after deep-sorting every list, and some output files were written sorted."""
    resources = document.get("Resources", {})
    changed = False

    def fix(node):
        nonlocal changed
        if isinstance(node, dict):
            att = node.get("Fn::GetAtt")
            if len(node) == 1 and isinstance(att, list) and len(att) == 2 and att[0] not in resources \
                    and att[1] in resources:
                changed = True
                return {"Fn::GetAtt": [att[1], att[0]]}
            for key, first in (("Fn::Sub", dict), ("Fn::Join", list)):
                args = node.get(key)
                if len(node) == 1 and isinstance(args, list) and len(args) == 2 and isinstance(args[0], first) \
                        and isinstance(args[1], str):
                    changed = True
                    return {key: [args[1], fix(args[0])]}
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node
    fixed = fix(document)
    if not changed:
        return path
    copy = scratch / f"expected-{path.name}"
    copy.write_text(json.dumps(fixed))
    return copy


def compare(base: Path, name: str, scratch: Path) -> tuple[bool, str]:
    """(agrees, what happened) for one corpus input."""
    source = sam_input(base / "input" / f"{name}.yaml", scratch)
    expected_path = base / "output" / f"{name}.json"
    expected_doc = json.loads(expected_path.read_text())
    if "errorMessage" in expected_doc:
        try:
            load_inventory([str(source)], OPTIONS)
        except InputError as error:
            if "bug in permcheck" in error.message:
                raise
            return True, f"rejected as SAM does: {error.message[:160]}"
        return False, "SAM rejects it, permcheck accepts it: " + expected_doc["errorMessage"][:300]
    try:
        expected = model(expected_output(expected_path, expected_doc, scratch))
    except InputError as error:
        expected = error
    try:
        actual = model(source)
    except InputError as error:
        if "bug in permcheck" in error.message:
            raise
        if isinstance(expected, InputError):
            if _text(error.message, (str(source),)) == _text(expected.message, (str(expected_path),)):
                return True, f"both rejected, for the same reason (the expected output is not valid CloudFormation " \
                             f"either): {error.message}"
            return False, f"both rejected, for different reasons: {error.message} / {expected.message}"
        return False, f"permcheck rejects it: {error}"
    if isinstance(expected, InputError):
        return False, f"expected output does not load in permcheck ({expected}); the input does"
    problems = []
    for logical_id in sorted(set(expected) | set(actual)):
        if logical_id not in actual:
            problems.append(f"{logical_id}: function missing")
            continue
        if logical_id not in expected:
            problems.append(f"{logical_id}: extra function")
            continue
        for part in ("invoke", "role"):
            missing = expected[logical_id][part] - actual[logical_id][part]
            extra = actual[logical_id][part] - expected[logical_id][part]
            if missing or extra:
                problems.append(f"{logical_id} {part}: missing {sorted(map(str, missing))[:3]} "
                                f"extra {sorted(map(str, extra))[:3]}")
    if problems:
        return False, "; ".join(problems)
    return True, "same grants"


def names(base: Path) -> list[str]:
    return sorted(p.stem for p in (base / "input").glob("*.yaml") if (base / "output" / f"{p.stem}.json").exists())


# -- the test ----------------------------------------------------------------------------------------
def run(base: Path, scratch: Path) -> tuple[int, dict[str, str], dict[str, str]]:
    agree, disagree, crashes = 0, {}, {}
    for name in names(base):
        try:
            ok, what = compare(base, name, scratch)
        except Exception as error:  # noqa: BLE001 - a traceback is exactly what this test forbids
            crashes[name] = f"{type(error).__name__}: {error}"
            continue
        if ok:
            agree += 1
        else:
            disagree[name] = what
    return agree, disagree, crashes


def test_sam_corpus_agrees_with_the_official_transform(corpus, tmp_path, monkeypatch):
    """permcheck's own expansion alone (the official translator is not asked, even when installed)."""
    from permcheck.load.sam import official as sam_official
    monkeypatch.setattr(sam_official, "available", lambda: False)
    base = corpus / ROOT
    if not (base / "input").is_dir():
        pytest.skip("the SAM translator corpus is not present")
    agree, disagree, crashes = run(base, tmp_path)
    total = len(names(base))
    categories = Counter(KNOWN[n].split(":")[0] for n in disagree if n in KNOWN)
    print(f"\nSAM corpus: {agree}/{total} agree ({100 * agree / total:.1f}%); disagreements by reason: "
          + ", ".join(f"{k} {v}" for k, v in categories.most_common()))
    assert not crashes, f"tracebacks: {crashes}"
    new = {n: w for n, w in disagree.items() if n not in KNOWN}
    assert not new, f"new disagreements: {new}"
    assert agree >= AGREEMENT


#: The official translator (the `sam` extra's aws-sam-translator, run offline as sam_official.py runs it:
#: local artifacts and Serverless Application Repository locations become placeholders) on the same
#: corpus, every input forced through it. The test fails if fewer agree.
OFFICIAL_AGREEMENT = 820
_PLACEHOLDER = "SAM rejects, the official path accepts: the check needs the Serverless Application Repository, which " \
               "runs offline with a placeholder location (as cfn-lint runs it): "
#: Where the official path and the expected outputs (of aws-sam-translator 1.110.0) may disagree.
KNOWN_OFFICIAL: dict[str, str] = {
    **{name: _PLACEHOLDER + name for name in (
        "error_application_does_not_exist", "error_application_no_access", "error_application_preparing_timeout",
        "error_invalid_document_empty_semantic_version", "error_invalid_findinmap",
        "error_invalid_mapping_by_findinmap", "error_null_application_id", "error_sar_with_dynamic_reference")},
    "error_function_no_codeuri": KNOWN["error_function_no_codeuri"],
    "self_managed_kafka_with_SERVER_ROOT_CA_CERTIFICATE_and_auth_mechanism":
        "newer translator: aws-sam-translator after 1.110.0 also lets the function read the root CA secret",
}


def test_sam_corpus_through_the_official_translator(corpus, tmp_path, monkeypatch):
    """Both paths on the whole corpus: the fallback is held to the same expected outputs."""
    pytest.importorskip("samtranslator", reason="aws-sam-translator is not installed (pip install -e '.[test]')")
    from permcheck.load.sam import expand as sam
    from permcheck.load.sam import official as sam_official
    from permcheck.load.sam.core import Unsupported

    def official(*_args, **_kwargs):
        raise Unsupported(None, "every construct (test: the official path)")
    monkeypatch.setattr(sam, "_expand", official)
    monkeypatch.setattr(sam_official, "available", lambda: True)
    base = corpus / ROOT
    agree, disagree, crashes = run(base, tmp_path)
    print(f"\nSAM corpus through the official translator: {agree}/{len(names(base))} agree")
    assert not crashes, f"tracebacks: {crashes}"
    new = {n: w for n, w in disagree.items() if n not in KNOWN_OFFICIAL}
    assert not new, f"new disagreements: {new}"
    assert agree >= OFFICIAL_AGREEMENT


if __name__ == "__main__":
    from tests.conftest import CORPUS

    BASE = CORPUS / ROOT
    selected = sys.argv[1:] or names(BASE)
    counts: Counter = Counter()
    SCRATCH = Path(tempfile.mkdtemp())
    for item in selected:
        try:
            ok, what = compare(BASE, item, SCRATCH)
        except Exception as error:  # noqa: BLE001
            ok, what = False, f"CRASH {type(error).__name__}: {error}"
        counts["agree" if ok else "disagree"] += 1
        if not ok or len(selected) == 1:
            print(f"{'OK ' if ok else 'BAD'} {item}: {what}")
    print(dict(counts))
