"""The `mosquitto` fixture: a fresh broker per call, stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from mosquitto_broker import Mosquitto


@pytest.fixture
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Mosquitto]]:
    started: list[Mosquitto] = []

    def start(*, password: bool = False, persistence: bool = False) -> Mosquitto:
        directory = tmp_path_factory.mktemp("mosquitto")
        broker = Mosquitto(directory, password=password, persistence=persistence)
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.stop()
