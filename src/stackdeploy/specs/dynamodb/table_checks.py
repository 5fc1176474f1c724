"""Rules a DynamoDB table must follow that name a field: key attributes and their types,
index counts and names, unique table names, and the KMS key reference.

They run on canonical properties, so each problem points at the exact field it is about.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from stackdeploy.specs.base import Issue, is_ref_like
from stackdeploy.specs.dynamodb.indexes import (
    MAX_GLOBAL_INDEXES,
    MAX_LOCAL_INDEXES,
    MAX_PROJECTED_ATTRIBUTES,
    name_problem,
)

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

TYPE_NAME = "aws.dynamodb.table"
Path = tuple[str | int, ...]


def _tables(stack: Stack) -> Iterator[Resource]:
    return (r for r in stack.resources.values() if r.type == TYPE_NAME)


def _used_keys(properties: dict[str, Any]) -> list[tuple[str, Path, str]]:
    """(attribute, path of the field naming it, what it is) for every key of the table."""
    keys: list[tuple[str, Path, str]] = [(properties["hash_key"], ("hash_key",), "hash_key")]
    if properties.get("range_key"):
        keys.append((properties["range_key"], ("range_key",), "range_key"))
    for number, index in enumerate(properties.get("global_secondary_indexes") or []):
        where: Path = ("global_secondary_indexes", number)
        keys.append((index["hash_key"], (*where, "hash_key"), f"index {index['name']}'s hash_key"))
        if index.get("range_key"):
            what = f"index {index['name']}'s range_key"
            keys.append((index["range_key"], (*where, "range_key"), what))
    for number, index in enumerate(properties.get("local_secondary_indexes") or []):
        where = ("local_secondary_indexes", number, "range_key")
        keys.append((index["range_key"], where, f"index {index['name']}'s range_key"))
    return keys


def key_definitions(stack: Stack) -> Iterator[Issue]:
    for table in _tables(stack):
        yield from _definitions(table.logical_id, table.properties)
        yield from _indexes(table.logical_id, table.properties)


def _definitions(logical_id: str, properties: dict[str, Any]) -> Iterator[Issue]:
    types: dict[str, str] = properties["attributes"]
    used = _used_keys(properties)
    for attribute, path, what in used:
        if attribute not in types:
            yield Issue(
                logical_id,
                path,
                f"{what} '{attribute}' has no type in attributes",
                hint=f"add it under attributes, e.g. {attribute}: S (S, N or B)",
            )
    named = {attribute for attribute, _, _ in used}
    for attribute in sorted(set(types) - named):
        yield Issue(
            logical_id,
            ("attributes", attribute),
            f"attributes declares '{attribute}', which no key of the table or its indexes uses; "
            "DynamoDB rejects unused definitions",
            hint="declare only key attributes; other attributes need no declaration",
        )
    if properties.get("range_key") and properties["range_key"] == properties["hash_key"]:
        yield Issue(logical_id, ("range_key",), "range_key and hash_key name the same attribute")
    ttl = properties.get("ttl_attribute")
    if ttl and types.get(ttl, "N") != "N":
        yield Issue(
            logical_id,
            ("ttl_attribute",),
            f"ttl_attribute '{ttl}' is declared as type {types[ttl]}; TTL reads a number "
            "(epoch seconds)",
        )


def _indexes(logical_id: str, properties: dict[str, Any]) -> Iterator[Issue]:
    globals_ = properties.get("global_secondary_indexes") or []
    locals_ = properties.get("local_secondary_indexes") or []
    if len(globals_) > MAX_GLOBAL_INDEXES:
        yield Issue(
            logical_id,
            ("global_secondary_indexes",),
            f"{len(globals_)} global secondary indexes; DynamoDB allows {MAX_GLOBAL_INDEXES} "
            "per table (unless the quota was raised)",
        )
    if len(locals_) > MAX_LOCAL_INDEXES:
        yield Issue(
            logical_id,
            ("local_secondary_indexes",),
            f"{len(locals_)} local secondary indexes; DynamoDB allows {MAX_LOCAL_INDEXES} "
            "per table",
        )
    if locals_ and not properties.get("range_key"):
        yield Issue(
            logical_id,
            ("local_secondary_indexes",),
            "local secondary indexes need a table with a range_key (sort key)",
        )
    seen: set[str] = set()
    listed = [("global_secondary_indexes", n, i) for n, i in enumerate(globals_)]
    listed += [("local_secondary_indexes", n, i) for n, i in enumerate(locals_)]
    for field, number, index in listed:
        if index["name"] in seen:
            yield Issue(
                logical_id,
                (field, number, "name"),
                f"index name '{index['name']}' is used twice (names are unique per table)",
            )
        seen.add(index["name"])
    for number, index in enumerate(locals_):
        if index["range_key"] == properties.get("range_key"):
            yield Issue(
                logical_id,
                ("local_secondary_indexes", number, "range_key"),
                f"index {index['name']} sorts by the table's own range_key; a local index "
                "needs another sort key",
            )
    projected = {a for _, _, index in listed for a in index.get("non_key_attributes") or []}
    total = sum(len(index.get("non_key_attributes") or []) for _, _, index in listed)
    if total > MAX_PROJECTED_ATTRIBUTES:
        yield Issue(
            logical_id,
            ("global_secondary_indexes",),
            f"the indexes project {total} non-key attributes ({len(projected)} distinct); "
            f"DynamoDB allows {MAX_PROJECTED_ATTRIBUTES} over all indexes of a table",
        )


def unique_names(stack: Stack) -> Iterator[Issue]:
    """Names must be valid (the generated ones too) and unique in the region."""
    seen: dict[tuple[str, str], str] = {}
    for table in _tables(stack):
        name = table.properties.get("name")
        if not isinstance(name, str) or is_ref_like(name):
            continue
        problem = name_problem(name, "table")
        if problem:
            yield Issue(
                table.logical_id,
                ("name",),
                problem,
                hint="set name explicitly (the default is <stack>-<logical id>)",
            )
        other = seen.setdefault((table.region, name), table.logical_id)
        if other != table.logical_id:
            yield Issue(
                table.logical_id,
                ("name",),
                f"table '{other}' already has the name '{name}' in {table.region}",
                hint="table names are unique per region and account",
            )


def key_references(stack: Stack) -> Iterator[Issue]:
    """kms_key_arn must be a KMS key's ARN: DynamoDB reports the ARN, whatever it was given."""
    for table in _tables(stack):
        value = table.properties.get("kms_key_arn")
        for attribute in ("id", "arn", "alias_arn"):
            target = stack.target_of(value, attribute)
            if target is None:
                continue
            if target.type != "aws.kms.key":
                yield Issue(
                    table.logical_id,
                    ("kms_key_arn",),
                    f"kms_key_arn refers to '{target.logical_id}', a {target.type}; it takes "
                    "a KMS key",
                )
            elif attribute != "arn":
                yield Issue(
                    table.logical_id,
                    ("kms_key_arn",),
                    f"kms_key_arn takes the key's ARN: write ${{{target.logical_id}.arn}} "
                    f"(DynamoDB reports the key ARN, so ${{{target.logical_id}.{attribute}}} "
                    "would always show a change)",
                )
