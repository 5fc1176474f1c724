"""aws.rds.db_parameter_group: engine settings (parameters) DB instances use.

Its physical id is its name (stored in lower case). The family and the description are fixed
at creation; parameters change in place: dynamic ones at once, static ones at the next reboot
of each instance using the group. A parameter removed from the stack is reset to the engine's
default. Only the parameters the stack sets are compared: the rest are the family's defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from stackdeploy.specs.base import Issue, ResourceType, is_ref_like
from stackdeploy.specs.rds.common import RdsTaggedSpec, identifier_problem, lower_case

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.rds.db_parameter_group"
NAME_MAX_LENGTH = 255
# The families of the engines stackdeploy supports: mysql8.0, mariadb10.11, postgres16.
_FAMILY = re.compile(r"^(mysql\d+\.\d+|mariadb\d+\.\d+|postgres\d+(\.\d+)?)$")
_PARAMETER = re.compile(r"^[A-Za-z0-9_.:-]+$")
MAX_PARAMETERS_PER_CALL = 20  # ModifyDBParameterGroup / ResetDBParameterGroup take 20 at most


def _value_text(value: Any) -> str:
    """RDS stores every parameter value as text: true/false as 1/0, numbers as written."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | str):
        return str(value)
    raise ValueError(f"parameter value {value!r} must be text, a number or true/false")


class DbParameterGroupSpec(RdsTaggedSpec):
    name: str | None = Field(
        None,
        description="Up to 255 letters, digits and hyphens, starting with a letter (stored in "
        "lower case); <stack>-<id> when omitted. Fixed after creation.",
    )
    family: str = Field(
        description="The engine and major version it is for, e.g. mysql8.0, mariadb10.11, "
        "postgres16. Fixed after creation."
    )
    description: str = Field(
        "Managed by stackdeploy", description="What the group is for. Fixed after creation."
    )
    parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Parameter name -> value, e.g. {max_connections: 200}; true/false become "
        "1/0. Dynamic ones apply at once, static ones at the next reboot.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        problem = None if value is None else identifier_problem(value, "parameter group name", 255)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("family")
    @classmethod
    def _family(cls, value: str) -> str:
        if not _FAMILY.match(value):
            raise ValueError(
                f"'{value}' is not a parameter group family of MariaDB, MySQL or PostgreSQL "
                "(e.g. mysql8.0, mariadb10.11, postgres16)"
            )
        return value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a parameter group needs a description")
        return value

    @field_validator("parameters", mode="before")
    @classmethod
    def _parameters(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        checked: dict[str, str] = {}
        for name, value in values.items():
            if not _PARAMETER.match(str(name)):
                raise ValueError(f"'{name}' is not a parameter name")
            checked[str(name)] = value if is_ref_like(value) else _value_text(value)
        return checked


def _unique_names(stack: Stack) -> Iterator[Issue]:
    seen: dict[tuple[str, str], str] = {}
    for resource in stack.resources.values():
        name = resource.properties.get("name") if resource.type == TYPE_NAME else None
        if not isinstance(name, str) or is_ref_like(name):
            continue
        problem = identifier_problem(name, "parameter group name", NAME_MAX_LENGTH)
        if problem:
            yield Issue(
                resource.logical_id,
                ("name",),
                problem,
                hint="set name explicitly (the default is <stack>-<logical id>)",
            )
        key = (resource.region, name.lower())
        if key in seen:
            yield Issue(
                resource.logical_id,
                ("name",),
                f"parameter group '{seen[key]}' already has the name '{name}' in {resource.region}",
                hint="parameter group names are unique per region and account",
            )
        seen.setdefault(key, resource.logical_id)


DB_PARAMETER_GROUP = ResourceType(
    name=TYPE_NAME,
    spec=DbParameterGroupSpec,
    summary="A DB parameter group: engine settings for the databases that use it.",
    attributes={
        "id": "Parameter group name",
        "name": "Parameter group name (lower case)",
        "arn": "Parameter group ARN",
    },
    create_only=frozenset({"name", "family", "description"}),
    replace_notes={
        "name": "a parameter group cannot be renamed",
        "family": "a parameter group's family is fixed at creation",
        "description": "a parameter group's description is fixed at creation",
    },
    update_notes={
        "parameters": "dynamic parameters apply at once to every database using the group; "
        "static ones at each database's next reboot (stackdeploy does not reboot)",
    },
    checks=(_unique_names,),
    stack_defaults=lower_case("name"),
    name_property="name",
    name_max_length=NAME_MAX_LENGTH,
    typical_create_seconds=1.0,
)
