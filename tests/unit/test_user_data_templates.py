"""User data templates see the resource they belong to and the template_vars given on it, as
Terraform's templatefile(path, vars) does (issue 7, item 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.stack import Stack
from stackdeploy.specs.base import TEMPLATE_RESOURCE
from stackdeploy.specs.registry import RESOURCE_TYPES

NETWORK = """\
stack: fleet
region: us-west-2
vars:
  greeting: hello
  zones: [a, b]
resources:
  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16}}
  sg: {type: aws.ec2.security_group, properties: {vpc_id: "${vpc.id}"}}
{% for zone in zones %}
  subnet_{{ zone }}:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.{{ loop.index }}.0/24}
{% endfor %}
"""

# Two instances made by one loop, told apart by their own subnet and their template_vars.
FLEET = (
    NETWORK
    + """\
{% for zone in zones %}
  web_{{ zone }}:
    type: aws.ec2.instance
    properties:
      image_id: ami-0123456789abcdef0
      instance_type: t3.micro
      subnet_id: ${subnet_{{ zone }}.id}
      security_group_ids: ["${sg.id}"]
      user_data_template: boot.sh.j2
      template_vars: {index: {{ loop.index }}, peers: {{ zones }}}
{% endfor %}
"""
)
BOOT = """\
#!/bin/sh
echo "{{ greeting }} from {{ resource.logical_id }} ({{ resource.type }}, {{ resource.region }})"
echo "node {{ index }} of {{ peers | length }} in {{ resource.subnet_id }}"
"""


def write(tmp_path: Path, stack: str, template: str, name: str = "boot.sh.j2") -> Path:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / name).write_text(template)
    path = tmp_path / "stack.yaml"
    path.write_text(stack)
    return path


def errors_of(path: Path) -> list[ConfigError]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_stack(path)
    error = caught.value
    return error.errors if isinstance(error, ConfigErrors) else [error]


def user_data(stack: Stack, logical_id: str) -> str:
    return str(stack.resources[logical_id].properties["user_data"])


def test_instances_of_one_loop_get_their_own_user_data(tmp_path: Path) -> None:
    stack = load_stack(write(tmp_path, FLEET, BOOT))
    assert user_data(stack, "web_a") == (
        "#!/bin/sh\n"
        'echo "hello from web_a (aws.ec2.instance, us-west-2)"\n'
        'echo "node 1 of 2 in ${subnet_a.id}"\n'
    )
    assert user_data(stack, "web_b").endswith('echo "node 2 of 2 in ${subnet_b.id}"\n')
    # The subnet's id, written by the template, still resolves at apply time.
    assert "subnet_b" in stack.resources["web_b"].dependencies()
    # Template inputs are not properties: not sent, not compared, not referenceable.
    assert not {"template_vars", "user_data_template"} & set(stack.resources["web_a"].properties)


def test_a_launch_template_sees_itself_too(tmp_path: Path) -> None:
    text = (
        NETWORK
        + """\
  template:
    type: aws.ec2.launch_template
    properties:
      image_id: ami-0123456789abcdef0
      user_data_template: boot.sh.j2
      template_vars: {role: web}
"""
    )
    stack = load_stack(write(tmp_path, text, "{{ resource.name }} {{ role }}"))
    assert user_data(stack, "template") == "fleet-template web"


def test_template_vars_come_before_stack_variables_of_the_same_name(tmp_path: Path) -> None:
    text = FLEET.replace("{index: {{ loop.index }}", "{greeting: hi, index: {{ loop.index }}")
    stack = load_stack(write(tmp_path, text, BOOT))
    assert user_data(stack, "web_a").startswith('#!/bin/sh\necho "hi from web_a')


def test_an_undefined_variable_names_the_template_and_its_line_once(tmp_path: Path) -> None:
    script = "#!/bin/sh\necho {{ index }}\necho {{ resource.subnet }}\n"
    found = errors_of(write(tmp_path, FLEET, script))
    # Both instances render it and fail alike: one mistake, reported once.
    [error] = found
    assert error.message == "undefined variable: 'dict object' has no attribute 'subnet'"
    assert error.location is not None
    assert error.location.file.endswith("templates/boot.sh.j2")
    assert error.location.line == 3


def test_a_reference_the_template_repeats_is_reported_where_it_is_written(
    tmp_path: Path,
) -> None:
    text = FLEET.replace("${subnet_{{ zone }}.id}", "${subnet_{{ zone }}x.id}")
    found = errors_of(write(tmp_path, text, BOOT))
    assert [e.location.path if e.location else "" for e in found] == [
        "resources.web_a.properties.subnet_id",
        "resources.web_b.properties.subnet_id",
    ]


@pytest.mark.parametrize(
    ("template_vars", "says"),
    [
        ("{resource: 1}", "template variable 'resource' is reserved"),
        ("{my-index: 1}", "template variable 'my-index' is not a name a template can use"),
        ("[1, 2]", "expected a mapping (key: value), got [1, 2]"),
    ],
)
def test_template_vars_must_be_names_a_template_can_use(
    tmp_path: Path, template_vars: str, says: str
) -> None:
    text = FLEET.replace("{index: {{ loop.index }}, peers: {{ zones }}}", template_vars)
    found = errors_of(write(tmp_path, text, BOOT))
    assert [e.location.path.split(".template_vars")[0] for e in found if e.location] == [
        "resources.web_a.properties",
        "resources.web_b.properties",
    ]
    assert all(says in e.message for e in found), [e.message for e in found]


def test_template_vars_without_a_template_are_an_error(tmp_path: Path) -> None:
    text = FLEET.replace("user_data_template: boot.sh.j2", "user_data: echo hi")
    found = errors_of(write(tmp_path, text, BOOT))
    assert len(found) == 2
    assert all("template_vars are variables of user_data_template" in e.message for e in found)


def test_no_property_hides_who_the_resource_is() -> None:
    """`resource.region` is the resource's region, `resource.type` its type: no type with
    templates has a property of those names, which would be hidden."""
    for rtype in RESOURCE_TYPES.values():
        if rtype.template_properties:
            assert not {"logical_id", "type", "region"} & set(rtype.spec.model_fields)
            assert TEMPLATE_RESOURCE not in rtype.spec.model_fields
