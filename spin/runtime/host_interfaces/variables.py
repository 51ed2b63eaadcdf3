"""Variables for components: `fermyon:spin/variables@2.0.0`, `spin:variables/variables@3.0.0`
and `wasi:config/store@0.2.0-draft-2024-09-27`, from the component's `variables` resolved
through the provider chain (`ComponentConfig`). Values are never logged.

Spin's names are lower-case letters, digits and `_`, starting with a letter; others are
`invalid-name`. A name the component does not declare is `undefined` to the Spin interfaces and
`none` to wasi:config; a provider failure is `provider(msg)` / `upstream(msg)`.
"""

from __future__ import annotations

import re

from wasmtime.component import Variant

from spin.runtime.config_values import ConfigValueError, UnknownKey
from spin.runtime.host_interfaces import spin_host, unavailable
from spin.runtime.wasi.p2.host import Err, WasiCall
from spin.runtime.wasi.p2.registry import Interface

fermyon = Interface("fermyon:spin/variables", error=unavailable("other"))
spin3 = Interface("spin:variables/variables", error=unavailable("other"))
config_store = Interface("wasi:config/store", error=unavailable("io"))

NAME = re.compile(r"[a-z][a-z0-9_]*")


def get(call: WasiCall, name: str) -> str:
    host = spin_host(call)
    if not NAME.fullmatch(name):
        message = f"{name!r} is not a variable name: lower-case letters, digits and '_'"
        raise Err(Variant("invalid-name", message))
    try:
        return host.config.get(name)
    except UnknownKey:
        message = f"no variable for {host.component_id!r}.{name!r}"
        raise Err(Variant("undefined", message)) from None
    except ConfigValueError as err:
        case = "undefined" if err.kind == "undefined" else "provider"
        raise Err(Variant(case, str(err))) from None


fermyon.func("get")(get)
spin3.func("get")(get)


@config_store.func("get")
def config_get(call: WasiCall, key: str) -> str | None:
    host = spin_host(call)
    try:
        return host.config.get(key)
    except UnknownKey:
        return None
    except ConfigValueError as err:
        raise Err(Variant("upstream", str(err))) from None


@config_store.func("get-all")
def config_get_all(call: WasiCall) -> list[tuple[str, str]]:
    host = spin_host(call)
    try:
        return [(key, host.config.get(key)) for key in host.config.names()]
    except ConfigValueError as err:
        raise Err(Variant("upstream", str(err))) from None


INTERFACES = (fermyon, spin3, config_store)
