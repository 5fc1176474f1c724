"""`deploy drift` (issue 9): changes made with plain boto3 after an apply are reported
property by property, with exit 2; an apply restores the stack and drift exits 0. Through the
CLI on moto behind the strictness layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

REGION = "us-west-2"
READS = ("Describe", "Get", "List", "Head")
NETWORK = """\
stack: drifty
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16, enable_dns_hostnames: true, tags: {team: web}}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24, availability_zone: us-west-2a}
  web:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      description: web
      ingress: [{protocol: tcp, port: 443, cidr_blocks: [0.0.0.0/0]}]
  files:
    type: aws.s3.bucket
    properties: {name: drifty-files-e2e, versioning: Enabled}
"""


def client(aws: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=aws)


def owned_ids(aws: str, describe: str, key: str, id_key: str) -> list[str]:
    owned = [{"Name": "tag:stackdeploy:stack", "Values": ["drifty"]}]
    return [item[id_key] for item in getattr(client(aws, "ec2"), describe)(Filters=owned)[key]]


def test_drift_lists_changes_made_outside_until_an_apply_restores_them(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "drifty.yaml"
    stack.write_text(NETWORK)
    assert cli("apply", str(stack), "--auto-approve").code == 0
    clean = cli("drift", str(stack))
    assert clean.code == 0, clean.stdout + clean.stderr
    assert "No drift." in clean.stdout and "(4 resources compared)" in clean.stdout

    ec2 = client(aws, "ec2")
    [vpc_id] = owned_ids(aws, "describe_vpcs", "Vpcs", "VpcId")
    [group_id] = owned_ids(aws, "describe_security_groups", "SecurityGroups", "GroupId")
    [subnet_id] = owned_ids(aws, "describe_subnets", "Subnets", "SubnetId")
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": False})
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "team", "Value": "api"}])
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    ec2.delete_subnet(SubnetId=subnet_id)
    client(aws, "s3").put_bucket_versioning(
        Bucket="drifty-files-e2e", VersioningConfiguration={"Status": "Suspended"}
    )

    before = strict_aws.calls.copy()
    found = cli("drift", str(stack), "--json")
    assert found.code == 2, found.stderr
    assert [op for op in strict_aws.calls - before if not op.split(".")[-1].startswith(READS)] == []
    report = found.json()
    assert report["has_drift"] is True
    by_address = {r["address"]: r for r in report["resources"]}
    assert set(by_address) == {"vpc", "web", "subnet", "files"}
    assert by_address["subnet"]["status"] == "deleted"
    assert by_address["subnet"]["physical_id"] == subnet_id
    vpc = by_address["vpc"]
    assert vpc["baseline"] == "last_apply" and vpc["physical_id"] == vpc_id
    assert vpc["changes"] == [
        {"path": "enable_dns_hostnames", "expected": True, "live": False},
        {"path": "tags.team", "expected": "web", "live": "api"},
    ]
    [ingress] = by_address["web"]["changes"]
    assert ingress["path"] == "ingress"
    added = [rule for rule in ingress["live"] if rule not in ingress["expected"]]
    assert [(rule["from_port"], rule["cidr_ipv4"]) for rule in added] == [(22, "0.0.0.0/0")]
    assert by_address["files"]["changes"] == [
        {"path": "versioning", "expected": "Enabled", "live": "Suspended"}
    ]

    text = cli("drift", str(stack))
    assert text.code == 2
    assert "4 of 4 resources changed outside stackdeploy" in text.stdout
    assert "~ enable_dns_hostnames = true → false" in text.stdout
    assert '~ tags.team = "web" → "api"' in text.stdout
    assert "deleted outside stackdeploy (recorded, no longer in AWS)" in text.stdout
    assert "# added outside" in text.stdout

    restored = cli("apply", str(stack), "--auto-approve")
    assert restored.code == 0, restored.stderr
    after = cli("drift", str(stack))
    assert after.code == 0, after.stdout
    assert "No drift." in after.stdout


def test_drift_of_a_file_that_does_not_load_is_an_error(cli: Cli, workdir: Path) -> None:
    stack = workdir / "broken.yaml"
    stack.write_text(NETWORK.replace("cidr_block: 10.0.1.0/24", "cidr_block: 10.9.1.0/24"))
    broken = cli("drift", str(stack))
    assert broken.code == 1
    assert "broken.yaml:9" in broken.stderr
