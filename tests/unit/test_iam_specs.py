"""IAM roles, instance profiles and key pairs without AWS: policy documents compared by
meaning, validation IAM and EC2 would otherwise fail at apply time, and stack-level checks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from stackdeploy.config.loader import canonical_properties, load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.stack import Resource, Stack
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.specs.ec2.key_pair import KEY_PAIR, canonical_public_key
from stackdeploy.specs.iam.instance_profile import INSTANCE_PROFILE
from stackdeploy.specs.iam.policy import (
    canonical_policy,
    check_policy,
    policy_document,
    policy_from_aws,
)
from stackdeploy.specs.iam.role import ROLE
from tests.providers.cases_iam import ED25519_KEY, RSA_KEY

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


def role(**properties: Any) -> dict[str, Any]:
    return canonical_properties(
        ROLE, {"assume_role_policy": TRUST, **properties}, "demo", "web", {}
    )


def messages(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " | ".join(str(e["msg"]) for e in error.value.errors())


# -- policy documents ---------------------------------------------------------------------------


def test_the_same_policy_written_differently_is_equal() -> None:
    compact = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Deny", "Action": ["s3:DeleteObject"], "Resource": ["*"], "Sid": ""},
        ]
    }
    verbose = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Resource": "*", "Action": "s3:DeleteObject", "Effect": "Deny"},
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:GetObject"],
                    "Resource": ["arn:aws:s3:::b/*"],
                },
            ],
        },
        indent=2,
    )
    assert policy_document(compact, "identity") == policy_document(verbose, "identity")


def test_canonical_form_details() -> None:
    document = canonical_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {
                    "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/x"],
                    "Service": "ec2.amazonaws.com",
                },
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": True}},
            }
        }
    )
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                # IAM stores an account id as its root ARN: both read as the bare id.
                "Principal": {
                    "AWS": ["111122223333", "arn:aws:iam::111122223333:role/x"],
                    "Service": ["ec2.amazonaws.com"],
                },
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": ["true"]}},
            }
        ],
    }
    assert canonical_policy(document) == document  # idempotent
    assert canonical_policy({"Statement": [{"Principal": "*"}]})["Statement"][0]["Principal"] == "*"


def test_policies_from_aws_are_decoded_and_canonical() -> None:
    encoded = (
        "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%7D%7D"
    )
    assert policy_from_aws(encoded) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*"]}],
    }
    assert policy_from_aws("not json") == "not json"


@pytest.mark.parametrize(
    ("document", "kind", "expected"),
    [
        ({"Statement": [{"Action": "s3:*", "Resource": "*"}]}, "identity", "Effect must be"),
        (
            {"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]},
            "identity",
            "Allow or Deny",
        ),
        ({"Statement": []}, "identity", "needs a Statement"),
        (
            {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
            "identity",
            "Action (or NotAction)",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:*"}]},
            "identity",
            "Resource (or NotResource)",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Actions": "s3:*", "Resource": "*"}]},
            "identity",
            "did you mean 'Action'",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]},
            "identity",
            "service:Action",
        ),
        (TRUST["Statement"][0] | {}, "identity", "policy element"),
        ({"Version": "2020-01-01", "Statement": TRUST["Statement"]}, "trust", "Version"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]},
            "trust",
            "needs Principal",
        ),
        ({"Statement": [TRUST["Statement"][0] | {"Resource": "*"}]}, "trust", "has no Resource"),
        ({"Statement": [TRUST["Statement"][0] | {"Action": "s3:GetObject"}]}, "trust", "only sts:"),
        (
            {"Statement": [TRUST["Statement"][0] | {"Principal": {"Services": "x"}}]},
            "trust",
            "did you mean 'Service'",
        ),
        ({"Statement": TRUST["Statement"]}, "identity", "has no Principal"),
        (
            {
                "Statement": [
                    {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    {"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Resource": "*"},
                ]
            },
            "identity",
            "more than one statement",
        ),
        (
            {
                "Statement": [
                    {"Sid": "no spaces", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
                ]
            },
            "identity",
            "letters and digits",
        ),
    ],
)
def test_policies_iam_would_reject(document: Any, kind: Any, expected: str) -> None:
    with pytest.raises(ValueError, match=re.escape(expected)):
        check_policy(document, kind)


def test_invalid_json_names_the_place() -> None:
    with pytest.raises(ValueError, match=r"not valid JSON: .* line 1 column"):
        policy_document('{"Statement": [}', "identity")


def test_policy_variables_are_not_references() -> None:
    document = policy_document(
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::b/${aws:username}/*",
            }
        },
        "identity",
    )
    assert document["Statement"][0]["Resource"] == ["arn:aws:s3:::b/${aws:username}/*"]


# -- roles ----------------------------------------------------------------------------------------


def test_role_defaults() -> None:
    properties = role()
    assert properties["name"] == "demo-web"
    assert properties["path"] == "/"
    assert properties["description"] == ""
    assert properties["max_session_duration"] == 3600
    assert properties["assume_role_policy"]["Statement"][0]["Action"] == ["sts:AssumeRole"]


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"name": "web server"}, "characters IAM rejects: ' '"),
        ({"name": "x" * 65}, "1 to 64 characters"),
        ({"path": "app"}, "must be '/' or start and end with '/'"),
        ({"max_session_duration": 600}, "outside 3600 to 43200"),
        ({"managed_policy_arns": ["ReadOnlyAccess"]}, "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        ({"managed_policy_arns": ["arn:aws:iam::aws:policy/A"] * 2}, "more than once"),
        ({"inline_policies": {"bad name": {}}}, "inline policy name"),
        (
            {"inline_policies": {"p": {"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}}},
            "inline policy 'p'",
        ),
        (
            {
                "assume_role_policy": {
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]
                }
            },
            "needs Principal",
        ),
        ({"description": "é" * 1001}, "at most 1000"),
    ],
)
def test_role_validation(properties: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as raised:
        role(**properties)
    assert expected in messages(raised)


def test_inline_policies_have_a_combined_size_limit() -> None:
    big = {
        f"p{i}": {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": [f"arn:aws:s3:::{'b' * 60}{n}/*" for n in range(30)],
                }
            ]
        }
        for i in range(6)
    }
    with pytest.raises(ValidationError) as raised:
        role(inline_policies=big)
    assert "IAM allows 10240 per role" in messages(raised)


def _live_role(properties: dict[str, Any]) -> LiveState:
    live = LiveResource(
        "aws.iam.role",
        properties["name"],
        "us-west-2",
        {
            **properties,
            "id": properties["name"],
            "arn": "arn:aws:iam::1:role/demo-web",
            "unique_id": "AROA1",
        },
        "web",
        proof=Proof.RECORDED,
    )
    return LiveState(resources={"web": live})


def test_a_trust_policy_written_differently_plans_nothing() -> None:
    applied = role(managed_policy_arns=["arn:aws:iam::aws:policy/B", "arn:aws:iam::aws:policy/A"])
    rewritten = role(
        assume_role_policy=json.dumps(
            {
                "Statement": {
                    "Action": ["sts:AssumeRole"],
                    "Effect": "Allow",
                    "Principal": {"Service": ["ec2.amazonaws.com"]},
                }
            }
        ),
        managed_policy_arns=["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"],
    )
    stack = Stack(
        name="demo",
        region="us-west-2",
        resources={
            "web": Resource(
                logical_id="web", type="aws.iam.role", region="us-west-2", properties=rewritten
            )
        },
    )
    assert make_plan(stack, _live_role(applied)).change("web").action is Action.NOOP


# -- stacks ---------------------------------------------------------------------------------------

STACK = """\
stack: devassoc
region: us-west-2
resources:
  webserver_role:
    type: aws.iam.role
    properties:
      name: devassoc-webserver
      assume_role_policy:
        Statement:
          - {Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}
      managed_policy_arns:
        - arn:aws:iam::aws:policy/AmazonPollyReadOnlyAccess
        - arn:aws:iam::aws:policy/TranslateReadOnly
      tags: {project: devassoc}
  webserver_profile:
    type: aws.iam.instance_profile
    properties:
      role: ${webserver_role.name}
  devassoc_key:
    type: aws.ec2.key_pair
    properties:
      name: devassoc
