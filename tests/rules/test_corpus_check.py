"""`permcheck check` on every file of the corpus: never a crash, never a failed rule.

Every JSON/YAML file of every folder (cfn-nag, cfripper, checkov, cloudsplaining, politest, and
the sam-translator inputs and outputs) goes through `permcheck check --format json`, one file
per run, in-process:

- no sign of a bug (a traceback, `internal error: …`, "bug in permcheck") and no rule that failed at
  run time (the document's `errors`);
- a file of real-sam (whole applications) that permcheck refuses is one cfn-lint rejects too, by
  real-sam/CFN-LINT.md (tests/corpus/test_real_sam.py);
- an input permcheck reads (a template, snapshot, plan or policy document) is analysed: exit 0
  or 1, nothing on stderr — unless it is a template CloudFormation or SAM would reject too:
  a SAM translator test input (upstream calls the translator directly, so most have no
  `Transform`, and `error_*` ones are rejected by SAM), or one of REFUSED below, each with the
  error it must give and why;
- anything else (scanners' expectation files, politest scenarios, files that are not JSON or
  YAML at all) is refused with one clean line, `permcheck: error: FILE…`, exit 2.

The finding counts by rule are printed (`pytest -s`; `python tools/corpus_finding_counts.py`
prints the README's table). The whole corpus (~2,000 files) takes ~30–40 s on the project's
2-core machine, so CI runs every scanner, cloudsplaining and politest file and a fixed quarter
of the sam-translator files (chosen by a hash of the path, so the sample does not shift when
files are added); `PERMCHECK_CORPUS_FULL=1` runs them all.

The corpus is tests/data/corpus (see its README.md).
"""

from __future__ import annotations

import os
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli_helpers import bug_signs, run

SUFFIXES = (".json", ".yaml", ".yml", ".template")
SAM = "sam-translator/tests/translator/"
FULL = bool(os.environ.get("PERMCHECK_CORPUS_FULL"))

_UNDEFINED = "the template refers to a resource or parameter it does not define: CloudFormation rejects it"
_JOIN = "Fn::Join with six arguments (the YAML writes the joined lines as items of Fn::Join): CloudFormation rejects it"
_SAM_SAME = "rejected as its expected output is (see the output's entry): "

