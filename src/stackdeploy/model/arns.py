"""What an ARN names, in stackdeploy's terms: the resource type and its physical id.

The Resource Groups Tagging API answers with ARNs; the account inventory (`deploy ls`,
`destroy --stack`, `sweep`) maps each to one of stackdeploy's resource types, so resources
are counted by type and the types named by their AWS name (IAM roles, S3 buckets) can be read
by that name when a stack is destroyed without its file. Pure: no AWS here.
"""

from __future__ import annotations

from dataclasses import dataclass

# A final snapshot a database's delete kept (arn:aws:rds:<region>:<account>:snapshot:<name>).
SNAPSHOT = "rds.snapshot"
# IAM answers for the whole account: its resources have no region.
GLOBAL = "global"

_EC2 = {
    "vpc": "aws.ec2.vpc",
    "subnet": "aws.ec2.subnet",
    "internet-gateway": "aws.ec2.internet_gateway",
    "route-table": "aws.ec2.route_table",
    "elastic-ip": "aws.ec2.eip",
    "natgateway": "aws.ec2.nat_gateway",
    "security-group": "aws.ec2.security_group",
    "security-group-rule": "aws.ec2.security_group_rule",
    "instance": "aws.ec2.instance",
    "key-pair": "aws.ec2.key_pair",
    "launch-template": "aws.ec2.launch_template",
}
# Tagged with the stack's tags, but part of another resource and gone with it: an
# instance's root volume.
_PARTS = frozenset({("ec2", "volume")})
_RDS = {
    # Read replicas are DB instances too; an ARN does not tell them apart, so they are
    # counted with the instances.
    "db": "aws.rds.db_instance",
    "subgrp": "aws.rds.db_subnet_group",
    "pg": "aws.rds.db_parameter_group",
    "snapshot": SNAPSHOT,
}
_ELB = {
    "targetgroup": "aws.elbv2.target_group",
    "listener": "aws.elbv2.listener",
    "listener-rule": "aws.elbv2.listener_rule",
}


@dataclass(frozen=True)
class Named:
    """What an ARN names: a stackdeploy type (or SNAPSHOT, or "other:<service>:<kind>" for
    anything else the stack's tags are on), its physical id as that type's provider knows it,
    and its region (GLOBAL for IAM; None where the ARN has none, as for S3 buckets)."""

    kind: str
    physical_id: str
    region: str | None

    @property
    def known_type(self) -> bool:
        return self.kind.startswith("aws.")


def name_of(arn: str) -> Named | None:
    """The stackdeploy view of an ARN; None for what is part of another resource (a volume)
    or is no ARN at all."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, region, resource = parts[2], parts[3] or None, parts[5]
    kind, _, rest = _split(service, resource)
    if (service, kind) in _PARTS:
        return None
    found = _known(service, kind, rest, resource, arn)
    if found is None:
        return Named(f"other:{service}:{kind}", resource, region)
    type_name, physical_id = found
    return Named(type_name, physical_id, GLOBAL if service == "iam" else region)


def _split(service: str, resource: str) -> tuple[str, str, str]:
    """(kind, separator, rest) of an ARN's resource part: "vpc/vpc-1", "db:name"."""
    if service == "s3":
        return "bucket", "", resource
    slash, colon = resource.find("/"), resource.find(":")
    cuts = [i for i in (slash, colon) if i >= 0]
    if not cuts:
        return resource, "", ""
    cut = min(cuts)
    return resource[:cut], resource[cut], resource[cut + 1 :]


def _known(service: str, kind: str, rest: str, resource: str, arn: str) -> tuple[str, str] | None:
    if service == "ec2" and kind in _EC2:
        return _EC2[kind], rest
    if service == "rds" and kind in _RDS:
        return _RDS[kind], rest
    if service == "elasticloadbalancing":
        if kind == "loadbalancer":
            # app/ and net/ are ELB v2 (named by ARN); a bare name is a classic one.
            classic = "/" not in rest
            return ("aws.elb.load_balancer", rest) if classic else ("aws.elbv2.load_balancer", arn)
        if kind in _ELB:
            return _ELB[kind], arn
    if service == "dynamodb" and kind == "table" and "/" not in rest:
        return "aws.dynamodb.table", rest
    if service == "kms" and kind == "key":
        return "aws.kms.key", rest
    if service == "s3" and "/" not in resource:
        return "aws.s3.bucket", resource
    if service == "autoscaling" and kind == "autoScalingGroup":
        return "aws.autoscaling.group", rest.rsplit("autoScalingGroupName/", 1)[-1]
    if service == "iam" and kind in ("role", "instance-profile"):
        # The path comes first (role/service/name): the name is the last segment.
        name = rest.rsplit("/", 1)[-1]
        return ("aws.iam.role" if kind == "role" else "aws.iam.instance_profile"), name
    return None
