"""Auto Scaling groups as AWS runs them; moto is lenient and has no clock.

moto overwrites a group created twice under one name, accepts sizes outside min <= desired
<= max, deletes a group that still has instances, and terminates instances the moment a group
scales in or goes. AWS answers AlreadyExists, ValidationError and ResourceInUse (with the
messages below), and takes time:

- an instance a group launches reports `Pending` for `pending_polls` DescribeAutoScalingGroups
  observations before moto's `InService` shows through;
- an instance the group lets go (scale-in, a forced delete) is still listed as `Terminating`
  for `pending_polls` observations, and EC2 reports it `shutting-down` for as many
  DescribeInstances observations; until then DeleteAutoScalingGroup without ForceDelete is
  refused, as it is while the group has any instance at all;
- a deleted group is still listed with Status "Delete in progress" for `pending_polls`
  observations, and its name cannot be reused until it is gone.

With `refusals_advance_time`, a refused delete lets a step of time pass for the instances
that caused it, as a poll would.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from tests.strict.core import AwsError, Call, StrictAws
from tests.strict.transitions import TransitionClock

GONE = "gone"  # the real state of what moto already removed
_IN_USE = (
    "You cannot delete an AutoScalingGroup while there are instances or pending Spot "
    "instance request(s) still in the group."
)
_SHUTTING_DOWN = {"Code": 32, "Name": "shutting-down"}


def register(strict: StrictAws) -> None:
    AutoScalingGroups(strict)


def _exists(name: str) -> AwsError:
    return AwsError(
        "AlreadyExists",
        f"AutoScalingGroup by this name already exists - A group with the name {name} "
        "already exists",
    )


def _check_sizes(low: int, high: int, desired: int | None) -> None:
    """AWS's own validation messages for the size triple."""
    if low > high:
        raise AwsError(
            "ValidationError",
            f"Max bound, {high}, must be greater than or equal to min bound, {low}",
        )
    if desired is not None and not low <= desired <= high:
        raise AwsError(
            "ValidationError",
            f"Desired capacity:{desired} must be between the specified min size:{low} "
            f"and max size:{high}",
        )


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def _matches(params: dict[str, Any], group: dict[str, Any]) -> bool:
    """Whether a DescribeAutoScalingGroups request would list `group`."""
    names = params.get("AutoScalingGroupNames")
    if names and group["AutoScalingGroupName"] not in names:
        return False
    tags = {t["Key"]: t.get("Value", "") for t in group.get("Tags") or []}
    for found in params.get("Filters") or []:
        name, values = found.get("Name", ""), found.get("Values") or []
        if name == "tag-key" and not set(values) & set(tags):
            return False
        if name == "tag-value" and not set(values) & set(tags.values()):
            return False
        if name.startswith("tag:") and tags.get(name[4:]) not in values:
            return False
    return True


