"""Every stack in stacks/ through the CLI, with AWS strictness on.

apply -> plan shows no change -> change a property -> plan shows exactly that -> apply ->
(again for a replacement) -> destroy -> nothing owned by the stack remains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, Cli
from tests.e2e.leftovers import owned_resources
from tests.strict import StrictAws


@dataclass
class Edit:
    """A change to a stack: --var assignments and/or a text replacement in the file."""

    description: str
    expected: dict[str, str]  # address -> action, for every resource that is not a no-op
    variables: list[str] = field(default_factory=list)
    replace: tuple[str, str] | None = None
    revision: str | None = None  # the next revision of the stack file replaces it whole
    says: tuple[str, ...] = ()  # what the text plan must tell the user about the change


@dataclass
class Scenario:
    file: str
    stack: str
    edits: list[Edit]
    needs_managed_policies: bool = False  # attaches arn:aws:iam::aws:policy/... policies


SCENARIOS = [
    Scenario(
        "stacks/vpc-public-private.yaml",
        "devassoc-network",
        [
            Edit(
                "a rule description changes in place",
                {"nat_sg": "update"},
                replace=("Enable outbound PING requests", "Allow outbound ping requests"),
            ),
            Edit(
                "a new private subnet CIDR replaces the subnet; its route table re-associates",
                {"private_subnet": "replace", "private_routes": "update"},
                variables=["private_cidr=10.0.2.0/24"],
            ),
        ],
    ),
    Scenario(
        "stacks/vpc-multi-az.yaml",
        "devassoc-multi-az",
        [
            Edit(
                "a third zone adds its subnets, NAT gateway and routes",
                {
                    "public_c": "create",
                    "private_c": "create",
                    "nat_eip_c": "create",
                    "nat_c": "create",
                    "private_routes_c": "create",
                    "public_routes": "update",
                },
                variables=["zone_count=3"],
            ),
            Edit(
                "moving the private subnets to another range replaces them in every zone",
                {
                    "private_a": "replace",
                    "private_b": "replace",
                    "private_c": "replace",
                    "private_routes_a": "update",
                    "private_routes_b": "update",
                    "private_routes_c": "update",
                },
                variables=["zone_count=3"],
                replace=("8, 100 + loop.index0", "8, 200 + loop.index0"),
            ),
        ],
    ),
    Scenario(
        "stacks/web-server.yaml",
        "devassoc-web",
        [
            Edit(
                "a new instance type stops, resizes and starts the instance in place",
                {"webserver": "update"},
                variables=["instance_type=t3.micro"],
            ),
            Edit(
                "narrowing the admin CIDR changes the group's rules in place",
                {"web_sg": "update"},
                variables=["instance_type=t3.micro", "admin_cidr=203.0.113.7/32"],
            ),
            Edit(
                "new user data replaces the instance (it runs only at first boot)",
                {"webserver": "replace"},
                variables=[
                    "instance_type=t3.micro",
                    "admin_cidr=203.0.113.7/32",
                    "message=A changed greeting",
                ],
            ),
        ],
        needs_managed_policies=True,
    ),
    Scenario(
        "stacks/private-instance.yaml",
        "devassoc-private",
        [
            Edit(
                "a rule description changes in place",
                {"private_sg": "update"},
                replace=("HTTP from the VPC}", "Web from the VPC}"),
            ),
            Edit(
                "another AMI replaces the instance",
                {"private_instance": "replace"},
                variables=["ami=ami-0123456789abcdef0"],
            ),
        ],
        needs_managed_policies=True,
    ),
    Scenario(
        "stacks/web-tier.yaml",
        "devassoc-web-tier",
        [
            Edit(
                "a third instance is a change of the group's desired capacity",
                {"web_group": "update"},
                variables=["capacity=3"],
            ),
            Edit(
                "new user data is a new launch template version, not a replacement",
                {"web_template": "update"},
                variables=["capacity=3", "message=Version two"],
            ),
            Edit(
                "an internal load balancer replaces it, and its listener with it",
                {"alb": "replace", "http": "replace"},
                variables=["capacity=3", "message=Version two"],
                replace=("scheme: internet-facing", "scheme: internal"),
            ),
            Edit(
                "a new port replaces the target group next to the old one (its generated "
                "name takes its other form); the listener and group switch over in place",
                {"web_targets": "replace", "http": "update", "web_group": "update"},
                variables=["capacity=3", "message=Version two"],
                replace=("      port: 80\n      vpc_id", "      port: 8080\n      vpc_id"),
            ),
        ],
    ),
    Scenario(
        "stacks/dynamodb-users.yaml",
        "devassoc-users",
        [
            Edit(
                "the file's second revision adds a GSI: an update in place, not a replacement",
                {"users": "update"},
                revision="stacks/dynamodb-users-v2.yaml",
            ),
            Edit(
                "more capacity is an update in place",
                {"users": "update"},
                variables=["capacity=10"],
            ),
            Edit(
                "a local secondary index exists only from creation: the table is replaced",
                {"users": "replace"},
                says=(
                    "local secondary indexes can only be defined when a table is created",
                    "WARNING: replacing a table deletes it with every item in it",
                ),
                variables=["capacity=10"],
                replace=(
                    "      point_in_time_recovery: true\n",
                    "      point_in_time_recovery: true\n      local_secondary_indexes:\n"
                    "        - {name: by-signup, range_key: signup_date}\n",
                ),
            ),
        ],
    ),
    Scenario(
        "stacks/rds-mariadb.yaml",
        "devassoc-rds",
        [
            Edit(
                "a bigger class and more storage are a modification in place",
                {"db": "update"},
                variables=["instance_class=db.t3.small", "storage_gb=30"],
            ),
            Edit(
                "less storage cannot be done in place: the database is replaced",
                {"db": "replace"},
                says=("WARNING: replacing a database loses its data unless a snapshot is taken",),
                variables=["instance_class=db.t3.small", "storage_gb=25"],
            ),
        ],
    ),
    Scenario(
        "stacks/s3-storage.yaml",
        "devassoc-storage",
        [
            Edit(
                "a later transition to STANDARD_IA is a lifecycle update in place",
                {"data": "update"},
                variables=["ia_after_days=45"],
            ),
            Edit(
                "a renamed replica is a new bucket; replication and the role follow in place",
                {"replica": "replace", "data": "update", "replication_role": "update"},
                variables=["ia_after_days=45"],
                replace=("-replica-${aws:account_id}", "-copy-${aws:account_id}"),
            ),
        ],
    ),
    Scenario(
        "stacks/three-tier.yaml",
        "devassoc-three-tier",
        [
            Edit(
                "more web instances and a bigger database class, both in place",
                {"web_group": "update", "db": "update"},
                variables=["capacity=3", "db_class=db.t3.small"],
            ),
            Edit(
                "another partition key replaces the sessions table; its name is unchanged, so "
                "its ARN in the role's policy and the user data stay as they are",
                {"sessions": "replace"},
                variables=["capacity=3", "db_class=db.t3.small"],
                replace=(
                    "hash_key: session_id\n      attributes: {session_id: S}",
                    "hash_key: sid\n      attributes: {sid: S}",
                ),
            ),
        ],
    ),
]


REFUSALS = ("DependencyViolation", "AuthFailure", "InvalidIPAddress.InUse", "ResourceInUse")


def test_every_stack_has_a_scenario() -> None:
    covered = {scenario.file for scenario in SCENARIOS}
    covered |= {edit.revision for scenario in SCENARIOS for edit in scenario.edits if edit.revision}
    assert {f"stacks/{p.name}" for p in (REPO / "stacks").glob("*.yaml")} <= covered


def _args(edit: Edit | None) -> list[str]:
    return [arg for v in (edit.variables if edit else []) for arg in ("--var", v)]


@pytest.mark.e2e
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stack for s in SCENARIOS])
def test_stack_lifecycle(
    scenario: Scenario,
    cli: Cli,
    workdir: Path,
    aws: str,
    strict_aws: StrictAws,
    request: pytest.FixtureRequest,
) -> None:
    if scenario.needs_managed_policies:
        request.getfixturevalue("iam_managed_policies")
    stack_file = workdir / scenario.file
    applied = cli("apply", str(stack_file), "--auto-approve")
    assert applied.code == 0, applied.stderr
    assert "Apply complete!" in applied.stdout
    assert cli("plan", str(stack_file), "--detailed-exitcode").code == 0

    for edit in scenario.edits:
        if edit.revision:
            stack_file.write_text((workdir / edit.revision).read_text())
        if edit.replace:
            old, new = edit.replace
            text = stack_file.read_text()
            assert old in text, f"edit '{edit.description}' no longer matches {scenario.file}"
            stack_file.write_text(text.replace(old, new))
        planned = cli("plan", str(stack_file), "--json", *_args(edit))
        assert planned.code == 0, planned.stderr
        assert planned.actions() == edit.expected, edit.description
        if edit.says:
            text = cli("plan", str(stack_file), *_args(edit)).stdout
            missing = [said for said in edit.says if said not in text]
            assert not missing, f"the plan does not say {missing}:\n{text}"
        changed = cli("apply", str(stack_file), "--auto-approve", *_args(edit))
        assert changed.code == 0, changed.stderr
        settled = cli("plan", str(stack_file), "--detailed-exitcode", *_args(edit))
        assert settled.code == 0, f"not converged after: {edit.description}\n{settled.stdout}"

    last = scenario.edits[-1]
    destroyed = cli("destroy", str(stack_file), "--auto-approve", *_args(last))
    assert destroyed.code == 0, destroyed.stderr
    assert owned_resources(aws, scenario.stack) == {}
    assert strict_aws.throttles > 0, "the run should have met injected throttling"
    # Deletes are ordered (and wait for NAT gateways to go) so AWS never refuses one for being
    # out of order. Refusals while a deleted load balancer's interfaces are still being
    # released are AWS catching up, not an ordering bug; the engine retries those.
    refused = {code: strict_aws.count(code, settling=False) for code in REFUSALS}
    assert refused == dict.fromkeys(REFUSALS, 0)
