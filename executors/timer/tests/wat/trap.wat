;; A timer guest that always fails: its handler traps.
(module
  (memory (export "memory") 1)
  (func (export "handle-timer-request") unreachable))
