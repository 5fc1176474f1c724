"""Every resource type stackdeploy knows, by type name."""

from __future__ import annotations

import difflib

from stackdeploy.specs.autoscaling.group import AUTOSCALING_GROUP
from stackdeploy.specs.base import ResourceType
from stackdeploy.specs.dynamodb.table import DYNAMODB_TABLE
from stackdeploy.specs.ec2.eip import EIP
from stackdeploy.specs.ec2.instance import INSTANCE
from stackdeploy.specs.ec2.internet_gateway import INTERNET_GATEWAY
from stackdeploy.specs.ec2.key_pair import KEY_PAIR
from stackdeploy.specs.ec2.launch_template import LAUNCH_TEMPLATE
from stackdeploy.specs.ec2.nat_gateway import NAT_GATEWAY
from stackdeploy.specs.ec2.route_table import ROUTE_TABLE
from stackdeploy.specs.ec2.security_group import SECURITY_GROUP
from stackdeploy.specs.ec2.security_group_rule import SECURITY_GROUP_RULE
from stackdeploy.specs.ec2.subnet import SUBNET
from stackdeploy.specs.ec2.vpc import VPC
from stackdeploy.specs.elb.load_balancer import CLASSIC_LOAD_BALANCER
from stackdeploy.specs.elbv2.listener import LISTENER as ALB_LISTENER
from stackdeploy.specs.elbv2.listener_rule import LISTENER_RULE as ALB_LISTENER_RULE
from stackdeploy.specs.elbv2.load_balancer import LOAD_BALANCER as APPLICATION_LOAD_BALANCER
from stackdeploy.specs.elbv2.target_group import TARGET_GROUP as ALB_TARGET_GROUP
from stackdeploy.specs.iam.instance_profile import INSTANCE_PROFILE
from stackdeploy.specs.iam.role import ROLE
from stackdeploy.specs.kms.key import KMS_KEY
from stackdeploy.specs.rds.db_instance import DB_INSTANCE
from stackdeploy.specs.rds.db_replica import DB_REPLICA
from stackdeploy.specs.rds.parameter_group import DB_PARAMETER_GROUP
from stackdeploy.specs.rds.subnet_group import DB_SUBNET_GROUP
from stackdeploy.specs.s3.bucket import BUCKET as S3_BUCKET

RESOURCE_TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        VPC,
        SUBNET,
        INTERNET_GATEWAY,
        ROUTE_TABLE,
        EIP,
        NAT_GATEWAY,
        SECURITY_GROUP,
        SECURITY_GROUP_RULE,
        INSTANCE,
        LAUNCH_TEMPLATE,
        CLASSIC_LOAD_BALANCER,
        APPLICATION_LOAD_BALANCER,
        ALB_TARGET_GROUP,
        ALB_LISTENER,
        ALB_LISTENER_RULE,
        AUTOSCALING_GROUP,
        ROLE,
        INSTANCE_PROFILE,
        KEY_PAIR,
        KMS_KEY,
        DYNAMODB_TABLE,
        S3_BUCKET,
        DB_SUBNET_GROUP,
        DB_PARAMETER_GROUP,
        DB_INSTANCE,
        DB_REPLICA,
    )
}


def resource_type(name: str) -> ResourceType:
    return RESOURCE_TYPES[name]


def similar_type_names(name: str) -> list[str]:
    """Likely intended types: close spellings, or the same kind under another prefix."""
    close = difflib.get_close_matches(name, list(RESOURCE_TYPES), n=2, cutoff=0.8)
    kind = name.rsplit(".", 1)[-1]
    same_kind = [t for t in RESOURCE_TYPES if t.rsplit(".", 1)[-1] == kind]
    return list(dict.fromkeys(close + same_kind))
