"""Plans serialize deterministically and round-trip; the pure core never imports the AWS SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from stackdeploy.config.loader import load_stack
from stackdeploy.model.live import LiveState
from stackdeploy.model.values import UNKNOWN
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.serialize import plan_from_file, plan_to_file
from stackdeploy.report.plan_json import dumps_public
from stackdeploy.report.plan_view import plain_plan

STACK = """\
stack: ser
region: us-west-2
resources:
  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16, tags: {b: "2", a: "1"}}}
  sub: {type: aws.ec2.subnet, properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}}
outputs: {vpc: "${vpc.id}"}
"""


def test_public_json_is_deterministic_and_marks_unknowns(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(STACK)
    first = dumps_public(make_plan(load_stack(path), LiveState()))
    second = dumps_public(make_plan(load_stack(path), LiveState()))
    assert first == second
    document = json.loads(first)
    sub = next(c for c in document["resource_changes"] if c["address"] == "sub")
    assert sub["change"]["actions"] == ["create"]
    # As Terraform writes it: an unknown value is left out of `after`, and marked in the
    # `after_unknown` mirror (known mappings stay as empty ones), with the attributes AWS
    # assigns at create.
    assert "vpc_id" not in sub["change"]["after"]
    assert sub["change"]["after"]["cidr_block"] == "10.0.1.0/24"
    assert sub["change"]["after_unknown"] == {
        **dict.fromkeys(["vpc_id", "id", "arn", "availability_zone_id", "owner_id"], True),
        "tags": {},
    }
    assert document["outputs"]["vpc"] == {"unknown": True, "value": None}
    assert document["summary"]["create"] == 2


def test_plan_file_round_trips_exactly(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(STACK)
    plan = make_plan(load_stack(path), LiveState())
    restored = plan_from_file(json.loads(json.dumps(plan_to_file(plan))))
    assert restored == plan
    assert restored.change("sub").after is not None
    assert restored.change("sub").after["vpc_id"] is UNKNOWN


def test_a_saved_plan_shows_its_properties_in_the_order_the_plan_did(tmp_path: Path) -> None:
    """The file is written with sorted keys; `deploy show` and `apply PLANFILE` still list
    properties (and the tags as written) in the order `deploy plan` did."""
    path = tmp_path / "s.yaml"
    path.write_text(STACK)
    plan = make_plan(load_stack(path), LiveState())
    saved = json.loads(json.dumps(plan_to_file(plan), sort_keys=True))
    text = plain_plan(plan_from_file(saved))
    assert text == plain_plan(plan)
    assert text.index('b: "2"') < text.index('a: "1"')
    assert text.index("cidr_block") < text.index("enable_dns_support")  # declared, not a-z
    for change in saved["changes"]:  # a plan saved before the order was kept still reads
        del change["key_order"]
    assert plain_plan(plan_from_file(saved)) != text
    assert plan_from_file(saved) == plan


def test_pure_packages_never_import_the_aws_sdk() -> None:
    code = (
        "import sys\n"
        "import stackdeploy.config.loader, stackdeploy.config.schema, stackdeploy.plan.planner\n"
        "import stackdeploy.plan.steps, stackdeploy.plan.serialize, stackdeploy.graph.walk\n"
        "import stackdeploy.graph.render, stackdeploy.specs.registry, stackdeploy.model.stack\n"
        "import stackdeploy.pricing.estimate, stackdeploy.pricing.public\n"
        "import stackdeploy.report.plan_json, stackdeploy.report.markdown\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
