"""What `deploy ls` and `sweep` conclude from the account's tags (model/inventory.py,
apply/account.py expired_stacks): pure, from ARNs and tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stackdeploy.apply.account import Account, expired_stacks
from stackdeploy.discovery.state import new_lineage
from stackdeploy.model.arns import GLOBAL, name_of
from stackdeploy.model.inventory import Tagged, group_by_stack, lineage_time, time_left

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"


def tags(stack: str, **more: str) -> dict[str, str]:
    return {"stackdeploy:stack": stack, **{k.replace("_", ":", 1): v for k, v in more.items()}}


def ec2(kind: str, ident: str, region: str = "us-west-2") -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:{kind}/{ident}"


def test_resources_are_counted_by_stack_and_type_parts_and_snapshots_apart() -> None:
    lineage = new_lineage(NOW - timedelta(days=3))
    found = [
        Tagged(ec2("vpc", "vpc-1"), tags("lab", stackdeploy_lineage=lineage), "us-west-2"),
        Tagged(ec2("subnet", "subnet-1"), tags("lab"), "us-west-2"),
        Tagged(ec2("subnet", "subnet-2", "us-east-1"), tags("lab"), "us-east-1"),
        Tagged(ec2("volume", "vol-1"), tags("lab"), "us-west-2"),  # part of an instance
        Tagged(f"arn:aws:iam::{ACCOUNT}:role/app/lab-role", tags("lab"), GLOBAL),
        Tagged(
            f"arn:aws:rds:us-west-2:{ACCOUNT}:snapshot:lab-db-final-x", tags("lab"), "us-west-2"
        ),
        Tagged(ec2("vpc", "vpc-2"), tags("lab-ann", stackdeploy_copy="ann"), "us-west-2"),
        Tagged(ec2("vpc", "vpc-1"), tags("lab"), "us-west-2"),  # listed twice: counted once
    ]
    stacks = group_by_stack(found)
    assert set(stacks) == {"lab", "lab-ann"}
    lab = stacks["lab"]
    assert dict(lab.counts) == {"aws.ec2.vpc": 1, "aws.ec2.subnet": 2, "aws.iam.role": 1}
    assert lab.aws_regions == ["us-east-1", "us-west-2"] and GLOBAL in lab.regions
    assert [s.name for s in lab.snapshots] == ["lab-db-final-x"]
    assert lab.created() == NOW - timedelta(days=3)
    assert stacks["lab-ann"].copy == "ann" and stacks["lab-ann"].created() is None


def test_arns_name_their_type_and_the_id_its_provider_uses() -> None:
    role = name_of(f"arn:aws:iam::{ACCOUNT}:role/service/app-role")
    assert role is not None and (role.kind, role.physical_id) == ("aws.iam.role", "app-role")
    classic = name_of(f"arn:aws:elasticloadbalancing:us-west-2:{ACCOUNT}:loadbalancer/web")
    assert classic is not None and classic.kind == "aws.elb.load_balancer"
    alb = f"arn:aws:elasticloadbalancing:us-west-2:{ACCOUNT}:loadbalancer/app/web/123"
    named = name_of(alb)
    assert named is not None and (named.kind, named.physical_id) == ("aws.elbv2.load_balancer", alb)
    bucket = name_of("arn:aws:s3:::lab-notes")
    assert bucket is not None and bucket.kind == "aws.s3.bucket" and bucket.region is None
    other = name_of(f"arn:aws:lambda:us-west-2:{ACCOUNT}:function:f")
    assert other is not None and not other.known_type


def test_sweep_takes_the_expired_and_with_older_than_the_old_without_expiry() -> None:
    old = new_lineage(NOW - timedelta(days=5))
    young = new_lineage(NOW - timedelta(hours=1))
    found = [
        Tagged(ec2("vpc", "a"), tags("expired", stackdeploy_expires="2026-12-03T11:00:00Z"), "r"),
        Tagged(ec2("vpc", "b"), tags("later", stackdeploy_expires="2026-12-03T13:00:00Z"), "r"),
        Tagged(ec2("vpc", "c"), tags("old", stackdeploy_lineage=old), "r"),
        Tagged(ec2("vpc", "d"), tags("young", stackdeploy_lineage=young), "r"),
        Tagged(ec2("vpc", "e"), tags("unknown-age"), "r"),  # no time: never swept on a guess
        Tagged(
            ec2("vpc", "f"),
            tags(
                "old-but-kept", stackdeploy_lineage=old, stackdeploy_expires="2027-01-01T00:00:00Z"
            ),
            "r",
        ),
    ]
    account = Account(group_by_stack(found), ["r"], found)
    assert [e.name for e, _ in expired_stacks(account, NOW, None)] == ["expired"]
    chosen = expired_stacks(account, NOW, 2 * 86400)
    assert [e.name for e, _ in chosen] == ["expired", "old"]
    assert chosen[1][1] == "no expiry, made 2026-11-28 12:00 UTC"


def test_time_left_reads_as_a_person_would_say_it() -> None:
    assert time_left(None, NOW) == "never"
    assert time_left(NOW - timedelta(seconds=1), NOW) == "expired"
    assert time_left(NOW + timedelta(hours=3, minutes=20), NOW) == "3h 20m"
    assert time_left(NOW + timedelta(days=2, hours=4), NOW) == "2d 4h"
    assert time_left(NOW + timedelta(seconds=20), NOW) == "1m"
    assert lineage_time("0123abcd") is None  # a lineage made before they carried a time
