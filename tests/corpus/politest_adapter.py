"""politest scenarios → permcheck inputs and `permcheck can` command lines.

politest (https://github.com/reaandrew/politest, copied into tests/data/corpus/politest, see
its SOURCE.md) runs YAML scenarios against AWS's own policy simulator
(`iam:SimulateCustomPolicy`); each test's `expect` is the simulator's `EvalDecision`. This
module reads the scenarios the way politest does and turns each request into the inputs a
permcheck user would hand the command line:

- the identity policy (`policy_json` / `policy_template`) becomes the inline policy of an
  `AWS::IAM::User` (when `caller_arn` names a user) or `AWS::IAM::Role` (`caller_arn` a
  role, or no caller: a role `politest-caller`) in a generated CloudFormation template,
  named so that its ARN is the caller's ARN. Without `caller_arn` the simulator has no
  caller account and evaluates identity policies alone, which is the same-account question:
  the role is put in the account the request's resource names (its ARN, else the
  `aws:ResourceAccount`/`s3:ResourceAccount` the scenario fixes), else in 123456789012;
- `scp_paths` become `aws organizations describe-policy` outputs, one per file;
- a resource policy becomes the policy of the resource the request names (S3 bucket
  policy, SQS queue policy, SNS topic policy) in the template; other services cannot be
  expressed and are skipped with the reason;
- `context` entries become `--context KEY=VALUE` (repeated for list values), with
  `--closed-context`: keys the scenario does not give are absent, as the simulator sees them;
- when the caller and the resource live in different accounts (`resource_owner`), the
  template holds the resource side (deployed with `--account` = the owner) and the
  caller's identity comes from a `get-account-authorization-details` snapshot of its account.

politest's own semantics reproduced here (internal/*.go at the copied commit):
`extends` (child overrides parent field by field, vars deep-merged), `vars_file` then
inline `vars`, Go templates `{{.var}}` with `missingkey=error` after politest's
preprocessing of `<VAR>`, `${VAR}` and `$VAR` into `{{.VAR}}`; `actions:` expands into one
simulation per action; test-level `context` overrides scenario-level entries by key name;
non-IAM fields of policies are stripped (politest's default) before simulation; SCP files
(all of `scp_paths`, including RCP files listed there) are merged into ONE policy that is
passed as the permissions boundary — an approximation of real SCP semantics (see
`SCP_CAVEAT`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from tests.cli_helpers import Result, run
from tests.conftest import CORPUS  # tests/data/corpus: see its README.md

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(path: Path) -> object:
    return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 (a safe loader)


POLITEST = CORPUS / "politest"

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_ROLE = "politest-caller"
DEFAULT_REGION = "us-east-1"

SCP_CAVEAT = (
    "politest merges every scp_paths file into one policy and passes it to the simulator as a "
    "permissions boundary: the simulator's answer is 'one level whose SCPs, together, must allow'")

# What politest keeps of a policy by default (it strips everything else, silently).
POLICY_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                  "Resource", "NotResource", "Condition")


class Unexpressible(Exception):
    """A scenario or request that the permcheck CLI contract cannot express."""


# -- politest's scenario loading ------------------------------------------------------------

def load_scenario(path: Path) -> dict:
    """A scenario with its `extends` chain merged (politest's MergeScenario: child wins)."""
    data = _yaml(path) or {}
    parent_name = data.get("extends")
    if not parent_name:
        return data
    parent = load_scenario((path.parent / parent_name).resolve())
    out = dict(parent)
    for one, other in (("policy_template", "policy_json"), ("resource_policy_template", "resource_policy_json")):
        for key, drop in ((one, other), (other, one)):
            if data.get(key):
                out[key], out[drop] = data[key], ""
    for key in ("vars_file", "caller_arn", "resource_owner", "resource_handling_option"):
        if data.get(key):
            out[key] = data[key]
    for key in ("scp_paths", "actions", "resources", "context", "tests"):
        if data.get(key):
            out[key] = data[key]
    out["expect"] = {**(parent.get("expect") or {}), **(data.get("expect") or {})}
    out["vars"] = {**(parent.get("vars") or {}), **(data.get("vars") or {})}
    return out


def variables(scenario: dict, base: Path) -> dict:
    """`vars_file` (relative to the scenario), then inline `vars` override it."""
    out: dict = {}
    if scenario.get("vars_file"):
        out.update(_yaml(base / scenario["vars_file"]) or {})
    out.update(scenario.get("vars") or {})
    return out


_ANGLE = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)>")
_DOLLAR_BRACE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_FIELD = re.compile(r"\{\{-?\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}")


