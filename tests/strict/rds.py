"""RDS DB instances as AWS runs them; moto has no clock and lets wrong-order deletes through.

The time model (observations of DescribeDBInstances, see transitions.py):

- a new instance (or read replica) reports `creating` for `pending_polls` observations, then
  `backing-up` for as many, then moto's `available` shows through;
- after ModifyDBInstance it reports `modifying` for `pending_polls` observations;
- after DeleteDBInstance it is still listed as `deleting` for `pending_polls` observations
  (moto drops it at once), and it still holds its subnet group, parameter group, security
  groups and subnets meanwhile.

Refusals moto does not make, with AWS's codes:

- ModifyDBInstance, and CreateDBInstanceReadReplica of a source, while the instance is not
  `available` (InvalidDBInstanceState);
- CreateDBInstanceReadReplica of a source without automated backups (InvalidDBInstanceState);
- DeleteDBInstance with neither SkipFinalSnapshot nor FinalDBSnapshotIdentifier, or with a
  final snapshot for a read replica (InvalidParameterCombination); of an instance already
  being deleted (InvalidDBInstanceState);
- DeleteDBInstance of a source that still has read replicas (InvalidDBInstanceState). AWS
  itself would promote same-region replicas to standalone databases instead (and moto leaves
  them undeletable): refusing makes an out-of-order teardown visible, where on AWS it would
  silently leave promoted databases behind;
- a storage decrease, or a master password shorter than 8 characters, in CreateDBInstance or
  ModifyDBInstance (InvalidParameterValue);
- DeleteSecurityGroup and DeleteSubnet while a DB instance (deleting ones included) uses the
  group or a subnet of its subnet group (DependencyViolation, as EC2 answers for the
  instance's network interfaces).

The group rules (subnet and parameter groups) are in rds_groups.py. These rules see only
instances created through the layer: tests that build databases with plain clients get
moto's behaviour.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from tests.strict import rds_groups
from tests.strict.core import AwsError, Call, StrictAws
from tests.strict.ec2_dependencies import group_in_use, subnet_in_use

GONE = "gone"  # the real state of an instance moto already dropped
_NOT_AVAILABLE = "InvalidDBInstanceState"


def register(strict: StrictAws) -> None:
    instances = DbInstances(strict)
    rds_groups.RdsGroups(strict, instances)


class PhaseClock:
    """States an instance goes through, each for a number of observations. Thread-safe."""

    def __init__(self) -> None:
        self._phases: dict[str, list[list[Any]]] = {}
        self._lock = threading.Lock()

    def start(self, key: str, *phases: tuple[str, int]) -> None:
        with self._lock:
            self._phases[key] = [[state, count] for state, count in phases if count > 0]

    def reported(self, key: str, real: str) -> str:
        with self._lock:
            phases = self._phases.get(key)
            return str(phases[0][0]) if phases else real

    def observe(self, key: str, real: str) -> str:
        with self._lock:
            phases = self._phases.get(key)
            if not phases:
                return real
            state = str(phases[0][0])
            phases[0][1] -= 1
            if phases[0][1] <= 0:
                phases.pop(0)
            return state

    def tick(self, key: str) -> None:
        self.observe(key, GONE)


def _matches(params: dict[str, Any], db: dict[str, Any]) -> bool:
    """Whether a DescribeDBInstances request would list `db` (identifier or id filter)."""
    identifier = params.get("DBInstanceIdentifier")
    names = {db["DBInstanceIdentifier"], db.get("DBInstanceArn")}
    if identifier and identifier.lower() not in names:
        return False
    for found in params.get("Filters") or []:
        if found.get("Name") == "db-instance-id":
            if not {v.lower() for v in found.get("Values") or []} & names:
                return False
        else:
            return False  # other filters are not modelled: a deleting copy is not listed
    return True


class DbInstances:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self.clock = PhaseClock()
        self._lock = threading.Lock()
        self._deleting: dict[str, dict[str, Any]] = {}  # identifier -> the instance as it was
        self.seen = False  # a database went through the layer: the EC2 rules have work to do
        strict.before("rds", "CreateDBInstance", self.check_create)
        strict.before("rds", "CreateDBInstanceReadReplica", self.check_replica)
        strict.before("rds", "ModifyDBInstance", self.check_modify)
        strict.before("rds", "DeleteDBInstance", self.check_delete)
        strict.before("ec2", "DeleteSecurityGroup", self.check_security_group)
        strict.before("ec2", "DeleteSubnet", self.check_subnet)
        for creating in ("CreateDBInstance", "CreateDBInstanceReadReplica"):
            strict.after("rds", creating, self.created)
        strict.after("rds", "ModifyDBInstance", self.modified)
        strict.after("rds", "DeleteDBInstance", self.deleted)
        strict.after("rds", "DescribeDBInstances", self.describe)

    # -- moto's state, and what AWS would report -------------------------------------------

    def _rds(self, region: str) -> Any:
        return self._strict.plain("rds", region)

    def real(self, region: str, identifier: str) -> dict[str, Any] | None:
        found = self._rds(region).describe_db_instances(
            Filters=[{"Name": "db-instance-id", "Values": [identifier]}]
        )["DBInstances"]
        return found[0] if found else None

    def state(self, db: dict[str, Any]) -> str:
        return self.clock.reported(db["DBInstanceIdentifier"], str(db["DBInstanceStatus"]))

    def still_deleting(self, db: dict[str, Any]) -> bool:
        """Whether an instance moto dropped is still being deleted, as AWS reports it."""
        return self.clock.reported(db["DBInstanceIdentifier"], GONE) == "deleting"

    def _deleting_copy(self, identifier: str) -> dict[str, Any] | None:
        with self._lock:
            db = self._deleting.get(identifier.lower())
        return copy.deepcopy(db) if db is not None and self.still_deleting(db) else None

    def holding(self, region: str) -> list[dict[str, Any]]:
        """Instances that hold their groups and subnets: live ones and those still deleting."""
        if not self.seen:
            return []
        live = self._rds(region).describe_db_instances()["DBInstances"]
        with self._lock:
            deleting = [copy.deepcopy(db) for db in self._deleting.values()]
        still = [db for db in deleting if self.still_deleting(db)]
        return live + [db for db in still if db.get("_region") == region]

    def waited_on(self, instances: list[dict[str, Any]]) -> None:
        """A call was refused because of these: on AWS, time passed meanwhile."""
        if self._strict.refusals_advance_time:
            for db in instances:
                self.clock.tick(db["DBInstanceIdentifier"])

    def _not_available(self, db: dict[str, Any]) -> AwsError | None:
        state = self.state(db)
        if state == "available":
            return None
        self.waited_on([db])
        return AwsError(
            _NOT_AVAILABLE,
            f"Database instance is not in available state. (DB instance "
            f"{db['DBInstanceIdentifier']} is {state})",
        )

    # -- refusals ---------------------------------------------------------------------------

    @staticmethod
    def _check_password(params: dict[str, Any]) -> None:
        password = params.get("MasterUserPassword")
        if password is not None and len(str(password)) < 8:
            raise AwsError(
                "InvalidParameterValue",
                "The parameter MasterUserPassword is not a valid password because it is "
                "shorter than 8 characters.",
            )

    def _check_identifier_free(self, call: Call) -> None:
        """moto reuses an identifier at once; AWS keeps it until the deletion is done."""
        identifier = str(call.params.get("DBInstanceIdentifier", ""))
        deleting = self._deleting_copy(identifier)
        if deleting is not None:
            self.waited_on([deleting])
            raise AwsError("DBInstanceAlreadyExists", "DB instance already exists")

    def check_create(self, call: Call) -> None:
        self._check_identifier_free(call)
        self._check_password(call.params)

    def check_replica(self, call: Call) -> None:
        self._check_identifier_free(call)
        source_id = str(call.params.get("SourceDBInstanceIdentifier", ""))
        region = source_id.split(":")[3] if source_id.startswith("arn:") else call.region
        source = self.real(region, source_id.rsplit(":", 1)[-1])
        if source is None:
            return  # moto answers DBInstanceNotFound itself
        refusal = self._not_available(source)
        if refusal:
            raise refusal
        # moto replicates a source without backups; AWS needs them to seed the replica.
        if not source.get("BackupRetentionPeriod"):
            raise AwsError(
                _NOT_AVAILABLE,
                "Automated backups are not enabled for this database instance. To enable "
                "automated backups, use ModifyDBInstance to set the backup retention period "
                "to a non-zero value.",
            )

    def check_modify(self, call: Call) -> None:
        db = self.real(call.region, str(call.params.get("DBInstanceIdentifier", "")))
        if db is None:
            return  # moto answers DBInstanceNotFound itself
        refusal = self._not_available(db)
        if refusal:
            raise refusal
        self._check_password(call.params)
        storage = call.params.get("AllocatedStorage")
        # moto shrinks storage on request; AWS never decreases allocated storage.
        if storage is not None and int(storage) < int(db.get("AllocatedStorage") or 0):
            raise AwsError(
                "InvalidParameterValue",
                f"Invalid storage size: {storage} GiB is less than the allocated storage of "
                f"{db['AllocatedStorage']} GiB. You can't reduce the allocated storage of a DB "
                "instance.",
            )
        call.notes["modified"] = db["DBInstanceIdentifier"]

    def check_delete(self, call: Call) -> None:
        identifier = str(call.params.get("DBInstanceIdentifier", "")).lower()
        gone = self._deleting_copy(identifier)
        if gone is not None:
            self.waited_on([gone])
            raise AwsError(_NOT_AVAILABLE, f"Instance {identifier} is already being deleted.")
        db = self.real(call.region, identifier)
        if db is None:
            return  # moto answers DBInstanceNotFound itself
        params = call.params
        replica = bool(db.get("ReadReplicaSourceDBInstanceIdentifier"))
        if replica and params.get("FinalDBSnapshotIdentifier"):
            raise AwsError(
                "InvalidParameterCombination",
                "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance",
            )
        # moto deletes without either; AWS makes the caller choose.
        if (
            not replica
            and not params.get("SkipFinalSnapshot")
            and not params.get("FinalDBSnapshotIdentifier")
        ):
            raise AwsError(
                "InvalidParameterCombination",
                "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
            )
        replicas = [r for r in db.get("ReadReplicaDBInstanceIdentifiers") or [] if r]
        with self._lock:
            leaving = [copy.deepcopy(r) for r in self._deleting.values()]
        # A replica still being deleted is still a replica.
        blocking = [
            r
            for r in leaving
            if r.get("ReadReplicaSourceDBInstanceIdentifier") in (identifier, db["DBInstanceArn"])
            and self.still_deleting(r)
        ]
        replicas += [r["DBInstanceIdentifier"] for r in blocking]
        if replicas:
            self.waited_on(blocking)
            raise AwsError(
                _NOT_AVAILABLE,
                f"Cannot delete DB instance {identifier} while it has read replicas: "
                f"{', '.join(replicas)}",
            )
        call.notes["deleting"] = db

    def _holders(self, call: Call, test: Any) -> list[dict[str, Any]]:
        return [db for db in self.holding(call.region) if test(db)]

    def check_security_group(self, call: Call) -> None:
        group = call.params.get("GroupId")
        holders = self._holders(
            call,
            lambda db: (
                group in {g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups") or []}
            ),
        )
        if holders:
            self.waited_on(holders)
            raise group_in_use(str(group))

    def check_subnet(self, call: Call) -> None:
        subnet = call.params.get("SubnetId")
        holders = self._holders(
            call,
            lambda db: (
                subnet
                in {
                    s["SubnetIdentifier"]
                    for s in (db.get("DBSubnetGroup") or {}).get("Subnets") or []
                }
            ),
        )
        if holders:
            self.waited_on(holders)
            raise subnet_in_use(str(subnet))

    # -- the clock --------------------------------------------------------------------------

    def created(self, call: Call, parsed: dict[str, Any]) -> None:
        identifier = (parsed.get("DBInstance") or {}).get("DBInstanceIdentifier")
        if not identifier:
            return
        self.seen = True
        with self._lock:
            self._deleting.pop(identifier, None)  # an earlier one of that name is long gone
        polls = self._strict.pending_polls
        self.clock.start(identifier, ("creating", polls), ("backing-up", polls))
        parsed["DBInstance"]["DBInstanceStatus"] = "creating"

    def modified(self, call: Call, parsed: dict[str, Any]) -> None:
        identifier = call.notes.get("modified")
        if identifier:
            self.clock.start(identifier, ("modifying", self._strict.pending_polls))
            parsed.get("DBInstance", {})["DBInstanceStatus"] = "modifying"

    def deleted(self, call: Call, parsed: dict[str, Any]) -> None:
        db = call.notes.get("deleting")
        if db is None:
            return
        identifier = db["DBInstanceIdentifier"]
        with self._lock:
            self._deleting[identifier] = {
                **db,
                "DBInstanceStatus": "deleting",
                "_region": call.region,
            }
        self.clock.start(identifier, ("deleting", self._strict.pending_polls))
        parsed.get("DBInstance", {})["DBInstanceStatus"] = "deleting"

    def describe(self, call: Call, parsed: dict[str, Any]) -> None:
        listed = parsed.setdefault("DBInstances", [])
        for db in listed:
            db["DBInstanceStatus"] = self.clock.observe(
                db["DBInstanceIdentifier"], str(db["DBInstanceStatus"])
            )
        if parsed.get("Marker"):
            return  # the last page lists the instances being deleted
        names = {db["DBInstanceIdentifier"] for db in listed}
        with self._lock:
            deleting = [copy.deepcopy(db) for db in self._deleting.values()]
        for db in deleting:
            identifier = db["DBInstanceIdentifier"]
            if (
                identifier in names
                or db.pop("_region") != call.region
                or not _matches(call.params, db)
            ):
                continue
            if self.clock.observe(identifier, GONE) == "deleting":
                listed.append(db)
