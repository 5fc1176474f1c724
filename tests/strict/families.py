"""The rule families a StrictAws installs by default, in order (fault injection first)."""

from __future__ import annotations

from tests.strict import (
    autoscaling,
    compute,
    dynamodb,
    ec2,
    elb,
    elbv2,
    faults,
    iam,
    kms,
    rds,
    s3,
    tagging,
)
from tests.strict.core import Family

DEFAULT_FAMILIES: tuple[Family, ...] = (
    faults.register,
    ec2.register,
    elb.register,
    autoscaling.register,
    elbv2.register,
    iam.register,
    compute.register,
    kms.register,
    dynamodb.register,
    s3.register,
    rds.register,
    tagging.register,
)
