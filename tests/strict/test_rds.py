"""The RDS rules of the strictness layer: each fires the way AWS would, then clears."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import REGION
from tests.strict import rds
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """Only this family, no throttling: each rule can be watched on its own."""
    strict = StrictAws(
        aws,
        throttle_rate=0.0,
        pending_polls=2,
        refusals_advance_time=False,
        families=[rds.register],
    )
    strict.install(monkeypatch)
    return strict


@pytest.fixture
def client(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "rds")


@pytest.fixture
def ec2(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "ec2")


@pytest.fixture
def truth(layer: StrictAws) -> Any:
    """moto's RDS as it is, past the layer."""
    return layer.plain("rds", REGION)


class Network:
    """A VPC with subnets in two zones (and one more in the first zone) and a group."""

    def __init__(self, layer: StrictAws) -> None:
        ec2 = layer.plain("ec2", REGION)
        self.vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        self.a, self.b, self.a2 = (
            ec2.create_subnet(VpcId=self.vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{z}")[
                "Subnet"
            ]["SubnetId"]
            for cidr, z in (("10.7.1.0/24", "a"), ("10.7.2.0/24", "b"), ("10.7.3.0/24", "a"))
        )
        self.group = ec2.create_security_group(GroupName="db", Description="db", VpcId=self.vpc)[
            "GroupId"
        ]


@pytest.fixture
def network(layer: StrictAws) -> Network:
    return Network(layer)


def _error(call: Callable[[], object]) -> tuple[str, str]:
    code, message, _ = refusal(call)
    return code, message


def _code(call: Callable[[], object]) -> str:
    return _error(call)[0]


def _subnet_group(client: Any, network: Network, name: str = "data") -> None:
    client.create_db_subnet_group(
        DBSubnetGroupName=name,
        DBSubnetGroupDescription="data",
        SubnetIds=[network.a, network.b],
        Tags=[{"Key": "team", "Value": "db"}],
    )


def _database(client: Any, network: Network, identifier: str = "db1", **extra: Any) -> None:
    request = {
        "DBInstanceIdentifier": identifier,
        "Engine": "mysql",
        "EngineVersion": "8.0.39",
        "DBInstanceClass": "db.t3.micro",
        "AllocatedStorage": 20,
        "MasterUsername": "admin",
        "MasterUserPassword": "a-good-password",
        "DBSubnetGroupName": "data",
        "VpcSecurityGroupIds": [network.group],
    }
    client.create_db_instance(**{**request, **extra})


def _states(client: Any, identifier: str = "db1") -> list[str]:
    found = client.describe_db_instances(
        Filters=[{"Name": "db-instance-id", "Values": [identifier]}]
    )["DBInstances"]
    return [db["DBInstanceStatus"] for db in found] or ["(gone)"]


def _settle(client: Any, identifier: str = "db1") -> None:
    for _ in range(10):
        if _states(client, identifier) == ["available"]:
            return
    raise AssertionError(f"{identifier} never became available")


# -- the clock ----------------------------------------------------------------------------


def test_a_new_instance_is_creating_then_backing_up_then_available(
    client: Any, truth: Any, network: Network
) -> None:
    _subnet_group(client, network)
    _database(client, network)
    assert truth.describe_db_instances()["DBInstances"][0]["DBInstanceStatus"] == "available"
    assert [_states(client)[0] for _ in range(5)] == [
        "creating",
        "creating",
        "backing-up",
        "backing-up",
        "available",
    ]


def test_modify_is_refused_until_available_then_the_instance_is_modifying(
    client: Any, network: Network
) -> None:
    _subnet_group(client, network)
    _database(client, network)
    modify = lambda: client.modify_db_instance(  # noqa: E731
        DBInstanceIdentifier="db1", DBInstanceClass="db.t3.small", ApplyImmediately=True
    )
    code, message = _error(modify)
    assert code == "InvalidDBInstanceState"
    assert "not in available state" in message
    _settle(client)
    modify()
    assert [_states(client)[0] for _ in range(3)] == ["modifying", "modifying", "available"]


def test_storage_never_shrinks_and_passwords_have_eight_characters(
    client: Any, network: Network
) -> None:
    _subnet_group(client, network)
    assert _error(lambda: _database(client, network, "short", MasterUserPassword="1234567")) == (
        "InvalidParameterValue",
        "The parameter MasterUserPassword is not a valid password because it is shorter "
        "than 8 characters.",
    )
    _database(client, network)
    _settle(client)
    code, message = _error(
        lambda: client.modify_db_instance(
            DBInstanceIdentifier="db1", AllocatedStorage=10, ApplyImmediately=True
        )
    )
    assert code == "InvalidParameterValue"
    assert "can't reduce the allocated storage" in message


