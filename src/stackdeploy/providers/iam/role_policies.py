"""A role's settings and policies: read them, and bring them to what the spec asks.

IAM keeps each part of a role behind its own calls: the trust policy and settings (GetRole,
UpdateAssumeRolePolicy, UpdateRole), managed policies (List/Attach/DetachRolePolicy), inline
policies (List/Get/Put/DeleteRolePolicy) and tags (TagRole/UntagRole). `converge` compares
each part and calls only what differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import describe, error_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.plan.diff import stable_text
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.iam.common import ignoring_not_found, list_all, or_none, sync_iam_tags
from stackdeploy.specs.iam.policy import policy_from_aws, policy_json

_ATTACH_HINTS = {
    "NoSuchEntity": "check the ARN: AWS managed policies are arn:aws:iam::aws:policy/<Name> "
    "(some under a path, e.g. service-role/), your own arn:aws:iam::<account>:policy/<Name>",
    "LimitExceeded": "a role takes 10 managed policies unless the account's quota was raised "
    "(to at most 20)",
    "PolicyNotAttachable": "this policy is reserved for service-linked roles",
}


def attached_arns(iam: RetryingClient, role: str) -> list[str]:
    attached = list_all(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role)
    return sorted(str(policy["PolicyArn"]) for policy in attached)


def inline_names(iam: RetryingClient, role: str) -> list[str]:
    return sorted(
        str(name) for name in list_all(iam, "list_role_policies", "PolicyNames", RoleName=role)
    )


def inline_documents(iam: RetryingClient, role: str) -> dict[str, Any]:
    """Inline policy name -> canonical document; one GetRolePolicy per policy."""
    documents: dict[str, Any] = {}
    for name in inline_names(iam, role):
        response = or_none(partial(iam.get_role_policy, RoleName=role, PolicyName=name))
        if response is not None:  # deleted since it was listed
            documents[name] = policy_from_aws(response.get("PolicyDocument"))
    return documents


def _differs(a: Any, b: Any) -> bool:
    return stable_text(a) != stable_text(b)


def converge(
    ctx: ResourceContext,
    iam: RetryingClient,
    role: str,
    current: Mapping[str, Any],
    desired: Mapping[str, Any],
) -> None:
    """Change what differs between `current` (the role as it is) and `desired` (the spec)."""
    if _differs(current["assume_role_policy"], desired["assume_role_policy"]):
        iam.update_assume_role_policy(
            RoleName=role, PolicyDocument=policy_json(desired["assume_role_policy"])
        )
    if current["description"] != desired["description"] or (
        current["max_session_duration"] != desired["max_session_duration"]
    ):
        # UpdateRole sets both; an empty description clears the one AWS holds.
        iam.update_role(
            RoleName=role,
            Description=desired["description"],
            MaxSessionDuration=desired["max_session_duration"],
        )
    _converge_managed(ctx, iam, role, current["managed_policy_arns"], desired)
    _converge_inline(iam, role, current["inline_policies"], desired["inline_policies"])
    sync_iam_tags(
        partial(iam.tag_role, RoleName=role),
        partial(iam.untag_role, RoleName=role),
        desired["tags"],
        current["tags"],
    )


def _converge_managed(
    ctx: ResourceContext,
    iam: RetryingClient,
    role: str,
    current: list[str],
    desired: Mapping[str, Any],
) -> None:
    wanted = list(dict.fromkeys(desired["managed_policy_arns"]))
    # Attach before detaching, so permissions kept across the change never lapse.
    for arn in (a for a in wanted if a not in current):
        try:
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        except ClientError as error:
            failure = _attach_failed(ctx, arn, error)
            if failure is None:
                raise
            raise failure from error
    for arn in (a for a in current if a not in wanted):
        ignoring_not_found(iam.detach_role_policy, RoleName=role, PolicyArn=arn)


def _converge_inline(
    iam: RetryingClient, role: str, current: Mapping[str, Any], desired: Mapping[str, Any]
) -> None:
    for name, document in sorted(desired.items()):
        if name not in current or _differs(current[name], document):
            iam.put_role_policy(
                RoleName=role, PolicyName=name, PolicyDocument=policy_json(document)
            )
    for name in sorted(set(current) - set(desired)):
        ignoring_not_found(iam.delete_role_policy, RoleName=role, PolicyName=name)


def _attach_failed(ctx: ResourceContext, arn: str, error: ClientError) -> ProviderError | None:
    """The error with a hint for the failures a user can fix; None for the others."""
    hint = _ATTACH_HINTS.get(error_code(error))
    if hint is None:
        return None
    return ProviderError(
        f"cannot attach managed policy {arn}: {describe(error)}",
        code=error_code(error),
        hint=hint,
        address=ctx.address,
    )


def detach_everything(iam: RetryingClient, role: str) -> None:
    """Empty a role so DeleteRole can succeed: out of its instance profiles, no policies."""
    profiles = list_all(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=role)
    for profile in profiles:
        ignoring_not_found(
            iam.remove_role_from_instance_profile,
            InstanceProfileName=profile["InstanceProfileName"],
            RoleName=role,
        )
    for arn in attached_arns(iam, role):
        ignoring_not_found(iam.detach_role_policy, RoleName=role, PolicyArn=arn)
    for name in inline_names(iam, role):
        ignoring_not_found(iam.delete_role_policy, RoleName=role, PolicyName=name)
