"""Reading the account's stacks from their ownership tags: the calls behind `deploy ls`,
`destroy --stack` and `sweep`.

Per region, one paged Resource Groups Tagging API query for every resource tagged
`stackdeploy:stack` (100 a page), and one paged DescribeAutoScalingGroups filtered by the
tag key (GetResources returns no Auto Scaling groups); once for the account, IAM's
GetAccountAuthorizationDetails, which returns roles with their tags and the instance profiles
that hold them (GetResources returns no IAM roles either). The number of calls grows with
regions and pages, never with the resources in them; regions are read in parallel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from stackdeploy.aws.errors import AWS_ERRORS, as_provider_error
from stackdeploy.aws.session import ClientFactory
from stackdeploy.model.arns import GLOBAL
from stackdeploy.model.inventory import Tagged
from stackdeploy.providers.tagging_api import tag_map
from stackdeploy.specs.base import OWNERSHIP_TAG_STACK


def enabled_regions(clients: ClientFactory) -> list[str]:
    """The regions enabled for the account (opted-in ones included), from EC2."""
    answer = clients.client("ec2", clients.default_region).describe_regions(AllRegions=False)
    return sorted(region["RegionName"] for region in answer["Regions"])


def scan(clients: ClientFactory, regions: Iterable[str], *, max_workers: int = 8) -> list[Tagged]:
    """Every resource in `regions` (and IAM) that carries a stack's ownership tag."""
    jobs = sorted(set(regions))
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        futures = [pool.submit(_guarded, _in_region, clients, region) for region in jobs]
        futures.append(pool.submit(_guarded, _in_iam, clients, GLOBAL))
        return [item for future in futures for item in future.result()]


def _guarded(
    read: Callable[[ClientFactory, str], list[Tagged]], clients: ClientFactory, region: str
) -> list[Tagged]:
    try:
        return read(clients, region)
    except AWS_ERRORS as error:
        raised = as_provider_error(error)
        where = "IAM" if region == GLOBAL else region
        raised.message = f"listing stacks in {where}: {raised.message}"
        raise raised from error


def _in_region(clients: ClientFactory, region: str) -> list[Tagged]:
    tagging = clients.client("resourcegroupstaggingapi", region)
    mappings = tagging.paginate(
        "get_resources",
        "ResourceTagMappingList",
        input_token="PaginationToken",
        output_token="PaginationToken",
        TagFilters=[{"Key": OWNERSHIP_TAG_STACK}],
        ResourcesPerPage=100,
    )
    found = [Tagged(m["ResourceARN"], tag_map(m.get("Tags")), region) for m in mappings]
    groups = clients.client("autoscaling", region).paginate(
        "describe_auto_scaling_groups",
        "AutoScalingGroups",
        Filters=[{"Name": "tag-key", "Values": [OWNERSHIP_TAG_STACK]}],
        MaxRecords=100,
    )
    found += [Tagged(g["AutoScalingGroupARN"], tag_map(g.get("Tags")), region) for g in groups]
    gone = _gone(clients, region, found)
    return [item for item in found if item.arn.rsplit("/", 1)[-1] not in gone]


def _gone(clients: ClientFactory, region: str, found: list[Tagged]) -> set[str]:
    """Ids of resources the tag query still lists though they are gone for good: terminated
    instances and deleted NAT gateways stay visible for about an hour, KMS keys pending
    deletion for a week (none of them billed). One filtered read per region for instances
    and NAT gateways; DescribeKey per key, which no KMS list call can spare."""
    kinds = {item.arn.split(":", 6)[5].split("/", 1)[0] for item in found if ":ec2:" in item.arn}
    gone: set[str] = set()
    ec2 = clients.client("ec2", region)
    owned = {"Name": "tag-key", "Values": [OWNERSHIP_TAG_STACK]}
    if "instance" in kinds:
        reservations = ec2.paginate(
            "describe_instances",
            "Reservations",
            Filters=[owned, {"Name": "instance-state-name", "Values": ["terminated"]}],
        )
        gone |= {i["InstanceId"] for r in reservations for i in r["Instances"]}
    if "natgateway" in kinds:
        gateways = ec2.paginate(
            "describe_nat_gateways",
            "NatGateways",
            Filter=[owned, {"Name": "state", "Values": ["deleting", "deleted"]}],
        )
        gone |= {g["NatGatewayId"] for g in gateways}
    kms = clients.client("kms", region)
    for item in found:
        if ":kms:" in item.arn and ":key/" in item.arn:
            key = kms.describe_key(KeyId=item.arn)["KeyMetadata"]
            if key.get("KeyState") in ("PendingDeletion", "PendingReplicaDeletion"):
                gone.add(key["KeyId"])
    return gone


def _in_iam(clients: ClientFactory, _: str) -> list[Tagged]:
    iam = clients.client("iam", clients.default_region)
    roles = iam.paginate(
        "get_account_authorization_details",
        "RoleDetailList",
        input_token="Marker",
        output_token="Marker",
        Filter=["Role"],
        MaxItems=1000,
    )
    found: dict[str, Tagged] = {}
    for role in roles:
        tags = tag_map(role.get("Tags"))
        if OWNERSHIP_TAG_STACK in tags:
            found[role["Arn"]] = Tagged(role["Arn"], tags, GLOBAL)
        for profile in role.get("InstanceProfileList") or []:
            profile_tags = tag_map(profile.get("Tags"))
            if OWNERSHIP_TAG_STACK in profile_tags:
                found[profile["Arn"]] = Tagged(profile["Arn"], profile_tags, GLOBAL)
    return list(found.values())
