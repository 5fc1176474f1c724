"""`deploy plan --json` (and `deploy show --json`): the plan in Terraform's `terraform show
-json` shape, so tools written for Terraform plans read it, with stackdeploy's own fields
beside Terraform's. Deterministic: same plan, byte-identical text. Its JSON Schema is
plan.schema.json, next to this module (`deploy schema --plan`).

Terraform's fields: `format_version`, `applyable`, `complete`, `errored`, and per resource
change `address`, `mode`, `type`, `name`, `provider_name`, `deposed`, `action_reason` and
`change` ({actions, before, after, after_unknown, before_sensitive, after_sensitive,
replace_paths}). Values unknown until apply are left out of `after` (null inside a list) and
marked true in `after_unknown`, a mirror of `after`, as Terraform does.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from stackdeploy import __version__
from stackdeploy.model.values import UNKNOWN, contains_unknown
from stackdeploy.plan.types import Action, LeftAlone, Plan, Reason, ResourceChange
from stackdeploy.pricing.estimate import estimate_plan
from stackdeploy.pricing.public import plan_cost_to_public
from stackdeploy.specs.base import ReplaceStrategy
from stackdeploy.specs.registry import RESOURCE_TYPES

FORMAT_VERSION = "1.2"  # the `terraform show -json` format version this document follows
PROVIDER_NAME = "registry.stackdeploy/aws"
SCHEMA_FILE = "plan.schema.json"

# The short names scripts and people use (`plan.summary()` keys, the text view's verbs).
SHORT_ACTIONS: dict[tuple[str, ...], str] = {
    ("no-op",): "no-op",
    ("create",): "create",
    ("update",): "update",
    ("delete",): "delete",
    ("forget",): "forget",  # Terraform 1.7's: out of the state, left in the cloud
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
}


def change_actions(change: ResourceChange) -> list[str]:
    """Terraform's `change.actions`: a replacement names its order (destroy first, or
    create the new one before destroying the old, as create_before_destroy does)."""
    if change.action is Action.REPLACE:
        if change.replace_strategy is ReplaceStrategy.CREATE_THEN_DELETE:
            return ["create", "delete"]
        return ["delete", "create"]
    return [change.action.value]


def short_action(actions: list[str]) -> str:
    """`create`, `update`, `replace`, `delete` or `no-op` from Terraform's `change.actions`."""
    return SHORT_ACTIONS[tuple(actions)]


def action_reason(change: ResourceChange) -> str | None:
    """Terraform's `action_reason`, where one of its reasons says ours; None leaves it out,
    as Terraform does for an ordinary create, update or destroy."""
    if change.action is Action.REPLACE:
        # Every replacement here is forced: a create-only property changes (directly, or
        # through a replaced dependency), or the type or region moved.
        return "replace_because_cannot_update"
    if change.action is Action.DELETE and Reason.REMOVED in change.reasons:
        return "delete_because_no_resource_config"
    return None


def known_part(value: Any) -> Any:
    """A value without its unknowns: left out of mappings, null inside lists (Terraform)."""
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: known_part(v) for k, v in value.items() if v is not UNKNOWN}
    if isinstance(value, list | tuple):
        return [known_part(v) for v in value]
    return value


