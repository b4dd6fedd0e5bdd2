"""Event sources wired to functions in a CloudFormation template → `Inventory.triggers`.

Each family reader takes the resources that write a wiring (a mapping, a bucket's notification, a
rule's target, an API route…) and builds its Trigger with model/trigger_kinds.py, located at the
wiring's line and carrying the resource's `PermcheckSource` note, so wiring SAM made names its event:
push and poll sources in cfn_triggers_push, API Gateway in cfn_triggers_api, Step Functions in
cfn_triggers_states, load balancers and AppSync in cfn_triggers_sync, and what SAM wires without
writing CloudFormation for it in permcheck's expansion in cfn_triggers_sam (first: it tells the API
reader what SAM's Auth adds to an API's definition).
"""

from __future__ import annotations

from permcheck.load import cfn_triggers_api, cfn_triggers_push, cfn_triggers_sam, cfn_triggers_states, cfn_triggers_sync
from permcheck.load.cfn_trigger_reader import TriggerReader


def load(load_) -> None:
    """Every trigger (and delivery between sources) the template wires, added to the inventory (after its functions are read)."""
    reader = TriggerReader(load_)
    for read in (cfn_triggers_sam.read, cfn_triggers_push.read, cfn_triggers_api.read, cfn_triggers_states.read,
                 cfn_triggers_sync.read):
        read(reader)
    load_.inventory.triggers.extend(reader.found)
    load_.inventory.deliveries.extend(reader.delivered)
