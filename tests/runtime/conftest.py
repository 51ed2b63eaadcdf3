"""Fixtures of the runtime's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.runtime.outbound.loopback import Loopback, loopback_server


@pytest.fixture
def server() -> Iterator[Loopback]:
    """A real HTTP server on a free loopback port that says what it received (`loopback`)."""
    with loopback_server() as loopback:
        yield loopback