class AutoScalingGroups:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self.clock = TransitionClock()  # instance ids, "ec2:<id>" and "group:<name>"
        self._lock = threading.Lock()
        self._seen: set[str] = set()  # instances already reported once (new ones are Pending)
        self._leaving: dict[str, tuple[str, dict[str, Any]]] = {}  # id -> (group, instance)
        self._deleted: dict[str, dict[str, Any]] = {}  # name -> the group as it was deleted
        strict.before("autoscaling", "CreateAutoScalingGroup", self.create)
        strict.before("autoscaling", "UpdateAutoScalingGroup", self.update)
        strict.before("autoscaling", "SetDesiredCapacity", self.remember_instances)
        strict.before("autoscaling", "DeleteAutoScalingGroup", self.delete)
        for resizing in ("UpdateAutoScalingGroup", "SetDesiredCapacity", "DeleteAutoScalingGroup"):
            strict.after("autoscaling", resizing, self.instances_left)
        strict.after("autoscaling", "DeleteAutoScalingGroup", self.deleted)
        strict.after("autoscaling", "DescribeAutoScalingGroups", self.describe_groups)
        strict.after("ec2", "DescribeInstances", self.describe_instances)

    # -- moto's real state ------------------------------------------------------------------

    def _group(self, call: Call, name: str) -> dict[str, Any] | None:
        asg = self._strict.plain("autoscaling", call.region)
        groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        return next(
            (g for g in groups["AutoScalingGroups"] if g["AutoScalingGroupName"] == name), None
        )

    def _still_listed(self, name: str) -> list[str]:
        """Instances AWS still lists in the group after moto let go of them."""
        with self._lock:
            leaving = [i for i, (group, _) in self._leaving.items() if group == name]
        return [i for i in leaving if self.clock.reported(i, GONE) != GONE]

    # -- refusals ---------------------------------------------------------------------------

    def create(self, call: Call) -> None:
        params = call.params
        name = str(params.get("AutoScalingGroupName", ""))
        # moto silently replaces an existing group (wiping its tags); AWS refuses, and keeps
        # refusing while a deleted group of that name is still being deleted.
        if self._group(call, name) is not None or self._deleting(name):
            raise _exists(name)
        _check_sizes(
            int(params.get("MinSize", 0)),
            int(params.get("MaxSize", 0)),
            _number(params.get("DesiredCapacity")),
        )

    def update(self, call: Call) -> None:
        group = self._group(call, str(call.params.get("AutoScalingGroupName", "")))
        if group is None:
            return  # moto answers "AutoScalingGroup name not found" itself
        params = call.params
        low = int(params.get("MinSize", group["MinSize"]))
        high = int(params.get("MaxSize", group["MaxSize"]))
        # Without a new desired capacity AWS moves the current one into the new range.
        _check_sizes(low, high, _number(params.get("DesiredCapacity")))
        call.notes["instances"] = group.get("Instances") or []

    def remember_instances(self, call: Call) -> None:
        group = self._group(call, str(call.params.get("AutoScalingGroupName", "")))
        call.notes["instances"] = (group.get("Instances") or []) if group else []

    def delete(self, call: Call) -> None:
        name = str(call.params.get("AutoScalingGroupName", ""))
        group = self._group(call, name)
        if group is None:
            return  # moto answers "not found" itself
        call.notes["group"] = group
        call.notes["instances"] = group.get("Instances") or []
        if call.params.get("ForceDelete"):
            return
        # moto deletes a group with instances (terminating them); AWS refuses without force.
        holding = [i["InstanceId"] for i in group.get("Instances") or []]
        holding += self._still_listed(name)
        if holding:
            if self._strict.refusals_advance_time:
                for instance_id in holding:
                    self.clock.tick(instance_id)
            raise AwsError("ResourceInUse", _IN_USE)

    # -- the clock --------------------------------------------------------------------------

    def _deleting(self, name: str) -> bool:
        with self._lock:
            known = name in self._deleted
        return known and self.clock.reported(f"group:{name}", GONE) != GONE

    def instances_left(self, call: Call, parsed: dict[str, Any]) -> None:
        """Instances moto terminated at once stay listed as Terminating for a while."""
        name = str(call.params.get("AutoScalingGroupName", ""))
        before = call.notes.get("instances") or []
        group = self._group(call, name)
        staying = {i["InstanceId"] for i in (group or {}).get("Instances") or []}
        polls = self._strict.pending_polls
        for instance in before:
            instance_id = instance["InstanceId"]
            if instance_id in staying:
                continue
            with self._lock:
                self._leaving[instance_id] = (name, dict(instance))
            self.clock.start(instance_id, "Terminating", polls)
            self.clock.start(f"ec2:{instance_id}", "shutting-down", polls)

    def deleted(self, call: Call, parsed: dict[str, Any]) -> None:
        group = call.notes.get("group")
        if group is None:
            return
        name = group["AutoScalingGroupName"]
        with self._lock:
            self._deleted[name] = {**group, "Status": "Delete in progress", "Instances": []}
        self.clock.start(f"group:{name}", "Delete in progress", self._strict.pending_polls)

    def _report_instances(self, group: dict[str, Any]) -> None:
        polls = self._strict.pending_polls
        for instance in group.get("Instances") or []:
            instance_id = instance["InstanceId"]
            with self._lock:
                new = instance_id not in self._seen
                self._seen.add(instance_id)
            if new:
                self.clock.start(instance_id, "Pending", polls)
            instance["LifecycleState"] = self.clock.observe(instance_id, instance["LifecycleState"])
        with self._lock:
            leaving = [
                (i, copy.deepcopy(instance))
                for i, (name, instance) in self._leaving.items()
                if name == group["AutoScalingGroupName"]
            ]
        for instance_id, instance in leaving:
            state = self.clock.observe(instance_id, GONE)
            if state == GONE:
                continue
            instance["LifecycleState"] = state
            group.setdefault("Instances", []).append(instance)

    def describe_groups(self, call: Call, parsed: dict[str, Any]) -> None:
        groups = parsed.setdefault("AutoScalingGroups", [])
        if not parsed.get("NextToken"):  # the last page lists the groups being deleted
            with self._lock:
                deleted = [copy.deepcopy(g) for g in self._deleted.values()]
            listed = {g["AutoScalingGroupName"] for g in groups}
            for group in deleted:
                name = group["AutoScalingGroupName"]
                if name in listed or not _matches(call.params, group):
                    continue
                if self.clock.observe(f"group:{name}", GONE) != GONE:
                    groups.append(group)
        for group in groups:
            self._report_instances(group)

    def describe_instances(self, call: Call, parsed: dict[str, Any]) -> None:
        for reservation in parsed.get("Reservations") or []:
            for instance in reservation.get("Instances") or []:
                key = f"ec2:{instance['InstanceId']}"
                if self.clock.observe(key, GONE) != GONE:
                    instance["State"] = dict(_SHUTTING_DOWN)
