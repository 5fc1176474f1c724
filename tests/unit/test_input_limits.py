"""Bounds on loading: what a stack file may cost, and the errors past each bound.

The CLI-level corpus (tests/test_bad_inputs.py) checks that every bad input ends in a clean
error; these tests check the bounds themselves, in process: exact lines, and that ordinary
files close to a bound still load.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stackdeploy.config import limits
from stackdeploy.config.loader import LoadOptions, load_stack
from stackdeploy.config.variables import top_level_scalar
from stackdeploy.errors import ConfigError, ConfigErrors

HEAD = "stack: limits\nregion: us-west-2\n"


def load_error(tmp_path: Path, text: str, options: LoadOptions | None = None) -> ConfigError:
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_stack(path, options)
    error = caught.value
    assert isinstance(error, ConfigError), str(error)
    return error


def alias_levels(levels: int, width: int) -> str:
    """vars: with `levels` anchors, each a list of `width` aliases of the one before."""
    lines = ["vars:", f"  l0: &l0 [{', '.join(['1'] * width)}]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"  l{level}: &l{level} [{aliases}]")
    return HEAD + "\n".join(lines) + "\nresources: {}\n"


def test_shared_anchors_still_load(tmp_path: Path) -> None:
    text = HEAD + (
        "vars:\n"
        "  common: &tags {team: web, env: prod}\n"
        "  web_rules: &rules [{protocol: tcp, port: 443, cidr_blocks: [0.0.0.0/0]}]\n"
        "resources:\n"
        "  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16, tags: *tags}}\n"
        "  sg:\n"
        "    type: aws.ec2.security_group\n"
        "    properties: {vpc_id: '${vpc.id}', ingress: *rules, tags: {<<: *tags, n: sg}}\n"
    )
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    stack = load_stack(path)
    assert stack.resources["sg"].properties["tags"] == {"team": "web", "env": "prod", "n": "sg"}
    assert stack.resources["vpc"].properties["tags"] == {"team": "web", "env": "prod"}


def test_an_alias_bomb_is_refused_at_the_alias_that_goes_past_the_bound(tmp_path: Path) -> None:
    started = time.perf_counter()
    error = load_error(tmp_path, alias_levels(9, 9))
    assert time.perf_counter() - started < 2
    assert "aliases expand to more than 100,000 nodes" in error.message
    # l5 holds nine aliases of l4 (7,381 nodes each): the 8th of them passes 100,000.
    assert error.location is not None and error.location.line == 3 + 5 + 1


def test_aliases_below_the_bound_load(tmp_path: Path) -> None:
    # 4 levels of 9: 7,381 nodes once expanded, well below the bound.
    path = tmp_path / "stack.yaml"
    path.write_text(alias_levels(4, 9))
    assert load_stack(path).variables["l3"][8][8][8] == [1] * 9


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, HEAD + "vars:\n  loop: &me [1, [2, *me]]\n")
    assert "alias *me is inside the node its anchor &me marks" in error.message
    assert error.location is not None and error.location.line == 4


def test_aliases_cannot_nest_deeper_than_the_bound(tmp_path: Path) -> None:
    # Each anchor wraps the one before: the text is 2 levels deep, the data 70.
    lines = ["vars:", "  l0: &l0 [1]"]
    lines += [f"  l{n}: &l{n} [*l{n - 1}]" for n in range(1, 70)]
    error = load_error(tmp_path, HEAD + "\n".join(lines) + "\n")
    # l61: [*l60] is the first past 64: the root, vars: and the list are 3 levels, l60 is 62.
    assert error.message == f"alias *l60 makes the YAML nest deeper than {limits.YAML_DEPTH} levels"
    assert error.location is not None and error.location.line == 4 + 61


def test_deep_flow_nesting_names_the_line(tmp_path: Path) -> None:
    text = HEAD + "description: x\nvars:\n  deep: " + "[" * 5000 + "]" * 5000 + "\n"
    error = load_error(tmp_path, text)
    assert f"nests deeper than {limits.YAML_DEPTH} levels" in error.message
    assert error.location is not None and error.location.line == 5


def test_a_document_of_too_many_values_is_refused_quickly(tmp_path: Path) -> None:
    # Half a million one-character items fit in the largest file; PyYAML's own parser took a
    # minute and 500 MB over them.
    started = time.perf_counter()
    error = load_error(tmp_path, HEAD + "vars:\n  x: [" + ",".join("1" * 495_000) + "]\n")
    assert time.perf_counter() - started < 5
    assert error.message == (
        f"the YAML has more than {limits.YAML_NODES:,} values, keys and list items"
    )


def test_a_var_given_on_the_command_line_is_bounded_too(tmp_path: Path) -> None:
    text = HEAD + "vars:\n  data: []\nresources: {}\n"
    bomb = "[" + ", ".join(["&a [1, 2, 3, 4, 5, 6, 7, 8, 9]"] + ["*a"] * 20_000) + "]"
    error = load_error(tmp_path, text, LoadOptions(cli_vars=[f"data={bomb}"]))
    assert error.message.startswith("--var data: aliases expand to more than")


def test_a_value_python_cannot_hold_names_its_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, HEAD + "description: x\nvars:\n  when: 2024-13-45\n")
    assert error.message == "invalid YAML: cannot read 2024-13-45: month must be in 1..12"
    assert error.location is not None and error.location.line == 5


def test_a_control_character_names_its_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, HEAD + 'description: "bell \x07"\n')
    assert "control character U+0007" in error.message
    assert error.location is not None and error.location.line == 3


def test_reading_a_top_level_scalar_takes_linear_time() -> None:
    # As one regular expression this line took 25 s (quadratic backtracking over the spaces).
    started = time.perf_counter()
    assert (
        top_level_scalar("region: a" + " " * 200_000 + "b\n", "region") == "a" + " " * 200_000 + "b"
    )
    assert time.perf_counter() - started < 1


def test_multiplying_a_string_past_the_bound_is_refused_before_it_allocates(
    tmp_path: Path,
) -> None:
    error = load_error(tmp_path, HEAD + "description: \"{{ 'a' * 10**9 }}\"\n")
    assert error.message.startswith("`*` would make 1,000,000,000 characters")
    assert error.location is not None and error.location.line == 3


@pytest.mark.parametrize(
    ("expression", "operation"),
    [
        ("'%999999999s' % 'x'", "`%`"),
        ("'{:999999999}'.format(1)", "format()"),
        ("'x'.ljust(999999999)", "ljust()"),
        ("'x' | center(999999999)", "the center filter"),
        ("('ab' * 1000) | replace('', 'y' * 100000)", "the replace filter"),
        ("range(100000) | join('x' * 100000)", "the join filter"),
        ("('x' * 100000).join(range(100000) | map('string'))", "join()"),  # an iterator
        ("[1] | batch(10**9, 0) | list", "the batch filter"),
    ],
)
def test_operations_that_multiply_a_size_are_estimated_first(
    tmp_path: Path, expression: str, operation: str
) -> None:
    error = load_error(tmp_path, HEAD + f'description: "{{{{ {expression} }}}}"\n')
    assert error.message.startswith(f"{operation} would make ")


def test_a_huge_number_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, HEAD + 'description: "{{ 10 ** (10 ** 9) }}"\n')
    assert error.message == "`**` would make a number of about 1,200,000,000 digits"


def test_loops_that_run_too_long_stop_at_the_step_bound(tmp_path: Path) -> None:
    text = (
        HEAD + "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
    )
    started = time.perf_counter()
    error = load_error(tmp_path, text)
    assert time.perf_counter() - started < 10
    assert error.message.startswith(f"the templates take more than {limits.TEMPLATE_STEPS:,} steps")


def test_a_stack_rendering_past_the_bound_names_the_line_it_stopped_at(tmp_path: Path) -> None:
    text = HEAD + "resources: {}\n{% for i in range(100000) %}\n# {{ 'x' * 80 }}\n{% endfor %}\n"
    error = load_error(tmp_path, text)
    assert error.message.endswith(f"renders to more than {limits.describe_size(2_000_000)}")
    assert error.location is not None and error.location.line == 5


def test_repeated_references_cannot_print_past_the_bound(tmp_path: Path) -> None:
    text = HEAD + "{% set s = 'x' * 1000000 %}\ndescription: \"{{ [s, s, s, s, s] }}\"\n"
    error = load_error(tmp_path, text)
    assert "is more than the templates may still print (4,000,000)" in error.message
    assert error.location is not None and error.location.line == 4


def test_a_template_including_itself_names_the_include(tmp_path: Path) -> None:
    error = load_error(tmp_path, HEAD + "resources: {}\n{% include 'stack.yaml' %}\n")
    assert error.message == "template stack.yaml includes itself"
    assert error.location is not None and error.location.line == 4


def test_templates_including_each_other_name_the_chain(tmp_path: Path) -> None:
    (tmp_path / "a.j2").write_text("# a\n{% include 'b.j2' %}\n")
    (tmp_path / "b.j2").write_text("{% include 'a.j2' %}\n")
    error = load_error(tmp_path, HEAD + "{% include 'a.j2' %}\n")
    assert error.message == "templates include each other: a.j2"
    assert error.location is not None
    assert (Path(error.location.file).name, error.location.line) == ("b.j2", 1)
    assert error.hint is not None and "a.j2:2 includes b.j2, " in error.hint


def test_an_include_cycle_through_a_computed_name_stops_at_the_recursion_limit(
    tmp_path: Path,
) -> None:
    text = HEAD + "{% set me = 'stack' ~ '.yaml' %}\n{% include me %}\n"
    error = load_error(tmp_path, text)
    assert error.message == "the template recurses without end"
    assert error.location is not None and error.location.line == 4


def test_expressions_nested_past_what_the_parser_reads_are_an_error(tmp_path: Path) -> None:
    text = HEAD + 'description: "{{ ' + "(" * 5000 + "1" + ")" * 5000 + ' }}"\n'
    error = load_error(tmp_path, text)
    assert error.message == "the template nests too deeply to read (blocks or parentheses)"


def test_blocks_nested_past_what_python_compiles_are_an_error(tmp_path: Path) -> None:
    text = HEAD + "{% for i in [1] %}" * 25 + "{% endfor %}" * 25 + "\n"
    error = load_error(tmp_path, text)
    assert error.message.startswith("the template nests blocks too deeply to compile")


def test_an_included_template_that_is_not_text_is_named(tmp_path: Path) -> None:
    (tmp_path / "part.j2").write_bytes(b"\xff\xfe\x00x")
    error = load_error(tmp_path, HEAD + "{% include 'part.j2' %}\n")
    assert error.message.endswith(
        "part.j2 is UTF-16 text, not UTF-8 (it starts with a UTF-16 byte order mark)"
    )


def test_cidrsubnet_computes_without_listing_every_subnet() -> None:
    from stackdeploy.config.render import cidrsubnet

    started = time.perf_counter()
    assert cidrsubnet("10.0.0.0/8", 24, 5) == "10.0.0.5/32"
    assert cidrsubnet("2001:db8::/32", 32, 3) == "2001:db8:0:3::/64"
    assert time.perf_counter() - started < 0.1
    with pytest.raises(ValueError, match="has 256 /24 subnets"):
        cidrsubnet("10.0.0.0/16", 8, 256)


def test_an_included_template_too_big_is_named_at_the_include(tmp_path: Path) -> None:
    (tmp_path / "huge.j2").write_text("#" * (limits.TEMPLATE_FILE_BYTES + 1))
    error = load_error(tmp_path, HEAD + "\n{% include 'huge.j2' %}\n")
    assert "huge.j2 is 1,000,001 bytes; templates are limited to 1 MB" in error.message
    assert error.location is not None
    assert (Path(error.location.file).name, error.location.line) == ("stack.yaml", 4)
