"""DynamoDB tables as AWS runs them; moto is final at once and lenient about UpdateTable.

Time (counted in DescribeTable observations, `pending_polls` each):
- a new table is CREATING, its indexes CREATING two observations longer;
- after UpdateTable the table is UPDATING; an index being added is CREATING (backfilling)
  two observations longer than the table, so the table is ACTIVE again while its index is
  still being built, as on AWS; an index being removed is still listed as DELETING;
- a deleted table is DELETING: the layer keeps a stand-in table of that name in moto (no
  tags, so nothing counts it as a stack's), which holds the name, until it has been observed
  `pending_polls` times.

Refusals, with AWS's codes and messages:
- UpdateTable or DeleteTable while the table is CREATING, UPDATING or DELETING
  (ResourceInUseException);
- more than one index created or deleted in one UpdateTable, or one while another index is
  being built or dropped (LimitExceededException);
- an index created under a name the table has, or deleted when the table has none of that
  name (ValidationException; moto answers both with an HTTP 500).

moto already refuses DeleteTable with deletion protection (ValidationException), a duplicate
CreateTable (ResourceInUseException), and enabling a stream on a table that has one.

What moto ignores, made visible the way AWS reports it: UpdateTable's TableClass and
SSESpecification (moto keeps neither; DescribeTable then shows TableClassSummary and
SSEDescription as AWS would).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from tests.strict.core import AwsError, Call, StrictAws
from tests.strict.transitions import TransitionClock

GONE = "gone"
# An index is built for this many observations more than its table is CREATING or UPDATING:
# after the table reads ACTIVE again, the index is still CREATING on the next observation, so
# an engine that waits for the table alone is refused its next index change.
_INDEX_EXTRA = 2
_BUSY = frozenset({"CREATING", "UPDATING", "DELETING"})
_BUSY_WORDS = {"CREATING": "created", "UPDATING": "updated", "DELETING": "deleted"}
_ONE_INDEX = (
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously "
    "per table"
)


def register(strict: StrictAws) -> None:
    Tables(strict)


def _index_operations(params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(names created, names deleted) by an UpdateTable call."""
    updates = params.get("GlobalSecondaryIndexUpdates") or []
    created = [u["Create"]["IndexName"] for u in updates if "Create" in u]
    deleted = [u["Delete"]["IndexName"] for u in updates if "Delete" in u]
    return created, deleted


