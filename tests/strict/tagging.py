"""The Resource Groups Tagging API as AWS runs it, where moto lists too little.

moto's GetResources knows only the resource types whose backends report themselves to it.
AWS also returns these tagged resources, which moto leaves out:

- EC2 Elastic IPs (`ec2:elastic-ip`, arn:...:elastic-ip/eipalloc-...), launch templates
  (`ec2:launch-template`, .../lt-...), key pairs (`ec2:key-pair`, .../key-..., by KeyPairId)
  and security group rules (`ec2:security-group-rule`, .../sgr-...);
- RDS DB subnet groups (`rds:subgrp`, arn:...:subgrp:NAME);
- ELBv2 listeners (`elasticloadbalancing:listener`) and listener rules
  (`elasticloadbalancing:listener-rule`), by their own ARNs.

The layer reads them from moto with plain clients and adds them to the last page of the
answer (the one without a PaginationToken), filtered as AWS filters: only resources with at
least one tag; each TagFilter's Key present and, if it has Values, the tag's value one of
them (all filters must hold); ResourceTypeFilters by service ("ec2") or exact type
("ec2:elastic-ip"); ResourceARNList when given. An ARN already listed is not added again.

AWS does not return Auto Scaling groups (its documentation: GetResources is not supported for
them) nor IAM roles and instance profiles, and neither does moto; nothing is added for those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import is_not_found
from tests.strict.core import Call, StrictAws, StrictLayerError

Tags = list[dict[str, str]]
Found = Iterator[tuple[str, Tags]]  # (ARN, tags) of each resource of one type

_ELBV2_TAGS_BATCH = 20  # DescribeTags takes at most 20 ARNs


def register(strict: StrictAws) -> None:
    TaggingApi(strict)


@dataclass(frozen=True)
class _Request:
    """What one GetResources call asks for, as far as the added resources go."""

    tag_filters: Sequence[Mapping[str, Any]]
    type_filters: Sequence[str]
    arns: frozenset[str]

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> _Request:
        return cls(
            tag_filters=list(params.get("TagFilters") or []),
            type_filters=[str(f) for f in params.get("ResourceTypeFilters") or []],
            arns=frozenset(str(a) for a in params.get("ResourceARNList") or []),
        )

    def wants_type(self, resource_type: str) -> bool:
        if not self.type_filters:
            return True
        service = resource_type.split(":", 1)[0]
        return any(f in (resource_type, service) for f in self.type_filters)

    def wants(self, arn: str, tags: Tags) -> bool:
        if not tags:  # AWS lists tagged resources only
            return False
        if self.arns and arn not in self.arns:
            return False
        return matches_tag_filters(tags, self.tag_filters)


def matches_tag_filters(
    tags: Iterable[Mapping[str, str]], filters: Iterable[Mapping[str, Any]]
) -> bool:
    """AWS's TagFilters: every filter's Key is a tag and, if the filter has Values, that tag's
    value is one of them."""
    values_by_key: dict[str, set[str]] = {}
    for tag in tags:
        values_by_key.setdefault(str(tag["Key"]), set()).add(str(tag.get("Value", "")))
    for tag_filter in filters:
        key = str(tag_filter.get("Key", ""))
        if key not in values_by_key:
            return False
        wanted = tag_filter.get("Values") or []
        if wanted and not values_by_key[key] & {str(v) for v in wanted}:
            return False
    return True


def _tags(raw: Iterable[Mapping[str, Any]] | None) -> Tags:
    return [{"Key": str(t["Key"]), "Value": str(t.get("Value", ""))} for t in raw or []]


class TaggingApi:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        # The types moto leaves out, each with how to find its resources in one region.
        self._finders: dict[str, Callable[[str], Found]] = {
            "ec2:elastic-ip": self._elastic_ips,
            "ec2:launch-template": self._launch_templates,
            "ec2:key-pair": self._key_pairs,
            "ec2:security-group-rule": self._security_group_rules,
            "rds:subgrp": self._db_subnet_groups,
            "elasticloadbalancing:listener": self._listeners,
            "elasticloadbalancing:listener-rule": self._listener_rules,
        }
        strict.after("resourcegroupstaggingapi", "GetResources", self.add_missing)

    def add_missing(self, call: Call, parsed: dict[str, Any]) -> None:
        if parsed.get("PaginationToken"):
            return  # not the last page: the additions go on the last one
        request = _Request.of(call.params)
        mappings: list[dict[str, Any]] = parsed.setdefault("ResourceTagMappingList", [])
        listed = {str(m.get("ResourceARN")) for m in mappings}
        try:
            for resource_type, find in self._finders.items():
                if not request.wants_type(resource_type):
                    continue
                for arn, tags in find(call.region):
                    if arn not in listed and request.wants(arn, tags):
                        mappings.append({"ResourceARN": arn, "Tags": tags})
                        listed.add(arn)
        except ClientError as error:
            # Passed on as it is, the caller would take it for GetResources' own answer.
            raise StrictLayerError(f"the tagging rule for {call.name} failed: {error}") from error

    # -- EC2 ------------------------------------------------------------------------------------

    def _ec2_arn(self, region: str, kind: str) -> Callable[[str], str]:
        """The ARN of an EC2 resource of `kind` ("elastic-ip"), from its id."""
        partition = self._strict.plain("ec2", region).meta.partition
        account = self._strict.plain("sts", region).get_caller_identity()["Account"]
        return lambda resource_id: f"arn:{partition}:ec2:{region}:{account}:{kind}/{resource_id}"

    def _elastic_ips(self, region: str) -> Found:
        arn = self._ec2_arn(region, "elastic-ip")
        for address in self._strict.plain("ec2", region).describe_addresses()["Addresses"]:
            if address.get("AllocationId"):  # EC2-Classic addresses have no ARN of this form
                yield arn(address["AllocationId"]), _tags(address.get("Tags"))

    def _launch_templates(self, region: str) -> Found:
        arn = self._ec2_arn(region, "launch-template")
        pages = self._strict.plain("ec2", region).get_paginator("describe_launch_templates")
        for page in pages.paginate():
            for template in page.get("LaunchTemplates", []):
                yield arn(template["LaunchTemplateId"]), _tags(template.get("Tags"))

    def _key_pairs(self, region: str) -> Found:
        arn = self._ec2_arn(region, "key-pair")
        for pair in self._strict.plain("ec2", region).describe_key_pairs()["KeyPairs"]:
            if pair.get("KeyPairId"):  # the ARN names the pair by id, not by name
                yield arn(pair["KeyPairId"]), _tags(pair.get("Tags"))

    def _security_group_rules(self, region: str) -> Found:
        arn = self._ec2_arn(region, "security-group-rule")
        pages = self._strict.plain("ec2", region).get_paginator("describe_security_group_rules")
        for page in pages.paginate():
            for rule in page.get("SecurityGroupRules", []):
                yield arn(rule["SecurityGroupRuleId"]), _tags(rule.get("Tags"))

    # -- RDS ------------------------------------------------------------------------------------

    def _db_subnet_groups(self, region: str) -> Found:
        rds = self._strict.plain("rds", region)
        for page in rds.get_paginator("describe_db_subnet_groups").paginate():
            for group in page.get("DBSubnetGroups", []):
                arn = str(group["DBSubnetGroupArn"])
                try:
                    tags = rds.list_tags_for_resource(ResourceName=arn).get("TagList")
                except ClientError as error:
                    if is_not_found(error):
                        continue  # deleted meanwhile
                    raise
                yield arn, _tags(tags)

    # -- ELBv2 ----------------------------------------------------------------------------------

    def _listener_arns(self, region: str) -> Iterator[str]:
        elbv2 = self._strict.plain("elbv2", region)
        for page in elbv2.get_paginator("describe_load_balancers").paginate():
            for balancer in page.get("LoadBalancers", []):
                try:
                    listeners = [
                        listener
                        for listener_page in elbv2.get_paginator("describe_listeners").paginate(
                            LoadBalancerArn=balancer["LoadBalancerArn"]
                        )
                        for listener in listener_page.get("Listeners", [])
                    ]
                except ClientError as error:
                    if is_not_found(error):
                        continue  # deleted meanwhile
                    raise
                for listener in listeners:
                    yield str(listener["ListenerArn"])

    def _listeners(self, region: str) -> Found:
        return self._elbv2_tagged(region, list(self._listener_arns(region)))

    def _listener_rules(self, region: str) -> Found:
        elbv2 = self._strict.plain("elbv2", region)
        arns: list[str] = []
        for listener_arn in self._listener_arns(region):
            try:
                rules = [
                    rule
                    for page in elbv2.get_paginator("describe_rules").paginate(
                        ListenerArn=listener_arn
                    )
                    for rule in page.get("Rules", [])
                ]
            except ClientError as error:
                if is_not_found(error):
                    continue  # deleted meanwhile
                raise
            arns.extend(str(rule["RuleArn"]) for rule in rules)
        return self._elbv2_tagged(region, arns)

    def _elbv2_tagged(self, region: str, arns: Sequence[str]) -> Found:
        elbv2 = self._strict.plain("elbv2", region)
        for start in range(0, len(arns), _ELBV2_TAGS_BATCH):
            batch = list(arns[start : start + _ELBV2_TAGS_BATCH])
            try:
                descriptions = elbv2.describe_tags(ResourceArns=batch)["TagDescriptions"]
            except ClientError as error:
                if not is_not_found(error):
                    raise
                descriptions = []  # one of them went meanwhile: ask one by one
                for arn in batch:
                    try:
                        descriptions += elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"]
                    except ClientError as single_error:
                        if not is_not_found(single_error):
                            raise
            for description in descriptions:
                yield str(description["ResourceArn"]), _tags(description.get("Tags"))
