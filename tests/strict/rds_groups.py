"""DB subnet groups and parameter groups as AWS runs them.

moto replaces a subnet group created twice under one name, accepts one in a single zone,
drops a group on ModifyDBSubnetGroup (the next describe answers DBSubnetGroupNotFound), and
deletes subnet and parameter groups a database still uses (a deleted parameter group in use
makes every later DescribeDBInstances fail with a 500). AWS answers:

- CreateDBSubnetGroup with a taken name: DBSubnetGroupAlreadyExists;
- Create/ModifyDBSubnetGroup with subnets in fewer than two zones:
  DBSubnetGroupDoesNotCoverEnoughAZs;
- ModifyDBSubnetGroup changes the group in place: the layer puts back what moto dropped,
  with the new subnets and description and the old tags;
- DeleteDBSubnetGroup while a DB instance (a deleting one too) uses it:
  InvalidDBSubnetGroupStateFault; DeleteDBParameterGroup likewise:
  InvalidDBParameterGroupState.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.strict.core import AwsError, Call, StrictAws

if TYPE_CHECKING:
    from tests.strict.rds import DbInstances


class RdsGroups:
    def __init__(self, strict: StrictAws, instances: DbInstances) -> None:
        self._strict = strict
        self._instances = instances
        strict.before("rds", "CreateDBSubnetGroup", self.check_create)
        strict.before("rds", "ModifyDBSubnetGroup", self.check_modify)
        strict.after("rds", "ModifyDBSubnetGroup", self.restore_modified)
        strict.before("rds", "DeleteDBSubnetGroup", self.check_delete_subnet_group)
        strict.before("rds", "DeleteDBParameterGroup", self.check_delete_parameter_group)

    def _rds(self, call: Call) -> Any:
        return self._strict.plain("rds", call.region)

    def _group(self, call: Call, name: str) -> dict[str, Any] | None:
        groups = self._rds(call).describe_db_subnet_groups()["DBSubnetGroups"]
        return next((g for g in groups if g["DBSubnetGroupName"] == name.lower()), None)

    def _check_zones(self, call: Call) -> None:
        subnets = list(call.params.get("SubnetIds") or [])
        ec2 = self._strict.plain("ec2", call.region)
        found = ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": subnets}])
        zones = sorted({s["AvailabilityZone"] for s in found["Subnets"]})
        if len(found["Subnets"]) < len(set(subnets)):
            return  # moto answers InvalidSubnet for the unknown one itself
        if len(zones) < 2:
            raise AwsError(
                "DBSubnetGroupDoesNotCoverEnoughAZs",
                "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. "
                f"Current AZ coverage: {', '.join(zones)}. Add subnets to cover at least 2 AZs.",
            )

    def check_create(self, call: Call) -> None:
        name = str(call.params.get("DBSubnetGroupName", ""))
        if self._group(call, name) is not None:
            raise AwsError(
                "DBSubnetGroupAlreadyExists", f"The DB subnet group '{name}' already exists."
            )
        self._check_zones(call)

    def check_modify(self, call: Call) -> None:
        name = str(call.params.get("DBSubnetGroupName", ""))
        group = self._group(call, name)
        if group is None:
            return  # moto answers DBSubnetGroupNotFoundFault itself
        self._check_zones(call)
        tags = self._rds(call).list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"])
        call.notes["group"] = group
        call.notes["tags"] = tags.get("TagList") or []

    def restore_modified(self, call: Call, parsed: dict[str, Any]) -> None:
        group = call.notes.get("group")
        if group is None or self._group(call, group["DBSubnetGroupName"]) is not None:
            return
        self._rds(call).create_db_subnet_group(
            DBSubnetGroupName=group["DBSubnetGroupName"],
            DBSubnetGroupDescription=call.params.get("DBSubnetGroupDescription")
            or group["DBSubnetGroupDescription"],
            SubnetIds=list(call.params.get("SubnetIds") or []),
            Tags=call.notes["tags"],
        )

    def _users(self, call: Call, uses: Any) -> list[dict[str, Any]]:
        return [db for db in self._instances.holding(call.region) if uses(db)]

    def check_delete_subnet_group(self, call: Call) -> None:
        name = str(call.params.get("DBSubnetGroupName", "")).lower()
        users = self._users(
            call, lambda db: (db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName") == name
        )
        if users:
            self._instances.waited_on(users)
            raise AwsError(
                "InvalidDBSubnetGroupStateFault",
                f"Cannot delete the subnet group '{name}' because at least one database "
                f"instance: {users[0]['DBInstanceIdentifier']} is still using it.",
            )

    def check_delete_parameter_group(self, call: Call) -> None:
        name = str(call.params.get("DBParameterGroupName", "")).lower()
        users = self._users(
            call,
            lambda db: (
                name in {g.get("DBParameterGroupName") for g in db.get("DBParameterGroups") or []}
            ),
        )
        if users:
            self._instances.waited_on(users)
            raise AwsError(
                "InvalidDBParameterGroupState",
                f"One or more database instances are still members of this parameter group "
                f"{name}, so the group cannot be deleted",
            )
