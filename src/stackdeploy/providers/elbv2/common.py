"""Helpers the ELB v2 providers share: paged reads, batched tag reads, ownership, ARNs, tag
sync, attributes, and the action shape (spec <-> AWS) of listeners and rules. The Classic
Load Balancer's reads (providers/elb/reads.py) use the paging and tag helpers too.

ELB v2 has no tag filter on its describe calls, so the stack's resources are found by listing
and reading tags in batches of 20 ARNs (DescribeTags' limit): two or three calls per type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from stackdeploy.aws.errors import is_not_found
from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ownership import owned_by
from stackdeploy.specs.base import CLAIM_TAGS
from stackdeploy.specs.elbv2.actions import REDIRECT_DEFAULTS

TAG_BATCH = 20  # DescribeTags takes at most 20 ARNs
ARN_BATCH = 20  # DescribeLoadBalancers / DescribeTargetGroups take at most 20 ARNs
PAGE_SIZE = 400  # DescribeLoadBalancers' and DescribeTargetGroups' maximum
AwsTags = list[dict[str, str]]


def elbv2(clients: ClientFactory, region: str) -> RetryingClient:
    return clients.client("elbv2", region)


def batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def paged(client: RetryingClient, method: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page of an ELB v2 describe call (they page with Marker / NextMarker)."""
    items: list[dict[str, Any]] = client.paginate(
        method, key, input_token="Marker", output_token="NextMarker", **kwargs
    )
    return items


def describe_tags(
    client: RetryingClient,
    ids: Sequence[str],
    id_param: str = "ResourceArns",
    id_key: str = "ResourceArn",
) -> dict[str, AwsTags]:
    """Tags of each resource that still exists, by ARN, in batches of 20. ELB v1 (Classic)
    names its load balancers instead: id_param="LoadBalancerNames", id_key="LoadBalancerName".

    AWS fails a whole batch when one of its resources is gone (deleted since it was listed):
    that batch is then read one by one, and the gone ones are left out.
    """

    def tags(batch: list[str]) -> dict[str, AwsTags]:
        response = client.describe_tags(**{id_param: batch})
        return {d[id_key]: list(d.get("Tags") or []) for d in response["TagDescriptions"]}

    found: dict[str, AwsTags] = {}
    for batch in batches(list(dict.fromkeys(ids)), TAG_BATCH):
        try:
            found.update(tags(batch))
        except Exception as error:
            if not is_not_found(error):
                raise
            for one in batch:
                found.update(ignore_gone(tags, [one]) or {})
    return found


def aws_tags(tags: Mapping[str, str]) -> AwsTags:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def write_ownership_tags(clients: ClientFactory, ctx: ResourceContext, arn: str) -> None:
    elbv2(clients, ctx.region).add_tags(ResourceArns=[arn], Tags=aws_tags(ctx.ownership_tags()))


def remove_ownership_tags(clients: ClientFactory, ctx: ResourceContext, arn: str) -> None:
    client = elbv2(clients, ctx.region)
    try:
        client.remove_tags(ResourceArns=[arn], TagKeys=[*CLAIM_TAGS])
    except Exception as error:
        if not is_not_found(error):
            raise


def sync_tags(
    client: RetryingClient, arn: str, desired: Mapping[str, str], live: Mapping[str, str]
) -> None:
    """Make a resource's user tags equal `desired`, leaving ownership tags alone."""
    stale = sorted(k for k in live if k not in desired)
    changed = {k: v for k, v in desired.items() if live.get(k) != v}
    if stale:
        client.remove_tags(ResourceArns=[arn], TagKeys=stale)
    if changed:
        client.add_tags(ResourceArns=[arn], Tags=aws_tags(changed))


def attribute_map(attributes: Sequence[Mapping[str, str]]) -> dict[str, str]:
    return {a["Key"]: a.get("Value", "") for a in attributes}


def arn_resource(arn: str) -> str:
    """What follows the ARN's resource type: "app/web/50dc6c495c0c9188" for a load balancer."""
    return arn.split(":", 5)[-1].split("/", 1)[-1]


def load_balancer_of_listener(listener_arn: str) -> str:
    """arn:...:listener/app/<name>/<lb>/<listener> -> arn:...:loadbalancer/app/<name>/<lb>"""
    return listener_arn.replace(":listener/", ":loadbalancer/", 1).rsplit("/", 1)[0]


def listener_of_rule(rule_arn: str) -> str:
    """arn:...:listener-rule/app/<name>/<lb>/<listener>/<rule> -> the listener's ARN."""
    return rule_arn.replace(":listener-rule/", ":listener/", 1).rsplit("/", 1)[0]


