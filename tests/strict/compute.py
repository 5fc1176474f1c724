"""EC2 instances as AWS runs them; moto is lenient and has no clock.

Time (counted in observations, see transitions.py; `pending_polls` of them each):
- after RunInstances and StartInstances an instance is `pending` on DescribeInstances, then
  its status checks are `initializing` on DescribeInstanceStatus (which, as on AWS, lists
  only running instances unless IncludeAllInstances);
- after StopInstances it is `stopping`; after TerminateInstances it is `shutting-down`, and
  until it is terminated it still holds its subnet, its security groups and its public IPv4
  address: DeleteSubnet, DeleteSecurityGroup and DetachInternetGateway are refused, as AWS
  does (moto terminates at once and lets all three go);
- the `instance-state-name` filter is applied to these reported states, not moto's.

Refusals moto does not make:
- ModifyInstanceAttribute of the type or user data of an instance that is not `stopped`
  (moto changes a running instance), and StartInstances while `stopping`;
- RunInstances, AssociateIamInstanceProfile and ReplaceIamInstanceProfileAssociation naming
  an instance profile created moments ago (the first `instance_profile_refusals` calls,
  default PROFILE_REFUSALS; set the attribute on the StrictAws to change it: IAM is
  eventually consistent) or one that does not exist (moto answers NoSuchEntity);
- RunInstances with more than 16 KB of user data.

State moto gets wrong: after ModifyInstanceAttribute with Groups, AWS moves the primary
interface to exactly those groups; moto's interface keeps the old ones as well.
"""

from __future__ import annotations

import base64
import binascii
import threading
from dataclasses import dataclass
from typing import Any

from tests.strict import ec2_lookups as look
from tests.strict.core import AwsError, Call, StrictAws
from tests.strict.ec2_dependencies import group_in_use, mapped_public_addresses, subnet_in_use
from tests.strict.transitions import TransitionClock

PROFILE_REFUSALS = 2
USER_DATA_LIMIT = 16384
STATE_CODES = {
    "pending": 0,
    "running": 16,
    "shutting-down": 32,
    "terminated": 48,
    "stopping": 64,
    "stopped": 80,
}
_STATE_FILTER = "instance-state-name"
_NOTE = "compute:states"


def register(strict: StrictAws) -> None:
    Instances(strict)


def _state(name: str) -> dict[str, Any]:
    return {"Code": STATE_CODES[name], "Name": name}


def _not_in_state(instance_id: str, wanted: str) -> AwsError:
    return AwsError("IncorrectInstanceState", f"The instance '{instance_id}' is {wanted}.")


@dataclass(frozen=True)
class _Held:
    """What a terminating instance keeps until it is terminated."""

    subnet: str
    vpc: str
    groups: frozenset[str]
    public: bool


def _held(instance: dict[str, Any]) -> _Held:
    groups = {g["GroupId"] for g in instance.get("SecurityGroups") or []}
    for interface in instance.get("NetworkInterfaces") or []:
        groups |= {g["GroupId"] for g in interface.get("Groups") or []}
    return _Held(
        subnet=str(instance.get("SubnetId") or ""),
        vpc=str(instance.get("VpcId") or ""),
        groups=frozenset(groups),
        public=bool(instance.get("PublicIpAddress")),
    )


