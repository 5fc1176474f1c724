"""The declaration of what a repeat does (aws/operations.py) covers exactly what the source calls.

The source is scanned for AWS calls the way they are written in it: methods called on a
client (`ec2.create_vpc(`), operation names held in strings (`paginate("describe_vpcs", ...)`,
`describe_method = "describe_subnets"`, `getattr(client, method)`) and f-strings that build
one (`f"authorize_security_group_{direction}"`, every operation with that prefix). Names are
mapped to API operations with botocore's models of the services the source makes clients
for. A snake_case name several of those services share (`add_tags`: ELB and ELB v2) counts
for each of them, so the scan errs towards declaring too much, never too little.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import botocore
import botocore.session
import pytest

import stackdeploy
from stackdeploy.aws.operations import OPERATIONS, Repeat, UndeclaredOperation, declared

SOURCE = Path(stackdeploy.__file__).parent
_CLIENT_SERVICE = re.compile(r"\.client\(\s*\"([a-z0-9-]+)\"")

# Names in the source that match an operation of a service it uses but are not AWS calls.
NOT_API_CALLS = {
    "delete_group": "our helpers in providers/rds/common.py and providers/autoscaling/teardown.py",
    "query": "the ELB v2 rule condition field (specs/elbv2/actions.py, providers/elbv2/common.py)",
}


def _sources() -> dict[str, str]:
    return {str(path.relative_to(SOURCE)): path.read_text() for path in SOURCE.rglob("*.py")}


def services_used(sources: Mapping[str, str]) -> set[str]:
    """The services the source makes clients for (`clients.client("ec2", region)`)."""
    return {match for text in sources.values() for match in _CLIENT_SERVICE.findall(text)}


@cache
def _operations_by_snake_name(services: frozenset[str]) -> dict[str, frozenset[str]]:
    """{"create_vpc": {"ec2.CreateVpc"}, "add_tags": {"elb.AddTags", "elbv2.AddTags"}, ...}"""
    session = botocore.session.get_session()
    found: dict[str, set[str]] = {}
    for service in services:
        for name in session.get_service_model(service).operation_names:
            found.setdefault(botocore.xform_name(name), set()).add(f"{service}.{name}")
    return {snake: frozenset(operations) for snake, operations in found.items()}


def _names_in(tree: ast.AST, known: Iterable[str]) -> set[str]:
    """Every attribute name and string in `tree`; an f-string or concatenation that starts
    with a constant ending in "_" stands for every known name with that prefix."""
    names: set[str] = set()
    for node in ast.walk(tree):
        prefix = None
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                prefix = first.value
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = node.left
            if isinstance(left, ast.Constant) and isinstance(left.value, str):
                prefix = left.value
        if prefix and prefix.endswith("_"):
            names.update(name for name in known if name.startswith(prefix))
    return names


def api_calls(sources: Mapping[str, str]) -> dict[str, set[str]]:
    """{"ec2.CreateVpc": {files that call it}} for every AWS operation the sources call."""
    by_snake = _operations_by_snake_name(frozenset(services_used(sources)))
    calls: dict[str, set[str]] = {}
    for path, text in sources.items():
        for name in _names_in(ast.parse(text), by_snake) - NOT_API_CALLS.keys():
            for operation in by_snake.get(name, ()):
                calls.setdefault(operation, set()).add(path)
    return calls


def _undeclared(calls: Mapping[str, set[str]]) -> dict[str, list[str]]:
    return {op: sorted(paths) for op, paths in sorted(calls.items()) if op not in OPERATIONS}


def test_every_operation_the_source_calls_is_declared() -> None:
    calls = api_calls(_sources())
    assert len(calls) > 200  # the scan sees the providers at all
    assert _undeclared(calls) == {}


def test_every_declaration_is_a_real_operation_the_source_calls() -> None:
    session = botocore.session.get_session()
    calls = api_calls(_sources())
    for operation in OPERATIONS:
        service, name = operation.split(".")
        assert name in session.get_service_model(service).operation_names, operation
    assert sorted(set(OPERATIONS) - calls.keys()) == []  # nothing stale


def test_the_declared_services_are_the_ones_the_source_makes_clients_for() -> None:
    assert services_used(_sources()) == {operation.split(".")[0] for operation in OPERATIONS}


def test_a_new_call_without_a_declaration_is_found() -> None:
    added = """
def flow_logs(ec2, kind, client):
    ec2.create_flow_logs(ResourceIds=["vpc-1"])
    client.paginate("describe_vpc_endpoints", "VpcEndpoints")
    getattr(ec2, f"create_transit_gateway_{kind}")(TransitGatewayId="tgw-1")
"""
    calls = api_calls({**_sources(), "providers/ec2/flow_logs.py": added})
    undeclared = _undeclared(calls)
    assert {"ec2.CreateFlowLogs", "ec2.DescribeVpcEndpoints"} <= undeclared.keys()
    assert "ec2.CreateTransitGatewayRoute" in undeclared  # one of the f-string's expansions
    assert all(paths == ["providers/ec2/flow_logs.py"] for paths in undeclared.values())


def test_names_that_are_not_api_calls_are_still_in_the_source_and_undeclared() -> None:
    sources = _sources()
    by_snake = _operations_by_snake_name(frozenset(services_used(sources)))
    names = set().union(*(_names_in(ast.parse(text), by_snake) for text in sources.values()))
    for name in NOT_API_CALLS:
        assert name in names, f"{name} is no longer in the source: drop it from NOT_API_CALLS"
        assert not any(operation in OPERATIONS for operation in by_snake[name])


def test_token_declarations_name_the_operations_idempotency_token() -> None:
    session = botocore.session.get_session()
    with_tokens = {op: d for op, d in OPERATIONS.items() if d.repeat is Repeat.NEEDS_TOKEN}
    assert "ec2.RunInstances" in with_tokens
    for operation, declaration in with_tokens.items():
        service, name = operation.split(".")
        model = session.get_service_model(service).operation_model(name)
        assert declaration.token in model.idempotent_members, operation


def test_an_undeclared_operation_is_refused_by_name() -> None:
    with pytest.raises(UndeclaredOperation, match=r"ec2\.CreateFlowLogs is not declared"):
        declared("ec2.CreateFlowLogs")


@pytest.mark.parametrize(
    ("operation", "params", "safe"),
    [
        ("ec2.DescribeVpcs", {}, True),
        ("iam.PutRolePolicy", {}, True),
        ("s3.PutPublicAccessBlock", {}, True),
        ("dynamodb.CreateTable", {}, True),  # a unique name: a repeat is refused
        ("ec2.CreateVpc", {}, False),
        ("ec2.AllocateAddress", {}, False),
        ("kms.CreateKey", {}, False),
        ("ec2.RunInstances", {}, False),
        ("ec2.RunInstances", {"ClientToken": ""}, False),
        ("ec2.RunInstances", {"ClientToken": "t-1"}, True),
        ("ec2.CreateNatGateway", {"ClientToken": "t-1"}, True),
    ],
)
def test_safe_to_resend(operation: str, params: dict[str, str], safe: bool) -> None:
    assert declared(operation).safe_to_resend(params) is safe
