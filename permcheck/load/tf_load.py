"""What the Terraform readers share: typed attribute access, ARNs, and policy documents.

A policy in a plan is a JSON string. When it is known only after apply but comes from a
`data.aws_iam_policy_document` (the common pattern), it is taken from that data source: its
`json` when known, else rendered from its `statement` blocks as the AWS provider renders them
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document),
with `Unknown` wherever a block holds a value known only after apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from permcheck.load.intrinsics import Deployment
from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.load.policy_doc import parse_policy
from permcheck.load.tf_plan import Plan, TfResource
from permcheck.model.arn import account_of
from permcheck.model.entities import Inventory
from permcheck.model.location import InputError
from permcheck.model.policy import Policy, PolicyKind
from permcheck.model.values import Sym, Unknown, concat

POLICY_DOCUMENT = "data.aws_iam_policy_document"


@dataclass
class TfLoad:
    """One plan being read into the inventory."""

    file: str
    plan: Plan
    deployment: Deployment
    inventory: Inventory
    role_arns: dict[str, object] = field(default_factory=dict)  # role address → ARN

    def deployment_of(self, res: TfResource) -> Deployment:
        """The deployment with the resource's own region."""
        return replace(self.deployment, region=res.region)

    def text(self, res: TfResource, attr: str) -> str | Sym | Unknown | None:
        """A string attribute: None when unset (null or ""), Unknown when known after apply."""
        value = res.values.get(attr)
        if value is None or value == "":
            return None
        if isinstance(value, (str, Sym, Unknown)):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise InputError(self.plan.location(res, attr), f"{res.address}: {attr} must be a string")

    def name(self, res: TfResource, attr: str) -> str | Sym | Unknown:
        """A physical name: unset means the provider generates it, which the plan cannot say."""
        value = self.text(res, attr)
        return Unknown(f"{res.address}.{attr} (known after apply)") if value is None else value

    def arn(self, res: TfResource, service: str, *resource: object, region: bool = True,
            account: bool = True) -> object:
        """The plan's `arn` when known, else arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
        built from what is known (unknown parts stay symbolic)."""
        known = res.values.get("arn")
        if isinstance(known, str) and known.startswith("arn:"):
            return known
        d = self.deployment
        return concat(["arn:", d.partition, ":", service, ":", res.region if region else "", ":",
                       d.account if account else "", ":", *resource])

    def account_of(self, arn: object) -> str:
        return (account_of(arn) if isinstance(arn, str) else None) or self.deployment.account

    def policy(self, res: TfResource, attr: str, name: str, kind: PolicyKind,
               required: bool = False) -> Policy | None:
        """The policy document in `attr`: None when unset (an Unknown policy when `required`)."""
        value = res.values.get(attr)
        location = self.plan.location(res, attr)
        if isinstance(value, (Unknown, Sym)):
            documents = self.plan.references(res, attr, POLICY_DOCUMENT)
            if len(documents) == 1:
                return self.document_policy(documents[0], name, kind, res.address)
            return parse_policy(value, name=name, kind=kind, location=location, holder=res.address)
        if value is None or value == "":
            if not required:
                return None
            return Policy(name=name, kind=kind, location=location,
                          unknown=Unknown(f"{res.address}.{attr} (not in the plan)"))
        if not isinstance(value, str):
            raise InputError(location, f"{res.address}: {attr} must be a policy document as a JSON string")
        return parse_policy(value, name=name, kind=kind, location=location, holder=res.address)

    def document_policy(self, doc: TfResource, name: str, kind: PolicyKind, holder: str) -> Policy:
        """A `data.aws_iam_policy_document` as the policy `name`: its json, else its statements."""
        note = f"from {doc.address}"
        rendered = doc.values.get("json")
        if isinstance(rendered, str) and rendered:
            return parse_policy(rendered, name=name, kind=kind, location=self.plan.location(doc, "json"),
                                source_note=note, holder=holder)
        return parse_policy(render_document(doc), name=name, kind=kind, location=self.plan.location(doc, "statement"),
                            source_note=note, holder=holder)


def render_document(doc: TfResource) -> object:
    """The policy the AWS provider renders from a policy document's arguments (values of which
    may be Unknown), or Unknown when it merges other documents, which is not modelled."""
    values = doc.values
    unknown = Unknown(f"{doc.address}.json (known after apply)")
    for key in ("source_policy_documents", "override_policy_documents", "source_json", "override_json"):
        if values.get(key) not in (None, "", []):
            return Unknown(f"{doc.address}.json (known after apply; merges {key})")
    blocks = values.get("statement") or []
    if not isinstance(blocks, list):
        return unknown
    statements = LineList(line=line_of(blocks, doc.line))
    for block in blocks:
        if not isinstance(block, dict):
            return unknown
        statement = _statement(block, doc.line)
        if statement is None:
            return unknown
        statements.append(statement)
        statements.item_lines.append(statement.line)
    document = {"Version": values.get("version") or "2012-10-17", "Statement": statements}
    if isinstance(values.get("policy_id"), (str, Unknown)) and values.get("policy_id") != "":
        document["Id"] = values["policy_id"]
    return document


def _statement(block: dict, default_line: int | None) -> LineDict | None:
    out = LineDict(line=line_of(block, default_line))
    if block.get("sid") not in (None, ""):
        out["Sid"] = block["sid"]
    out["Effect"] = block.get("effect") or "Allow"
    for attr, key in (("actions", "Action"), ("not_actions", "NotAction"),
                      ("resources", "Resource"), ("not_resources", "NotResource")):
        if block.get(attr) not in (None, []):
            out[key] = block[attr]
    for attr, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        entries = block.get(attr)
        if entries in (None, []):
            continue
        if not isinstance(entries, list):
            return None
        principal: dict | str = {}
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
                return None
            ids = entry.get("identifiers")
            ids = list(ids) if isinstance(ids, list) else [ids]
            if entry["type"] == "*":
                principal = "*"  # type "*" renders as "Principal": "*"
            elif isinstance(principal, dict):
                principal.setdefault(entry["type"], []).extend(ids)
        out[key] = principal
    conditions: dict = {}
    entries = block.get("condition") or []
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("test"), str) \
                or not isinstance(entry.get("variable"), str):
            return None
        values = entry.get("values")
        values = list(values) if isinstance(values, list) else [values]
        conditions.setdefault(entry["test"], {}).setdefault(entry["variable"], []).extend(values)
    if conditions:
        out["Condition"] = conditions
    return out
