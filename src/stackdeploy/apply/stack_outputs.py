"""Stacks that use each other: `${stack:network.vpc_id}` reads an output another stack
recorded at its last apply, from the same state backend (local folder or state bucket), for
the same account and endpoint. A copy reads the same copy of the other stack
(`network-<copy>`), so a class's copies stay paired. The consumer's state records which
stacks it read, so that destroying one of them warns and names the stacks that would break.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stackdeploy.discovery.state import StateRecord
from stackdeploy.errors import DeployError
from stackdeploy.model.stack import Stack
from stackdeploy.plan.types import StackInput

if TYPE_CHECKING:
    from stackdeploy.apply.engine import Workspace


class StackOutputs:
    """Reads other stacks' outputs for one plan of `stack`, each record once, and keeps
    what was read (the plan shows it, the state records it)."""

    def __init__(self, workspace: Workspace, stack: Stack) -> None:
        self.workspace, self.stack = workspace, stack
        self._records: dict[str, tuple[StateRecord, str]] = {}
        self.inputs: dict[tuple[str, str], StackInput] = {}

    def value(self, key: str) -> Any:
        """The value of `${stack:<key>}`, key being "<stack>.<output>"."""
        name, output = key.split(".", 1)
        producer = f"{name}-{self.stack.copy_name}" if self.stack.copy_name else name
        if producer == self.stack.name:
            raise DeployError(
                f"${{stack:{key}}} reads this stack's own outputs",
                hint="refer to the resource itself: ${logical_id.attribute}",
            )
        record, where = self._record(producer)
        if output not in record.outputs:
            known = ", ".join(sorted(record.outputs)) or "none"
            raise DeployError(
                f"stack {producer} recorded no output '{output}' (its outputs: {known})",
                hint=f"add it under outputs: in {producer}'s stack file and apply it",
            )
        self.inputs[(producer, output)] = StackInput(producer, output, where)
        return record.outputs[output]

    def _record(self, producer: str) -> tuple[StateRecord, str]:
        if producer not in self._records:
            self._records[producer] = self._find(producer)
        return self._records[producer]

    def _find(self, producer: str) -> tuple[StateRecord, str]:
        regions = sorted(region for _, region in self.workspace.state_keys(producer))
        if not regions:
            backend = self.workspace.state_bucket or str(self.workspace.state_dir)
            raise DeployError(
                f"stack {producer} has no state in {backend} for this account",
                hint=f"apply {producer} first (with the same --state-dir or --state-bucket)",
            )
        if len(regions) > 1 and self.stack.region not in regions:
            raise DeployError(
                f"stack {producer} has state in {', '.join(regions)}; which one to read is "
                f"unclear from {self.stack.region}",
                hint="give the stacks one home region, or read the value with --var",
            )
        region = self.stack.region if self.stack.region in regions else regions[0]
        store = self.workspace.store_for(producer, region)
        return store.load(), store.location

    def read(self) -> tuple[StackInput, ...]:
        return tuple(self.inputs[key] for key in sorted(self.inputs))


def consumers_of(workspace: Workspace, stack: Stack) -> list[str]:
    """Warnings naming the stacks whose state says they read `stack`'s outputs."""
    warnings = []
    for name, region in workspace.state_keys():
        if name == stack.name:
            continue
        record = workspace.store_for(name, region).load()
        if stack.name in record.reads:
            warnings.append(
                f"stack {name} reads outputs of {stack.name} (${{stack:...}}); once this "
                f"stack is destroyed, {name}'s next plan fails until it stops reading them"
            )
    return warnings
