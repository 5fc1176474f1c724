"""DB subnet and parameter group behaviour beyond the contract suite: subnet changes in place
(moto drops a modified group; the strictness layer keeps it, as AWS does), adoption and name
clashes, parameters reset to their defaults and static parameters applied at the next
reboot, and deletes refused while a database uses the group."""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.plan.diff import diff_properties
from tests.providers.cases_rds import PARAMETER_GROUP, SUBNET_GROUP
from tests.providers.harness import REGION, ContractRun
from tests.strict import rds
from tests.strict.core import StrictAws

STATIC = "cannot use immediate apply method for static parameter"


@pytest.fixture
def strict(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    layer = StrictAws(aws, throttle_rate=0.0, refusals_advance_time=True, families=[rds.register])
    layer.install(monkeypatch)
    return layer


def _update(run: ContractRun, created: Any, **changes: Any) -> Any:
    props = run.canonical({**run.case.properties(run.prerequisites), **changes})
    return run.provider.update(
        run.context(), created, props, diff_properties(run.rtype, props, created.properties)
    )


def test_subnets_and_description_change_in_place(
    strict: StrictAws, clients: ClientFactory, aws: str
) -> None:
    run = ContractRun(SUBNET_GROUP, clients, aws)
    created = run.provider.create(
        run.context(), run.canonical(SUBNET_GROUP.properties(run.prerequisites))
    )
    third = run.prerequisites.subnet_id("10.20.3.0/24", zone="c")
    updated = _update(
        run, created, subnet_ids=[run.prerequisites.subnet_id(), third], description="moved"
    )
    assert updated.physical_id == created.physical_id
    assert sorted(updated.properties["subnet_ids"]) == sorted(
        [run.prerequisites.subnet_id(), third]
    )
    assert updated.properties["description"] == "moved"
    assert updated.properties["tags"] == {"tier": "data", "suite": "contract"}
    assert run.provider.read_owned(REGION, "contract")[0].logical_id == "subject"


def test_a_taken_name_is_adopted_only_when_it_is_ours(
    strict: StrictAws, clients: ClientFactory, aws: str
) -> None:
    run = ContractRun(SUBNET_GROUP, clients, aws)
    props = run.canonical(SUBNET_GROUP.properties(run.prerequisites))
    first = run.provider.create(run.context(), props)
    again = run.provider.create(run.context(), props)  # an interrupted run, repeated
    assert again.physical_id == first.physical_id
    other = dataclasses.replace(run.context(), logical_id="other")
    with pytest.raises(ProviderError) as taken:
        run.provider.create(other, props)
    assert taken.value.code == "DBSubnetGroupAlreadyExists"
    assert "does not own it" in taken.value.message


def _answer_reset(clients: ClientFactory, aws: str, sent: list[dict[str, Any]]) -> None:
    """ResetDBParameterGroup as AWS does it (moto lacks it): the parameters named go back to
    the family's defaults, i.e. are no longer set by the user."""
    plain = boto3.client("rds", region_name=REGION, endpoint_url=aws)

    def reset(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        request = params["body"]
        name = request["DBParameterGroupName"]
        sent.append(request)
        reset_names = {v for k, v in request.items() if k.endswith(".ParameterName")}
        group = plain.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]
        kept = [
            p
            for p in plain.describe_db_parameters(DBParameterGroupName=name)["Parameters"]
            if p["ParameterName"] not in reset_names
        ]
        tags = plain.list_tags_for_resource(ResourceName=group[0]["DBParameterGroupArn"])
        plain.delete_db_parameter_group(DBParameterGroupName=name)
        plain.create_db_parameter_group(
            DBParameterGroupName=name,
            DBParameterGroupFamily=group[0]["DBParameterGroupFamily"],
            Description=group[0]["Description"],
            Tags=tags["TagList"],
        )
        if kept:
            plain.modify_db_parameter_group(DBParameterGroupName=name, Parameters=kept)
        return AWSResponse("", 200, {}, None), {
            "DBParameterGroupName": name,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    clients.client("rds", REGION).meta.events.register_first(
        "before-call.rds.ResetDBParameterGroup", reset
    )


def _refuse_immediate_for(clients: ClientFactory, static: str, sent: list[dict[str, Any]]) -> None:
    """AWS refuses `immediate` for a static parameter, and with it the whole batch."""

    def modify(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        request = params["body"]
        sent.append(request)
        pairs = [
            (request[k], request.get(k.replace("ParameterName", "ApplyMethod")))
            for k in request
            if k.endswith(".ParameterName")
        ]
        if (static, "immediate") not in pairs:
            return None
        error = {"Code": "InvalidParameterCombination", "Message": f"{STATIC}: {static}"}
        return AWSResponse("", 400, {}, None), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    clients.client("rds", REGION).meta.events.register_first(
        "before-call.rds.ModifyDBParameterGroup", modify
    )


def test_parameters_are_reset_when_removed_and_static_ones_wait_for_a_reboot(
    clients: ClientFactory, aws: str
) -> None:
    run = ContractRun(PARAMETER_GROUP, clients, aws)
    created = run.provider.create(
        run.context(), run.canonical(PARAMETER_GROUP.properties(run.prerequisites))
    )
    resets: list[dict[str, Any]] = []
    modifies: list[dict[str, Any]] = []
    _answer_reset(clients, aws, resets)
    _refuse_immediate_for(clients, "innodb_buffer_pool_size", modifies)
    updated = _update(
        run,
        created,
        parameters={"max_connections": 300, "innodb_buffer_pool_size": 268435456},
    )
    assert updated.properties["parameters"] == {
        "max_connections": "300",
        "innodb_buffer_pool_size": "268435456",
    }
    # slow_query_log was removed from the stack: reset to the engine's default.
    assert [r["Parameters.Parameter.1.ParameterName"] for r in resets] == ["slow_query_log"]
    # The batch was refused for the static parameter; each was then sent alone.
    methods = [
        (r["Parameters.Parameter.1.ParameterName"], r["Parameters.Parameter.1.ApplyMethod"])
        for r in modifies
        if "Parameters.Parameter.2.ParameterName" not in r
    ]
    assert ("innodb_buffer_pool_size", "pending-reboot") in methods
    assert ("max_connections", "immediate") in methods


def test_a_group_in_use_is_not_deleted_and_says_why(
    strict: StrictAws, clients: ClientFactory, aws: str
) -> None:
    run = ContractRun(SUBNET_GROUP, clients, aws)
    created = run.provider.create(
        run.context(), run.canonical(SUBNET_GROUP.properties(run.prerequisites))
    )
    rds_client = clients.client("rds", REGION)
    rds_client.create_db_instance(
        DBInstanceIdentifier="user",
        Engine="postgres",
        EngineVersion="16.3",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="pg",
        MasterUserPassword="long-enough-1",
        DBSubnetGroupName=created.physical_id,
    )
    with pytest.raises(ProviderError) as refused:
        run.provider.delete(run.context(), created)
    assert refused.value.code == "InvalidDBSubnetGroupStateFault"
    assert refused.value.hint and "delete (or move) the DB instances" in refused.value.hint
    assert run.provider.read(REGION, created.physical_id) is not None
