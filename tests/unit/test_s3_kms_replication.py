"""Replication of KMS-encrypted buckets (issue 7, item 8): the rule's KMS fields, the errors a
rule that would skip the encrypted objects gets at validate (message, field and line), and
the warning about KMS permissions the replication role may lack, which stops nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.cli.main import main
from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigErrors
from stackdeploy.model.live import LiveState
from stackdeploy.model.stack import Stack
from stackdeploy.plan.planner import make_plan

WEST_KEY = "arn:aws:kms:us-west-2:123456789012:key/0a1b2c3d-0000-1111-2222-333344445555"
EAST_KEY = "arn:aws:kms:us-east-2:123456789012:key/9f8e7d6c-0000-1111-2222-333344445555"
RULES = "resources.source.properties.replication.rules"


def _role_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "aws.iam.role",
        "properties": {
            "assume_role_policy": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            },
            "inline_policies": {"replicate": {"Statement": list(statements)}},
        },
    }


DECRYPT = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "${source_key.arn}"}
ENCRYPT = {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "${replica_key.arn}"}


def _resources(**rule: Any) -> dict[str, Any]:
    """A source bucket encrypted with its key in us-west-2, replicating to a bucket in
    us-east-2 with a key there, and a role allowed both KMS actions; `rule` edits the rule."""
    replication_rule = {
        "id": "encrypted",
        "destination": "${replica.arn}",
        "sse_kms_encrypted_objects": True,
        "replica_kms_key_id": "${replica_key.arn}",
        **rule,
    }
    return {
        "source_key": {"type": "aws.kms.key", "properties": {}},
        "replica_key": {"type": "aws.kms.key", "region": "us-east-2", "properties": {}},
        "role": _role_policy(DECRYPT, ENCRYPT),
        "replica": {
            "type": "aws.s3.bucket",
            "region": "us-east-2",
            "properties": {"name": "shop-replica", "versioning": "Enabled"},
        },
        "source": {
            "type": "aws.s3.bucket",
            "properties": {
                "name": "shop-source",
                "versioning": "Enabled",
                "encryption": {"algorithm": "aws:kms", "kms_key_id": "${source_key.arn}"},
                "replication": {
                    "role": "${role.arn}",
                    "rules": [{k: v for k, v in replication_rule.items() if v is not None}],
                },
            },
        },
    }


def load(tmp_path: Path, resources: dict[str, Any]) -> Stack:
    path = tmp_path / "stack.yaml"
    path.write_text(json.dumps({"stack": "shop", "region": "us-west-2", "resources": resources}))
    return load_stack(path)


def problems(tmp_path: Path, resources: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(YAML path, message, hint) of every error the stack gets."""
    with pytest.raises(ConfigErrors) as caught:
        load(tmp_path, resources)
    return [(e.location.path if e.location else "", e.message, e.hint) for e in caught.value.errors]


def test_a_rule_replicating_kms_objects_is_accepted_in_canonical_form(tmp_path: Path) -> None:
    stack = load(tmp_path, _resources(replica_modifications=True))
    [rule] = stack.resources["source"].properties["replication"]["rules"]
    assert {k: rule[k] for k in rule if "kms" in k or "modifications" in k} == {
        "sse_kms_encrypted_objects": True,
        "replica_kms_key_id": "${replica_key.arn}",
        "replica_modifications": True,
    }
    assert stack.warnings == ()
    assert {"replica_key", "role", "replica", "source_key"} <= stack.resources[
        "source"
    ].dependencies()


