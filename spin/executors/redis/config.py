"""Which Redis channels to subscribe to, on which servers, for which components.

The app-wide `[application.trigger.redis] address` is the default; a trigger's own `address`
overrides it. Addresses and channels may hold `{{ variable }}` templates, resolved here at start.
The result is grouped by address, because the executor opens one connection per server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from spin.errors import SpinError
from spin.locked import LockedApp
from spin.trigger import ConfiguredTrigger, Setting
from spin.variables import render

SCHEMES = ("redis", "rediss", "unix")
ADDRESS_EXAMPLE = 'address = "redis://localhost:6379"'


@dataclass(frozen=True, kw_only=True)
class RedisTriggerConfig:
    """One `[[trigger.redis]]` table, as Spin's Redis trigger accepts it."""

    component: Annotated[str, Setting(example='component = "<component id>"')]
    channel: Annotated[
        str, Setting(example='channel = "messages"', must="a channel name", valid=bool)
    ]
    #: overrides the app's address for this trigger
    address: Annotated[str | None, Setting(example=ADDRESS_EXAMPLE)] = None


@dataclass(frozen=True, kw_only=True)
class RedisAppConfig:
    """`[application.trigger.redis]`: the default address of every Redis trigger."""

    address: Annotated[str | None, Setting(example=ADDRESS_EXAMPLE)] = None


@dataclass
class AddressSubscriptions:
    """Everything subscribed on one Redis server: channel -> component ids, in manifest order."""

    address: str
    channels: dict[str, list[str]] = field(default_factory=dict)

    @property
    def display_address(self) -> str:
        return redacted(self.address)


def plan_subscriptions(
    app: LockedApp,
    triggers: list[ConfiguredTrigger[RedisTriggerConfig]],
    app_config: RedisAppConfig,
) -> list[AddressSubscriptions]:
    """Resolve every Redis trigger of the app; raise SpinError naming the trigger on bad config."""
    by_address: dict[str, AddressSubscriptions] = {}
    for trigger in triggers:
        address = _resolve_address(app, trigger, app_config.address)
        channel = render(
            trigger.config.channel,
            app.variables,
            what=f"the channel of redis trigger {trigger.id!r}",
        )
        component = trigger.config.component
        subscriptions = by_address.setdefault(address, AddressSubscriptions(address))
        components = subscriptions.channels.setdefault(channel, [])
        if component not in components:
            components.append(component)
    return list(by_address.values())


def _resolve_address(
    app: LockedApp, trigger: ConfiguredTrigger[RedisTriggerConfig], default: str | None
) -> str:
    template = trigger.config.address if trigger.config.address is not None else default
    if not template:
        raise SpinError(
            f"The redis trigger {trigger.id!r} has no Redis address. Set `address` in its "
            "[[trigger.redis]] table, or for the whole app in `[application.trigger.redis] "
            f"{ADDRESS_EXAMPLE}`."
        )
    address = render(template, app.variables, what=f"the address of redis trigger {trigger.id!r}")
    check_address(address, trigger.id)
    return address


def check_address(address: str, trigger_id: str) -> None:
    """Reject an address redis-py could not connect to, with a message that shows the form."""
    problem = ""
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as err:
        problem = str(err)
    else:
        if parts.scheme not in SCHEMES:
            problem = f"the scheme must be one of {', '.join(SCHEMES)}"
        elif parts.scheme == "unix" and not parts.path:
            problem = "a unix:// address needs a socket path"
        elif parts.scheme != "unix" and not parts.hostname:
            problem = "it has no host"
    if problem:
        raise SpinError(
            f"The Redis address {redacted(address)!r} of trigger {trigger_id!r} is not valid: "
            f"{problem}. Use the form redis://[:password@]host[:port][/db]."
        )


def redacted(address: str) -> str:
    """The address with any password replaced, for logs and messages."""
    try:
        parts = urlsplit(address)
        if parts.password is None:
            return address
        user = parts.username or ""
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
        netloc = f"{user}:***@{host}{port}"
    except ValueError:
        return address
    return urlunsplit(parts._replace(netloc=netloc))
