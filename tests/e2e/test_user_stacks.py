"""Stacks users write in their first week (issue 7), one scenario per finding, through the CLI
on moto behind the strictness layer, checked with plain boto3."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict.core import StrictAws
from tests.strict.s3_replication import stored_rules

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"  # moto's
WEST, EAST = "us-west-2", "us-east-2"


OWNED = [{"Name": "tag:stackdeploy:stack", "Values": ["inuse"]}]


def owned_groups(ec2: Any) -> list[dict[str, Any]]:
    return list(ec2.describe_security_groups(Filters=OWNED)["SecurityGroups"])


def write(workdir: Path, text: str, name: str = "stack.yaml") -> str:
    path = workdir / name
    path.write_text(text)
    return str(path)


ACCOUNT_PRINCIPALS = """\
stack: principals
region: us-west-2
resources:
  key:
    type: aws.kms.key
    properties:
      policy:
        Statement:
          - Effect: Allow
            Principal: {AWS: "arn:aws:iam::${aws:account_id}:root"}
            Action: "kms:*"
            Resource: "*"
  role:
    type: aws.iam.role
    properties:
      assume_role_policy:
        Statement:
          - Effect: Allow
            Principal: {AWS: "arn:aws:iam::${aws:account_id}:root"}
            Action: sts:AssumeRole
  logs:
    type: aws.s3.bucket
    properties:
      policy:
        Statement:
          - Effect: Allow
            Principal: {AWS: "arn:aws:iam::${aws:account_id}:root"}
            Action: s3:GetObject
            Resource: "arn:aws:s3:::principals-logs-${aws:account_id}/*"
"""


def test_a_principal_written_with_the_account_lookup_converges(
    cli: Cli, workdir: Path, strict_aws: StrictAws
) -> None:
    """Item 4: AWS names an account's root by its bare id; the lookup's ARN must compare equal
    once resolved, in key, trust and bucket policies alike."""
    stack = write(workdir, ACCOUNT_PRINCIPALS)
    applied = cli("apply", stack, "--auto-approve")
    assert applied.code == 0, applied.stderr
    assert "inconsistent result" not in applied.stderr
    again = cli("plan", stack, "--detailed-exitcode")
    assert again.code == 0, again.stdout
    assert cli("destroy", stack, "--auto-approve").code == 0


MISSING_ZONE = """\
stack: zones
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  a:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24, availability_zone: us-west-2a}
  z:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.2.0/24, availability_zone: us-west-2z}
"""


def test_a_zone_that_does_not_exist_stops_the_plan_before_anything_is_made(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Item 10: checked during refresh, with one call per region, at the property's line."""
    strict_aws.throttle_rate = 0  # so that calls count requests, not retries
    stack = write(workdir, MISSING_ZONE)
    for command in (("plan", stack), ("apply", stack, "--auto-approve")):
        refused = cli(*command)
        assert refused.code == 1
        assert "availability zone us-west-2z does not exist in us-west-2" in refused.stderr
        assert f"{stack}:12 (resources.z.properties.availability_zone)" in refused.stderr
        assert "us-west-2a, us-west-2b" in refused.stderr
    assert owned_resources(aws, "zones") == {}
    assert strict_aws.calls["ec2.DescribeAvailabilityZones"] == 2
    assert strict_aws.calls["ec2.CreateVpc"] == 0


FIXED_NAME_GROUP = """\
stack: fixed
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  api:
    type: aws.elbv2.target_group
    properties:
      name: shop-api
      protocol: HTTP
      port: 80
      vpc_id: ${vpc.id}
"""


