"""Spin 1.x modules' `outbound-redis` (tests/wat/spin1_http_redis.wat) against a real
redis-server: the commands reach it, a denied address or an unreachable server is the
interface's error value with a log line, never a trap; and the 1.x interfaces this runtime does
not offer (outbound-pg, outbound-mysql, sqlite) answering their error values."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import redis

from spin.runtime import HttpRequest, Runtime
from tests.support import RedisServer, free_port, logs_for, wat_component


def post(address: str) -> HttpRequest:
    return HttpRequest(method="POST", uri="/", headers=[], params=[], body=address.encode())


def test_commands_reach_the_server(
    runtime: Runtime, tmp_path: Path, redis_server: RedisServer
) -> None:
    component = wat_component(
        "spin1_http_redis", tmp_path, allowed_outbound_hosts=[redis_server.url]
    )
    guest = runtime.load(component, logs_for(tmp_path, "redis"))
    subscriber = redis.Redis.from_url(redis_server.url).pubsub()
    subscriber.subscribe("news")
    try:
        response = guest.handle_http(post(redis_server.url))
        assert (response.status, response.body) == (200, b"hello")
        assert dict(response.headers) == {"redis-incr": "1"}
        assert subscriber.get_message(timeout=5)["type"] == "subscribe"
        assert subscriber.get_message(timeout=5)["data"] == b"hello"
    finally:
        subscriber.close()


def test_denied_address_is_the_error_value_before_connecting(
    runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    component = wat_component(
        "spin1_http_redis", tmp_path, allowed_outbound_hosts=["redis://allowed.example"]
    )
    guest = runtime.load(component, logs_for(tmp_path, "redis"))
    address = f"redis://127.0.0.1:{free_port()}"
    with caplog.at_level(logging.WARNING, logger="spin.runtime"):
        response = guest.handle_http(post(address))
    assert (response.status, response.body) == (502, b"set")
    assert "disallowed destination 'redis://127.0.0.1:" in caplog.text


def test_unreachable_server_is_the_error_value(
    runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    address = f"redis://127.0.0.1:{free_port()}"
    component = wat_component("spin1_http_redis", tmp_path, allowed_outbound_hosts=[address])
    guest = runtime.load(component, logs_for(tmp_path, "redis"))
    with caplog.at_level(logging.WARNING, logger="spin.runtime"):
        response = guest.handle_http(post(address))
    assert (response.status, response.body) == (502, b"set")
    assert f"cannot reach the Redis server at {address}" in caplog.text


def test_interfaces_not_offered_answer_their_error_values(runtime: Runtime, tmp_path: Path) -> None:
    """outbound-pg, outbound-mysql and 1.x sqlite (tests/wat/spin1_http_unavailable.wat)."""
    component = wat_component("spin1_http_unavailable", tmp_path)
    response = runtime.load(component, logs_for(tmp_path, "u")).handle_http(post(""))
    assert response.status == 200
    assert dict(response.headers) == {
        "pg": "5",
        "pg-exec": "5",
        "mysql": "5",
        "sqlite": "4",
        "is-err": "1111",
    }
    assert response.body == b"PostgreSQL (outbound-pg::query) is not available in this runtime"
