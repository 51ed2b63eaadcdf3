"""Serving an app over HTTP: load its components into the runtime's worker pool, bind,
announce the routes, serve with hypercorn until the graceful stop, then drain.

The protocol work (HTTP/1.1 keep-alive, HTTP/2 over TLS by ALPN) is hypercorn's; what a
request means is `SpinHttpApp`'s. The socket is bound here, before hypercorn starts, so that a
busy port is a clear error and readiness is only announced once connections are accepted.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import sys
from dataclasses import replace

import anyio
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig

from spin.errors import SpinError
from spin.executors.http import reason_phrase
from spin.executors.http.app import BodyLimits, SpinHttpApp, app_info_response
from spin.executors.http.config import ServerConfig
from spin.executors.http.connections import (
    ConnectionGate,
    RateLimitedLog,
    connection_limit,
    install_gate,
    rate_limited_loop_errors,
)
from spin.executors.http.handlers import AnyHandler, make_handler
from spin.executors.http.routing import WELL_KNOWN_PREFIX, Router
from spin.executors.http.trigger_config import HttpTriggerConfig
from spin.runtime.pool.pool import WorkerPool
from spin.trigger import TriggerContext, manifest_name

log = logging.getLogger("spin.http")


def app_base(context: TriggerContext) -> str:
    """`[application.trigger.http] base` (Spin 1.x manifests: `trigger.base`) as Spin 3 takes
    it: `/` (with a warning) or nothing; any other base is refused (Spin 2 put it in front of
    every route)."""
    base = context.app_config.base
    if base is None or base == "/":
        if base is not None:
            log.warning(
                "This application has the deprecated trigger 'base' set to the default value "
                "'/'. This may be an error in the future!"
            )
        return "/"
    raise SpinError(
        f"{manifest_name(context.app)}: this application is using the deprecated trigger "
        f"'base' field (base = {base!r}). The base must be prepended to each "
        f"[[trigger.http]]'s 'route': remove `base` and write e.g. route = "
        f'"{base.rstrip("/")}/hello" instead of route = "/hello" (Spin 3 refuses it too).'
    )


def http_triggers(context: TriggerContext) -> list[HttpTriggerConfig]:
    """The app's HTTP triggers, each serving a component (Spin 3's `static_response` is not)."""
    for trigger in context.trigger_configs:
        if trigger.config.static_response is not None:
            raise SpinError(
                f"{manifest_name(context.app)}: http trigger {trigger.id!r} has a "
                "`static_response`, which this implementation does not serve. Remove it and "
                'name a component that answers instead, e.g. `component = "hello"`.'
            )
    return [trigger.config for trigger in context.trigger_configs]


def build_router(context: TriggerContext, base: str) -> Router:
    """The router of the app's HTTP triggers; reports duplicates and reserved routes."""
    router = Router.build(base, [(t.component, t.route) for t in http_triggers(context)])
    if router.duplicates:
        log.error("The following component routes are duplicates and will never be used:")
        for duplicate in router.duplicates:
            log.error("  %s", duplicate)
    if router.reserved_routes:
        log.error(
            "Routes under %s are handled by the Spin runtime and will never be reached: %s",
            WELL_KNOWN_PREFIX,
            ", ".join(r.based for r in router.reserved_routes),
        )
    return router


def make_handlers(
    context: TriggerContext, pool: WorkerPool, base: str, max_response: int | None = None
) -> dict[str, AnyHandler]:
    """A handler per component, checking each fits its trigger's executor."""
    return {
        trigger.component: make_handler(
            pool.guests[trigger.component], trigger.executor, base, max_response
        )
        for trigger in http_triggers(context)
    }


def bind(config: ServerConfig) -> socket.socket:
    """The server's socket, bound but not yet listening (connections are refused until the
    guests are loaded and `serve` listens).

    It is bound with SO_REUSEPORT so that on a reload the new executor (started with
    SPIN_REPLACES_EXECUTOR by the supervisor) listens beside the old one, which serves until the
    new one is ready: no connection is refused in between. Any other executor first checks
    with a plain bind that nobody listens there, so two apps on one port still fail to start.
    """
    if not os.environ.get("SPIN_REPLACES_EXECUTOR"):
        _socket(config, reuse_port=False).close()
    return _socket(config, reuse_port=True)


