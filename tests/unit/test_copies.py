"""Copies of a stack (--copy, --copies, --copies-file): what a user may write, and how many
copies' calls are paced within AWS's rate limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackdeploy.aws.pacing import Pacer
from stackdeploy.config.copies import (
    StackCopy,
    copy_stack_name,
    parse_copies,
    parse_copy,
    read_copies_file,
    split_copies_option,
)
from stackdeploy.errors import ConfigError, DeployError


def test_copies_take_their_position_as_index_unless_given() -> None:
    copies = parse_copies(split_copies_option("ann, ben=7,cat,"))
    assert copies == [StackCopy("ann", 0), StackCopy("ben", 7), StackCopy("cat", 2)]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["ann", "ann"], "names copy 'ann' twice"),
        (["ann", "ben=0"], "both have index 0"),
        (["Ann"], "not a copy name"),
        (["ann-"], "not a copy name"),
        (["ann=x"], "whole number"),
        ([], "names no copy"),
    ],
)
def test_copy_lists_that_would_collide_or_break_names_are_refused(
    entries: list[str], message: str
) -> None:
    with pytest.raises(DeployError, match=message):
        parse_copies(entries)


def test_a_copies_file_names_the_line_of_a_bad_entry(tmp_path: Path) -> None:
    good = tmp_path / "class.txt"
    good.write_text("# class of 2026\nann\nben=4  # came late\n\n")
    assert read_copies_file(good) == ["ann", "ben=4"]
    bad = tmp_path / "bad.txt"
    bad.write_text("ann\nben, cat\n")
    with pytest.raises(ConfigError) as caught:
        read_copies_file(bad)
    assert caught.value.location is not None and caught.value.location.line == 2


def test_a_copy_whose_stack_name_is_too_long_says_how_long_copy_names_may_be() -> None:
    with pytest.raises(DeployError) as caught:
        copy_stack_name("s" * 60, parse_copy("alice"))
    assert (
        caught.value.hint
        == "copies of stack " + "s" * 60 + " may have names of at most 3 characters"
    )
    assert copy_stack_name("lab", parse_copy("alice")) == "lab-alice"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_thirty_nat_gateways_are_paced_at_half_of_aws_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for _ in range(30):
        pacer.wait("ec2", "CreateNatGateway", "us-east-1")
    # A burst of 5, then 0.5 a second: the 30th call goes at 50 s.
    assert clock.now == pytest.approx(50.0)
    assert pacer.paced_calls == 25
    # Another region has its own buckets; reads are not held up by writes.
    before = clock.now
    pacer.wait("ec2", "CreateNatGateway", "eu-west-1")
    pacer.wait("ec2", "DescribeNatGateways", "us-east-1")
    assert clock.now == before
