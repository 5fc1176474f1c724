"""How much loading a stack may cost, so that no input can exhaust the machine.

Each bound is far above what a real stack needs and far below what would hurt: a 300-byte
YAML alias bomb once took 9.6 GB, and a 30 MB file ran for minutes. CloudFormation is the
yardstick users know: it accepts templates up to 1 MB and 500 resources per stack.
"""

from __future__ import annotations

KB = 1000
MB = 1000 * KB

# Files read from disk, checked before they are read.
STACK_FILE_BYTES = 1 * MB  # as CloudFormation's template limit; Jinja2 loops make files short
VAR_FILE_BYTES = 1 * MB
TEMPLATE_FILE_BYTES = 1 * MB  # included partials and user-data templates
PROPERTY_FILE_BYTES = 64 * KB  # file properties such as public_key_file: a key is a few KB

# Rendering (Jinja2). The rendered stack is parsed as YAML, whose cost grows with its size
# (about 15 s and 250 MB for 2 MB): twice the file limit leaves room for loops.
RENDERED_STACK_CHARS = 2 * MB
# Everything all templates of one stack produce (the stack and every user-data template).
RENDERED_TOTAL_CHARS = 4 * MB
# Characters made by operations that can multiply a size ("-" * 80, joins, replacements,
# `~`, filters), summed over one load: bounds the memory a template can take.
TEMPLATE_WORK_CHARS = 16 * MB
# Steps of all templates in one load: a loop iteration is one, a filter or a call several
# (sandbox.py), about a second in all. An empty nested loop costs time but makes no output.
TEMPLATE_STEPS = 1_000_000
# Integers a template computes (10 ** 1000000 takes seconds to print).
TEMPLATE_INT_BITS = 4096

# A plan saved by `deploy plan -o` holds the stack and every planned change (JSON).
PLAN_FILE_BYTES = 100 * MB

# YAML
# Values, keys and list items written out in one document. 6,000 lines of a stack (1,000
# resources, twice CloudFormation's limit) hold about 16,000; one-character list items
# would put half a million in the largest file, and each costs about 25 µs to load.
YAML_NODES = 100_000
YAML_DEPTH = 64  # nesting levels, counting expanded aliases; real stacks use about 12
# Nodes that aliases (*name) add when expanded, in one document. Shared tag maps or rule
# lists reused by hundreds of resources stay far below; an alias bomb does not.
YAML_ALIAS_NODES = 100_000


def describe_size(size: int) -> str:
    """A byte or character count as people write it: 980 bytes, 64 KB, 30.5 MB."""
    if size < KB:
        return f"{size} bytes"
    if size < MB:
        return f"{size / KB:.0f} KB"
    return f"{size / MB:.1f} MB".replace(".0 MB", " MB")