@pytest.mark.parametrize("algorithm", ["aws:kms", "aws:kms:dsse"])
def test_a_kms_encrypted_source_needs_the_rule_to_select_its_objects(
    tmp_path: Path, algorithm: str
) -> None:
    resources = _resources(sse_kms_encrypted_objects=None, replica_kms_key_id=None)
    resources["source"]["properties"]["encryption"]["algorithm"] = algorithm
    [(path, message, hint)] = problems(tmp_path, resources)
    assert path == RULES
    assert message == (
        f"replication rule 'encrypted': bucket 'source' encrypts its objects with a KMS key "
        f"({algorithm}), which S3 replicates only for a rule that selects them and names a key "
        "for the replicas; as written, S3 accepts the rule and silently never replicates them"
    )
    assert hint == (
        "add sse_kms_encrypted_objects: true and replica_kms_key_id (a KMS key in the "
        "destination bucket's region) to the rule"
    )


def test_a_rule_with_a_replica_key_but_no_selection_is_told_to_select(tmp_path: Path) -> None:
    [(path, _, hint)] = problems(tmp_path, _resources(sse_kms_encrypted_objects=None))
    assert path == RULES
    assert hint == "add sse_kms_encrypted_objects: true to the rule"


def test_selection_without_a_replica_key_is_refused_for_any_bucket(tmp_path: Path) -> None:
    resources = _resources(replica_kms_key_id=None)
    del resources["source"]["properties"]["encryption"]  # SSE-S3: still refused by S3
    [(path, message, _)] = problems(tmp_path, resources)
    assert path == f"{RULES}[0]"
    assert message.startswith("sse_kms_encrypted_objects needs replica_kms_key_id")


def test_what_needs_no_kms_fields(tmp_path: Path) -> None:
    plain = _resources(sse_kms_encrypted_objects=None, replica_kms_key_id=None)
    del plain["source"]["properties"]["encryption"]  # SSE-S3 objects replicate by default
    load(tmp_path, plain)
    disabled = _resources(sse_kms_encrypted_objects=None, replica_kms_key_id=None, enabled=False)
    load(tmp_path, disabled)  # a disabled rule replicates nothing, so it skips nothing


