"""What sending each AWS operation a second time does, declared once per operation.

A 5xx, or an answer lost on the way back, leaves a write's outcome unknown: AWS may have acted
on it. The retry policy resends such a request only when the declaration below says a repeat
cannot do more than the first request did. The judgement is AWS's documented behaviour of the
operation, not its name: `PutRolePolicy` sets a value and is safe to repeat, `CreateVpc` makes
a second VPC, `CreateTable` fails with ResourceInUse the second time.

Every operation the engine calls is declared; one that is not raises `UndeclaredOperation`
when a client is asked for it (tests/unit/test_operations.py checks that the source calls
nothing undeclared), so a new call cannot silently inherit a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Repeat(Enum):
    """What a second, identical request does after the first one's outcome was lost."""

    # Changes nothing.
    READ = "read"
    # A write that a repeat cannot take further: it sets the same value again, deletes what is
    # already gone (NotFound), or creates something whose name or key is unique, so the repeat
    # fails harmlessly (AlreadyExists, Duplicate, InUse) and can never make a second one.
    HARMLESS = "harmless"
    # A create that is harmless to repeat only with the same idempotency token (ClientToken):
    # AWS returns the first result instead of making a second resource.
    NEEDS_TOKEN = "needs token"
    # A create that a repeat can duplicate: a second VPC, address or key, billed or counted
    # against a quota. Never resent after an unknown outcome; the ownership tags sent with the
    # create let the next run find the one that was made.
    DUPLICATES = "duplicates"


@dataclass(frozen=True)
class Declared:
    repeat: Repeat
    token: str | None = None  # the idempotency parameter, for Repeat.NEEDS_TOKEN

    def safe_to_resend(self, params: Mapping[str, Any]) -> bool:
        """Whether this request may be sent again when its first outcome is unknown."""
        if self.repeat is Repeat.NEEDS_TOKEN:
            # botocore fills a missing token with a fresh one per attempt, which would make
            # each resend a new create: only a token the caller chose makes repeats the same.
            return bool(self.token and params.get(self.token))
        return self.repeat in (Repeat.READ, Repeat.HARMLESS)


class UndeclaredOperation(LookupError):
    """An AWS operation the engine calls without saying what a repeat of it does."""

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"{operation} is not declared in stackdeploy/aws/operations.py: declare what a "
            "repeat of it does before calling it"
        )


READ = Declared(Repeat.READ)
HARMLESS = Declared(Repeat.HARMLESS)
DUPLICATES = Declared(Repeat.DUPLICATES)
CLIENT_TOKEN = Declared(Repeat.NEEDS_TOKEN, "ClientToken")


def _reads(names: str) -> dict[str, Declared]:
    return dict.fromkeys(names.split(), READ)


