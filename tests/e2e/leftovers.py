"""What a stack still owns in AWS, read with plain boto3 (never through the engine)."""

from __future__ import annotations

from typing import Any

import boto3

TAG = "stackdeploy:stack"


def _tagged(tags: list[dict[str, str]] | None, stack: str) -> bool:
    return any(t.get("Key") == TAG and t.get("Value") == stack for t in tags or [])


def owned_resources(endpoint: str, stack: str, region: str = "us-west-2") -> dict[str, list[str]]:
    def client(service: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    ec2, elb, elbv2, asg, iam = (client(s) for s in ("ec2", "elb", "elbv2", "autoscaling", "iam"))
    owned: list[dict[str, Any]] = [{"Name": f"tag:{TAG}", "Values": [stack]}]
    found = {
        "vpc": [v["VpcId"] for v in ec2.describe_vpcs(Filters=owned)["Vpcs"]],
        "subnet": [s["SubnetId"] for s in ec2.describe_subnets(Filters=owned)["Subnets"]],
        "internet_gateway": [
            g["InternetGatewayId"]
            for g in ec2.describe_internet_gateways(Filters=owned)["InternetGateways"]
        ],
        "route_table": [
            t["RouteTableId"] for t in ec2.describe_route_tables(Filters=owned)["RouteTables"]
        ],
        "eip": [a["AllocationId"] for a in ec2.describe_addresses(Filters=owned)["Addresses"]],
        "nat_gateway": [
            n["NatGatewayId"]
            for n in ec2.describe_nat_gateways(Filter=owned)["NatGateways"]
            if n["State"] not in ("deleted", "deleting")
        ],
        "security_group": [
            g["GroupId"] for g in ec2.describe_security_groups(Filters=owned)["SecurityGroups"]
        ],
        "instance": [
            i["InstanceId"]
            for r in ec2.describe_instances(Filters=owned)["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] != "terminated"
        ],
        "key_pair": [k["KeyName"] for k in ec2.describe_key_pairs(Filters=owned)["KeyPairs"]],
        "launch_template": [
            t["LaunchTemplateId"]
            for t in ec2.describe_launch_templates(Filters=owned)["LaunchTemplates"]
        ],
        "autoscaling_group": [
            g["AutoScalingGroupName"]
            for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]
            if _tagged(g.get("Tags"), stack)
        ],
        "classic_load_balancer": [
            name
            for name in (
                d["LoadBalancerName"]
                for d in elb.describe_load_balancers()["LoadBalancerDescriptions"]
            )
            if _tagged(
                elb.describe_tags(LoadBalancerNames=[name])["TagDescriptions"][0]["Tags"], stack
            )
        ],
        "load_balancer": [
            arn
            for arn in (
                lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]
            )
            if _tagged(elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"], stack)
        ],
        "target_group": [
            arn
            for arn in (
                tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]
            )
            if _tagged(elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"], stack)
        ],
        "iam_role": [
            role["RoleName"]
            for role in iam.list_roles()["Roles"]
            if _tagged(iam.list_role_tags(RoleName=role["RoleName"])["Tags"], stack)
        ],
        "instance_profile": [
            profile["InstanceProfileName"]
            for profile in iam.list_instance_profiles()["InstanceProfiles"]
            if _tagged(
                iam.list_instance_profile_tags(InstanceProfileName=profile["InstanceProfileName"])[
                    "Tags"
                ],
                stack,
            )
        ],
    }
    return {kind: ids for kind, ids in found.items() if ids}
