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
        "security_group_rule": [
            r["SecurityGroupRuleId"]
            for r in ec2.describe_security_group_rules(Filters=owned)["SecurityGroupRules"]
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
    kms, dynamodb = client("kms"), client("dynamodb")
    found["kms_key"] = [  # a key pending deletion is gone as far as a stack is concerned
        key["KeyId"]
        for key in kms.list_keys()["Keys"]
        if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"
        and _tagged(
            [
                {"Key": t["TagKey"], "Value": t["TagValue"]}
                for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
            ],
            stack,
        )
    ]
    found["dynamodb_table"] = [
        name
        for name in dynamodb.list_tables()["TableNames"]
        if _tagged(
            dynamodb.list_tags_of_resource(
                ResourceArn=dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
            )["Tags"],
            stack,
        )
    ]
    s3 = client("s3")

    def bucket_tags(name: str) -> list[dict[str, str]]:
        try:
            return list(s3.get_bucket_tagging(Bucket=name)["TagSet"])
        except s3.exceptions.ClientError:  # NoSuchTagSet: no tags at all
            return []

    # ListBuckets is global: buckets of every region, whatever `region` is.
    found["s3_bucket"] = [
        b["Name"] for b in s3.list_buckets()["Buckets"] if _tagged(bucket_tags(b["Name"]), stack)
    ]
    rds = client("rds")

    def rds_tagged(arn: str) -> bool:
        return _tagged(rds.list_tags_for_resource(ResourceName=arn)["TagList"], stack)

    found["db_instance"] = [  # replicas too; a deleting one is gone as far as a stack is concerned
        db["DBInstanceIdentifier"]
        for db in rds.describe_db_instances()["DBInstances"]
        if db.get("DBInstanceStatus") != "deleting" and _tagged(db.get("TagList"), stack)
    ]
    found["db_subnet_group"] = [
        g["DBSubnetGroupName"]
        for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
        if rds_tagged(g["DBSubnetGroupArn"])
    ]
    found["db_parameter_group"] = [
        g["DBParameterGroupName"]
        for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
        if not g["DBParameterGroupName"].startswith("default.")
        and rds_tagged(g["DBParameterGroupArn"])
    ]
    # Generated master passwords: a secret or a SecureString parameter, tagged as the stack's.
    found["db_password_secret"] = [
        s["Name"]
        for s in client("secretsmanager").list_secrets()["SecretList"]
        if _tagged(s.get("Tags"), stack)
    ]
    ssm = client("ssm")
    found["db_password_parameter"] = [
        p["Name"]
        for p in ssm.describe_parameters()["Parameters"]
        if _tagged(
            ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=p["Name"])["TagList"],
            stack,
        )
    ]
    return {kind: ids for kind, ids in found.items() if ids}
