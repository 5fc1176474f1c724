"""Pricing rules for data services: RDS instances and read replicas, DynamoDB tables, S3
buckets and KMS keys. What they store and serve is billed by use and is named, not priced;
what they reserve (an instance class, allocated storage, provisioned capacity) is priced."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stackdeploy.pricing.pricer import Pricer, count, flag, text

DB_INSTANCE = "aws.rds.db_instance"
# Settings a read replica takes from its source when it does not set them itself.
_REPLICA_INHERITS = ("allocated_storage", "storage_type", "iops")


def price_db_instance(pricer: Pricer) -> None:
    properties = pricer.properties
    engine = text(properties.get("engine"))
    _database(pricer, engine, properties, "its engine is known only after apply")
    _password_secret(pricer, properties.get("master_password"))


def price_db_replica(pricer: Pricer) -> None:
    properties = pricer.properties
    source = pricer.neighbours.one(
        pricer.resource, properties.get("source_db_instance"), DB_INSTANCE
    )
    if source is None:
        # Its engine and storage are its source's, which this stack does not hold.
        detail = "its engine and storage are its source's, which is not in this stack"
        _database(pricer, None, properties, detail)
        return
    settings: dict[str, Any] = dict(properties)
    for name in _REPLICA_INHERITS:
        if settings.get(name) is None:
            settings[name] = source.properties.get(name)
    engine = text(source.properties.get("engine"))
    _database(pricer, engine, settings, "its source's engine is known only after apply")
    if source.region != pricer.resource.region:
        pricer.usage("replication data transfer between regions", "per GB")


def _database(
    pricer: Pricer, engine: str | None, settings: Mapping[str, Any], engine_unknown: str
) -> None:
    instance_class, multi_az = text(settings.get("instance_class")), flag(settings.get("multi_az"))
    if multi_az is None:
        pricer.unknown("DB instance and storage", "whether it is Multi-AZ is not known")
        return
    copies = pricer.table.rds_multi_az_factor if multi_az else 1
    prices = pricer.prices
    if engine is None or instance_class is None:
        detail = engine_unknown if engine is None else "its class is known only after apply"
        pricer.unknown("DB instance", detail)
    else:
        price = prices.rds_instance_hour.get(engine, {}).get(instance_class) if prices else None
        note = "Multi-AZ: a primary and a standby" if multi_az else None
        pricer.per_hour(f"{instance_class} DB instance ({engine})", copies, price, note=note)
    _storage(pricer, settings, copies, multi_az)
    if flag(settings.get("publicly_accessible")):
        pricer.public_ipv4(1, "a publicly accessible DB instance holds one")
    pricer.usage("backup storage above the database's size", "per GB-month, snapshots too")


def _storage(
    pricer: Pricer, settings: Mapping[str, Any], copies: Decimal | int, multi_az: bool
) -> None:
    size = count(settings.get("allocated_storage"))
    storage_type = text(settings.get("storage_type"))
    if size is None or storage_type is None:
        pricer.unknown("DB storage", "its size or type is not known here")
        return
    prices = pricer.prices
    price = prices.rds_storage_gb_month.get(storage_type) if prices else None
    note = f"{size} GB on each of the primary and the standby (Multi-AZ)" if multi_az else None
    pricer.per_month(f"{storage_type} DB storage", size * copies, price, unit="GB", note=note)
    iops = count(settings.get("iops"))
    if iops and storage_type in ("io1", "io2"):
        iops_price = prices.rds_iops_month.get(storage_type) if prices else None
        pricer.per_month(
            f"{storage_type} provisioned IOPS", iops * copies, iops_price, unit="IOPS", note=note
        )
    elif iops:
        # gp3 includes a baseline (3,000 IOPS, 12,000 from 400 GB); only IOPS above it are
        # billed, at a price the table does not hold.
        pricer.no_price("gp3 IOPS above the included baseline", "not in the price table")
    if storage_type == "standard":
        pricer.usage("magnetic storage I/O requests", "per million requests")


def _password_secret(pricer: Pricer, source: Any) -> None:
    """A generated password kept in Secrets Manager, or RDS's own managed one, is a secret
    billed by the month; an SSM SecureString (standard tier) is free."""
    if not isinstance(source, Mapping):
        return
    generate = source.get("generate")
    generated = isinstance(generate, Mapping) and generate.get("store") == "secretsmanager"
    if generated or source.get("manage") is True:
        prices = pricer.prices
        price = prices.secrets_manager_secret_month if prices else None
        pricer.per_month("Secrets Manager secret", 1, price, note="holds the master password")
        pricer.usage("Secrets Manager API requests", "per 10,000 requests")


def price_dynamodb_table(pricer: Pricer) -> None:
    properties = pricer.properties
    mode = properties.get("billing_mode")
    if mode == "PAY_PER_REQUEST":
        pricer.usage("on-demand DynamoDB reads and writes", "per request")
    elif mode == "PROVISIONED":
        _provisioned_capacity(pricer, properties)
    else:
        pricer.unknown("DynamoDB capacity", "its billing mode is known only after apply")
    pricer.usage("DynamoDB storage", "per GB-month")
    if text(properties.get("stream_view_type")):
        pricer.usage("DynamoDB stream reads", "per request")
    if properties.get("point_in_time_recovery") is True:
        pricer.usage("point-in-time recovery backups", "per GB-month")


def _provisioned_capacity(pricer: Pricer, properties: Mapping[str, Any]) -> None:
    table_read, table_write = (
        count(properties.get("read_capacity")),
        count(properties.get("write_capacity")),
    )
    parts: list[tuple[str, int | None, int | None]] = [("table", table_read, table_write)]
    indexes = properties.get("global_secondary_indexes")
    for index in indexes if isinstance(indexes, list) else []:
        if isinstance(index, Mapping):
            # An index without its own capacity has the table's (as DynamoDB applies it).
            read, write = count(index.get("read_capacity")), count(index.get("write_capacity"))
            name = f"index {index.get('name')}"
            parts.append(
                (
                    name,
                    table_read if read is None else read,
                    table_write if write is None else write,
                )
            )
    reads = [read for _, read, _ in parts if read is not None]
    writes = [write for _, _, write in parts if write is not None]
    if len(reads) < len(parts) or len(writes) < len(parts):
        pricer.unknown("provisioned capacity", "its capacity is known only after apply")
        return
    table_class = properties.get("table_class") or "STANDARD"
    if table_class != "STANDARD":
        pricer.no_price(
            f"provisioned capacity ({table_class})", "the table prices the STANDARD class only"
        )
        return
    prices = pricer.prices

    def split(position: int) -> str | None:
        if len(parts) == 1:
            return None
        return " + ".join(f"{name} {part[position]}" for name, *part in parts)

    read_price = prices.dynamodb_read_capacity_unit_hour if prices else None
    write_price = prices.dynamodb_write_capacity_unit_hour if prices else None
    pricer.per_hour("provisioned read capacity", sum(reads), read_price, unit="RCU", note=split(0))
    pricer.per_hour(
        "provisioned write capacity", sum(writes), write_price, unit="WCU", note=split(1)
    )


def price_bucket(pricer: Pricer) -> None:
    detail = "per GB-month and per request"
    if pricer.properties.get("versioning") == "Enabled":
        detail += "; every object version is stored and billed"
    pricer.usage("S3 storage, requests and data transfer", detail)
    if pricer.properties.get("replication"):
        pricer.usage("S3 replication", "requests, and transfer per GB to another region")


def price_kms_key(pricer: Pricer) -> None:
    prices = pricer.prices
    price = prices.kms_key_month if prices else None
    pricer.per_month("KMS key", 1, price, note="a customer managed key")
    pricer.usage("KMS requests", "per 10,000 requests")
