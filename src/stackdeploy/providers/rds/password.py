"""The master password at apply time: read from the environment or a file, or generated and
kept in Secrets Manager or SSM Parameter Store, or left to RDS.

The value goes to AWS and nowhere else: it is never returned in properties (which reach the
plan and the state), and no message names it (only its source, and what is wrong with it).
"""

from __future__ import annotations

import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import is_not_found
from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ownership import made_for
from stackdeploy.specs.rds.password import default_secret_name, describe_source

# MySQL and MariaDB take 8 to 41 characters, PostgreSQL 8 to 128: printable ASCII except
# "/", '"', "@" and the space.
_LENGTHS = {"mysql": (8, 41), "mariadb": (8, 41), "postgres": (8, 128)}
_FORBIDDEN = frozenset('/"@ ')
GENERATED_LENGTH = 32
_GENERATED_SYMBOLS = "!#$%^&*()-_=+[]{}:,.?~"
PART_TAG = "stackdeploy:part-of"  # marks the secret as part of its DB instance, not its own


@dataclass(frozen=True)
class MasterPassword:
    """What CreateDBInstance / ModifyDBInstance take, and where the password can be read."""

    value: str | None  # None: RDS manages it (ManageMasterUserPassword)
    secret: str | None  # a generated password's secret ARN or parameter name
    created: bool = False  # the secret was made just now (not found from an earlier run)


def _problem(value: str, engine: str) -> str | None:
    """What RDS would refuse in a password, without saying what the password is."""
    low, high = _LENGTHS[engine]
    if not low <= len(value) <= high:
        return f"must be {low} to {high} characters for {engine}"
    if any(c in _FORBIDDEN or not (c.isascii() and c.isprintable()) for c in value):
        return 'may hold only printable ASCII characters other than /, ", @ and spaces'
    return None


def generate_password() -> str:
    """A strong random password RDS accepts for every engine: letters, digits and symbols."""
    alphabet = string.ascii_letters + string.digits + _GENERATED_SYMBOLS
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(GENERATED_LENGTH))
        classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
        if all(any(c in group for c in candidate) for group in classes):
            return candidate


def obtain(
    clients: ClientFactory, ctx: ResourceContext, source: dict[str, Any], engine: str
) -> MasterPassword:
    """The password to send for `source` (creating a generated one's secret if need be)."""
    if "manage" in source:
        return MasterPassword(None, None)
    if "generate" in source:
        return _generated(clients, ctx, source["generate"])
    if "env" in source:
        value = os.environ.get(source["env"])
        if value is None:
            raise ProviderError(
                f"environment variable {source['env']} (the master password) is not set",
                hint=f"export {source['env']} before deploy apply, or use "
                "master_password: {generate: {}}",
                address=ctx.address,
            )
    else:
        path = Path(source["file"]).expanduser()
        try:
            value = path.read_text().rstrip("\r\n")
        except OSError as error:
            raise ProviderError(
                f"cannot read the master password file {path}: {error.strerror}",
                address=ctx.address,
            ) from None
    problem = _problem(value, engine)
    if problem:
        raise ProviderError(
            f"the master password from {describe_source(source)} {problem}",
            code="InvalidParameterValue",
            address=ctx.address,
        )
    return MasterPassword(value, None)


def _secret_tags(ctx: ResourceContext) -> dict[str, str]:
    return {**ctx.ownership_tags(), PART_TAG: "aws.rds.db_instance master password"}


def _not_ours(ctx: ResourceContext, what: str, name: str) -> ProviderError:
    return ProviderError(
        f"{what} '{name}' already exists and is not this database's generated password",
        hint="name another one in master_password.generate.name, or delete it if it is a leftover",
        address=ctx.address,
    )


def _generated(
    clients: ClientFactory, ctx: ResourceContext, generate: dict[str, Any]
) -> MasterPassword:
    """Create the secret (or parameter), or reuse ours from an interrupted earlier create: the
    database may already have been created with that password."""
    name = generate.get("name") or default_secret_name(ctx.stack, ctx.logical_id)
    if generate["store"] == "ssm":
        return _ssm_parameter(clients, ctx, name)
    manager = clients.client("secretsmanager", ctx.region)
    try:
        found = manager.describe_secret(SecretId=name)
    except ClientError as error:
        if not is_not_found(error):
            raise
        found = None
    if found is not None:
        if not made_for(found.get("Tags"), ctx):
            raise _not_ours(ctx, "a Secrets Manager secret", name)
        if found.get("DeletedDate"):
            manager.restore_secret(SecretId=found["ARN"])
        value = manager.get_secret_value(SecretId=found["ARN"])["SecretString"]
        return MasterPassword(str(value), str(found["ARN"]))
    created = manager.create_secret(
        Name=name,
        Description=f"Master password of DB instance {ctx.logical_id} (stack {ctx.stack})",
        SecretString=(value := generate_password()),
        Tags=[{"Key": k, "Value": v} for k, v in sorted(_secret_tags(ctx).items())],
    )
    return MasterPassword(value, str(created["ARN"]), created=True)


def _ssm_parameter(clients: ClientFactory, ctx: ResourceContext, name: str) -> MasterPassword:
    ssm = clients.client("ssm", ctx.region)
    try:
        parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    except ClientError as error:
        if not is_not_found(error):
            raise
        parameter = None
    if parameter is not None:
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)
        if not made_for(tags.get("TagList"), ctx):
            raise _not_ours(ctx, "an SSM parameter", name)
        return MasterPassword(str(parameter["Value"]), name)
    ssm.put_parameter(
        Name=name,
        Description=f"Master password of DB instance {ctx.logical_id} (stack {ctx.stack})",
        Value=(value := generate_password()),
        Type="SecureString",
        Tags=[{"Key": k, "Value": v} for k, v in sorted(_secret_tags(ctx).items())],
    )
    return MasterPassword(value, name, created=True)


def delete_generated(
    clients: ClientFactory, ctx: ResourceContext, source: dict[str, Any] | None, secret: str | None
) -> None:
    """Delete a generated password's secret or parameter (gone already is fine). Deleted at
    once, without a recovery window, so a replacement can create the same name again."""
    if not source or "generate" not in source or not secret:
        return
    try:
        if source["generate"]["store"] == "ssm":
            clients.client("ssm", ctx.region).delete_parameter(Name=secret)
        else:
            clients.client("secretsmanager", ctx.region).delete_secret(
                SecretId=secret, ForceDeleteWithoutRecovery=True
            )
    except ClientError as error:
        if not is_not_found(error):
            raise
