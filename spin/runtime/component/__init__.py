"""Wasm components with Spin's record-based exports (`fermyon:spin/inbound-http`,
`inbound-redis`, `handle-timer-request`): the guest (`guest`), value conversion (`values`) and
the imports this runtime stands in for (`host`).

Importing the package installs `binding`: wasmtime-py's component calls with cached conversions,
for every component host function and call in the runtime.
"""

from spin.runtime.component import binding as binding
