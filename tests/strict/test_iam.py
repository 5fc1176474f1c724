"""The IAM rules of the strictness layer: each fires as AWS would, then clears; and the
providers get through them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.events import Recorder, Retrying
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.iam.instance_profile import InstanceProfileProvider
from stackdeploy.providers.iam.role import RoleProvider
from tests.conftest import FAST, REGION
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    strict = StrictAws(aws, throttle_rate=0.0)
    strict.install(monkeypatch)
    return strict


@pytest.fixture
def iam(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "iam")


def _error(call: Callable[[], object]) -> tuple[str, str, int]:
    return refusal(call)


def test_role_names_are_unique_whatever_their_case(iam: Any) -> None:
    iam.create_role(RoleName="WebServer", AssumeRolePolicyDocument=json.dumps(TRUST))
    code, message, status = _error(
        lambda: iam.create_role(RoleName="webserver", AssumeRolePolicyDocument=json.dumps(TRUST))
    )
    assert (code, message, status) == (
        "EntityAlreadyExists",
        "Role with name webserver already exists.",
        409,
    )
    # Another name is fine.
    iam.create_role(RoleName="webserver-2", AssumeRolePolicyDocument=json.dumps(TRUST))


def test_instance_profile_names_are_unique_whatever_their_case(iam: Any) -> None:
    iam.create_instance_profile(InstanceProfileName="Web")
    code, message, status = _error(lambda: iam.create_instance_profile(InstanceProfileName="WEB"))
    assert (code, message, status) == (
        "EntityAlreadyExists",
        "Instance Profile WEB already exists.",
        409,
    )


@pytest.mark.parametrize(
    ("name", "constraint"),
    [
        ("web server", r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
        ("x" * 65, "Member must have length less than or equal to 64"),
    ],
)
def test_role_names_iam_rejects(iam: Any, name: str, constraint: str) -> None:
    code, message, _ = _error(
        lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    )
    assert code == "ValidationError"
    assert message.endswith(constraint)
    assert f"Value '{name}' at 'roleName'" in message


def test_trust_policies_iam_rejects(iam: Any, layer: StrictAws) -> None:
    no_principal = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    code, message, _ = _error(
        lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(no_principal))
    )
    assert code == "MalformedPolicyDocument"
    assert "statement with no principals" in message
    assert _error(lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument="{oops"))[:2] == (
        "MalformedPolicyDocument",
        "This policy contains invalid Json",
    )
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    code, _, _ = _error(
        lambda: iam.update_assume_role_policy(RoleName="r", PolicyDocument=json.dumps(no_principal))
    )
    assert code == "MalformedPolicyDocument"
    assert layer.count("MalformedPolicyDocument") == 3


def test_a_new_role_reaches_instance_profiles_after_a_while(iam: Any, layer: StrictAws) -> None:
    iam.create_role(RoleName="fresh", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_instance_profile(InstanceProfileName="p")
    code, message, status = _error(
        lambda: iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="fresh")
    )
    assert (code, message, status) == (
        "NoSuchEntity",
        "The role with name fresh cannot be found.",
        404,
    )
    iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="fresh")  # now known


def test_propagation_can_be_switched_off(iam: Any, layer: StrictAws) -> None:
    layer.iam_propagation_attempts = 0  # type: ignore[attr-defined]
    iam.create_role(RoleName="fresh", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_instance_profile(InstanceProfileName="p")
    iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="fresh")


def test_providers_get_through_the_layer(layer: StrictAws, aws: str) -> None:
    """A role and its instance profile, created one after the other as apply does, then
    deleted in reverse: the profile waits out the new role's propagation."""
    clients = ClientFactory(endpoint_url=aws, default_region=REGION, timing=FAST)
    events = Recorder()

    def context(logical_id: str) -> ResourceContext:
        return ResourceContext(
            stack="strict",
            logical_id=logical_id,
            region=REGION,
            token=uuid.uuid4().hex,
            events=events,
            timing=FAST,
        )

    roles, profiles = RoleProvider(clients), InstanceProfileProvider(clients)
    role_props = {
        "name": "strict-web",
        "path": "/",
        "description": "",
        "assume_role_policy": TRUST,
        "managed_policy_arns": [],
        "inline_policies": {},
        "max_session_duration": 3600,
        "tags": {},
    }
    role = roles.create(context("web"), role_props)
    profile_props = {"name": "strict-web", "path": "/", "role": "strict-web", "tags": {}}
    profile = profiles.create(context("profile"), profile_props)
    assert profile.properties["role"] == "strict-web"
    retries = [e for e in events.of(Retrying) if isinstance(e, Retrying)]
    assert [e.code for e in retries] == ["NoSuchEntity"]
    profiles.delete(context("profile"), profile)
    roles.delete(context("web"), role)
    assert layer.plain("iam", REGION).list_roles()["Roles"] == []