def test_the_replica_key_must_be_in_the_destination_region(tmp_path: Path) -> None:
    resources = _resources()
    del resources["replica_key"]["region"]
    [(path, message, hint)] = problems(tmp_path, resources)
    assert path == RULES
    assert message == (
        "replication rule 'encrypted': key 'replica_key' is in us-west-2, but the destination "
        "bucket 'replica' is in us-east-2; S3 encrypts replicas with a key of the destination's "
        "region (KMS keys are regional)"
    )
    assert hint == "use a KMS key in us-east-2 (an aws.kms.key with region: us-east-2)"
    [(_, message, _)] = problems(tmp_path, _resources(replica_kms_key_id=WEST_KEY))
    assert f"key {WEST_KEY} is in us-west-2" in message
    load(tmp_path, _resources(replica_kms_key_id=EAST_KEY))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"replica_kms_key_id": "${replica_key.id}"}, "is the key's id; S3 needs its ARN"),
        ({"replica_kms_key_id": "${replica.arn}"}, "'replica' is a aws.s3.bucket, not a KMS key"),
        ({"replica_kms_key_id": "alias/replicas"}, "is not a KMS key ARN"),
        ({"replica_kms_key_id": "0a1b2c3d-0000-1111"}, "is not a KMS key ARN"),
    ],
)
def test_replica_keys_s3_cannot_use(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    [(path, found, _)] = problems(tmp_path, _resources(**change))
    assert path.startswith(RULES)
    assert message in found


def test_the_replica_key_must_be_symmetric(tmp_path: Path) -> None:
    resources = _resources()
    resources["replica_key"]["properties"] = {"key_spec": "RSA_2048"}
    [(_, message, _)] = problems(tmp_path, resources)
    assert "key 'replica_key' is RSA_2048; S3 encrypts replicas with symmetric" in message


def test_errors_name_the_line_of_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(
        """\
stack: shop
region: us-west-2
resources:
  replica:
    type: aws.s3.bucket
    region: us-east-2
    properties: {name: shop-replica, versioning: Enabled}
  source:
    type: aws.s3.bucket
    properties:
      name: shop-source
      versioning: Enabled
      encryption: {algorithm: "aws:kms"}
      replication:
        role: arn:aws:iam::123456789012:role/replicator
        rules:
          - {id: everything, destination: "${replica.arn}"}
"""
    )
    with pytest.raises(ConfigErrors) as caught:
        load_stack(path)
    [error] = caught.value.errors
    assert error.location is not None
    assert (error.location.line, error.location.path) == (16, RULES)


# -- the role's KMS permissions: warnings ---------------------------------------------------------


def _warnings(tmp_path: Path, resources: dict[str, Any]) -> list[str]:
    return list(load(tmp_path, resources).warnings)


def test_a_role_without_kms_decrypt_is_warned_of_and_the_stack_stays_valid(
    tmp_path: Path,
) -> None:
    resources = _resources()
    resources["role"] = _role_policy(ENCRYPT)
    [warning] = _warnings(tmp_path, resources)
    assert warning.startswith(f"{tmp_path / 'stack.yaml'}:1 (resources.source.properties.")
    assert "replication.role): role 'role' is given no kms:Decrypt on key ${source_key.arn}" in (
        warning
    )
    assert warning.endswith(
        "(hint: add to its inline_policies a statement {Effect: Allow, Action: kms:Decrypt, "
        "Resource: ${source_key.arn}})"
    )
    resources["role"] = _role_policy(DECRYPT)
    [warning] = _warnings(tmp_path, resources)
    assert "no kms:Encrypt on key ${replica_key.arn}" in warning


def _with_role(*statements: dict[str, Any], **role: Any) -> dict[str, Any]:
    resources = _resources()
    resources["role"] = _role_policy(*statements)
    resources["role"]["properties"].update(role)
    return resources


@pytest.mark.parametrize(
    ("resources", "warned"),
    [
        # Wildcards and lists grant it; a Condition does not hide it.
        (_with_role({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}), 0),
        (
            _with_role(
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:Encrypt"],
                    "Resource": ["${source_key.arn}", "${replica_key.arn}"],
                    "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
                }
            ),
            0,
        ),
        (_with_role({"Effect": "Allow", "Action": "kms:*", "NotResource": "arn:aws:s3:::*"}), 0),
        # Managed policies may grant anything: nothing can be said.
        (
            _with_role(
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
                managed_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"],
            ),
            0,
        ),
        # The actions on the wrong keys: both missing.
        (
            _with_role(
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "${replica_key.arn}"},
                {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "${source_key.arn}"},
            ),
            2,
        ),
        # A Deny grants nothing.
        (_with_role({"Effect": "Deny", "Action": "kms:*", "Resource": "*"}), 2),
    ],
)
def test_what_counts_as_granting_the_role(
    tmp_path: Path, resources: dict[str, Any], warned: int
) -> None:
    assert len(_warnings(tmp_path, copy.deepcopy(resources))) == warned


def test_a_key_policy_naming_the_role_grants_it(tmp_path: Path) -> None:
    resources = _with_role(ENCRYPT)
    resources["source_key"]["properties"]["policy"] = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "${role.arn}"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
        ]
    }
    assert _warnings(tmp_path, resources) == []


def test_the_aws_managed_source_key_needs_no_decrypt(tmp_path: Path) -> None:
    resources = _with_role(ENCRYPT)
    resources["source"]["properties"]["encryption"] = {"algorithm": "aws:kms"}  # aws/s3
    assert _warnings(tmp_path, resources) == []


def test_warnings_reach_the_plan_but_not_a_destroy_and_validate_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = _with_role(ENCRYPT)
    stack = load(tmp_path, resources)
    [warning] = stack.warnings
    assert make_plan(stack, LiveState()).warnings[0] == warning
    assert make_plan(stack, LiveState(), destroy=True).warnings == ()
    assert main(["validate", str(tmp_path / "stack.yaml"), "--no-color"]) == 0
    out, err = capsys.readouterr()
    assert "is valid" in out
    assert f"Warning: {warning}" in err.replace("\n", "")
