"""`deploy drift`: the refresh a plan makes, compared with what the last apply recorded
(plan/drift.py). It reads AWS and the state record, and writes nothing."""

from __future__ import annotations

from stackdeploy.apply.engine import Workspace, discover_stack
from stackdeploy.apply.stack_outputs import StackOutputs
from stackdeploy.discovery.lookups import resolve_lookups
from stackdeploy.model.stack import Stack
from stackdeploy.plan.derived import derived_values
from stackdeploy.plan.drift import Drift, Recorded, find_drift


def drift_of(workspace: Workspace, stack: Stack) -> Drift:
    """What changed outside stackdeploy since the last apply of `stack`."""
    record = workspace.store(stack).load()
    live = discover_stack(workspace, stack, record, destroy=False)
    account = workspace.clients.account_id()
    lookups = resolve_lookups(stack, workspace.clients, StackOutputs(workspace, stack).value)
    recorded = {
        address: Recorded(r.type, r.region, r.physical_id, r.applied)
        for address, r in record.resources.items()
    }
    return find_drift(
        stack,
        live,
        recorded,
        account=account,
        lookups=lookups,
        derived=derived_values(stack, lookups, account),
    )
