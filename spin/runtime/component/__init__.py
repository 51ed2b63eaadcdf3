"""Wasm components with Spin's record-based exports (`fermyon:spin/inbound-http`,
`inbound-redis`, `handle-timer-request`): the guest (`guest`), value conversion (`values`) and
the imports this runtime stands in for (`host`)."""