"""


def load(tmp_path: Path, text: str) -> Stack:
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    return load_stack(path)


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load(tmp_path, text)
    error = caught.value
    found = error.errors if isinstance(error, ConfigErrors) else [error]
    return [str(e) for e in found]


def test_exercise_2_1_and_2_3_stack_loads(tmp_path: Path) -> None:
    stack = load(tmp_path, STACK)
    profile = stack.resources["webserver_profile"]
    assert profile.properties["name"] == "devassoc-webserver-profile"
    assert profile.dependencies() == {"webserver_role"}
    key = stack.resources["devassoc_key"].properties
    assert key["key_type"] == "rsa"
    assert key["public_key"] is None


def test_profile_role_must_be_a_role_name(tmp_path: Path) -> None:
    arn = STACK.replace("role: ${webserver_role.name}", "role: ${webserver_role.arn}")
    assert any("not its arn" in e for e in errors(tmp_path, arn))
    other = STACK.replace("role: ${webserver_role.name}", "role: ${devassoc_key.name}")
    assert any("must name an aws.iam.role" in e for e in errors(tmp_path, other))
    literal = STACK.replace(
        "role: ${webserver_role.name}", "role: arn:aws:iam::123456789012:role/devassoc-webserver"
    )
    assert any("not its ARN: 'devassoc-webserver'" in e for e in errors(tmp_path, literal))


def test_iam_names_clash_whatever_their_case(tmp_path: Path) -> None:
    twin = (
        STACK
        + """\
  twin:
    type: aws.iam.role
    properties:
      name: DevAssoc-WebServer
      assume_role_policy:
        Statement: {Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}