def render(text: str, vars_: dict) -> str:
    """politest's RenderTemplateString: preprocess `<V>`, `${V}`, `$V`, then `{{.V}}`."""
    text = _ANGLE.sub(r"{{.\1}}", text)
    text = _DOLLAR_BRACE.sub(r"{{.\1}}", text)
    text = _DOLLAR.sub(r"{{.\1}}", text)

    def field_value(match: re.Match) -> str:
        name = match.group(1)
        if name not in vars_:
            raise Unexpressible(f"template variable {name!r} is not defined (politest: missingkey=error)")
        value = vars_[name]
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    out = _FIELD.sub(field_value, text)
    if "{{" in out:
        raise Unexpressible(f"Go template construct other than {{{{.var}}}} in {text[:60]!r}")
    return out


def strip_non_iam(document: object) -> object:
    """politest's default: keep only the IAM policy grammar's elements."""
    if not isinstance(document, dict):
        return document
    out = {k: v for k, v in document.items() if k in POLICY_KEYS}
    statements = out.get("Statement")
    if isinstance(statements, list):
        out["Statement"] = [{k: v for k, v in s.items() if k in STATEMENT_KEYS} if isinstance(s, dict) else s
                            for s in statements]
    elif isinstance(statements, dict):
        out["Statement"] = {k: v for k, v in statements.items() if k in STATEMENT_KEYS}
    return out


def _policy(scenario: dict, base: Path, vars_: dict, json_key: str, template_key: str) -> dict | None:
    if scenario.get(json_key):
        return strip_non_iam(json.loads((base / scenario[json_key]).read_text()))
    if scenario.get(template_key):
        return strip_non_iam(json.loads(render((base / scenario[template_key]).read_text(), vars_)))
    return None


def _scp_files(scenario: dict, base: Path) -> list[Path]:
    """politest's ExpandGlobsRelative: each pattern's matches sorted, duplicates dropped."""
    out: list[Path] = []
    for pattern in scenario.get("scp_paths") or []:
        matches = sorted(base.glob(pattern)) or ([base / pattern] if (base / pattern).exists() else [])
        for match in matches:
            match = match.resolve()
            if match not in out:
                out.append(match)
    return out


def _context(entries: list | None, vars_: dict) -> dict[str, tuple[str, tuple[str, ...]]]:
    """ContextKeyName → (ContextKeyType, rendered values), in order."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for entry in entries or []:
        values = tuple(render(str(v), vars_) for v in entry.get("ContextKeyValues") or [])
        out[entry["ContextKeyName"]] = (str(entry.get("ContextKeyType", "string")), values)
    return out


# -- cases -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One politest test: one expectation for every (action, resource) it names."""

    scenario: str                     # readable scenario id, e.g. 01-policy-allows-no-boundaries
    name: str                         # the test's name, or politest's "ACTION on RESOURCE"
    expect: str = ""                  # allowed | explicitDeny | implicitDeny
    actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()   # () means the simulator's default, "*"
    context: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (key, type, values)
    caller_arn: str | None = None
    resource_owner: str | None = None
    identity_policy: dict | None = None
    resource_policy: dict | None = None
    scps: tuple[tuple[str, dict], ...] = ()  # (file name, document)
    skip: str | None = None           # why it cannot be run at all

    @property
    def id(self) -> str:
        return f"{self.scenario}::{self.name}"

    @property
    def expected_decision(self) -> str:
        return "allowed" if self.expect.lower() == "allowed" else "denied"


def scenario_files() -> list[Path]:
    if not POLITEST.is_dir():
        return []
    files = sorted((POLITEST / "test" / "scenarios").glob("*.yml"))
    files += sorted((POLITEST / "examples").glob("*/scenario.yml"))
    return files


def scenario_id(path: Path) -> str:
    return path.parent.name if path.name == "scenario.yml" else path.stem


@functools.lru_cache(maxsize=1)
def cases() -> tuple[Case, ...]:
    out: list[Case] = []
    for path in scenario_files():
        out += scenario_cases(path)
    return tuple(out)


