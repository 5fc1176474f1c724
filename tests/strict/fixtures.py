"""The `strict_aws` fixture: moto behind the strictness layer, for end-to-end tests.

Import it into a conftest (`from tests.strict.fixtures import strict_aws`) and request it
next to `clients` or the CLI runner: every ClientFactory made during the test then talks to
moto through the layer.
"""

from __future__ import annotations

import pytest

from tests.strict.core import StrictAws


@pytest.fixture
def strict_aws(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """The layer on a freshly reset moto, with AWS-like defaults (10% throttling, NAT
    gateways pending/deleting for 2 polls); tests may change its knobs or read its counters."""
    strict = StrictAws(aws)
    strict.install(monkeypatch)
    return strict  # monkeypatch undoes the install after the test
