"""What a user relies on from the CLI: exit codes, refusals that change nothing, recovery."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict import AwsError, Call, StrictAws

pytestmark = pytest.mark.e2e

NETWORK = """\
stack: behave
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}
  web_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{protocol: tcp, port: 80, cidr_blocks: [0.0.0.0/0]}]
"""
OUTPUTS = """\
outputs:
  vpc_id: ${vpc.id}
"""


def write(workdir: Path, text: str, name: str = "net.yaml") -> str:
    path = workdir / name
    path.write_text(text)
    return str(path)


def test_invalid_stack_exits_1_names_the_line_and_changes_nothing(
    cli: Cli, workdir: Path, aws: str
) -> None:
    stack = write(workdir, NETWORK.replace("10.0.1.0/24", "10.9.1.0/24"))
    result = cli("apply", stack, "--auto-approve")
    assert result.code == 1
    assert "not inside its VPC's CIDR 10.0.0.0/16" in result.stderr
    assert f"{stack}:9 (resources.subnet.properties.cidr_block)" in result.stderr
    assert owned_resources(aws, "behave") == {}


def test_validate_needs_no_aws_at_all(cli: Cli, workdir: Path) -> None:
    stack = write(workdir, NETWORK)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    result = cli("validate", stack, "--endpoint-url", dead, target=False)
    assert result.code == 0, result.stderr
    assert "is valid" in result.stdout


def test_apply_without_a_terminal_refuses_unless_auto_approved(
    cli: Cli, workdir: Path, aws: str
) -> None:
    stack = write(workdir, NETWORK)
    refused = cli("apply", stack)
    assert refused.code == 1
    assert "--auto-approve" in refused.stderr
    assert owned_resources(aws, "behave") == {}


def test_detailed_exitcode_and_outputs(cli: Cli, workdir: Path) -> None:
    stack = write(workdir, NETWORK + OUTPUTS)
    assert cli("plan", stack, "--detailed-exitcode").code == 2
    assert cli("plan", stack).code == 0  # without the flag, changes are not an error
    assert cli("apply", stack, "--auto-approve").code == 0
    assert cli("plan", stack, "--detailed-exitcode").code == 0
    outputs = cli("output", stack, "--json")
    assert json.loads(outputs.stdout)["vpc_id"].startswith("vpc-")


def test_values_print_as_they_are(cli: Cli, workdir: Path) -> None:
    """ARNs hold ":secret:" and scripts hold brackets: neither is read as rich markup/emoji."""
    literal = "arn:aws:secretsmanager:us-west-2:1:secret:db-x [bold]kept[/bold]"
    stack = write(workdir, NETWORK + f'outputs:\n  secret: "{literal}"\n')
    applied = cli("apply", stack, "--auto-approve")
    assert f'secret = "{literal}"' in applied.stdout
    assert f'secret = "{literal}"' in cli("output", stack).stdout


def test_a_failure_skips_only_its_dependents_and_a_rerun_converges(
    cli: Cli, workdir: Path, aws: str
) -> None:
    broken = (
        NETWORK
        + """\
  app_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{protocol: tcp, port: 8080, security_group_ids: [sg-0123456789abcdef0]}]
  worker_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{protocol: tcp, port: 9000, security_group_ids: ["${app_sg.id}"]}]
