"""The ELB v2 family (application load balancers): what AWS does and moto does not.

- A new load balancer is `provisioning` for `pending_polls` DescribeLoadBalancers
  observations, then moto's `active` shows through (moto: active on the first describe).
- CreateLoadBalancer (application): a name over 32 characters or with other characters than
  letters, digits and hyphens is a ValidationError; subnets must be in at least two zones
  (ValidationError), one per zone (InvalidConfigurationRequest); an internet-facing one needs
  its VPC's internet gateway (InvalidSubnet). moto accepts all of these.
- A same-name CreateLoadBalancer returns the existing load balancer when the settings are the
  same and fails with DuplicateLoadBalancerName otherwise (moto makes a second one).
- Without SecurityGroups AWS gives the load balancer its VPC's default group (moto: none).
- CreateListener, or ModifyListener to a port, already used on the load balancer:
  DuplicateListener (moto never detects it).
- DeleteLoadBalancer with deletion protection on: OperationNotPermitted (moto deletes).
- A live load balancer holds its security groups, its subnets and, when internet-facing, public
  addresses in its VPC, so DeleteSecurityGroup, DeleteSubnet and DetachInternetGateway are
  refused. After DeleteLoadBalancer its network interfaces are released a few minutes later:
  the same calls stay refused for `pending_polls` refused attempts (with
  `refusals_advance_time`; no API the engine polls shows those interfaces).

The refusals reuse the EC2 family's messages; the EC2 rules on the same operations run first.
"""

from __future__ import annotations

import os
import re
from typing import Any

from botocore.exceptions import ClientError

from tests.strict import ec2_lookups as look
from tests.strict.core import AwsError, Call, StrictAws, settling
from tests.strict.ec2_dependencies import group_in_use, mapped_public_addresses, subnet_in_use
from tests.strict.transitions import TransitionClock

_RELEASING = "releasing"
_NAME = re.compile(r"^[A-Za-z0-9-]*$")


def register(strict: StrictAws) -> None:
    ApplicationLoadBalancers(strict)
    # Build the plain clients the rules read with now: building one takes a few hundred ms
    # under the layer's lock, and mid-run that stalls every hooked call past the engine's
    # (test-scaled) retry deadline.
    region = os.environ.get("AWS_DEFAULT_REGION")
    if region:
        strict.plain("elbv2", region)
        strict.plain("ec2", region)