def unknown_mirror(value: Any) -> Any:
    """Terraform's `after_unknown` for one value: true where unknown, lists element by
    element, mappings without their known leaves."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        mirrored = {k: unknown_mirror(v) for k, v in value.items()}
        return {k: v for k, v in mirrored.items() if v is not False}
    if isinstance(value, list | tuple):
        return [unknown_mirror(v) for v in value]
    return False


def sensitive_mirror(value: Any) -> Any:
    """Terraform's `*_sensitive` for one value. Plans hold no secret values (passwords are
    named by where they are kept, never written), so nothing is marked."""
    if value is None:
        return False
    if isinstance(value, dict):
        mirrored = {k: sensitive_mirror(v) for k, v in value.items()}
        return {k: v for k, v in mirrored.items() if v is not False}
    if isinstance(value, list | tuple):
        return [sensitive_mirror(v) for v in value]
    return False


def planned_after(plan: Plan, change: ResourceChange) -> dict[str, Any] | None:
    """The object after apply: the desired properties and the attributes AWS assigns. A new
    resource's attributes are unknown until apply unless known before it exists (an ARN
    from a name: plan.derived); an existing one keeps the values read from AWS."""
    if change.after is None:
        return None
    rtype = RESOURCE_TYPES.get(change.type)
    names = sorted(rtype.attributes) if rtype else []
    if change.action in (Action.CREATE, Action.REPLACE):
        derived = plan.derived.get(change.logical_id, {})
        attributes = {name: derived.get(name, UNKNOWN) for name in names}
    else:
        before = change.before or {}
        attributes = {name: before[name] for name in names if name in before}
    return {**attributes, **change.after}


def _change(plan: Plan, change: ResourceChange) -> dict[str, Any]:
    after = planned_after(plan, change)
    return {
        "actions": change_actions(change),
        "before": known_part(change.before),
        "after": known_part(after),
        # Terraform writes {} for a value known whole (and for no value at all).
        "after_unknown": unknown_mirror(after) if contains_unknown(after) else {},
        "before_sensitive": sensitive_mirror(change.before),
        "after_sensitive": sensitive_mirror(after),
        "replace_paths": [path.split(".") for path in change.replace_paths()],
    }


def resource_change_to_public(plan: Plan, change: ResourceChange) -> dict[str, Any]:
    document: dict[str, Any] = {
        # Terraform's fields
        "address": change.address,
        "mode": "managed",
        "type": change.type,
        "name": change.logical_id,
        "provider_name": PROVIDER_NAME,
        "change": _change(plan, change),
        # stackdeploy's
        "region": change.region,
        "reasons": [reason.name.lower() for reason in change.reasons],
        "physical_id": change.physical_id,
        "replace_paths": change.replace_paths(),
        "changes": [
            {
                "path": pc.path,
                "before": known_part(pc.before),
                "after": known_part(pc.after),
                "after_unknown": contains_unknown(pc.after),
                "forces_replacement": pc.forces_replacement,
                "note": pc.note,
            }
            for pc in change.changes
        ],
        "notes": list(change.notes),
        "retag": change.retag,
        "keeps": change.keeps,
        "unprotect": change.unprotect,
    }
    reason = action_reason(change)
    if reason is not None:
        document["action_reason"] = reason
    if Reason.DUPLICATE in change.reasons and change.physical_id:
        # An extra copy of a resource (left by an interrupted run): in Terraform's words an
        # object deposed from its address, to be destroyed, named here by its physical id.
        document["deposed"] = change.physical_id
    return document


def plan_to_public(plan: Plan, *, copy: str | None = None) -> dict[str, Any]:
    """The `deploy plan --json` document: stable keys, sorted addresses, no timestamps.
    `copy`: the copy's name when the plan is a copy's (--copy)."""
    return {
        # Terraform's fields
        "format_version": FORMAT_VERSION,
        "applyable": plan.has_changes(),
        "complete": not plan.targets,  # false with --target, as with Terraform's -target
        "errored": False,  # a plan that fails is no document: the command exits 1
        "resource_changes": [resource_change_to_public(plan, change) for change in plan.changes],
        # stackdeploy's
        "stackdeploy_version": __version__,
        "stack": plan.stack,
        "copy": copy,
        "region": plan.region,
        "account": plan.account,
        "destroy": plan.destroy,
        "targets": list(plan.targets),
        "has_changes": plan.has_changes(),
        "summary": plan.summary(),
        "outputs": {
            name: {"value": known_part(value), "unknown": contains_unknown(value)}
            for name, value in sorted(plan.outputs.items())
        },
        "derived": {k: dict(sorted(v.items())) for k, v in sorted(plan.derived.items())},
        "warnings": list(plan.warnings),
        # Outputs of other stacks this plan read (`${stack:...}`), and where from.
        "inputs": [
            {"stack": read.stack, "output": read.output, "where": read.where}
            for read in plan.inputs
        ],
        "left_alone": [_left_alone(entry) for entry in plan.left_alone],
        "cost": plan_cost_to_public(estimate_plan(plan)),
        "expires": plan.expires,
        "lifecycle": plan.lifecycle,
    }


def _left_alone(entry: LeftAlone) -> dict[str, str]:
    return {
        "address": entry.address,
        "type": entry.type,
        "region": entry.region,
        "physical_id": entry.physical_id,
        "reason": entry.reason,
    }


def dumps_public(plan: Plan, *, copy: str | None = None) -> str:
    return json.dumps(plan_to_public(plan, copy=copy), indent=2, sort_keys=True) + "\n"


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of the document, as shipped with the package."""
    text = resources.files("stackdeploy.report").joinpath(SCHEMA_FILE).read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema
