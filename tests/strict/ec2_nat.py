"""NAT gateways take minutes on AWS; in moto they are `available` and `deleted` at once.

After CreateNatGateway the layer reports the gateway `pending` for `pending_polls`
observations, then moto's `available` shows through. After DeleteNatGateway it reports
`deleting` for `pending_polls` observations, then `deleted`. Until then the gateway still
holds its subnet, its Elastic IP and its VPC's internet route: the dependency rules
(ec2_dependencies) ask `holding` which gateways AWS would still consider present.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from tests.strict.core import Call, StrictAws
from tests.strict.transitions import TransitionClock, fake_states

# States in which a gateway no longer holds anything.
_GONE = frozenset({"deleted", "failed"})


class NatGateways:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self.clock = TransitionClock()
        self._created: set[str] = set()
        self._deletion_started: set[str] = set()
        self._lock = threading.Lock()
        strict.after("ec2", "CreateNatGateway", self._on_create)
        strict.after("ec2", "DeleteNatGateway", self._on_delete)
        # DescribeNatGateways spells its filter parameter "Filter".
        fake_states(
            strict,
            self.clock,
            service="ec2",
            operation="DescribeNatGateways",
            items_key="NatGateways",
            id_key="NatGatewayId",
            filter_param="Filter",
        )

    def holding(self, gateways: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The gateways AWS would not yet consider deleted (pending, available or deleting)."""
        return [g for g in gateways if self.state(g) not in _GONE]

    def state(self, gateway: dict[str, Any]) -> str:
        return self.clock.reported(gateway["NatGatewayId"], str(gateway["State"]))

    def waited_on(self, gateways: Iterable[dict[str, Any]]) -> None:
        """A call was refused because of these gateways: on AWS, time passed meanwhile."""
        if self._strict.refusals_advance_time:
            for gateway in gateways:
                self.clock.tick(gateway["NatGatewayId"])

    def _on_create(self, call: Call, parsed: dict[str, Any]) -> None:
        gateway = parsed.get("NatGateway") or {}
        nat_id = gateway.get("NatGatewayId")
        if not nat_id:
            return
        with self._lock:
            # A retried create with the same ClientToken returns the same gateway: the clock
            # must not start again.
            new = nat_id not in self._created
            self._created.add(nat_id)
        if new:
            self.clock.start(nat_id, "pending", self._strict.pending_polls)
        gateway["State"] = self.clock.reported(nat_id, str(gateway.get("State", "available")))

    def _on_delete(self, call: Call, parsed: dict[str, Any]) -> None:
        nat_id = parsed.get("NatGatewayId") or call.params.get("NatGatewayId")
        if not nat_id:
            return
        with self._lock:
            new = nat_id not in self._deletion_started
            self._deletion_started.add(nat_id)
        if new:  # deleting a gateway that is already deleting does not restart the clock
            self.clock.start(nat_id, "deleting", self._strict.pending_polls)
