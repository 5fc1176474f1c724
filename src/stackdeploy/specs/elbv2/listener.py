"""aws.elbv2.listener: a listener of an application load balancer (a port and a protocol).

Its physical id is its ARN. Only the load balancer is fixed; port, protocol, certificate,
TLS policy and the default action change in place (ModifyListener).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import Issue, ResourceType, TaggedSpec
from stackdeploy.specs.elbv2.actions import Action, RedirectAction, forwarded_target_group
from stackdeploy.specs.elbv2.load_balancer import TYPE_NAME as LOAD_BALANCER
from stackdeploy.specs.elbv2.target_group import TYPE_NAME as TARGET_GROUP
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

TYPE_NAME = "aws.elbv2.listener"


class AlbListenerSpec(TaggedSpec):
    load_balancer_arn: str = Field(description="Its load balancer, usually ${alb.arn}.")
    port: int = Field(ge=1, le=65535, description="Port it listens on, unique per load balancer.")
    protocol: Literal["HTTP", "HTTPS"] = Field("HTTP", description="HTTP or HTTPS.")
    certificate_arn: str | None = Field(
        None, description="Default server certificate (ACM or IAM ARN); HTTPS only, required."
    )
    ssl_policy: str | None = Field(
        None,
        description="TLS security policy, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06; "
        "HTTPS only; AWS's current default when omitted.",
    )
    default_action: Action = Field(
        description="What requests no rule matches get: forward, redirect or fixed-response."
    )

    @field_validator("protocol", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _tls_settings(self) -> AlbListenerSpec:
        if self.protocol == "HTTPS" and self.certificate_arn is None:
            raise ValueError("an HTTPS listener needs certificate_arn")
        if self.protocol == "HTTP" and self.certificate_arn is not None:
            raise ValueError("certificate_arn applies to HTTPS listeners only")
        if self.protocol == "HTTP" and self.ssl_policy is not None:
            raise ValueError("ssl_policy applies to HTTPS listeners only")
        action = self.default_action
        if (
            self.protocol == "HTTPS"
            and isinstance(action, RedirectAction)
            and action.redirect.protocol == "HTTP"
        ):
            raise ValueError("AWS does not redirect HTTPS to HTTP")
        return self


def target_of_any(stack: Stack, value: Any) -> Resource | None:
    """The stack resource a value refers to by `${x.id}` or `${x.arn}`."""
    return stack.target_of(value, "id") or stack.target_of(value, "arn")


def check_forward_target(
    stack: Stack, resource: Resource, action: dict[str, Any], path: tuple[str, ...]
) -> Iterator[Issue]:
    target = target_of_any(stack, forwarded_target_group(action))
    if target is not None and target.type != TARGET_GROUP:
        yield Issue(
            resource.logical_id,
            (*path, "target_group_arn"),
            f"target_group_arn refers to '{target.logical_id}', a {target.type}; a forward "
            f"action needs an {TARGET_GROUP}",
        )


def _ports_and_references(stack: Stack) -> Iterator[Issue]:
    ports: dict[tuple[str, int], str] = {}
    for resource in stack.resources.values():
        if resource.type != TYPE_NAME:
            continue
        props = resource.properties
        balancer = target_of_any(stack, props["load_balancer_arn"])
        if balancer is not None and balancer.type != LOAD_BALANCER:
            yield Issue(
                resource.logical_id,
                ("load_balancer_arn",),
                f"load_balancer_arn refers to '{balancer.logical_id}', a {balancer.type}; a "
                f"listener belongs to an {LOAD_BALANCER}",
            )
        yield from check_forward_target(
            stack, resource, props["default_action"], ("default_action",)
        )
        key = balancer.logical_id if balancer is not None else str(props["load_balancer_arn"])
        port = props["port"]
        if (key, port) in ports:
            yield Issue(
                resource.logical_id,
                ("port",),
                f"listener '{ports[(key, port)]}' already listens on port {port} of this load "
                "balancer",
                hint="a load balancer has one listener per port; add rules to that listener",
            )
        ports.setdefault((key, port), resource.logical_id)


LISTENER = ResourceType(
    name=TYPE_NAME,
    spec=AlbListenerSpec,
    summary="A listener: a port and protocol on an application load balancer, with the "
    "action for requests no rule matches.",
    attributes={"id": "Listener ARN", "arn": "Listener ARN"},
    create_only=frozenset({"load_balancer_arn"}),
    replace_notes={"load_balancer_arn": "a listener belongs to one load balancer"},
    update_notes={
        "protocol": "ModifyListener: connections in flight on the old protocol are closed",
        "port": "ModifyListener: clients must use the new port; the old one stops listening",
    },
    checks=(_ports_and_references,),
    references={
        "load_balancer_arn": refers_to("aws.elbv2.load_balancer", by="arn"),
        "default_action.target_group_arn": refers_to("aws.elbv2.target_group", by="arn"),
        # A weighted forward made outside stackdeploy reads back with several groups.
        "default_action.target_group_arns[]": refers_to("aws.elbv2.target_group", by="arn"),
    },
)