"""
    )
    stack = write(workdir, broken)
    failed = cli("apply", stack, "--auto-approve")
    assert failed.code == 1
    assert "app_sg:" in failed.stderr
    assert "not attempted (a dependency failed): worker_sg" in failed.stderr
    owned = owned_resources(aws, "behave")
    assert len(owned["subnet"]) == 1  # independent work went on
    assert len(owned["security_group"]) == 2  # web_sg, and app_sg created before its rule failed

    fixed = write(workdir, broken.replace("sg-0123456789abcdef0", "${web_sg.id}"))
    rerun = cli("plan", fixed, "--json")
    actions = rerun.actions()
    assert actions == {"app_sg": "update", "worker_sg": "create"}  # adopted, not duplicated
    assert cli("apply", fixed, "--auto-approve").code == 0
    assert cli("plan", fixed, "--detailed-exitcode").code == 0
    assert len(owned_resources(aws, "behave")["security_group"]) == 3


def test_losing_the_state_file_loses_nothing(cli: Cli, workdir: Path) -> None:
    stack = write(workdir, NETWORK)
    assert cli("apply", stack, "--auto-approve").code == 0
    for state_file in (workdir / "state").rglob("*.json"):
        assert oct(state_file.stat().st_mode & 0o777) == "0o600"
        state_file.unlink()
    assert cli("plan", stack, "--detailed-exitcode").code == 0
    assert cli("destroy", stack, "--auto-approve").code == 0


def test_destroy_finds_what_neither_the_file_nor_the_state_knows(
    cli: Cli, workdir: Path, aws: str
) -> None:
    """A plan reads only the types the file or the state names (fewer calls); a destroy reads
    every type, so a group dropped from the file after the state was lost still goes."""
    stack = write(workdir, NETWORK)
    assert cli("apply", stack, "--auto-approve").code == 0
    for state_file in (workdir / "state").rglob("*.json"):
        state_file.unlink()
    without_group = write(workdir, NETWORK.split("  web_sg:", maxsplit=1)[0])
    planned = cli("plan", without_group, "--json")
    assert planned.code == 0
    assert planned.actions() == {}  # the group's type is neither declared nor recorded
    assert cli("destroy", without_group, "--auto-approve").code == 0
    assert owned_resources(aws, "behave") == {}


def test_a_held_lock_refuses_a_second_apply(cli: Cli, workdir: Path, aws: str) -> None:
    stack = write(workdir, NETWORK)
    assert cli("plan", stack).code == 0
    state_dir = workdir / "state" / "state" / "behave"
    state_dir.mkdir(parents=True, exist_ok=True)
    lock = state_dir / f"123456789012-us-west-2@{aws.split('://')[1].replace(':', '_')}.lock"
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": "apply", "since": "now"}
    lock.write_text(json.dumps(holder))
    result = cli("apply", stack, "--auto-approve")
    assert result.code == 1
    assert "is locked by pid" in result.stderr
    assert owned_resources(aws, "behave") == {}


def test_destroying_one_stack_leaves_another_alone(cli: Cli, workdir: Path, aws: str) -> None:
    """Two stacks in one account: refresh keeps to each stack's own ownership tags, even
    where the server ignores a tag filter (moto's DescribeNatGateways does)."""
    network = str(workdir / "stacks/vpc-public-private.yaml")
    assert cli("apply", network, "--auto-approve").code == 0
    before = owned_resources(aws, "devassoc-network")
    other = write(workdir, NETWORK)
    assert cli("apply", other, "--auto-approve").code == 0
    doomed = cli("plan", other, "--destroy", "--json").json()["resource_changes"]
    assert sorted(change["address"] for change in doomed) == ["subnet", "vpc", "web_sg"]
    assert cli("destroy", other, "--auto-approve").code == 0
    assert owned_resources(aws, "devassoc-network") == before
    assert cli("plan", network, "--detailed-exitcode").code == 0


def test_state_in_s3_is_shared_and_locked(cli: Cli, workdir: Path, aws: str) -> None:
    """--state-bucket: the record lives in S3 (no local file), and a held lock refuses a run."""
    s3 = boto3.client("s3", region_name="us-west-2", endpoint_url=aws)
    s3.create_bucket(
        Bucket="team-state", CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    stack = write(workdir, NETWORK)
    shared = ["--state-bucket", "team-state/ci"]
    assert cli("apply", stack, "--auto-approve", *shared).code == 0
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="team-state")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("ci/state/behave/")  # the lock is gone
    assert not list((workdir / "state").rglob("*.json"))
    record = json.loads(s3.get_object(Bucket="team-state", Key=keys[0])["Body"].read())
    assert set(record["resources"]) == {"vpc", "subnet", "web_sg"}

    lock = keys[0].removesuffix(".json") + ".lock"
    s3.put_object(Bucket="team-state", Key=lock, Body=b'{"host": "runner-7", "pid": 42}')
    refused = cli("apply", stack, "--auto-approve", *shared)
    assert refused.code == 1
    assert "locked by pid 42 on runner-7" in refused.stderr
    assert f"s3://team-state/{lock}" in refused.stderr
    s3.delete_object(Bucket="team-state", Key=lock)
    assert cli("plan", stack, "--detailed-exitcode", *shared).code == 0
    listed = cli("ls", "--region", "us-west-2", "--json", *shared).json()["stacks"]
    assert [entry["state"] for entry in listed] == [[f"s3://team-state/{keys[0]}"]]
    assert cli("destroy", stack, "--auto-approve", *shared).code == 0


def test_target_applies_only_the_target_and_what_it_needs(
    cli: Cli, workdir: Path, aws: str
) -> None:
    stack = write(workdir, NETWORK)
    assert cli("apply", stack, "--auto-approve", "--target", "subnet").code == 0
    owned = owned_resources(aws, "behave")
    assert sorted(owned) == ["subnet", "vpc"]


def test_unknown_option_is_exit_1_not_2(cli: Cli, workdir: Path) -> None:
    """2 means "changes present" to CI; a usage error must not look like it."""
    assert cli("plan", write(workdir, NETWORK), "--no-such-flag").code == 1


def test_debug_counts_every_retry_it_shows_including_the_waits(
    cli: Cli, workdir: Path, strict_aws: StrictAws
) -> None:
    stack = write(workdir, NETWORK)
    assert cli("apply", stack, "--auto-approve").code == 0
    refusals = iter(range(2))

    def interfaces_still_draining(call: Call) -> None:
        if next(refusals, None) is not None:
            raise AwsError("DependencyViolation", "The subnet has dependencies.")

    # Retried by the provider's wait (retry_while), not by the client's policy.
    strict_aws.before("ec2", "DeleteSubnet", interfaces_still_draining)
    throttles_before = strict_aws.throttles
    result = cli("destroy", stack, "--auto-approve", "--debug")
    assert result.code == 0, result.stderr
    counted = re.search(r"AWS API calls: \d+ \((\d+) retries\)", result.stderr)
    assert counted is not None, result.stderr
    waits = result.stderr.count("ec2.DeleteSubnet answered DependencyViolation")
    assert waits == 2
    throttles = strict_aws.throttles - throttles_before  # each one answered by a retry
    assert int(counted.group(1)) == result.stderr.count("retrying in") == throttles + waits


def test_errors_about_options_and_saved_plans_name_what_is_at_fault(
    cli: Cli, workdir: Path, aws: str
) -> None:
    stack = write(workdir, NETWORK)
    unknown = cli("plan", stack, "--target", "vcp")
    assert unknown.code == 1
    assert f"--target vcp: no resource with that logical id in {stack}" in unknown.stderr
    assert "logical ids: subnet, vpc, web_sg" in unknown.stderr
    zero = cli("apply", stack, "--parallelism", "0")
    assert zero.code == 1
    assert "--parallelism" in zero.stderr

    saved = str(workdir / "reviewed.json")
    assert cli("plan", stack, "-o", saved).code == 0
    assert cli("apply", stack, "--auto-approve", "--target", "vpc").code == 0
    stale = cli("apply", saved)
    assert stale.code == 1
    assert f"the plan in {saved} is stale" in stale.stderr
    assert sorted(owned_resources(aws, "behave")) == ["vpc"]  # the stale plan changed nothing


def test_render_prints_the_yaml_after_jinja_with_the_variables_given(
    cli: Cli, workdir: Path
) -> None:
    rendered = cli("render", "stacks/vpc-multi-az.yaml", "--var", "zone_count=3", target=False)
    assert rendered.code == 0, rendered.stderr
    assert "{%" not in rendered.stdout and "{{" not in rendered.stdout
    assert rendered.stdout.count("type: aws.ec2.nat_gateway") == 3
    two = cli("render", "stacks/vpc-multi-az.yaml", target=False)
    assert two.stdout.count("type: aws.ec2.nat_gateway") == 2
