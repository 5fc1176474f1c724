"""DB instance and read replica behaviour the contract suite cannot show on plain moto: the
wait through creating and backing-up, password sources (the value reaches AWS and nothing
else), adoption after an interrupted create, refusals with what to do, and replicas in
another region. Time and refusals come from the strictness layer's RDS family."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.events import Waiting
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import diff_properties
from stackdeploy.providers.registry import make_providers
from tests.conftest import FAST
from tests.providers.cases_rds import DB_INSTANCE, DB_REPLICA, source_db
from tests.providers.harness import REGION, STACK, ContractRun, fail_times
from tests.strict import rds
from tests.strict.core import StrictAws

SECRET = "Env-password-123"
OTHER = "File-password-456"


@pytest.fixture
def strict(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """AWS's RDS clock and refusals (no throttling) for the engine's clients."""
    layer = StrictAws(aws, throttle_rate=0.0, refusals_advance_time=True, families=[rds.register])
    layer.install(monkeypatch)
    return layer


@pytest.fixture
def run(strict: StrictAws, clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(DB_INSTANCE, clients, aws)


def _sent(clients: ClientFactory, operation: str) -> list[dict[str, Any]]:
    """The parameters of every `operation` call the provider's RDS client sends."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    clients.client("rds", REGION).meta.events.register(
        f"provide-client-params.rds.{operation}", record
    )
    return calls


def _text(run: ContractRun, *values: Any) -> str:
    """Everything a person or the state could see: events, errors, properties."""
    return "\n".join([*(repr(e) for e in run.events.events), *(repr(v) for v in values)])


def _props(run: ContractRun, **changes: Any) -> dict[str, Any]:
    return run.canonical({**run.case.properties(run.prerequisites), **changes})


def test_create_waits_through_creating_and_backing_up(run: ContractRun) -> None:
    created = run.provider.create(run.context(), _props(run))
    statuses = [e.status for e in run.events.of(Waiting) if isinstance(e, Waiting)]
    assert "creating" in statuses
    assert "backing-up" in statuses
    assert created.properties["identifier"] == "contract-subject"
    assert created.properties["endpoint"].endswith(":3306")