#: Templates permcheck refuses, with a text its one-line error must contain and why that is right.
REFUSED: dict[str, tuple[str, str]] = {
    "cfn-nag/spec/test_templates/yaml/iam_role/embedded_sub.yml":
        ("a condition must be", "`Conditions: {Internal: true}`: a condition must be an Fn::Equals/And/Or/Not"),
    **{f"cfn-nag/spec/test_templates/yaml/lambda_function/{name}.yaml": ("Fn::Join needs", _JOIN)
       for name in ("lambda_with_cloudwatch_logs_managed_policy", "lambda_with_cloudwatch_logs_permission",
                    "lambda_with_lambda_basic_managed_policy", "lambda_with_managed_policies",
                    "lambda_with_other_managed_policies", "lambda_with_role_elsewhere",
                    "lambda_without_cloudwatch_logs_permission")},
    "cfn-nag/spec/test_templates/yaml/s3/bucket_with_no_policy.yml": ("named PreviousLifeCycle", _UNDEFINED),
    "cfn-nag/spec/test_templates/yaml/s3/bucket_with_non_literal_policy.yml": ("named hello", _UNDEFINED),
    "cfripper/tests/test_templates/rules/PartialWildcardPrincipalRule/aws_elb_template.yml":
        ("named BrokerLoadBalancerAccessLogBucket", _UNDEFINED),
    "cfripper/tests/test_templates/rules/PartialWildcardPrincipalRule/intra_account_root_access.yml":
        ("named AccLoadBalancerAccessLogBucket", _UNDEFINED),
    "cfripper/tests/test_templates/rules/PrivilegeEscalationRule/privilege_escalation_s3_bucket_policy.yaml":
        ("named SomeS3Bucket", _UNDEFINED),
    **{f"cfripper/tests/test_templates/rules/WildcardResourceRule/{name}.json": ("named RootRole", _UNDEFINED)
       for name in ("iam_policy_with_wildcard_resource_and_wildcard_action",
                    "iam_policy_with_wildcard_resource_and_wildcard_action_and_condition",
                    "iam_policy_with_wildcard_resource_and_wildcard_action_without_policy_name",
                    "iam_policy_with_wildcard_resource_without_policy_name",
                    "multiple_resources_with_wildcard_resources", "policy_with_s3_wildcard_and_all_buckets")},
    "checkov/tests/cloudformation/checks/resource/aws/example_IAMStarActionPolicyDocument/cfn_bad_iam_pass.yaml":
        ("cCondition is not defined", "Fn::If names a condition the template does not define"),
    "checkov/tests/cloudformation/checks/resource/aws/example_LambdaEnvironmentCredentials/PASS.yaml":
        ("named MySuperCoolFortyCharLongStateMachineeeee", _UNDEFINED),
    "checkov/tests/cloudformation/checks/resource/aws/example_LambdaEnvironmentCredentials/PASS2.yaml":
        ("LambdaExecutionRole is not a resource", _UNDEFINED),
    "checkov/tests/cloudformation/graph/checks/resources/LambdaOpenCorsPolicy/template.yaml":
        ("has no TargetFunctionArn", "an AWS::Lambda::Url without its required TargetFunctionArn"),
    # The translator's expected outputs for partial upstream test inputs (tests/corpus/test_sam_corpus.py
    # compares the SAM expansion with them, input by input).
    **{f"{SAM}output/{name}.json": (fragment, _UNDEFINED) for name, fragment in (
        ("api_with_security_definition_and_none_components", "target Arn is not a resource"),
        ("connector_bucket_to_function", "target InvokedFunction is not a resource"),
        ("connector_dependson_replace", "named SomeRole"),
        ("connector_esm_dependson", "named SomeRole"),
        ("connector_function_to_sqs", "named MyTable"),
        ("connector_hardcoded_lambda_arn", "target SomeLambda is not a resource"),
        ("connector_rule_to_sfn", "target StateMachineFunction is not a resource"),
        ("connector_sfn_to_function", "target StateMachineFunction is not a resource"),
        ("connector_sns_to_function", "named MyTable"),
        ("http_api_custom_iam_auth", "target Arn is not a resource"),
        ("http_api_global_iam_auth_enabled", "target Arn is not a resource"),
        ("http_api_local_iam_auth_enabled", "target Arn is not a resource"),
        ("schema_validation_1", "named StackTagName"))},
    f"{SAM}output/connector_hardcoded_props.json": ("condition True is not defined", "an undefined condition"),
    f"{SAM}output/function_policy_with_conditional_managed_policy_name.json":
        ("a condition must be", "a condition that is not an Fn::Equals/And/Or/Not"),
    f"{SAM}output/function_with_event_dest_basic.json": ("SomeCondition is not defined", "an undefined condition"),
    f"{SAM}output/function_with_event_dest_conditional.json":
        ("is not defined in Conditions", "SAM writes `Condition: {Condition: X}` inside Fn::And (invalid)"),
    f"{SAM}output/intrinsic_functions.json": ("Fn::Ref is not", "`Fn::Ref` is not an intrinsic function"),
    f"{SAM}output/resource_with_invalid_type.json": ("has no Type", "a resource without Type"),
    f"{SAM}output/unsupported_resources.json": ("has no Type", "a resource without Type"),
    f"{SAM}input/connector_dependson_replace.yaml": ("named SomeRole", _SAM_SAME + _UNDEFINED),
    f"{SAM}input/connector_hardcoded_props.yaml": ("condition True is not defined", _SAM_SAME + "undefined condition"),
    f"{SAM}input/function_policy_with_conditional_managed_policy_name.yaml":
        ("a condition must be", _SAM_SAME + "a condition that is not an Fn::Equals/And/Or/Not"),
    f"{SAM}input/resource_with_invalid_type.yaml": ("has no Type", _SAM_SAME + "a resource without Type"),
    f"{SAM}input/unsupported_resources.yaml": ("has no Type", _SAM_SAME + "a resource without Type"),
}


@dataclass
class Survey:
    """What `check` did over a set of corpus files."""

    files: int = 0
    outcomes: Counter = field(default_factory=Counter)  # analysed, refused: <why>
    findings: Counter = field(default_factory=Counter)  # rule id → findings
    by_folder: Counter = field(default_factory=Counter)  # (folder, rule id) → findings
    problems: list[str] = field(default_factory=list)