def scenario_cases(path: Path) -> list[Case]:
    sid = scenario_id(path)
    raw_tests = (_yaml(path) or {}).get("tests") or []
    if path.name.startswith("fail-"):
        return [Case(sid, _raw_name(t), skip="fail-*.yml: deliberately wrong expectation or invalid "
                     "input (SOURCE.md), not ground truth") for t in raw_tests]
    base = path.parent
    try:
        scenario = load_scenario(path)
        vars_ = variables(scenario, base)
        identity = _policy(scenario, base, vars_, "policy_json", "policy_template")
        resource = _policy(scenario, base, vars_, "resource_policy_json", "resource_policy_template")
        scps = tuple((p.name, strip_non_iam(json.loads(p.read_text()))) for p in _scp_files(scenario, base))
    except Unexpressible as why:
        return [Case(sid, _raw_name(t), skip=str(why)) for t in raw_tests]
    out: list[Case] = []
    seen: dict[str, int] = {}
    for test in scenario.get("tests") or []:
        case = _case(sid, scenario, test, base, vars_, identity, resource, scps)
        seen[case.name] = seen.get(case.name, 0) + 1
        if seen[case.name] > 1:  # politest names unnamed tests "ACTION on RESOURCE": may repeat
            case = dataclasses.replace(case, name=f"{case.name} #{seen[case.name]}")
        out.append(case)
    return out


def _case(sid: str, scenario: dict, test: dict, base: Path, vars_: dict, identity: dict | None,
          resource_policy: dict | None, scps: tuple) -> Case:
    try:
        actions = [render(a, vars_) for a in (test.get("actions") or [test.get("action")]) if a]
        if test.get("resource"):
            resources = [render(test["resource"], vars_)]
        else:
            resources = [render(r, vars_) for r in test.get("resources") or []]
        name = test.get("name") or f"{actions[0]} on {resources[0] if resources else '*'}"
        context = {**_context(scenario.get("context"), vars_), **_context(test.get("context"), vars_)}
        caller = test.get("caller_arn") or scenario.get("caller_arn")
        owner = test.get("resource_owner") or scenario.get("resource_owner")
        policy = resource_policy
        if test.get("resource_policy_json"):
            policy = strip_non_iam(json.loads((base / test["resource_policy_json"]).read_text()))
        elif test.get("resource_policy_template"):
            policy = strip_non_iam(json.loads(render((base / test["resource_policy_template"]).read_text(), vars_)))
        if identity is None:
            raise Unexpressible("scenario has no identity policy")
        if test.get("resource_handling_option") or scenario.get("resource_handling_option"):
            raise Unexpressible("resource_handling_option (the simulator's EC2 launch scenarios) has no "
                                "counterpart in the CLI contract")
        _check_context_types(context, [identity, policy, *(d for _, d in scps)])
        return Case(sid, name, str(test.get("expect", "")), tuple(actions), tuple(resources),
                    tuple((k, t, v) for k, (t, v) in context.items()),
                    render(caller, vars_) if caller else None, render(owner, vars_) if owner else None,
                    identity, policy, scps)
    except Unexpressible as why:
        return Case(sid, _raw_name(test), skip=str(why))


def _raw_name(test: dict) -> str:
    """A test's name before any rendering (politest's "ACTION on RESOURCE" when unnamed)."""
    action = test.get("action") or (test.get("actions") or ["?"])[0]
    return str(test.get("name") or f"{action} on {test.get('resource') or (test.get('resources') or ['*'])[0]}")


def _check_context_types(context: dict, policies: list) -> None:
    """A one-value `*List` entry tested without a set operator cannot be expressed.

    The simulator takes the declared type at its word: a `stringList` entry is a
    multivalued key even with one value, and a condition operator without
    `ForAnyValue:`/`ForAllValues:` does not match a multivalued key. `--context KEY=VALUE`
    has no type: given once, it is one value of a single-valued key, as in a real request.
    """
    for key, (ctype, values) in context.items():
        if not ctype.lower().endswith("list") or len(values) != 1:
            continue
        for operator in _operators_on(key, policies):
            if not operator.lower().startswith(("foranyvalue:", "forallvalues:")):
                raise Unexpressible(
                    f"context {key} is typed {ctype} with the one value {values[0]!r} and a policy tests it "
                    f"with {operator} (no set operator): the simulator then treats it as a multivalued key "
                    f"that {operator} cannot match, an answer tied to the declared type; --context has no "
                    "type, and one value is a single-valued key, as in a real request")


def _operators_on(key: str, policies: list) -> list[str]:
    out = []
    for policy in policies:
        statements = (policy or {}).get("Statement") or []
        for statement in statements if isinstance(statements, list) else [statements]:
            for operator, block in ((statement.get("Condition") or {}) if isinstance(statement, dict) else {}).items():
                if isinstance(block, dict) and any(k.lower() == key.lower() for k in block):
                    out.append(operator)
    return out


# -- translation into permcheck inputs -------------------------------------------------------

@dataclass
class Invocation:
    """The files and arguments of one `permcheck can` run."""

    args: list[str]
    files: dict[str, object] = field(default_factory=dict)  # file name → JSON document
    notes: list[str] = field(default_factory=list)


