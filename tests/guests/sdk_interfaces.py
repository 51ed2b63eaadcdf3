"""The interfaces every spin-sdk 3.4.1 app imports, as componentize-py 0.17.2 builds them.

A host must define all of them to instantiate such an app, whichever ones the app calls: the
import list is the same for every app of a world (measured on the apps of tests/guests).
"""

from __future__ import annotations

#: Imports of every `spin-http` app (hello, echo, outbound, stream, kv, sqlite, variables).
HTTP_APP_IMPORTS: frozenset[str] = frozenset(
    {
        "fermyon:spin/key-value@2.0.0",
        "fermyon:spin/llm@2.0.0",
        "fermyon:spin/mqtt@2.0.0",
        "fermyon:spin/mysql@2.0.0",
        "fermyon:spin/postgres@2.0.0",
        "fermyon:spin/rdbms-types@2.0.0",
        "fermyon:spin/redis@2.0.0",
        "fermyon:spin/sqlite@2.0.0",
        "fermyon:spin/variables@2.0.0",
        "spin:postgres/postgres@3.0.0",
        "spin:postgres/postgres@4.0.0",
        "spin:sqlite/sqlite@3.0.0",
        "wasi:cli/environment@0.2.0",
        "wasi:cli/exit@0.2.0",
        "wasi:cli/stderr@0.2.0",
        "wasi:cli/stdin@0.2.0",
        "wasi:cli/stdout@0.2.0",
        "wasi:cli/terminal-input@0.2.0",
        "wasi:cli/terminal-output@0.2.0",
        "wasi:cli/terminal-stderr@0.2.0",
        "wasi:cli/terminal-stdin@0.2.0",
        "wasi:cli/terminal-stdout@0.2.0",
        "wasi:clocks/monotonic-clock@0.2.0",
        "wasi:clocks/wall-clock@0.2.0",
        "wasi:config/store@0.2.0-draft-2024-09-27",
        "wasi:filesystem/preopens@0.2.0",
        "wasi:filesystem/types@0.2.0",
        "wasi:http/outgoing-handler@0.2.0",
        "wasi:http/types@0.2.0",
        "wasi:io/error@0.2.0",
        "wasi:io/poll@0.2.0",
        "wasi:io/streams@0.2.0",
        "wasi:keyvalue/atomics@0.2.0-draft2",
        "wasi:keyvalue/batch@0.2.0-draft2",
        "wasi:keyvalue/store@0.2.0-draft2",
        "wasi:random/insecure-seed@0.2.0",
        "wasi:random/insecure@0.2.0",
        "wasi:random/random@0.2.0",
        "wasi:sockets/instance-network@0.2.0",
        "wasi:sockets/ip-name-lookup@0.2.0",
        "wasi:sockets/network@0.2.0",
        "wasi:sockets/tcp-create-socket@0.2.0",
        "wasi:sockets/tcp@0.2.0",
        "wasi:sockets/udp-create-socket@0.2.0",
        "wasi:sockets/udp@0.2.0",
    }
)

#: A `spin-redis` app imports the same, plus the types of its export, from the unversioned
#: `fermyon:spin` package that `fermyon:spin/inbound-redis` belongs to.
REDIS_APP_IMPORTS: frozenset[str] = HTTP_APP_IMPORTS | {"fermyon:spin/redis-types"}

#: What each world exports (componentize-py adds an `exports` instance of its own, used while
#: it pre-initializes the app).
WORLD_EXPORTS = {
    "spin-http": "wasi:http/incoming-handler@0.2.0",
    "spin-redis": "fermyon:spin/inbound-redis",
}
