"""The provider for each resource type."""

from __future__ import annotations

from stackdeploy.aws.session import ClientFactory
from stackdeploy.providers.autoscaling.group import AutoScalingGroupProvider
from stackdeploy.providers.base import Provider
from stackdeploy.providers.dynamodb.table import DynamoDbTableProvider
from stackdeploy.providers.ec2.eip import EipProvider
from stackdeploy.providers.ec2.instance import InstanceProvider
from stackdeploy.providers.ec2.internet_gateway import InternetGatewayProvider
from stackdeploy.providers.ec2.key_pair import KeyPairProvider
from stackdeploy.providers.ec2.launch_template import LaunchTemplateProvider
from stackdeploy.providers.ec2.nat_gateway import NatGatewayProvider
from stackdeploy.providers.ec2.route_table import RouteTableProvider
from stackdeploy.providers.ec2.security_group import SecurityGroupProvider
from stackdeploy.providers.ec2.security_group_rule import SecurityGroupRuleProvider
from stackdeploy.providers.ec2.subnet import SubnetProvider
from stackdeploy.providers.ec2.vpc import VpcProvider
from stackdeploy.providers.elb.load_balancer import ClassicLoadBalancerProvider
from stackdeploy.providers.elbv2.listener import ListenerProvider
from stackdeploy.providers.elbv2.listener_rule import ListenerRuleProvider
from stackdeploy.providers.elbv2.load_balancer import LoadBalancerProvider
from stackdeploy.providers.elbv2.target_group import TargetGroupProvider
from stackdeploy.providers.iam.instance_profile import InstanceProfileProvider
from stackdeploy.providers.iam.role import RoleProvider
from stackdeploy.providers.kms.key import KmsKeyProvider
from stackdeploy.providers.rds.db_instance import DbInstanceProvider
from stackdeploy.providers.rds.db_replica import DbReplicaProvider
from stackdeploy.providers.rds.parameter_group import DbParameterGroupProvider
from stackdeploy.providers.rds.subnet_group import DbSubnetGroupProvider
from stackdeploy.providers.s3.bucket import BucketProvider

PROVIDER_CLASSES: dict[str, type[Provider]] = {
    cls.rtype.name: cls
    for cls in (
        VpcProvider,
        SubnetProvider,
        InternetGatewayProvider,
        EipProvider,
        NatGatewayProvider,
        RouteTableProvider,
        SecurityGroupProvider,
        SecurityGroupRuleProvider,
        InstanceProvider,
        LaunchTemplateProvider,
        ClassicLoadBalancerProvider,
        LoadBalancerProvider,
        TargetGroupProvider,
        ListenerProvider,
        ListenerRuleProvider,
        AutoScalingGroupProvider,
        RoleProvider,
        InstanceProfileProvider,
        KeyPairProvider,
        KmsKeyProvider,
        DynamoDbTableProvider,
        BucketProvider,
        DbSubnetGroupProvider,
        DbParameterGroupProvider,
        DbInstanceProvider,
        DbReplicaProvider,
    )
}


def make_providers(clients: ClientFactory) -> dict[str, Provider]:
    return {name: cls(clients) for name, cls in PROVIDER_CLASSES.items()}