class Instances:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self.clock = TransitionClock()  # pending, stopping, shutting-down
        self.checks = TransitionClock()  # status checks still initializing
        self._lock = threading.Lock()
        self._terminating: dict[str, _Held] = {}
        self._new_profiles: dict[str, int] = {}  # name -> refusals left
        on = strict.before
        on("ec2", "RunInstances", self.run_instances)
        on("ec2", "AssociateIamInstanceProfile", self.profile_in_call)
        on("ec2", "ReplaceIamInstanceProfileAssociation", self.profile_in_call)
        on("ec2", "ModifyInstanceAttribute", self.modify_attribute)
        on("ec2", "StartInstances", self.start_instances)
        on("ec2", "TerminateInstances", self.remember_holdings)
        on("ec2", "DeleteSubnet", self.delete_subnet)
        on("ec2", "DeleteSecurityGroup", self.delete_security_group)
        on("ec2", "DetachInternetGateway", self.detach_internet_gateway)
        strict.after("iam", "CreateInstanceProfile", self.profile_created)
        strict.after("ec2", "RunInstances", self.launched)
        strict.after("ec2", "ModifyInstanceAttribute", self.groups_modified)
        strict.after("ec2", "StartInstances", self.started)
        strict.after("ec2", "StopInstances", self.stopped)
        strict.after("ec2", "TerminateInstances", self.terminated)
        strict.params("ec2", "DescribeInstances", self.take_state_filter)
        strict.after("ec2", "DescribeInstances", self.describe_instances)
        strict.after("ec2", "DescribeInstanceStatus", self.describe_status)

    # -- what AWS would report --------------------------------------------------------------

    def _real(self, call: Call, instance_id: str) -> str:
        found = look.instances(
            self._strict.plain("ec2", call.region), look.by("instance-id", instance_id)
        )
        return str(found[0]["State"]["Name"]) if found else "absent"

    def reported(self, call: Call, instance_id: str) -> str:
        return self.clock.reported(instance_id, self._real(call, instance_id))

    def _waited_on(self, instance_ids: list[str]) -> None:
        if self._strict.refusals_advance_time:
            for instance_id in instance_ids:
                self.clock.tick(instance_id)

    def _holding(self, test: Any) -> list[str]:
        """Terminating instances still shutting down whose holdings pass `test`."""
        with self._lock:
            candidates = [i for i, held in self._terminating.items() if test(held)]
        return [i for i in candidates if self.clock.reported(i, "terminated") == "shutting-down"]

    # -- refusals ---------------------------------------------------------------------------

    def run_instances(self, call: Call) -> None:
        encoded = call.params.get("UserData")
        if encoded:  # botocore has base64-encoded it by now; AWS's limit is on the raw bytes
            try:
                size = len(base64.b64decode(encoded, validate=True))
            except (binascii.Error, ValueError):
                size = len(str(encoded).encode())
            if size > USER_DATA_LIMIT:
                raise AwsError("InvalidParameterValue", "User data is limited to 16384 bytes")
        self.profile_in_call(call)

    def profile_in_call(self, call: Call) -> None:
        profile = call.params.get("IamInstanceProfile") or {}
        kind, value = (
            ("name", profile.get("Name")) if profile.get("Name") else ("arn", profile.get("Arn"))
        )
        if not value:
            return
        name = str(value).rsplit("/", 1)[-1]
        with self._lock:
            left = self._new_profiles.get(name, 0)
            if left:
                self._new_profiles[name] = left - 1
        if left or not self._profile_exists(call, name):
            label = "name" if kind == "name" else "ARN"
            raise AwsError(
                "InvalidParameterValue",
                f"Value ({value}) for parameter iamInstanceProfile.{kind} is invalid. "
                f"Invalid IAM Instance Profile {label}",
            )

    def _profile_exists(self, call: Call, name: str) -> bool:
        iam = self._strict.plain("iam", call.region or "us-east-1")
        try:
            iam.get_instance_profile(InstanceProfileName=name)
        except iam.exceptions.NoSuchEntityException:
            return False
        return True

    def modify_attribute(self, call: Call) -> None:
        params = call.params
        needs_stop = bool({"InstanceType", "UserData"} & set(params)) or str(
            params.get("Attribute", "")
        ) in {"instanceType", "userData"}
        instance_id = str(params.get("InstanceId", ""))
        if needs_stop and self.reported(call, instance_id) not in {"stopped", "absent"}:
            self._waited_on([instance_id])
            raise _not_in_state(instance_id, "not in the 'stopped' state")

    def start_instances(self, call: Call) -> None:
        for instance_id in call.params.get("InstanceIds") or []:
            if self.reported(call, instance_id) == "stopping":
                self._waited_on([instance_id])
                raise _not_in_state(instance_id, "not in a state from which it can be started")

    def delete_subnet(self, call: Call) -> None:
        subnet = str(call.params.get("SubnetId", ""))
        holding = self._holding(lambda held: held.subnet == subnet)
        if holding:
            self._waited_on(holding)
            raise subnet_in_use(subnet)

    def delete_security_group(self, call: Call) -> None:
        found = look.security_group(self._strict.plain("ec2", call.region), call.params)
        group = str(found["GroupId"]) if found else ""
        holding = self._holding(lambda held: group in held.groups)
        if found and holding:
            self._waited_on(holding)
            raise group_in_use(group)

    def detach_internet_gateway(self, call: Call) -> None:
        igw, vpc = str(call.params.get("InternetGatewayId", "")), str(call.params.get("VpcId", ""))
        if not look.attached_to(self._strict.plain("ec2", call.region), igw, vpc):
            return
        holding = self._holding(lambda held: held.vpc == vpc and held.public)
        if holding:
            self._waited_on(holding)
            raise mapped_public_addresses(vpc)

    # -- the clock --------------------------------------------------------------------------

    def profile_created(self, call: Call, parsed: dict[str, Any]) -> None:
        name = (parsed.get("InstanceProfile") or {}).get("InstanceProfileName")
        if name:
            refusals = getattr(self._strict, "instance_profile_refusals", PROFILE_REFUSALS)
            with self._lock:
                self._new_profiles[str(name)] = int(refusals)

    def _booting(self, instance_id: str) -> None:
        self.clock.start(instance_id, "pending", self._strict.pending_polls)
        self.checks.start(instance_id, "initializing", self._strict.pending_polls)

    def groups_modified(self, call: Call, parsed: dict[str, Any]) -> None:
        """AWS moves the instance's primary interface to the new groups; moto keeps the old
        ones on the interface too (its group set is the union of the interface's groups and
        the instance's), so a group left would still look in use. Set the interface's groups
        to the new ones, as AWS holds them."""
        groups = call.params.get("Groups")
        if not groups:
            return
        ec2 = self._strict.plain("ec2", call.region)
        found = look.instances(ec2, look.by("instance-id", str(call.params["InstanceId"])))
        for interface in found[0].get("NetworkInterfaces", []) if found else []:
            if interface.get("Attachment", {}).get("DeviceIndex") == 0:
                ec2.modify_network_interface_attribute(
                    NetworkInterfaceId=interface["NetworkInterfaceId"], Groups=groups
                )

    def launched(self, call: Call, parsed: dict[str, Any]) -> None:
        for instance in parsed.get("Instances") or []:
            self._booting(instance["InstanceId"])
            instance["State"] = _state("pending")

    def started(self, call: Call, parsed: dict[str, Any]) -> None:
        for change in parsed.get("StartingInstances") or []:
            if (change.get("PreviousState") or {}).get("Name") == "stopped":
                self._booting(change["InstanceId"])
                change["CurrentState"] = _state("pending")

    def stopped(self, call: Call, parsed: dict[str, Any]) -> None:
        for change in parsed.get("StoppingInstances") or []:
            if (change.get("PreviousState") or {}).get("Name") in {"pending", "running"}:
                self.clock.start(change["InstanceId"], "stopping", self._strict.pending_polls)
                change["CurrentState"] = _state("stopping")

    def remember_holdings(self, call: Call) -> None:
        ids = [str(i) for i in call.params.get("InstanceIds") or []]
        found = (
            look.live_instances(
                self._strict.plain("ec2", call.region), look.by("instance-id", *ids)
            )
            if ids
            else []
        )
        call.notes["held"] = {i["InstanceId"]: _held(i) for i in found}

    def terminated(self, call: Call, parsed: dict[str, Any]) -> None:
        held: dict[str, _Held] = call.notes.get("held") or {}
        for change in parsed.get("TerminatingInstances") or []:
            instance_id = change["InstanceId"]
            if instance_id not in held:  # terminated already: AWS says so
                change["CurrentState"] = _state(self.clock.reported(instance_id, "terminated"))
                continue
            with self._lock:
                self._terminating[instance_id] = held[instance_id]
            self.checks.start(instance_id, "", 0)
            self.clock.start(instance_id, "shutting-down", self._strict.pending_polls)
            change["CurrentState"] = _state("shutting-down")

    def take_state_filter(self, call: Call) -> None:
        filters = call.params.get("Filters") or []
        wanted = [f for f in filters if f.get("Name") == _STATE_FILTER]
        if wanted:
            call.notes[_NOTE] = {v for f in wanted for v in f.get("Values") or []}
            # A new list: the caller's own is never mutated.
            call.params["Filters"] = [f for f in filters if f.get("Name") != _STATE_FILTER]

    def describe_instances(self, call: Call, parsed: dict[str, Any]) -> None:
        wanted: set[str] | None = call.notes.get(_NOTE)
        for reservation in parsed.get("Reservations") or []:
            for instance in reservation.get("Instances") or []:
                real = str(instance["State"]["Name"])
                instance["State"] = _state(self.clock.observe(instance["InstanceId"], real))
            if wanted is not None:
                reservation["Instances"] = [
                    i for i in reservation.get("Instances") or [] if i["State"]["Name"] in wanted
                ]
        if wanted is not None:
            parsed["Reservations"] = [r for r in parsed.get("Reservations") or [] if r["Instances"]]

    def describe_status(self, call: Call, parsed: dict[str, Any]) -> None:
        everything = bool(call.params.get("IncludeAllInstances"))
        kept = []
        for status in parsed.get("InstanceStatuses") or []:
            instance_id = status["InstanceId"]
            state = self.clock.observe(instance_id, str(status["InstanceState"]["Name"]))
            status["InstanceState"] = _state(state)
            if state != "running":
                status["InstanceStatus"] = status["SystemStatus"] = {"Status": "not-applicable"}
                if everything:
                    kept.append(status)
                continue
            if self.checks.observe(instance_id, "ok") == "initializing":
                details = [{"Name": "reachability", "Status": "initializing"}]
                for key in ("InstanceStatus", "SystemStatus"):
                    status[key] = {"Status": "initializing", "Details": details}
            kept.append(status)
        parsed["InstanceStatuses"] = kept
