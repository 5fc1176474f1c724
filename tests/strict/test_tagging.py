"""The tagging rules of the strictness layer: GetResources lists what AWS lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from stackdeploy.specs.base import OWNERSHIP_TAG_STACK
from tests.conftest import REGION
from tests.strict import tagging
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client

ACCOUNT = "123456789012"  # moto's default account
STACK = OWNERSHIP_TAG_STACK


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """Only this family, no throttling."""
    strict = StrictAws(aws, throttle_rate=0.0, families=[tagging.register])
    strict.install(monkeypatch)
    return strict


@pytest.fixture
def client(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "resourcegroupstaggingapi")


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _spec(resource_type: str, tags: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tags}]


@dataclass
class Estate:
    """One tagged resource of each type moto leaves out, by type."""

    arns: dict[str, str]
    tags: dict[str, list[dict[str, str]]]
    vpc: str
    subnets: list[str]


def _ec2_arn(kind: str, resource_id: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{resource_id}"


def _estate(layer: StrictAws, stack: str = "web") -> Estate:
    """A tagged Elastic IP, launch template, key pair, security group rule, DB subnet group,
    listener and listener rule, each with the ownership tag naming `stack` and a tag of its own
    (`kind`)."""
    ec2 = layer.plain("ec2", REGION)
    tags = {
        kind: _tags({STACK: stack, "kind": kind})
        for kind in (
            "ec2:elastic-ip",
            "ec2:launch-template",
            "ec2:key-pair",
            "ec2:security-group-rule",
            "rds:subgrp",
            "elasticloadbalancing:listener",
            "elasticloadbalancing:listener-rule",
        )
    }
    arns: dict[str, str] = {}

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("ab", start=1)
    ]
    eip = ec2.allocate_address(
        Domain="vpc", TagSpecifications=_spec("elastic-ip", tags["ec2:elastic-ip"])
    )
    arns["ec2:elastic-ip"] = _ec2_arn("elastic-ip", eip["AllocationId"])
    template = ec2.create_launch_template(
        LaunchTemplateName=f"{stack}-lt",
        LaunchTemplateData={"ImageId": "ami-12345678", "InstanceType": "t3.micro"},
        TagSpecifications=_spec("launch-template", tags["ec2:launch-template"]),
    )["LaunchTemplate"]
    arns["ec2:launch-template"] = _ec2_arn("launch-template", template["LaunchTemplateId"])
    pair = ec2.create_key_pair(
        KeyName=f"{stack}-key", TagSpecifications=_spec("key-pair", tags["ec2:key-pair"])
    )
    arns["ec2:key-pair"] = _ec2_arn("key-pair", pair["KeyPairId"])
    group = ec2.create_security_group(GroupName=f"{stack}-sg", Description="web", VpcId=vpc)
    rules = ec2.authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
        TagSpecifications=_spec("security-group-rule", tags["ec2:security-group-rule"]),
    )["SecurityGroupRules"]
    arns["ec2:security-group-rule"] = _ec2_arn(
        "security-group-rule", rules[0]["SecurityGroupRuleId"]
    )

    rds = layer.plain("rds", REGION)
    arns["rds:subgrp"] = rds.create_db_subnet_group(
        DBSubnetGroupName=f"{stack}-db",
        DBSubnetGroupDescription="web",
        SubnetIds=subnets,
        Tags=tags["rds:subgrp"],
    )["DBSubnetGroup"]["DBSubnetGroupArn"]

    elbv2 = layer.plain("elbv2", REGION)
    balancer = elbv2.create_load_balancer(Name=f"{stack}-lb", Subnets=subnets)
    target_group = elbv2.create_target_group(
        Name=f"{stack}-tg", Protocol="HTTP", Port=80, VpcId=vpc
    )["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": target_group}]
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=forward,
        Tags=tags["elasticloadbalancing:listener"],
    )["Listeners"][0]["ListenerArn"]
    arns["elasticloadbalancing:listener"] = listener
    arns["elasticloadbalancing:listener-rule"] = elbv2.create_rule(
        ListenerArn=listener,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
        Actions=forward,
        Tags=tags["elasticloadbalancing:listener-rule"],
    )["Rules"][0]["RuleArn"]
    return Estate(arns=arns, tags=tags, vpc=vpc, subnets=subnets)


def _listed(client: Any, **params: Any) -> dict[str, list[dict[str, str]]]:
    """ARN -> tags over all pages, failing on an ARN listed twice."""
    listed: dict[str, list[dict[str, str]]] = {}
    for page in client.get_paginator("get_resources").paginate(**params):
        for mapping in page["ResourceTagMappingList"]:
            assert mapping["ResourceARN"] not in listed, mapping["ResourceARN"]
            listed[mapping["ResourceARN"]] = mapping["Tags"]
    return listed


def _sorted(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(tags, key=lambda tag: tag["Key"])


def test_each_missing_type_is_listed_with_its_tags(layer: StrictAws, client: Any) -> None:
    estate = _estate(layer)
    listed = _listed(client, TagFilters=[{"Key": STACK}])
    for resource_type, arn in estate.arns.items():
        assert arn in listed, resource_type
        assert _sorted(listed[arn]) == _sorted(estate.tags[resource_type])
    # Only these: nothing else carries the key.
    assert set(listed) == set(estate.arns.values())


def test_moto_alone_lists_none_of_them(layer: StrictAws) -> None:
    estate = _estate(layer)
    plain = layer.plain("resourcegroupstaggingapi", REGION)
    listed = {m["ResourceARN"] for m in plain.get_resources()["ResourceTagMappingList"]}
    assert not listed & set(estate.arns.values())


def test_a_value_filter_excludes_other_values(layer: StrictAws, client: Any) -> None:
    web = _estate(layer, "web")
    api = _estate(layer, "api")
    listed = _listed(client, TagFilters=[{"Key": STACK, "Values": ["web"]}])
    assert set(listed) == set(web.arns.values())
    both = _listed(client, TagFilters=[{"Key": STACK, "Values": ["web", "api"]}])
    assert set(both) == set(web.arns.values()) | set(api.arns.values())
    # All filters must hold.
    one = _listed(
        client,
        TagFilters=[
            {"Key": STACK, "Values": ["api"]},
            {"Key": "kind", "Values": ["ec2:key-pair"]},
        ],
    )
    assert set(one) == {api.arns["ec2:key-pair"]}
    assert _listed(client, TagFilters=[{"Key": "absent"}]) == {}


@pytest.mark.parametrize(
    ("type_filters", "expected"),
    [
        (["ec2:elastic-ip"], {"ec2:elastic-ip"}),
        (
            ["ec2"],
            {"ec2:elastic-ip", "ec2:launch-template", "ec2:key-pair", "ec2:security-group-rule"},
        ),
        (["rds:subgrp"], {"rds:subgrp"}),
        (["elasticloadbalancing:listener"], {"elasticloadbalancing:listener"}),
        (
            ["elasticloadbalancing:listener-rule", "ec2:key-pair"],
            {"elasticloadbalancing:listener-rule", "ec2:key-pair"},
        ),
        (["kms:key"], set()),
    ],
)
def test_resource_type_filters_restrict(
    layer: StrictAws, client: Any, type_filters: list[str], expected: set[str]
) -> None:
    estate = _estate(layer)
    listed = _listed(client, TagFilters=[{"Key": STACK}], ResourceTypeFilters=type_filters)
    assert set(listed) == {estate.arns[t] for t in expected}


def test_auto_scaling_groups_and_iam_roles_are_not_listed(layer: StrictAws, client: Any) -> None:
    estate = _estate(layer)
    stack_tag = _tags({STACK: "web"})
    autoscaling = layer.plain("autoscaling", REGION)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-asg",
        LaunchTemplate={"LaunchTemplateName": "web-lt", "Version": "$Latest"},
        MinSize=0,
        MaxSize=1,
        DesiredCapacity=0,
        VPCZoneIdentifier=",".join(estate.subnets),
        Tags=[{**tag, "PropagateAtLaunch": True} for tag in stack_tag],
    )
    iam = layer.plain("iam", REGION)
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument="{}", Tags=stack_tag)
    iam.create_instance_profile(InstanceProfileName="web-profile", Tags=stack_tag)
    listed = _listed(client, TagFilters=[{"Key": STACK}])
    assert set(listed) == set(estate.arns.values())
    assert not [arn for arn in listed if ":autoscaling:" in arn or ":iam:" in arn]


def test_an_untagged_elastic_ip_is_not_listed(layer: StrictAws, client: Any) -> None:
    ec2 = layer.plain("ec2", REGION)
    untagged = ec2.allocate_address(Domain="vpc")["AllocationId"]
    tagged = ec2.allocate_address(
        Domain="vpc", TagSpecifications=_spec("elastic-ip", _tags({"Name": "kept"}))
    )["AllocationId"]
    listed = _listed(client, ResourceTypeFilters=["ec2:elastic-ip"])
    assert set(listed) == {_ec2_arn("elastic-ip", tagged)}
    assert _ec2_arn("elastic-ip", untagged) not in listed


def test_tags_added_later_and_arn_lists_are_honoured(layer: StrictAws, client: Any) -> None:
    estate = _estate(layer)
    ec2 = layer.plain("ec2", REGION)
    rule = estate.arns["ec2:security-group-rule"].rsplit("/", 1)[-1]
    ec2.create_tags(Resources=[rule], Tags=_tags({"extra": "1"}))
    listed = _listed(client, TagFilters=[{"Key": "extra"}])
    assert list(listed) == [estate.arns["ec2:security-group-rule"]]
    chosen = [estate.arns["rds:subgrp"], estate.arns["ec2:key-pair"]]
    assert set(_listed(client, ResourceARNList=chosen)) == set(chosen)


def test_an_arn_already_listed_is_not_added_again(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rule twice: the second sees what the first added, as it would see moto's own.
    strict = StrictAws(aws, throttle_rate=0.0, families=[tagging.register, tagging.register])
    strict.install(monkeypatch)
    estate = _estate(strict)
    listed = _listed(hooked_client(aws, "resourcegroupstaggingapi"), TagFilters=[{"Key": STACK}])
    assert set(listed) == set(estate.arns.values())


def test_additions_go_on_the_last_page_only(layer: StrictAws, client: Any) -> None:
    estate = _estate(layer)
    ec2 = layer.plain("ec2", REGION)
    # Resources moto lists itself, to make more than one page.
    vpcs = [ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"] for i in (1, 2, 3)]
    ec2.create_tags(Resources=vpcs, Tags=_tags({STACK: "web"}))
    pages = list(
        client.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": STACK}], ResourcesPerPage=1
        )
    )
    assert len(pages) == 3
    assert all(len(page["ResourceTagMappingList"]) == 1 for page in pages[:-1])
    listed = _listed(client, TagFilters=[{"Key": STACK}], ResourcesPerPage=1)
    vpc_arns = {_ec2_arn("vpc", vpc) for vpc in vpcs}
    assert set(listed) == set(estate.arns.values()) | vpc_arns
