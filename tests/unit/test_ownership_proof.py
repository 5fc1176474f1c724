"""How discovery proves a found resource is the stack's own, and how a state record is bound to
its target. Pure: the reads are given as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackdeploy.discovery.refresh import assemble
from stackdeploy.discovery.state import Intent, ResourceRecord, StateRecord, StateStore
from stackdeploy.errors import StateError
from stackdeploy.model.live import LiveResource, Owner, Proof

STACK = "shop"
VPC = "aws.ec2.vpc"


def found(physical_id: str, owner: Owner, type_name: str = VPC) -> LiveResource:
    return LiveResource.tagged(type_name, physical_id, "us-west-2", {"id": physical_id}, owner)


def record(lineage: str | None = "L1", **resources: str) -> StateRecord:
    return StateRecord(
        stack=STACK,
        account="123456789012",
        region="us-west-2",
        lineage=lineage,
        resources={
            address: ResourceRecord(type=VPC, region="us-west-2", physical_id=physical_id)
            for address, physical_id in resources.items()
        },
    )


def proofs(state: StateRecord, *resources: LiveResource) -> dict[str, Proof]:
    live = assemble({(VPC, "us-west-2"): list(resources)}, state)
    everything = [*live.resources.values(), *live.duplicates]
    return {r.physical_id: r.proof for r in everything}


def test_recorded_lineage_and_tags_alone_are_told_apart() -> None:
    state = record(vpc="vpc-1")
    assert proofs(
        state,
        found("vpc-1", Owner(STACK, "vpc", None)),  # made before lineages: the state vouches
        found("vpc-2", Owner(STACK, "vpc", "L1")),  # an interrupted run's copy
        found("vpc-3", Owner(STACK, "spare", "other")),  # another copy of the stack
        found("vpc-4", Owner(STACK, "spare2", None)),  # tagged by hand
    ) == {
        "vpc-1": Proof.RECORDED,
        "vpc-2": Proof.LINEAGE,
        "vpc-3": Proof.TAGS,
        "vpc-4": Proof.TAGS,
    }


def test_the_best_proven_claimant_holds_the_logical_id() -> None:
    state = record(vpc="vpc-9")
    live = assemble(
        {
            (VPC, "us-west-2"): [
                found("vpc-1", Owner(STACK, "vpc", None)),
                found("vpc-9", Owner(STACK, "vpc", "L1")),
            ]
        },
        state,
    )
    assert live.resources["vpc"].physical_id == "vpc-9"
    assert [d.physical_id for d in live.duplicates] == ["vpc-1"]


def test_a_state_record_naming_an_untagged_resource_proves_nothing() -> None:
    """A hand-edited record cannot make the stack delete somebody's untagged table."""
    state = record(payments="vpc-5")
    assert proofs(state, found("vpc-5", Owner())) == {"vpc-5": Proof.UNTAGGED}
    assert proofs(state, found("vpc-5", Owner("other", "payments", "L1"))) == {
        "vpc-5": Proof.UNTAGGED
    }


def test_an_intent_adopts_an_untagged_resource_of_that_name_only() -> None:
    state = record()
    state.intents["logs"] = Intent(type=VPC, region="us-west-2", name="vpc-7", token="t")
    assert proofs(state, found("vpc-7", Owner())) == {"vpc-7": Proof.INTENT}
    other_type = found("vpc-7", Owner(), type_name="aws.ec2.subnet")
    live = assemble({("aws.ec2.subnet", "us-west-2"): [other_type]}, state)
    assert live.resources["logs"].proof is Proof.UNTAGGED


@pytest.mark.parametrize(
    ("lineages", "recovered"),
    [(["L7", "L7", None], "L7"), (["L7", "L8"], None), ([None], None)],
)
def test_with_no_state_record_the_lineage_is_recovered_only_when_unambiguous(
    lineages: list[str | None], recovered: str | None
) -> None:
    resources = [
        found(f"vpc-{i}", Owner(STACK, f"vpc{i}", lineage)) for i, lineage in enumerate(lineages)
    ]
    live = assemble({(VPC, "us-west-2"): resources}, record(lineage=None))
    assert live.lineage == recovered
    expected = Proof.LINEAGE if recovered else Proof.TAGS
    assert {r.proof for r in live.resources.values() if r.owner.lineage} <= {expected}


def test_a_state_record_copied_from_another_target_is_refused(tmp_path: Path) -> None:
    store = StateStore(tmp_path, STACK, "123456789012", "us-west-2", None)
    copied = record(vpc="vpc-1").model_copy(update={"account": "999999999999"})
    store.path.parent.mkdir(parents=True)
    store.path.write_text(copied.model_dump_json())
    with pytest.raises(StateError) as refused:
        store.load()
    assert "account 999999999999" in refused.value.message
    assert "differs in account" in refused.value.message
    store.path.write_text(record(vpc="vpc-1").model_dump_json())
    assert store.load().resources["vpc"].physical_id == "vpc-1"
