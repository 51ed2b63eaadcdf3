"""The `mosquitto` fixture: a fresh broker per call, stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from mosquitto_broker import Mosquitto, brokers


@pytest.fixture
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Mosquitto]]:
    with brokers(tmp_path_factory.mktemp) as start:
        yield start