_IAM_PRINCIPAL = re.compile(r"^arn:(aws[\w-]*):iam::(\d{12}):(user|role)/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$")
_ACCOUNT_ROOT = re.compile(r"^(?:arn:aws[\w-]*:iam::(\d{12}):root|(\d{12}))$")


def _account_in_arn(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and re.fullmatch(r"\d{12}", parts[4]) else None


def _owner_account(owner: str) -> str:
    match = _ACCOUNT_ROOT.match(owner)
    if not match:
        raise Unexpressible(f"resource_owner {owner!r} is not an account root ARN or account id")
    return match.group(1) or match.group(2)


def translate(case: Case, action: str, resource: str) -> Invocation:
    """The permcheck inputs for one simulated request (raises Unexpressible)."""
    # The resource's owner: the account in its ARN; else `resource_owner`; else (as the
    # simulator does) the caller's account.
    owner = _account_in_arn(resource)
    if owner is None and case.resource_owner:
        owner = _owner_account(case.resource_owner)
    context_keys = {k.lower(): v for k, _, v in case.context}
    if case.caller_arn:
        match = _IAM_PRINCIPAL.match(case.caller_arn)
        if not match:
            raise Unexpressible(f"caller_arn {case.caller_arn!r} is not an IAM user or role ARN")
        partition, caller_account, kind, name = match.groups()
    else:
        # SimulateCustomPolicy without CallerArn has no caller account; the question it
        # answers is the identity-only one, which is the same-account question. Put the
        # caller where the resource is (its ARN, then the resource-account keys the
        # scenario fixes), else in the default account.
        hinted = (context_keys.get("aws:resourceaccount") or context_keys.get("s3:resourceaccount") or (None,))[0]
        caller_account = owner or (hinted if hinted and re.fullmatch(r"\d{12}", hinted) else DEFAULT_ACCOUNT)
        partition, kind, name = "aws", "role", DEFAULT_ROLE
    owner = owner or caller_account
    caller_arn = f"arn:{partition}:iam::{caller_account}:{kind}/{name}"
    region = _region_of(resource) or DEFAULT_REGION

    invocation = Invocation(args=[])
    caller_entity = _principal_resource(kind, name, case.identity_policy)
    template_resources: dict[str, dict] = {}
    if owner == caller_account:
        template_resources["Caller"] = caller_entity
    else:
        invocation.files["caller-account-snapshot.json"] = _authorization_details(
            partition, caller_account, kind, name, case.identity_policy)
        invocation.notes.append(f"cross-account: caller in {caller_account}, resource in {owner}")
    if case.resource_policy is not None:
        template_resources.update(_resource_with_policy(resource, case.resource_policy))
    if template_resources:
        invocation.files["template.json"] = {"AWSTemplateFormatVersion": "2010-09-09",
                                             "Resources": template_resources}
    for index, (file_name, document) in enumerate(case.scps):
        invocation.files[f"scp-{index:02d}-{Path(file_name).stem}.json"] = _describe_policy(
            "SERVICE_CONTROL_POLICY", Path(file_name).stem, index, document)

    args = ["can", caller_arn, action, resource, "--account", owner, "--region", region,
            "--format", "json", "--closed-context"]
    for key, _, values in case.context:
        for value in values:
            args += ["--context", f"{key}={value}"]
    invocation.args = args
    return invocation


def statement_effects(invocation: Invocation) -> dict[tuple[str, str], str]:
    """(policy name as permcheck reports it, Sid) → Effect, for every generated policy."""
    out: dict[tuple[str, str], str] = {}

    def add(name: str, document: object) -> None:
        statements = (document or {}).get("Statement") if isinstance(document, dict) else None
        for statement in statements if isinstance(statements, list) else [statements] if statements else []:
            if isinstance(statement, dict) and statement.get("Sid"):
                out[(name, str(statement["Sid"]))] = str(statement.get("Effect"))

    for name, document in invocation.files.items():
        if "Resources" in document:
            for logical_id, resource in document["Resources"].items():
                props = resource["Properties"]
                for inline in props.get("Policies", []):
                    add(inline["PolicyName"], inline["PolicyDocument"])
                add(logical_id, props.get("PolicyDocument"))
        elif "Policy" in document:
            add(document["Policy"]["PolicySummary"]["Name"], json.loads(document["Policy"]["Content"]))
        else:
            for entity in document.get("UserDetailList", []) + document.get("RoleDetailList", []):
                for inline in entity.get("UserPolicyList", []) + entity.get("RolePolicyList", []):
                    add(inline["PolicyName"], inline["PolicyDocument"])
    return out


def _region_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", parts[3]) else None


def _principal_resource(kind: str, name: str, policy: dict) -> dict:
    inline = [{"PolicyName": "politest-identity-policy", "PolicyDocument": policy}]
    if kind == "user":
        return {"Type": "AWS::IAM::User", "Properties": {"UserName": name, "Policies": inline}}
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "ec2.amazonaws.com"}}]}
    return {"Type": "AWS::IAM::Role",
            "Properties": {"RoleName": name, "AssumeRolePolicyDocument": trust, "Policies": inline}}