def owned_load_balancers(client: RetryingClient, stack: str) -> list[dict[str, Any]]:
    """The application load balancers tagged as owned by `stack`, each with its "Tags"."""
    listed = paged(client, "describe_load_balancers", "LoadBalancers", PageSize=PAGE_SIZE)
    return with_tags(client, listed, stack)


def with_tags(
    client: RetryingClient, balancers: Sequence[dict[str, Any]], stack: str | None = None
) -> list[dict[str, Any]]:
    """The application load balancers among `balancers` (owned by `stack`, if given) that
    still exist, each with its "Tags"."""
    applications = [lb for lb in balancers if lb.get("Type", "application") == "application"]
    tags = describe_tags(client, [lb["LoadBalancerArn"] for lb in applications])
    return [
        {**lb, "Tags": tags[lb["LoadBalancerArn"]]}
        for lb in applications
        if lb["LoadBalancerArn"] in tags
        and (stack is None or owned_by(tags[lb["LoadBalancerArn"]], stack))
    ]


def described_by_arn(
    client: RetryingClient, method: str, key: str, arn_param: str, arns: Sequence[str]
) -> list[dict[str, Any]]:
    """The resources among `arns` that exist, from a describe call that takes ARNs.

    DescribeLoadBalancers / DescribeTargetGroups fail a whole request when one ARN is gone.
    The ARNs asked for here are usually gone (the read by tags missed them), so a failed batch
    falls back to one listing of everything instead of one call per ARN.
    """
    wanted = list(dict.fromkeys(arns))
    arn_key = arn_param[:-1]  # "LoadBalancerArns" -> "LoadBalancerArn"
    found: list[dict[str, Any]] = []
    listing: list[dict[str, Any]] | None = None
    for batch in batches(wanted, ARN_BATCH):
        try:
            found += getattr(client, method)(**{arn_param: batch})[key]
        except Exception as error:
            if not is_not_found(error):
                raise
            if listing is None:
                listing = paged(client, method, key, PageSize=PAGE_SIZE)
            found += [item for item in listing if item[arn_key] in batch]
    return found


def ignore_gone(call: Any, *args: Any, **kwargs: Any) -> Any:
    """The call's result, or None when the resource it reads no longer exists."""
    try:
        return call(*args, **kwargs)
    except Exception as error:
        if is_not_found(error):
            return None
        raise


# -- actions -------------------------------------------------------------------------------


def action_to_aws(action: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical action (the spec's shape) as CreateListener / CreateRule take it."""
    kind = action["type"]
    if kind == "forward":
        return {"Type": "forward", "TargetGroupArn": action["target_group_arn"]}
    if kind == "redirect":
        target = action["redirect"]
        return {
            "Type": "redirect",
            "RedirectConfig": {
                "Protocol": target["protocol"],
                "Port": target["port"],
                "Host": target["host"],
                "Path": target["path"],
                "Query": target["query"],
                "StatusCode": target["status_code"],
            },
        }
    response = action["fixed_response"]
    config = {"StatusCode": response["status_code"], "ContentType": response["content_type"]}
    if response.get("message_body") is not None:
        config["MessageBody"] = response["message_body"]
    return {"Type": "fixed-response", "FixedResponseConfig": config}


def action_from_aws(actions: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The canonical form of what AWS reports: the last action (after any authenticate step).

    An action stackdeploy does not model (weighted forwards, authenticate-only) reads as
    something no spec equals, so the plan shows it and replaces it with the declared one.
    """
    if not actions:
        return None
    action = sorted(actions, key=lambda a: int(a.get("Order") or 0))[-1]
    kind = str(action.get("Type", ""))
    if kind == "forward":
        groups = [
            g["TargetGroupArn"] for g in (action.get("ForwardConfig") or {}).get("TargetGroups", [])
        ]
        if action.get("TargetGroupArn") or len(groups) == 1:
            return {
                "type": "forward",
                "target_group_arn": action.get("TargetGroupArn") or groups[0],
            }
        return {"type": "forward", "target_group_arns": groups}
    if kind == "redirect":
        config = action.get("RedirectConfig") or {}
        redirect = {
            key: config.get(key.title(), default) for key, default in REDIRECT_DEFAULTS.items()
        }
        redirect["status_code"] = config.get("StatusCode")
        return {"type": "redirect", "redirect": redirect}
    if kind == "fixed-response":
        config = action.get("FixedResponseConfig") or {}
        return {
            "type": "fixed-response",
            "fixed_response": {
                "status_code": config.get("StatusCode"),
                "content_type": config.get("ContentType"),
                "message_body": config.get("MessageBody"),
            },
        }
    return {"type": kind}