class Tables:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        # Keys: "table:<region>:<name>", "index:<region>:<name>:<index>",
        # "deleting:<region>:<name>".
        self.clock = TransitionClock()
        self._lock = threading.Lock()
        self._dropped: dict[str, dict[str, dict[str, Any]]] = {}  # table key -> index copies
        self._stand_ins: set[str] = set()  # table keys of deleted tables still DELETING
        self._sse: dict[str, dict[str, Any]] = {}  # table key -> SSEDescription AWS would show
        self._classes: dict[str, str] = {}  # table key -> table class AWS would show
        strict.after("dynamodb", "CreateTable", self.created)
        strict.before("dynamodb", "UpdateTable", self.check_update)
        strict.after("dynamodb", "UpdateTable", self.updated)
        strict.before("dynamodb", "DeleteTable", self.check_delete)
        strict.after("dynamodb", "DeleteTable", self.deleted)
        strict.before("dynamodb", "DescribeTable", self.forget_finished_deletes)
        strict.after("dynamodb", "DescribeTable", self.describe)

    # -- keys and moto's real state ---------------------------------------------------------

    @staticmethod
    def _table(call: Call) -> str:
        return f"table:{call.region}:{call.params.get('TableName', '')}"

    @staticmethod
    def _index(call: Call, index: str) -> str:
        return f"index:{call.region}:{call.params.get('TableName', '')}:{index}"

    def _real(self, call: Call) -> dict[str, Any] | None:
        dynamodb = self._strict.plain("dynamodb", call.region)
        try:
            table: dict[str, Any] = dynamodb.describe_table(TableName=call.params["TableName"])[
                "Table"
            ]
        except dynamodb.exceptions.ResourceNotFoundException:
            return None
        return table

    def _status(self, call: Call) -> str:
        """The table's status as the layer reports it now, without letting time pass."""
        key = self._table(call)
        with self._lock:
            if key in self._stand_ins:
                return "DELETING"
        return self.clock.reported(key, "ACTIVE")

    def _busy_indexes(self, call: Call, real: dict[str, Any]) -> list[str]:
        names = [i["IndexName"] for i in real.get("GlobalSecondaryIndexes") or []]
        with self._lock:
            names += list(self._dropped.get(self._table(call), {}))
        return [n for n in names if self.clock.reported(self._index(call, n), "ACTIVE") in _BUSY]

    def _waited(self, *keys: str) -> None:
        """A call was refused because of these: on AWS, time passed meanwhile."""
        if self._strict.refusals_advance_time:
            for key in keys:
                self.clock.tick(key)

    # -- CreateTable ------------------------------------------------------------------------

    def created(self, call: Call, parsed: dict[str, Any]) -> None:
        polls = self._strict.pending_polls
        description = parsed.get("TableDescription") or {}
        self.clock.start(self._table(call), "CREATING", polls)
        description["TableStatus"] = "CREATING"
        for index in description.get("GlobalSecondaryIndexes") or []:
            key = self._index(call, index["IndexName"])
            self.clock.start(key, "CREATING", polls + _INDEX_EXTRA)
            index["IndexStatus"] = "CREATING"
        if call.params.get("TableClass"):
            with self._lock:
                self._classes[self._table(call)] = str(call.params["TableClass"])

    # -- UpdateTable ------------------------------------------------------------------------

    def check_update(self, call: Call) -> None:
        name = str(call.params.get("TableName", ""))
        status = self._status(call)
        if status in _BUSY:
            self._waited(self._table(call))
            raise AwsError(
                "ResourceInUseException",
                "Attempt to change a resource which is still in use: Table is being "
                f"{_BUSY_WORDS[status]}: {name}",
            )
        real = self._real(call)
        if real is None:
            return  # moto answers ResourceNotFoundException itself
        created, deleted = _index_operations(call.params)
        if len(created) + len(deleted) > 1:
            raise AwsError("LimitExceededException", _ONE_INDEX)
        if created or deleted:
            busy = self._busy_indexes(call, real)
            if busy:
                self._waited(*(self._index(call, n) for n in busy))
                raise AwsError("LimitExceededException", _ONE_INDEX)
        existing = {i["IndexName"] for i in real.get("GlobalSecondaryIndexes") or []}
        for index in created:
            if index in existing:  # moto: HTTP 500
                raise AwsError(
                    "ValidationException",
                    f"One or more parameter values were invalid: Index already exists: {index}",
                )
        for index in deleted:
            if index not in existing:  # moto: HTTP 500
                raise AwsError(
                    "ValidationException",
                    f"The table does not have the specified index: {index}",
                )
        call.notes["indexes"] = {
            i["IndexName"]: copy.deepcopy(i) for i in real.get("GlobalSecondaryIndexes") or []
        }

    def updated(self, call: Call, parsed: dict[str, Any]) -> None:
        polls = self._strict.pending_polls
        key = self._table(call)
        self.clock.start(key, "UPDATING", polls)
        (parsed.get("TableDescription") or {})["TableStatus"] = "UPDATING"
        created, deleted = _index_operations(call.params)
        for index in created:
            self.clock.start(self._index(call, index), "CREATING", polls + _INDEX_EXTRA)
            with self._lock:  # a name dropped earlier and now added again
                self._dropped.get(key, {}).pop(index, None)
        before = call.notes.get("indexes") or {}
        for index in deleted:
            with self._lock:
                self._dropped.setdefault(key, {})[index] = before.get(index, {"IndexName": index})
            self.clock.start(self._index(call, index), "DELETING", polls)
        self._remember_settings(call, key)

    def _remember_settings(self, call: Call, key: str) -> None:
        """What moto's UpdateTable ignores, kept here to be reported as AWS would."""
        with self._lock:
            if call.params.get("TableClass"):
                self._classes[key] = str(call.params["TableClass"])
            sse = call.params.get("SSESpecification")
            if sse is None:
                return
            if not sse.get("Enabled"):
                self._sse[key] = {}  # back to the AWS owned key: no SSEDescription
                return
            arn = str(sse.get("KMSMasterKeyId", ""))
            self._sse[key] = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": arn}

    # -- DeleteTable ------------------------------------------------------------------------

    def check_delete(self, call: Call) -> None:
        status = self._status(call)
        if status in _BUSY:
            self._waited(self._table(call))
            raise AwsError(
                "ResourceInUseException",
                "Attempt to change a resource which is still in use: Table is being "
                f"{_BUSY_WORDS[status]}: {call.params.get('TableName', '')}",
            )

    def deleted(self, call: Call, parsed: dict[str, Any]) -> None:
        """moto deleted the table at once; AWS keeps it DELETING (and its name taken)."""
        description = parsed.get("TableDescription") or {}
        description["TableStatus"] = "DELETING"
        key = self._table(call)
        keys = description["KeySchema"]
        named = {k["AttributeName"] for k in keys}
        self._strict.plain("dynamodb", call.region).create_table(
            TableName=call.params["TableName"],
            KeySchema=keys,
            AttributeDefinitions=[
                d for d in description["AttributeDefinitions"] if d["AttributeName"] in named
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        with self._lock:
            self._stand_ins.add(key)
            self._dropped.pop(key, None)
            self._sse.pop(key, None)
            self._classes.pop(key, None)
        self.clock.start(f"deleting:{key}", "DELETING", self._strict.pending_polls)

    def forget_finished_deletes(self, call: Call) -> None:
        """Once its deletion has been observed long enough, the stand-in goes for good."""
        key = self._table(call)
        with self._lock:
            standing = key in self._stand_ins
        if not standing or self.clock.reported(f"deleting:{key}", GONE) != GONE:
            return
        self._strict.plain("dynamodb", call.region).delete_table(TableName=call.params["TableName"])
        with self._lock:
            self._stand_ins.discard(key)

    # -- DescribeTable ----------------------------------------------------------------------

    def describe(self, call: Call, parsed: dict[str, Any]) -> None:
        table = parsed.get("Table") or {}
        key = self._table(call)
        with self._lock:
            standing = key in self._stand_ins
            dropped = copy.deepcopy(self._dropped.get(key, {}))
            sse = copy.deepcopy(self._sse.get(key))
            table_class = self._classes.get(key)
        if standing:
            self.clock.observe(f"deleting:{key}", GONE)
            table["TableStatus"] = "DELETING"
            table.pop("GlobalSecondaryIndexes", None)
            return
        table["TableStatus"] = self.clock.observe(key, str(table.get("TableStatus", "ACTIVE")))
        indexes = table.get("GlobalSecondaryIndexes") or []
        for index in indexes:
            status = self.clock.observe(self._index(call, index["IndexName"]), "ACTIVE")
            index["IndexStatus"] = status
            if status == "CREATING":
                index["Backfilling"] = True
        listed = {index["IndexName"] for index in indexes}
        for name, index in dropped.items():
            if name in listed:
                continue
            if self.clock.observe(self._index(call, name), GONE) == GONE:
                with self._lock:
                    self._dropped.get(key, {}).pop(name, None)
                continue
            indexes.append({**index, "IndexStatus": "DELETING"})
        if indexes:
            table["GlobalSecondaryIndexes"] = indexes
        if sse is not None:
            if sse:
                table["SSEDescription"] = sse
            else:
                table.pop("SSEDescription", None)
        if table_class:
            table["TableClassSummary"] = {"TableClass": table_class}