_EC2: dict[str, Declared] = {
    **_reads(
        """DescribeAddresses DescribeAvailabilityZones DescribeRegions
        DescribeIamInstanceProfileAssociations
        DescribeImages
        DescribeInstanceAttribute DescribeInstanceStatus DescribeInstances
        DescribeInternetGateways DescribeKeyPairs DescribeLaunchTemplateVersions
        DescribeNetworkInterfaces
        DescribeLaunchTemplates DescribeNatGateways DescribeRouteTables
        DescribeSecurityGroupRules DescribeSecurityGroups
        DescribeSubnets DescribeTags DescribeVolumes DescribeVpcAttribute DescribeVpcs"""
    ),
    "AllocateAddress": DUPLICATES,  # a second Elastic IP, billed while unattached
    "CreateInternetGateway": DUPLICATES,
    "CreateSubnet": DUPLICATES,  # a repeat of the same CIDR conflicts, one from an IPAM pool not
    "CreateVpc": DUPLICATES,
    "CreateLaunchTemplate": CLIENT_TOKEN,
    "CreateLaunchTemplateVersion": CLIENT_TOKEN,  # without it, a repeat is a second version
    "CreateNatGateway": CLIENT_TOKEN,
    "CreateRouteTable": CLIENT_TOKEN,
    "RunInstances": CLIENT_TOKEN,
    # Unique names: a repeat fails with InvalidGroup.Duplicate / InvalidKeyPair.Duplicate.
    "CreateSecurityGroup": HARMLESS,
    "CreateKeyPair": HARMLESS,
    "ImportKeyPair": HARMLESS,
    # One route per destination, one association per subnet, one gateway per VPC, one rule
    # per permission: a repeat fails with RouteAlreadyExists, Resource.AlreadyAssociated,
    # IncorrectState or InvalidPermission.Duplicate.
    "AssociateIamInstanceProfile": HARMLESS,
    "AssociateRouteTable": HARMLESS,
    "AttachInternetGateway": HARMLESS,
    "AuthorizeSecurityGroupEgress": HARMLESS,
    "AuthorizeSecurityGroupIngress": HARMLESS,
    "CreateRoute": HARMLESS,
    # Replacing an association returns a new association id: a repeat naming the old one
    # fails with NotFound.
    "ReplaceIamInstanceProfileAssociation": HARMLESS,
    "ReplaceRouteTableAssociation": HARMLESS,
    "ReplaceRoute": HARMLESS,
    "CreateTags": HARMLESS,
    "DeleteTags": HARMLESS,
    "ModifyInstanceAttribute": HARMLESS,
    "ModifyInstanceMetadataOptions": HARMLESS,
    "ModifyLaunchTemplate": HARMLESS,  # sets the default version
    "ModifySecurityGroupRules": HARMLESS,  # sets the whole rule, by its id
    "ModifySubnetAttribute": HARMLESS,
    "ModifyVolume": HARMLESS,  # one modification per volume in 6 hours: a repeat is refused
    "ModifyVpcAttribute": HARMLESS,
    "UpdateSecurityGroupRuleDescriptionsEgress": HARMLESS,
    "UpdateSecurityGroupRuleDescriptionsIngress": HARMLESS,
    "StartInstances": HARMLESS,
    "StopInstances": HARMLESS,
    "TerminateInstances": HARMLESS,
    "DeleteInternetGateway": HARMLESS,
    "DeleteKeyPair": HARMLESS,
    "DeleteLaunchTemplate": HARMLESS,
    "DeleteNatGateway": HARMLESS,
    "DeleteRoute": HARMLESS,
    "DeleteRouteTable": HARMLESS,
    "DeleteSecurityGroup": HARMLESS,
    "DeleteSubnet": HARMLESS,
    "DeleteVpc": HARMLESS,
    "DetachInternetGateway": HARMLESS,
    "DisassociateIamInstanceProfile": HARMLESS,
    "DisassociateRouteTable": HARMLESS,
    "ReleaseAddress": HARMLESS,  # allocation ids are never reused
    "RevokeSecurityGroupEgress": HARMLESS,
    "RevokeSecurityGroupIngress": HARMLESS,
}

_ELB: dict[str, Declared] = {
    **_reads(
        "DescribeInstanceHealth DescribeLoadBalancerAttributes DescribeLoadBalancers DescribeTags"
    ),
    # Names are unique per account and region (DuplicateAccessPointName); a listener on a
    # taken port must match the existing one (DuplicateListener).
    "CreateLoadBalancer": HARMLESS,
    "CreateLoadBalancerListeners": HARMLESS,
    "AddTags": HARMLESS,
    "ApplySecurityGroupsToLoadBalancer": HARMLESS,
    "AttachLoadBalancerToSubnets": HARMLESS,
    "ConfigureHealthCheck": HARMLESS,
    "DeleteLoadBalancer": HARMLESS,
    "DeleteLoadBalancerListeners": HARMLESS,
    "DeregisterInstancesFromLoadBalancer": HARMLESS,
    "DetachLoadBalancerFromSubnets": HARMLESS,
    "ModifyLoadBalancerAttributes": HARMLESS,
    "RegisterInstancesWithLoadBalancer": HARMLESS,
    "RemoveTags": HARMLESS,
    "SetLoadBalancerListenerSSLCertificate": HARMLESS,
}

