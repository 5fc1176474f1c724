"""Validation errors in plain words: a misspelt field is answered once with the nearest name,
and a wrong value says what was expected and what was given (config/wording.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ProfileNotFound

from stackdeploy.aws.errors import as_provider_error
from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigError, ConfigErrors


def errors_of(tmp_path: Path, resources: str) -> list[str]:
    path = tmp_path / "stack.yaml"
    path.write_text(f"stack: words\nregion: us-west-2\nresources:\n{resources}")
    with pytest.raises(ConfigErrors) as caught:
        load_stack(path)
    return [f"{e.location.line if e.location else '?'}: {e.message}" for e in caught.value.errors]


def test_a_misspelt_required_field_is_one_error_with_the_right_name(tmp_path: Path) -> None:
    found = errors_of(
        tmp_path,
        "  vpc:\n    type: aws.ec2.vpc\n    properties: {cidr_blok: 10.0.0.0/16}\n",
    )
    assert found == ["6: unknown field 'cidr_blok': did you mean 'cidr_block'?"]


def test_a_misspelt_optional_field_and_entry_key_suggest_the_nearest(tmp_path: Path) -> None:
    found = errors_of(
        tmp_path,
        "  vpc:\n    type: aws.ec2.vpc\n"
        "    properties: {cidr_block: 10.0.0.0/16, enable_dns_hostname: true}\n"
        "  sub:\n    type: aws.ec2.subnet\n    propertes: {}\n",
    )
    assert found == [
        "6: unknown field 'enable_dns_hostname': did you mean 'enable_dns_hostnames'?",
        "9: unknown field 'propertes': did you mean 'properties'?",
    ]


def test_a_name_far_from_any_field_gets_no_guess(tmp_path: Path) -> None:
    found = errors_of(
        tmp_path,
        "  vpc:\n    type: aws.ec2.vpc\n    properties: {cidr_block: 10.0.0.0/16, colour: red}\n",
    )
    assert found == ["6: unknown field 'colour'"]


def test_wrong_values_say_what_was_expected_and_what_was_given(tmp_path: Path) -> None:
    found = errors_of(
        tmp_path,
        "  vpc:\n    type: aws.ec2.vpc\n"
        "    properties:\n"
        "      cidr_block: 10.0.0.0/16\n"
        "      enable_dns_hostnames: yes please\n"
        "  web:\n    type: aws.ec2.instance\n"
        "    properties:\n"
        "      image_id: ami-12345678\n"
        "      instance_type: t3.micro\n"
        "      subnet_id: subnet-12345678\n"
        "      security_group_ids: []\n",
    )
    assert found == [
        "8: expected true or false, got 'yes please'",
        "15: needs at least 1 item, got 0",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # An unclosed flow mapping: named at the line where it began.
        (
            "resources:\n  vpc:\n    type: aws.ec2.vpc\n    properties: {cidr_block: 10.0.0.0/16\n",
            6,
        ),
        # An unclosed quote running to the end of the file.
        ('resources:\n  vpc:\n    type: "aws.ec2.vpc\n', 5),
    ],
)
def test_a_yaml_error_at_the_end_of_the_file_names_a_line(
    tmp_path: Path, text: str, line: int
) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(f"stack: words\nregion: us-west-2\n{text}")
    with pytest.raises(ConfigError) as caught:
        load_stack(path)
    assert caught.value.location is not None and caught.value.location.line == line


def test_an_unknown_profile_says_where_profiles_are_read_and_which_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile teaching]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    error = as_provider_error(ProfileNotFound(profile="teachnig"))
    assert error.hint is not None
    assert str(config) in error.hint and "profiles found: teaching" in error.hint
