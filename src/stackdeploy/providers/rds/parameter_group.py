"""aws.rds.db_parameter_group on RDS: CreateDBParameterGroup with tags, then the parameters
with ModifyDBParameterGroup; removed parameters are reset with ResetDBParameterGroup.

RDS takes 20 parameters per call and wants an apply method for each: `immediate` works only
for dynamic parameters, so a batch AWS refuses for holding a static one is sent again one by
one, each static parameter with `pending-reboot`. Only the parameters set by a user (Source
"user") are read back: the rest are the family's defaults, hundreds of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.rds.common import GroupProvider, delete_group, paged, rds
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.rds.parameter_group import DB_PARAMETER_GROUP, MAX_PARAMETERS_PER_CALL

_IN_USE = "InvalidDBParameterGroupState"
_STATIC = "static"  # in AWS's refusal of `immediate` for a static parameter


def _batches(items: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    return [
        items[start : start + MAX_PARAMETERS_PER_CALL]
        for start in range(0, len(items), MAX_PARAMETERS_PER_CALL)
    ]


def user_parameters(client: RetryingClient, name: str) -> dict[str, str] | None:
    """The parameters a user set in the group (one paged call per group: RDS has no batched
    read of parameters), or None when the group is gone."""
    try:
        found = paged(
            client, "describe_db_parameters", "Parameters", DBParameterGroupName=name, Source="user"
        )
    except ClientError as error:
        if has_code(error, "DBParameterGroupNotFound"):
            return None
        raise
    return {p["ParameterName"]: str(p.get("ParameterValue", "")) for p in found}


class DbParameterGroupProvider(GroupProvider):
    rtype = DB_PARAMETER_GROUP
    kind = "DB parameter group"
    list_method = "describe_db_parameter_groups"
    list_key = "DBParameterGroups"
    name_key = "DBParameterGroupName"
    arn_key = "DBParameterGroupArn"
    exists_code = "DBParameterGroupAlreadyExists"

    @staticmethod
    def aws_own(name: str) -> bool:
        # AWS's defaults ("default.mysql8.0"): names with dots are AWS's own.
        return name.startswith("default.")

    def properties(
        self, client: RetryingClient, group: dict[str, Any], tags: dict[str, str]
    ) -> dict[str, Any] | None:
        name = str(group["DBParameterGroupName"])
        values = user_parameters(client, name)
        if values is None:
            return None
        return {
            "name": name,
            "family": group.get("DBParameterGroupFamily"),
            "description": group.get("Description", ""),
            "parameters": values,
            "tags": tags,
            "id": name,
            "arn": group.get("DBParameterGroupArn"),
        }

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        client = rds(self.clients, ctx.region)
        name = props["name"]
        try:
            client.create_db_parameter_group(
                DBParameterGroupName=name,
                DBParameterGroupFamily=props["family"],
                Description=props["description"],
                Tags=aws_tags({**props["tags"], **ctx.ownership_tags()}),
            )
        except ClientError as error:
            if not has_code(error, self.exists_code):
                raise
            self.own_leftover(ctx, name, error)
        self._set(ctx, client, name, props["parameters"], {})
        return self.read_after_write(ctx, name)

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        client = rds(self.clients, ctx.region)
        name = live.physical_id
        if any(change.path == "parameters" for change in changes):
            # What is set now, not as planned, decides what to change and reset.
            current = user_parameters(client, name) or {}
            self._set(ctx, client, name, props["parameters"], current)
        self.sync_group_tags(client, ctx, live, props)
        return self.read_after_write(ctx, name)

    def _set(
        self,
        ctx: ResourceContext,
        client: RetryingClient,
        name: str,
        desired: dict[str, str],
        current: dict[str, str],
    ) -> None:
        changed = [
            {"ParameterName": k, "ParameterValue": v}
            for k, v in sorted(desired.items())
            if current.get(k) != v
        ]
        removed = [{"ParameterName": k} for k in sorted(current) if k not in desired]

        def modify(batch: list[dict[str, str]]) -> object:
            return client.modify_db_parameter_group(DBParameterGroupName=name, Parameters=batch)

        def reset(batch: list[dict[str, str]]) -> object:
            return client.reset_db_parameter_group(DBParameterGroupName=name, Parameters=batch)

        for batch in _batches(changed):
            _apply(ctx, modify, batch)
        for batch in _batches(removed):
            _apply(ctx, reset, batch)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = rds(self.clients, ctx.region)
        name = live.physical_id
        delete_group(
            self,
            ctx,
            delete=lambda: client.delete_db_parameter_group(DBParameterGroupName=name),
            in_use_code=_IN_USE,
            operation="rds.DeleteDBParameterGroup",
            in_use=f"DB parameter group {name} is still used by a database",
            hint="delete the DB instances using it, or point them at another group, first "
            "(ones outside this stack too)",
        )


def _apply(
    ctx: ResourceContext,
    call: Callable[[list[dict[str, str]]], object],
    batch: list[dict[str, str]],
) -> None:
    """Send a batch with `immediate`; if AWS refuses it for a static parameter, send each
    parameter alone, static ones with `pending-reboot` (applied at the next reboot)."""
    try:
        call([{**p, "ApplyMethod": "immediate"} for p in batch])
        return
    except ClientError as error:
        if not (
            has_code(error, "InvalidParameterCombination", "InvalidParameterValue")
            and _STATIC in str(error)
        ):
            raise _named(error, ctx) from error
    for parameter in batch:
        try:
            call([{**parameter, "ApplyMethod": "immediate"}])
        except ClientError as error:
            if _STATIC not in str(error):
                raise _named(error, ctx) from error
            call([{**parameter, "ApplyMethod": "pending-reboot"}])


def _named(error: BaseException, ctx: ResourceContext) -> BaseException:
    """An unknown or not modifiable parameter: AWS's message names it."""
    if isinstance(error, ClientError) and has_code(
        error, "InvalidParameterValue", "InvalidParameterCombination"
    ):
        details = error.response.get("Error", {})
        return ProviderError(
            f"RDS refused a parameter: {details.get('Message', error)}",
            code=str(details.get("Code", "")),
            hint="check the parameter's name and allowed values for this family "
            "(aws rds describe-engine-default-parameters --db-parameter-group-family ...)",
            address=ctx.address,
        )
    return error