def test_password_from_env_and_file_reaches_aws_only(
    run: ContractRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DB_SECRET", SECRET)
    (tmp_path / "pw.txt").write_text(OTHER + "\n")
    created_with = _sent(run.clients, "CreateDBInstance")
    modified_with = _sent(run.clients, "ModifyDBInstance")
    ctx = run.context()
    props = _props(run, master_password={"env": "DB_SECRET"})
    created = run.provider.create(ctx, props)
    assert created_with[0]["MasterUserPassword"] == SECRET
    assert created.properties["master_password"] == {"env": "DB_SECRET"}

    changed = _props(run, master_password={"file": str(tmp_path / "pw.txt")})
    change = [c for c in _diff(run, changed, created) if c.path == "master_password"]
    updated = run.provider.update(ctx, created, changed, change)
    assert [m.get("MasterUserPassword") for m in modified_with] == [OTHER]
    assert updated.properties["master_password"] == {"file": str(tmp_path / "pw.txt")}
    text = _text(run, props, changed, created.properties, updated.properties)
    assert SECRET not in text
    assert OTHER not in text


def _diff(run: ContractRun, props: dict[str, Any], live: LiveResource) -> list[Any]:
    return diff_properties(run.rtype, props, live.properties)


def test_a_missing_or_weak_password_is_refused_without_showing_it(
    run: ContractRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ProviderError) as missing:
        run.provider.create(run.context(), _props(run, master_password={"env": "NOT_SET_HERE"}))
    assert "environment variable NOT_SET_HERE" in missing.value.message
    assert missing.value.hint and "export NOT_SET_HERE" in missing.value.hint
    monkeypatch.setenv("DB_SECRET", "a/b@c")
    with pytest.raises(ProviderError) as weak:
        run.provider.create(run.context(), _props(run, master_password={"env": "DB_SECRET"}))
    assert "must be 8 to 41 characters for mysql" in weak.value.message
    assert "a/b@c" not in str(weak.value)
    assert run.provider.read_owned(REGION, STACK) == []  # nothing was created


def test_generated_password_in_ssm_is_tagged_and_goes_when_the_source_changes(
    run: ContractRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=run.prerequisites.endpoint)
    ctx = run.context()
    props = _props(run, master_password={"generate": {"store": "ssm", "name": "/app/db"}})
    created = run.provider.create(ctx, props)
    assert created.properties["master_password_secret"] == "/app/db"
    parameter = ssm.get_parameter(Name="/app/db", WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert len(parameter["Value"]) == 32
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/app/db")["TagList"]
    assert {"Key": "stackdeploy:stack", "Value": STACK} in tags
    assert {"Key": "stackdeploy:id", "Value": "subject"} in tags
    assert parameter["Value"] not in _text(run, created.properties)

    monkeypatch.setenv("DB_SECRET", SECRET)
    changed = _props(run, master_password={"env": "DB_SECRET"})
    updated = run.provider.update(ctx, created, changed, _diff(run, changed, created))
    assert updated.properties["master_password_secret"] is None
    assert ssm.get_parameters(Names=["/app/db"])["InvalidParameters"] == ["/app/db"]


def test_a_refused_create_leaves_no_generated_password_behind(run: ContractRun) -> None:
    fail_times(run.clients, "CreateDBInstance", "InvalidParameterCombination", 1, service="rds")
    with pytest.raises(ClientError):
        run.provider.create(run.context(), _props(run))
    secrets = boto3.client(
        "secretsmanager", region_name=REGION, endpoint_url=run.prerequisites.endpoint
    )
    assert secrets.list_secrets()["SecretList"] == []
    # A second attempt generates a new one and keeps it with the database.
    created = run.provider.create(run.context(), _props(run))
    [secret] = secrets.list_secrets()["SecretList"]
    assert created.properties["master_password_secret"] == secret["ARN"]


def test_an_interrupted_create_is_adopted_and_someone_elses_database_is_not(
    run: ContractRun,
) -> None:
    ctx = run.context()
    props = _props(run)
    first = run.provider.create(ctx, props)
    # The state write was lost: the next run creates again and finds its own database,
    # with the generated password it made the first time.
    again = run.provider.create(run.context(), props)
    assert again.physical_id == first.physical_id
    assert again.properties["master_password_secret"] == first.properties["master_password_secret"]
    other = dataclasses.replace(run.context(), logical_id="someone_else")
    with pytest.raises(ProviderError) as taken:
        run.provider.create(other, props)
    assert "already exists" in taken.value.message
    assert "owned by 'subject'" in taken.value.message


def test_a_source_with_replicas_is_not_deleted_and_says_why(
    run: ContractRun, strict: StrictAws
) -> None:
    ctx = run.context()
    created = run.provider.create(ctx, _props(run, backup_retention_period=1))
    replica_run = ContractRun(DB_REPLICA, run.clients, run.prerequisites.endpoint)
    replica_run.logical_id = "copy"
    replica = replica_run.provider.create(
        replica_run.context(),
        replica_run.canonical(
            {"source_db_instance": created.physical_id, "instance_class": "db.t3.micro"}
        ),
    )
    with pytest.raises(ProviderError) as refused:
        run.provider.delete(ctx, created)
    assert refused.value.code == "InvalidDBInstanceState"
    assert refused.value.hint and "read replicas" in refused.value.hint
    replica_run.provider.delete(replica_run.context(), replica)
    run.provider.delete(ctx, created)
    assert run.provider.read(REGION, created.physical_id) is None


def test_a_replica_in_another_region_names_its_source_by_arn(strict: StrictAws, aws: str) -> None:
    clients = ClientFactory(endpoint_url=aws, default_region="us-east-1", timing=FAST)
    run = ContractRun(DB_REPLICA, clients, aws)
    source = source_db(run.prerequisites)
    arn = boto3.client("rds", region_name=REGION, endpoint_url=aws).describe_db_instances(
        DBInstanceIdentifier=source
    )["DBInstances"][0]["DBInstanceArn"]
    ctx = dataclasses.replace(run.context(), region="us-east-1")
    props = run.canonical({"source_db_instance": arn, "instance_class": "db.t3.micro"})
    replica = run.provider.create(ctx, props)
    assert replica.region == "us-east-1"
    assert replica.properties["source_db_instance"] == arn
    provider = make_providers(clients)["aws.rds.db_replica"]
    assert [r.physical_id for r in provider.read_owned("us-east-1", STACK)] == [replica.physical_id]
    assert provider.read_owned(REGION, STACK) == []
