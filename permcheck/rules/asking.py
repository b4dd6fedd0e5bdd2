"""How a rule's facts ask the evaluator, and where a grant is reported: shared by the facts and the
escalation paths."""

from __future__ import annotations

from permcheck.graph.edges import Edges
from permcheck.iam.answer import Answer, Decision, OnUnknown
from permcheck.model.location import InputError
from permcheck.model.policy import Statement


TARGET_TYPES = {"AWS::S3::Bucket": "bucket", "AWS::SQS::Queue": "queue", "AWS::SNS::Topic": "topic",
                "AWS::KMS::Key": "key", "AWS::SecretsManager::Secret": "secret"}
"""A resource's type as the grant and trigger facts name it."""

def ask_or_unknown(edges: Edges, caller, action: str, resource: str) -> Answer:
    """The evaluator's answer; one that depends on a malformed policy is `conditional` on it
    (the `invalid-policy` rule reports the policy; `check` keeps the other rules' findings)."""
    try:
        return edges.ask(caller, action, resource)
    except InputError as error:
        return Answer(Decision.CONDITIONAL, (OnUnknown(f"depends on {error}"),))


def holder_of(statement: Statement, fallback: str) -> str:
    """The contract's `resource`: the SAM resource that caused a grant, else the template
    resource that wrote the statement, else what holds the policy."""
    return statement.sam_resource or statement.holder or fallback
