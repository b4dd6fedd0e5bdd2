"""Event sources of a Terraform plan wired to functions → the inventory's triggers.

Every resource that wires a source to a function (a mapping, a bucket notification, a
subscription, a rule's target, a route's integration …) becomes one `Trigger`, built by
model/trigger_kinds.py as every loader builds it, with the resource's address as its logical
id and its place in planned_values as its location. The families: tf_triggers_push (event
source mappings, S3, SNS, CloudWatch Logs, IoT, Cognito), tf_triggers_events (EventBridge rules,
Scheduler, Step Functions), tf_triggers_routes (API Gateway REST, HTTP and WebSocket APIs);
what they share is in tf_wiring.

AWS provider resources: https://registry.terraform.io/providers/hashicorp/aws/latest/docs
"""

from __future__ import annotations

from permcheck.load import tf_triggers_events, tf_triggers_push, tf_triggers_routes
from permcheck.load.tf_lambda import Functions
from permcheck.load.tf_load import TfLoad
from permcheck.load.tf_wiring import Wiring


def load(load_: TfLoad, functions: Functions) -> None:
    """Read every trigger of the plan into the inventory (after its functions and resources)."""
    wiring = Wiring(load_, functions)
    tf_triggers_push.load(wiring)
    tf_triggers_events.load(wiring)
    tf_triggers_routes.load(wiring)
