"""The provider contract suite (after CloudFormation's contract tests), run against moto.

Each case says how to build valid properties for a type (prerequisites are made with plain
boto3, not with our providers, so one provider's bug cannot hide another's), one in-place
change and one create-only change.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from stackdeploy.aws.session import ClientFactory
from stackdeploy.config.loader import canonical_properties
from stackdeploy.events import Recorder
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.stack import Resource, Stack
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.registry import make_providers
from stackdeploy.specs.registry import RESOURCE_TYPES

STACK = "contract"
REGION = "us-west-2"


class Prerequisites:
    """Builds the resources a case depends on, with raw boto3 against the same endpoint."""

    def __init__(self, endpoint: str) -> None:
        self.ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
        self.endpoint = endpoint
        self._cache: dict[str, str] = {}

    def _once(self, key: str, make: Callable[[], str]) -> str:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def vpc_id(self) -> str:
        return self._once(
            "vpc", lambda: self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        )

    def subnet_id(self, cidr: str = "10.20.1.0/24", zone: str = "a") -> str:
        return self._once(
            f"subnet-{cidr}",
            lambda: self.ec2.create_subnet(
                VpcId=self.vpc_id(), CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}"
            )["Subnet"]["SubnetId"],
        )

    def igw_id(self) -> str:
        def make() -> str:
            igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=self.vpc_id())
            return str(igw)

        return self._once("igw", make)

    def allocation_id(self, key: str = "eip") -> str:
        return self._once(key, lambda: self.ec2.allocate_address(Domain="vpc")["AllocationId"])

    def second_vpc_id(self) -> str:
        return self._once(
            "vpc2", lambda: self.ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        )

    def security_group_id(self, name: str = "peer") -> str:
        return self._once(
            f"sg-{name}",
            lambda: self.ec2.create_security_group(
                GroupName=name, Description="peer", VpcId=self.vpc_id()
            )["GroupId"],
        )

    def running_instance_id(self, key: str = "instance") -> str:
        """An instance in the first subnet (moto accepts any AMI id unless told otherwise)."""
        return self._once(
            key,
            lambda: self.ec2.run_instances(
                ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=self.subnet_id()
            )["Instances"][0]["InstanceId"],
        )

    def image_id(self) -> str:
        """A registered AMI (tests run without moto's default AMIs), so DescribeImages knows
        its root device."""
        return self._once(
            "ami",
            lambda: self.ec2.register_image(
                Name="contract-ami", RootDeviceName="/dev/xvda", VirtualizationType="hvm"
            )["ImageId"],
        )

    def instance_profile(self, name: str = "contract-profile") -> str:
        """An IAM instance profile, by name (what instances and launch templates take)."""

        def make() -> str:
            iam = boto3.client("iam", region_name=REGION, endpoint_url=self.endpoint)
            iam.create_instance_profile(InstanceProfileName=name)
            return name

        return self._once(f"profile-{name}", make)

    def key_name(self, name: str = "contract-key") -> str:
        return self._once(f"key-{name}", lambda: self.ec2.create_key_pair(KeyName=name)["KeyName"])

    def launch_template_id(self, name: str = "contract-lt") -> str:
        """A launch template with full launch data (moto launches from it as is)."""
        return self._once(
            f"lt-{name}",
            lambda: self.ec2.create_launch_template(
                LaunchTemplateName=name,
                LaunchTemplateData={"ImageId": "ami-12345678", "InstanceType": "t3.micro"},
            )["LaunchTemplate"]["LaunchTemplateId"],
        )

    def target_group_arn(self, name: str = "contract-tg") -> str:
        """An HTTP:80 target group of instances in the first VPC."""

        def make() -> str:
            elbv2 = boto3.client("elbv2", region_name=REGION, endpoint_url=self.endpoint)
            created = elbv2.create_target_group(
                Name=name, Protocol="HTTP", Port=80, VpcId=self.vpc_id(), TargetType="instance"
            )
            return str(created["TargetGroups"][0]["TargetGroupArn"])

        return self._once(f"tg-{name}", make)

    def iam_role_name(self, name: str = "prereq-role") -> str:
        """An IAM role EC2 may assume, by name (what instance profiles take)."""

        def make() -> str:
            iam = boto3.client("iam", region_name=REGION, endpoint_url=self.endpoint)
            trust = (
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
            )
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
            return name

        return self._once(f"role-{name}", make)

    def iam_policy_arn(self, name: str = "prereq-policy") -> str:
        """A customer managed IAM policy, by ARN (what roles attach)."""

        def make() -> str:
            iam = boto3.client("iam", region_name=REGION, endpoint_url=self.endpoint)
            document = (
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                '"Action":"s3:ListAllMyBuckets","Resource":"*"}]}'
            )
            return str(iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"])

        return self._once(f"policy-{name}", make)

    def load_balancer_arn(self, name: str = "contract-alb") -> str:
        """An internet-facing application load balancer over two zones of the first VPC.

        It is tagged as the stack's own (with another logical id): the stack's listeners and
        rules are looked up on the load balancers the stack owns.
        """

        def make() -> str:
            self.igw_id()  # an internet-facing load balancer needs the VPC's internet gateway
            elbv2 = boto3.client("elbv2", region_name=REGION, endpoint_url=self.endpoint)
            subnets = [self.subnet_id(), self.subnet_id("10.20.2.0/24", zone="b")]
            owned = [
                {"Key": "stackdeploy:stack", "Value": STACK},
                {"Key": "stackdeploy:id", "Value": name},
            ]
            created = elbv2.create_load_balancer(
                Name=name, Subnets=subnets, Type="application", Tags=owned
            )
            return str(created["LoadBalancers"][0]["LoadBalancerArn"])

        return self._once(f"alb-{name}", make)

    def alb_listener_arn(self, port: int = 80) -> str:
        """An HTTP listener of load_balancer_arn() answering 404 by default."""

        def make() -> str:
            elbv2 = boto3.client("elbv2", region_name=REGION, endpoint_url=self.endpoint)
            created = elbv2.create_listener(
                LoadBalancerArn=self.load_balancer_arn(),
                Protocol="HTTP",
                Port=port,
                DefaultActions=[
                    {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}
                ],
            )
            return str(created["Listeners"][0]["ListenerArn"])

        return self._once(f"alb-listener-{port}", make)


@dataclass
class ContractCase:
    type_name: str
    properties: Callable[[Prerequisites], dict[str, Any]]
    in_place_change: Callable[[Prerequisites, dict[str, Any]], dict[str, Any]]
    # None for types where no property forces replacement (e.g. an internet gateway).
    replacing_change: Callable[[Prerequisites, dict[str, Any]], dict[str, Any]] | None
    id: str = ""
    marks: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.id = self.id or self.type_name


class ContractRun:
    """One case's provider, context and helpers, bound to a clean moto backend."""

    def __init__(self, case: ContractCase, clients: ClientFactory, endpoint: str) -> None:
        self.case = case
        self.rtype = RESOURCE_TYPES[case.type_name]
        self.provider: Provider = make_providers(clients)[case.type_name]
        self.prerequisites = Prerequisites(endpoint)
        self.events = Recorder()
        self.clients = clients
        self.logical_id = "subject"

    def context(self) -> ResourceContext:
        return ResourceContext(
            stack=STACK,
            logical_id=self.logical_id,
            region=REGION,
            token=uuid.uuid4().hex,
            events=self.events,
            timing=self.clients.timing,
        )

    def canonical(self, raw: dict[str, Any]) -> dict[str, Any]:
        return canonical_properties(self.rtype, raw, STACK, self.logical_id, {"suite": "contract"})

    def stack_with(self, raw: dict[str, Any]) -> Stack:
        name_property = self.rtype.name_property
        resource = Resource(
            logical_id=self.logical_id,
            type=self.case.type_name,
            region=REGION,
            properties=self.canonical(raw),
            # As the loader marks it: a name left out is generated (and may alternate).
            generated_name=name_property is not None and raw.get(name_property) is None,
        )
        return Stack(name=STACK, region=REGION, resources={self.logical_id: resource})

    def live_state(self, live: LiveResource) -> LiveState:
        """The live state discovery would assemble: the resource, as recorded in state."""
        return LiveState(
            resources={self.logical_id: dataclasses.replace(live, proof=Proof.RECORDED)}
        )


def intercept(
    clients: ClientFactory,
    operation: str,
    respond: Callable[[dict[str, Any]], str | None],
    service: str = "ec2",
) -> None:
    """Answer `operation` (of EC2 unless `service` says otherwise) with the error code
    `respond(params)` returns (None: let it through to moto), for AWS behaviour moto lacks:
    eventual consistency, in-use errors.

    `params` are the request's top-level query parameters, e.g. {"SubnetId": "subnet-..."}.
    """

    def handler(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        code = respond(params["body"])
        if code is None:
            return None
        error = {"Code": code, "Message": f"{code} (injected by the test)"}
        return AWSResponse("", 400, {}, None), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    events = clients.client(service, REGION).meta.events
    events.register_first(f"before-call.{service}.{operation}", handler)


def fail_times(
    clients: ClientFactory, operation: str, code: str, times: int, service: str = "ec2"
) -> None:
    """Answer the next `times` calls of `operation` with `code`, without sending them."""
    remaining = [times]

    def respond(_: dict[str, Any]) -> str | None:
        if remaining[0] == 0:
            return None
        remaining[0] -= 1
        return code

    intercept(clients, operation, respond, service)
