"""Internal trigger executors: `spin trigger http`, `spin trigger redis`.

This package's own namespace is only the table below, so that `spin up` can tell which trigger
types are internal without importing an executor (each pulls in hypercorn or redis-py).
"""

#: `spin trigger <type>` -> "module:TriggerExecutor subclass", imported when that command runs.
INTERNAL_EXECUTORS: dict[str, str] = {
    "http": "spin.executors.http:HttpTrigger",
    "redis": "spin.executors.redis:RedisTrigger",
}
