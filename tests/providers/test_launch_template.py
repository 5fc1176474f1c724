"""Launch template behaviour beyond the contract: versions carry the full launch data, tag
changes make no version, reads by id survive missing templates (AWS fails the whole call),
names taken by others, and the refresh's call count."""

from __future__ import annotations

import base64
from typing import Any

import boto3
import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from tests.providers.cases_compute import LAUNCH_TEMPLATE, USER_DATA
from tests.providers.harness import REGION, STACK, ContractRun, intercept


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(LAUNCH_TEMPLATE, clients, aws)


def _create(run: ContractRun) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    props = run.canonical(run.case.properties(run.prerequisites))
    return ctx, run.provider.create(ctx, props)


def _update(run: ContractRun, ctx: ResourceContext, created: LiveResource, **changes: Any) -> Any:
    raw = {**run.case.properties(run.prerequisites), **changes}
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
    assert change.action is Action.UPDATE
    return run.provider.update(ctx, created, change.after or {}, change.changes)


def _default_data(aws: str, template_id: str) -> dict[str, Any]:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws)
    versions = ec2.describe_launch_template_versions(
        LaunchTemplateId=template_id, Versions=["$Default"]
    )["LaunchTemplateVersions"]
    return dict(versions[0]["LaunchTemplateData"])


def test_user_data_reads_back_as_text(run: ContractRun, aws: str) -> None:
    _, created = _create(run)
    assert created.properties["user_data"] == USER_DATA
    encoded = _default_data(aws, created.physical_id)["UserData"]
    assert base64.b64decode(encoded).decode() == USER_DATA  # launch data takes it encoded


def test_a_launch_data_change_is_a_new_default_version_with_all_the_data(
    run: ContractRun, aws: str
) -> None:
    ctx, created = _create(run)
    updated = _update(run, ctx, created, instance_type="t3.large")
    assert (updated.properties["latest_version"], updated.properties["default_version"]) == (2, 2)
    data = _default_data(aws, created.physical_id)
    # Not only the changed field: a version is the whole template.
    assert data["InstanceType"] == "t3.large"
    assert data["ImageId"] == run.prerequisites.image_id()
    assert data["IamInstanceProfile"] == {"Name": "contract-profile"}
    assert data["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 16


def test_a_tag_change_makes_no_version(run: ContractRun) -> None:
    ctx, created = _create(run)
    updated = _update(run, ctx, created, tags={"app": "api"})
    assert updated.properties["latest_version"] == 1
    assert updated.properties["tags"] == {"app": "api", "suite": "contract"}


def test_read_by_id_survives_a_missing_template(run: ContractRun) -> None:
    _, created = _create(run)
    gone = "lt-0123456789abcdef0"

    def aws_refuses_any_missing_id(body: dict[str, Any]) -> str | None:
        # moto lists the ids it knows; AWS fails the whole call for one missing id.
        asked = [v for k, v in body.items() if k.startswith("LaunchTemplateId.")]
        return "InvalidLaunchTemplateId.NotFound" if gone in asked else None

    intercept(run.clients, "DescribeLaunchTemplates", aws_refuses_any_missing_id)
    found = run.provider.read_many(REGION, [gone, created.physical_id])
    assert list(found) == [created.physical_id]


def test_a_name_taken_by_another_template_is_explained(run: ContractRun, aws: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws)
    ec2.create_launch_template(
        LaunchTemplateName=f"{STACK}-subject", LaunchTemplateData={"ImageId": "ami-12345678"}
    )
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "InvalidLaunchTemplateName.AlreadyExistsException"
    assert raised.value.hint and "another name" in raised.value.hint


def test_refresh_reads_the_default_versions_in_one_call(run: ContractRun) -> None:
    for logical_id in ("a", "b"):
        run.logical_id = logical_id
        _create(run)
    run.clients.stats.calls.clear()
    found = run.provider.read_owned(REGION, STACK)
    assert sorted(live.logical_id or "" for live in found) == ["a", "b"]
    # Each template got its own default version's launch data from the one account-wide read.
    assert {live.properties["instance_type"] for live in found} == {"t3.micro"}
    assert all(live.properties["user_data"] for live in found)
    assert dict(run.clients.stats.calls) == {
        "ec2.DescribeLaunchTemplates": 1,
        "ec2.DescribeTags": 1,
        "ec2.DescribeLaunchTemplateVersions": 1,  # account-wide $Default, not one per template
    }


def test_delete_twice_and_a_read_after_are_quiet(run: ContractRun) -> None:
    _, created = _create(run)
    run.provider.delete(run.context(), created)
    run.provider.delete(run.context(), created)
    assert run.provider.read_many(REGION, [created.physical_id]) == {}
