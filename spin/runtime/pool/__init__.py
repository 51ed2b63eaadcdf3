"""Guest calls in worker processes: the pool the executors await (`pool`), the worker process
(`worker`) and the messages between them (`wire`)."""