"""
    )
    assert any("also used by 'webserver_role'" in e for e in errors(tmp_path, twin))


# -- key pairs ------------------------------------------------------------------------------------


def key_pair(**properties: Any) -> dict[str, Any]:
    return canonical_properties(KEY_PAIR, properties, "demo", "key", {})


def test_public_keys_lose_their_comment_and_give_their_type() -> None:
    properties = key_pair(public_key=ED25519_KEY)
    assert properties["public_key"] == " ".join(ED25519_KEY.split()[:2])
    assert properties["key_type"] == "ed25519"
    assert key_pair(public_key=RSA_KEY)["key_type"] == "rsa"
    assert canonical_public_key(properties["public_key"]) == properties["public_key"]


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"public_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n"}, "this is a private key"),
        ({"public_key": "ecdsa-sha2-nistp256 AAAAE2VjZHNh"}, "not ecdsa-sha2-nistp256"),
        ({"public_key": "ssh-ed25519 not-base64!"}, "not valid base64"),
        ({"public_key": "ssh-rsa " + ED25519_KEY.split()[1]}, "not a ssh-rsa key"),
        ({"public_key": ED25519_KEY, "key_type": "rsa"}, "public_key is a ed25519 key"),
        ({"public_key": ED25519_KEY, "public_key_file": "k.pub"}, "not both"),
        ({"public_key": ED25519_KEY, "private_key_path": "/tmp/k.pem"}, "for keys AWS creates"),
        ({"name": "clé"}, "ASCII"),
    ],
)
def test_key_pair_validation(properties: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as raised:
        key_pair(**properties)
    text = messages(raised)
    assert expected in text
    assert "b3Blbn" not in text  # a pasted private key is never echoed


def test_key_pair_delete_notes() -> None:
    assert KEY_PAIR.delete_note({"public_key": ED25519_KEY}) is None
    note = KEY_PAIR.delete_note({"name": "k", "public_key": None, "private_key_path": None})
    assert note is not None
    assert "~/.ssh/stackdeploy/<stack>-<name>.pem" in note


def test_instance_profile_defaults() -> None:
    properties = canonical_properties(INSTANCE_PROFILE, {"role": "r"}, "demo", "p", {})
    assert properties == {"name": "demo-p", "path": "/", "role": "r", "tags": {}}


def test_a_public_key_file_is_read_like_an_inline_key(tmp_path: Path) -> None:
    (tmp_path / "devassoc.pub").write_text(ED25519_KEY + "\n")
    stack = load(
        tmp_path,
        "stack: demo\nregion: us-west-2\nresources:\n  key:\n    type: aws.ec2.key_pair\n"
        "    properties: {public_key_file: devassoc.pub}\n",
    )
    properties = stack.resources["key"].properties
    assert properties["public_key"] == " ".join(ED25519_KEY.split()[:2])
    assert properties["key_type"] == "ed25519"


def test_the_plan_shows_where_a_created_private_key_will_be_written(tmp_path: Path) -> None:
    stack = load(
        tmp_path,
        "stack: demo\nregion: us-west-2\nresources:\n"
        "  key:\n    type: aws.ec2.key_pair\n    properties: {name: lab/key}\n"
        "  imported:\n    type: aws.ec2.key_pair\n"
        f"    properties: {{name: mine, public_key: '{ED25519_KEY}'}}\n"
        "  chosen:\n    type: aws.ec2.key_pair\n"
        "    properties: {name: other, private_key_path: keys/other.pem}\n",
    )
    properties = {k: r.properties.get("private_key_path") for k, r in stack.resources.items()}
    assert properties == {
        "key": "~/.ssh/stackdeploy/demo-lab_key.pem",  # unsafe characters become _
        "imported": None,  # nothing private exists for an imported key
        "chosen": "keys/other.pem",
    }
