"""The strictness layer: moto made to behave like AWS for the engine's end-to-end tests.

moto has no clock (everything is final at once) and allows deletes AWS refuses. The layer
hooks botocore's event system of every session the engine makes
(`stackdeploy.aws.session.new_boto3_session` is monkeypatched), so that calls are throttled
now and then, slow resources report `pending`/`deleting` for a few polls, and deletes in the
wrong order fail with AWS's own error codes and messages. See core.py for the mechanism.

Use it through the fixture::

    from tests.strict.fixtures import strict_aws  # in a conftest.py

    def test_destroy(strict_aws, clients):  # clients: a ClientFactory on the same moto
        ...
        assert strict_aws.throttles > 0

or directly: `StrictAws(endpoint, throttle_rate=0.0).install(monkeypatch)`.

Modules:
    core.py              StrictAws, Call, AwsError: the dispatcher and the registration API
    faults.py            throttling (and optional 5xx) on any call
    transitions.py       TransitionClock and fake_states: pending states counted in polls
    ec2.py               the EC2 networking family: wires the three modules below
    ec2_nat.py           NAT gateway pending/deleting time model
    ec2_pending.py       new VPCs and subnets are pending on their first describe
    ec2_dependencies.py  DeleteSubnet, DeleteSecurityGroup, ReleaseAddress, DetachInternetGateway
    ec2_lookups.py       reads of moto's real state, looking past moto's leftovers
    ec2_rules.py         security group rules: peers in other VPCs, revokes by rule id,
                         descriptions of rules whose peer is a group
    compute.py           EC2 instances: pending, status checks, stop/start, profiles, 16 KB
    autoscaling.py       Auto Scaling groups: sizes, pending instances, scale-in, deletes
    elb.py, elbv2.py     load balancers: provisioning, held subnets/groups, interface release
    iam.py               IAM names, trust policies, propagation to instance profiles
    rds.py, rds_groups.py  RDS: creating/backing-up/modifying/deleting, groups in use, replicas
    s3.py                S3: names, regions, defaults, versioning, policies, lifecycle
    s3_replication.py    S3 replication: destinations, KMS selection, rules read back whole
    dynamodb.py          DynamoDB: CREATING/UPDATING tables and indexes, one index at a time
    kms.py               KMS: deletion windows, pending deletion, disabled keys, propagation
    families.py          DEFAULT_FAMILIES: what StrictAws installs unless told otherwise
    fixtures.py          the strict_aws pytest fixture

Adding rules for a service (load balancers, Auto Scaling, RDS, S3, DynamoDB, IAM, KMS):

1. Create `tests/strict/<family>.py` with `def register(strict: StrictAws) -> None`. In it,
   register hooks by boto3 client name and API operation name:

   - `strict.before("rds", "DeleteDBSubnetGroup", rule)`: `rule(call)` runs before the call
     is sent and raises `AwsError(code, message, status)` to answer for AWS (the call never
     reaches moto); returning means "let moto answer".
   - `strict.after("elbv2", "DescribeLoadBalancers", rule)`: `rule(call, parsed)` rewrites a
     successful response in place (errors are never passed to it).
   - `strict.params("ec2", "DescribeNatGateways", rule)`: `rule(call)` may change
     `call.params` before they are serialized (replace values, never mutate the caller's
     nested lists); `call.notes` carries data from it to the same call's after rule.

   `call.region` tells which region to check. Read moto's real state with
   `strict.plain(service, call.region)` only, never through a hooked client.
2. For a resource that takes time, keep a `TransitionClock` and call `fake_states(...)` on
   its describe operation (see ec2_nat.py); its dependency rules ask the clock's
   `reported(...)` state, so "not yet deleted" means the same everywhere.
3. Use AWS's real error code, message and HTTP status (EC2 and most query services: 400),
   and say in a comment why the rule exists (what moto allows and AWS refuses).
4. Add `register` to `DEFAULT_FAMILIES` in families.py, new knobs to `StrictAws.__init__`,
   and a test to test_strict.py that shows the rule firing and then clearing.
"""

from tests.strict.core import AwsError, Call, StrictAws

__all__ = ["AwsError", "Call", "StrictAws"]
