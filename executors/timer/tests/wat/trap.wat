;; A timer guest that always fails: its handler traps.
(module
  (memory (export "memory") 1)
  ;; Spin 1.x guests export their allocator; a timer call passes no data, so it is never used.
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
  (func (export "handle-timer-request") unreachable))
