"""Resolving lookups during refresh, per region: `${ssm:/name}` (batched GetParameters),
`${aws:account_id}` (the credentials' account, which the client factory already knows) and
`${stack:name.output}` (another stack's recorded output, read by the caller's reader)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import DeployError
from stackdeploy.model.refs import Lookup, lookups_in
from stackdeploy.model.stack import Stack

GET_PARAMETERS_BATCH = 10  # the most names GetParameters accepts per call


def stack_lookups(stack: Stack) -> dict[str, set[Lookup]]:
    """Every lookup the stack uses, by the region it is resolved in."""
    by_region: dict[str, set[Lookup]] = defaultdict(set)
    for resource in stack.resources.values():
        by_region[resource.region] |= lookups_in(resource.properties)
    by_region[stack.region] |= lookups_in(stack.outputs)
    return {region: found for region, found in by_region.items() if found}


def resolve_lookups(
    stack: Stack,
    clients: ClientFactory,
    stack_output: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Values of every lookup, keyed by Lookup.scoped(region); one call per 10 parameters.
    `stack_output` reads `${stack:<stack>.<output>}` from the state backend."""
    values: dict[str, Any] = {}
    for region, lookups in sorted(stack_lookups(stack).items()):
        for lookup in lookups:
            if lookup.source == "aws" and lookup.key == "account_id":
                # Cached by the factory: the state store asked STS for it already.
                values[lookup.scoped(region)] = clients.account_id()
            elif lookup.source == "stack":
                if stack_output is None:
                    raise DeployError(f"{lookup} cannot be read here")
                values[lookup.scoped(region)] = stack_output(lookup.key)
        names = sorted(lookup.key for lookup in lookups if lookup.source == "ssm")
        ssm = clients.client("ssm", region)
        for start in range(0, len(names), GET_PARAMETERS_BATCH):
            batch = names[start : start + GET_PARAMETERS_BATCH]
            response = ssm.get_parameters(Names=batch, WithDecryption=False)
            missing = response.get("InvalidParameters", [])
            if missing:
                raise DeployError(
                    f"SSM parameter {missing[0]} does not exist in {region}",
                    hint="check the name; public AMI parameters live under /aws/service/",
                )
            for parameter in response.get("Parameters", []):
                values[Lookup("ssm", parameter["Name"]).scoped(region)] = parameter["Value"]
    return values