class ApplicationLoadBalancers:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self.provisioning = TransitionClock()  # by load balancer ARN
        self.releasing = TransitionClock()  # by "sg:<id>", "subnet:<id>", "vpc:<id>"
        strict.params("elbv2", "CreateLoadBalancer", self.default_security_group)
        strict.before("elbv2", "CreateLoadBalancer", self.create_load_balancer)
        strict.after("elbv2", "CreateLoadBalancer", self.created)
        strict.after("elbv2", "DescribeLoadBalancers", self.report_states)
        strict.before("elbv2", "CreateListener", self.create_listener)
        strict.before("elbv2", "ModifyListener", self.modify_listener)
        strict.before("elbv2", "DeleteLoadBalancer", self.delete_load_balancer)
        strict.after("elbv2", "DeleteLoadBalancer", self.start_release)
        strict.before("ec2", "DeleteSecurityGroup", self.delete_security_group)
        strict.before("ec2", "DeleteSubnet", self.delete_subnet)
        strict.before("ec2", "DetachInternetGateway", self.detach_internet_gateway)

    # -- reads of moto's truth ----------------------------------------------------------------

    def _elbv2(self, call: Call) -> Any:
        return self._strict.plain("elbv2", call.region)

    def _ec2(self, call: Call) -> Any:
        return self._strict.plain("ec2", call.region)

    def _live(self, call: Call) -> list[dict[str, Any]]:
        pages = self._elbv2(call).get_paginator("describe_load_balancers").paginate()
        return [lb for page in pages for lb in page.get("LoadBalancers", [])]

    def _one(self, call: Call, **query: Any) -> dict[str, Any] | None:
        try:
            found = self._elbv2(call).describe_load_balancers(**query)["LoadBalancers"]
        except ClientError:
            return None  # LoadBalancerNotFound
        return dict(found[0]) if found else None

    def _releasing(self, key: str) -> bool:
        """Whether a deleted load balancer's interfaces still hold `key`; a refusal because
        of it lets one step of time pass."""
        if self.releasing.reported(key, "released") != _RELEASING:
            return False
        if self._strict.refusals_advance_time:
            self.releasing.tick(key)
        return True

    # -- CreateLoadBalancer -------------------------------------------------------------------

    def default_security_group(self, call: Call) -> None:
        if call.params.get("SecurityGroups") or call.params.get("Type", "application") != (
            "application"
        ):
            return
        subnets = _subnet_ids(call.params)
        found = look_subnets(self._ec2(call), subnets[:1])
        if not found:
            return  # moto answers for the unknown subnet itself
        groups = self._ec2(call).describe_security_groups(
            Filters=[look.by("vpc-id", found[0]["VpcId"]), look.by("group-name", "default")]
        )["SecurityGroups"]
        if groups:
            call.params["SecurityGroups"] = [groups[0]["GroupId"]]

    def create_load_balancer(self, call: Call) -> None:
        if call.params.get("Type", "application") != "application":
            return
        name = str(call.params.get("Name", ""))
        if len(name) > 32:
            raise AwsError(
                "ValidationError",
                f"The load balancer name '{name}' cannot be longer than '32' characters",
            )
        if not _NAME.match(name):
            raise AwsError(
                "ValidationError",
                "LoadBalancer name cannot contain characters that are not letters, or digits "
                "or the dash.",
            )
        wanted = _subnet_ids(call.params)
        subnets = look_subnets(self._ec2(call), wanted)
        if len(subnets) < len(set(wanted)):
            return  # moto answers SubnetNotFound itself
        zones = [s["AvailabilityZone"] for s in subnets]
        if len(set(zones)) < 2:
            raise AwsError(
                "ValidationError",
                "At least two subnets in two different Availability Zones must be specified",
            )
        if len(set(zones)) < len(zones):
            raise AwsError(
                "InvalidConfigurationRequest",
                "A load balancer cannot be attached to multiple subnets in the same "
                "Availability Zone",
            )
        vpc = str(subnets[0]["VpcId"])
        if call.params.get("Scheme", "internet-facing") == "internet-facing":
            gateways = self._ec2(call).describe_internet_gateways(
                Filters=[look.by("attachment.vpc-id", vpc)]
            )["InternetGateways"]
            if not gateways:
                raise AwsError("InvalidSubnet", f"VPC {vpc} has no internet gateway")
        existing = self._one(call, Names=[name])
        if existing is None:
            return
        if _differs(call.params, existing):
            raise AwsError(
                "DuplicateLoadBalancerName",
                f"A load balancer with the same name '{name}' exists, but with different settings",
            )
        call.notes["existing"] = existing  # the same settings: AWS answers with it

    def created(self, call: Call, parsed: dict[str, Any]) -> None:
        existing: dict[str, Any] | None = call.notes.get("existing")
        made = (parsed.get("LoadBalancers") or [{}])[0]
        if existing is not None:
            # moto made a second one; AWS would have returned the first.
            self._elbv2(call).delete_load_balancer(LoadBalancerArn=made["LoadBalancerArn"])
            arn = existing["LoadBalancerArn"]
            code = existing["State"]["Code"]
            existing["State"] = {"Code": self.provisioning.reported(arn, code)}
            parsed["LoadBalancers"] = [existing]
            return
        if made.get("LoadBalancerArn"):
            self.provisioning.start(
                made["LoadBalancerArn"], "provisioning", self._strict.pending_polls
            )
            made["State"] = {"Code": "provisioning"}

    def report_states(self, call: Call, parsed: dict[str, Any]) -> None:
        for balancer in parsed.get("LoadBalancers", []):
            state = balancer.setdefault("State", {"Code": "active"})
            state["Code"] = self.provisioning.observe(balancer["LoadBalancerArn"], state["Code"])

    # -- listeners ----------------------------------------------------------------------------

    def _ports_in_use(self, call: Call, balancer: str, other_than: str = "") -> set[int]:
        try:
            listeners = self._elbv2(call).describe_listeners(LoadBalancerArn=balancer)["Listeners"]
        except ClientError:
            return set()  # moto answers LoadBalancerNotFound itself
        return {int(x["Port"]) for x in listeners if x["ListenerArn"] != other_than}

    def create_listener(self, call: Call) -> None:
        balancer = str(call.params.get("LoadBalancerArn", ""))
        if int(call.params.get("Port", 0)) in self._ports_in_use(call, balancer):
            raise _duplicate_listener(balancer)

    def modify_listener(self, call: Call) -> None:
        if "Port" not in call.params:
            return
        arn = str(call.params["ListenerArn"])
        try:
            listener = self._elbv2(call).describe_listeners(ListenerArns=[arn])["Listeners"][0]
        except ClientError:
            return  # moto answers ListenerNotFound itself
        balancer = listener["LoadBalancerArn"]
        if int(call.params["Port"]) in self._ports_in_use(call, balancer, other_than=arn):
            raise _duplicate_listener(balancer)

    # -- DeleteLoadBalancer and the interfaces it leaves for a while ----------------------------

    def delete_load_balancer(self, call: Call) -> None:
        arn = str(call.params.get("LoadBalancerArn", ""))
        found = self._one(call, LoadBalancerArns=[arn])
        if found is None:
            return  # AWS answers success for a load balancer that is gone
        attributes = self._elbv2(call).describe_load_balancer_attributes(LoadBalancerArn=arn)
        protected = any(
            a["Key"] == "deletion_protection.enabled" and a["Value"] == "true"
            for a in attributes["Attributes"]
        )
        if protected:
            raise AwsError(
                "OperationNotPermitted",
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
            )
        call.notes["deleted"] = found

    def start_release(self, call: Call, parsed: dict[str, Any]) -> None:
        deleted: dict[str, Any] | None = call.notes.get("deleted")
        if deleted is None:
            return
        for key in _held(deleted):
            self.releasing.start(key, _RELEASING, self._strict.pending_polls)

    def delete_security_group(self, call: Call) -> None:
        found = look.security_group(self._ec2(call), call.params)
        if found is None:
            return  # moto answers InvalidGroup.NotFound itself
        key = f"sg:{found['GroupId']}"
        if any(key in _held(lb) for lb in self._live(call)):
            raise group_in_use(str(found["GroupId"]))
        if self._releasing(key):
            raise settling(group_in_use(str(found["GroupId"])))

    def delete_subnet(self, call: Call) -> None:
        subnet = str(call.params.get("SubnetId", ""))
        key = f"subnet:{subnet}"
        if any(key in _held(lb) for lb in self._live(call)):
            raise subnet_in_use(subnet)
        if self._releasing(key):
            raise settling(subnet_in_use(subnet))

    def detach_internet_gateway(self, call: Call) -> None:
        igw, vpc = str(call.params.get("InternetGatewayId", "")), str(call.params.get("VpcId", ""))
        if not look.attached_to(self._ec2(call), igw, vpc):
            return  # moto answers Gateway.NotAttached / InvalidInternetGatewayID.NotFound
        key = f"vpc:{vpc}"
        if any(key in _held(lb) for lb in self._live(call)):
            raise mapped_public_addresses(vpc)
        if self._releasing(key):
            raise settling(mapped_public_addresses(vpc))


