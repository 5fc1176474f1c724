"""`${aws:account_id}`: a lookup resolved from the credentials during refresh, so a plan shows
names that embed the account; other `${aws:...}` text (IAM policy variables) stays literal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stackdeploy.config.loader import load_stack
from stackdeploy.discovery.lookups import resolve_lookups
from stackdeploy.model.live import LiveState
from stackdeploy.model.refs import Lookup, lookups_in
from stackdeploy.model.stack import Stack
from stackdeploy.model.values import UNKNOWN
from stackdeploy.plan.planner import make_plan
from stackdeploy.specs.base import generated_name
from stackdeploy.specs.registry import RESOURCE_TYPES

ACCOUNT = Lookup("aws", "account_id")
STACK = """\
stack: look
region: us-west-2
resources:
  logs: {type: aws.s3.bucket, properties: {name: "logs-${aws:account_id}", tags: {x: y}}}
  replica:
    type: aws.s3.bucket
    region: eu-west-1
    properties: {versioning: Enabled}
  role:
    type: aws.iam.role
    properties:
      assume_role_policy:
        Statement: [{Effect: Allow, Principal: {Service: s3.amazonaws.com}, Action: sts:AssumeRole}]
      inline_policies:
        home:
          Statement:
            - Effect: Allow
              Action: s3:GetObject
              Resource: "arn:aws:s3:::${aws:account_id}-home/${aws:username}/*"
outputs:
  buckets: [${logs.name}, ${replica.name}]
"""


class _Credentials:
    """A client factory that knows its account and must not be asked for SSM here."""

    def __init__(self) -> None:
        self.asked = 0

    def account_id(self) -> str:
        self.asked += 1
        return "111122223333"

    def client(self, service: str, region: str | None = None) -> Any:
        return object()  # never used: there are no SSM lookups


def load(tmp_path: Path) -> Stack:
    path = tmp_path / "s.yaml"
    path.write_text(STACK)
    return load_stack(path)


def test_the_account_lookup_is_found_even_in_flow_mappings_and_is_no_edge(tmp_path: Path) -> None:
    stack = load(tmp_path)
    assert lookups_in(stack.resources["logs"].properties) == {ACCOUNT}
    assert stack.resources["logs"].dependencies() == set()


def test_iam_policy_variables_stay_literal(tmp_path: Path) -> None:
    stack = load(tmp_path)
    policy = stack.resources["role"].properties["inline_policies"]["home"]
    [statement] = policy["Statement"]
    assert statement["Resource"] == ["arn:aws:s3:::${aws:account_id}-home/${aws:username}/*"]
    assert lookups_in(policy) == {ACCOUNT}


def test_resolved_per_region_from_the_credentials(tmp_path: Path) -> None:
    stack = load(tmp_path)
    credentials = _Credentials()
    values = resolve_lookups(stack, credentials)  # type: ignore[arg-type]
    assert values == {
        ACCOUNT.scoped("us-west-2"): "111122223333",
        ACCOUNT.scoped("eu-west-1"): "111122223333",
    }
    plan = make_plan(stack, LiveState(), lookups=values)
    assert plan.change("logs").after["name"] == "logs-111122223333"  # type: ignore[index]
    assert plan.change("replica").after["name"] == "look-replica-111122223333"  # type: ignore[index]
    policy = plan.change("role").after["inline_policies"]["home"]  # type: ignore[index]
    assert policy["Statement"][0]["Resource"] == [
        "arn:aws:s3:::111122223333-home/${aws:username}/*"
    ]
    assert plan.outputs["buckets"] == ["logs-111122223333", "look-replica-111122223333"]


def test_unresolved_it_is_known_after_apply(tmp_path: Path) -> None:
    plan = make_plan(load(tmp_path), LiveState())
    assert plan.change("logs").after["name"] is UNKNOWN  # type: ignore[index]


def test_other_types_keep_the_plain_generated_name() -> None:
    role = RESOURCE_TYPES["aws.iam.role"]
    assert role.generated_name_for("look", "web_server") == generated_name("look", "web_server", 64)
    bucket = RESOURCE_TYPES["aws.s3.bucket"]
    assert bucket.generated_name_for("Look", "Web_Assets") == "look-web-assets-${aws:account_id}"