def test_a_fixed_name_replacement_created_first_is_a_plan_error(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Item 9: the new target group would need the old one's name while both exist."""
    stack = write(workdir, FIXED_NAME_GROUP)
    assert cli("apply", stack, "--auto-approve").code == 0
    before = owned_resources(aws, "fixed")
    write(workdir, FIXED_NAME_GROUP.replace("port: 80", "port: 8080"))
    refused = cli("apply", stack, "--auto-approve")
    assert refused.code == 1
    assert "but both cannot be named 'shop-api'" in refused.stderr
    assert f"{stack}:10 (resources.api.properties.name)" in refused.stderr
    assert owned_resources(aws, "fixed") == before
    renamed = FIXED_NAME_GROUP.replace("port: 80", "port: 8080").replace("shop-api", "shop-api-2")
    write(workdir, renamed)
    assert cli("apply", stack, "--auto-approve").code == 0
    assert cli("plan", stack, "--detailed-exitcode").code == 0


KEYS = """\
stack: keys
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  login:
    type: aws.ec2.key_pair
    properties: {private_key_path: keys/login.pem}
"""


def test_destroy_takes_the_key_file_it_wrote_and_an_apply_again_works(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Item 5: the file goes with the key pair while it holds the key written; another file
    in its place is left, and the next plan says so before anything is made."""
    stack = write(workdir, KEYS)
    key_file = workdir / "keys" / "login.pem"
    assert cli("apply", stack, "--auto-approve").code == 0
    assert key_file.read_text().startswith("-----BEGIN")
    assert cli("destroy", stack, "--auto-approve").code == 0
    assert not key_file.exists()
    assert cli("apply", stack, "--auto-approve").code == 0, "a destroy, then an apply again"

    key_file.write_text("someone's other key\n")  # in place of the one written
    assert cli("destroy", stack, "--auto-approve").code == 0
    assert key_file.read_text() == "someone's other key\n"  # not the key written: left
    refused = cli("apply", stack, "--auto-approve")
    assert refused.code == 1
    assert f"the private key file {key_file} is in the way" in refused.stderr
    assert f"{stack}:9 (resources.login.properties.private_key_path)" in refused.stderr
    assert owned_resources(aws, "keys") == {}  # refused before the VPC was made


def test_a_key_path_that_cannot_be_written_is_found_at_plan_time(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Item 15: not after a key pair was created and deleted again."""
    (workdir / "keys").write_text("a file, not a folder\n")
    stack = write(workdir, KEYS)
    refused = cli("plan", stack)
    assert refused.code == 1
    assert "the private key cannot be written to" in refused.stderr
    assert f"{workdir / 'keys'} is not a folder" in refused.stderr
    assert cli("apply", stack, "--auto-approve").code == 1
    assert strict_aws.calls["ec2.CreateKeyPair"] == 0
    assert owned_resources(aws, "keys") == {}


GROUP_IN_USE = """\
stack: inuse
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}
  web_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      description: web servers
      ingress: [{protocol: tcp, port: 80, cidr_blocks: [0.0.0.0/0]}]
  db_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      description: database
      ingress: [{protocol: tcp, port: 3306, security_group_ids: ["${web_sg.id}"]}]
  web:
    type: aws.ec2.instance
    properties:
      image_id: ami-12c6146b
      instance_type: t3.micro
      subnet_id: ${subnet.id}
      security_group_ids: ["${web_sg.id}"]
"""


def test_replacing_a_group_in_use_moves_its_users_first(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Item 1: a new description replaces the group; the instance and the other group's rule
    move to the new group in place, and only then is the old one deleted."""
    stack = write(workdir, GROUP_IN_USE)
    assert cli("apply", stack, "--auto-approve").code == 0
    ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=aws)
    [old] = [g["GroupId"] for g in owned_groups(ec2) if g["Description"] == "web servers"]
    write(workdir, GROUP_IN_USE.replace("description: web servers", "description: web tier"))
    planned = cli("plan", stack)
    assert (
        "the new one is created before the old one is destroyed; db_sg, web switch to the new "
        "one in place first"
    ) in planned.stdout
    assert cli("plan", stack, "--json").actions() == {
        "web_sg": "replace",
        "db_sg": "update",
        "web": "update",
    }
    started = time.monotonic()
    applied = cli("apply", stack, "--auto-approve")
    assert applied.code == 0, applied.stderr
    assert time.monotonic() - started < 60
    [new] = [g["GroupId"] for g in owned_groups(ec2) if g["Description"] == "web tier"]
    assert old not in {g["GroupId"] for g in owned_groups(ec2)}
    [instance] = [
        i for r in ec2.describe_instances(Filters=OWNED)["Reservations"] for i in r["Instances"]
    ]
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [new]
    [db] = [g for g in owned_groups(ec2) if g["Description"] == "database"]
    assert [p["GroupId"] for rule in db["IpPermissions"] for p in rule["UserIdGroupPairs"]] == [new]
    assert strict_aws.count("DependencyViolation", "ec2.DeleteSecurityGroup") == 0
    assert cli("plan", stack, "--detailed-exitcode").code == 0
    assert cli("destroy", stack, "--auto-approve").code == 0


def test_a_group_in_use_by_something_nothing_moves_stops_the_plan(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Item 1: where a move is impossible, the plan fails at once, not after 600 s."""
    stack = write(workdir, GROUP_IN_USE)
    assert cli("apply", stack, "--auto-approve").code == 0
    ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=aws)
    [old] = [g["GroupId"] for g in owned_groups(ec2) if g["Description"] == "web servers"]
    [subnet] = ec2.describe_subnets(Filters=OWNED)["Subnets"]
    stray = ec2.create_network_interface(
        SubnetId=subnet["SubnetId"], Groups=[old], Description="made by hand"
    )["NetworkInterface"]["NetworkInterfaceId"]
    write(workdir, GROUP_IN_USE.replace("description: web servers", "description: web tier"))
    refused = cli("apply", stack, "--auto-approve")
    assert refused.code == 1
    assert f"network interface {stray} (made by hand) uses it" in refused.stderr
    assert "nothing in this stack moves it" in refused.stderr
    assert len(owned_groups(ec2)) == 2  # no new group was made
    ec2.delete_network_interface(NetworkInterfaceId=stray)
    assert cli("apply", stack, "--auto-approve").code == 0


GROUP_OF_LAUNCHED = """\
stack: inuse
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24, availability_zone: us-west-2a}
  web_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      description: web servers
      ingress: [{protocol: tcp, port: 80, cidr_blocks: [0.0.0.0/0]}]
  template:
    type: aws.ec2.launch_template
    properties:
      image_id: ami-12c6146b
      instance_type: t3.micro
      security_group_ids: ["${web_sg.id}"]
  web:
    type: aws.autoscaling.group
    properties:
      launch_template_id: ${template.id}
      subnet_ids: ["${subnet.id}"]
      min_size: 2
      max_size: 2
      desired_capacity: 2
"""


def test_instances_an_auto_scaling_group_launched_move_with_the_replacement(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Item 1: the template gets a new version, but running instances keep the group they
    were launched with: the replacement moves them, and says so in the plan."""
    stack = write(workdir, GROUP_OF_LAUNCHED)
    assert cli("apply", stack, "--auto-approve").code == 0
    ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=aws)
    write(workdir, GROUP_OF_LAUNCHED.replace("description: web servers", "description: web"))
    planned = cli("plan", stack)
    assert "2 instance(s) launched for this stack" in planned.stdout
    applied = cli("apply", stack, "--auto-approve")
    assert applied.code == 0, applied.stderr
    [new] = [g["GroupId"] for g in owned_groups(ec2)]
    instances = [
        i for r in ec2.describe_instances(Filters=OWNED)["Reservations"] for i in r["Instances"]
    ]
    running = [i for i in instances if i["State"]["Name"] != "terminated"]
    assert len(running) == 2
    assert {g["GroupId"] for i in running for g in i["SecurityGroups"]} == {new}
    assert strict_aws.count("DependencyViolation", "ec2.DeleteSecurityGroup") == 0
    assert cli("destroy", stack, "--auto-approve").code == 0


KMS_REPLICATION = """\
stack: crr
region: us-west-2
resources:
  source_key:
    type: aws.kms.key
    properties: {description: Encrypts the source bucket}
  replica_key:
    type: aws.kms.key
    region: us-east-2
    properties: {description: Encrypts the replicas}
  replication_role:
    type: aws.iam.role
    properties:
      assume_role_policy:
        Statement:
          - {Effect: Allow, Principal: {Service: s3.amazonaws.com}, Action: sts:AssumeRole}
      inline_policies:
        replicate:
          Statement:
            - {Effect: Allow, Action: [s3:GetReplicationConfiguration, s3:ListBucket],
               Resource: "${source.arn}"}
            - Effect: Allow
              Action: [s3:GetObjectVersionForReplication, s3:GetObjectVersionAcl,
                       s3:GetObjectVersionTagging]
              Resource: "${source.arn}/*"
            - Effect: Allow
              Action: [s3:ReplicateObject, s3:ReplicateDelete, s3:ReplicateTags]
              Resource: "${replica.arn}/*"
            - Effect: Allow
              Action: kms:Decrypt
              Resource: "${source_key.arn}"
              Condition: {StringLike: {"kms:ViaService": s3.us-west-2.amazonaws.com}}
            - Effect: Allow
              Action: kms:Encrypt
              Resource: "${replica_key.arn}"
              Condition: {StringLike: {"kms:ViaService": s3.us-east-2.amazonaws.com}}
  replica:
    type: aws.s3.bucket
    region: us-east-2
    properties:
      name: crr-replica-${aws:account_id}
      versioning: Enabled
      encryption: {algorithm: "aws:kms", kms_key_id: "${replica_key.arn}"}
      force_destroy: true
  source:
    type: aws.s3.bucket
    properties:
      name: crr-source-${aws:account_id}
      versioning: Enabled
      encryption: {algorithm: "aws:kms", kms_key_id: "${source_key.arn}", bucket_key: true}
      force_destroy: true
      replication:
        role: ${replication_role.arn}
        rules:
          - id: encrypted-objects
            destination: ${replica.arn}
            sse_kms_encrypted_objects: true
            replica_kms_key_id: ${replica_key.arn}
"""


def test_a_kms_encrypted_bucket_replicates_with_a_key_of_the_other_region(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Item 8: the rule selects the KMS-encrypted objects and names the replica key, in the
    destination's region; apply, a plan with nothing to do, and a destroy that leaves nothing.
    Without the selection, validate refuses it at the rule."""
    source, replica = f"crr-source-{ACCOUNT}", f"crr-replica-{ACCOUNT}"
    stack = write(workdir, KMS_REPLICATION)
    validated = cli("validate", stack, target=False)
    assert validated.code == 0 and "Warning" not in validated.stderr
    applied = cli("apply", stack, "--auto-approve")
    assert applied.code == 0, applied.stderr

    west, east = (boto3.client("s3", region_name=r, endpoint_url=aws) for r in (WEST, EAST))
    keys = {
        region: boto3.client("kms", region_name=region, endpoint_url=aws).list_keys()["Keys"]
        for region in (WEST, EAST)
    }
    [source_key], [replica_key] = keys[WEST], keys[EAST]
    held = west.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]
    assert held["Role"] == f"arn:aws:iam::{ACCOUNT}:role/crr-replication-role"
    [rule] = held["Rules"]
    assert (rule["ID"], rule["Status"]) == ("encrypted-objects", "Enabled")
    assert rule["Destination"] == {
        "Bucket": f"arn:aws:s3:::{replica}",
        "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key["KeyArn"]},
    }
    # moto's GetBucketReplication leaves the selection out; it holds what it was sent.
    [stored] = stored_rules(source)
    assert stored["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    encryption = west.get_bucket_encryption(Bucket=source)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": source_key["KeyArn"],
    }
    assert east.get_bucket_location(Bucket=replica)["LocationConstraint"] == EAST

    again = cli("plan", stack, "--detailed-exitcode")
    assert again.code == 0, again.stdout
    destroyed = cli("destroy", stack, "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    assert owned_resources(aws, "crr") == {}
    assert owned_resources(aws, "crr", EAST) == {}
    assert not [b for b in west.list_buckets()["Buckets"] if b["Name"].startswith("crr-")]

    unselected = KMS_REPLICATION.replace("            sse_kms_encrypted_objects: true\n", "")
    refused = cli("validate", write(workdir, unselected), target=False)
    assert refused.code == 1
    assert "replication rule 'encrypted-objects': bucket 'source' encrypts its objects" in (
        refused.stderr
    )
    assert f"{stack}:54 (resources.source.properties.replication.rules)" in refused.stderr
    assert "add sse_kms_encrypted_objects: true to the rule" in refused.stderr


MANY_MISTAKES = """\
stack: mistakes
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  a:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.9.1.0/24}
  b:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.2.0/24}
  c:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.2.0/25}
  web_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{protocol: tpc, port: 80, cidr_blocks: [0.0.0.0/0]}]
"""


def test_every_mistake_in_a_file_is_reported_at_once(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Item 6: a field error (a bad protocol) no longer hides the cross-resource ones."""
    stack = write(workdir, MANY_MISTAKES)
    refused = cli("apply", stack, "--auto-approve")
    assert refused.code == 1
    assert "3 errors in the stack configuration" in refused.stderr
    assert f"{stack}:9 (resources.a.properties.cidr_block)" in refused.stderr
    assert "overlaps" in refused.stderr
    assert "resources.web_sg.properties.ingress[0].protocol" in refused.stderr
    assert sum(strict_aws.calls.values()) == 0
