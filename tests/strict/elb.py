"""The Classic Load Balancer family: what AWS does around ELB v1 and moto does not.

- A live load balancer holds its security groups, its subnets and, when internet-facing,
  public addresses in its VPC: DeleteSecurityGroup, DeleteSubnet and DetachInternetGateway
  are refused (moto allows all three).
- After DeleteLoadBalancer AWS takes a while to delete the load balancer's network
  interfaces, and until then the same three calls are still refused. The layer models that
  with a TransitionClock: each group, subnet and VPC stays "releasing" for `pending_polls`
  refused attempts (with `refusals_advance_time`; nothing the engine can poll shows these
  interfaces, so refusals are the only way time passes here).
- CreateLoadBalancer: an invalid name is a ValidationError (moto accepts any), and an existing
  name with another configuration is DuplicateLoadBalancerName. With the same configuration
  AWS hands back the existing load balancer; the layer cannot answer a success for moto, so
  there moto's own DuplicateLoadBalancerName stays (the provider handles both answers).
- Without SecurityGroups in a non-default VPC, AWS uses the VPC's default group; moto creates
  a new "default_elb_..." group each time, which outlives the load balancer and blocks
  DeleteVpc. The layer passes the default group explicitly, as AWS would use it.

The refusals reuse the EC2 family's messages (ec2_dependencies) and add rules to the same
operations; the EC2 rules run first and answer for missing and default groups.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.specs.elb.parts import DEFAULT_INSTANCE_PROTOCOL
from tests.strict import ec2_lookups as look
from tests.strict.core import AwsError, Call, StrictAws, settling
from tests.strict.ec2_dependencies import group_in_use, mapped_public_addresses, subnet_in_use
from tests.strict.transitions import TransitionClock

_RELEASING = "releasing"
_NAME_LIMIT = 32


def register(strict: StrictAws) -> None:
    ClassicLoadBalancers(strict)


class ClassicLoadBalancers:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self.clock = TransitionClock()  # keys: "sg:<id>", "subnet:<id>", "vpc:<id>"
        strict.params("elb", "CreateLoadBalancer", self.default_security_group)
        strict.before("elb", "CreateLoadBalancer", self.create_load_balancer)
        strict.before("elb", "DeleteLoadBalancer", self.remember_before_delete)
        strict.after("elb", "DeleteLoadBalancer", self.start_release)
        strict.before("ec2", "DeleteSecurityGroup", self.delete_security_group)
        strict.before("ec2", "DeleteSubnet", self.delete_subnet)
        strict.before("ec2", "DetachInternetGateway", self.detach_internet_gateway)

    # -- reads of moto's truth ----------------------------------------------------------------

    def _elb(self, call: Call) -> Any:
        return self._strict.plain("elb", call.region)

    def _ec2(self, call: Call) -> Any:
        return self._strict.plain("ec2", call.region)

    def _live(self, call: Call) -> list[dict[str, Any]]:
        pages = self._elb(call).get_paginator("describe_load_balancers").paginate()
        return [d for page in pages for d in page.get("LoadBalancerDescriptions", [])]

    def _named(self, call: Call, name: str) -> dict[str, Any] | None:
        try:
            found = self._elb(call).describe_load_balancers(LoadBalancerNames=[name])
        except ClientError:
            return None
        descriptions = found.get("LoadBalancerDescriptions", [])
        return dict(descriptions[0]) if descriptions else None

    def _releasing(self, key: str) -> bool:
        """Whether a deleted load balancer's interfaces still hold `key`; a refusal because
        of it lets one step of time pass."""
        if self.clock.reported(key, "released") != _RELEASING:
            return False
        if self._strict.refusals_advance_time:
            self.clock.tick(key)
        return True

    # -- CreateLoadBalancer -------------------------------------------------------------------

    def default_security_group(self, call: Call) -> None:
        if call.params.get("SecurityGroups") or not call.params.get("Subnets"):
            return
        ec2 = self._ec2(call)
        try:
            subnet = ec2.describe_subnets(SubnetIds=[call.params["Subnets"][0]])["Subnets"][0]
            vpc = ec2.describe_vpcs(VpcIds=[subnet["VpcId"]])["Vpcs"][0]
        except (ClientError, IndexError):
            return  # moto answers for the unknown subnet itself
        if vpc.get("IsDefault"):
            return  # AWS's default_elb_ group in a default VPC: moto's way is close enough
        groups = ec2.describe_security_groups(
            Filters=[look.by("vpc-id", vpc["VpcId"]), look.by("group-name", "default")]
        )["SecurityGroups"]
        if groups:
            call.params["SecurityGroups"] = [groups[0]["GroupId"]]

    def create_load_balancer(self, call: Call) -> None:
        name = str(call.params.get("LoadBalancerName", ""))
        # AWS's messages for the first two; the hyphen rule's wording is not documented.
        if len(name) > _NAME_LIMIT:
            raise AwsError(
                "ValidationError", "LoadBalancer name cannot be longer than 32 characters"
            )
        if not name.replace("-", "").isalnum() or not name.isascii():
            raise AwsError(
                "ValidationError",
                "LoadBalancer name cannot contain characters that are not letters, or digits "
                "or the dash.",
            )
        if name.startswith("-") or name.endswith("-"):
            raise AwsError("ValidationError", "LoadBalancer name cannot begin or end with a hyphen")
        existing = self._named(call, name)
        if existing is not None and _differs(call.params, existing):
            raise AwsError(
                "DuplicateLoadBalancerName",
                f"The specified load balancer name already exists for this account: {name}",
            )

    # -- DeleteLoadBalancer and the interfaces it leaves for a while ----------------------------

    def remember_before_delete(self, call: Call) -> None:
        found = self._named(call, str(call.params.get("LoadBalancerName", "")))
        if found is not None:
            call.notes["elb"] = found

    def start_release(self, call: Call, parsed: dict[str, Any]) -> None:
        deleted: dict[str, Any] | None = call.notes.get("elb")
        if deleted is None:
            return  # it did not exist: AWS answers success and nothing is released
        keys = [f"sg:{g}" for g in deleted.get("SecurityGroups", [])]
        keys += [f"subnet:{s}" for s in deleted.get("Subnets", [])]
        if deleted.get("Scheme") != "internal" and deleted.get("VPCId"):
            keys.append(f"vpc:{deleted['VPCId']}")
        for key in keys:
            self.clock.start(key, _RELEASING, self._strict.pending_polls)

    def delete_security_group(self, call: Call) -> None:
        found = look.security_group(self._ec2(call), call.params)
        if found is None:
            return  # moto answers InvalidGroup.NotFound itself
        group = str(found["GroupId"])
        in_use = any(group in d.get("SecurityGroups", []) for d in self._live(call))
        if in_use:
            raise group_in_use(group)
        if self._releasing(f"sg:{group}"):
            raise settling(group_in_use(group))

    def delete_subnet(self, call: Call) -> None:
        subnet = str(call.params.get("SubnetId", ""))
        in_use = any(subnet in d.get("Subnets", []) for d in self._live(call))
        if in_use:
            raise subnet_in_use(subnet)
        if self._releasing(f"subnet:{subnet}"):
            raise settling(subnet_in_use(subnet))

    def detach_internet_gateway(self, call: Call) -> None:
        igw, vpc = str(call.params.get("InternetGatewayId", "")), str(call.params.get("VpcId", ""))
        if not look.attached_to(self._ec2(call), igw, vpc):
            return  # moto answers Gateway.NotAttached / InvalidInternetGatewayID.NotFound
        public = any(
            d.get("VPCId") == vpc and d.get("Scheme") != "internal" for d in self._live(call)
        )
        if public:
            raise mapped_public_addresses(vpc)
        if self._releasing(f"vpc:{vpc}"):
            raise settling(mapped_public_addresses(vpc))


def _differs(request: dict[str, Any], existing: dict[str, Any]) -> bool:
    """Whether a same-name create asks for another load balancer than the existing one:
    other listeners, scheme or subnets, or other groups when the request names some."""
    listeners = [d["Listener"] for d in existing.get("ListenerDescriptions", [])]
    groups = request.get("SecurityGroups")
    return (
        {_listener(x) for x in request.get("Listeners", [])} != {_listener(x) for x in listeners}
        or (request.get("Scheme") or "internet-facing") != existing.get("Scheme")
        or set(request.get("Subnets", [])) != set(existing.get("Subnets", []))
        or (bool(groups) and set(groups or []) != set(existing.get("SecurityGroups", [])))
    )


def _listener(listener: dict[str, Any]) -> tuple[Any, ...]:
    protocol = str(listener["Protocol"]).upper()
    instance_protocol = listener.get("InstanceProtocol") or DEFAULT_INSTANCE_PROTOCOL[protocol]
    return (
        protocol,
        int(listener["LoadBalancerPort"]),
        str(instance_protocol).upper(),
        int(listener["InstancePort"]),
        listener.get("SSLCertificateId") or None,
    )
