"""The parts of a Classic Load Balancer: listeners and the health check, in AWS's rules."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import Spec

Protocol = Literal["HTTP", "HTTPS", "TCP", "SSL"]
SECURE_PROTOCOLS = frozenset({"HTTPS", "SSL"})
_HTTP_LAYER = frozenset({"HTTP", "HTTPS"})
# With TLS ending at the load balancer, instances speak the plain protocol of the same layer.
DEFAULT_INSTANCE_PROTOCOL = {"HTTP": "HTTP", "HTTPS": "HTTP", "TCP": "TCP", "SSL": "TCP"}
# "HTTP:80/health", "HTTPS:443/", "TCP:22", "SSL:443" (AWS's own syntax for the target).
_TARGET = re.compile(r"^(?P<protocol>[A-Za-z]+):(?P<port>\d{1,5})(?P<path>/.*)?$")
MAX_PING_PATH = 1024


def upper_protocol(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class ClassicListener(Spec):
    """One front-end port, forwarded to one instance port."""

    protocol: Protocol = Field(description="HTTP, HTTPS, TCP or SSL (front end).")
    port: int = Field(ge=1, le=65535, description="The port the load balancer listens on.")
    instance_protocol: Protocol | None = Field(
        None,
        description="HTTP, HTTPS, TCP or SSL to the instances, of the same layer as protocol; "
        "HTTP for HTTP/HTTPS and TCP for TCP/SSL when omitted.",
    )
    instance_port: int = Field(ge=1, le=65535, description="The port the instances listen on.")
    ssl_certificate_id: str | None = Field(
        None, description="Certificate ARN (ACM or IAM); required for HTTPS and SSL listeners."
    )

    @field_validator("protocol", "instance_protocol", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return upper_protocol(value)

    @model_validator(mode="after")
    def _protocols_and_certificate(self) -> ClassicListener:
        if self.instance_protocol is None:
            self.instance_protocol = DEFAULT_INSTANCE_PROTOCOL[self.protocol]  # type: ignore[assignment]
        if (self.protocol in _HTTP_LAYER) != (self.instance_protocol in _HTTP_LAYER):
            raise ValueError(
                f"a {self.protocol} listener forwards HTTP or HTTPS only if it is HTTP or HTTPS "
                f"itself, TCP or SSL otherwise; instance_protocol {self.instance_protocol} "
                "is of the other layer"
            )
        secure = self.protocol in SECURE_PROTOCOLS
        if secure and not self.ssl_certificate_id:
            raise ValueError(
                f"a {self.protocol} listener needs ssl_certificate_id "
                "(an ACM or IAM certificate ARN)"
            )
        if not secure and self.ssl_certificate_id:
            raise ValueError(
                f"ssl_certificate_id applies to HTTPS and SSL listeners, not {self.protocol}"
            )
        return self


class ClassicHealthCheck(Spec):
    """How the load balancer decides an instance is healthy."""

    target: str = Field(
        description="PROTOCOL:PORT[/PATH], e.g. HTTP:80/health or TCP:22 (a path for HTTP/HTTPS)."
    )
    interval: int = Field(30, ge=5, le=300, description="Seconds between checks.")
    timeout: int = Field(5, ge=2, le=60, description="Seconds to wait for an answer (< interval).")
    healthy_threshold: int = Field(10, ge=2, le=10, description="Passes to become healthy.")
    unhealthy_threshold: int = Field(2, ge=2, le=10, description="Failures to become unhealthy.")

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return canonical_target(value)

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> ClassicHealthCheck:
        if self.timeout >= self.interval:
            raise ValueError(
                f"health check timeout {self.timeout}s must be shorter than its interval "
                f"{self.interval}s"
            )
        return self


def canonical_target(value: str) -> str:
    """A health check target with its protocol in capitals, as AWS documents it; raises
    ValueError for anything AWS would reject."""
    match = _TARGET.match(value.strip())
    if match is None:
        raise ValueError(
            f"health check target '{value}' is not PROTOCOL:PORT[/PATH] (e.g. HTTP:80/health)"
        )
    protocol = match["protocol"].upper()
    port, path = int(match["port"]), match["path"]
    if protocol not in DEFAULT_INSTANCE_PROTOCOL:
        raise ValueError(f"health check protocol '{protocol}' is not HTTP, HTTPS, TCP or SSL")
    if not 1 <= port <= 65535:
        raise ValueError(f"health check port {port} is outside 1-65535")
    if protocol in _HTTP_LAYER and not path:
        raise ValueError(f"an {protocol} health check needs a path, e.g. {protocol}:{port}/")
    if protocol not in _HTTP_LAYER and path:
        raise ValueError(f"a {protocol} health check takes no path; write {protocol}:{port}")
    if path and len(path) > MAX_PING_PATH:
        raise ValueError(f"health check path is longer than {MAX_PING_PATH} characters")
    return f"{protocol}:{port}{path or ''}"


def secure_mix(listeners: list[ClassicListener]) -> str | None:
    """AWS's rule that listeners sharing an instance port agree on a secure (HTTPS/SSL) or
    plain (HTTP/TCP) instance protocol; the problem, or None."""
    secure_by_port: dict[int, set[bool]] = {}
    for listener in listeners:
        secure = listener.instance_protocol in SECURE_PROTOCOLS
        secure_by_port.setdefault(listener.instance_port, set()).add(secure)
    mixed = sorted(port for port, kinds in secure_by_port.items() if len(kinds) > 1)
    if not mixed:
        return None
    return (
        f"listeners forwarding to instance port {mixed[0]} mix secure (HTTPS/SSL) and plain "
        "(HTTP/TCP) instance protocols; AWS requires one kind per instance port"
    )