_ELBV2: dict[str, Declared] = {
    **_reads(
        """DescribeListeners DescribeLoadBalancerAttributes DescribeLoadBalancers DescribeRules
        DescribeTags DescribeTargetGroupAttributes DescribeTargetGroups DescribeTargetHealth"""
    ),
    # Documented as idempotent: the same settings again return the existing one.
    "CreateListener": HARMLESS,
    "CreateLoadBalancer": HARMLESS,
    "CreateTargetGroup": HARMLESS,
    "CreateRule": HARMLESS,  # a rule's priority is unique per listener: PriorityInUse
    "AddTags": HARMLESS,
    "DeleteListener": HARMLESS,
    "DeleteLoadBalancer": HARMLESS,
    "DeleteRule": HARMLESS,
    "DeleteTargetGroup": HARMLESS,
    "DeregisterTargets": HARMLESS,
    "ModifyListener": HARMLESS,
    "ModifyLoadBalancerAttributes": HARMLESS,
    "ModifyRule": HARMLESS,
    "ModifyTargetGroup": HARMLESS,
    "ModifyTargetGroupAttributes": HARMLESS,
    "RegisterTargets": HARMLESS,
    "RemoveTags": HARMLESS,
    "SetIpAddressType": HARMLESS,
    "SetRulePriorities": HARMLESS,
    "SetSecurityGroups": HARMLESS,
    "SetSubnets": HARMLESS,
}

_AUTOSCALING: dict[str, Declared] = {
    **_reads(
        "DescribeAutoScalingGroups DescribeLoadBalancers DescribeScalingActivities DescribeTags"
    ),
    "CreateAutoScalingGroup": HARMLESS,  # unique name: AlreadyExists
    "AttachLoadBalancerTargetGroups": HARMLESS,
    "AttachLoadBalancers": HARMLESS,
    "CreateOrUpdateTags": HARMLESS,
    "DeleteAutoScalingGroup": HARMLESS,
    "DeleteTags": HARMLESS,
    "DetachLoadBalancerTargetGroups": HARMLESS,
    "DetachLoadBalancers": HARMLESS,
    "SetInstanceProtection": HARMLESS,
    "UpdateAutoScalingGroup": HARMLESS,
}

_DYNAMODB: dict[str, Declared] = {
    **_reads("DescribeContinuousBackups DescribeTable DescribeTimeToLive ListTagsOfResource"),
    "CreateTable": HARMLESS,  # unique name: ResourceInUseException
    "DeleteTable": HARMLESS,
    "TagResource": HARMLESS,
    "UntagResource": HARMLESS,
    "UpdateContinuousBackups": HARMLESS,
    "UpdateTable": HARMLESS,  # an index created twice is refused, not duplicated
    "UpdateTimeToLive": HARMLESS,
}

_IAM: dict[str, Declared] = {
    **_reads(
        """GetAccountAuthorizationDetails GetInstanceProfile GetRole GetRolePolicy
        ListAttachedRolePolicies
        ListInstanceProfiles ListInstanceProfilesForRole ListRolePolicies ListRoles"""
    ),
    # Unique names: EntityAlreadyExists. A profile holds one role: LimitExceeded.
    "CreateInstanceProfile": HARMLESS,
    "CreateRole": HARMLESS,
    "AddRoleToInstanceProfile": HARMLESS,
    "AttachRolePolicy": HARMLESS,
    "DeleteInstanceProfile": HARMLESS,
    "DeleteRole": HARMLESS,
    "DeleteRolePolicy": HARMLESS,
    "DetachRolePolicy": HARMLESS,
    "PutRolePolicy": HARMLESS,
    "RemoveRoleFromInstanceProfile": HARMLESS,
    "TagInstanceProfile": HARMLESS,
    "TagRole": HARMLESS,
    "UntagInstanceProfile": HARMLESS,
    "UntagRole": HARMLESS,
    "UpdateAssumeRolePolicy": HARMLESS,
    "UpdateRole": HARMLESS,
}

_KMS: dict[str, Declared] = {
    **_reads("DescribeKey GetKeyPolicy GetKeyRotationStatus ListAliases ListResourceTags"),
    "CreateKey": DUPLICATES,  # a second key, billed monthly until deleted
    "CreateAlias": HARMLESS,  # unique alias name: AlreadyExistsException
    "DeleteAlias": HARMLESS,
    "DisableKey": HARMLESS,
    "DisableKeyRotation": HARMLESS,
    "EnableKey": HARMLESS,
    "EnableKeyRotation": HARMLESS,
    "PutKeyPolicy": HARMLESS,
    "ScheduleKeyDeletion": HARMLESS,  # a repeat finds the key pending deletion
    "TagResource": HARMLESS,
    "UntagResource": HARMLESS,
    "UpdateAlias": HARMLESS,
    "UpdateKeyDescription": HARMLESS,
}