def corpus_files(corpus: Path, *, full: bool = True) -> list[Path]:
    """The corpus's JSON/YAML files, sorted; without `full`, a fixed quarter of the sam-translator ones."""
    files = sorted(p for p in corpus.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    if full:
        return files
    return [p for p in files if not _relative(corpus, p).startswith(SAM)
            or zlib.crc32(_relative(corpus, p).encode()) % 4 == 0]


def _relative(corpus: Path, path: Path) -> str:
    return path.relative_to(corpus).as_posix()


def _kind(path: Path) -> str | None:
    """What permcheck reads the file as ("unreadable" when it is not JSON/YAML it accepts)."""
    from permcheck.load.decode import read_file
    from permcheck.load.inputs import kind_of
    from permcheck.model.location import InputError

    try:
        return kind_of(read_file(str(path)))
    except InputError:
        return "unreadable"


def _may_refuse(relative: str, kind: str | None, message: str) -> str | None:
    """Why permcheck may refuse this file (None: it must analyse it)."""
    if kind is None:
        return "not an input"
    if relative.startswith("real-sam/"):  # whole applications: refused only where cfn-lint rejects too
        from tests.corpus.test_real_sam import cfn_lint_table
        verdict = cfn_lint_table().get(relative.removeprefix("real-sam/"), ("not in CFN-LINT.md", ""))[0]
        return "cfn-lint rejects it too" if verdict == "rejected" else None
    if kind == "unreadable":
        return "unreadable"
    if relative in REFUSED:
        return "invalid template (listed)"
    if relative.startswith(f"{SAM}input/"):
        if Path(relative).name.startswith("error_"):
            return "SAM rejects it (error_* input)"
        if "but the template has no Transform" in message:
            return "SAM input without Transform"
    return None


def survey(corpus: Path, files: list[Path], config: Path) -> Survey:
    """Run `check` on each file and hold every outcome against the rules of this module."""
    out = Survey()
    for path in files:
        relative = _relative(corpus, path)
        folder = relative.split("/", 1)[0]
        out.files += 1
        result = run("check", "--format", "json", "--config", str(config), str(path))
        lines = result.err.strip().splitlines()
        if bug_signs(result.err + result.out):
            out.problems.append(f"{relative}: {result.err.strip()}")
            continue
        if result.code == 2:
            why = _may_refuse(relative, _kind(path), result.err)
            if why is None:
                out.problems.append(f"{relative}: refused, but it is a valid input: {result.err.strip()}")
            elif len(lines) != 1 or not lines[0].startswith(f"permcheck: error: {path}"):
                out.problems.append(f"{relative}: not one clean `permcheck: error: FILE…` line: {result.err!r}")
            elif relative in REFUSED and REFUSED[relative][0] not in lines[0]:
                out.problems.append(f"{relative}: refused for another reason than {REFUSED[relative][0]!r}: {lines[0]}")
            out.outcomes[f"refused: {why}"] += 1
            continue
        if result.code not in (0, 1) or result.err.strip():
            out.problems.append(f"{relative}: exit {result.code}, stderr {result.err.strip()!r}")
            continue
        if relative in REFUSED:
            out.problems.append(f"{relative}: analysed, but it should be refused ({REFUSED[relative][1]})")
        document = result.json()
        if document["errors"]:
            out.problems.append(f"{relative}: a rule failed: {document['errors']}")
        out.outcomes["analysed"] += 1
        for finding in document["findings"]:
            out.findings[finding["rule"]] += 1
            out.by_folder[(folder, finding["rule"])] += 1
    return out


def table(result: Survey) -> str:
    """The finding counts by rule (all rules in force, zeros included), as a markdown table."""
    from permcheck.rules.registry import load_rules

    folders = sorted({f for f, _ in result.by_folder})
    lines = ["| rule | findings | " + " | ".join(folders) + " |", "|---|---:|" + "---:|" * len(folders)]
    for rule in sorted((r.id for r in load_rules()), key=lambda r: (-result.findings[r], r)):
        cells = " | ".join(str(result.by_folder[(f, rule)]) for f in folders)
        lines.append(f"| `{rule}` | {result.findings[rule]} | {cells} |")
    lines.append(f"| **all** | {sum(result.findings.values())} | "
                 + " | ".join(str(sum(n for (f, _), n in result.by_folder.items() if f == folder)) for folder in folders)
                 + " |")
    return "\n".join(lines)


@pytest.fixture
def config(tmp_path) -> Path:
    """An empty configuration: no .permcheck.toml or pyproject.toml around changes the answers."""
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    return path


def test_check_runs_cleanly_on_every_corpus_file(corpus_tree, config):
    files = [p for p in corpus_files(corpus_tree.root, full=FULL)
             if _relative(corpus_tree.root, p).split("/", 1)[0] in corpus_tree.folders]
    result = survey(corpus_tree.root, files, config)
    print(f"\ncorpus: {result.files} files ({'all' if FULL else 'CI sample'}): "
          f"{dict(sorted(result.outcomes.items()))}")
    print(table(result))
    assert not result.problems, "\n".join(result.problems)
    assert result.outcomes["analysed"] >= (880 if FULL else 400)
    assert result.findings["wildcard-action"] and result.findings["cross-account-resource-policy"]


def test_refused_list_names_corpus_files(corpus):
    """A REFUSED entry for a file that no longer exists would hide nothing, and say nothing."""
    missing = [name for name in REFUSED if not (corpus / name).is_file()]
    assert not missing, missing
