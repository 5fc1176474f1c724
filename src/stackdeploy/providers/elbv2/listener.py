"""aws.elbv2.listener on ELB v2: CreateListener with tags, ModifyListener in place,
DeleteListener.

Listeners are listed per load balancer: the stack's own listeners are found on the load
balancers the stack owns (a listener on a load balancer from outside the stack is found by the
ARN in state instead).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.elbv2.common import (
    action_from_aws,
    action_to_aws,
    aws_tags,
    elbv2,
    ignore_gone,
    load_balancer_of_listener,
    owned_load_balancers,
    paged,
)
from stackdeploy.providers.elbv2.nested import NestedProvider
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.elbv2.listener import LISTENER

# A load balancer or target group created moments ago may not be visible to the call yet.
NOT_YET_VISIBLE = frozenset({"LoadBalancerNotFound", "TargetGroupNotFound"})


def listeners_of(client: RetryingClient, balancer_arn: str) -> list[dict[str, Any]]:
    """The load balancer's listeners; none when the load balancer is gone."""
    listeners = ignore_gone(
        paged, client, "describe_listeners", "Listeners", LoadBalancerArn=balancer_arn
    )
    return list(listeners or [])


def _tls_request(props: dict[str, Any]) -> dict[str, Any]:
    if props["protocol"] != "HTTPS":
        return {}
    request: dict[str, Any] = {"Certificates": [{"CertificateArn": props["certificate_arn"]}]}
    if props.get("ssl_policy") is not None:
        request["SslPolicy"] = props["ssl_policy"]
    return request


class ListenerProvider(NestedProvider):
    rtype = LISTENER
    arn_key = "ListenerArn"
    delete_method = "delete_listener"
    not_yet_visible = NOT_YET_VISIBLE

    def parent_of(self, arn: str) -> str:
        return load_balancer_of_listener(arn)

    def children_of(self, client: RetryingClient, parent_arn: str) -> list[dict[str, Any]]:
        return listeners_of(client, parent_arn)

    def owned_parents(self, client: RetryingClient, stack: str) -> list[str]:
        return [balancer["LoadBalancerArn"] for balancer in owned_load_balancers(client, stack)]

    def to_live(
        self, region: str, listener: dict[str, Any], aws_tag_list: list[Any]
    ) -> LiveResource:
        arn = listener["ListenerArn"]
        tags, owner = split_tags(aws_tag_list)
        secure = listener.get("Protocol") == "HTTPS"
        # DescribeListeners lists only the default certificate; SNI extras are separate.
        certificates = listener.get("Certificates") or [{}]
        properties = {
            "load_balancer_arn": listener["LoadBalancerArn"],
            "port": listener.get("Port"),
            "protocol": listener.get("Protocol"),
            # AWS reports TLS settings for HTTPS listeners only.
            "certificate_arn": certificates[0].get("CertificateArn") if secure else None,
            "ssl_policy": listener.get("SslPolicy") if secure else None,
            "default_action": action_from_aws(listener.get("DefaultActions") or []),
            "tags": tags,
            "id": arn,
            "arn": arn,
        }
        return LiveResource.tagged(self.rtype.name, arn, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        client = elbv2(self.clients, ctx.region)
        request = {
            "LoadBalancerArn": props["load_balancer_arn"],
            "Protocol": props["protocol"],
            "Port": props["port"],
            "DefaultActions": [action_to_aws(props["default_action"])],
            **_tls_request(props),
            # Ownership tags in the create call: an interrupted create is found, not repeated.
            "Tags": aws_tags({**props["tags"], **ctx.ownership_tags()}),
        }
        return self.create_with(
            ctx,
            props,
            "elbv2.CreateListener",
            lambda: str(client.create_listener(**request)["Listeners"][0]["ListenerArn"]),
        )

    def modify(
        self, client: RetryingClient, arn: str, props: dict[str, Any], changed: set[str]
    ) -> None:
        if changed - {"tags"}:
            client.modify_listener(
                ListenerArn=arn,
                Protocol=props["protocol"],
                Port=props["port"],
                DefaultActions=[action_to_aws(props["default_action"])],
                **_tls_request(props),
            )

    def explained(
        self, ctx: ResourceContext, props: dict[str, Any], error: ClientError
    ) -> BaseException:
        if has_code(error, "DuplicateListener"):
            return ProviderError(
                f"the load balancer already has a listener on port {props['port']}",
                code="DuplicateListener",
                hint="a load balancer has one listener per port; that one is not this stack's "
                "(or was made outside stackdeploy): remove it or pick another port",
                address=ctx.address,
            )
        return super().explained(ctx, props, error)