def look_subnets(ec2: Any, subnet_ids: list[str]) -> list[dict[str, Any]]:
    """The subnets that exist among the ids (by filter: an unknown id is simply absent)."""
    if not subnet_ids:
        return []
    return list(ec2.describe_subnets(Filters=[look.by("subnet-id", *subnet_ids)])["Subnets"])


def _subnet_ids(params: dict[str, Any]) -> list[str]:
    mapped = [m["SubnetId"] for m in params.get("SubnetMappings") or []]
    return [*(params.get("Subnets") or []), *mapped]


def _held(balancer: dict[str, Any]) -> set[str]:
    """What a load balancer's network interfaces hold: groups, subnets, public addresses."""
    keys = {f"sg:{g}" for g in balancer.get("SecurityGroups") or []}
    keys |= {f"subnet:{z['SubnetId']}" for z in balancer.get("AvailabilityZones") or []}
    if balancer.get("Scheme") != "internal" and balancer.get("VpcId"):
        keys.add(f"vpc:{balancer['VpcId']}")
    return keys


def _differs(request: dict[str, Any], existing: dict[str, Any]) -> bool:
    """Whether a same-name create asks for other settings than the existing load balancer's
    (security groups only when the request names some)."""
    groups = request.get("SecurityGroups")
    subnets = {z["SubnetId"] for z in existing.get("AvailabilityZones") or []}
    return (
        request.get("Type", "application") != existing.get("Type", "application")
        or request.get("Scheme", "internet-facing") != existing.get("Scheme", "internet-facing")
        or request.get("IpAddressType", "ipv4") != existing.get("IpAddressType", "ipv4")
        or set(_subnet_ids(request)) != subnets
        or (bool(groups) and set(groups or []) != set(existing.get("SecurityGroups") or []))
    )


def _duplicate_listener(balancer: str) -> AwsError:
    return AwsError(
        "DuplicateListener",
        f"A listener already exists on this port for this load balancer '{balancer}'",
    )