_RDS: dict[str, Declared] = {
    **_reads(
        """DescribeDBInstances DescribeDBParameterGroups DescribeDBParameters
        DescribeDBSubnetGroups ListTagsForResource"""
    ),
    # A kept final snapshot, deleted by `destroy --delete-snapshots`: DBSnapshotNotFound
    # the second time.
    "DeleteDBSnapshot": HARMLESS,
    # Unique identifiers: DBInstanceAlreadyExists, DBParameterGroupAlreadyExists, ...
    "CreateDBInstance": HARMLESS,
    "CreateDBInstanceReadReplica": HARMLESS,
    "CreateDBParameterGroup": HARMLESS,
    "CreateDBSubnetGroup": HARMLESS,
    "AddTagsToResource": HARMLESS,
    "DeleteDBInstance": HARMLESS,
    "DeleteDBParameterGroup": HARMLESS,
    "DeleteDBSubnetGroup": HARMLESS,
    "ModifyDBInstance": HARMLESS,
    "ModifyDBParameterGroup": HARMLESS,
    "ModifyDBSubnetGroup": HARMLESS,
    "RemoveTagsFromResource": HARMLESS,
    "ResetDBParameterGroup": HARMLESS,
}

_S3: dict[str, Declared] = {
    **_reads(
        """GetBucketEncryption GetBucketLifecycleConfiguration GetBucketLocation
        GetBucketOwnershipControls GetBucketPolicy GetBucketReplication GetBucketTagging
        GetBucketVersioning GetObject GetPublicAccessBlock ListBuckets ListObjectVersions
        ListObjectsV2"""
    ),
    "CreateBucket": HARMLESS,  # globally unique name: BucketAlreadyOwnedByYou
    # Replaces the object whole. The state lock's conditional put (If-None-Match) repeated
    # after it succeeded is refused as taken: a lock held, never two.
    "PutObject": HARMLESS,
    "DeleteBucket": HARMLESS,
    "DeleteBucketLifecycle": HARMLESS,
    "DeleteBucketPolicy": HARMLESS,
    "DeleteBucketReplication": HARMLESS,
    "DeleteBucketTagging": HARMLESS,
    "DeleteObject": HARMLESS,
    "DeleteObjects": HARMLESS,
    "PutBucketEncryption": HARMLESS,
    "PutBucketLifecycleConfiguration": HARMLESS,
    "PutBucketOwnershipControls": HARMLESS,
    "PutBucketPolicy": HARMLESS,
    "PutBucketReplication": HARMLESS,
    "PutBucketTagging": HARMLESS,
    "PutBucketVersioning": HARMLESS,
    "PutPublicAccessBlock": HARMLESS,
}

_SECRETSMANAGER: dict[str, Declared] = {
    **_reads("DescribeSecret GetSecretValue"),
    "CreateSecret": HARMLESS,  # unique name: ResourceExistsException
    "DeleteSecret": HARMLESS,
    "RestoreSecret": HARMLESS,
    "TagResource": HARMLESS,
    "UntagResource": HARMLESS,
}

_SSM: dict[str, Declared] = {
    **_reads("GetParameter GetParameters ListTagsForResource"),
    "PutParameter": HARMLESS,  # without Overwrite, a repeat fails: ParameterAlreadyExists
    "AddTagsToResource": HARMLESS,
    "DeleteParameter": HARMLESS,
    "RemoveTagsFromResource": HARMLESS,
}

# Keyed by boto3's client name, as the engine's API stats name operations ("ec2.CreateVpc").
_SERVICES: dict[str, dict[str, Declared]] = {
    "autoscaling": _AUTOSCALING,
    "dynamodb": _DYNAMODB,
    "ec2": _EC2,
    "elb": _ELB,
    "elbv2": _ELBV2,
    "iam": _IAM,
    "kms": _KMS,
    "rds": _RDS,
    "resourcegroupstaggingapi": _reads("GetResources"),
    "s3": _S3,
    "secretsmanager": _SECRETSMANAGER,
    "ssm": _SSM,
    "sts": _reads("GetCallerIdentity"),
}

OPERATIONS: Mapping[str, Declared] = {
    f"{service}.{name}": declared
    for service, table in _SERVICES.items()
    for name, declared in table.items()
}


def declared(operation: str) -> Declared:
    """The declaration of "service.Operation"; raises UndeclaredOperation if there is none."""
    try:
        return OPERATIONS[operation]
    except KeyError:
        raise UndeclaredOperation(operation) from None


def is_read(operation: str) -> bool:
    return declared(operation).repeat is Repeat.READ
