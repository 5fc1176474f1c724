"""What a listener or a listener rule does with a request: forward, redirect or answer.

One model serves a listener's `default_action` and a rule's `action`. The canonical form is
the shape AWS reads back: a redirect carries every field, with AWS's own defaults
("#{host}", "/#{path}", ...) for those the user left out, so a no-op plan stays empty.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import Spec, is_ref_like

# The keywords AWS substitutes from the original request; also its defaults.
REDIRECT_DEFAULTS = {
    "protocol": "#{protocol}",
    "port": "#{port}",
    "host": "#{host}",
    "path": "/#{path}",
    "query": "#{query}",
}
_STATUS = re.compile(r"^[245]\d\d$")
MAX_MESSAGE_BODY = 1024


class ForwardAction(Spec):
    type: Literal["forward"] = Field(description="Send the request to a target group.")
    target_group_arn: str = Field(description="The target group, usually ${tg.arn}.")


class RedirectTarget(Spec):
    """Where to redirect; each part defaults to the same part of the original request."""

    protocol: str = Field("#{protocol}", description="HTTP, HTTPS or #{protocol}.")
    port: str = Field("#{port}", description="1-65535 or #{port}.")
    host: str = Field("#{host}", description="Host name; may use #{host}.")
    path: str = Field("/#{path}", description="Absolute path starting with /; may use #{path}.")
    query: str = Field("#{query}", description="Query without the leading '?'.")
    status_code: Literal["HTTP_301", "HTTP_302"] = Field(
        description="HTTP_301 (permanent) or HTTP_302 (temporary)."
    )

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol(cls, value: Any) -> Any:
        if isinstance(value, str) and value.upper() in ("HTTP", "HTTPS"):
            return value.upper()
        if value != "#{protocol}":
            raise ValueError(f"redirect protocol '{value}' is not HTTP, HTTPS or #{{protocol}}")
        return value

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> str:
        text = str(value)
        if text == "#{port}" or is_ref_like(text):
            return text
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            raise ValueError(f"redirect port '{value}' is not 1-65535 or #{{port}}")
        return str(int(text))

    @field_validator("host", "query")
    @classmethod
    def _length(cls, value: str) -> str:
        if len(value) > 128:
            raise ValueError("at most 128 characters")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"redirect path '{value}' must start with '/'")
        if len(value) > 128:
            raise ValueError("at most 128 characters")
        return value


class RedirectAction(Spec):
    type: Literal["redirect"] = Field(description="Answer with an HTTP redirect.")
    redirect: RedirectTarget

    @model_validator(mode="after")
    def _not_to_itself(self) -> RedirectAction:
        target = self.redirect
        if all(getattr(target, key) == value for key, value in REDIRECT_DEFAULTS.items()):
            # AWS refuses it (InvalidLoadBalancerAction): the client would loop forever.
            raise ValueError(
                "this redirect points back at the original URL; change at least one of "
                "protocol, port, host, path or query"
            )
        return self


class FixedResponse(Spec):
    status_code: str = Field(description="2XX, 4XX or 5XX.")
    content_type: Literal[
        "text/plain", "text/css", "text/html", "application/javascript", "application/json"
    ] = Field("text/plain", description="Content-Type of the response.")
    message_body: str | None = Field(None, description="Response body, at most 1024 bytes.")

    @field_validator("status_code", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        text = str(value)
        if not _STATUS.match(text):
            raise ValueError(f"status code '{value}' is not a 2XX, 4XX or 5XX code")
        return text

    @field_validator("message_body")
    @classmethod
    def _body(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) > MAX_MESSAGE_BODY:
            raise ValueError(f"message_body is longer than {MAX_MESSAGE_BODY} bytes")
        return value


class FixedResponseAction(Spec):
    type: Literal["fixed-response"] = Field(description="Answer with a fixed response.")
    fixed_response: FixedResponse


Action = Annotated[
    ForwardAction | RedirectAction | FixedResponseAction, Field(discriminator="type")
]


def forwarded_target_group(action: dict[str, Any] | None) -> Any:
    """The target group an action forwards to (None for other actions)."""
    if action and action.get("type") == "forward":
        return action.get("target_group_arn")
    return None