def _authorization_details(partition: str, account: str, kind: str, name: str, policy: dict) -> dict:
    """`aws iam get-account-authorization-details` of the caller's account: just the caller."""
    arn = f"arn:{partition}:iam::{account}:{kind}/{name}"
    inline = [{"PolicyName": "politest-identity-policy", "PolicyDocument": policy}]
    if kind == "user":
        user = {"Path": "/", "UserName": name, "UserId": "AIDAPOLITESTCALLER0001", "Arn": arn,
                "CreateDate": "2025-01-01T00:00:00+00:00", "UserPolicyList": inline, "GroupList": [],
                "AttachedManagedPolicies": [], "Tags": []}
        return {"UserDetailList": [user], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "ec2.amazonaws.com"}}]}
    role = {"Path": "/", "RoleName": name, "RoleId": "AROAPOLITESTCALLER0001", "Arn": arn,
            "CreateDate": "2025-01-01T00:00:00+00:00", "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": [], "RolePolicyList": inline, "AttachedManagedPolicies": [], "Tags": []}
    return {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [role], "Policies": []}


def _resource_with_policy(arn: str, policy: dict) -> dict[str, dict]:
    """The resource the request names, with the scenario's resource policy attached.

    The simulator applies its `ResourcePolicy` to whatever resource it simulates, so the
    policy goes on the resource of this request.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise Unexpressible(f"a resource policy on {arn!r}, which is not an ARN")
    service, resource = parts[2], parts[5]
    if service == "s3":
        bucket = resource.split("/", 1)[0]
        return {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket}},
                "BucketPolicy": {"Type": "AWS::S3::BucketPolicy",
                                 "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": policy}}}
    if service == "sqs" and "/" not in resource:
        return {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": resource}},
                "QueuePolicy": {"Type": "AWS::SQS::QueuePolicy",
                                "Properties": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": policy}}}
    if service == "sns" and "/" not in resource:
        return {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": resource}},
                "TopicPolicy": {"Type": "AWS::SNS::TopicPolicy",
                                "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": policy}}}
    raise Unexpressible(f"a resource policy on a {service} resource: a template cannot give {arn} "
                        "that policy (KMS key ids, Lambda permissions and secret ARNs are generated)")


def _describe_policy(ptype: str, name: str, index: int, document: dict) -> dict:
    """`aws organizations describe-policy` output (Content is a JSON string)."""
    policy_id = f"p-politest{index:04d}"
    return {"Policy": {"PolicySummary": {
        "Id": policy_id, "Arn": f"arn:aws:organizations::{DEFAULT_ACCOUNT}:policy/o-politest/"
                                f"{ptype.lower()}/{policy_id}",
        "Name": name, "Description": f"politest {name}", "Type": ptype, "AwsManaged": False},
        "Content": json.dumps(document, indent=2)}}


# -- running the real command line -----------------------------------------------------------

def write_inputs(invocation: Invocation, directory: Path) -> list[str]:
    """Write the invocation's files into `directory`; the PATH arguments, one per file.

    Files are named by content, so the requests of one case (an athena test has up to 87
    actions over the same inputs) share them: one write each, not one per request.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, document in invocation.files.items():
        text = json.dumps(document, indent=2)
        target = directory / f"{Path(name).stem}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
        if not target.exists():
            target.write_text(text)
        paths.append(str(target))
    return paths


def can(case: Case, action: str, resource: str, directory: Path) -> tuple[dict | None, Result, Invocation]:
    """Run `permcheck can` for one request of `case`; the JSON answer (None on failure)."""
    invocation = translate(case, action, resource)
    paths = write_inputs(invocation, directory)
    args = invocation.args[:4] + paths + invocation.args[4:]
    result = run(*args)
    answer = None
    if result.code == 0:
        answer = json.loads(result.out)
    invocation.args = args
    return answer, result, invocation


def requests(case: Case) -> list[tuple[str, str]]:
    """(action, resource) pairs: politest simulates each action over all resources."""
    resources = case.resources or ("*",)
    return [(a, r) for a in case.actions for r in resources]