def _socket(config: ServerConfig, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((config.host, config.port))
    except OSError as err:
        sock.close()
        raise SpinError(
            f"Unable to listen on {config.host}:{config.port}: {err.strerror or err}. Is another "
            "app using that port? Choose another with --listen (or SPIN_HTTP_LISTEN_ADDR)."
        ) from None
    return sock


def hypercorn_config(config: ServerConfig, grace: float) -> HypercornConfig:
    """hypercorn's settings; the TLS files are checked here, before anything is announced."""
    hyper = HypercornConfig()
    hyper.accesslog = None  # the app writes its own access log
    errors = logging.getLogger("hypercorn.error")
    errors.setLevel(logging.WARNING)  # its "Running on ..." would repeat our own announcement
    hyper.errorlog = errors
    hyper.include_server_header = False
    hyper.graceful_timeout = grace
    hyper.backlog = 1024
    if config.tls is not None:
        hyper.certfile = str(config.tls.cert)
        hyper.keyfile = str(config.tls.key)
        try:
            hyper.create_ssl_context()
        except (OSError, ssl.SSLError) as err:
            raise SpinError(
                f"Cannot use --tls-cert {config.tls.cert} with --tls-key {config.tls.key}: "
                f"{err}. Both must be PEM files, the key matching the certificate."
            ) from None
    return hyper


def listen_url(config: ServerConfig, sock: socket.socket) -> str:
    """The bound socket's base URL (`http://127.0.0.1:3000`)."""
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"{config.scheme}://{host}:{port}"


def announce(
    config: ServerConfig,
    sock: socket.socket,
    router: Router,
    context: TriggerContext,
) -> None:
    """`Serving http://127.0.0.1:3000` and the routes, as Spin prints them."""
    base_url = listen_url(config, sock)
    lines = [f"Serving {base_url}", "Available Routes:"]
    components = context.app.components
    for route in router.routes:
        lines.append(f"  {route.component_id}: {base_url}{route.display()}")
        description = (
            components[route.component_id].metadata.get("description")
            if route.component_id in components
            else None
        )
        if description:
            lines.append(f"    {description}")
    print("\n".join(lines), flush=True, file=sys.stdout)


async def _serve_until_stopped(
    asgi: SpinHttpApp, hyper: HypercornConfig, context: TriggerContext
) -> None:
    reason_phrase.install()
    await hypercorn_serve(asgi, hyper, shutdown_trigger=context.stopping.wait)  # type: ignore[arg-type]


async def serve(context: TriggerContext) -> int:
    """Run the HTTP executor until `context.stopping`; 0 after a graceful stop."""
    config = ServerConfig.from_options(context.executor_options)
    hyper = hypercorn_config(config, context.grace_period)
    base = app_base(context)
    router = build_router(context, base)
    # Bound before the guests load: their relative outbound requests go to the listener's own
    # address (as in Spin), which the workers are told in the runtime config.
    sock = bind(config)
    runtime_config = replace(context.runtime_config(), self_origin=listen_url(config, sock))
    with sock:  # closed if the guests fail to load; a no-op once hypercorn has the fd
        # One stays warm: the first request after a quiet period does not wait for a worker
        # to start (0.9-2 s on the loaded 2-CPU machine).
        async with context.open_guest_pool(
            (trigger.component for trigger in http_triggers(context)),
            warm_workers=1,
            runtime_config=runtime_config,
            max_workers=context.wasm_workers_max(),
            max_wait=config.max_queue_wait,
        ) as pool:
            handlers = make_handlers(context, pool, base, config.max_body_size)
            announce(config, sock, router, context)
            log.info("guest calls run in up to %d worker processes, started on demand", pool.size)
            sock.listen(hyper.backlog)
            hyper.bind = [f"fd://{sock.detach()}"]  # hypercorn owns the socket from here
            asgi = SpinHttpApp(
                router,
                handlers,
                app_info_response(context.app.name, context.app.version),
                BodyLimits(max_size=config.max_body_size, timeout=config.body_timeout),
            )
            reports = RateLimitedLog(log)
            rate_limited_loop_errors(reports)
            install_gate(ConnectionGate(connection_limit(config.max_connections), reports))
            context.notify_ready()
            # hypercorn's asyncio.TaskGroup cancels and uncancels the task it runs in; a task
            # of its own keeps that bookkeeping away from the trigger library's cancel scopes.
            async with anyio.create_task_group() as group:
                group.start_soon(_serve_until_stopped, asgi, hyper, context)
            log.info("HTTP server stopped")
    return 0