def test_delete_needs_a_snapshot_choice_and_a_deleting_instance_holds_what_it_uses(
    client: Any, ec2: Any, truth: Any, network: Network
) -> None:
    _subnet_group(client, network)
    _database(client, network)
    _settle(client)
    assert _error(lambda: client.delete_db_instance(DBInstanceIdentifier="db1")) == (
        "InvalidParameterCombination",
        "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
    )
    client.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
    assert truth.describe_db_instances()["DBInstances"] == []  # moto dropped it at once
    in_use = (
        "InvalidDBSubnetGroupStateFault",
        "Cannot delete the subnet group 'data' because at least one database instance: db1 "
        "is still using it.",
    )
    assert _error(lambda: client.delete_db_subnet_group(DBSubnetGroupName="data")) == in_use
    assert _code(lambda: ec2.delete_security_group(GroupId=network.group)) == "DependencyViolation"
    assert _code(lambda: ec2.delete_subnet(SubnetId=network.a)) == "DependencyViolation"
    assert _error(
        lambda: client.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
    ) == ("InvalidDBInstanceState", "Instance db1 is already being deleted.")
    assert [_states(client)[0] for _ in range(3)] == ["deleting", "deleting", "(gone)"]
    client.delete_db_subnet_group(DBSubnetGroupName="data")
    ec2.delete_security_group(GroupId=network.group)
    ec2.delete_subnet(SubnetId=network.a)


def test_a_source_with_replicas_stays_and_a_source_needs_backups(
    client: Any, network: Network
) -> None:
    _subnet_group(client, network)
    _database(client, network, "nobackups", BackupRetentionPeriod=0)
    _database(client, network, "primary", BackupRetentionPeriod=1)
    _settle(client, "nobackups")
    _settle(client, "primary")
    code, message = _error(
        lambda: client.create_db_instance_read_replica(
            DBInstanceIdentifier="copy", SourceDBInstanceIdentifier="nobackups"
        )
    )
    assert code == "InvalidDBInstanceState"
    assert message.startswith("Automated backups are not enabled for this database instance.")
    client.create_db_instance_read_replica(
        DBInstanceIdentifier="replica", SourceDBInstanceIdentifier="primary"
    )
    _settle(client, "replica")
    delete_primary = lambda: client.delete_db_instance(  # noqa: E731
        DBInstanceIdentifier="primary", SkipFinalSnapshot=True
    )
    assert _error(delete_primary) == (
        "InvalidDBInstanceState",
        "Cannot delete DB instance primary while it has read replicas: replica",
    )
    final_snapshot = lambda: client.delete_db_instance(  # noqa: E731
        DBInstanceIdentifier="replica", FinalDBSnapshotIdentifier="replica-final"
    )
    assert _code(final_snapshot) == "InvalidParameterCombination"
    client.delete_db_instance(DBInstanceIdentifier="replica", SkipFinalSnapshot=True)
    # Still a replica while it is being deleted.
    assert _code(delete_primary) == "InvalidDBInstanceState"
    assert [_states(client, "replica")[0] for _ in range(3)] == ["deleting", "deleting", "(gone)"]
    client.delete_db_instance(DBInstanceIdentifier="primary", FinalDBSnapshotIdentifier="last")


# -- groups ------------------------------------------------------------------------------


def test_subnet_groups_need_two_zones_and_unique_names(client: Any, network: Network) -> None:
    single = lambda: client.create_db_subnet_group(  # noqa: E731
        DBSubnetGroupName="single",
        DBSubnetGroupDescription="one zone",
        SubnetIds=[network.a, network.a2],
    )
    assert _error(single) == (
        "DBSubnetGroupDoesNotCoverEnoughAZs",
        "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. "
        f"Current AZ coverage: {REGION}a. Add subnets to cover at least 2 AZs.",
    )
    _subnet_group(client, network)
    assert _error(lambda: _subnet_group(client, network)) == (
        "DBSubnetGroupAlreadyExists",
        "The DB subnet group 'data' already exists.",
    )


def test_modify_subnet_group_changes_it_in_place(client: Any, truth: Any, network: Network) -> None:
    _subnet_group(client, network)
    client.modify_db_subnet_group(
        DBSubnetGroupName="data",
        DBSubnetGroupDescription="moved",
        SubnetIds=[network.a2, network.b],
    )
    group = truth.describe_db_subnet_groups(DBSubnetGroupName="data")["DBSubnetGroups"][0]
    assert group["DBSubnetGroupDescription"] == "moved"
    assert {s["SubnetIdentifier"] for s in group["Subnets"]} == {network.a2, network.b}
    tags = truth.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"])["TagList"]
    assert tags == [{"Key": "team", "Value": "db"}]
    one_zone = lambda: client.modify_db_subnet_group(  # noqa: E731
        DBSubnetGroupName="data", SubnetIds=[network.a, network.a2]
    )
    assert _code(one_zone) == "DBSubnetGroupDoesNotCoverEnoughAZs"


def test_a_parameter_group_in_use_stays(client: Any, truth: Any, network: Network) -> None:
    client.create_db_parameter_group(
        DBParameterGroupName="tuned", DBParameterGroupFamily="mysql8.0", Description="tuned"
    )
    _subnet_group(client, network)
    _database(client, network, DBParameterGroupName="tuned")
    assert _error(lambda: client.delete_db_parameter_group(DBParameterGroupName="tuned")) == (
        "InvalidDBParameterGroupState",
        "One or more database instances are still members of this parameter group tuned, so "
        "the group cannot be deleted",
    )
    assert truth.describe_db_instances()["DBInstances"]  # moto's state is intact
    _settle(client)
    client.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
    _states(client), _states(client), _states(client)
    client.delete_db_parameter_group(DBParameterGroupName="tuned")
